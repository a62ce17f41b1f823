// SPDX-License-Identifier: GPL-2.0

//! Microbenchmark of the layer's Rust abstractions against the C inlines they wrap.
//!
//! Loaded by the guest runner; prints, side by side from one run, the ns/op of each operation
//! in C (`bench_c.c`, static inlines) and in Rust (`ARef`, through the out-of-line helpers),
//! and their ratio. Measurements only: it never fails on a figure.

use core::{ffi::c_void, hint::black_box};
use kernel::{
    bindings,
    fs::File,
    mm::{Mm, MmWithUser},
    prelude::*,
    types::ARef,
};

module! {
    type: MmFileBench,
    name: "mm_file_bench",
    author: "rfl-shim developers",
    description: "Rust mm and file abstractions against C inlines",
    license: "GPL",
}

// In `bench_c.c`. The pointers are `struct mm_struct *` and `struct file *`; they are passed as
// `c_void` because bindgen's versions of those structs are not FFI-safe by rustc's lint.
extern "C" {
    fn bench_c_mmgrab_mmdrop(mm: *mut c_void, n: u32) -> u64;
    fn bench_c_mmget_not_zero_mmput(mm: *mut c_void, n: u32) -> u64;
    fn bench_c_get_file_fput(file: *mut c_void, n: u32) -> u64;
    fn bench_c_current_mm_grab(n: u32) -> u64;
}

const N: u32 = 200_000;

fn now() -> u64 {
    // SAFETY: `ktime_get` may be called from any context; it returns monotonic nanoseconds.
    let ns = unsafe { bindings::ktime_get() };
    ns as u64
}

fn time(mut op: impl FnMut()) -> u64 {
    let t0 = now();
    for _ in 0..N {
        op();
    }
    now() - t0
}

fn report(what: &str, c_ns: u64, rust_ns: u64) {
    let per = |t: u64| t * 1000 / u64::from(N);
    let (c, r) = (per(c_ns), per(rust_ns));
    // Ratio in hundredths, from the totals.
    let ratio = rust_ns * 100 / c_ns.max(1);
    pr_info!(
        "{:<44} C {:>4}.{:03} ns/op  Rust {:>4}.{:03} ns/op  Rust/C {}.{:02}\n",
        what,
        c / 1000,
        c % 1000,
        r / 1000,
        r % 1000,
        ratio / 100,
        ratio % 100
    );
}

fn run(mm: &MmWithUser, file: &ARef<File>) {
    pr_info!("{} iterations each, C and Rust side by side\n", N);

    let grabbed: ARef<Mm> = ARef::from(&**mm);
    // SAFETY: `mm` is valid for the call; the function only grabs and drops references.
    let c = unsafe { bench_c_mmgrab_mmdrop(mm.as_raw().cast(), N) };
    let r = time(|| drop(black_box(grabbed.clone())));
    report("mmgrab+mmdrop vs ARef<Mm> clone+drop", c, r);

    // SAFETY: As above; `mm_users` is non-zero while `mm` is borrowed.
    let c = unsafe { bench_c_mmget_not_zero_mmput(mm.as_raw().cast(), N) };
    let r = time(|| drop(black_box(grabbed.mmget_not_zero())));
    report("mmget_not_zero+mmput vs Mm::mmget_not_zero", c, r);

    // SAFETY: `file` holds a reference for the whole call.
    let c = unsafe { bench_c_get_file_fput(file.as_ptr().cast(), N) };
    let r = time(|| drop(black_box(file.clone())));
    report("get_file+fput vs ARef<File> clone+drop", c, r);

    // SAFETY: Called from process context, where `current->mm` is set.
    let c = unsafe { bench_c_current_mm_grab(N) };
    let r = time(|| {
        let current = current!();
        black_box(current.mm());
    });
    report("current->mm mmgrab+mmdrop vs current!().mm()", c, r);
}

struct MmFileBench;

impl kernel::Module for MmFileBench {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let current = current!();
        let mm = current.mm().ok_or(ESRCH)?;
        // SAFETY: `filp_open` may be called in process context with a valid C string; it returns
        // a file with one reference, or an error pointer.
        let raw = unsafe { bindings::filp_open(c"/".as_ptr().cast(), bindings::O_RDONLY as _, 0) };
        // SAFETY: Only compares the pointer against the error range.
        if unsafe { bindings::IS_ERR(raw.cast()) } {
            return Err(ENOENT);
        }
        // SAFETY: `raw` is a valid file whose reference we hand to the `ARef`.
        let file: ARef<File> =
            unsafe { ARef::from_raw(core::ptr::NonNull::new_unchecked(raw.cast())) };
        run(mm, &file);
        Ok(MmFileBench)
    }
}
