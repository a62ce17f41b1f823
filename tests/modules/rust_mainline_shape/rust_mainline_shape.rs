// SPDX-License-Identifier: GPL-2.0

//! A misc device written the way a mainline (6.18) driver author writes one: imports from the
//! prelude and mainline's paths, `authors:`, `read_iter`/`write_iter` with `Kiocb` and the iov
//! types, `show_fdinfo` with `SeqFile`, `UserPtr`. Its `MLS_IOC_CHECKS` ioctl runs the other
//! mainline items that this layer brings to 6.12 and reports which failed. Driven by
//! `tests/guest/mainline_test.c`; that this module links at all shows that every symbol it needs
//! is exported to modules.

use core::mem::MaybeUninit;
use kernel::{
    bindings, c_str,
    cred::Credential,
    device::Device,
    fs::{File, Kiocb},
    ioctl::{_IO, _IOC_SIZE, _IOR, _IOW, _IOWR},
    iov::{IovIterDest, IovIterSource},
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    new_mutex, new_poll_condvar,
    page::{Page, PAGE_SIZE},
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::{
        aref::ARef,
        poll::{PollCondVar, PollTable},
        Mutex,
    },
    task::{Kuid, Pid},
    transmute::{AsBytes, FromBytes},
    uaccess::{UserSlice, UserSliceReader, UserSliceWriter},
};

const MLS_IOC_HELLO: u32 = _IO('|' as u32, 0x80);
const MLS_IOC_GET_VALUE: u32 = _IOR::<i32>('|' as u32, 0x81);
const MLS_IOC_SET_VALUE: u32 = _IOW::<i32>('|' as u32, 0x82);
const MLS_IOC_CHECKS: u32 = _IOWR::<[u64; 2]>('|' as u32, 0x83);

/// Reads at these positions get hostile answers (see `read_iter`).
const QUEUED_POS: i64 = 1 << 30;
const HUGE_COUNT_POS: i64 = (1 << 30) + 1;

const CHECK_TRY_LOCK: u32 = 1 << 0;
const CHECK_PAGE_NID: u32 = 1 << 1;
const CHECK_CRED: u32 = 1 << 2;
const CHECK_TRANSMUTE: u32 = 1 << 3;
const CHECK_PID: u32 = 1 << 4;
const CHECK_VEC: u32 = 1 << 5;
const CHECK_TASK_WORK: u32 = 1 << 6;
const CHECK_VMA: u32 = 1 << 7;
const CHECK_USER_PTR: u32 = 1 << 8;

module! {
    type: RustMainlineShapeModule,
    name: "rust_mainline_shape",
    authors: ["rfl-shim developers", "A. N. Other"],
    description: "Mainline-shaped misc device: the layer's API as mainline drivers use it",
    license: "GPL",
}

#[pin_data]
struct RustMainlineShapeModule {
    #[pin]
    _miscdev: MiscDeviceRegistration<RustMainlineShape>,
}

impl kernel::InPlaceModule for RustMainlineShapeModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pr_info!("Initialising Rust Mainline Shape\n");

        let options = MiscDeviceOptions {
            name: c_str!("rust-mainline-shape"),
        };

        try_pin_init!(Self {
            _miscdev <- MiscDeviceRegistration::register(options),
        })
    }
}

struct Inner {
    value: i32,
    buffer: KVVec<u8>,
}

#[pin_data]
struct RustMainlineShape {
    #[pin]
    inner: Mutex<Inner>,
    #[pin]
    readable: PollCondVar,
    dev: ARef<Device>,
}

#[vtable]
impl MiscDevice for RustMainlineShape {
    type Ptr = Pin<KBox<Self>>;

