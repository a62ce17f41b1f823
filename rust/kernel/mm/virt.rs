// SPDX-License-Identifier: GPL-2.0

//! Virtual memory areas.
//!
//! A [`VmaRef`] is a borrowed `struct vm_area_struct`: one contiguous range of an address space
//! with the same permissions and backing. The borrow is only valid while a lock that keeps the
//! vma alive is held, which the borrow checker enforces by tying it to the lock's guard.
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use crate::{
    bindings,
    error::{code::EINVAL, to_result, Result},
    fs::File,
    mm::MmWithUser,
    page::Page,
    types::Opaque,
};
use core::ops::Deref;

/// A borrowed `struct vm_area_struct`: one area of an address space, readable.
///
/// Only lock guards hand these out ([`MmapReadGuard::vma_lookup`], [`VmaReadGuard`]), and a
/// `&VmaRef` cannot outlive the guard it came from.
///
/// [`MmapReadGuard::vma_lookup`]: crate::mm::MmapReadGuard::vma_lookup
/// [`VmaReadGuard`]: crate::mm::VmaReadGuard
///
/// # Invariants
///
/// While a `&VmaRef` exists, the mmap read lock of its mm or the area's own read lock is held,
/// and its mm has a non-zero `mm_users`. (The lock alone does not give the latter: `exit_mmap`
/// takes the mmap lock once `mm_users` is zero.)
#[repr(transparent)]
pub struct VmaRef {
    vma: Opaque<bindings::vm_area_struct>,
}

// Everything here needs only the mmap or vma read lock, and works whatever the area's flags.
impl VmaRef {
    /// Borrows an area from a raw pointer.
    ///
    /// # Safety
    ///
    /// `vma` must be valid, and its mmap read lock or its own read lock (or a stronger lock) held,
    /// for all of 'a; and `vma->vm_mm` must have a non-zero `mm_users` for all of 'a (the caller
    /// holds an `mm_users` reference, or borrows one).
    #[inline]
    pub unsafe fn from_raw<'a>(vma: *const bindings::vm_area_struct) -> &'a Self {
        // SAFETY: By the safety requirements, `vma` is valid and locked for 'a; the layout is
        // compatible because of `repr(transparent)`.
        unsafe { &*vma.cast() }
    }

