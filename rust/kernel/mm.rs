// SPDX-License-Identifier: GPL-2.0

//! Address spaces of user processes.
//!
//! A process's address space is a `struct mm_struct` ([`Mm`]), made of virtual memory areas
//! ([`virt::VmaRef`]). Two counts keep it: `mm_count` keeps the struct itself (`mmgrab`), and
//! `mm_users` keeps the address space usable, its page tables and areas (`mmget`). A driver
//! that remembers a process holds the first ([`ARef<Mm>`]); code that touches the address space
//! holds the second ([`ARef<MmWithUser>`]) or borrows the current task's ([`CurrentTask::mm`]).
//!
//! [`CurrentTask::mm`]: crate::task::CurrentTask::mm
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)
//! C header: [`include/linux/sched/mm.h`](srctree/include/linux/sched/mm.h)

use crate::{
    bindings,
    types::{ARef, AlwaysRefCounted, NotThreadSafe, Opaque},
};
use core::{ops::Deref, ptr::NonNull};

pub mod virt;
use virt::VmaRef;

#[cfg(CONFIG_MMU)]
pub use mmput_async::MmWithUserAsync;
mod mmput_async;

/// The kernel's `struct mm_struct`, whose address space may already be gone.
///
/// An `ARef<Mm>` owns an `mm_count` reference (`mmgrab`, `mmdrop` on drop): the struct stays,
/// but once `mm_users` reached zero the areas and page tables are torn down. To use the address
/// space, upgrade with [`mmget_not_zero`], which fails from then on. Dropping may sleep.
///
/// # Invariants
///
/// Values of this type are always refcounted using `mmgrab`.
///
/// [`mmget_not_zero`]: Mm::mmget_not_zero
///
/// # Examples
///
/// Taking and dropping `mm_count` references:
///
/// ```
/// use kernel::{bindings, mm::Mm, types::ARef};
///
/// // SAFETY: `mm_alloc` may be called from process context; it returns a new mm with one
/// // `mm_users` and one `mm_count` reference, or null.
/// let raw = unsafe { bindings::mm_alloc() };
/// assert!(!raw.is_null());
/// // SAFETY: `raw` is a valid mm and we own a reference to it for the rest of this test.
/// let mm = unsafe { Mm::from_raw(raw) };
/// // SAFETY: `raw` is valid, see above.
/// let count = || unsafe { (*raw).__bindgen_anon_1.__bindgen_anon_1.mm_count.counter };
/// assert_eq!(count(), 1);
///
/// let grabbed: ARef<Mm> = ARef::from(mm);
/// assert_eq!(count(), 2);
/// let again = grabbed.clone();
/// assert_eq!(count(), 3);
/// drop(again);
/// drop(grabbed);
/// assert_eq!(count(), 1);
///
/// // SAFETY: We own the `mm_users` reference returned by `mm_alloc`.
/// unsafe { bindings::mmput(raw) };
/// ```
#[repr(transparent)]
pub struct Mm {
    mm: Opaque<bindings::mm_struct>,
}

// SAFETY: It is safe to call `mmdrop` on another thread than where `mmgrab` was called.
unsafe impl Send for Mm {}
// SAFETY: All methods on `Mm` can be called in parallel from several threads.
unsafe impl Sync for Mm {}

// SAFETY: By the type invariants, this type is always refcounted.
unsafe impl AlwaysRefCounted for Mm {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The pointer is valid since self is a reference.
        unsafe { bindings::mmgrab(self.as_raw()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller is giving up their refcount.
        unsafe { bindings::mmdrop(obj.cast().as_ptr()) };
    }
}

/// An [`Mm`] whose address space is known to be alive: `mm_users` is not zero.
///
/// An `ARef<MmWithUser>` owns an `mm_users` reference (`mmget`, `mmput` on drop); a
/// `&MmWithUser` borrows one that someone else holds, such as the current task's. Only this type
/// gives access to the address space's locks and areas. Dropping may sleep, and tears the
/// address space down if it was the last user; see [`MmWithUserAsync`] to avoid that.
///
/// # Invariants
///
/// Values of this type are always refcounted using `mmget`. The value of `mm_users` is non-zero.
///
/// # Examples
///
/// `mmget_not_zero` fails once the address space is gone, even while `mm_count` keeps the struct:
///
/// ```
/// use kernel::{bindings, mm::{Mm, MmWithUser}, types::ARef};
///
/// // SAFETY: `mm_alloc` may be called from process context.
/// let raw = unsafe { bindings::mm_alloc() };
/// assert!(!raw.is_null());
/// // SAFETY: `raw` is valid until the `mmput` below, and `grabbed` keeps it valid after that.
/// let grabbed: ARef<Mm> = ARef::from(unsafe { Mm::from_raw(raw) });
/// // SAFETY: `raw` is valid: `grabbed` holds an `mm_count` reference.
/// let users = || unsafe { (*raw).__bindgen_anon_1.mm_users.counter };
///
/// let user: ARef<MmWithUser> = grabbed.mmget_not_zero().expect("mm_users is one");
/// assert_eq!(users(), 2);
/// let second = user.clone();
/// assert_eq!(users(), 3);
/// drop(second);
/// drop(user);
/// assert_eq!(users(), 1);
///
/// // SAFETY: We own the `mm_users` reference returned by `mm_alloc`.
/// unsafe { bindings::mmput(raw) };
/// assert_eq!(users(), 0);
/// assert!(grabbed.mmget_not_zero().is_none());
/// assert_eq!(users(), 0);
/// ```
#[repr(transparent)]
pub struct MmWithUser {
    mm: Mm,
}

// SAFETY: It is safe to call `mmput` on another thread than where `mmget` was called.
unsafe impl Send for MmWithUser {}
// SAFETY: All methods on `MmWithUser` can be called in parallel from several threads.
unsafe impl Sync for MmWithUser {}

// SAFETY: By the type invariants, this type is always refcounted.
unsafe impl AlwaysRefCounted for MmWithUser {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The pointer is valid since self is a reference.
        unsafe { bindings::mmget(self.as_raw()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller is giving up their refcount.
        unsafe { bindings::mmput(obj.cast().as_ptr()) };
    }
}

// Make all `Mm` methods available on `MmWithUser`.
impl Deref for MmWithUser {
    type Target = Mm;

