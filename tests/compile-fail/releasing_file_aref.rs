// SPDX-License-Identifier: GPL-2.0
//! The file given to `release` has no references left: none can be taken from it.
// expect: E0277
// expect-msg: AlwaysRefCounted

use kernel::{fs::ReleasingFile, types::ARef};

#[allow(dead_code)]
fn resurrect(file: &ReleasingFile) -> ARef<ReleasingFile> {
    ARef::from(file)
}
