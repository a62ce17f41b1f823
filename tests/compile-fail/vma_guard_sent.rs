// SPDX-License-Identifier: GPL-2.0
//! A per-vma read lock is released by the thread that took it: its guard stays on that thread.
// expect: E0277
// expect-msg: cannot be sent between threads safely

use kernel::mm::{MmWithUser, VmaReadGuard};

fn needs_send<T: Send>(_: T) {}

#[allow(dead_code)]
fn send_guard(mm: &MmWithUser) {
    if let Some(guard) = mm.lock_vma_under_rcu(0) {
        let guard: VmaReadGuard<'_> = guard;
        needs_send(guard);
    }
}
