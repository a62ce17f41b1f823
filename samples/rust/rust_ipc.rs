// SPDX-License-Identifier: GPL-2.0

//! A small binder-like IPC driver: passes payloads and files between processes.
//!
//! Every open file of `/dev/rust-ipc` is an endpoint with an id. A receiver maps a read-only
//! receive area; a sender names the receiver by id and sends a payload and some file
//! descriptors. The user API is in `include/uapi/linux/rust_ipc.h`; in C:
//!
//! ```c
//! /* Receiver. */
//! int ep = open("/dev/rust-ipc", O_RDWR | O_CLOEXEC);
//! __u32 id;
//! ioctl(ep, RUST_IPC_IOC_GET_ID, &id);             /* tell the sender, somehow */
//! char *area = mmap(NULL, 64 * 1024, PROT_READ, MAP_SHARED, ep, 0);
//! struct rust_ipc_recv r;
//! ioctl(ep, RUST_IPC_IOC_RECV, &r);                /* blocks; or O_NONBLOCK + poll() */
//! use(area + r.offset, r.data_size, r.fds, r.num_fds);
//! ioctl(ep, RUST_IPC_IOC_FREE, r.offset);          /* also closes r.fds */
//!
//! /* Sender, with an endpoint of its own. */
//! struct rust_ipc_send s = {
//!         .target = id, .data = (__u64)buf, .data_size = len,
//!         .num_fds = 1, .fds = { pipefd[1] },
//! };
//! ioctl(sender_ep, RUST_IPC_IOC_SEND, &s);
//! ```
//!
//! What each part of the shim layer does here:
//!
//! - The receive area's mm is kept with `mmgrab` (`ARef<Mm>` from `current!().mm()`), which does
//!   not pin the address space: a receiver that exits loses it, and a sender then gets `ESRCH`
//!   from `mmget_not_zero`.
//! - A send runs in the sender's context: it reads the whole payload into the kernel first (a
//!   payload that faults fails the send before anything reaches the receiver), then upgrades the
//!   receiver's mm with `mmget_not_zero`, installs new pages in the receiver's area with
//!   `vm_insert_page` under the mmap read lock, copies the payload in, and lets go of the mm with
//!   `mmput_async`: `mm_users` is held only while pages are installed. Pages and payloads are
//!   charged to the sender's memory cgroup (`GFP_KERNEL_ACCOUNT`).
//! - The sender's files are taken with `LocalFile::fget`; the receiver gets them through
//!   `FileDescriptorReservation`s, all reserved before any is installed.
//! - Freeing a buffer closes the fds that came with it with one `DeferredFdCloser`, sized for
//!   them when they were received (one allocation and one task work; the receiver's ioctl may
//!   still hold one of them), and zaps and frees pages nobody uses any more.
//! - An endpoint belongs to the address space that opened it (kept with `mmgrab`, so its
//!   identity cannot be reused): only that process maps the area, receives and frees. A child
//!   that inherited the file, or the opener after `execve`, gets `EPERM`: fd numbers mean
//!   something else in its table.
//! - A receive that fails puts the message back and wakes the other waiters, which saw the queue
//!   without it.
//!
//! Locking: an endpoint's `inner` mutex is taken before the receiver's mmap lock, never after it.
//! The `mmap` handler runs under the mmap write lock, so it only touches `area`, a spinlock that
//! is never held while sleeping. Payloads are read from the sender with no lock and no address
//! space held.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::{
    alloc::flags::__GFP_ZERO,
    c_str, container_of,
    fs::{
        file::{
            flags::{O_CLOEXEC, O_NONBLOCK},
            DeferredFdCloser, FdTableId, FileDescriptorReservation,
        },
        File, LocalFile, ReleasingFile,
    },
    ioctl::{_IO, _IOC_SIZE, _IOR, _IOW},
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    mm::{virt::VmaNew, Mm, MmWithUser, MmWithUserAsync},
    new_mutex, new_poll_condvar, new_spinlock,
    page::{Page, PAGE_SIZE},
    prelude::*,
    rbtree::{RBTree, RBTreeNode, RBTreeNodeReservation},
    sync::{
        poll::{events, PollCondVar, PollTable},
        Arc, ArcBorrow, Mutex, SpinLock,
    },
    types::{ARef, AsBytes, FromBytes},
    uaccess::{UserSlice, UserSliceReader},
};

