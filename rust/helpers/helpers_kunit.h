/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Rust helpers have no header: bindgen reads their definitions directly.
 * The KUnit suites call them through their real symbols, as Rust does, so
 * they declare them here.  These must match rust/helpers/{mm,fs}.c.
 */
#ifndef _RUST_HELPERS_KUNIT_H
#define _RUST_HELPERS_KUNIT_H

#include <linux/types.h>

struct file;
struct mm_struct;
struct vm_area_struct;

/* rust/helpers/mm.c */
void rust_helper_mmgrab(struct mm_struct *mm);
void rust_helper_mmdrop(struct mm_struct *mm);
void rust_helper_mmget(struct mm_struct *mm);
bool rust_helper_mmget_not_zero(struct mm_struct *mm);
void rust_helper_mmap_read_lock(struct mm_struct *mm);
bool rust_helper_mmap_read_trylock(struct mm_struct *mm);
void rust_helper_mmap_read_unlock(struct mm_struct *mm);
struct vm_area_struct *rust_helper_vma_lookup(struct mm_struct *mm,
					      unsigned long addr);
void rust_helper_vma_end_read(struct vm_area_struct *vma);

/* rust/helpers/fs.c */
struct file *rust_helper_get_file(struct file *f);

#endif /* _RUST_HELPERS_KUNIT_H */
