// SPDX-License-Identifier: GPL-2.0

//! Test-only Rust misc device: the layer's fd operations called from the contexts a driver
//! callback runs in besides a system call of its own process, driven by
//! `tests/guest/ctx_test.c` through the ioctls of `rust_ctx_test.h`.
//!
//! - `release` from the exit of the opener, after `exit_files()`: the task has no fd table.
//! - `release` from a kworker running a delayed `fput` (the last reference was put by a kernel
//!   thread), and a plain work item: the task is a kernel thread, sharing the kernel threads'
//!   table.
//! - `File::put_sync` from a kworker (the file is released before it returns) and from an ioctl
//!   (refused: a process releases its files on the way back to user space).
//!
//! Every probe must give a clean error there, touching no table. And a device registered from
//! the module's exit must be refused with `ENOENT`.

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use kernel::{
    alloc::flags::GFP_KERNEL,
    bindings, c_str,
    fs::{
        file::{flags::O_CLOEXEC, DeferredFdCloser, FileDescriptorReservation},
        File, LocalFile, ReleasingFile,
    },
    ioctl::{_IO, _IOC_SIZE, _IOR},
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    prelude::*,
    task::Task,
    types::ARef,
    uaccess::UserSlice,
    workqueue,
};

const CTX_IOC_ARM_EXIT: u32 = _IO(b'C' as u32, 1);
const CTX_IOC_KWORKER_RELEASE: u32 = _IO(b'C' as u32, 2);
const CTX_IOC_KWORKER_PROBE: u32 = _IO(b'C' as u32, 3);
const CTX_IOC_SYNC_PUT: u32 = _IO(b'C' as u32, 4);
const CTX_IOC_RESULTS: u32 = _IOR::<[i32; RESULT_WORDS]>(b'C' as u32, 5);

/// The slots of `struct ctx_results`.
const CTX_EXIT: usize = 0;
const CTX_KWORKER_RELEASE: usize = 1;
const CTX_KWORKER: usize = 2;
const CTX_SLOTS: usize = 3;
/// Words of one `struct ctx_probe`.
const PROBE_WORDS: usize = 6;
const RESULT_WORDS: usize = CTX_SLOTS * PROBE_WORDS + 2;
/// An fd number that no test process has open.
const CTX_PROBE_FD: u32 = 1000;

/// Per-open modes: what `release` does.
const MODE_NONE: i32 = 0;
const MODE_PROBE_EXIT: i32 = 1;
const MODE_PROBE_KWORKER: i32 = 2;

static PROBES: [[AtomicI32; PROBE_WORDS]; CTX_SLOTS] =
    [const { [const { AtomicI32::new(0) }; PROBE_WORDS] }; CTX_SLOTS];
static SYNC_PUT_RELEASED: AtomicI32 = AtomicI32::new(0);
static SYNC_PUT_REFUSED: AtomicI32 = AtomicI32::new(0);
static KWORKER_PROBED: AtomicBool = AtomicBool::new(false);
static SYNC_PUT_DONE: AtomicBool = AtomicBool::new(false);
static RELEASES: AtomicU64 = AtomicU64::new(0);

module! {
    type: RustCtxTestModule,
    name: "rust_ctx_test",
    author: "rfl-shim developers",
    description: "The layer's fd operations from release at exit, kworkers and kthreads",
    license: "GPL",
}

#[pin_data(PinnedDrop)]
struct RustCtxTestModule {
    #[pin]
    _miscdev: MiscDeviceRegistration<CtxFile>,
}

// The module's exit: registering a device now must be refused, as the module is going away and
// no operations table of it may outlive it. `tests/guest/kmsg_expect.c` reads the verdict.
#[pinned_drop]
impl PinnedDrop for RustCtxTestModule {
    fn drop(self: Pin<&mut Self>) {
        let again = KBox::pin_init(
            MiscDeviceRegistration::<CtxFile>::register(MiscDeviceOptions {
                name: c_str!("rust-ctx-test-going"),
            }),
            GFP_KERNEL,
        );
        match again {
            Err(err) if err == ENOENT => pr_info!("register_while_going=ENOENT\n"),
            Err(err) => pr_info!("register_while_going={:?}\n", err),
            Ok(_) => pr_info!("register_while_going=registered\n"),
        }
    }
}

impl kernel::InPlaceModule for RustCtxTestModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            _miscdev <- MiscDeviceRegistration::register(MiscDeviceOptions {
                name: c_str!("rust-ctx-test"),
            }),
        })
    }
}

/// The errno of a result, 0 for success.
fn errno<T>(result: Result<T>) -> i32 {
    match result {
        Ok(_) => 0,
        Err(err) => err.to_errno(),
    }
}

/// Whether the current task is a kernel thread.
fn in_kthread() -> bool {
    // SAFETY: Only the task itself changes its flags.
    unsafe { (*Task::current_raw()).flags & bindings::PF_KTHREAD != 0 }
}

