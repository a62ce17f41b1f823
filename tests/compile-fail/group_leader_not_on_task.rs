// SPDX-License-Identifier: GPL-2.0
//! Only the current task's group leader is known to stay: `group_leader()` is not on `Task`.
// expect: E0599
// expect-msg: no method named `group_leader` found

use kernel::{task::Task, types::ARef};

#[allow(dead_code)]
fn leader_pid(task: &ARef<Task>) -> i32 {
    task.group_leader().pid()
}
