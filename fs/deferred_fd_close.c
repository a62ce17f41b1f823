// SPDX-License-Identifier: GPL-2.0
/*
 * Deferred closing of file descriptors, for drivers.
 *
 * The fd is removed from the table and flushed at once (filp_close()), but
 * the last reference the fd held is only put from task work, when the task
 * returns to user space: by then no fdget() borrow of the system call that
 * asked for the close can still be using the file.
 *
 * The task work callback lives here, in built-in code, so modules never queue
 * task work of their own: unloading a module whose closes are still pending
 * is safe.
 */

#include <linux/deferred_fd_close.h>
#include <linux/export.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/task_work.h>

/**
 * struct deferred_fd_closer - one deferred close, allocated up front
 * @twork: the task work that puts @file
 * @file: the reference that the closed fd held, put by @twork; NULL until the
 *	fd is closed, and stays NULL when there was no such fd
 */
struct deferred_fd_closer {
	struct callback_head twork;
	struct file *file;
};

static struct kmem_cache *deferred_fd_closer_cache __ro_after_init;

static void deferred_fd_close_work(struct callback_head *twork)
{
	struct deferred_fd_closer *closer =
		container_of(twork, struct deferred_fd_closer, twork);

	/*
	 * The task is on its way back to user space (or exiting), holding no
	 * locks: where close(2) puts its file with __fput_sync(), and so can
	 * we, rather than fput() queueing one more task work for the same.
	 */
	if (closer->file)
		__fput_sync(closer->file);
	kmem_cache_free(deferred_fd_closer_cache, closer);
}

/**
 * deferred_fd_closer_alloc - allocate a closer for one deferred_fd_close()
 * @gfp: allocation flags
 *
 * Allocating up front lets the close itself run where failing for lack of
 * memory is not an option (binder frees a buffer and must close its fds).
 *
 * Context: Any context that @gfp allows.
 * Return: The closer, or NULL when out of memory.  It is consumed by
 * deferred_fd_close() or freed unused with deferred_fd_closer_free().
 */
struct deferred_fd_closer *deferred_fd_closer_alloc(gfp_t gfp)
{
	struct deferred_fd_closer *closer;

	closer = kmem_cache_zalloc(deferred_fd_closer_cache, gfp);
	if (closer)
		init_task_work(&closer->twork, deferred_fd_close_work);
	return closer;
}
EXPORT_SYMBOL_GPL(deferred_fd_closer_alloc);

/**
 * deferred_fd_closer_free - free a closer that was never used
 * @closer: from deferred_fd_closer_alloc(), or NULL
 *
 * Must not be called on a closer given to deferred_fd_close(), which consumes
 * it whatever it returns.
 *
 * Context: Any context.
 */
void deferred_fd_closer_free(struct deferred_fd_closer *closer)
{
	if (closer)
		kmem_cache_free(deferred_fd_closer_cache, closer);
}
EXPORT_SYMBOL_GPL(deferred_fd_closer_free);

/**
 * deferred_fd_close - close an fd of current, deferring the final fput
 * @closer: from deferred_fd_closer_alloc(); always consumed
 * @fd: the fd of current to close
 *
 * On success the fd number is free at once (the next open may get it) and
 * filp_close() has run: POSIX locks are dropped and ->flush() was called.
 * The reference that the fd held is put from task work, when current next
 * returns to user space, so ->release() never runs inside the calling system
 * call, even when @fd is the very fd that system call is operating on.
 *
 * The task work is queued before the fd is taken out of the table, so there
 * is no moment where the fd is gone and its last reference has nobody to put
 * it.
 *
 * Context: Process context of the task owning @fd, with no locks that fput()
 * or filp_close() take.  May sleep (->flush()).
 * Return:
 * * 0 - @fd was closed; its final fput() is pending as task work.
 * * -ESRCH - current cannot run task work or has no fd table: it is a kernel
 *   thread, or it is exiting.  The fd table is left untouched.
 * * -EBADF - @fd is not open in current.  The task work already queued frees
 *   the closer when it runs.
 */
int deferred_fd_close(struct deferred_fd_closer *closer, unsigned int fd)
{
	struct file *file;

	/* filp_close() may sleep (->flush(), POSIX locks), whatever it finds. */
	might_sleep();

	/*
	 * A kernel thread never returns to user space to run the work.  An
	 * exiting task past exit_files() has no fd table left (a ->release()
	 * run by its last task work may still call us); only it changes its
	 * own ->files, so reading it here is stable.
	 */
	if ((current->flags & PF_KTHREAD) || !current->files) {
		deferred_fd_closer_free(closer);
		return -ESRCH;
	}
	/* Fails only once the task is past exit_task_work(). */
	if (task_work_add(current, &closer->twork, TWA_RESUME)) {
		deferred_fd_closer_free(closer);
		return -ESRCH;
	}

	/*
	 * From here on the closer belongs to the queued work.  Cancelling it
	 * on -EBADF would mean walking the task's whole work list; the work
	 * finds no file and just frees the closer.
	 */
	file = file_close_fd(fd);
	if (!file)
		return -EBADF;

	/*
	 * file_close_fd() handed over the fd's reference.  Take a second one
	 * for the work to put: filp_close() consumes the first.  Hand it to
	 * the work before filp_close(): a ->flush() that runs task work
	 * itself must find the file, and the closer must not be touched once
	 * the work may have freed it.
	 */
	get_file(file);
	closer->file = file;
	filp_close(file, current->files);
	return 0;
}
EXPORT_SYMBOL_GPL(deferred_fd_close);

static int __init deferred_fd_close_init(void)
{
	/* Not merged, so that /proc/slabinfo shows leaked closers by name. */
	deferred_fd_closer_cache = KMEM_CACHE(deferred_fd_closer,
					      SLAB_PANIC | SLAB_NO_MERGE | SLAB_ACCOUNT);
	return 0;
}
fs_initcall(deferred_fd_close_init);
