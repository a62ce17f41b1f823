// SPDX-License-Identifier: GPL-2.0

//! Test-only Rust misc device: every hook of `kernel::miscdevice` and the vma operations, driven
//! by `tests/guest/misc_test.c` through the ioctls of `rust_misc_test.h`.
//!
//! Each open file has its own event count, woken through a `PollCondVar` that lives in the
//! per-open state: `poll` and `RMT_IOC_WAIT` wait on it, `RMT_IOC_SIGNAL` posts to it. Mappings
//! are read-only for good, not inherited by `fork()`, and filled page by page with
//! `RMT_IOC_INSERT`.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    c_str, dev_info,
    device::Device,
    fs::{File, ReleasingFile},
    ioctl::{_IO, _IOC_SIZE, _IOR, _IOW},
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    mm::virt::{VmaNew, VmaRef},
    new_mutex, new_poll_condvar,
    page::{Page, PAGE_SIZE},
    prelude::*,
    sync::{
        poll::{events, PollCondVar, PollTable},
        Mutex,
    },
    types::ARef,
    uaccess::UserSlice,
};

const RMT_IOC_COUNTS: u32 = _IOR::<[u64; 2]>(b'R' as u32, 1);
const RMT_IOC_SIGNAL: u32 = _IO(b'R' as u32, 2);
const RMT_IOC_CONSUME: u32 = _IO(b'R' as u32, 3);
const RMT_IOC_WAIT: u32 = _IO(b'R' as u32, 4);
const RMT_IOC_INSERT: u32 = _IOW::<[u64; 2]>(b'R' as u32, 5);
const RMT_IOC_ZAP: u32 = _IOW::<[u64; 2]>(b'R' as u32, 6);

static OPENS: AtomicU64 = AtomicU64::new(0);
static RELEASES: AtomicU64 = AtomicU64::new(0);

module! {
    type: RustMiscTestModule,
    name: "rust_misc_test",
    author: "rfl-shim developers",
    description: "Test device for kernel::miscdevice",
    license: "GPL",
}

#[pin_data]
struct RustMiscTestModule {
    #[pin]
    _miscdev: MiscDeviceRegistration<RustMiscTest>,
}

impl kernel::InPlaceModule for RustMiscTestModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let options = MiscDeviceOptions {
            name: c_str!("rust-misc-test"),
        };

        try_pin_init!(Self {
            _miscdev <- MiscDeviceRegistration::register(options),
        })
    }
}

#[pin_data]
struct RustMiscTest {
    #[pin]
    events: Mutex<u64>,
    #[pin]
    cv: PollCondVar,
    /// The last mapping made by `mmap`: start and end.
    #[pin]
    area: Mutex<Option<(usize, usize)>>,
    dev: ARef<Device>,
}

#[vtable]
impl MiscDevice for RustMiscTest {
    type Ptr = Pin<KBox<Self>>;

