// SPDX-License-Identifier: GPL-2.0

//! Files and file descriptors.
//!
//! A [`File`] is a `struct file`: an open file, shared by every fd, process and kernel user that
//! holds a reference to it. An fd is a number in the table of one process that holds one such
//! reference. This module gives drivers the file side of that ([`File`], [`LocalFile`]), the fd
//! side ([`FileDescriptorReservation`] to install new fds, [`DeferredFdCloser`] to close them
//! from inside a system call), [`ReleasingFile`] for a driver's `release` callback, and
//! [`BadFdError`].
//!
//! # Which fd table
//!
//! Every fd operation here acts on the fd table of the current task. Some contexts a driver
//! callback runs in have no table of their own: a kernel thread (a kworker running a delayed
//! `fput`, a kthread) only shares the kernel threads' table, and an exiting task has none at all
//! once `exit_files()` has run, which is where the `release` of its last open files runs, and
//! neither has a user worker made without one (vhost). There the fd operations fail cleanly
//! instead of touching another table: [`LocalFile::fget`] with
//! [`BadFdError`], [`FileDescriptorReservation::get_unused_fd_flags`] and
//! [`DeferredFdCloser::close_fd`] with `ESRCH`. An io_uring worker shares its process's table
//! and may use it.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/file.h`](srctree/include/linux/file.h),
//! [`include/linux/deferred_fd_close.h`](srctree/include/linux/deferred_fd_close.h)

use crate::{
    alloc::{AllocError, Flags},
    bindings,
    cred::Credential,
    error::{code::*, to_result, Error, Result},
    task::Task,
    types::{ARef, AlwaysRefCounted, NotThreadSafe, Opaque},
};
use core::{fmt, ptr::NonNull};

/// Flags associated with a [`File`], as in `open(2)`.
pub mod flags {
    /// File is opened in append mode.
    pub const O_APPEND: u32 = bindings::O_APPEND;

    /// Signal-driven I/O is enabled.
    pub const O_ASYNC: u32 = bindings::FASYNC;

    /// Close-on-exec flag is set.
    pub const O_CLOEXEC: u32 = bindings::O_CLOEXEC;

    /// File was created if it didn't already exist.
    pub const O_CREAT: u32 = bindings::O_CREAT;

    /// Direct I/O is enabled for this file.
    pub const O_DIRECT: u32 = bindings::O_DIRECT;

    /// File must be a directory.
    pub const O_DIRECTORY: u32 = bindings::O_DIRECTORY;

    /// Like [`O_SYNC`] except metadata is not synced.
    pub const O_DSYNC: u32 = bindings::O_DSYNC;

    /// Ensure that this file is created with the `open(2)` call.
    pub const O_EXCL: u32 = bindings::O_EXCL;

    /// Large file size enabled (`off64_t` over `off_t`).
    pub const O_LARGEFILE: u32 = bindings::O_LARGEFILE;

    /// Do not update the file last access time.
    pub const O_NOATIME: u32 = bindings::O_NOATIME;

    /// File should not be used as the process's controlling terminal.
    pub const O_NOCTTY: u32 = bindings::O_NOCTTY;

    /// If basename of path is a symbolic link, fail open.
    pub const O_NOFOLLOW: u32 = bindings::O_NOFOLLOW;

    /// File is using nonblocking I/O.
    pub const O_NONBLOCK: u32 = bindings::O_NONBLOCK;

    /// File is using nonblocking I/O; the same as [`O_NONBLOCK`].
    pub const O_NDELAY: u32 = bindings::O_NDELAY;

    /// Used to obtain a path file descriptor.
    pub const O_PATH: u32 = bindings::O_PATH;

    /// Write operations on this file will flush data and metadata.
    pub const O_SYNC: u32 = bindings::O_SYNC;

    /// This file is an unnamed temporary regular file.
    pub const O_TMPFILE: u32 = bindings::O_TMPFILE;

    /// File should be truncated to length 0.
    pub const O_TRUNC: u32 = bindings::O_TRUNC;

    /// Bitmask for access mode flags.
    pub const O_ACCMODE: u32 = bindings::O_ACCMODE;

    /// File is read only.
    pub const O_RDONLY: u32 = bindings::O_RDONLY;

    /// File is write only.
    pub const O_WRONLY: u32 = bindings::O_WRONLY;

