/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rust_misc_test - test-only Rust misc device for kernel::miscdevice.
 *
 * Shared with the user-space test (tests/guest/misc_test.c).  The module is
 * Rust; its ioctl numbers are spelled again in rust_misc_test.rs.
 */
#ifndef _RUST_MISC_TEST_H
#define _RUST_MISC_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RUST_MISC_TEST_DEV	"/dev/rust-misc-test"

/**
 * struct rmt_counts - lifetime counters of the device's open files
 * @opens: successful ->open() calls since the module was loaded
 * @releases: ->release() calls since the module was loaded
 */
struct rmt_counts {
	__u64 opens;
	__u64 releases;
};

/**
 * struct rmt_insert - map a new page in a mapping of this file
 * @addr: user address of the page, inside a mapping of the device
 * @fill: byte value the page is filled with
 * @__pad: must be zero
 */
struct rmt_insert {
	__u64 addr;
	__u32 fill;
	__u32 __pad;
};

/**
 * struct rmt_range - a range of a mapping of this file
 * @addr: first user address
 * @size: length in bytes
 */
struct rmt_range {
	__u64 addr;
	__u64 size;
};

/* Reads the counters. */
#define RMT_IOC_COUNTS	_IOR('R', 1, struct rmt_counts)
/* Posts one event on this open file: poll() reports POLLIN until consumed. */
#define RMT_IOC_SIGNAL	_IO('R', 2)
/* Takes one posted event; -EAGAIN if there is none. */
#define RMT_IOC_CONSUME	_IO('R', 3)
/* Sleeps until an event is posted and takes it; -EINTR on a signal. */
#define RMT_IOC_WAIT	_IO('R', 4)
/* Allocates a page and maps it with vm_insert_page(); the error is returned. */
#define RMT_IOC_INSERT	_IOW('R', 5, struct rmt_insert)
/* Unmaps a range with zap_page_range_single(); -EINVAL if not a mapping. */
#define RMT_IOC_ZAP	_IOW('R', 6, struct rmt_range)

#endif /* _RUST_MISC_TEST_H */
