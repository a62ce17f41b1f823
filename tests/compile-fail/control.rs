// SPDX-License-Identifier: GPL-2.0
//! The control: the same shapes used correctly must compile, so that the other
//! snippets fail for their own reason and not for a broken harness.
// expect: ok

use kernel::fs::{file::FileDescriptorReservation, File, LocalFile};
use kernel::mm::{Mm, MmWithUser};
use kernel::types::ARef;

fn needs_send<T: Send>(_: T) {}

#[allow(dead_code)]
fn fine(file: ARef<LocalFile>, res: FileDescriptorReservation) -> Option<ARef<Mm>> {
    // SAFETY: Not inside an `fdget_pos` region: this is not a read or write handler.
    let file: ARef<File> = unsafe { LocalFile::assume_no_fdget_pos(file) };
    needs_send(file.clone());
    res.fd_install(file);
    let current = kernel::current!();
    // The current task's leader is fine.
    let _leader = current.group_leader().pid();
    let mm: &MmWithUser = current.mm()?;
    let start = mm.mmap_read_lock().vma_lookup(0).map(|vma| vma.start());
    let _ = start;
    Some(ARef::from(&**mm))
}