    /// File can be both read and written.
    pub const O_RDWR: u32 = bindings::O_RDWR;
}

/// An open file: the kernel's `struct file`, which may be used from any thread.
///
/// `ARef<File>` owns one reference, counted in `f_count`: `get_file` on clone, `fput` on drop.
/// A plain `&File` owns none; it is valid for as long as whoever lent it keeps one.
///
/// The final `fput` does not release the file at once: from a process it runs as task work
/// when the task returns to user space, from a kernel thread on a workqueue.
///
/// # Invariants
///
/// Instances of this type are always refcounted, that is, a call to `get_file` ensures that the
/// allocation remains valid at least until the matching call to `fput`. Any thread may use the
/// file: no `fdget_pos` of the current thread relies on this file's `f_count` staying at one.
///
/// # Examples
///
/// ```
/// use kernel::{bindings, fs::File, types::ARef};
///
/// // SAFETY: `filp_open` may be called from process context with a valid string; it returns a
/// // file with one reference or an error pointer.
/// let raw = unsafe { bindings::filp_open(c"/".as_ptr().cast(), bindings::O_RDONLY as _, 0) };
/// // SAFETY: Checking a pointer for an error value reads nothing.
/// assert!(!unsafe { bindings::IS_ERR(raw.cast()) });
/// // SAFETY: `filp_open` gave us the reference that this `ARef` now owns.
/// let file: ARef<File> = unsafe { ARef::from_raw(core::ptr::NonNull::new_unchecked(raw.cast())) };
/// // SAFETY: The file is valid while `file` exists.
/// let count = || unsafe { (*raw).f_count.counter };
/// assert_eq!(count(), 1);
///
/// let second = file.clone();
/// assert_eq!(count(), 2);
/// assert_eq!(second.as_ptr(), file.as_ptr());
/// drop(second);
/// assert_eq!(count(), 1);
/// ```
#[repr(transparent)]
pub struct File {
    inner: Opaque<bindings::file>,
}

// SAFETY: By the type invariants no `fdget_pos` of any thread relies on this file staying on
// its thread, and `fput` may run on any thread.
unsafe impl Send for File {}

// SAFETY: The `&self` methods only read fields that do not change after open, or read with
// `READ_ONCE` semantics, or call C functions that synchronise themselves.
unsafe impl Sync for File {}