    fn open(_file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Pin<KBox<Self>>> {
        let dev = ARef::from(misc.device());

        dev_info!(dev, "Opening Rust Mainline Shape\n");

        KBox::try_pin_init(
            try_pin_init! {
                RustMainlineShape {
                    inner <- new_mutex!(Inner {
                        value: 0_i32,
                        buffer: KVVec::new(),
                    }),
                    readable <- new_poll_condvar!("RustMainlineShape::readable"),
                    dev: dev,
                }
            },
            GFP_KERNEL,
        )
    }

    fn read_iter(mut kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let me = kiocb.file();
        dev_info!(me.dev, "Reading from Rust Mainline Shape\n");

        // A hostile answer that safe code can give: "queued, completes later" from a synchronous
        // read (the VFS `BUG()`s on it), and a count that reads as an error code.
        match kiocb.ki_pos() {
            QUEUED_POS => return Err(Error::from_errno(-529)),
            HUGE_COUNT_POS => return Ok(usize::MAX - 528),
            _ => (),
        }

        let inner = me.inner.lock();
        // Read the buffer contents, taking the file position into account.
        let read = iov.simple_read_from_buffer(kiocb.ki_pos_mut(), &inner.buffer)?;

        Ok(read)
    }

    fn write_iter(mut kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let me = kiocb.file();
        dev_info!(me.dev, "Writing to Rust Mainline Shape\n");

        let mut inner = me.inner.lock();

        // Replace buffer contents.
        inner.buffer.clear();
        let len = iov.copy_from_iter_vec(&mut inner.buffer, GFP_KERNEL)?;

        // Set position to zero so that future `read` calls will see the new contents.
        *kiocb.ki_pos_mut() = 0;
        drop(inner);
        me.readable.notify_all();

        Ok(len)
    }

    fn poll(me: Pin<&RustMainlineShape>, file: &File, table: PollTable<'_>) -> Result<u32> {
        table.register_wait(file, &me.readable);
        if me.inner.lock().buffer.is_empty() {
            Ok(0)
        } else {
            Ok(kernel::sync::poll::events::POLLIN)
        }
    }

    fn ioctl(me: Pin<&RustMainlineShape>, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        dev_info!(me.dev, "IOCTLing Rust Mainline Shape\n");

        let size = _IOC_SIZE(cmd);

        match cmd {
            MLS_IOC_GET_VALUE => {
                me.get_value(UserSlice::new(UserPtr::from_addr(arg), size).writer())
            }
            MLS_IOC_SET_VALUE => {
                me.set_value(UserSlice::new(UserPtr::from_addr(arg), size).reader())
            }
            MLS_IOC_HELLO => me.hello(),
            MLS_IOC_CHECKS => me.checks(file, UserPtr::from_addr(arg), size),
            _ => {
                dev_err!(me.dev, "-> IOCTL not recognised: {}\n", cmd);
                Err(ENOTTY)
            }
        }
    }

    fn show_fdinfo(me: Pin<&RustMainlineShape>, m: &SeqFile, _file: &File) {
        seq_print!(m, "rust_mainline_shape value: {}\n", me.inner.lock().value);
    }
}

impl RustMainlineShape {
    fn set_value(&self, mut reader: UserSliceReader) -> Result<isize> {
        let new_value = reader.read::<i32>()?;
        let mut guard = self.inner.lock();

        dev_info!(
            self.dev,
            "-> Copying data from userspace (value: {})\n",
            new_value
        );

        guard.value = new_value;
        Ok(0)
    }

    fn get_value(&self, mut writer: UserSliceWriter) -> Result<isize> {
        let guard = self.inner.lock();
        let value = guard.value;

        // Free-up the lock and use our locally cached instance from here.
        drop(guard);

        dev_info!(
            self.dev,
            "-> Copying data to userspace (value: {})\n",
            value
        );

        writer.write::<i32>(&value)?;
        Ok(0)
    }

    fn hello(&self) -> Result<isize> {
        dev_info!(self.dev, "-> Hello from the Rust Mainline Shape\n");
        Ok(0)
    }

    /// Runs every check, and writes back which ran and which failed.
    fn checks(&self, file: &File, arg: UserPtr, size: usize) -> Result<isize> {
        let (mut reader, mut writer) = UserSlice::new(arg, size).reader_writer();
        let anon_addr = usize::try_from(reader.read::<u64>()?).map_err(|_| EINVAL)?;

        let results = [
            (CHECK_TRY_LOCK, self.check_try_lock()),
            (CHECK_PAGE_NID, check_page_nid()?),
            (CHECK_CRED, check_cred(file)),
            (CHECK_TRANSMUTE, check_transmute()),
            (CHECK_PID, check_pid()),
            (CHECK_VEC, check_vec()?),
            (CHECK_TASK_WORK, check_task_work()),
            (CHECK_VMA, check_vma(anon_addr)?),
            (CHECK_USER_PTR, check_user_ptr(arg)),
        ];
        let mut ran = 0u32;
        let mut failed = 0u32;
        for (bit, ok) in results {
            ran |= bit;
            if !ok {
                dev_err!(self.dev, "check {:#x} failed\n", bit);
                failed |= bit;
            }
        }
        writer.write::<u64>(&(anon_addr as u64))?;
        writer.write::<u32>(&failed)?;
        writer.write::<u32>(&ran)?;
        Ok(0)
    }

