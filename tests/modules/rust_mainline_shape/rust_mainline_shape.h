/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User API of the test-only rust_mainline_shape module: a misc device written
 * the way a mainline driver author writes one, driven by
 * tests/guest/mainline_test.c.
 */
#ifndef RUST_MAINLINE_SHAPE_H
#define RUST_MAINLINE_SHAPE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MLS_DEV			"/dev/rust-mainline-shape"

#define MLS_IOC_HELLO		_IO('|', 0x80)
#define MLS_IOC_GET_VALUE	_IOR('|', 0x81, int)
#define MLS_IOC_SET_VALUE	_IOW('|', 0x82, int)

/* The in-kernel checks of the API items: each bit set in "failed" failed. */
struct mls_checks {
	__u64 anon_addr;	/* in: a private anonymous page, written by the caller */
	__u32 failed;		/* out: bits of MLS_CHECK_* that failed */
	__u32 ran;		/* out: bits of MLS_CHECK_* that ran */
};

#define MLS_IOC_CHECKS		_IOWR('|', 0x83, struct mls_checks)

#define MLS_CHECK_TRY_LOCK	0x001	/* Lock::try_lock */
#define MLS_CHECK_PAGE_NID	0x002	/* Page::nid */
#define MLS_CHECK_CRED		0x004	/* LocalFile::cred, Credential, Kuid */
#define MLS_CHECK_TRANSMUTE	0x008	/* kernel::transmute */
#define MLS_CHECK_PID		0x010	/* kernel::task::Pid */
#define MLS_CHECK_VEC		0x020	/* KVVec::clear and friends */
#define MLS_CHECK_TASK_WORK	0x040	/* bindings::init_task_work */
#define MLS_CHECK_VMA		0x080	/* lock_vma_under_rcu, vma aliases */
#define MLS_CHECK_USER_PTR	0x100	/* UserPtr */
#define MLS_CHECKS_ALL		0x1ff

#endif /* RUST_MAINLINE_SHAPE_H */
