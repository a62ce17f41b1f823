// SPDX-License-Identifier: GPL-2.0

//! Miscdevice support.
//!
//! A misc device is a character device with a dynamically allocated minor under the misc major,
//! appearing as `/dev/<name>`. Implement [`MiscDevice`] for the per-open state of the device and
//! keep a [`MiscDeviceRegistration`] alive for as long as the device should exist.
//!
//! # Lifetimes
//!
//! - [`MiscDevice::open`] creates the per-open state; [`MiscDevice::release`] gets it back exactly
//!   once, from the last `fput()` of the open file: not on `close()` of one of several
//!   descriptors for it, not while a `poll`, `ioctl` or `mmap` call or a mapping still holds the
//!   file. Wait queues that `poll` registers must live in the per-open state (or longer); epoll
//!   entries are removed before `release` runs, and a [`PollCondVar`] that is dropped in `release`
//!   also tells any other waiter to go away (`POLLFREE`).
//! - A module's open files keep that module loaded: the operations table gets `.owner` set to the
//!   module it lives in (through `fops_with_owner()`), as `.owner = THIS_MODULE` does in C.
//!
//! C header: [`include/linux/miscdevice.h`](srctree/include/linux/miscdevice.h)
//!
//! [`PollCondVar`]: crate::sync::poll::PollCondVar

use crate::{
    bindings, build_error,
    device::Device,
    error::{from_err_ptr, to_result, Error, Result, VTABLE_DEFAULT_ERROR},
    ffi::{c_int, c_long, c_uint, c_ulong},
    fs::{File, Kiocb, ReleasingFile},
    init::{self, PinInit},
    iov::{IovIterDest, IovIterSource},
    mm::virt::VmaNew,
    prelude::*,
    seq_file::SeqFile,
    str::CStr,
    sync::poll::PollTable,
    types::{ForeignOwnable, Opaque},
};
use core::{marker::PhantomData, mem::MaybeUninit};

/// Options for creating a misc device.
#[derive(Copy, Clone)]
pub struct MiscDeviceOptions {
    /// The name of the miscdevice, and of its node in `/dev`.
    pub name: &'static CStr,
}

impl MiscDeviceOptions {
    /// Create a raw `struct miscdevice` ready for registration.
    pub const fn into_raw<T: MiscDevice>(self) -> bindings::miscdevice {
        // SAFETY: All zeros is valid for this C type.
        let mut result: bindings::miscdevice = unsafe { MaybeUninit::zeroed().assume_init() };
        result.minor = bindings::MISC_DYNAMIC_MINOR as _;
        result.name = self.name.as_char_ptr();
        result.fops = create_vtable::<T>();
        result
    }
}

/// A registration of a miscdevice.
///
/// # Invariants
///
/// `inner` is a registered misc device, with the operations of `T`.
#[repr(transparent)]
#[pin_data(PinnedDrop)]
pub struct MiscDeviceRegistration<T> {
    #[pin]
    inner: Opaque<bindings::miscdevice>,
    _t: PhantomData<T>,
}

// SAFETY: It is allowed to call `misc_deregister` on a different thread from where you called
// `misc_register`.
unsafe impl<T> Send for MiscDeviceRegistration<T> {}
// SAFETY: All `&self` methods on this type are written to ensure that it is safe to call them in
// parallel.
unsafe impl<T> Sync for MiscDeviceRegistration<T> {}

