// SPDX-License-Identifier: GPL-2.0

//! Kernel IO callbacks.
//!
//! A [`Kiocb`] is the `struct kiocb` of a `read_iter` or `write_iter` call: the file, its
//! driver state and the position of the IO.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use crate::{bindings, types::ForeignOwnable};
use core::{marker::PhantomData, ptr::NonNull};

/// Wrapper for the kernel's `struct kiocb`.
///
/// `T` is the type of the file's private data, as set by its `open`.
///
/// # Invariants
///
/// `inner` is a valid `struct kiocb` for `'a`, used by nothing else; its file's `private_data`
/// is a `T` from [`ForeignOwnable::into_foreign`], valid (the file is held) for `'a`.
pub struct Kiocb<'a, T> {
    inner: NonNull<bindings::kiocb>,
    _phantom: PhantomData<&'a T>,
}

impl<'a, T: ForeignOwnable> Kiocb<'a, T> {
    /// Wraps the `kiocb` of a `read_iter` or `write_iter` call.
    ///
    /// # Safety
    ///
    /// `kiocb` must satisfy the type invariants for `'a`.
    #[inline]
    pub unsafe fn from_raw(kiocb: *mut bindings::kiocb) -> Self {
        Self {
            // SAFETY: A valid `kiocb` is not null.
            inner: unsafe { NonNull::new_unchecked(kiocb) },
            _phantom: PhantomData,
        }
    }

    /// Returns a raw pointer to the `kiocb`.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::kiocb {
        self.inner.as_ptr()
    }

    /// Borrows the file's private data: the driver's state for this open file.
    #[inline]
    pub fn file(&self) -> <T as ForeignOwnable>::Borrowed<'a> {
        // SAFETY: The `kiocb` is valid and its file is held for 'a (type invariants).
        let private = unsafe { (*(*self.as_raw()).ki_filp).private_data };
        // SAFETY: By the type invariants `private` came from `T::into_foreign` and stays valid
        // for 'a: `release` (the only `from_foreign`) cannot run while the file is held.
        unsafe { <T as ForeignOwnable>::borrow(private) }
    }

    /// Returns the position of this IO in the file.
    #[inline]
    pub fn ki_pos(&self) -> i64 {
        // SAFETY: The `kiocb` is valid for reading (type invariants).
        unsafe { (*self.as_raw()).ki_pos }
    }

    /// Returns the position of this IO in the file, to update.
    #[inline]
    pub fn ki_pos_mut(&mut self) -> &mut i64 {
        // SAFETY: The `kiocb` is valid and used by nothing else for 'a (type invariants), and
        // `&mut self` borrows it exclusively.
        unsafe { &mut (*self.as_raw()).ki_pos }
    }
}
