// SPDX-License-Identifier: GPL-2.0
//! A vma borrowed under the mmap read lock must not outlive the lock guard.
// expect: E0597
// expect-msg: `guard` does not live long enough

use kernel::mm::{virt::VmaRef, MmWithUser};

#[allow(dead_code)]
fn keep_vma(mm: &MmWithUser) -> usize {
    let vma: &VmaRef;
    {
        let guard = mm.mmap_read_lock();
        match guard.vma_lookup(0) {
            Some(found) => vma = found,
            None => return 0,
        }
    }
    vma.start()
}
