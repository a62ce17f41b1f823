// SPDX-License-Identifier: GPL-2.0
//! The mmap read lock is released by the thread that took it: its guard stays on that thread.
// expect: E0277
// expect-msg: cannot be sent between threads safely

use kernel::mm::{MmWithUser, MmapReadGuard};

fn needs_send<T: Send>(_: T) {}

#[allow(dead_code)]
fn send_guard(mm: &MmWithUser) {
    let guard: MmapReadGuard<'_> = mm.mmap_read_lock();
    needs_send(guard);
}
