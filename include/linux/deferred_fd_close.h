/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deferred closing of file descriptors, for drivers.
 *
 * A driver that installed an fd in a process sometimes has to close it again
 * from inside a system call of that same process (binder does, for the fds of
 * a freed transaction).  close_fd() is not safe there: the system call may
 * still hold an fdget() borrow of that very file, so the final fput() must
 * wait until the task returns to user space.  This service does the close in
 * two steps, with the second one owned by built-in code, so that a module
 * unloaded while its closes are pending leaves nothing of its own queued.
 */
#ifndef _LINUX_DEFERRED_FD_CLOSE_H
#define _LINUX_DEFERRED_FD_CLOSE_H

#include <linux/gfp_types.h>

struct deferred_fd_closer;

struct deferred_fd_closer *deferred_fd_closer_alloc(gfp_t gfp);
struct deferred_fd_closer *deferred_fd_closer_alloc_many(unsigned int capacity,
							 gfp_t gfp);
void deferred_fd_closer_free(struct deferred_fd_closer *closer);
int deferred_fd_close(struct deferred_fd_closer *closer, unsigned int fd);
int deferred_fd_close_many(struct deferred_fd_closer *closer,
			   const unsigned int *fds, unsigned int nr, int *errs);

#endif /* _LINUX_DEFERRED_FD_CLOSE_H */
