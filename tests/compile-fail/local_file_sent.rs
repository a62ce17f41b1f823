// SPDX-License-Identifier: GPL-2.0
//! A `LocalFile` must not be used from another thread.
// expect: E0277
// expect-msg: cannot be sent between threads safely

use kernel::fs::LocalFile;
use kernel::types::ARef;

fn needs_send<T: Send>(_: T) {}

#[allow(dead_code)]
fn send_it(file: ARef<LocalFile>) {
    needs_send(file);
}