// SAFETY: By the type invariants `File` is refcounted with `get_file`/`fput`, and an
// `ARef<File>` owns one such reference.
unsafe impl AlwaysRefCounted for File {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: `self` is a live file, so `f_count` is at least one and may be incremented.
        unsafe { bindings::get_file(self.as_ptr()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<File>) {
        // SAFETY: The caller hands us one reference to put. `File` is a transparent wrapper of
        // `struct file`, so the pointer cast is valid.
        unsafe { bindings::fput(obj.cast().as_ptr()) }
    }
}

/// An open file that may only be used on the thread that got it.
///
/// This is what [`LocalFile::fget`] returns: the current thread might be inside an `fdget_pos`
/// region of the same file that skipped the `f_pos_lock` because `f_count` was one, so the
/// file must not reach another thread until that is known not to be the case (see
/// [`LocalFile::assume_no_fdget_pos`]).
///
/// # Invariants
///
/// Instances of this type are always refcounted, like [`File`]. If the current thread has an
/// active `fdget_pos` on this file that did not take the `f_pos_lock`, then it is sound only to
/// use this file from the current thread.
#[repr(transparent)]
pub struct LocalFile {
    inner: Opaque<bindings::file>,
}

// SAFETY: By the type invariants `LocalFile` is refcounted like `File`; an `ARef<LocalFile>`
// owns one reference.
unsafe impl AlwaysRefCounted for LocalFile {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: `self` is a live file, so `f_count` is at least one and may be incremented.
        unsafe { bindings::get_file(self.as_ptr()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<LocalFile>) {
        // SAFETY: The caller hands us one reference to put; the cast is valid because
        // `LocalFile` is a transparent wrapper of `struct file`.
        unsafe { bindings::fput(obj.cast().as_ptr()) }
    }
}

/// Returns whether the current task has an fd table that fd operations may use.
///
/// A kernel thread has only the table that all kernel threads share (`init_files`), which is no
/// driver's to look up or install fds in; an exiting task has none after `exit_files()`. The C
/// functions behind the fd operations dereference `current->files` without checking.
#[inline]
fn current_has_fd_table() -> bool {
    // SAFETY: `current` is a valid task. Only the task itself changes its `files` pointer
    // (`exit_files()`, `unshare_files()`, `begin_new_exec()`), so reading it from the task
    // itself races with no writer.
    let files = unsafe { (*Task::current_raw()).files };
    !current_is_kthread() && !files.is_null()
}

/// Returns whether the current task is a kernel thread (`PF_KTHREAD`).
#[inline]
fn current_is_kthread() -> bool {
    // SAFETY: `current` is a valid task, and only the task itself changes its `flags`, so
    // reading them from the task itself races with no writer.
    unsafe { (*Task::current_raw()).flags & bindings::PF_KTHREAD != 0 }
}

/// Returns the credentials that `file` was opened with.
///
/// # Safety
///
/// `file` must be valid for 'a. (Its `f_cred` is set when the file is created, never changes, and
/// is put only when the file is freed, after `release`.)
#[inline]
unsafe fn file_cred<'a>(file: *const bindings::file) -> &'a Credential {
    // SAFETY: The caller guarantees that the file is valid for 'a; `f_cred` is stable.
    let ptr = unsafe { (*file).f_cred };
    // SAFETY: The file holds a reference on its credential until it is freed, so the credential
    // is valid for 'a too.
    unsafe { Credential::from_ptr(ptr) }
}

impl LocalFile {
    /// Takes a reference to the file behind fd `fd` of the current process.
    ///
    /// The result may only be used on this thread; [`LocalFile::assume_no_fdget_pos`] turns it
    /// into an `ARef<File>`.
    ///
    /// Fails with [`BadFdError`] if no such fd is open, and also where the current task has no fd
    /// table of its own (see [Which fd table](self#which-fd-table)): a kernel thread, or a task
    /// that is exiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::fs::{file::BadFdError, LocalFile};
    ///
    /// // The KUnit thread has no file at this fd.
    /// assert!(matches!(LocalFile::fget(1 << 20), Err(BadFdError)));
    /// assert_eq!(kernel::error::Error::from(BadFdError), kernel::error::code::EBADF);
    /// ```
    #[inline]
    pub fn fget(fd: u32) -> Result<ARef<LocalFile>, BadFdError> {
        if !current_has_fd_table() {
            return Err(BadFdError);
        }
        // SAFETY: The current task has an fd table (checked above, and only the task itself can
        // take it away). `fget` accepts any fd number and returns null for one that is not open.
        let ptr = NonNull::new(unsafe { bindings::fget(fd) }).ok_or(BadFdError)?;

        // SAFETY: `fget` took a reference for us, which the `ARef` now owns.
        //
        // INVARIANT: The file came from this thread's fd table, and our reference makes its count
        // at least two: an `fdget_pos` that starts from now on and skips the `f_pos_lock` can
        // only be one of this thread's, and the result stays on this thread. (One that another
        // task started earlier, before `pidfd_getfd` or `SCM_RIGHTS` put the file in our table,
        // is not excluded; no method of `LocalFile` or `File` touches `f_pos`.)
        Ok(unsafe { ARef::from_raw(ptr.cast()) })
    }

    /// Creates a reference to a [`LocalFile`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// * The caller must ensure that `ptr` points at a valid file and that the file's refcount is
    ///   positive for the duration of 'a.
    /// * The caller must ensure that if there is an active call to `fdget_pos` that did not take
    ///   the `f_pos_lock` mutex, then that call is on the current thread.
    #[inline]
    pub unsafe fn from_raw_file<'a>(ptr: *const bindings::file) -> &'a LocalFile {
        // SAFETY: The caller guarantees that the pointer is not dangling and stays valid for the
        // duration of 'a. The cast is okay because `LocalFile` is `repr(transparent)`.
        //
        // INVARIANT: The caller guarantees that there are no problematic `fdget_pos` calls.
        unsafe { &*ptr.cast() }
    }

