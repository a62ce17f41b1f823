// SPDX-License-Identifier: GPL-2.0

//! Microbenchmark of the layer's Rust abstractions against the C inlines they wrap.
//!
//! Loaded by the guest runner; prints the ns/op of each operation in C (`bench_c.c`, static
//! inlines) and in Rust (`ARef`; the Rust side calls the C helpers, inlined when
//! `CONFIG_RUST_INLINE_HELPERS` is set), and their ratio. Each figure is measured in `R`
//! rounds, C then Rust in every round, and printed as min/median/max over the rounds; the ratio
//! is computed per round and printed as the median and range of the per-round ratios.
//! Measurements only: it never fails on a figure.

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

/// Iterations of each operation, per side and round.
const N: u32 = 100_000;

/// Rounds per figure: odd, so that the median is one of them.
const R: usize = 7;

const _: () = assert!(R % 2 == 1);

/// The pairs, in the order `run` measures them.
const PAIRS: [&str; 4] = [
    "mmgrab+mmdrop vs ARef<Mm> clone+drop",
    "mmget_not_zero+mmput vs Mm::mmget_not_zero",
    "get_file+fput vs ARef<File> clone+drop",
    "current->mm mmgrab+mmdrop vs current!().mm()",
];

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

/// Picoseconds, displayed as nanoseconds with three decimals.
struct Ps(u64);

impl core::fmt::Display for Ps {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// Hundredths, displayed with two decimals.
struct Hundredths(u64);

impl core::fmt::Display for Hundredths {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The min, median and max of `v`.
fn min_med_max(mut v: [u64; R]) -> (u64, u64, u64) {
    // Insertion sort: `R` is a handful.
    for i in 1..R {
        let mut j = i;
        while j > 0 && v[j - 1] > v[j] {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
    (v[0], v[R / 2], v[R - 1])
}

/// The rounds of one pair: per-op picoseconds of each side, and the Rust/C ratio of each round
/// in hundredths.
#[derive(Clone, Copy)]
struct Figures {
    c: [u64; R],
    rust: [u64; R],
    ratio: [u64; R],
}

impl Figures {
    const ZERO: Self = Self {
        c: [0; R],
        rust: [0; R],
        ratio: [0; R],
    };

    /// Records `round`, in which `N` operations took `c_ns` in C and `rust_ns` in Rust.
    fn record(&mut self, round: usize, c_ns: u64, rust_ns: u64) {
        let per_op_ps = |t: u64| t * 1000 / u64::from(N);
        self.c[round] = per_op_ps(c_ns);
        self.rust[round] = per_op_ps(rust_ns);
        // From the totals, rounded to the nearest hundredth.
        let c_ns = c_ns.max(1);
        self.ratio[round] = (rust_ns * 100 + c_ns / 2) / c_ns;
    }

    fn report(&self, what: &str) {
        let (c_min, c_med, c_max) = min_med_max(self.c);
        let (r_min, r_med, r_max) = min_med_max(self.rust);
        let (q_min, q_med, q_max) = min_med_max(self.ratio);
        pr_info!(
            "{:<44}  C min/med/max {}/{}/{} ns  Rust min/med/max {}/{}/{} ns  \
             Rust/C median {} (min-max {}-{}) R={}\n",
            what,
            Ps(c_min),
            Ps(c_med),
            Ps(c_max),
            Ps(r_min),
            Ps(r_med),
            Ps(r_max),
            Hundredths(q_med),
            Hundredths(q_min),
            Hundredths(q_max),
            R
        );
    }
}

fn run(mm: &MmWithUser, file: &ARef<File>) {
    pr_info!(
        "{} rounds; in each, per pair, {} iterations in C then {} in Rust\n",
        R,
        N,
        N
    );

    let grabbed: ARef<Mm> = ARef::from(&**mm);
    let mut figures = [Figures::ZERO; PAIRS.len()];
    for round in 0..R {
        // SAFETY: `mm` is valid for the call; the function only grabs and drops references.
        let c = unsafe { bench_c_mmgrab_mmdrop(mm.as_raw().cast(), N) };
        let r = time(|| drop(black_box(grabbed.clone())));
        figures[0].record(round, c, r);

        // SAFETY: As above; `mm_users` is non-zero while `mm` is borrowed.
        let c = unsafe { bench_c_mmget_not_zero_mmput(mm.as_raw().cast(), N) };
        let r = time(|| drop(black_box(grabbed.mmget_not_zero())));
        figures[1].record(round, c, r);

        // SAFETY: `file` holds a reference for the whole call.
        let c = unsafe { bench_c_get_file_fput(file.as_ptr().cast(), N) };
        let r = time(|| drop(black_box(file.clone())));
        figures[2].record(round, c, r);

        // SAFETY: Called from process context, where `current->mm` is set.
        let c = unsafe { bench_c_current_mm_grab(N) };
        let r = time(|| {
            let current = current!();
            black_box(current.mm());
        });
        figures[3].record(round, c, r);
    }
    for (what, fig) in PAIRS.iter().zip(figures.iter()) {
        fig.report(what);
    }
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
