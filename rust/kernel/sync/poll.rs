// SPDX-License-Identifier: GPL-2.0

//! Utilities for implementing the `poll` file operation.
//!
//! A driver's `poll` registers the wait queues that will signal readiness with the caller's
//! [`PollTable`], and returns the events that are ready now. The wait queue must outlive every
//! registration, and registrations outlive the `poll` call:
//!
//! - `select(2)` and `poll(2)` keep theirs until the system call ends, and they hold the file
//!   until then. They ignore `POLLFREE`.
//! - `epoll` keeps its for as long as the file is in an interest list, and takes it off when it
//!   is woken with `POLLFREE` (so do aio and io_uring).
//!
//! # The lifetime rule
//!
//! A [`PollCondVar`] must outlive every file it was registered for: keep it in the per-open state
//! of the file whose `poll` registers it (which goes only with `release`, after every `select`
//! and `poll` holding the file has ended), or in something that state keeps alive. Dropping it
//! tells `epoll`-style waiters to go away with `POLLFREE` and waits an RCU grace period for them.
//! A driver that breaks the rule (a wait queue shared between files and dropped while another
//! file's `select` still sleeps on it) does not corrupt memory: the drop then warns in the kernel
//! log and waits, unkillably, until those system calls have ended, which may take as long as
//! their timeout (forever, with none). A `poll` handler must not drop a `PollCondVar` it may have
//! registered in the same call: the drop would wait for its own caller.
//!
//! C header: [`include/linux/poll.h`](srctree/include/linux/poll.h)

use crate::{
    bindings,
    fs::File,
    prelude::*,
    sync::{CondVar, LockClassKey},
};
use core::{marker::PhantomData, ops::Deref};

/// Creates a [`PollCondVar`] initialiser with the given name and a newly-created lock class.
#[macro_export]
macro_rules! new_poll_condvar {
    ($($name:literal)?) => {
        $crate::sync::poll::PollCondVar::new(
            $crate::optional_name!($($name)?), $crate::static_lock_class!()
        )
    };
}
pub use new_poll_condvar;

/// The `poll_table` of a `poll` call: where the driver registers the wait queues to watch.
///
/// This is mainline's newer shape: a value for the duration of the call, which may wrap a null
/// table (the caller of `poll` will not wait, so there is nothing to register).
///
/// # Invariants
///
/// `table` is null or the `poll_table` of the ongoing `poll` call, valid for `'a`; its `_qproc`,
/// if set, may be called with the polled file and any wait queue that stays valid until its
/// waiters are gone (see [`PollCondVar`]).
pub struct PollTable<'a> {
    table: *mut bindings::poll_table,
    _lifetime: PhantomData<&'a bindings::poll_table>,
}

impl<'a> PollTable<'a> {
    /// Wraps the `poll_table` that a `poll` file operation received.
    ///
    /// # Safety
    ///
    /// The pointer must be null or reference a valid `poll_table` for the duration of `'a`.
    #[inline]
    pub unsafe fn from_raw(table: *mut bindings::poll_table) -> Self {
        // INVARIANT: The caller guarantees that the table is null or valid for 'a.
        PollTable {
            table,
            _lifetime: PhantomData,
        }
    }

    fn get_qproc(&self) -> bindings::poll_queue_proc {
        let table = self.table;
        if table.is_null() {
            return None;
        }
        // SAFETY: The table is valid by the type invariants. `_qproc` is set before the table
        // is handed to drivers, and only the thread doing the `poll` changes it.
        unsafe { (*table)._qproc }
    }

    /// Registers `cv` as a wait queue whose notifications may signal readiness of `file`.
    ///
    /// Does nothing when the caller of `poll` is not going to wait.
    pub fn register_wait(&self, file: &File, cv: &PollCondVar) {
        if let Some(qproc) = self.get_qproc() {
            // SAFETY: `qproc` came from this table, which is valid by the type invariants. The
            // file is live for the duration of the `poll` call. `cv` is a `PollCondVar`, whose
            // wait queue stays valid until every waiter registered on it is gone: its destructor
            // unhooks `epoll`-style waiters with `POLLFREE` and an RCU grace period, and waits
            // until the `select`/`poll` waiters, which ignore `POLLFREE`, have removed their
            // entries. That is what `qproc` implementations need.
            unsafe { qproc(file.as_ptr().cast(), cv.wait_queue_head(), self.table) };
        }
    }
}

