// SPDX-License-Identifier: GPL-2.0
//! The area given to `mmap` is only valid during the call: it cannot be kept for later.
// expect: E0277|E0521
// expect-msg: cannot be shared between threads safely

use kernel::{
    fs::File,
    miscdevice::{MiscDevice, MiscDeviceRegistration},
    mm::virt::VmaNew,
    prelude::*,
    workqueue,
};

struct Keeper;

#[vtable]
impl MiscDevice for Keeper {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        Ok(KBox::new(Keeper, GFP_KERNEL)?)
    }

    fn mmap(_me: &Keeper, _file: &File, vma: &VmaNew) -> Result {
        // Set the flags later, from a work item: after the area went live.
        workqueue::system().try_spawn(GFP_KERNEL, move || vma.set_dontcopy())?;
        Ok(())
    }
}
