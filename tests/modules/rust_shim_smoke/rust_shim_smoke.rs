// SPDX-License-Identifier: GPL-2.0

//! Out-of-tree Rust module that exercises the layer's abstractions in a real process.
//!
//! Built against the prepared tree with `make module M=tests/modules/rust_shim_smoke` and loaded
//! by the guest runner: `init` runs in the loading process (the guest's `/init`), so `current!()`
//! has an address space and an fd table, unlike the KUnit thread the doctests run in. Each check
//! that fails is logged and fails the load. It fills the fd table up to `RLIMIT_NOFILE` once, to
//! provoke `EMFILE`.

use kernel::{
    alloc::flags::GFP_KERNEL,
    bindings,
    error::code::{EBADF, EMFILE},
    fs::{
        file::{
            flags::O_CLOEXEC, BadFdError, DeferredFdCloseError, DeferredFdCloser,
            FileDescriptorReservation,
        },
        File, LocalFile,
    },
    mm::{Mm, MmWithUser},
    prelude::*,
    types::ARef,
};

module! {
    type: RustShimSmoke,
    name: "rust_shim_smoke",
    author: "rfl-shim developers",
    description: "Out-of-tree test of the rfl-shim Rust abstractions",
    license: "GPL",
}

struct RustShimSmoke;

macro_rules! check {
    ($cond:expr) => {
        if !$cond {
            pr_err!("check failed: {}\n", stringify!($cond));
            return Err(EINVAL);
        }
    };
}

fn check_mm(mm: &MmWithUser) -> Result {
    // What binder does on mmap: keep the process's mm without pinning its address space.
    let kept: ARef<Mm> = ARef::from(&**mm);
    check!(kept.as_raw() == mm.as_raw());

    // What binder does on send: upgrade, use, drop the user reference asynchronously.
    let user = kept.mmget_not_zero().ok_or(ESRCH)?;
    let user = MmWithUser::into_mmput_async(user);

    // SAFETY: `mm` is the current task's, alive while it is borrowed; `start_code` is set at
    // exec and only read here.
    let code = unsafe { (*mm.as_raw()).__bindgen_anon_1.start_code };
    {
        let guard = user.mmap_read_lock();
        let vma = guard.vma_lookup(code).ok_or(ENOENT)?;
        check!(vma.start() <= code && code < vma.end());
        check!(vma.flags() & kernel::mm::virt::flags::EXEC != 0);
        check!(vma.mm().as_raw() == mm.as_raw());
        check!(guard.vma_lookup(0).is_none());
    }
    check!(user.mmap_read_trylock().is_some());
    Ok(())
}

fn check_files() -> Result {
    // SAFETY: `filp_open` may be called in process context with a valid C string; it returns a
    // file with one reference, or an error pointer.
    let raw = unsafe { bindings::filp_open(c"/".as_ptr().cast(), bindings::O_RDONLY as _, 0) };
    // SAFETY: Only compares the pointer against the error range.
    if unsafe { bindings::IS_ERR(raw.cast()) } {
        return Err(ENOENT);
    }
    // SAFETY: `filp_open` returned a reference, which the `ARef` takes over.
    let file: ARef<File> = unsafe { ARef::from_raw(core::ptr::NonNull::new_unchecked(raw.cast())) };

    // Reserve, install, look up: the fd now holds its own reference.
    let reservation = FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC)?;
    let fd = reservation.reserved_fd();
    reservation.fd_install(file.clone());
    // SAFETY: Module init runs inside no `fdget_pos` region.
    let found: ARef<File> = unsafe { LocalFile::assume_no_fdget_pos(LocalFile::fget(fd)?) };
    check!(found.as_ptr() == file.as_ptr());
    let local: ARef<LocalFile> = LocalFile::fget(fd)?;
    check!(local.as_ptr() == file.as_ptr());
    drop((found, local));

    // Close it from inside this system call: the number is free at once.
    DeferredFdCloser::new(GFP_KERNEL)?
        .close_fd(fd)
        .map_err(Error::from)?;
    check!(matches!(LocalFile::fget(fd), Err(BadFdError)));

    // A second close of the same number: BadFd, which is EBADF.
    let err = DeferredFdCloser::new(GFP_KERNEL)?.close_fd(fd);
    check!(err == Err(DeferredFdCloseError::BadFd));
    check!(Error::from(DeferredFdCloseError::BadFd) == EBADF);

    // Reserving until the table is full: EMFILE, and dropping the reservations frees them all.
    let mut held = KVec::new();
    let full = loop {
        match FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC) {
            Ok(reservation) => held.push(reservation, GFP_KERNEL)?,
            Err(err) => break err,
        }
        // RLIMIT_NOFILE bounds this; give up rather than loop for ever if it does not.
        check!(held.len() < 1 << 20);
    };
    check!(full == EMFILE);
    check!(!held.is_empty());
    drop(held);
    check!(FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC).is_ok());

    // A reservation dropped unused gives its number back.
    let first = FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC)?;
    let n = first.reserved_fd();
    drop(first);
    check!(FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC)?.reserved_fd() == n);
    Ok(())
}

impl kernel::Module for RustShimSmoke {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let current = current!();
        let mm = current.mm().ok_or(ESRCH)?;
        check_mm(mm)?;
        check_files()?;
        pr_info!("mm and file abstractions work in a real process\n");
        Ok(RustShimSmoke)
    }
}

impl Drop for RustShimSmoke {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