const MAX_FDS: usize = 8;
const MAX_DATA: usize = 256 * 1024;
const AREA_MAX: usize = 1024 * 1024;
const MAX_PENDING: usize = 64;
/// Buffers start at multiples of this, and take at least this much room.
const ALIGN: usize = 8;

/// `struct rust_ipc_send`.
#[repr(C)]
#[derive(Default)]
struct SendArgs {
    target: u32,
    num_fds: u32,
    data: u64,
    data_size: u64,
    fds: [i32; MAX_FDS],
}

/// `struct rust_ipc_recv`.
#[repr(C)]
#[derive(Default)]
struct RecvArgs {
    sender: u32,
    num_fds: u32,
    offset: u64,
    data_size: u64,
    fds: [i32; MAX_FDS],
    flags: u32,
    num_dropped: u32,
}

/// `RUST_IPC_RECV_FDS_DROPPED`: the message's files did not fit the receiver's fd table.
const RECV_FDS_DROPPED: u32 = 1;

/// `struct rust_ipc_info`.
#[repr(C)]
#[derive(Default)]
struct Info {
    id: u32,
    mm_grabbed: u32,
    pending: u32,
    live_buffers: u32,
    pages: u64,
    pages_installed: u64,
    fds_installed: u64,
    fds_closed: u64,
}

// SAFETY: These structs are made of integers only, with no padding (checked below), so any bit
// pattern is valid and every byte is initialised.
unsafe impl FromBytes for SendArgs {}
// SAFETY: See above.
unsafe impl AsBytes for RecvArgs {}
// SAFETY: See above.
unsafe impl AsBytes for Info {}

kernel::static_assert!(core::mem::size_of::<SendArgs>() == 24 + 4 * MAX_FDS);
kernel::static_assert!(core::mem::size_of::<RecvArgs>() == 24 + 4 * MAX_FDS + 8);
kernel::static_assert!(core::mem::size_of::<Info>() == 48);

const RUST_IPC_IOC_GET_ID: u32 = _IOR::<u32>(b'r' as u32, 1);
const RUST_IPC_IOC_SEND: u32 = _IOW::<SendArgs>(b'r' as u32, 2);
const RUST_IPC_IOC_RECV: u32 = _IOR::<RecvArgs>(b'r' as u32, 3);
const RUST_IPC_IOC_FREE: u32 = _IO(b'r' as u32, 4);
const RUST_IPC_IOC_INFO: u32 = _IOR::<Info>(b'r' as u32, 5);
const RUST_IPC_IOC_ACCEPT_FDS: u32 = _IO(b'r' as u32, 6);

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

module! {
    type: RustIpcModule,
    name: "rust_ipc",
    author: "rfl-shim developers",
    description: "Binder-like IPC of payloads and file descriptors",
    license: "GPL",
}

#[pin_data]
struct RustIpcModule {
    registry: Arc<Registry>,
    #[pin]
    misc: MiscDeviceRegistration<Endpoint>,
}

impl kernel::InPlaceModule for RustIpcModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let options = MiscDeviceOptions {
            name: c_str!("rust-ipc"),
        };

        try_pin_init!(Self {
            // Before `misc`: files can be opened as soon as it is registered.
            registry: Arc::pin_init(
                pin_init!(Registry {
                    endpoints <- new_mutex!(RBTree::new(), "Registry::endpoints"),
                }),
                GFP_KERNEL
            )?,
            misc <- MiscDeviceRegistration::register(options),
        })
    }
}

/// The open endpoints, by id.
#[pin_data]
struct Registry {
    #[pin]
    endpoints: Mutex<RBTree<u32, Arc<Endpoint>>>,
}

impl Registry {
    fn get(&self, id: u32) -> Option<Arc<Endpoint>> {
        self.endpoints.lock().get(&id).cloned()
    }
}

/// The receive area, set once by `mmap`.
struct Area {
    start: usize,
    size: usize,
    /// The receiver's address space, kept by `mmgrab` only.
    mm: ARef<Mm>,
}

/// A page of the receive area, with the number of buffers that use part of it.
struct PageSlot {
    page: Arc<Page>,
    users: u32,
}

