// SPDX-License-Identifier: GPL-2.0
//! A vma borrowed from a per-vma read lock must not be used once the guard is gone.
// expect: E0505
// expect-msg: cannot move out of `guard` because it is borrowed

use kernel::mm::{virt::VmaRef, MmWithUser};

#[allow(dead_code)]
fn keep_vma(mm: &MmWithUser) -> usize {
    let Some(guard) = mm.lock_vma_under_rcu(0) else {
        return 0;
    };
    let vma: &VmaRef = &guard;
    drop(guard);
    vma.start()
}
