// SPDX-License-Identifier: LGPL-2.1-or-later
/* Helpers shared by the tools: see common.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include <libvshmem/vshmem.h>

#include "common.h"

/* ------------------------------------------------------------------ */
/* what is missing, and what to do                                     */

#define HEAP_DIR "/dev/dma_heap"

static void list_heaps(void)
{
	char line[256] = "", **names = NULL;
	size_t len = 0;

	if (vshmem_heap_list(&names) < 0 || !names || !names[0]) {
		vshmem_heap_list_free(names);
		hint("heaps in " HEAP_DIR ": none (no dma-buf heaps: the kernel "
		     "needs CONFIG_DMABUF_HEAPS=y)");
		return;
	}
	for (char **n = names; *n && len < sizeof(line); n++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
					len ? " " : "", *n);
	vshmem_heap_list_free(names);
	hint("heaps in " HEAP_DIR ": %s", line);
}

int fail_heap(int err, const char *name, int kind)
{
	bool lend = name ? !strncmp(name, "lend", 4) : kind == VSHMEM_KIND_LEND;

	if (name)
		error(err, "cannot open the dma-buf heap %s", name);
	else
		error(err, "no dma-buf heap for kind %s", vshmem_kind_name(kind));
	if (err == -EACCES || err == -EPERM) {
		hint("no permission to open " HEAP_DIR "/%s: run as root, or give "
		     "this user access to it (a udev rule)", name ? name : lend ?
		     "lend" : "system");
		return EXIT_ERROR;
	}
	if (err != -ENOENT && err != -EOPNOTSUPP)
		return cli_exit_code(err);
	if (lend)
		hint("missing: " HEAP_DIR "/lend or " HEAP_DIR "/lend-nomap, the "
		     "lend heaps of the kernel series (kernel/patches, "
		     "CONFIG_DMABUF_HEAPS_LEND=y)");
	else if (!name || !strcmp(name, "system"))
		hint("missing: " HEAP_DIR "/system (kernel option "
		     "CONFIG_DMABUF_HEAPS_SYSTEM=y)");
	else
		hint("missing: " HEAP_DIR "/%s", name);
	list_heaps();
	hint("to do: boot a kernel with that heap (kernel/scripts/build.sh "
	     "builds one; tests/vm/run.sh runs it)%s",
	     !name && lend ? ", or use --kind=share" : "");
	return EXIT_UNSUPPORTED;
}

int fail_connect(int err, bool listen, unsigned int cid, unsigned int port,
		 int sock_type)
{
	if (listen)
		error(err, "listening on port %u", port);
	else
		error(err, "connecting to %u:%u", cid, port);
	switch (-err) {
	case EAFNOSUPPORT:
		hint("missing: AF_VSOCK in this kernel (CONFIG_VSOCKETS; "
		     "modprobe vsock)");
		break;
	case ESOCKTNOSUPPORT:
	case EPROTONOSUPPORT:
	case EOPNOTSUPP:
		if (sock_type == SOCK_SEQPACKET)
			hint("missing: SOCK_SEQPACKET on the vsock transport%s: "
			     "a transport that has it (virtio-vsock, vsock_loopback), "
			     "or SOCK_STREAM (vshmem-offer and vshmem-accept: --stream "
			     "on both sides)", listen ? "" : " to that CID");
		break;
	case ENODEV:
		hint("missing: a vsock transport to CID %u: for CID 1 (local) "
		     "modprobe vsock_loopback (CONFIG_VSOCKETS_LOOPBACK); in a "
		     "guest virtio-vsock (CONFIG_VIRTIO_VSOCKETS); on a host "
		     "vhost-vsock and a VM with a vsock device", cid);
		break;
	case ECONNREFUSED:
	case ECONNRESET:
		hint("nobody listens on %u:%u: start the receiving side there "
		     "first (vshmem-accept %u)", cid, port, port);
		break;
	case EADDRINUSE:
		hint("port %u is taken: choose another, or 'any'", port);
		break;
	case ETIMEDOUT:
		hint("no answer from CID %u: is the VM (or the peer) running?", cid);
		break;
	}
	return cli_exit_code(err);
}

int fail_uds(int err, bool listen, const char *path, unsigned int port)
{
	if (listen)
		error(err, "listening on %s_%u.shmem", path, port);
	else
		error(err, "connecting to guest port %u through %s", port, path);
	switch (-err) {
	case ENOENT:
	case ECONNREFUSED:
		if (listen)
			hint("the directory of %s must exist", path);
		else
			hint("is vhost-user-vsock running with --uds-path %s, and "
			     "does the guest listen on port %u (with the same "
			     "socket type: --stream)?", path, port);
		break;
	case EADDRINUSE:
		hint("another program listens on %s_%u.shmem", path, port);
		break;
	case ENAMETOOLONG:
		hint("a Unix socket path has at most 107 bytes: use a shorter %s",
		     path);
		break;
	}
	/* a missing socket is not a missing kernel feature */
	return err == -ENOENT ? EXIT_ERROR : cli_exit_code(err);
}

