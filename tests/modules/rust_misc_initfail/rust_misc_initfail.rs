// SPDX-License-Identifier: GPL-2.0

//! Test-only module whose init fails after it registered a misc device, as safe Rust allows
//! (a fallible field after the registration in `try_pin_init!`), with time in between for user
//! space to try opening the device. Driven by `tests/guest/initfail_test.c`.
//!
//! The module loader frees a module whose init failed whatever references it has, so a file
//! opened during init would be left pointing into freed memory: such opens must be refused.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    bindings, c_str,
    fs::{File, ReleasingFile},
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    prelude::*,
};

static OPENS: AtomicU64 = AtomicU64::new(0);

module! {
    type: InitFail,
    name: "rust_misc_initfail",
    author: "rfl-shim developers",
    description: "A module whose init fails after registering a misc device",
    license: "GPL",
}

#[pin_data]
struct InitFail {
    #[pin]
    _miscdev: MiscDeviceRegistration<Opened>,
    _later: (),
}

/// What init does after registering: waits a while, then fails.
fn fail_later() -> Result {
    // SAFETY: Module init runs in process context and holds no locks.
    unsafe { bindings::msleep(1500) };
    Err(ENODEV)
}

impl kernel::InPlaceModule for InitFail {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            _miscdev <- MiscDeviceRegistration::register(MiscDeviceOptions {
                name: c_str!("rust-initfail"),
            }),
            _later: fail_later()?,
        })
    }
}

struct Opened;

#[vtable]
impl MiscDevice for Opened {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        OPENS.fetch_add(1, Ordering::Relaxed);
        Ok(KBox::new(Opened, GFP_KERNEL)?)
    }

    fn release(_me: KBox<Self>, _file: &ReleasingFile) {
        pr_info!("released\n");
    }
}
