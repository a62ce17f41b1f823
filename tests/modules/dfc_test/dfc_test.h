/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dfc_test - test-only device exposing deferred_fd_close() to user space.
 *
 * Shared by the module and the user-space test (tests/guest/).
 */
#ifndef _DFC_TEST_H
#define _DFC_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct dfc_close - what DFC_IOC_CLOSE does and what it saw
 * @fd: in: the fd of the calling process to close
 * @delay_ms: in: how long to sleep after the close, still inside the ioctl
 * @released_during: out: ->release() calls of any dfc_test file while the
 *	ioctl ran (must be 0: the final fput is deferred)
 * @return_ns: out: CLOCK_MONOTONIC just before the ioctl returns
 */
struct dfc_close {
	__s32 fd;
	__u32 delay_ms;
	__u32 released_during;
	__u32 __pad;
	__u64 return_ns;
};

#define DFC_MANY_MAX	16

/**
 * struct dfc_close_many - what DFC_IOC_CLOSE_MANY does and what it saw
 * @capacity: in: the capacity of the closer to allocate
 * @nr: in: how many of @fds to close (may exceed @capacity, to test that)
 * @fds: in: the fds of the calling process to close
 * @errs: out: per fd, 0 or -EBADF (left as they were on an error return)
 * @released_during: out: ->release() calls of any dfc_test file while the
 *	ioctl ran (must be 0: the final fputs are deferred)
 * @__pad: zero
 */
struct dfc_close_many {
	__u32 capacity;
	__u32 nr;
	__s32 fds[DFC_MANY_MAX];
	__s32 errs[DFC_MANY_MAX];
	__u32 released_during;
	__u32 __pad;
};

/* Closes ->fd with deferred_fd_close(); returns its result (0, -EBADF, ...). */
#define DFC_IOC_CLOSE		_IOWR('D', 1, struct dfc_close)
/* Reads the number of ->release() calls of dfc_test files so far. */
#define DFC_IOC_RELEASES	_IOR('D', 2, __u64)
/* Allocates a closer and frees it unused; for leak checks. */
#define DFC_IOC_ALLOC_FREE	_IO('D', 3)
/*
 * Closes the fd given as the argument itself, with nothing else around the
 * call: what a driver's own ioctl would cost, for measurements.
 */
#define DFC_IOC_CLOSE_FD	_IO('D', 4)
/* Does nothing: the cost of the ioctl itself, for measurements. */
#define DFC_IOC_NOP		_IO('D', 5)
/*
 * Makes this file's ->release() try to close fd 0 through the service, and
 * record what it returned.  Used to test a ->release() run while its
 * process exits, after the fd table is gone.
 */
#define DFC_IOC_CLOSE_ON_RELEASE	_IO('D', 6)
/* Reads what the last such ->release() got (an __s32 errno, 1 if none yet). */
#define DFC_IOC_RELEASE_RESULT	_IOR('D', 7, __s32)
/*
 * Closes ->fds with deferred_fd_close_many() on a closer of ->capacity;
 * returns its result (the number closed, -EINVAL, ...).
 */
#define DFC_IOC_CLOSE_MANY	_IOWR('D', 8, struct dfc_close_many)
/* Allocates a closer of the capacity given as the argument and frees it. */
#define DFC_IOC_ALLOC_MANY_FREE	_IO('D', 9)

#endif /* _DFC_TEST_H */