    /// Returns a raw pointer to this area.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::vm_area_struct {
        self.vma.get()
    }

    /// Returns the address space this area belongs to.
    #[inline]
    pub fn mm(&self) -> &MmWithUser {
        // SAFETY: By the type invariants, this `vm_area_struct` is valid and we hold the mmap or
        // vma read lock, so `vm_mm` is stable, and its `mm_users` is non-zero for the borrow
        // (whoever made this `&VmaRef` holds or borrows that reference: the `&MmWithUser` a
        // guard borrows, or `current->mm` in `mmap`).
        unsafe { MmWithUser::from_raw((*self.as_ptr()).vm_mm) }
    }

    /// Returns the area's flags (`vm_flags`).
    ///
    /// The possible flags are a combination of the constants in [`flags`].
    #[inline]
    pub fn flags(&self) -> vm_flags_t {
        // SAFETY: By the type invariants, the caller holds at least the mmap read lock, so the
        // area is valid. The core mm may still flip a flag under the read lock (`untrack_pfn`
        // clears `VM_PAT`), so read with `READ_ONCE` semantics.
        unsafe { core::ptr::addr_of!((*self.as_ptr()).__bindgen_anon_2.vm_flags).read_volatile() }
    }

    /// Returns the first address of the area.
    #[inline]
    pub fn start(&self) -> usize {
        // SAFETY: By the type invariants, the caller holds at least the mmap read lock, so this
        // access is not a data race.
        unsafe { (*self.as_ptr()).__bindgen_anon_1.__bindgen_anon_1.vm_start }
    }

    /// Returns the offset of the area in its file, in pages (`vm_pgoff`).
    #[inline]
    pub fn pgoff(&self) -> usize {
        // SAFETY: By the type invariants, the caller holds at least the mmap read lock, so this
        // access is not a data race.
        unsafe { (*self.as_ptr()).vm_pgoff }
    }

    /// Returns the address just past the end of the area.
    #[inline]
    pub fn end(&self) -> usize {
        // SAFETY: By the type invariants, the caller holds at least the mmap read lock, so this
        // access is not a data race.
        unsafe { (*self.as_ptr()).__bindgen_anon_1.__bindgen_anon_1.vm_end }
    }

    /// Unmaps the pages of `address..address + size` from this area.
    ///
    /// Only the last level of the page tables is cleared: the pages stop being mapped here and
    /// anonymous ones are freed, file-backed ones lose this mapping's reference (dirty data is
    /// still written back as usual). The area itself stays; a later access faults again. A range
    /// that is not inside the area does nothing, and so does any range of a hugetlb or PFN-mapped
    /// area, which cannot be zapped safely from here.
    #[inline]
    pub fn zap_page_range_single(&self, address: usize, size: usize) {
        let (end, did_overflow) = address.overflowing_add(size);
        if did_overflow || address < self.start() || self.end() < end {
            return;
        }
        // A hugetlb area BUG()s on bounds that are not huge-page aligned; zapping a PFN-mapped
        // area drops the PAT tracking of all of it and writes `vm_flags` under the read lock.
        if self.flags() & (flags::HUGETLB | flags::PFNMAP) != 0 {
            return;
        }

        // SAFETY: By the type invariants, the caller has read access to this VMA, which is
        // sufficient for zapping an area that is neither hugetlb nor PFN-mapped (checked above).
        // The address range is checked to be within the vma.
        unsafe {
            bindings::zap_page_range_single(self.as_ptr(), address, size, core::ptr::null_mut())
        };
    }

    /// Returns the file this area maps, if it maps one.
    ///
    /// Drivers use it to check that an area of the caller's address space is a mapping of their
    /// own file before touching it.
    #[inline]
    pub fn file(&self) -> Option<&File> {
        // SAFETY: By the type invariants, the caller holds at least the mmap read lock, so
        // `vm_file` is stable.
        let file = unsafe { (*self.as_ptr()).vm_file };
        if file.is_null() {
            return None;
        }
        // SAFETY: The area holds a reference on its file for as long as it exists, which is at
        // least as long as this borrow. Because of that reference, the file's count is above one
        // while any fd refers to it, so every `fdget_pos` that starts while the area exists takes
        // `f_pos_lock` (for `FMODE_ATOMIC_POS` files, the only ones it skips it for). One that
        // started earlier is not excluded; no method of `File` touches `f_pos`.
        Some(unsafe { File::from_raw_file(file) })
    }

    /// Unmaps the pages of `address..address + size` from this area: mainline's newer name of
    /// [`VmaRef::zap_page_range_single`], which it is.
    #[inline]
    pub fn zap_vma_range(&self, address: usize, size: usize) {
        self.zap_page_range_single(address, size)
    }

    /// Returns a view of this area that can have pages inserted, if it has `VM_MIXEDMAP` set:
    /// mainline's name of [`VmaRef::check_mixedmap`], which it is.
    #[inline]
    pub fn as_mixedmap_vma(&self) -> Option<&VmaMixedMap> {
        self.check_mixedmap()
    }

    /// Returns a view of this area that can have pages inserted, if it has `VM_MIXEDMAP` set.
    #[inline]
    pub fn check_mixedmap(&self) -> Option<&VmaMixedMap> {
        if self.flags() & flags::MIXEDMAP != 0 {
            // SAFETY: We just checked that `VM_MIXEDMAP` is set. All other requirements are
            // satisfied by the type invariants of `VmaRef`.
            Some(unsafe { VmaMixedMap::from_raw(self.as_ptr()) })
        } else {
            None
        }
    }
}

/// A borrowed area with `VM_MIXEDMAP` set, into which pages may be inserted.
///
/// Such areas are made by a driver's `mmap` handler ([`VmaNew::set_mixedmap`]); later, while the
/// mmap read lock is held, [`VmaRef::check_mixedmap`] gives this view back.
///
/// # Invariants
///
/// The same as [`VmaRef`], and `VM_MIXEDMAP` is set. The flag cannot be cleared while the read
/// lock is held.
#[repr(transparent)]
pub struct VmaMixedMap {
    vma: VmaRef,
}

