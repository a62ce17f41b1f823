// SPDX-License-Identifier: GPL-2.0

//! Version of `MmWithUser` using `mmput_async`.
//!
//! This is a separate file from `mm.rs` due to the dependency on `CONFIG_MMU=y`.
#![cfg(CONFIG_MMU)]

use crate::{
    bindings,
    mm::MmWithUser,
    types::{ARef, AlwaysRefCounted},
};
use core::{ops::Deref, ptr::NonNull};

/// An [`MmWithUser`] whose last `mm_users` reference is dropped with `mmput_async`.
///
/// `mmput` may tear the whole address space down when it drops the last user, which takes time
/// and takes locks that the caller may not be allowed to take. `mmput_async` moves that work to
/// a workqueue, so dropping an `ARef<MmWithUserAsync>` never does it in the caller's context.
///
/// # Invariants
///
/// Values of this type are always refcounted using `mmget`. The value of `mm_users` is non-zero.
///
/// # Examples
///
/// ```
/// use kernel::{bindings, mm::{Mm, MmWithUser, MmWithUserAsync}, types::ARef};
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
/// let user: ARef<MmWithUserAsync> = MmWithUser::into_mmput_async(user);
/// assert_eq!(users(), 2);
/// let second = user.clone();
/// assert_eq!(users(), 3);
/// drop(second);
/// drop(user);
/// assert_eq!(users(), 1);
///
/// // SAFETY: We own the `mm_users` reference returned by `mm_alloc`.
/// unsafe { bindings::mmput(raw) };
/// ```
#[repr(transparent)]
pub struct MmWithUserAsync {
    mm: MmWithUser,
}

// SAFETY: It is safe to call `mmput_async` on another thread than where `mmget` was called.
unsafe impl Send for MmWithUserAsync {}
// SAFETY: All methods on `MmWithUserAsync` can be called in parallel from several threads.
unsafe impl Sync for MmWithUserAsync {}

// SAFETY: By the type invariants, this type is always refcounted.
unsafe impl AlwaysRefCounted for MmWithUserAsync {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The pointer is valid since `self` is a reference.
        unsafe { bindings::mmget(self.as_raw()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller is giving up their refcount.
        unsafe { bindings::mmput_async(obj.cast().as_ptr()) };
    }
}

// Make all `MmWithUser` methods available on `MmWithUserAsync`.
impl Deref for MmWithUserAsync {
    type Target = MmWithUser;

    #[inline]
    fn deref(&self) -> &MmWithUser {
        &self.mm
    }
}

impl MmWithUser {
    /// Use `mmput_async` when dropping this refcount.
    #[inline]
    pub fn into_mmput_async(me: ARef<MmWithUser>) -> ARef<MmWithUserAsync> {
        // SAFETY: The layouts and invariants are compatible.
        unsafe { ARef::from_raw(ARef::into_raw(me).cast()) }
    }
}
