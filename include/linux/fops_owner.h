/* SPDX-License-Identifier: GPL-2.0 */
/*
 * file_operations whose .owner is filled in at run time.
 *
 * The VFS pins fops->owner for as long as a file uses those operations, and
 * drops that pin only after ->release() has returned.  C drivers get this by
 * writing .owner = THIS_MODULE.  Operation tables that are built by generic
 * code in a module (Rust's generic vtables are constants, instantiated in the
 * module, that cannot name the module) have no way to spell THIS_MODULE, so
 * this service hands out a copy of such a table with .owner set to the module
 * the table lives in.  The copy lives until that module is unloaded, which
 * cannot happen while a file still uses it.
 */
#ifndef _LINUX_FOPS_OWNER_H
#define _LINUX_FOPS_OWNER_H

struct file_operations;

const struct file_operations *fops_with_owner(const struct file_operations *fops);

#endif /* _LINUX_FOPS_OWNER_H */
