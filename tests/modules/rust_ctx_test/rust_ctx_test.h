/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User API of the test-only rust_ctx_test module (tests/modules/rust_ctx_test):
 * the layer's fd operations probed from the contexts a driver callback runs
 * in other than a system call of its own process.
 */
#ifndef RUST_CTX_TEST_H
#define RUST_CTX_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CTX_DEV			"/dev/rust-ctx-test"

/* Where a probe ran: the slots of struct ctx_results. */
#define CTX_EXIT		0	/* release, from the exit of the opener */
#define CTX_KWORKER_RELEASE	1	/* release, from a delayed fput in a kworker */
#define CTX_KWORKER		2	/* a work item on the system workqueue */
#define CTX_SLOTS		3

/* What a probe found, each an errno (0 for success) or a flag. */
struct ctx_probe {
	__s32 done;		/* 1 once the probe ran */
	__s32 fget;		/* LocalFile::fget(0) */
	__s32 reserve;		/* FileDescriptorReservation::get_unused_fd_flags() */
	__s32 close;		/* DeferredFdCloser::close_fd(CTX_PROBE_FD) */
	__s32 has_mm;		/* current!().mm().is_some() */
	__s32 kthread;		/* PF_KTHREAD is set */
};

/* An fd number that no test process has open. */
#define CTX_PROBE_FD		1000

struct ctx_results {
	struct ctx_probe probe[CTX_SLOTS];
	__s32 sync_put_released;	/* File::put_sync() in a kworker released the file */
	__s32 sync_put_refused;		/* File::put_sync() from an ioctl gave the file back */
};

/* Probe in this file's release, which the caller makes happen at its exit. */
#define CTX_IOC_ARM_EXIT	_IO('C', 1)
/* Hand this file's last reference to a kworker; the caller closes its fd. */
#define CTX_IOC_KWORKER_RELEASE	_IO('C', 2)
/* Probe from a work item, and wait for it. */
#define CTX_IOC_KWORKER_PROBE	_IO('C', 3)
/* File::put_sync() from a kworker and from this ioctl, and wait. */
#define CTX_IOC_SYNC_PUT	_IO('C', 4)
#define CTX_IOC_RESULTS		_IOR('C', 5, struct ctx_results)

#endif /* RUST_CTX_TEST_H */