int fail_kind(int err, unsigned int cid, unsigned int port, int kind)
{
	if (err < 0) {
		error(err, "asking what the transport to %u:%u can pass", cid, port);
		return cli_exit_code(err);
	}
	error(0, "the transport to %u:%u cannot pass %s memory (no shared "
	      "memory support)", cid, port, vshmem_kind_name(kind));
	hint("missing: SCM_VSOCK_SHMEM: a kernel with the series of kernel/patches "
	     "(CONFIG_VSOCKETS_SHMEM=y; CONFIG_VSOCKETS_SHMEM_LOCAL=y for CID 1)");
	return EXIT_UNSUPPORTED;
}

unsigned int channel_port(const struct vshmem_channel *ch)
{
	struct sockaddr_vm sa;
	socklen_t len = sizeof(sa);
	int fd = vshmem_channel_get_fd(ch);

	if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    sa.svm_family != AF_VSOCK)
		return -1U;
	return sa.svm_port;
}

/* ------------------------------------------------------------------ */
/* pattern, checksum                                                   */

/* Progress on stderr in 10% steps, only for buffers of 64 MiB and more. */
static void progress(const char *what, uint64_t done, uint64_t size,
		     int *last)
{
	int pct;

	if (quiet || size < (64ULL << 20))
		return;
	pct = (int)(done * 10 / size) * 10;
	if (pct != *last) {
		fprintf(stderr, "%s: %s %d%%\n", prog, what, pct);
		*last = pct;
	}
}

#define CHUNK (1ULL << 20)

static uint64_t word_at(uint64_t off, unsigned int seed)
{
	/* Differs per 8-byte word and per seed, cheap to compute. */
	return (off * 0x9e3779b97f4a7c15ULL) ^ seed;
}

void fill_pattern(void *p, uint64_t size, unsigned int seed)
{
	unsigned char *b = p;
	int last = -1;

	for (uint64_t off = 0; off < size; off += 8) {
		uint64_t w = word_at(off, seed);

		memcpy(b + off, &w, size - off < 8 ? size - off : 8);
		if (off % CHUNK == 0)
			progress("filling", off, size, &last);
	}
	progress("filling", size, size, &last);
}

/* Returns the offset of the first wrong byte, or size if all is right. */
uint64_t check_pattern(const void *p, uint64_t size, unsigned int seed)
{
	const unsigned char *b = p;
	int last = -1;

	for (uint64_t off = 0; off < size; off += 8) {
		uint64_t w = word_at(off, seed);
		size_t n = size - off < 8 ? size - off : 8;

		if (memcmp(b + off, &w, n)) {
			for (size_t i = 0; i < n; i++)
				if (b[off + i] != ((unsigned char *)&w)[i])
					return off + i;
		}
		if (off % CHUNK == 0)
			progress("checking", off, size, &last);
	}
	progress("checking", size, size, &last);
	return size;
}

uint64_t checksum(const void *p, uint64_t size)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	int last = -1;

	for (uint64_t i = 0; i < size; i++) {
		h = (h ^ b[i]) * 0x100000001b3ULL;
		if (i % CHUNK == 0)
			progress("checksum", i, size, &last);
	}
	return h;
}

bool all_zero(const void *p, uint64_t size)
{
	const unsigned char *b = p;

	for (uint64_t i = 0; i < size; i++)
		if (b[i])
			return false;
	return true;
}

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

bool guarded_read(const volatile unsigned char *p, unsigned char *ret)
{
	struct sigaction sa = { .sa_handler = on_fault }, old_bus, old_segv;
	bool ok;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	if (sigsetjmp(fault_jmp, 1) == 0) {
		*ret = *p;
		ok = true;
	} else {
		ok = false;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return ok;
}

/* read() or write() all of size bytes, in pieces of at most 1 MiB; stops
 * early at the end of a file being read. */
static int copy_file(const char *path, int flags, unsigned char *p,
		     uint64_t size)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);
	uint64_t done = 0;
	int err = 0;

	if (fd < 0)
		return -errno;
	while (done < size) {
		size_t n = size - done > (1 << 20) ? (1 << 20) : size - done;
		ssize_t r = flags == O_RDONLY ? read(fd, p + done, n) :
						write(fd, p + done, n);

		if (r <= 0) {
			err = r < 0 ? -errno : 0;
			break;
		}
		done += (uint64_t)r;
	}
	if (close(fd) < 0 && !err && flags != O_RDONLY)
		err = -errno;
	return err;
}

int copy_file_to_buf(const char *path, void *p, uint64_t size)
{
	return copy_file(path, O_RDONLY, p, size);
}

int copy_buf_to_file(const char *path, const void *p, uint64_t size)
{
	/* copy_file() only reads from p when it writes the file */
	return copy_file(path, O_WRONLY | O_CREAT | O_TRUNC,
			 (unsigned char *)p, size);
}