    #[inline]
    fn deref(&self) -> &Mm {
        &self.mm
    }
}

// These methods are safe to call even if `mm_users` is zero.
impl Mm {
    /// Returns a raw pointer to the inner `mm_struct`.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::mm_struct {
        self.mm.get()
    }

    /// Borrows an `Mm` from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point at an `mm_struct` that stays allocated (someone holds `mm_count`) for 'a.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *const bindings::mm_struct) -> &'a Mm {
        // SAFETY: The caller keeps the struct alive for 'a; `Mm` is a transparent wrapper.
        unsafe { &*ptr.cast() }
    }

    /// Takes an `mm_users` reference, unless the address space is already gone.
    #[inline]
    pub fn mmget_not_zero(&self) -> Option<ARef<MmWithUser>> {
        // SAFETY: The pointer is valid since self is a reference.
        let success = unsafe { bindings::mmget_not_zero(self.as_raw()) };

        if success {
            // SAFETY: We just created an `mmget` refcount.
            Some(unsafe { ARef::from_raw(NonNull::new_unchecked(self.as_raw().cast())) })
        } else {
            None
        }
    }
}

// These methods require `mm_users` to be non-zero.
impl MmWithUser {
    /// Borrows an `MmWithUser` from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point at an `mm_struct` whose `mm_users` stays non-zero for 'a.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *const bindings::mm_struct) -> &'a MmWithUser {
        // SAFETY: The caller keeps the address space alive for 'a; `MmWithUser` is a transparent
        // wrapper of `Mm`, itself one of `struct mm_struct`.
        unsafe { &*ptr.cast() }
    }

    /// Read-locks the area at `vma_addr` by itself, without the mmap lock.
    ///
    /// Only tries: `None` on contention (the area or the address space is being changed), when
    /// there is no area there, and always without `CONFIG_PER_VMA_LOCK`. Fall back to
    /// [`MmWithUser::mmap_read_lock`] then.
    #[inline]
    pub fn lock_vma_under_rcu(&self, vma_addr: usize) -> Option<VmaReadGuard<'_>> {
        #[cfg(CONFIG_PER_VMA_LOCK)]
        {
            // SAFETY: Calling `bindings::lock_vma_under_rcu` is always okay given an mm where
            // `mm_users` is non-zero.
            let vma = unsafe { bindings::lock_vma_under_rcu(self.as_raw(), vma_addr) };
            if !vma.is_null() {
                return Some(VmaReadGuard {
                    // SAFETY: If `lock_vma_under_rcu` returns a non-null ptr, then it points at a
                    // valid vma. The vma is stable for as long as the vma read lock is held, and
                    // its mm is `self`, whose `mm_users` the guard's borrow keeps non-zero.
                    vma: unsafe { VmaRef::from_raw(vma) },
                    _nts: NotThreadSafe,
                });
            }
        }

        // Silence warnings about unused variables.
        #[cfg(not(CONFIG_PER_VMA_LOCK))]
        let _ = vma_addr;

        None
    }

    /// Lock the mmap read lock.
    ///
    /// # Examples
    ///
    /// Looking up a mapping of the current task, here a KUnit thread given a test address space:
    ///
    /// ```
    /// use kernel::{bindings, mm::virt::flags, page::PAGE_SIZE, uaccess::UserSlice};
    ///
    /// // SAFETY: The KUnit thread's `kunit_test` is the running test; `kunit_vm_mmap` gives the
    /// // thread an address space (undone when the test ends) and maps anonymous memory into it.
    /// let addr = unsafe {
    ///     bindings::kunit_vm_mmap(
    ///         (*bindings::get_current()).kunit_test,
    ///         core::ptr::null_mut(),
    ///         0,
    ///         (4 * PAGE_SIZE) as _,
    ///         (bindings::PROT_READ | bindings::PROT_WRITE) as _,
    ///         (bindings::MAP_ANONYMOUS | bindings::MAP_PRIVATE) as _,
    ///         0,
    ///     )
    /// } as usize;
    /// // `kunit_vm_mmap` returns 0 on failure.
    /// assert!(addr != 0 && addr < usize::MAX - 4095);
    /// let end = addr + 4 * PAGE_SIZE;
    ///
    /// let current = current!();
    /// let mm = current.mm().expect("kunit_vm_mmap attached an mm");
    /// {
    ///     let guard = mm.mmap_read_lock();
    ///     let vma = guard.vma_lookup(addr + PAGE_SIZE).expect("the mapping is there");
    ///     assert_eq!((vma.start(), vma.end()), (addr, end));
    ///     assert_eq!(vma.flags() & (flags::READ | flags::WRITE), flags::READ | flags::WRITE);
    ///     assert_eq!(vma.flags() & flags::SHARED, 0);
    ///     assert_eq!(vma.mm().as_raw(), mm.as_raw());
    ///     assert!(guard.vma_lookup(end).is_none());
    ///     // Readers share the lock.
    ///     assert!(mm.mmap_read_trylock().is_some());
    /// }
    ///
    /// // The area is read-locked by itself, with no mmap lock.
    /// UserSlice::new(addr, 1).writer().write_slice(&[1u8])?;
    /// match mm.lock_vma_under_rcu(addr) {
    ///     Some(vma) => assert_eq!((vma.start(), vma.end()), (addr, end)),
    ///     None => assert!(!cfg!(CONFIG_PER_VMA_LOCK)),
    /// }
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    pub fn mmap_read_lock(&self) -> MmapReadGuard<'_> {
        // SAFETY: The pointer is valid since self is a reference.
        unsafe { bindings::mmap_read_lock(self.as_raw()) };

        // INVARIANT: We just acquired the read lock.
        MmapReadGuard {
            mm: self,
            _nts: NotThreadSafe,
        }
    }

    /// Try to lock the mmap read lock.
    #[inline]
    pub fn mmap_read_trylock(&self) -> Option<MmapReadGuard<'_>> {
        // SAFETY: The pointer is valid since self is a reference.
        let success = unsafe { bindings::mmap_read_trylock(self.as_raw()) };

        if success {
            // INVARIANT: We just acquired the read lock.
            Some(MmapReadGuard {
                mm: self,
                _nts: NotThreadSafe,
            })
        } else {
            None
        }
    }
}