    /// Turns a thread-local file into one that may go to other threads.
    ///
    /// Nothing is checked: the caller states that the current thread is not inside an
    /// `fdget_pos` region of this file (an ioctl handler is not; a `read`, `write` or `llseek`
    /// handler may be). Getting it wrong allows a data race on the file position.
    ///
    /// # Safety
    ///
    /// There must not be any active `fdget_pos` calls on the current thread.
    #[inline]
    pub unsafe fn assume_no_fdget_pos(me: ARef<LocalFile>) -> ARef<File> {
        // INVARIANT: The caller rules out an `fdget_pos` region on this thread, and by the type
        // invariants of `LocalFile` there is none without the lock on other threads.
        //
        // SAFETY: Both types are transparent wrappers of `struct file`.
        unsafe { ARef::from_raw(ARef::into_raw(me).cast()) }
    }

    /// Returns a raw pointer to the inner C struct.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::file {
        self.inner.get()
    }

    /// Returns whether this file can keep other files open: an io_uring instance (its fixed
    /// files, its requests in flight) or an `AF_UNIX` socket (files in flight with
    /// `SCM_RIGHTS`).
    ///
    /// A driver that holds files for user space refuses these: one of them could hold the
    /// driver's own file in turn, a reference cycle that nothing ever breaks.
    #[inline]
    pub fn may_hold_files(&self) -> bool {
        // SAFETY: `self` is a live file, which the caller holds for the call.
        unsafe { bindings::file_may_hold_files(self.as_ptr()) }
    }

    /// Returns whether this file and `other` have the same file operations: are files of the
    /// same kind (of one device, one file system, one sort of anonymous file).
    ///
    /// A driver recognises its own files this way, without any list of them.
    #[inline]
    pub fn has_same_ops(&self, other: &LocalFile) -> bool {
        // SAFETY: Both files are live. `f_op` is set before a file is opened and never changes
        // afterwards, so reading it races with no writer.
        unsafe { (*self.as_ptr()).f_op == (*other.as_ptr()).f_op }
    }

    /// Returns the credentials of the task that originally opened the file.
    #[inline]
    pub fn cred(&self) -> &Credential {
        // SAFETY: `self` is a live file for the borrow.
        unsafe { file_cred(self.as_ptr()) }
    }

    /// Returns the flags associated with the file.
    ///
    /// The flags are a combination of the constants in [`flags`].
    #[inline]
    pub fn flags(&self) -> u32 {
        // SAFETY: `self` is a live file. `f_flags` may change under `fcntl(F_SETFL)`; the
        // volatile read stands for C's `READ_ONCE`.
        unsafe { core::ptr::addr_of!((*self.as_ptr()).f_flags).read_volatile() }
    }
}

impl File {
    /// Creates a reference to a [`File`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// * The caller must ensure that `ptr` points at a valid file and that the file's refcount is
    ///   positive for the duration of 'a.
    /// * The caller must ensure that if there are active `fdget_pos` calls on this file, then
    ///   they took the `f_pos_lock` mutex.
    #[inline]
    pub unsafe fn from_raw_file<'a>(ptr: *const bindings::file) -> &'a File {
        // SAFETY: The caller guarantees that the pointer is not dangling and stays valid for the
        // duration of 'a. The cast is okay because `File` is `repr(transparent)`.
        //
        // INVARIANT: The caller guarantees that there are no problematic `fdget_pos` calls.
        unsafe { &*ptr.cast() }
    }
}

// Make `LocalFile` methods available on `File`.
impl core::ops::Deref for File {
    type Target = LocalFile;

