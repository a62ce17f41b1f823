// SPDX-License-Identifier: GPL-2.0

//! IO vectors.
//!
//! An `iov_iter` is the kernel's cursor over the buffers of a `read`/`write` family call: user
//! memory, kernel memory or pages. [`IovIterSource`] is one to copy *from* (`write_iter`),
//! [`IovIterDest`] one to copy *to* (`read_iter`). Each copy advances the cursor.
//!
//! C headers: [`include/linux/iov_iter.h`](srctree/include/linux/iov_iter.h),
//! [`include/linux/uio.h`](srctree/include/linux/uio.h)

use crate::{
    alloc::{Allocator, Flags},
    bindings,
    prelude::*,
    types::Opaque,
};
use core::{marker::PhantomData, mem::MaybeUninit};

/// An `iov_iter` whose buffers hold the data of a write: the source of copies.
///
/// # Invariants
///
/// `iov` is a valid `iov_iter` with `data_source` set (`ITER_SOURCE`), whose buffers stay valid
/// for reading for `'data`.
#[repr(transparent)]
pub struct IovIterSource<'data> {
    iov: Opaque<bindings::iov_iter>,
    /// The buffers are borrowed for `'data`, and may be shared (user memory).
    _source: PhantomData<&'data [u8]>,
}

/// An `iov_iter` whose buffers take the data of a read: the destination of copies.
///
/// # Invariants
///
/// `iov` is a valid `iov_iter` with `data_source` clear (`ITER_DEST`), whose buffers stay valid
/// for writing for `'data`.
#[repr(transparent)]
pub struct IovIterDest<'data> {
    iov: Opaque<bindings::iov_iter>,
    /// The buffers are borrowed for `'data`, and may be shared (user memory).
    _dest: PhantomData<&'data mut [u8]>,
}

/// Returns the bytes left in `iov`.
///
/// # Safety
///
/// `iov` must be a valid `iov_iter`.
#[inline]
unsafe fn iov_count(iov: *const bindings::iov_iter) -> usize {
    // SAFETY: `iov` is valid (caller's guarantee). Every kind of `iov_iter` keeps its byte count
    // in this member of the union (`iov_iter_count()` reads it the same way).
    unsafe { (*iov).__bindgen_anon_1.__bindgen_anon_1.as_ref().count }
}

impl<'data> IovIterSource<'data> {
    /// Wraps the `iov_iter` of a `write_iter` call.
    ///
    /// # Safety
    ///
    /// For `'iov`, `ptr` must be a valid `ITER_SOURCE` `iov_iter` that nothing else uses, whose
    /// buffers stay valid for reading for `'data`.
    #[inline]
    pub unsafe fn from_raw<'iov>(ptr: *mut bindings::iov_iter) -> &'iov mut IovIterSource<'data> {
        // SAFETY: The caller guarantees validity and exclusivity for 'iov; the layout is the
        // same because of `repr(transparent)`.
        //
        // INVARIANT: The caller guarantees the direction and the buffers.
        unsafe { &mut *ptr.cast() }
    }

    /// Returns the raw `iov_iter`.
    #[inline]
    pub fn as_raw(&mut self) -> *mut bindings::iov_iter {
        self.iov.get()
    }

    /// Returns the number of bytes left to copy.
    #[inline]
    pub fn len(&self) -> usize {
        // SAFETY: By the type invariants the `iov_iter` is valid.
        unsafe { iov_count(self.iov.get()) }
    }

    /// Returns whether no byte is left.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Skips `bytes` bytes (at most what is left).
    #[inline]
    pub fn advance(&mut self, bytes: usize) {
        // SAFETY: By the type invariants the `iov_iter` is valid; it stops at its end.
        unsafe { bindings::iov_iter_advance(self.as_raw(), bytes) };
    }

    /// Moves the cursor back by `bytes` bytes.
    ///
    /// # Safety
    ///
    /// `bytes` must not exceed what was copied or advanced over through this `iov_iter`.
    #[inline]
    pub unsafe fn revert(&mut self, bytes: usize) {
        // SAFETY: By the type invariants the `iov_iter` is valid; the caller bounds `bytes`.
        unsafe { bindings::iov_iter_revert(self.as_raw(), bytes) };
    }

    /// Copies up to `out.len()` bytes into `out`; returns how many were copied, fewer only at
    /// the end of the data or on a fault.
    #[inline]
    pub fn copy_from_iter(&mut self, out: &mut [u8]) -> usize {
        // SAFETY: A `&mut [u8]` is a valid `&mut [MaybeUninit<u8>]`, and the copy below writes
        // only initialised bytes into it.
        let out = unsafe { &mut *(core::ptr::from_mut(out) as *mut [MaybeUninit<u8>]) };
        self.copy_from_iter_raw(out).len()
    }

    /// Copies up to `out.len()` bytes into `out`, and returns the part that was written.
    #[inline]
    pub fn copy_from_iter_raw(&mut self, out: &mut [MaybeUninit<u8>]) -> &mut [u8] {
        let capacity = out.len();
        let out = out.as_mut_ptr().cast::<u8>();
        // SAFETY: `out` is valid for writing `capacity` bytes; the `iov_iter` is valid (type
        // invariants) and a source.
        let len = unsafe { bindings::_copy_from_iter(out.cast(), capacity, self.as_raw()) };
        // SAFETY: `_copy_from_iter` initialised the first `len` bytes of `out`, `len <= capacity`.
        unsafe { core::slice::from_raw_parts_mut(out, len) }
    }

    /// Appends everything that is left to `out`; returns how many bytes were appended. Fails with
    /// `ENOMEM` if `out` cannot grow by that much.
    pub fn copy_from_iter_vec<A: Allocator>(
        &mut self,
        out: &mut Vec<u8, A>,
        flags: Flags,
    ) -> Result<usize> {
        // A write may be larger than any allocation: fail it with `ENOMEM` rather than warn.
        out.reserve(self.len(), flags | crate::alloc::flags::__GFP_NOWARN)?;
        let len = self.copy_from_iter_raw(out.spare_capacity_mut()).len();
        // SAFETY: The first `len` bytes of the spare capacity were just initialised, and they fit
        // in the capacity.
        unsafe { out.set_len(out.len() + len) };
        Ok(len)
    }
}

