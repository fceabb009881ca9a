/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the example tools and vshmem-bench (not part of the
 * library): the diagnostics that say what is missing, and the pattern and
 * checksum of the examples. The command line conventions are in cli.h.
 */
#ifndef VSHMEM_EXAMPLES_COMMON_H
#define VSHMEM_EXAMPLES_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

struct vshmem_channel;

/* What the lender tells the borrower in the offer's data bytes. */
#define HEADER_FMT "vshmem-example v1 size=%llu seed=%u sum=%llx"

/*
 * Diagnostics: each prints the error and what is missing, with what to do
 * about it, and returns the exit code (cli.h) for err (a -errno).
 *   fail_heap:    opening the dma-buf heap NAME (NULL: the heap of kind,
 *                 a VSHMEM_KIND_*) failed; names the device, the kernel
 *                 option and the heaps that exist.
 *   fail_connect: connecting to (or, with listen, listening on) CID:PORT
 *                 with sock_type failed.
 *   fail_uds:     the same through vhost-user-vsock's Unix sockets.
 *   fail_kind:    the transport cannot pass memory of kind (err 0: it
 *                 reported no support; else the error of asking).
 */
int fail_heap(int err, const char *name, int kind);
int fail_connect(int err, bool listen, unsigned int cid, unsigned int port,
		 int sock_type);
/* fail_uds: listening on (listen) or connecting to PORT through the
 * hybrid-vsock Unix socket of vhost-user-vsock --uds-path PATH failed. */
int fail_uds(int err, bool listen, const char *path, unsigned int port);
int fail_kind(int err, unsigned int cid, unsigned int port, int kind);

/* The port a channel's socket is bound to (VMADDR_PORT_ANY gets one from
 * the kernel), or -1U if it cannot be told. */
unsigned int channel_port(const struct vshmem_channel *ch);

/* Pattern, checksum and copies, with progress lines for big buffers. */
void fill_pattern(void *p, uint64_t size, unsigned int seed);
uint64_t check_pattern(const void *p, uint64_t size, unsigned int seed);
uint64_t checksum(const void *p, uint64_t size);
bool all_zero(const void *p, uint64_t size);

/* Copy size bytes from the file at path into p (a shorter file leaves
 * the rest of p as it was), or from p into the file (created or
 * truncated). 0 or a negative errno. */
int copy_file_to_buf(const char *path, void *p, uint64_t size);
int copy_buf_to_file(const char *path, const void *p, uint64_t size);

/* Read one byte; false if that faults (SIGBUS/SIGSEGV): used to show that
 * a lent buffer is out of the lender's reach. */
bool guarded_read(const volatile unsigned char *p, unsigned char *ret);

#endif