impl Deref for VmaMixedMap {
    type Target = VmaRef;

    #[inline]
    fn deref(&self) -> &VmaRef {
        &self.vma
    }
}

impl VmaMixedMap {
    /// Borrows a mixed-map area from a raw pointer.
    ///
    /// # Safety
    ///
    /// The requirements of [`VmaRef::from_raw`], and `VM_MIXEDMAP` must be set.
    #[inline]
    pub unsafe fn from_raw<'a>(vma: *const bindings::vm_area_struct) -> &'a Self {
        // SAFETY: The caller ensures that the invariants are satisfied for the duration of 'a;
        // the layout is compatible because of `repr(transparent)`.
        unsafe { &*vma.cast() }
    }

    /// Maps a single page at `address` in this area.
    ///
    /// The mapping takes its own reference on the page, dropped when the page is unmapped (for
    /// instance by [`VmaRef::zap_page_range_single`] or when the area goes away).
    ///
    /// Fails with `EFAULT` if `address` is outside the area, and with `EBUSY` if a page is
    /// already mapped there. The page must not be a slab, anonymous or page-cache page, which a
    /// [`Page`] from [`Page::alloc_page`] never is.
    #[inline]
    pub fn vm_insert_page(&self, address: usize, page: &Page) -> Result {
        // SAFETY: The caller has read access and `VM_MIXEDMAP` is set (type invariants), which
        // is what `vm_insert_page` needs under the read lock. The page is a valid order-0 page
        // with a reference held by `page`; the address is checked against the area by the C
        // side.
        to_result(unsafe { bindings::vm_insert_page(self.as_ptr(), address, page.as_ptr()) })
    }
}

/// An area being set up by a driver's `mmap` handler.
///
/// The area is not yet visible to anyone else, so its flags may still be changed: this is where
/// a driver makes a mapping read-only for good, or marks it for inserting pages later.
///
/// # Invariants
///
/// The area is being set up by an `mmap()` call, with the mmap write lock held, and is not yet
/// in the address space's tree, for the lifetime of the reference.
#[repr(transparent)]
pub struct VmaNew {
    vma: VmaRef,
}

impl Deref for VmaNew {
    type Target = VmaRef;

    #[inline]
    fn deref(&self) -> &VmaRef {
        &self.vma
    }
}

impl VmaNew {
    /// Borrows a new area from a raw pointer.
    ///
    /// # Safety
    ///
    /// `vma` must be an area being set up by the `mmap` file operation now running, for all of
    /// 'a.
    #[inline]
    pub unsafe fn from_raw<'a>(vma: *mut bindings::vm_area_struct) -> &'a Self {
        // SAFETY: The caller ensures that the invariants are satisfied for the duration of 'a;
        // the layout is compatible because of `repr(transparent)`.
        unsafe { &*vma.cast() }
    }

    /// Sets the flags in `set` and clears the ones in `unset`.
    ///
    /// # Safety
    ///
    /// The result must be a valid set of flags for this area: no flag that the core mm or the
    /// area's backing relies on may be cleared, and no flag may be set whose promise the driver
    /// does not keep (as on mainline, where this function is `unsafe` too).
    #[inline]
    unsafe fn update_flags(&self, set: vm_flags_t, unset: vm_flags_t) {
        let mut flags = self.flags();
        flags |= set;
        flags &= !unset;

        // SAFETY: By the type invariants the area is not shared yet and its mm is write-locked,
        // so this write races with nothing. `vm_flags_init()`, a static inline, does the same.
        unsafe { (*self.as_ptr()).__bindgen_anon_2.__vm_flags = flags };
    }

    /// Clears `may` (a `VM_MAY*` flag) unless the area already has `now`, its permission.
    #[inline]
    fn try_clear_may(&self, now: vm_flags_t, may: vm_flags_t) -> Result {
        if self.flags() & now != 0 {
            return Err(EINVAL);
        }
        // SAFETY: Clearing a `VM_MAY*` flag whose permission the area does not have (checked
        // above) only takes a future `mprotect()` right away: valid for any area.
        unsafe { self.update_flags(flags::NONE, may) };
        Ok(())
    }