struct Message {
    sender: u32,
    offset: usize,
    size: usize,
    files: KVec<ARef<File>>,
}

/// A received buffer, not freed yet: the fds installed with it, the closer that will close them
/// all on free (none when there are none), and the fd table they are in (the owner's threads may
/// have several).
struct Buffer {
    fds: [u32; MAX_FDS],
    num_fds: usize,
    closer: Option<DeferredFdCloser>,
    table: FdTableId,
}

#[derive(Default)]
struct Stats {
    pages_installed: AtomicU64,
    fds_installed: AtomicU64,
    fds_closed: AtomicU64,
}

struct Inner {
    /// Set by `release`: the endpoint takes no more messages.
    dead: bool,
    next_seq: u64,
    /// Messages not received yet, in order.
    pending: RBTree<u64, Message>,
    /// Received buffers, by offset.
    live: RBTree<usize, Buffer>,
    /// Room taken in the area (by pending and live buffers): offset to length.
    allocs: RBTree<usize, usize>,
    /// Pages installed in the area, by index.
    pages: RBTree<usize, PageSlot>,
    /// Pending messages, and sends that have reserved room but are still copying.
    queued: usize,
}

#[pin_data]
struct Endpoint {
    id: u32,
    /// Identity of this endpoint's file (compared, never dereferenced).
    file: usize,
    /// The address space of the process that opened the endpoint: only it maps, receives and
    /// frees. Kept with `mmgrab`, so that no later address space can have the same identity (a
    /// process after `execve`, or a new process with a reused pid, has another one).
    owner: Option<ARef<Mm>>,
    /// Whether the owner opted in to receiving files (`RUST_IPC_IOC_ACCEPT_FDS`).
    accepts_fds: AtomicBool,
    registry: Arc<Registry>,
    #[pin]
    inner: Mutex<Inner>,
    #[pin]
    area: SpinLock<Option<Area>>,
    #[pin]
    wait: PollCondVar,
    stats: Stats,
}

/// Rounds a buffer length up to what it takes in the area.
fn room_for(size: usize) -> usize {
    size.max(1).next_multiple_of(ALIGN)
}

/// Index range of the pages that `offset..offset + len` touches (`len > 0`).
fn page_range(offset: usize, len: usize) -> core::ops::RangeInclusive<usize> {
    offset / PAGE_SIZE..=(offset + len - 1) / PAGE_SIZE
}

impl Inner {
    /// First fit: the lowest offset with `len` bytes free in an area of `area_size` bytes.
    fn find_room(&self, len: usize, area_size: usize) -> Option<usize> {
        let mut candidate = 0;
        for (&offset, &taken) in self.allocs.iter() {
            if offset >= candidate + len {
                break;
            }
            candidate = candidate.max(offset + taken);
        }
        (candidate + len <= area_size).then_some(candidate)
    }

    /// Drops one user of each page of `offset..offset + len`. Pages left with none are
    /// unmapped from `area` (where its mapping is still the endpoint's `file`) and freed.
    fn put_pages(
        &mut self,
        offset: usize,
        len: usize,
        area: Option<(&MmWithUser, usize)>,
        file: usize,
    ) {
        let guard = area.map(|(mm, start)| (mm.mmap_read_lock(), start));
        for index in page_range(offset, len) {
            let Some(slot) = self.pages.get_mut(&index) else {
                continue;
            };
            slot.users -= 1;
            if slot.users > 0 {
                continue;
            }
            let page = self.pages.remove(&index);
            if let Some((guard, start)) = &guard {
                let addr = start + index * PAGE_SIZE;
                if let Some(vma) = guard.vma_lookup(addr) {
                    if vma.file().map(|f| f.as_ptr() as usize) == Some(file) {
                        vma.zap_page_range_single(addr, PAGE_SIZE);
                    }
                }
            }
            // Unmapped: the page goes back to the allocator.
            drop(page);
        }
    }
}

/// The pages of a reserved range, in order, from the one holding `offset`.
type RangePages = KVec<Arc<Page>>;