impl<T: MiscDevice> MiscDeviceRegistration<T> {
    /// Register a misc device.
    ///
    /// Fails with `ENOMEM` if the owned copy of the operations table cannot be allocated, and
    /// with the error of `misc_register()` otherwise (`EBUSY` when no minor is left, `EEXIST`
    /// for a name already in use).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::{
    ///     c_str, dev_info,
    ///     fs::File,
    ///     miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    /// };
    ///
    /// struct Nothing;
    ///
    /// #[vtable]
    /// impl MiscDevice for Nothing {
    ///     type Ptr = KBox<Self>;
    ///
    ///     fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
    ///         Ok(KBox::new(Nothing, GFP_KERNEL)?)
    ///     }
    /// }
    ///
    /// let options = MiscDeviceOptions { name: c_str!("rust-doctest-misc") };
    /// let reg = KBox::pin_init(MiscDeviceRegistration::<Nothing>::register(options), GFP_KERNEL)?;
    /// // SAFETY: `reg` is registered, so its `struct miscdevice` is valid.
    /// let minor = unsafe { (*reg.as_raw()).minor };
    /// assert!(minor != kernel::bindings::MISC_DYNAMIC_MINOR as i32);
    /// dev_info!(reg.device(), "registered with minor {}\n", minor);
    ///
    /// // Only the hooks `Nothing` implements are in its `file_operations`.
    /// // SAFETY: A registered device has valid operations.
    /// let fops = unsafe { &*(*reg.as_raw()).fops };
    /// assert!(fops.open.is_some() && fops.release.is_some());
    /// assert!(fops.unlocked_ioctl.is_none() && fops.mmap.is_none() && fops.poll.is_none());
    ///
    /// // Dropping the registration frees the name and the minor for the next one.
    /// drop(reg);
    /// let again = KBox::pin_init(MiscDeviceRegistration::<Nothing>::register(options), GFP_KERNEL);
    /// assert!(again.is_ok());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn register(opts: MiscDeviceOptions) -> impl PinInit<Self, Error> {
        let inner = move |slot: *mut Opaque<bindings::miscdevice>| {
            let mut raw = opts.into_raw::<T>();
            // SAFETY: `raw.fops` is the static operations table of `T`, which is never written.
            // This function is called by the code that instantiated `T`'s table (the registering
            // module), which is loaded while it runs.
            let fops = unsafe { bindings::fops_with_owner(raw.fops) };
            raw.fops = from_err_ptr(fops.cast_mut())?;

            let misc = Opaque::raw_get(slot);
            // SAFETY: `slot` is valid for writes by the contract of `pin_init_from_closure`.
            unsafe { misc.write(raw) };
            // SAFETY: `misc` is initialised and pinned: it is deregistered by the destructor
            // before its memory goes away. `raw.name` is `'static`.
            to_result(unsafe { bindings::misc_register(misc) })
        };

        try_pin_init!(Self {
            // SAFETY: On success the closure has fully initialised and registered the slot; on
            // failure it has registered nothing, and an `Opaque` needs no cleanup.
            inner <- unsafe { init::pin_init_from_closure(inner) },
            _t: PhantomData,
        })
    }

    /// Returns a raw pointer to the misc device.
    pub fn as_raw(&self) -> *mut bindings::miscdevice {
        self.inner.get()
    }

    /// Access the `this_device` field.
    pub fn device(&self) -> &Device {
        // SAFETY: This can only be called after a successful register(), which always
        // initialises `this_device` with a valid device. Furthermore, the device stays valid
        // until the registration is dropped, which cannot happen while `&self` exists.
        unsafe { Device::as_ref((*self.as_raw()).this_device) }
    }
}

#[pinned_drop]
impl<T> PinnedDrop for MiscDeviceRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: We know that the device is registered by the type invariants.
        unsafe { bindings::misc_deregister(self.inner.get()) };
    }
}

/// Trait implemented by the private data of an open misc device.
///
/// Only the operations that an implementation defines are put in its `file_operations`; the
/// others get the VFS's default behaviour (`ENOTTY` for `ioctl`, `ENODEV` for `mmap`, always
/// ready and not usable with epoll for `poll`).
#[vtable]
pub trait MiscDevice: Sized {
    /// What kind of pointer should `Self` be wrapped in.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Called when the misc device is opened.
    ///
    /// The returned pointer will be stored as the private data for the file.
    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Self::Ptr>;

    /// Called when the misc device is released: once, on the last `fput()` of the file.
    ///
    /// The file's last reference is already gone, so it comes as a [`ReleasingFile`], of which
    /// no new reference can be taken. (Mainline passes a `&File` here, whose `ARef::from` would
    /// resurrect a file being freed; an implementation written for mainline changes the type of
    /// the second parameter and nothing else.)
    ///
    /// This may run in the task that closed the file, in an exiting task after its fd table is
    /// gone, in a kworker (the last reference was put by a kernel thread) or in an io_uring
    /// worker: the fd operations of [`kernel::fs::file`] fail cleanly where the task has no fd
    /// table of its own, and [`current!()`]'s `mm()` is `None` once the address space is gone.
    ///
    /// [`kernel::fs::file`]: crate::fs::file
    /// [`current!()`]: crate::current
    fn release(device: Self::Ptr, _file: &ReleasingFile) {
        drop(device);
    }