    /// Sets `VM_MIXEDMAP`, so that pages can be inserted with [`VmaMixedMap::vm_insert_page`].
    #[inline]
    pub fn set_mixedmap(&self) -> &VmaMixedMap {
        // SAFETY: `VM_MIXEDMAP` is valid on any area a driver sets up in `mmap`: it only lets
        // `vm_insert_page` add pages, and the core mm handles such areas on fork and unmap.
        unsafe { self.update_flags(flags::MIXEDMAP, flags::NONE) };

        // SAFETY: We just set `VM_MIXEDMAP`; the write lock is held (type invariants).
        unsafe { VmaMixedMap::from_raw(self.as_ptr()) }
    }

    /// Sets `VM_IO`: the area maps memory-mapped I/O or similar, and is skipped by core dumps
    /// and `get_user_pages`. It also makes [`VmaNew::set_dontcopy`] and
    /// [`VmaNew::set_dontdump`] permanent: `madvise()` cannot undo them on such an area.
    #[inline]
    pub fn set_io(&self) {
        // SAFETY: `VM_IO` only makes the core mm do less with the area (no `get_user_pages`, no
        // core dump, no `madvise(MADV_DOFORK)`/`MADV_DODUMP`); valid for any driver mapping.
        unsafe { self.update_flags(flags::IO, flags::NONE) };
    }

    /// Sets `VM_DONTEXPAND`: `mremap()` cannot grow the area.
    #[inline]
    pub fn set_dontexpand(&self) {
        // SAFETY: `VM_DONTEXPAND` only makes `mremap()` refuse to grow the area.
        unsafe { self.update_flags(flags::DONTEXPAND, flags::NONE) };
    }

    /// Sets `VM_DONTCOPY`: a child made by `fork()` does not get this area.
    ///
    /// This is only permanent if `VM_IO` is set too ([`VmaNew::set_io`]): otherwise user space
    /// may clear the flag again with `madvise(MADV_DOFORK)`, and later children get the area.
    /// Do not rely on it for safety.
    #[inline]
    pub fn set_dontcopy(&self) {
        // SAFETY: `VM_DONTCOPY` only makes `fork()` leave the area out of the child.
        unsafe { self.update_flags(flags::DONTCOPY, flags::NONE) };
    }

    /// Sets `VM_DONTDUMP`: core dumps leave this area out.
    ///
    /// This is only permanent once the area is `VM_SPECIAL` (after [`VmaNew::set_io`],
    /// [`VmaNew::set_dontexpand`] or [`VmaNew::set_mixedmap`]): otherwise user space may clear
    /// the flag again with `madvise(MADV_DODUMP)`.
    #[inline]
    pub fn set_dontdump(&self) {
        // SAFETY: `VM_DONTDUMP` only makes core dumps leave the area out.
        unsafe { self.update_flags(flags::DONTDUMP, flags::NONE) };
    }

    /// Returns whether the area is readable now.
    #[inline]
    pub fn readable(&self) -> bool {
        self.flags() & flags::READ != 0
    }

    /// Clears `VM_MAYREAD`, so that `mprotect()` can never make the area readable.
    ///
    /// Fails with `EINVAL` if the area is readable already.
    #[inline]
    pub fn try_clear_mayread(&self) -> Result {
        self.try_clear_may(flags::READ, flags::MAYREAD)
    }

    /// Returns whether the area is writable now.
    #[inline]
    pub fn writable(&self) -> bool {
        self.flags() & flags::WRITE != 0
    }

    /// Clears `VM_MAYWRITE`, so that `mprotect()` can never make the area writable.
    ///
    /// Fails with `EINVAL` if the area is writable already.
    #[inline]
    pub fn try_clear_maywrite(&self) -> Result {
        self.try_clear_may(flags::WRITE, flags::MAYWRITE)
    }

    /// Returns whether the area is executable now.
    #[inline]
    pub fn executable(&self) -> bool {
        self.flags() & flags::EXEC != 0
    }

