// SPDX-License-Identifier: GPL-2.0
//! There is no safe `File::fget`: the `fdget_pos` proof is the caller's, in an `unsafe` block.
// expect: E0599
// expect-msg: no function or associated item named `fget` found

use kernel::{fs::File, types::ARef};

#[allow(dead_code)]
fn lookup(fd: u32) -> Option<ARef<File>> {
    File::fget(fd).ok()
}