/// The key of a `POLLFREE` wake-up: `EPOLLHUP | POLLFREE`, as `__wake_up_pollfree()` sends
/// (bindgen cannot see through the casts of these two).
const POLL_FREE_KEY: usize = 0x0010 | 0x4000;

/// A [`CondVar`] whose wait queue may be registered with a [`PollTable`].
///
/// Dropping it wakes the waiters registered on it with `POLLFREE`: `epoll`, aio and io_uring
/// unregister then, and an RCU grace period later none of them can still be looking at the wait
/// queue. `select` and `poll` waiters ignore `POLLFREE` and stay until their system call ends;
/// the drop waits for them too (see [the lifetime rule](self#the-lifetime-rule): a driver that
/// keeps the condvar in the per-open state of the polled file never makes it wait). Only then is
/// its memory freed. Dropping it may sleep.
///
/// # Examples
///
/// A waiter registered the way `epoll` does, woken by a notification and then told to go away:
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use kernel::{bindings, new_poll_condvar};
///
/// static WAKEUPS: AtomicU32 = AtomicU32::new(0);
/// static POLLFREES: AtomicU32 = AtomicU32::new(0);
/// // `POLLFREE`, which bindgen cannot see through its cast.
/// const POLLFREE: usize = 0x4000;
///
/// /// Unhooks `entry` from its list and leaves it pointing at itself (`list_del_init`).
/// ///
/// /// # Safety
/// ///
/// /// `entry` must be on a list whose lock the caller holds.
/// unsafe fn unhook(entry: *mut bindings::list_head) {
///     // SAFETY: By the function's safety requirements.
///     unsafe {
///         (*(*entry).next).prev = (*entry).prev;
///         (*(*entry).prev).next = (*entry).next;
///         (*entry).next = entry;
///         (*entry).prev = entry;
///     }
/// }
///
/// /// Counts wakeups, and unhooks `entry` on `POLLFREE`.
/// ///
/// /// # Safety
/// ///
/// /// Only for the wait queue code: `entry` is on the queue being woken, whose lock is held.
/// unsafe extern "C" fn wake(
///     entry: *mut bindings::wait_queue_entry,
///     _mode: u32,
///     _flags: i32,
///     key: *mut core::ffi::c_void,
/// ) -> i32 {
///     if key as usize & POLLFREE != 0 {
///         POLLFREES.fetch_add(1, Ordering::Relaxed);
///         // What `epoll` does on `POLLFREE`: unhook from the queue that is going away.
///         // SAFETY: Wake functions run under the lock of the queue that `entry` is on.
///         unsafe { unhook(&mut (*entry).entry) };
///     } else {
///         WAKEUPS.fetch_add(1, Ordering::Relaxed);
///     }
///     0
/// }
///
/// let cv = KBox::pin_init(new_poll_condvar!("doctest"), GFP_KERNEL)?;
/// // SAFETY: All zeros is a valid `wait_queue_entry`.
/// let mut entry: bindings::wait_queue_entry = unsafe { core::mem::zeroed() };
/// entry.func = Some(wake);
/// // SAFETY: `entry` is set up as `init_waitqueue_func_entry` would, stays in place until the
/// // end of the test, and is added to the queue of `cv`, which is pinned.
/// unsafe { bindings::add_wait_queue(cv.wait_queue_head(), &mut entry) };
///
/// cv.notify_all();
/// assert_eq!(WAKEUPS.load(Ordering::Relaxed), 1);
/// assert_eq!(POLLFREES.load(Ordering::Relaxed), 0);
///
/// drop(cv);
/// assert_eq!(POLLFREES.load(Ordering::Relaxed), 1);
/// let list: *mut bindings::list_head = &mut entry.entry;
/// assert_eq!(entry.entry.next, list);
/// # Ok::<(), Error>(())
/// ```
#[pin_data(PinnedDrop)]
pub struct PollCondVar {
    #[pin]
    inner: CondVar,
}