/// Runs every fd operation of the layer here and records what it gave in slot `ctx`.
fn probe(ctx: usize) {
    let slot = &PROBES[ctx];
    slot[1].store(
        errno(LocalFile::fget(0).map_err(Error::from)),
        Ordering::Relaxed,
    );
    // A reservation that succeeds is given back at once.
    let reserve = FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC);
    slot[2].store(errno(reserve), Ordering::Relaxed);
    let close = match DeferredFdCloser::new(GFP_KERNEL) {
        Ok(closer) => errno(closer.close_fd(CTX_PROBE_FD).map_err(Error::from)),
        Err(_) => ENOMEM.to_errno(),
    };
    slot[3].store(close, Ordering::Relaxed);
    slot[4].store(current!().mm().is_some().into(), Ordering::Relaxed);
    slot[5].store(in_kthread().into(), Ordering::Relaxed);
    slot[0].store(1, Ordering::Release);
}

/// Waits up to five seconds for `cond`, sleeping in between; `EAGAIN` if it never came.
fn wait_for(cond: impl Fn() -> bool) -> Result {
    for _ in 0..500 {
        if cond() {
            return Ok(());
        }
        // SAFETY: Process context, no locks held.
        unsafe { bindings::msleep(10) };
    }
    Err(EAGAIN)
}

/// Opens this module's device from the current (kernel) thread.
fn open_own_device() -> Result<ARef<File>> {
    // SAFETY: `filp_open` may be called from process context with a valid string; it returns a
    // file with one reference or an error pointer.
    let raw = unsafe {
        bindings::filp_open(
            c"/dev/rust-ctx-test".as_ptr().cast(),
            bindings::O_RDWR as _,
            0,
        )
    };
    let raw = kernel::error::from_err_ptr(raw)?;
    // SAFETY: `filp_open` gave us the reference that the `ARef` now owns, and no `fdget_pos`
    // region of this thread covers a file that was never in an fd table.
    Ok(unsafe { ARef::from_raw(core::ptr::NonNull::new_unchecked(raw.cast())) })
}

/// `File::put_sync` of a file this kworker opened: released before it returns.
fn sync_put_in_kworker() {
    let released = match open_own_device() {
        Ok(file) => {
            let before = RELEASES.load(Ordering::Acquire);
            File::put_sync(file).is_ok() && RELEASES.load(Ordering::Acquire) == before + 1
        }
        Err(_) => false,
    };
    SYNC_PUT_RELEASED.store(released.into(), Ordering::Relaxed);
    SYNC_PUT_DONE.store(true, Ordering::Release);
}

/// The state of one open file.
struct CtxFile {
    mode: AtomicI32,
}

#[vtable]
impl MiscDevice for CtxFile {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        Ok(KBox::new(
            CtxFile {
                mode: AtomicI32::new(MODE_NONE),
            },
            GFP_KERNEL,
        )?)
    }

    fn release(me: KBox<Self>, _file: &ReleasingFile) {
        match me.mode.load(Ordering::Relaxed) {
            MODE_PROBE_EXIT => probe(CTX_EXIT),
            MODE_PROBE_KWORKER => probe(CTX_KWORKER_RELEASE),
            _ => (),
        }
        RELEASES.fetch_add(1, Ordering::Release);
    }

    fn ioctl(me: &CtxFile, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            CTX_IOC_ARM_EXIT => me.mode.store(MODE_PROBE_EXIT, Ordering::Relaxed),
            CTX_IOC_KWORKER_RELEASE => {
                me.mode.store(MODE_PROBE_KWORKER, Ordering::Relaxed);
                let file = ARef::from(file);
                // Put the reference once it is the last one (the caller closes its fd), so that
                // the release runs from the delayed fput of a kernel thread.
                workqueue::system().try_spawn(GFP_KERNEL, move || {
                    // SAFETY: `file` holds a reference, so the file is valid. The count is an
                    // atomic that other CPUs change: read it with `atomic_long_read` semantics.
                    let count = || unsafe {
                        core::ptr::addr_of!((*file.as_ptr()).f_count.counter).read_volatile()
                    };
                    let _ = wait_for(|| count() == 1);
                    drop(file);
                })?;
            }
            CTX_IOC_KWORKER_PROBE => {
                KWORKER_PROBED.store(false, Ordering::Relaxed);
                workqueue::system().try_spawn(GFP_KERNEL, || {
                    probe(CTX_KWORKER);
                    KWORKER_PROBED.store(true, Ordering::Release);
                })?;
                wait_for(|| KWORKER_PROBED.load(Ordering::Acquire))?;
            }
            CTX_IOC_SYNC_PUT => {
                // From a process: refused, the reference comes back untouched.
                let refused = File::put_sync(ARef::from(file)).is_err();
                SYNC_PUT_REFUSED.store(refused.into(), Ordering::Relaxed);
                SYNC_PUT_DONE.store(false, Ordering::Relaxed);
                workqueue::system().try_spawn(GFP_KERNEL, sync_put_in_kworker)?;
                wait_for(|| SYNC_PUT_DONE.load(Ordering::Acquire))?;
            }
            CTX_IOC_RESULTS => {
                let mut writer = UserSlice::new(arg, _IOC_SIZE(cmd)).writer();
                for slot in &PROBES {
                    for word in slot {
                        writer.write(&word.load(Ordering::Acquire))?;
                    }
                }
                writer.write(&SYNC_PUT_RELEASED.load(Ordering::Relaxed))?;
                writer.write(&SYNC_PUT_REFUSED.load(Ordering::Relaxed))?;
            }
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}