/// A guard for the mmap read lock.
///
/// # Invariants
///
/// This `MmapReadGuard` guard owns the mmap read lock.
pub struct MmapReadGuard<'a> {
    mm: &'a MmWithUser,
    // `mmap_read_lock` and `mmap_read_unlock` must be called on the same thread
    _nts: NotThreadSafe,
}

impl<'a> MmapReadGuard<'a> {
    /// Look up a vma at the given address.
    #[inline]
    pub fn vma_lookup(&self, vma_addr: usize) -> Option<&virt::VmaRef> {
        // SAFETY: By the type invariants we hold the mmap read guard, so we can safely call this
        // method. Any value is okay for `vma_addr`.
        let vma = unsafe { bindings::vma_lookup(self.mm.as_raw(), vma_addr) };

        if vma.is_null() {
            None
        } else {
            // SAFETY: We just checked that a vma was found, so the pointer references a valid vma.
            //
            // Furthermore, the returned vma is still under the protection of the read lock guard
            // and can be used while the mmap read lock is still held. That the vma is not used
            // after the MmapReadGuard gets dropped is enforced by the borrow-checker.
            unsafe { Some(virt::VmaRef::from_raw(vma)) }
        }
    }
}

impl Drop for MmapReadGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: We hold the read lock by the type invariants.
        unsafe { bindings::mmap_read_unlock(self.mm.as_raw()) };
    }
}

/// A guard for the vma read lock.
///
/// # Invariants
///
/// This `VmaReadGuard` guard owns the vma read lock.
pub struct VmaReadGuard<'a> {
    vma: &'a VmaRef,
    // `vma_end_read` must be called on the same thread as where the lock was taken
    _nts: NotThreadSafe,
}

// Make all `VmaRef` methods available on `VmaReadGuard`.
impl Deref for VmaReadGuard<'_> {
    type Target = VmaRef;

    #[inline]
    fn deref(&self) -> &VmaRef {
        self.vma
    }
}

impl Drop for VmaReadGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: We hold the read lock by the type invariants.
        #[cfg(CONFIG_PER_VMA_LOCK)]
        unsafe {
            bindings::vma_end_read(self.vma.as_ptr())
        };
    }
}