    fn open(_file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Pin<KBox<Self>>> {
        let me = KBox::try_pin_init(
            try_pin_init!(RustMiscTest {
                events <- new_mutex!(0),
                cv <- new_poll_condvar!("RustMiscTest::cv"),
                area <- new_mutex!(None),
                dev: ARef::from(misc.device()),
            }),
            GFP_KERNEL,
        )?;
        OPENS.fetch_add(1, Ordering::Relaxed);
        Ok(me)
    }

    fn release(device: Pin<KBox<Self>>, _file: &ReleasingFile) {
        // Dropping the state drops the `PollCondVar`: any waiter still registered is told to go.
        drop(device);
        RELEASES.fetch_add(1, Ordering::Relaxed);
    }

    fn mmap(me: Pin<&RustMiscTest>, _file: &File, vma: &VmaNew) -> Result {
        // Read-only for good, as binder's buffers are: a writable mapping is refused.
        vma.try_clear_maywrite().map_err(|_| EPERM)?;
        // Not inherited, for good: with `VM_IO`, `madvise(MADV_DOFORK)` cannot clear `VM_DONTCOPY`.
        vma.set_io();
        vma.set_dontcopy();
        vma.set_mixedmap();
        *me.area.lock() = Some((vma.start(), vma.end()));
        dev_info!(
            me.dev,
            "mapped {} bytes read-only\n",
            vma.end() - vma.start()
        );
        Ok(())
    }

    fn poll(me: Pin<&RustMiscTest>, file: &File, table: PollTable<'_>) -> Result<u32> {
        table.register_wait(file, &me.cv);
        if *me.events.lock() > 0 {
            Ok(events::POLLIN | events::POLLRDNORM)
        } else {
            Ok(0)
        }
    }

    fn ioctl(me: Pin<&RustMiscTest>, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let size = _IOC_SIZE(cmd);

        match cmd {
            RMT_IOC_COUNTS => {
                let mut writer = UserSlice::new(arg, size).writer();
                writer.write(&OPENS.load(Ordering::Relaxed))?;
                writer.write(&RELEASES.load(Ordering::Relaxed))?;
            }
            RMT_IOC_SIGNAL => {
                *me.events.lock() += 1;
                me.cv.notify_all();
            }
            RMT_IOC_CONSUME => {
                let mut events = me.events.lock();
                if *events == 0 {
                    return Err(EAGAIN);
                }
                *events -= 1;
            }
            RMT_IOC_WAIT => {
                let mut events = me.events.lock();
                while *events == 0 {
                    if me.cv.wait_interruptible(&mut events) {
                        return Err(EINTR);
                    }
                }
                *events -= 1;
            }
            RMT_IOC_INSERT => {
                let mut reader = UserSlice::new(arg, size).reader();
                let addr: u64 = reader.read()?;
                let fill: u32 = reader.read()?;
                let pad: u32 = reader.read()?;
                if pad != 0 || fill > u8::MAX.into() {
                    return Err(EINVAL);
                }
                me.insert(file, addr.try_into()?, fill as u8)?;
            }
            RMT_IOC_ZAP => {
                let mut reader = UserSlice::new(arg, size).reader();
                let addr: u64 = reader.read()?;
                let len: u64 = reader.read()?;
                me.zap(file, addr.try_into()?, len.try_into()?)?;
            }
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}

impl RustMiscTest {
    /// Returns the last mapping of this file if `addr` is in it.
    fn our_area(&self, addr: usize) -> Result<(usize, usize)> {
        match *self.area.lock() {
            Some((start, end)) if (start..end).contains(&addr) => Ok((start, end)),
            _ => Err(EINVAL),
        }
    }

    /// Runs `f` on the area holding `addr`, which must be the last mapping of `file`.
    fn with_our_area(&self, file: &File, addr: usize, f: impl FnOnce(&VmaRef) -> Result) -> Result {
        let (start, _) = self.our_area(addr)?;

        let task = current!();
        let mm = task.mm().ok_or(ESRCH)?;
        let guard = mm.mmap_read_lock();
        let vma = guard.vma_lookup(addr).ok_or(EFAULT)?;
        // The area may have been unmapped and something else mapped at the same place.
        if vma.start() != start || vma.file().map(|f| f.as_ptr()) != Some(file.as_ptr()) {
            return Err(EINVAL);
        }
        f(vma)
    }

    fn insert(&self, file: &File, addr: usize, fill: u8) -> Result {
        let page = Page::alloc_page(GFP_KERNEL)?;
        let chunk = [fill; 256];
        for offset in (0..PAGE_SIZE).step_by(chunk.len()) {
            // SAFETY: `chunk` is valid for reading its length, and nobody else can see the page
            // yet.
            unsafe { page.write_raw(chunk.as_ptr(), offset, chunk.len())? };
        }

        self.with_our_area(file, addr, |vma| {
            let vma = vma.check_mixedmap().ok_or(EINVAL)?;
            // The mapping takes its own reference; ours goes when `page` is dropped.
            vma.vm_insert_page(addr, &page)
        })
    }

    fn zap(&self, file: &File, addr: usize, len: usize) -> Result {
        self.with_our_area(file, addr, |vma| {
            vma.zap_page_range_single(addr, len);
            Ok(())
        })
    }
}
