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
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "internal.h"

/**
 * struct deferred_fd_closer - deferred closes of up to @capacity fds,
 *	allocated up front
 * @twork: the task work that puts @files
 * @capacity: how many fds one deferred_fd_close_many() may close
 * @nr: how many references are in @files
 * @files: the references that the closed fds held, put by @twork
 *
 * A closer for at most one fd comes from its own cache, a larger one from
 * kvmalloc().
 */
struct deferred_fd_closer {
	struct callback_head twork;
	unsigned int capacity;
	unsigned int nr;
	struct file *files[];
};

static struct kmem_cache *deferred_fd_closer_cache __ro_after_init;

static void deferred_fd_closer_release(struct deferred_fd_closer *closer)
{
	if (closer->capacity <= 1)
		kmem_cache_free(deferred_fd_closer_cache, closer);
	else
		kvfree(closer);
}

static void deferred_fd_close_work(struct callback_head *twork)
{
	struct deferred_fd_closer *closer =
		container_of(twork, struct deferred_fd_closer, twork);
	unsigned int i;

	/*
	 * The task is on its way back to user space (or exiting), holding no
	 * locks: where close(2) puts its file with __fput_sync(), and so can
	 * we, rather than fput() queueing one more task work for each file.
	 */
	for (i = 0; i < closer->nr; i++)
		__fput_sync(closer->files[i]);
	deferred_fd_closer_release(closer);
}

/**
 * deferred_fd_closer_alloc_many - allocate a closer for up to @capacity fds
 * @capacity: the most fds that the one deferred_fd_close_many() call on this
 *	closer will close
 * @gfp: allocation flags
 *
 * Allocating up front lets the close itself run where failing for lack of
 * memory is not an option (binder frees a buffer and must close its fds).
 * One closer closes any number of fds up to @capacity with one allocation
 * and one task work.  The memory is charged to the caller's memory cgroup.
 *
 * Context: Any context that @gfp allows.
 * Return: The closer, or NULL when out of memory (or @capacity is too large
 * to allocate).  It is consumed by deferred_fd_close() or
 * deferred_fd_close_many(), or freed unused with deferred_fd_closer_free().
 */
struct deferred_fd_closer *deferred_fd_closer_alloc_many(unsigned int capacity,
							 gfp_t gfp)
{
	struct deferred_fd_closer *closer;

	if (capacity <= 1)
		closer = kmem_cache_alloc(deferred_fd_closer_cache, gfp);
	else
		closer = kvmalloc(struct_size(closer, files, capacity),
				  gfp | __GFP_ACCOUNT | __GFP_NOWARN);
	if (closer) {
		init_task_work(&closer->twork, deferred_fd_close_work);
		closer->capacity = capacity;
		closer->nr = 0;
	}
	return closer;
}
EXPORT_SYMBOL_GPL(deferred_fd_closer_alloc_many);

/**
 * deferred_fd_closer_alloc - allocate a closer for one deferred_fd_close()
 * @gfp: allocation flags
 *
 * The same as deferred_fd_closer_alloc_many(1, @gfp).
 *
 * Context: Any context that @gfp allows.
 * Return: The closer, or NULL when out of memory.
 */
struct deferred_fd_closer *deferred_fd_closer_alloc(gfp_t gfp)
{
	return deferred_fd_closer_alloc_many(1, gfp);
}
EXPORT_SYMBOL_GPL(deferred_fd_closer_alloc);

/**
 * deferred_fd_closer_free - free a closer that was never used
 * @closer: from deferred_fd_closer_alloc() or deferred_fd_closer_alloc_many(),
 *	or NULL
 *
 * Must not be called on a closer given to deferred_fd_close() or
 * deferred_fd_close_many(), which consume it whatever they return.
 *
 * Context: Any context.
 */
void deferred_fd_closer_free(struct deferred_fd_closer *closer)
{
	if (closer)
		deferred_fd_closer_release(closer);
}
EXPORT_SYMBOL_GPL(deferred_fd_closer_free);

