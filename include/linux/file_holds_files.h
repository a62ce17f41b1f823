/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files that can keep other files open.
 *
 * A driver that holds files on behalf of user space (binder-like IPC keeps
 * the files of pending messages) makes a reference cycle if one of the files
 * it holds can itself hold the driver's own file: an io_uring instance (its
 * fixed file table, its requests in flight) or an AF_UNIX socket (SCM_RIGHTS
 * messages in flight).  Nothing then ever drops the last reference.  Such a
 * driver refuses these files.
 */
#ifndef _LINUX_FILE_HOLDS_FILES_H
#define _LINUX_FILE_HOLDS_FILES_H

#include <linux/types.h>

struct file;

bool file_may_hold_files(struct file *file);

#endif /* _LINUX_FILE_HOLDS_FILES_H */
