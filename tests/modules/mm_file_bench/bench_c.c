// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of mm_file_bench: the same operations as bench_rust.rs, with
 * the kernel's static inlines compiled in place.  Each function runs its
 * operation N times and returns the elapsed nanoseconds.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

#include "bench_c.h"

u64 bench_c_mmgrab_mmdrop(struct mm_struct *mm, u32 n)
{
	u64 t0 = ktime_get_ns();
	u32 i;

	for (i = 0; i < n; i++) {
		mmgrab(mm);
		mmdrop(mm);
	}
	return ktime_get_ns() - t0;
}

u64 bench_c_mmget_not_zero_mmput(struct mm_struct *mm, u32 n)
{
	u64 t0 = ktime_get_ns();
	u32 i;

	for (i = 0; i < n; i++)
		if (mmget_not_zero(mm))
			mmput(mm);
	return ktime_get_ns() - t0;
}

u64 bench_c_get_file_fput(struct file *file, u32 n)
{
	u64 t0 = ktime_get_ns();
	u32 i;

	for (i = 0; i < n; i++) {
		get_file(file);
		fput(file);
	}
	return ktime_get_ns() - t0;
}

/* What a driver without a borrow must do to hold current->mm for a while. */
u64 bench_c_current_mm_grab(u32 n)
{
	u64 t0 = ktime_get_ns();
	struct mm_struct *mm;
	u32 i;

	for (i = 0; i < n; i++) {
		mm = READ_ONCE(current->mm);
		mmgrab(mm);
		mmdrop(mm);
	}
	return ktime_get_ns() - t0;
}
