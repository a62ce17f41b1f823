// SPDX-License-Identifier: GPL-2.0
//! A borrow of `current->mm` must not leave the function that called `current!()`.
// expect: E0515|E0716

use kernel::mm::MmWithUser;
use kernel::prelude::*;

#[allow(dead_code)]
fn escape() -> Option<&'static MmWithUser> {
    current!().mm()
}
