// SPDX-License-Identifier: GPL-2.0
//! A fd reservation belongs to the task that made it.
// expect: E0277
// expect-msg: cannot be sent between threads safely

use kernel::fs::file::FileDescriptorReservation;

fn needs_send<T: Send>(_: T) {}

#[allow(dead_code)]
fn send_it(res: FileDescriptorReservation) {
    needs_send(res);
}