    /// Handle for mmap.
    ///
    /// Called when a mapping of the file is created, with the mmap lock of the caller's address
    /// space held for writing. The vma is not yet visible to anyone else: this is the time to
    /// set up its flags (see [`VmaNew`]). Returning an error fails the `mmap()` call.
    fn mmap(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _vma: &VmaNew,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Handle for poll: register wait queues in `table` and return the current event mask
    /// (`EPOLLIN` and friends from `uapi`). An error is reported to the caller as `EPOLLERR`.
    fn poll(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _table: PollTable<'_>,
    ) -> Result<u32> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Read from this miscdevice: copy to `iov` and move `kiocb.ki_pos_mut()` on; returns the
    /// number of bytes read.
    ///
    /// This runs inside the `fdget_pos()` region of the file, which is why it gets no `&File`
    /// ([`Kiocb::file`] borrows the driver's state).
    fn read_iter(_kiocb: Kiocb<'_, Self::Ptr>, _iov: &mut IovIterDest<'_>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Write to this miscdevice: copy from `iov` and move `kiocb.ki_pos_mut()` on; returns the
    /// number of bytes written.
    ///
    /// This runs inside the `fdget_pos()` region of the file, which is why it gets no `&File`
    /// ([`Kiocb::file`] borrows the driver's state).
    fn write_iter(_kiocb: Kiocb<'_, Self::Ptr>, _iov: &mut IovIterSource<'_>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Handler for ioctls.
    ///
    /// The `cmd` argument is usually manipulated using the utilties in [`kernel::ioctl`].
    ///
    /// [`kernel::ioctl`]: mod@crate::ioctl
    fn ioctl(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _cmd: u32,
        _arg: usize,
    ) -> Result<isize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Handler for ioctls.
    ///
    /// Used for 32-bit userspace on 64-bit platforms.
    ///
    /// This method is optional and only needs to be provided if the ioctl relies on structures
    /// that have different layout on 32-bit and 64-bit userspace. If no implementation is
    /// provided, then `compat_ptr_ioctl` will be used instead.
    #[cfg(CONFIG_COMPAT)]
    fn compat_ioctl(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _cmd: u32,
        _arg: usize,
    ) -> Result<isize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Show info for this fd in `/proc/<pid>/fdinfo/<fd>`, with [`seq_print!`].
    ///
    /// [`seq_print!`]: crate::seq_print
    fn show_fdinfo(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _m: &SeqFile,
        _file: &File,
    ) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

const fn create_vtable<T: MiscDevice>() -> &'static bindings::file_operations {
    const fn maybe_fn<T: Copy>(check: bool, func: T) -> Option<T> {
        if check {
            Some(func)
        } else {
            None
        }
    }

    struct VtableHelper<T: MiscDevice> {
        _t: PhantomData<T>,
    }
    impl<T: MiscDevice> VtableHelper<T> {
        const VTABLE: bindings::file_operations = bindings::file_operations {
            open: Some(fops_open::<T>),
            release: Some(fops_release::<T>),
            mmap: maybe_fn(T::HAS_MMAP, fops_mmap::<T>),
            read_iter: maybe_fn(T::HAS_READ_ITER, fops_read_iter::<T>),
            write_iter: maybe_fn(T::HAS_WRITE_ITER, fops_write_iter::<T>),
            show_fdinfo: maybe_fn(T::HAS_SHOW_FDINFO, fops_show_fdinfo::<T>),
            poll: maybe_fn(T::HAS_POLL, fops_poll::<T>),
            unlocked_ioctl: maybe_fn(T::HAS_IOCTL, fops_ioctl::<T>),
            #[cfg(CONFIG_COMPAT)]
            compat_ioctl: if T::HAS_COMPAT_IOCTL {
                Some(fops_compat_ioctl::<T>)
            } else if T::HAS_IOCTL {
                Some(bindings::compat_ptr_ioctl)
            } else {
                None
            },
            // SAFETY: All zeros is a valid value for `bindings::file_operations`.
            ..unsafe { MaybeUninit::zeroed().assume_init() }
        };
    }

    &VtableHelper::<T>::VTABLE
}

/// # Safety
///
/// `file` and `inode` must be the file and inode for a file that is undergoing initialization.
/// The file must be associated with a `MiscDeviceRegistration<T>`.
unsafe extern "C" fn fops_open<T: MiscDevice>(
    inode: *mut bindings::inode,
    raw_file: *mut bindings::file,
) -> c_int {
    // SAFETY: The pointers are valid and for a file being opened.
    let ret = unsafe { bindings::generic_file_open(inode, raw_file) };
    if ret != 0 {
        return ret;
    }

    // SAFETY: The open call of a file can access the private data.
    let misc_ptr = unsafe { (*raw_file).private_data };

    // SAFETY: This is a miscdevice, so `misc_open()` set the private data to the `struct
    // miscdevice` before calling into this method. Only `MiscDeviceRegistration<T>` registers
    // misc devices with `T`'s operations, and that type is a transparent wrapper of its `struct
    // miscdevice`. `misc_open()` holds `misc_mtx`, so the registration cannot be dropped (its
    // `misc_deregister()` takes the same mutex) until we return.
    let misc = unsafe { &*misc_ptr.cast::<MiscDeviceRegistration<T>>() };

    // SAFETY:
    // * The file is valid for the duration of this call.
    // * There is no active fdget_pos region on the file on this thread.
    let file = unsafe { File::from_raw_file(raw_file) };

    let ptr = match T::open(file, misc) {
        Ok(ptr) => ptr,
        Err(err) => return err.to_errno(),
    };

    // This overwrites the private data with the value specified by the user, changing the type
    // of this file's private data. All future accesses to the private data are performed by
    // other fops_* methods in this file, which all correctly cast the private data to the new
    // type.
    //
    // SAFETY: The open call of a file can access the private data.
    unsafe { (*raw_file).private_data = ptr.into_foreign().cast_mut() };

    0
}

/// # Safety
///
/// `file` and `inode` must be the file and inode for a file that is being released. The file
/// must be associated with a `MiscDeviceRegistration<T>`.
unsafe extern "C" fn fops_release<T: MiscDevice>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: The release call of a file owns the private data.
    let private = unsafe { (*file).private_data };
    // SAFETY: The release call of a file owns the private data, which `fops_open` set to a value
    // from `T::Ptr::into_foreign`; this is the only call to `from_foreign` for it.
    let ptr = unsafe { <T::Ptr as ForeignOwnable>::from_foreign(private) };

    // SAFETY: This is the file's `release` operation, running on this thread for the duration
    // of the call.
    T::release(ptr, unsafe { ReleasingFile::from_raw_file(file) });

    0
}

/// Calls `f` with the state of an open file of `T`, and the file.
///
/// # Safety
///
/// `file` must be a valid file that is associated with a `MiscDeviceRegistration<T>`, held by
/// the caller (a file operation other than `open` and `release`) for the duration of the call.
unsafe fn with_open<T: MiscDevice, R>(
    file: *mut bindings::file,
    f: impl FnOnce(<T::Ptr as ForeignOwnable>::Borrowed<'_>, &File) -> R,
) -> R {
    // SAFETY: A file operation of a file can access the private data.
    let private = unsafe { (*file).private_data };
    // SAFETY: This is a Rust misc device, so `fops_open` set the private data; `fops_release`
    // cannot run while the caller holds the file.
    let device = unsafe { <T::Ptr as ForeignOwnable>::borrow(private) };
    // SAFETY:
    // * The file is valid for the duration of this call.
    // * There is no active fdget_pos region on the file on this thread.
    let file = unsafe { File::from_raw_file(file) };

    f(device, file)
}

/// # Safety
///
/// `file` must be a valid file that is associated with a `MiscDeviceRegistration<T>`. `vma`
/// must be a vma being set up by an `mmap()` of that file, with the mmap lock held for writing.
unsafe extern "C" fn fops_mmap<T: MiscDevice>(
    file: *mut bindings::file,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    // SAFETY: The vma is being set up under the mmap write lock, and is not shared with anyone
    // until this call returns.
    let area = unsafe { VmaNew::from_raw(vma) };

    // SAFETY: The `mmap()` call holds the file, which belongs to a `T` by the caller's guarantee.
    match unsafe { with_open::<T, _>(file, |device, file| T::mmap(device, file, area)) } {
        Ok(()) => 0,
        Err(err) => err.to_errno(),
    }
}

/// # Safety
///
/// `file` must be a valid file that is associated with a `MiscDeviceRegistration<T>`. `table`
/// must be null or the `poll_table` of the ongoing `poll` call.
unsafe extern "C" fn fops_poll<T: MiscDevice>(
    file: *mut bindings::file,
    table: *mut bindings::poll_table,
) -> bindings::__poll_t {
    // SAFETY: `table` is null (the caller will not wait) or the table of this call, valid for
    // the duration of the call.
    let table = unsafe { PollTable::from_raw(table) };

    // SAFETY: The `poll` call holds the file, which belongs to a `T` by the caller's guarantee.
    match unsafe { with_open::<T, _>(file, |device, file| T::poll(device, file, table)) } {
        Ok(mask) => mask as bindings::__poll_t,
        Err(_) => bindings::POLLERR as bindings::__poll_t,
    }
}

/// Maps the result of a `read_iter` or `write_iter` handler to what the VFS expects.
///
/// Two values must never reach it from a synchronous handler: `-EIOCBQUEUED`, which says that
/// the IO completes later (the synchronous paths `BUG()` on it, aio and io_uring would wait for a
/// completion that never comes), and a count that does not fit an `isize` (it would read as an
/// error code, that one included). Both become `EIO`.
fn iter_result(result: Result<usize>) -> isize {
    let queued = -(bindings::EIOCBQUEUED as i32);
    match result {
        Ok(count) => isize::try_from(count).unwrap_or(EIO.to_errno() as isize),
        Err(err) if err.to_errno() == queued => EIO.to_errno() as isize,
        Err(err) => err.to_errno() as isize,
    }
}

/// # Safety
///
/// `kiocb` must be the `kiocb` of a `read_iter` call on a file associated with a
/// `MiscDeviceRegistration<T>`, and `iter` its `ITER_DEST` `iov_iter`.
unsafe extern "C" fn fops_read_iter<T: MiscDevice>(
    kiocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: The read holds the file, whose private data `fops_open` set to a `T::Ptr`, for the
    // duration of this call, and the `kiocb` is this call's alone.
    let kiocb = unsafe { Kiocb::from_raw(kiocb) };
    // SAFETY: `iter` is the destination of this read, used by nothing else during the call.
    let iov = unsafe { IovIterDest::from_raw(iter) };

    iter_result(T::read_iter(kiocb, iov))
}

/// # Safety
///
/// `kiocb` must be the `kiocb` of a `write_iter` call on a file associated with a
/// `MiscDeviceRegistration<T>`, and `iter` its `ITER_SOURCE` `iov_iter`.
unsafe extern "C" fn fops_write_iter<T: MiscDevice>(
    kiocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: The write holds the file, whose private data `fops_open` set to a `T::Ptr`, for
    // the duration of this call, and the `kiocb` is this call's alone.
    let kiocb = unsafe { Kiocb::from_raw(kiocb) };
    // SAFETY: `iter` is the source of this write, used by nothing else during the call.
    let iov = unsafe { IovIterSource::from_raw(iter) };

    iter_result(T::write_iter(kiocb, iov))
}

/// # Safety
///
/// `seq_file` must be the `seq_file` of a `/proc/<pid>/fdinfo/<fd>` read, and `file` a valid file
/// that is associated with a `MiscDeviceRegistration<T>`, held for the duration of the call.
unsafe extern "C" fn fops_show_fdinfo<T: MiscDevice>(
    seq_file: *mut bindings::seq_file,
    file: *mut bindings::file,
) {
    // SAFETY: The `seq_file` is this read's, used only by this thread during the call.
    let m = unsafe { SeqFile::from_raw(seq_file) };

    // SAFETY: The fdinfo read holds the file (it took a reference from the task's table), which
    // belongs to a `T` by the caller's guarantee.
    unsafe { with_open::<T, _>(file, |device, file| T::show_fdinfo(device, m, file)) };
}

/// Maps the result of an ioctl handler to what the VFS expects.
fn ioctl_result(result: Result<isize>) -> c_long {
    match result {
        Ok(ret) => ret as c_long,
        Err(err) => err.to_errno() as c_long,
    }
}

/// # Safety
///
/// `file` must be a valid file that is associated with a `MiscDeviceRegistration<T>`.
unsafe extern "C" fn fops_ioctl<T: MiscDevice>(
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_long {
    // SAFETY: The `ioctl` call holds the file, which belongs to a `T` by the caller's guarantee.
    ioctl_result(unsafe {
        with_open::<T, _>(file, |device, file| T::ioctl(device, file, cmd, arg))
    })
}

/// # Safety
///
/// `file` must be a valid file that is associated with a `MiscDeviceRegistration<T>`.
#[cfg(CONFIG_COMPAT)]
unsafe extern "C" fn fops_compat_ioctl<T: MiscDevice>(
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_long {
    // SAFETY: The `ioctl` call holds the file, which belongs to a `T` by the caller's guarantee.
    ioctl_result(unsafe {
        with_open::<T, _>(file, |device, file| T::compat_ioctl(device, file, cmd, arg))
    })
}
