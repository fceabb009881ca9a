// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dma-buf heaps: discovery, open by name, open by transfer kind. The kind
 * is a property of the heap (DESIGN.md section 1), so this is where the
 * kind policy lives, and it never falls back to a heap of another kind.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HEAP_DIR "/dev/dma_heap"

VSHMEM_API int vshmem_heap_list(char ***ret_names)
{
	char **names;
	int n;

	if (!ret_names)
		return vshmem_err(-EINVAL);
	n = vshmem_sys_list_dir(HEAP_DIR, &names);
	if (n == -ENOENT) {
		/* No heaps at all is an answer, not a failure. */
		names = calloc(1, sizeof(*names));
		if (!names)
			return vshmem_err(-ENOMEM);
		n = 0;
	}
	if (n < 0)
		return vshmem_err(n);
	*ret_names = names;
	return n;
}

VSHMEM_API void vshmem_heap_list_free(char **names)
{
	if (!names)
		return;
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

VSHMEM_API int vshmem_heap_open(const char *name, struct vshmem_heap **ret_heap)
{
	struct vshmem_heap *heap;
	char path[sizeof(HEAP_DIR) + sizeof(heap->name) + 1];
	size_t len;
	int fd;

	if (!name || !ret_heap)
		return vshmem_err(-EINVAL);
	len = strlen(name);
	if (len == 0 || len >= sizeof(heap->name) || strchr(name, '/') ||
	    name[0] == '.')
		return vshmem_err(-EINVAL);

	heap = calloc(1, sizeof(*heap));
	if (!heap)
		return vshmem_err(-ENOMEM);
	memcpy(heap->name, name, len + 1);
	heap->kind = vshmem_heap_name_kind(name);

	strcpy(path, HEAP_DIR "/");
	strcat(path, name);
	fd = vshmem_sys_open(path, O_RDONLY);
	if (fd < 0) {
		free(heap);
		return vshmem_err(fd);
	}
	heap->fd = fd;
	*ret_heap = heap;
	return 0;
}

VSHMEM_API int vshmem_heap_open_kind(enum vshmem_kind kind,
				     struct vshmem_heap **ret_heap)
{
	const struct vshmem_kind_info *k = vshmem_kind_info((int)kind);
	int ret = -ENOENT;

	if (!ret_heap || !k)
		return vshmem_err(-EINVAL);
	/* Never a heap of another kind: none present is an error. */
	for (size_t i = 0; i < ARRAY_SIZE(k->heaps) && k->heaps[i]; i++) {
		ret = vshmem_heap_open(k->heaps[i], ret_heap);
		if (ret != -ENOENT)
			return vshmem_err(ret);
	}
	return vshmem_err(k->no_heap_err);
}

VSHMEM_API void vshmem_heap_close(struct vshmem_heap *heap)
{
	if (!heap)
		return;
	vshmem_sys_close(heap->fd);
	free(heap);
}

VSHMEM_API const char *vshmem_heap_get_name(const struct vshmem_heap *heap)
{
	return heap ? heap->name : VSHMEM_NULL_ARG(NULL);
}

VSHMEM_API int vshmem_heap_get_kind(const struct vshmem_heap *heap)
{
	return heap ? heap->kind : vshmem_err(-EINVAL);
}

VSHMEM_API int vshmem_heap_get_fd(const struct vshmem_heap *heap)
{
	return heap ? heap->fd : vshmem_err(-EINVAL);
}