    /// Clears `VM_MAYEXEC`, so that `mprotect()` can never make the area executable.
    ///
    /// Fails with `EINVAL` if the area is executable already.
    #[inline]
    pub fn try_clear_mayexec(&self) -> Result {
        self.try_clear_may(flags::EXEC, flags::MAYEXEC)
    }
}

/// The integer type used for vma flags.
#[doc(inline)]
pub use bindings::vm_flags_t;

/// All possible flags for [`VmaRef`].
pub mod flags {
    use super::vm_flags_t;
    use crate::bindings;

    /// No flags are set.
    pub const NONE: vm_flags_t = bindings::VM_NONE as _;

    /// Mapping allows reads.
    pub const READ: vm_flags_t = bindings::VM_READ as _;

    /// Mapping allows writes.
    pub const WRITE: vm_flags_t = bindings::VM_WRITE as _;

    /// Mapping allows execution.
    pub const EXEC: vm_flags_t = bindings::VM_EXEC as _;

    /// Mapping is shared.
    pub const SHARED: vm_flags_t = bindings::VM_SHARED as _;

    /// Mapping may be updated to allow reads.
    pub const MAYREAD: vm_flags_t = bindings::VM_MAYREAD as _;

    /// Mapping may be updated to allow writes.
    pub const MAYWRITE: vm_flags_t = bindings::VM_MAYWRITE as _;

    /// Mapping may be updated to allow execution.
    pub const MAYEXEC: vm_flags_t = bindings::VM_MAYEXEC as _;

    /// Mapping may be updated to be shared.
    pub const MAYSHARE: vm_flags_t = bindings::VM_MAYSHARE as _;

    /// Page-ranges managed without `struct page`, just pure PFN.
    pub const PFNMAP: vm_flags_t = bindings::VM_PFNMAP as _;

    /// Memory mapped I/O or similar.
    pub const IO: vm_flags_t = bindings::VM_IO as _;

    /// Do not copy this vma on fork.
    pub const DONTCOPY: vm_flags_t = bindings::VM_DONTCOPY as _;

    /// Cannot expand with mremap().
    pub const DONTEXPAND: vm_flags_t = bindings::VM_DONTEXPAND as _;

    /// Lock the pages covered when they are faulted in.
    pub const LOCKONFAULT: vm_flags_t = bindings::VM_LOCKONFAULT as _;

    /// Is a VM accounted object.
    pub const ACCOUNT: vm_flags_t = bindings::VM_ACCOUNT as _;

    /// Should the VM suppress accounting.
    pub const NORESERVE: vm_flags_t = bindings::VM_NORESERVE as _;

    /// Huge TLB Page VM.
    pub const HUGETLB: vm_flags_t = bindings::VM_HUGETLB as _;

    /// Synchronous page faults. (DAX-specific)
    pub const SYNC: vm_flags_t = bindings::VM_SYNC as _;

    /// Architecture-specific flag.
    pub const ARCH_1: vm_flags_t = bindings::VM_ARCH_1 as _;

    /// Wipe VMA contents in child on fork.
    pub const WIPEONFORK: vm_flags_t = bindings::VM_WIPEONFORK as _;

    /// Do not include in the core dump.
    pub const DONTDUMP: vm_flags_t = bindings::VM_DONTDUMP as _;

    /// Not soft dirty clean area.
    pub const SOFTDIRTY: vm_flags_t = bindings::VM_SOFTDIRTY as _;

    /// Can contain `struct page` and pure PFN pages.
    pub const MIXEDMAP: vm_flags_t = bindings::VM_MIXEDMAP as _;

    /// MADV_HUGEPAGE marked this vma.
    pub const HUGEPAGE: vm_flags_t = bindings::VM_HUGEPAGE as _;

    /// MADV_NOHUGEPAGE marked this vma.
    pub const NOHUGEPAGE: vm_flags_t = bindings::VM_NOHUGEPAGE as _;

    /// KSM may merge identical pages.
    pub const MERGEABLE: vm_flags_t = bindings::VM_MERGEABLE as _;
}