    #[inline]
    fn deref(&self) -> &LocalFile {
        // SAFETY: `self` is a live file for the lifetime of the borrow, and a `File` satisfies
        // everything a `LocalFile` requires.
        unsafe { LocalFile::from_raw_file(self as *const File as *const bindings::file) }
    }
}

impl File {
    /// Puts this reference from a kernel thread, releasing the file before returning if it was
    /// the last one.
    ///
    /// A plain drop of the last reference in a kernel thread only queues the release on a
    /// workqueue (delayed `fput`), and `flush_delayed_fput()` does not say when this file's turn
    /// came. A kernel thread that must know its last reference is gone before it goes on (the
    /// file's release unpins something the thread waits for) puts it with this function.
    ///
    /// Returns the reference back, untouched, when the current task is not a kernel thread: a
    /// process releases its files on its way back to user space, where no system call of its own
    /// still borrows them, and must keep doing so.
    ///
    /// # Context
    ///
    /// Process context of a kernel thread that may sleep, holding no lock that the release of
    /// this file may take: the file's `release` callback and its filesystem run in this call.
    /// Calling it under a spinlock, or holding a lock the `release` takes, is a bug (a sleep in
    /// atomic context, or a deadlock), as in C.
    ///
    /// # Examples
    ///
    /// KUnit runs its tests in kernel threads:
    ///
    /// ```
    /// use kernel::{bindings, fs::File, types::ARef};
    ///
    /// // SAFETY: `filp_open` may be called from process context with a valid string; it returns a
    /// // file with one reference or an error pointer.
    /// let raw = unsafe { bindings::filp_open(c"/".as_ptr().cast(), bindings::O_RDONLY as _, 0) };
    /// // SAFETY: Checking a pointer for an error value reads nothing.
    /// assert!(!unsafe { bindings::IS_ERR(raw.cast()) });
    /// // SAFETY: `filp_open` gave us the reference that this `ARef` now owns.
    /// let file: ARef<File> = unsafe { ARef::from_raw(core::ptr::NonNull::new_unchecked(raw.cast())) };
    /// let second = file.clone();
    ///
    /// // Not the last reference: only the count goes down.
    /// assert!(File::put_sync(second).is_ok());
    /// // SAFETY: `file` still holds its reference.
    /// assert_eq!(unsafe { (*raw).f_count.counter }, 1);
    /// // The last one: the file is released before `put_sync` returns.
    /// assert!(File::put_sync(file).is_ok());
    /// ```
    #[inline]
    pub fn put_sync(this: ARef<File>) -> Result<(), ARef<File>> {
        if !current_is_kthread() {
            return Err(this);
        }
        let ptr = ARef::into_raw(this);
        // SAFETY: We own the reference that `this` held. The current task is a kernel thread: the
        // table it uses is the one all kernel threads share, and `fdget` takes a real reference
        // from a shared table, so no borrow of this thread relies on the reference we put, and
        // releasing the file here cannot pull it from under one. The caller is in a context that
        // may sleep (documented requirement).
        unsafe { bindings::__fput_sync(ptr.cast().as_ptr()) };
        Ok(())
    }
}

/// A file in its `release` callback: its last reference is gone.
///
/// `f_count` is zero: `__fput()` is tearing the file down and frees it once `release` returns.
/// The file can still be looked at, but a reference to it must never be taken again, so this
/// type is not [`AlwaysRefCounted`] and gives no [`File`] or [`LocalFile`]: `ARef::from` on it
/// does not compile. It is neither [`Send`] nor [`Sync`], and a `&ReleasingFile` lives only as
/// long as the callback.
///
/// # Invariants
///
/// The file's `release` operation is running on the current thread for the lifetime of any
/// reference to this type.
#[repr(transparent)]
pub struct ReleasingFile {
    inner: Opaque<bindings::file>,
}

impl ReleasingFile {
    /// Creates a reference to a [`ReleasingFile`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be the file whose `release` operation the caller is running, for all of 'a.
    #[inline]
    pub unsafe fn from_raw_file<'a>(ptr: *const bindings::file) -> &'a ReleasingFile {
        // SAFETY: The caller guarantees that the file stays valid (its memory is freed only after
        // `release` returns) for 'a. The cast is okay because `ReleasingFile` is
        // `repr(transparent)`.
        //
        // INVARIANT: The caller is the file's `release`.
        unsafe { &*ptr.cast() }
    }

    /// Returns a raw pointer to the inner C struct.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::file {
        self.inner.get()
    }

    /// Returns the credentials of the task that originally opened the file.
    #[inline]
    pub fn cred(&self) -> &Credential {
        // SAFETY: The file is valid for the borrow (type invariants): it is freed only after
        // `release` returns.
        unsafe { file_cred(self.as_ptr()) }
    }

    /// Returns the flags associated with the file, a combination of the constants in [`flags`].
    #[inline]
    pub fn flags(&self) -> u32 {
        // SAFETY: By the type invariants the file is valid for the borrow, and nobody else holds
        // it any more to change its flags.
        unsafe { (*self.as_ptr()).f_flags }
    }
}

