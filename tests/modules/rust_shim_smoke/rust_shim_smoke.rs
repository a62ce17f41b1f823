// SPDX-License-Identifier: GPL-2.0

//! Out-of-tree Rust module that uses the layer's mm and file helpers.
//!
//! It is built against the prepared tree with `make module M=tests/modules/rust_shim_smoke`
//! and loaded by the guest runner. Loading proves that a module links against the helpers
//! (they are exported to modules); `init` then checks them on the loading task's own `mm` and
//! fails the load if one misbehaves.

use kernel::bindings;
use kernel::prelude::*;

module! {
    type: RustShimSmoke,
    name: "rust_shim_smoke",
    author: "rfl-shim developers",
    description: "Out-of-tree smoke test of the rfl-shim helpers",
    license: "GPL",
}

struct RustShimSmoke;

/// Checks the mm helpers on `mm`, the address space of the loading task.
///
/// # Safety
///
/// `mm` must be `current->mm` of a task that is still using it.
unsafe fn check_mm(mm: *mut bindings::mm_struct) -> Result {
    // SAFETY: `mm` is in use by the current task (the caller's contract), so
    // both `mm_count` and `mm_users` are non-zero and may be incremented.
    unsafe { bindings::mmgrab(mm) };
    // SAFETY: As above; `mmget_not_zero` may be called on any mm whose
    // `mm_count` we hold, which the `mmgrab` just above guarantees.
    let user = unsafe { bindings::mmget_not_zero(mm) };
    if user {
        // SAFETY: `mmget_not_zero` succeeded, so we own an `mm_users` reference.
        unsafe { bindings::mmput(mm) };
    }
    // SAFETY: We own the `mm_count` reference taken by `mmgrab` above.
    unsafe { bindings::mmdrop(mm) };
    if !user {
        pr_err!("mmget_not_zero failed on a live mm\n");
        return Err(EINVAL);
    }

    // SAFETY: `mm` is valid (the caller's contract); a read lock may be taken
    // in process context.
    if !unsafe { bindings::mmap_read_trylock(mm) } {
        // Someone else writes the address space right now: take it the slow way.
        // SAFETY: As above.
        unsafe { bindings::mmap_read_lock(mm) };
    }
    // SAFETY: We hold the mmap read lock, as `vma_lookup` requires; page zero is
    // never mapped for a process, so a lookup there finds nothing.
    let vma = unsafe { bindings::vma_lookup(mm, 0) };
    // SAFETY: We hold the read lock taken above.
    unsafe { bindings::mmap_read_unlock(mm) };
    if !vma.is_null() {
        pr_err!("vma_lookup found a mapping at address 0\n");
        return Err(EINVAL);
    }
    Ok(())
}

impl kernel::Module for RustShimSmoke {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: `get_current` may be called from any context.
        let task = unsafe { bindings::get_current() };
        // SAFETY: `task` is the current task, valid for the whole call; its `mm`
        // field only changes on `exec` or exit, neither of which can run now.
        let mm = unsafe { (*task).mm };
        if mm.is_null() {
            pr_err!("loaded from a task without an mm\n");
            return Err(EINVAL);
        }
        // SAFETY: `mm` is `current->mm`, in use by the current task.
        unsafe { check_mm(mm) }?;
        pr_info!("mm helpers work from an out-of-tree module\n");
        Ok(RustShimSmoke)
    }
}

impl Drop for RustShimSmoke {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