    /// `Lock::try_lock`: `None` while the lock is held, a guard once it is free.
    fn check_try_lock(&self) -> bool {
        let guard = self.inner.lock();
        let busy = self.inner.try_lock().is_none();
        drop(guard);
        busy && self.inner.try_lock().is_some()
    }
}

/// `Page::nid`: a page comes from some node.
fn check_page_nid() -> Result<bool> {
    let page = Page::alloc_page(GFP_KERNEL)?;
    Ok(page.nid() >= 0)
}

/// `LocalFile::cred`: the file was opened by this task, so its euid is ours.
fn check_cred(file: &File) -> bool {
    let cred: ARef<Credential> = ARef::from(file.cred());
    // Without an LSM the security id is 0; with one it is whatever it is: only call it.
    let _secid = cred.get_secid();
    cred.euid() == Kuid::current_euid()
}

/// `kernel::transmute`: bytes in, bytes out.
fn check_transmute() -> bool {
    let value = 0x1234_5678u32;
    let bytes = value.as_bytes();
    bytes == value.to_ne_bytes()
        && u32::from_bytes(bytes) == Some(&value)
        && u32::from_bytes_copy(&bytes[..3]).is_none()
        && u32::from_bytes_copy(bytes) == Some(value)
}

/// `kernel::task::Pid` is a public type.
fn check_pid() -> bool {
    let pid: Pid = current!().pid();
    pid > 0
}

/// The `Vec` items mainline drivers use.
fn check_vec() -> Result<bool> {
    let mut v = KVVec::new();
    for i in 0..6u32 {
        v.push(i, GFP_KERNEL)?;
    }
    v.retain(|x| *x % 2 == 0);
    let kept = v[..] == [0, 2, 4];
    v.truncate(2);
    let popped = v.pop() == Some(2);
    let taken = core::mem::take(&mut v);
    let took = v.is_empty() && taken[..] == [0];
    let mut taken = taken;
    taken.clear();
    Ok(kept && popped && took && taken.is_empty())
}

/// `bindings::init_task_work`, as Rust binder's deferred close calls it.
fn check_task_work() -> bool {
    /// A task work callback that does nothing.
    ///
    /// # Safety
    ///
    /// Any pointer will do: it is not used.
    unsafe extern "C" fn nothing(_head: *mut bindings::callback_head) {}

    let mut head = MaybeUninit::<bindings::callback_head>::zeroed();
    // SAFETY: `head` is valid for writes; `init_task_work` only stores `func`.
    unsafe { bindings::init_task_work(head.as_mut_ptr(), Some(nothing)) };
    // SAFETY: A zeroed `callback_head` is initialised, and `init_task_work` kept it so.
    let head = unsafe { head.assume_init() };
    head.func.map(|f| f as usize) == Some(nothing as usize)
}

/// `lock_vma_under_rcu` (which links from a module now), `as_mixedmap_vma`, `zap_vma_range` on
/// the caller's anonymous page at `addr`: the caller then reads it back as zeroes.
fn check_vma(addr: usize) -> Result<bool> {
    let task = current!();
    let mm = task.mm().ok_or(ESRCH)?;

    let mut by_rcu = !cfg!(CONFIG_PER_VMA_LOCK);
    // Contention makes it fail now and then: a few tries.
    for _ in 0..10 {
        if let Some(vma) = mm.lock_vma_under_rcu(addr) {
            by_rcu = vma.start() <= addr && addr < vma.end() && vma.as_mixedmap_vma().is_none();
            break;
        }
    }

    let guard = mm.mmap_read_lock();
    let vma = guard.vma_lookup(addr).ok_or(EFAULT)?;
    vma.zap_vma_range(addr, PAGE_SIZE);
    Ok(by_rcu)
}

/// `UserPtr`: mainline's newtype, and its arithmetic.
fn check_user_ptr(arg: UserPtr) -> bool {
    let moved = arg.wrapping_byte_add(8);
    moved.as_const_ptr() as usize == arg.as_mut_ptr() as usize + 8
        && UserPtr::from_ptr(arg.as_mut_ptr()) == arg
}
