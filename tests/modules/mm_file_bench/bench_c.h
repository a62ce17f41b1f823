/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C side of mm_file_bench, called from bench_rust.rs: each function runs
 * its operation N times and returns the elapsed nanoseconds.
 */
#ifndef _MM_FILE_BENCH_C_H
#define _MM_FILE_BENCH_C_H

#include <linux/types.h>

struct file;
struct mm_struct;

u64 bench_c_mmgrab_mmdrop(struct mm_struct *mm, u32 n);
u64 bench_c_mmget_not_zero_mmput(struct mm_struct *mm, u32 n);
u64 bench_c_get_file_fput(struct file *file, u32 n);
u64 bench_c_current_mm_grab(u32 n);

#endif /* _MM_FILE_BENCH_C_H */