impl<'data> IovIterDest<'data> {
    /// Wraps the `iov_iter` of a `read_iter` call.
    ///
    /// # Safety
    ///
    /// For `'iov`, `ptr` must be a valid `ITER_DEST` `iov_iter` that nothing else uses, whose
    /// buffers stay valid for writing for `'data`.
    #[inline]
    pub unsafe fn from_raw<'iov>(ptr: *mut bindings::iov_iter) -> &'iov mut IovIterDest<'data> {
        // SAFETY: The caller guarantees validity and exclusivity for 'iov; the layout is the
        // same because of `repr(transparent)`.
        //
        // INVARIANT: The caller guarantees the direction and the buffers.
        unsafe { &mut *ptr.cast() }
    }

    /// Returns the raw `iov_iter`.
    #[inline]
    pub fn as_raw(&mut self) -> *mut bindings::iov_iter {
        self.iov.get()
    }

    /// Returns the number of bytes of room left.
    #[inline]
    pub fn len(&self) -> usize {
        // SAFETY: By the type invariants the `iov_iter` is valid.
        unsafe { iov_count(self.iov.get()) }
    }

    /// Returns whether no room is left.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Skips `bytes` bytes of room (at most what is left).
    #[inline]
    pub fn advance(&mut self, bytes: usize) {
        // SAFETY: By the type invariants the `iov_iter` is valid; it stops at its end.
        unsafe { bindings::iov_iter_advance(self.as_raw(), bytes) };
    }

    /// Moves the cursor back by `bytes` bytes.
    ///
    /// # Safety
    ///
    /// `bytes` must not exceed what was copied or advanced over through this `iov_iter`.
    #[inline]
    pub unsafe fn revert(&mut self, bytes: usize) {
        // SAFETY: By the type invariants the `iov_iter` is valid; the caller bounds `bytes`.
        unsafe { bindings::iov_iter_revert(self.as_raw(), bytes) };
    }

    /// Copies `input` (as much as fits) to the buffers; returns how many bytes were copied,
    /// fewer only when the room ran out or on a fault.
    #[inline]
    pub fn copy_to_iter(&mut self, input: &[u8]) -> usize {
        // SAFETY: `input` is valid for reading its length; the `iov_iter` is valid (type
        // invariants) and a destination.
        unsafe { bindings::_copy_to_iter(input.as_ptr().cast(), input.len(), self.as_raw()) }
    }

    /// Copies `contents` from file position `*ppos` on, as `simple_read_from_buffer()` does, and
    /// moves `*ppos` past what was copied.
    ///
    /// Returns the number of bytes copied: 0 at or past the end of `contents`. Fails with
    /// `EINVAL` for a negative position and with `EFAULT` if nothing could be copied.
    pub fn simple_read_from_buffer(&mut self, ppos: &mut i64, contents: &[u8]) -> Result<usize> {
        let pos = usize::try_from(*ppos).map_err(|_| EINVAL)?;
        let Some(rest) = contents.get(pos..) else {
            return Ok(0);
        };
        if rest.is_empty() || self.is_empty() {
            return Ok(0);
        }
        let copied = self.copy_to_iter(rest);
        if copied == 0 {
            return Err(EFAULT);
        }
        // `pos + copied <= contents.len()`, which fits an `i64`.
        *ppos = (pos + copied) as i64;
        Ok(copied)
    }
}
