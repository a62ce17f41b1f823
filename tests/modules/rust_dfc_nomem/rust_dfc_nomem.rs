// SPDX-License-Identifier: GPL-2.0

//! Out-of-tree Rust module: `DeferredFdCloser::new` when the closer cannot be allocated.
//!
//! The guest plan arms failslab on the `deferred_fd_closer` cache for one allocation before
//! loading this module: `init` must then get `AllocError`, and a second closer must allocate.

use kernel::{alloc::flags::GFP_KERNEL, fs::file::DeferredFdCloser, prelude::*};

module! {
    type: RustDfcNomem,
    name: "rust_dfc_nomem",
    author: "rfl-shim developers",
    description: "DeferredFdCloser allocation failure",
    license: "GPL",
}

struct RustDfcNomem;

impl kernel::Module for RustDfcNomem {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        if DeferredFdCloser::new(GFP_KERNEL).is_ok() {
            pr_err!("DeferredFdCloser::new succeeded under failslab\n");
            return Err(EINVAL);
        }
        // Only one allocation was made to fail; drop the closer unused.
        drop(DeferredFdCloser::new(GFP_KERNEL)?);
        pr_info!("DeferredFdCloser::new reported the allocation failure\n");
        Ok(RustDfcNomem)
    }
}