/// Reads the whole payload from the sender into the kernel (memory charged to the sender).
fn read_payload(mut reader: UserSliceReader, size: usize) -> Result<KVVec<u8>> {
    let mut payload = KVVec::with_capacity(size, GFP_KERNEL_ACCOUNT)?;
    reader.read_raw(&mut payload.spare_capacity_mut()[..size])?;
    // SAFETY: `read_raw` succeeded, so it initialised the first `size` bytes, which the capacity
    // holds.
    unsafe { payload.set_len(size) };
    Ok(payload)
}

/// Copies `payload` to `offset` of the area, whose pages are `pages`.
fn copy_payload(payload: &[u8], offset: usize, pages: &RangePages) -> Result {
    let first = offset / PAGE_SIZE;
    let mut copied = 0;
    for (i, page) in pages.iter().enumerate() {
        let from = (offset + copied).max((first + i) * PAGE_SIZE);
        let chunk = (payload.len() - copied).min((first + i + 1) * PAGE_SIZE - from);
        if chunk == 0 {
            break;
        }
        let src = &payload[copied..copied + chunk];
        // SAFETY: `src` is valid for reading `chunk` bytes. `from..from + chunk` is in a range
        // reserved for this message: nothing else in the kernel reads or writes it, and user
        // space can only read it.
        unsafe { page.write_raw(src.as_ptr(), from % PAGE_SIZE, chunk)? };
        copied += chunk;
    }
    Ok(())
}

/// Zeroes `offset..offset + len` of the area, whose pages are `pages`.
fn zero_range(offset: usize, len: usize, pages: &RangePages) {
    let first = offset / PAGE_SIZE;
    for (i, page) in pages.iter().enumerate() {
        let from = offset.max((first + i) * PAGE_SIZE);
        let end = (offset + len).min((first + i + 1) * PAGE_SIZE);
        if from < end {
            // SAFETY: As in `copy_payload`.
            let _ = unsafe { page.fill_zero_raw(from % PAGE_SIZE, end - from) };
        }
    }
}

impl Endpoint {
    /// The area's start and size: `ENOSPC` before the receiver mapped one.
    fn area_geometry(&self) -> Result<(usize, usize)> {
        let area = self.area.lock();
        let area = area.as_ref().ok_or(ENOSPC)?;
        Ok((area.start, area.size))
    }

    /// Whether the caller is this endpoint's owner (see [`Endpoint::owner`]).
    fn caller_is_owner(&self) -> bool {
        let task = current!();
        match (task.mm(), &self.owner) {
            (Some(mm), Some(owner)) => mm.as_raw() == owner.as_raw(),
            _ => false,
        }
    }

    /// Borrows the receiver's address space if it still has users, with the area's bounds.
    fn area_mm(&self) -> Result<(usize, usize, ARef<MmWithUserAsync>)> {
        let area = self.area.lock();
        let area = area.as_ref().ok_or(ENOSPC)?;
        let mm = area.mm.mmget_not_zero().ok_or(ESRCH)?;
        Ok((area.start, area.size, MmWithUser::into_mmput_async(mm)))
    }

    /// Sends, from the endpoint whose file is `own`.
    fn send(&self, own: &File, args: &SendArgs) -> Result {
        let num_fds = args.num_fds as usize;
        if num_fds > MAX_FDS || args.target == 0 {
            return Err(EINVAL);
        }
        let size = usize::try_from(args.data_size).map_err(|_| EMSGSIZE)?;
        if size > MAX_DATA {
            return Err(EMSGSIZE);
        }
        let data = usize::try_from(args.data).map_err(|_| EFAULT)?;

        // Every file first: a bad fd fails the send before anything is reserved.
        let mut files = KVec::with_capacity(num_fds, GFP_KERNEL)?;
        for &fd in &args.fds[..num_fds] {
            let fd = u32::try_from(fd).map_err(|_| EBADF)?;
            // SAFETY: An ioctl runs inside no `fdget_pos` region of any file.
            let file = unsafe { LocalFile::assume_no_fdget_pos(LocalFile::fget(fd)?) };
            // Files that could hold an endpoint's file in turn are refused: an endpoint's own
            // (recognised by its operations), an io_uring instance, an AF_UNIX socket. A message
            // holding one would make a cycle that keeps the endpoint, its pending files, pages
            // and the receiver's `mm_struct` alive forever.
            if file.has_same_ops(own) || file.may_hold_files() {
                return Err(EINVAL);
            }
            files.push(file, GFP_KERNEL)?;
        }

        let target = self.registry.get(args.target).ok_or(ESRCH)?;
        // Files held for an endpoint that never asked for them would be pinned by it at the
        // sender's will.
        if num_fds > 0 && !target.accepts_fds.load(Ordering::Relaxed) {
            return Err(EPERM);
        }
        target.deliver(self.id, UserSlice::new(data, size).reader(), size, files)
    }

