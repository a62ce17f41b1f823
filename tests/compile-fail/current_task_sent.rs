// SPDX-License-Identifier: GPL-2.0
//! A `&CurrentTask` must not be sent to another thread.
// expect: E0277
// expect-msg: between threads safely

use kernel::task::CurrentTask;

fn needs_send<T: Send>(_: T) {}

#[allow(dead_code)]
fn send_it() {
    let current: &CurrentTask = kernel::current!();
    needs_send(current);
}
