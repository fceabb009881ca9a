/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-guest SCM_VSOCK_SHMEM tests of the series use the one in-guest
 * test harness (tests/harness/), in the style of the kernel's selftests
 * (tests/harness/selftest.h: bool cases, CHECK(), report(), -1 and
 * errno). compile_guest (kernel/scripts/lib.sh) links its library.
 */
#ifndef SHMEM_TEST_H
#define SHMEM_TEST_H

#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>

#include "../../tests/harness/selftest.h"

#endif /* SHMEM_TEST_H */