    /// Maps `pages` (index, page) in this endpoint's area; on failure, none stays mapped.
    fn map_pages(
        &self,
        mm: &MmWithUser,
        start: usize,
        pages: &[(usize, Arc<Page>, RBTreeNodeReservation<usize, PageSlot>)],
    ) -> Result {
        let guard = mm.mmap_read_lock();
        for (done, (index, page, _)) in pages.iter().enumerate() {
            let addr = start + index * PAGE_SIZE;
            let result = match guard.vma_lookup(addr) {
                Some(vma) if vma.file().map(|f| f.as_ptr() as usize) == Some(self.file) => {
                    match vma.check_mixedmap() {
                        // A page still mapped where the driver has none is stale: a freed page
                        // whose zap missed it because the area had been moved away with
                        // `mremap()` at the time, then moved back. Unmap it and insert again.
                        Some(vma) => match vma.vm_insert_page(addr, page) {
                            Err(err) if err == EBUSY => {
                                vma.zap_page_range_single(addr, PAGE_SIZE);
                                vma.vm_insert_page(addr, page)
                            }
                            result => result,
                        },
                        None => Err(ESRCH),
                    }
                }
                // The receiver unmapped (part of) its area.
                _ => Err(ESRCH),
            };
            if let Err(err) = result {
                for (index, _, _) in pages.iter().take(done) {
                    let addr = start + index * PAGE_SIZE;
                    if let Some(vma) = guard.vma_lookup(addr) {
                        vma.zap_page_range_single(addr, PAGE_SIZE);
                    }
                }
                return Err(err);
            }
        }
        Ok(())
    }

    /// Reserves `len` bytes of the area for a message, with its pages allocated and mapped.
    fn reserve(
        &self,
        mm: &MmWithUser,
        start: usize,
        area_size: usize,
        len: usize,
    ) -> Result<(usize, RangePages)> {
        let mut inner = self.inner.lock();
        if inner.dead {
            return Err(ESRCH);
        }
        if inner.queued >= MAX_PENDING {
            return Err(ENOSPC);
        }
        let offset = inner.find_room(len, area_size).ok_or(ENOSPC)?;

        // Everything that can fail, before anything is changed.
        let alloc_node = RBTreeNode::new(offset, len, GFP_KERNEL)?;
        let mut pages = KVec::new();
        let mut new_pages = KVec::new();
        for index in page_range(offset, len) {
            let page = match inner.pages.get(&index) {
                Some(slot) => slot.page.clone(),
                None => {
                    let page = Arc::new(
                        Page::alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO)?,
                        GFP_KERNEL,
                    )?;
                    let node = RBTreeNodeReservation::new(GFP_KERNEL)?;
                    new_pages.push((index, page.clone(), node), GFP_KERNEL)?;
                    page
                }
            };
            pages.push(page, GFP_KERNEL)?;
        }
        self.map_pages(mm, start, &new_pages)?;