/// A file descriptor number reserved in the current process, not yet pointing at a file.
///
/// Reserve first, install later: a driver that must give a process several files reserves all
/// the fds, and installs the files only once every reservation succeeded, so that a failure
/// leaves no half-installed set behind. Dropping an unused reservation gives the number back.
///
/// # Invariants
///
/// The fd in `fd` is reserved in the fd table of the task that created this value, and that
/// task is the current one whenever this value is used (it is not [`Send`]).
///
/// # Examples
///
/// KUnit runs in a kernel thread, which has no fd table of its own to reserve in:
///
/// ```
/// use kernel::{
///     error::code::{EBADF, ESRCH},
///     fs::file::{flags::O_CLOEXEC, FileDescriptorReservation},
///     fs::LocalFile,
/// };
///
/// let reservation = FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC);
/// assert_eq!(reservation.err(), Some(ESRCH));
/// // Nor is there any fd to look up.
/// assert_eq!(LocalFile::fget(0).err().map(Error::from), Some(EBADF));
/// ```
///
/// In a process (a driver's ioctl, say), numbers come lowest first and return on drop:
///
/// ```
/// use kernel::fs::file::{flags::O_CLOEXEC, FileDescriptorReservation};
///
/// # // Only compiled: the test itself runs in a kernel thread.
/// # #[allow(dead_code)]
/// # fn in_a_process() -> Result {
/// let first = FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC)?;
/// let fd = first.reserved_fd();
/// let second = FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC)?;
/// assert_ne!(second.reserved_fd(), fd);
///
/// // Dropped unused: the number is free again, and the lowest free one is handed out first.
/// drop(first);
/// let third = FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC)?;
/// assert_eq!(third.reserved_fd(), fd);
/// # Ok(())
/// # }
/// ```
pub struct FileDescriptorReservation {
    fd: u32,
    /// `fd_install` and `put_unused_fd` act on `current`'s table: keep this on its task.
    _not_send: NotThreadSafe,
}

impl FileDescriptorReservation {
    /// Reserves the lowest free fd number of the current task.
    ///
    /// `flags` are `open(2)` flags for the fd; only [`flags::O_CLOEXEC`] matters. Fails with
    /// `EMFILE` when the table is full, and with `ESRCH` where the current task has no fd table of
    /// its own (see [Which fd table](self#which-fd-table)): a kernel thread, or a task that is
    /// exiting.
    #[inline]
    pub fn get_unused_fd_flags(flags: u32) -> Result<Self> {
        if !current_has_fd_table() {
            return Err(ESRCH);
        }
        // SAFETY: The current task has an fd table of its own (checked above), which is what
        // `get_unused_fd_flags` reserves in; any `flags` are accepted.
        let fd: i32 = unsafe { bindings::get_unused_fd_flags(flags) };
        if fd < 0 {
            return Err(Error::from_errno(fd));
        }
        // INVARIANT: `get_unused_fd_flags` reserved `fd` in the current task's table. The table
        // stays the task's while this value exists: only the task itself could replace it, in
        // `unshare(2)`, `execve(2)` or `do_exit()`, none of which runs inside a driver call that
        // can hold this `!Send` value.
        Ok(Self {
            fd: fd as u32,
            _not_send: NotThreadSafe,
        })
    }

    /// Returns the file descriptor number that was reserved.
    #[inline]
    pub fn reserved_fd(&self) -> u32 {
        self.fd
    }

    /// Installs `file` at the reserved fd, which from now on user space can use.
    #[inline]
    pub fn fd_install(self, file: ARef<File>) {
        // SAFETY: By the type invariants `self.fd` is reserved in the table of the current task,
        // and unused. `file` owns a reference, which `fd_install` takes over (we forget `file`
        // below), and it is a `File`, safe to share with the threads of this process.
        unsafe { bindings::fd_install(self.fd, file.as_ptr()) };

        // The reservation and the reference now belong to the fd table.
        core::mem::forget(self);
        core::mem::forget(file);
    }
}

impl Drop for FileDescriptorReservation {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariants `self.fd` is an unused reservation in the table of the
        // current task.
        unsafe { bindings::put_unused_fd(self.fd) };
    }
}

/// The identity of an fd table: which table fd numbers refer to. For comparing only; it gives
/// no access to the table.
///
/// A driver that installed fds in a process and closes them later by number (binder's
/// close-on-free) checks with it that the numbers still mean the same table: a thread that did
/// `unshare(CLONE_FILES)`, or a task after `execve()` of a shared table, has another one. An
/// identity names its table for as long as that table exists.
///
/// # Examples
///
/// KUnit runs in a kernel thread, which has no table of its own:
///
/// ```
/// use kernel::fs::file::FdTableId;
///
/// assert!(FdTableId::current().is_none());
/// ```
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub struct FdTableId(usize);