/**
 * deferred_fd_close_many - close fds of current, deferring the final fputs
 * @closer: from deferred_fd_closer_alloc_many(); always consumed
 * @fds: the fds of current to close
 * @nr: how many fds @fds holds, at most the closer's capacity
 * @errs: if not NULL, gets for each fd 0 when it was closed, or -EBADF when
 *	it was not open in current
 *
 * Each fd that is open is closed as deferred_fd_close() closes one: its
 * number is free at once and filp_close() has run (POSIX locks dropped,
 * ->flush() called), and the reference that it held is put from task work,
 * when current next returns to user space, so no ->release() runs inside the
 * calling system call.  All of them take one task work.  An fd that is not
 * open is skipped; the others are closed all the same.  An fd listed twice
 * is closed once (the second time it is no longer open).
 *
 * The fds are taken out of the table under one acquisition of its lock, and
 * flushed after.  The task work is queued once they are all flushed, so that
 * a ->flush() that runs task work itself cannot free the closer in use.
 *
 * Context: Process context of the task owning @fds, with no locks that
 * fput() or filp_close() take.  May sleep (->flush()).
 * Return:
 * * >= 0 - the number of fds closed; their final fput()s are pending as task
 *   work (none is when it is 0).
 * * -ESRCH - current cannot run task work or has no fd table: it is a kernel
 *   thread, or it is exiting.  The fd table is left untouched and @errs is
 *   not written.
 * * -EINVAL - @nr is larger than the closer's capacity.  Nothing is closed
 *   and @errs is not written.
 */
int deferred_fd_close_many(struct deferred_fd_closer *closer,
			   const unsigned int *fds, unsigned int nr, int *errs)
{
	struct files_struct *files = current->files;
	struct file *file;
	unsigned int i;

	/* filp_close() may sleep (->flush(), POSIX locks), whatever it finds. */
	might_sleep();

	if (nr > closer->capacity) {
		deferred_fd_closer_release(closer);
		return -EINVAL;
	}
	/*
	 * A kernel thread never returns to user space to run the work.  An
	 * exiting task past exit_files() has no fd table left (a ->release()
	 * run by its last task work may still call us); only it changes its
	 * own ->files, so reading it here is stable.
	 */
	if ((current->flags & PF_KTHREAD) || !files) {
		deferred_fd_closer_release(closer);
		return -ESRCH;
	}

	/*
	 * file_close_fd_locked() hands over each fd's reference.  Take a
	 * second one for the work to put: filp_close() consumes the first.
	 */
	spin_lock(&files->file_lock);
	for (i = 0; i < nr; i++) {
		file = file_close_fd_locked(files, fds[i]);
		if (errs)
			errs[i] = file ? 0 : -EBADF;
		if (file) {
			get_file(file);
			closer->files[closer->nr++] = file;
		}
	}
	spin_unlock(&files->file_lock);

	for (i = 0; i < closer->nr; i++)
		filp_close(closer->files[i], files);

	if (!closer->nr) {
		deferred_fd_closer_release(closer);
		return 0;
	}
	/*
	 * Fails only once the task is past exit_task_work(), which comes after
	 * exit_files(), so not here.  Should it all the same, fput() hands the
	 * references to the delayed fput worker: still not inside this call.
	 */
	nr = closer->nr;
	if (task_work_add(current, &closer->twork, TWA_RESUME)) {
		for (i = 0; i < closer->nr; i++)
			fput(closer->files[i]);
		deferred_fd_closer_release(closer);
	}
	return nr;
}
EXPORT_SYMBOL_GPL(deferred_fd_close_many);

/**
 * deferred_fd_close - close an fd of current, deferring the final fput
 * @closer: from deferred_fd_closer_alloc() or deferred_fd_closer_alloc_many()
 *	with a capacity of at least 1; always consumed
 * @fd: the fd of current to close
 *
 * On success the fd number is free at once (the next open may get it) and
 * filp_close() has run: POSIX locks are dropped and ->flush() was called.
 * The reference that the fd held is put from task work, when current next
 * returns to user space, so ->release() never runs inside the calling system
 * call, even when @fd is the very fd that system call is operating on.
 *
 * Context: Process context of the task owning @fd, with no locks that fput()
 * or filp_close() take.  May sleep (->flush()).
 * Return:
 * * 0 - @fd was closed; its final fput() is pending as task work.
 * * -ESRCH - current cannot run task work or has no fd table: it is a kernel
 *   thread, or it is exiting.  The fd table is left untouched.
 * * -EBADF - @fd is not open in current.
 * * -EINVAL - the closer has a capacity of 0.
 */
int deferred_fd_close(struct deferred_fd_closer *closer, unsigned int fd)
{
	int ret = deferred_fd_close_many(closer, &fd, 1, NULL);

	if (ret < 0)
		return ret;
	return ret ? 0 : -EBADF;
}
EXPORT_SYMBOL_GPL(deferred_fd_close);

static int __init deferred_fd_close_init(void)
{
	/*
	 * Sized for one fd.  Not merged, so that /proc/slabinfo shows leaked
	 * closers by name.
	 */
	deferred_fd_closer_cache =
		kmem_cache_create("deferred_fd_closer",
				  struct_size_t(struct deferred_fd_closer, files, 1),
				  __alignof__(struct deferred_fd_closer),
				  SLAB_PANIC | SLAB_NO_MERGE | SLAB_ACCOUNT, NULL);
	return 0;
}
fs_initcall(deferred_fd_close_init);