impl PollCondVar {
    /// Constructs a new condvar initialiser.
    pub fn new(name: &'static CStr, key: &'static LockClassKey) -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- CondVar::new(name, key),
        })
    }
}

impl PollCondVar {
    /// Returns the raw wait queue head, for registering waiters by hand.
    pub fn wait_queue_head(&self) -> *mut bindings::wait_queue_head {
        self.inner.wait_queue_head.get()
    }
}

// Make the `CondVar` methods callable on `PollCondVar`.
impl Deref for PollCondVar {
    type Target = CondVar;

    fn deref(&self) -> &CondVar {
        &self.inner
    }
}

#[pinned_drop]
impl PinnedDrop for PollCondVar {
    fn drop(self: Pin<&mut Self>) {
        // Clear anything registered using `register_wait`: what `__wake_up_pollfree()` does,
        // without its `WARN_ON_ONCE` on a queue that is not empty afterwards (select/poll
        // entries stay; they are waited for below), which `panic_on_warn` would make a crash.
        //
        // SAFETY: The wait queue head is valid: we are dropping it, nothing else frees it.
        unsafe {
            bindings::__wake_up(
                self.inner.wait_queue_head.get(),
                bindings::TASK_NORMAL,
                0,
                POLL_FREE_KEY as *mut crate::ffi::c_void,
            )
        };

        let head = self.inner.wait_queue_head.get();
        // `select`/`poll` entries ignore `POLLFREE` and are removed when their system call ends
        // (`poll_freewait`); a driver that follows the lifetime rule has none left here. Wait
        // for any others rather than free the queue under them.
        //
        let queue_empty = || {
            // SAFETY: The wait queue head is valid. The read may race with a remover's
            // `list_del` under the queue's lock; it is the unlocked `list_empty` check of
            // `waitqueue_active`.
            unsafe {
                core::ptr::addr_of!((*head).head.next).read_volatile()
                    == core::ptr::addr_of_mut!((*head).head)
            }
        };
        if !queue_empty() {
            crate::pr_warn!("PollCondVar dropped while select/poll still waits on it; waiting\n");
        }
        while !queue_empty() {
            // SAFETY: Dropping a `PollCondVar` may sleep (it also waits for RCU below).
            unsafe { bindings::msleep(1) };
        }
        // The last remover may still hold the queue's lock: a wake-up of the now empty queue
        // takes and releases it, after which nobody is inside.
        //
        // SAFETY: The wait queue head is valid.
        unsafe { bindings::__wake_up(head, bindings::TASK_NORMAL, 1, core::ptr::null_mut()) };

        // Wait for epoll items to be properly removed.
        //
        // SAFETY: Just an FFI call.
        unsafe { bindings::synchronize_rcu() };
    }
}

/// Event bits that a `poll` handler returns (the `EPOLL*` values of `<uapi/linux/eventpoll.h>`).
pub mod events {
    use crate::bindings;

    /// There is data to read.
    pub const POLLIN: u32 = bindings::POLLIN;
    /// There is urgent data to read.
    pub const POLLPRI: u32 = bindings::POLLPRI;
    /// Writing now will not block.
    pub const POLLOUT: u32 = bindings::POLLOUT;
    /// Error condition.
    pub const POLLERR: u32 = bindings::POLLERR;
    /// Hang up: the other side is gone.
    pub const POLLHUP: u32 = bindings::POLLHUP;
    /// Normal data may be read.
    pub const POLLRDNORM: u32 = bindings::POLLRDNORM;
    /// Normal data may be written.
    pub const POLLWRNORM: u32 = bindings::POLLWRNORM;
}