impl FdTableId {
    /// Returns the identity of the current task's fd table, or `None` where the task has none of
    /// its own (see [Which fd table](self#which-fd-table)).
    #[inline]
    pub fn current() -> Option<Self> {
        if !current_has_fd_table() {
            return None;
        }
        // SAFETY: `current` is a valid task, and only the task itself changes its `files`
        // pointer, so reading it races with no writer. The pointer is only compared.
        let files = unsafe { (*Task::current_raw()).files };
        Some(Self(files as usize))
    }
}

/// The error of operations whose only failure is a bad file descriptor (`EBADF`).
#[derive(Copy, Clone, Eq, PartialEq)]
pub struct BadFdError;

impl From<BadFdError> for Error {
    #[inline]
    fn from(_: BadFdError) -> Error {
        EBADF
    }
}

impl fmt::Debug for BadFdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("EBADF")
    }
}

/// Closes fds of the current task whose final `fput` must wait until it returns to user space.
///
/// A driver that installed fds in a process may have to close them again from inside one of its
/// system calls (binder closes the fds of a buffer when user space frees it). Closing there with
/// `close_fd` is unsafe: the system call may hold an `fdget` borrow of that very file. This type
/// closes the fd at once and leaves the last reference to task work, which the kernel's built-in
/// `deferred_fd_close` service owns, so the driver may be a module.
///
/// The closer is allocated up front, so that closing itself never fails for lack of memory.
///
/// # Invariants
///
/// `inner` is a closer from `deferred_fd_closer_alloc`, owned by this value and not yet used.
///
/// # Examples
///
/// KUnit runs in a kernel thread, which never returns to user space to run the task work:
///
/// ```
/// use kernel::{
///     alloc::flags::GFP_KERNEL,
///     error::code::ESRCH,
///     fs::file::{DeferredFdCloseError, DeferredFdCloser},
/// };
///
/// let closer = DeferredFdCloser::new(GFP_KERNEL)?;
/// let err = closer.close_fd(0).unwrap_err();
/// assert_eq!(err, DeferredFdCloseError::TaskWorkUnavailable);
/// assert_eq!(kernel::error::Error::from(err), ESRCH);
///
/// // Not used: dropping it frees it.
/// drop(DeferredFdCloser::new(GFP_KERNEL)?);
/// # Ok::<(), Error>(())
/// ```
pub struct DeferredFdCloser {
    inner: NonNull<bindings::deferred_fd_closer>,
}

// SAFETY: The closer is a plain allocation until it is used, and `close_fd` uses it on the
// current task, whichever thread allocated it.
unsafe impl Send for DeferredFdCloser {}
// SAFETY: No method takes `&self`.
unsafe impl Sync for DeferredFdCloser {}

impl DeferredFdCloser {
    /// Allocates a closer, so that closing an fd later cannot fail for lack of memory.
    #[inline]
    pub fn new(flags: Flags) -> Result<Self, AllocError> {
        // SAFETY: FFI call; any allocation flags are accepted.
        let ptr = unsafe { bindings::deferred_fd_closer_alloc(flags.as_raw()) };
        // INVARIANT: A non-null result is a fresh closer that we own.
        Ok(Self {
            inner: NonNull::new(ptr).ok_or(AllocError)?,
        })
    }

    /// Allocates a closer for up to `capacity` fds, closed together by one
    /// [`DeferredFdCloser::close_fds`] with one allocation and one task work.
    ///
    /// A capacity that is too large to allocate gives [`AllocError`]. A closer of capacity 0
    /// closes nothing: [`DeferredFdCloser::close_fd`] on it fails with
    /// [`DeferredFdCloseError::BadFd`] and changes nothing.
    #[inline]
    pub fn with_capacity(capacity: usize, flags: Flags) -> Result<Self, AllocError> {
        let capacity = u32::try_from(capacity).map_err(|_| AllocError)?;
        // SAFETY: FFI call; any capacity and allocation flags are accepted.
        let ptr = unsafe { bindings::deferred_fd_closer_alloc_many(capacity, flags.as_raw()) };
        // INVARIANT: A non-null result is a fresh closer that we own.
        Ok(Self {
            inner: NonNull::new(ptr).ok_or(AllocError)?,
        })
    }