        // Commit: nothing below fails.
        for index in page_range(offset, len) {
            if let Some(slot) = inner.pages.get_mut(&index) {
                slot.users += 1;
            }
        }
        for (index, page, node) in new_pages.into_iter() {
            inner
                .pages
                .insert(node.into_node(index, PageSlot { page, users: 1 }));
            self.stats.pages_installed.fetch_add(1, Ordering::Relaxed);
        }
        inner.allocs.insert(alloc_node);
        inner.queued += 1;
        Ok((offset, pages))
    }

    /// Gives back a reservation whose send failed.
    fn unreserve(&self, mm: &MmWithUser, start: usize, offset: usize, len: usize) {
        let mut inner = self.inner.lock();
        // After `release`, the reservation went with everything else.
        if inner.dead {
            return;
        }
        inner.allocs.remove(&offset);
        inner.queued -= 1;
        inner.put_pages(offset, len, Some((mm, start)), self.file);
    }

    /// Puts a message from `sender` in this endpoint's area and queue; in the sender's context.
    ///
    /// The payload is read from the sender first, into the kernel, with no lock and no address
    /// space held: a sender whose memory is slow to fault in (or never does) holds up nobody but
    /// itself and keeps no receiver's address space alive, and a payload that faults fails the
    /// send before any of it can reach the receiver's area. Only then is the receiver's address
    /// space held (`mm_users`), while its pages are installed and the payload copied in.
    fn deliver(
        &self,
        sender: u32,
        reader: UserSliceReader,
        size: usize,
        files: KVec<ARef<File>>,
    ) -> Result {
        let (_, area_size) = self.area_geometry()?;
        if size > area_size {
            return Err(EMSGSIZE);
        }
        let payload = read_payload(reader, size)?;
        let len = room_for(size);
        let msg_node = RBTreeNodeReservation::new(GFP_KERNEL)?;

        let (start, area_size, mm) = self.area_mm()?;
        let (offset, pages) = self.reserve(&mm, start, area_size, len)?;
        if let Err(err) = copy_payload(&payload, offset, &pages) {
            // Nothing of a failed send is left in the area.
            zero_range(offset, len, &pages);
            drop(pages);
            self.unreserve(&mm, start, offset, len);
            return Err(err);
        }
        drop(pages);

        let mut inner = self.inner.lock();
        if inner.dead {
            return Err(ESRCH);
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.pending.insert(msg_node.into_node(
            seq,
            Message {
                sender,
                offset,
                size,
                files,
            },
        ));
        drop(inner);
        self.wait.notify_all();
        // `mm` goes with `mmput_async`: this may be the last user of the receiver's mm.
        drop(mm);
        Ok(())
    }

    fn recv(&self, file: &File, arg: usize, size: usize) -> Result {
        // The fds go to the caller's table and the payload is in the owner's area.
        if !self.caller_is_owner() {
            return Err(EPERM);
        }
        let table = FdTableId::current().ok_or(ESRCH)?;
        let live_node = RBTreeNodeReservation::new(GFP_KERNEL)?;
        let back_node = RBTreeNodeReservation::new(GFP_KERNEL)?;

        // Take the first message out; it goes back in front if it cannot be received.
        let (seq, msg) = {
            let mut inner = self.inner.lock();
            let seq = loop {
                if let Some((&seq, _)) = inner.pending.iter().next() {
                    break seq;
                }
                if file.flags() & O_NONBLOCK != 0 {
                    return Err(EAGAIN);
                }
                if self.wait.wait_interruptible(&mut inner) {
                    return Err(ERESTARTSYS);
                }
            };
            match inner.pending.remove_node(&seq) {
                Some(node) => node.to_key_value(),
                None => return Err(EINVAL),
            }
        };

        // With no lock held (writing to user memory may fault for long): reserve every fd, and
        // one closer for them all, then tell user space. A failure installs none.
        //
        // Files that do not fit the receiver's table (EMFILE: it is full, or the files exceed
        // its RLIMIT_NOFILE) are dropped, and the message is received without them, flagged:
        // otherwise a message that can never be received would stay at the head of the queue
        // and wedge every later one.
        let reserve_and_answer =
            || -> Result<(KVec<FileDescriptorReservation>, Option<DeferredFdCloser>)> {
                let mut reserved = KVec::with_capacity(msg.files.len(), GFP_KERNEL)?;
                let mut dropped = false;
                for _ in 0..msg.files.len() {
                    let res = match FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC) {
                        Ok(res) => res,
                        Err(err) if err == EMFILE => {
                            // Every reservation goes back.
                            reserved.clear();
                            dropped = true;
                            break;
                        }
                        Err(err) => return Err(err),
                    };
                    reserved.push(res, GFP_KERNEL)?;
                }
                let closer = match reserved.len() {
                    0 => None,
                    n => Some(DeferredFdCloser::with_capacity(n, GFP_KERNEL)?),
                };
                let mut out = RecvArgs {
                    sender: msg.sender,
                    num_fds: reserved.len() as u32,
                    offset: msg.offset as u64,
                    data_size: msg.size as u64,
                    ..Default::default()
                };
                if dropped {
                    out.flags = RECV_FDS_DROPPED;
                    out.num_dropped = msg.files.len() as u32;
                }
                for (slot, res) in out.fds.iter_mut().zip(reserved.iter()) {
                    *slot = res.reserved_fd() as i32;
                }
                UserSlice::new(arg, size).writer().write(&out)?;
                Ok((reserved, closer))
            };
        // A message put back is pending again: whoever waited meanwhile (another receiving
        // thread, a poller) saw the queue without it, and must look again.
        let put_back = |msg: Message| {
            self.inner
                .lock()
                .pending
                .insert(back_node.into_node(seq, msg));
            self.wait.notify_all();
        };
        let (reserved, closer) = match reserve_and_answer() {
            Ok(reserved) => reserved,
            Err(err) => {
                put_back(msg);
                return Err(err);
            }
        };

        // Commit: nothing below fails. Dropped files (no reservation to pair with) are put when
        // the iterator goes.
        let offset = msg.offset;
        let mut buffer = Buffer {
            fds: [0; MAX_FDS],
            num_fds: reserved.len(),
            closer,
            table,
        };
        for ((slot, res), file) in buffer
            .fds
            .iter_mut()
            .zip(reserved.into_iter())
            .zip(msg.files.into_iter())
        {
            *slot = res.reserved_fd();
            res.fd_install(file);
        }
        self.stats
            .fds_installed
            .fetch_add(buffer.num_fds as u64, Ordering::Relaxed);
        let mut inner = self.inner.lock();
        inner.queued -= 1;
        inner.live.insert(live_node.into_node(offset, buffer));
        Ok(())
    }

    fn free(&self, offset: usize) -> Result {
        // The fds are closed by number in the caller's table: only the owner, which received
        // them, may free the buffer.
        if !self.caller_is_owner() {
            return Err(EPERM);
        }
        let mut inner = self.inner.lock();
        // A thread of the owner with a table of its own (`unshare(CLONE_FILES)`) would close
        // other files under the same numbers.
        match inner.live.get(&offset) {
            None => return Err(EINVAL),
            Some(buffer) if FdTableId::current() != Some(buffer.table) => return Err(EPERM),
            Some(_) => {}
        }
        let buffer = inner.live.remove(&offset).ok_or(EINVAL)?;
        let len = inner.allocs.remove(&offset).unwrap_or(ALIGN);
        // Unmapped with the lock held, so that no send maps a new page there first. Without
        // users, the address space has no mappings left to unmap.
        let area = self.area_mm().ok();
        inner.put_pages(
            offset,
            len,
            area.as_ref().map(|(start, _, mm)| (&***mm, *start)),
            self.file,
        );
        drop(inner);

        // Close on free, with no lock held (a close may call into any file's `flush`), all fds
        // with one closer. The receiver may have closed or replaced an fd meanwhile: its
        // business; a closed one is skipped.
        if let Some(closer) = buffer.closer {
            // It cannot fail here: the closer was sized for these fds, and FREE runs in a system
            // call of a user task, which has an fd table.
            let closed = closer.close_fds(&buffer.fds[..buffer.num_fds]).unwrap_or(0);
            if closed > 0 {
                self.stats
                    .fds_closed
                    .fetch_add(closed as u64, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    fn info(&self) -> Info {
        let mm_grabbed = self.area.lock().is_some() as u32;
        let inner = self.inner.lock();
        Info {
            id: self.id,
            mm_grabbed,
            pending: inner.pending.iter().count() as u32,
            live_buffers: inner.live.iter().count() as u32,
            pages: inner.pages.iter().count() as u64,
            pages_installed: self.stats.pages_installed.load(Ordering::Relaxed),
            fds_installed: self.stats.fds_installed.load(Ordering::Relaxed),
            fds_closed: self.stats.fds_closed.load(Ordering::Relaxed),
        }
    }
}

#[vtable]
impl MiscDevice for Endpoint {
    type Ptr = Arc<Endpoint>;

    fn open(file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Endpoint>> {
        // SAFETY: Only `RustIpcModule` registers `Endpoint`s, as its `misc` field, and the
        // module outlives its registration, which `misc_open()` keeps registered during `open`.
        let module = unsafe { &*container_of!(misc, RustIpcModule, misc) };
        let registry = &module.registry;

        let mut endpoints = registry.endpoints.lock();
        let mut id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        while id == 0 || endpoints.get(&id).is_some() {
            id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        }
        // The opener's address space, kept with `mmgrab` (a kernel opener has none).
        let owner = current!().mm().map(|mm| ARef::<Mm>::from(&**mm));
        let ep = Arc::pin_init(
            try_pin_init!(Endpoint {
                id,
                file: file.as_ptr() as usize,
                owner,
                accepts_fds: AtomicBool::new(false),
                registry: registry.clone(),
                inner <- new_mutex!(Inner {
                    dead: false,
                    next_seq: 0,
                    pending: RBTree::new(),
                    live: RBTree::new(),
                    allocs: RBTree::new(),
                    pages: RBTree::new(),
                    queued: 0,
                }, "Endpoint::inner"),
                area <- new_spinlock!(None, "Endpoint::area"),
                wait <- new_poll_condvar!("Endpoint::wait"),
                stats: Stats::default(),
            }),
            GFP_KERNEL,
        )?;
        endpoints.try_create_and_insert(id, ep.clone(), GFP_KERNEL)?;
        Ok(ep)
    }

    fn release(ep: Arc<Endpoint>, _file: &ReleasingFile) {
        ep.registry.endpoints.lock().remove(&ep.id);

        // Everything goes: the files of pending messages, the closers of live buffers (their fds
        // now belong to the receiver), the pages (no mapping is left: a mapping holds the file),
        // then the mm, with `mmdrop`.
        let inner = {
            let mut inner = ep.inner.lock();
            inner.dead = true;
            (
                core::mem::replace(&mut inner.pending, RBTree::new()),
                core::mem::replace(&mut inner.live, RBTree::new()),
                core::mem::replace(&mut inner.allocs, RBTree::new()),
                core::mem::replace(&mut inner.pages, RBTree::new()),
            )
        };
        drop(inner);
        let area = ep.area.lock().take();
        drop(area);
    }

    fn mmap(ep: ArcBorrow<'_, Endpoint>, _file: &File, vma: &VmaNew) -> Result {
        let size = vma.end() - vma.start();
        if size > AREA_MAX || vma.pgoff() != 0 {
            return Err(EINVAL);
        }
        // The area is where the owner receives: nobody else's address space gets it.
        if !ep.caller_is_owner() {
            return Err(EPERM);
        }
        // Read-only for good, not inherited (`VM_IO` keeps `madvise(MADV_DOFORK)` from undoing
        // `VM_DONTCOPY`), not growable; pages come with `vm_insert_page`.
        vma.try_clear_maywrite().map_err(|_| EPERM)?;
        vma.set_io();
        vma.set_dontcopy();
        vma.set_dontexpand();
        vma.set_mixedmap();

        let task = current!();
        let mm = task.mm().ok_or(ESRCH)?;
        let mut area = ep.area.lock();
        if area.is_some() {
            return Err(EBUSY);
        }
        *area = Some(Area {
            start: vma.start(),
            size,
            mm: ARef::from(&**mm),
        });
        Ok(())
    }

    fn poll(ep: ArcBorrow<'_, Endpoint>, file: &File, table: PollTable<'_>) -> Result<u32> {
        table.register_wait(file, &ep.wait);
        if ep.inner.lock().pending.iter().next().is_some() {
            Ok(events::POLLIN | events::POLLRDNORM)
        } else {
            Ok(0)
        }
    }

    fn ioctl(ep: ArcBorrow<'_, Endpoint>, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let size = _IOC_SIZE(cmd);
        match cmd {
            RUST_IPC_IOC_GET_ID => UserSlice::new(arg, size).writer().write(&ep.id)?,
            RUST_IPC_IOC_SEND => {
                let args: SendArgs = UserSlice::new(arg, size).reader().read()?;
                ep.send(file, &args)?;
            }
            RUST_IPC_IOC_RECV => ep.recv(file, arg, size)?,
            RUST_IPC_IOC_FREE => ep.free(arg)?,
            RUST_IPC_IOC_INFO => UserSlice::new(arg, size).writer().write(&ep.info())?,
            RUST_IPC_IOC_ACCEPT_FDS => {
                if !ep.caller_is_owner() {
                    return Err(EPERM);
                }
                ep.accepts_fds.store(true, Ordering::Relaxed);
            }
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}