    /// Closes the fds `fds` of the current task, deferring their final `fput`s, and returns how
    /// many were closed.
    ///
    /// Each fd that is open is closed as [`DeferredFdCloser::close_fd`] closes one; one that is
    /// not open (or is listed a second time) is skipped, and the others are closed all the same.
    /// All of their references are put by one task work when the current task returns to user
    /// space, so no `release` runs inside the current system call.
    ///
    /// # Errors
    ///
    /// With nothing of the fd table changed:
    /// - `ESRCH`: the current task cannot run task work (a kernel thread, or exiting).
    /// - `EINVAL`: `fds` has more fds than the closer's capacity.
    ///
    /// The closer is used up either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::{alloc::flags::GFP_KERNEL, error::code::*, fs::file::DeferredFdCloser};
    ///
    /// // Doctests run in a kernel thread, which has no fd table of its own.
    /// let closer = DeferredFdCloser::with_capacity(2, GFP_KERNEL)?;
    /// assert_eq!(closer.close_fds(&[0, 1]), Err(ESRCH));
    /// let closer = DeferredFdCloser::with_capacity(1, GFP_KERNEL)?;
    /// assert_eq!(closer.close_fds(&[0, 1]), Err(EINVAL));
    /// assert!(DeferredFdCloser::with_capacity(usize::MAX, GFP_KERNEL).is_err());
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    pub fn close_fds(self, fds: &[u32]) -> Result<usize> {
        let inner = self.inner.as_ptr();
        // The C function consumes the closer whatever it returns.
        core::mem::forget(self);
        // A length that does not fit is larger than any capacity: the C function refuses it.
        let nr = u32::try_from(fds.len()).unwrap_or(u32::MAX);
        // SAFETY: By the type invariants `inner` is an unused closer that we own, and we give up
        // ownership of it here. `fds` points to `fds.len()` readable fds; the C function reads
        // at most `nr` of them (none when `nr` was clamped, as it then exceeds the capacity).
        // `current` is the task whose fds are closed, as the C function expects; it is called
        // from process context. No per-fd results are asked for.
        let ret = unsafe {
            bindings::deferred_fd_close_many(inner, fds.as_ptr(), nr, core::ptr::null_mut())
        };
        // A non-negative result is a count of at most `nr`.
        to_result(ret).map(|()| ret as usize)
    }

    /// Closes fd `fd` of the current task, deferring its final `fput`.
    ///
    /// On success the fd number is free at once and the file was flushed (`filp_close`); the
    /// reference the fd held is put when the current task returns to user space, so `release`
    /// never runs inside the current system call. On error nothing of the fd table changed.
    ///
    /// The closer is used up either way.
    #[inline]
    pub fn close_fd(self, fd: u32) -> Result<(), DeferredFdCloseError> {
        let inner = self.inner.as_ptr();
        // The C function consumes the closer whatever it returns.
        core::mem::forget(self);
        // SAFETY: By the type invariants `inner` is an unused closer that we own, and we give up
        // ownership of it here. `current` is the task whose fd is closed, as the C function
        // expects; it is called from process context.
        let ret = unsafe { bindings::deferred_fd_close(inner, fd) };
        match ret {
            0 => Ok(()),
            r if r == ESRCH.to_errno() => Err(DeferredFdCloseError::TaskWorkUnavailable),
            _ => Err(DeferredFdCloseError::BadFd),
        }
    }
}

impl Drop for DeferredFdCloser {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariants we own the unused closer; it is freed exactly once.
        unsafe { bindings::deferred_fd_closer_free(self.inner.as_ptr()) };
    }
}

/// Why [`DeferredFdCloser::close_fd`] did not close the fd.
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub enum DeferredFdCloseError {
    /// The current task cannot run task work: it is a kernel thread, or it is exiting (`ESRCH`).
    TaskWorkUnavailable,
    /// No such fd is open in the current task (`EBADF`).
    BadFd,
}

impl DeferredFdCloseError {
    /// Returns the error as an errno value.
    #[inline]
    pub fn to_errno(self) -> crate::ffi::c_int {
        Error::from(self).to_errno()
    }
}

impl From<DeferredFdCloseError> for Error {
    #[inline]
    fn from(err: DeferredFdCloseError) -> Error {
        match err {
            DeferredFdCloseError::TaskWorkUnavailable => ESRCH,
            DeferredFdCloseError::BadFd => EBADF,
        }
    }
}
