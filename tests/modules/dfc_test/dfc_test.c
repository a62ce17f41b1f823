// SPDX-License-Identifier: GPL-2.0
/*
 * dfc_test - test-only misc device exposing deferred_fd_close() to user
 * space, so that a test program can close its own fds through it and see
 * when ->release() runs.  Built and loaded by the test run only.
 */

#include <linux/atomic.h>
#include <linux/deferred_fd_close.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "dfc_test.h"

static atomic64_t dfc_releases = ATOMIC64_INIT(0);
static atomic_t dfc_release_result = ATOMIC_INIT(1);

/* file->private_data is set by DFC_IOC_CLOSE_ON_RELEASE. */
#define DFC_CLOSE_ON_RELEASE	((void *)1)

static int dfc_release(struct inode *inode, struct file *file)
{
	struct deferred_fd_closer *closer;

	if (file->private_data == DFC_CLOSE_ON_RELEASE) {
		closer = deferred_fd_closer_alloc(GFP_KERNEL);
		atomic_set(&dfc_release_result,
			   closer ? deferred_fd_close(closer, 0) : -ENOMEM);
	}
	atomic64_inc(&dfc_releases);
	return 0;
}

static long dfc_close(struct dfc_close __user *uarg)
{
	struct deferred_fd_closer *closer;
	struct dfc_close arg;
	s64 releases;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.delay_ms > 5000)
		return -EINVAL;

	closer = deferred_fd_closer_alloc(GFP_KERNEL);
	if (!closer)
		return -ENOMEM;
	releases = atomic64_read(&dfc_releases);
	ret = deferred_fd_close(closer, arg.fd);
	if (arg.delay_ms)
		msleep(arg.delay_ms);
	arg.released_during = atomic64_read(&dfc_releases) - releases;
	arg.return_ns = ktime_get_ns();
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return ret;
}

static long dfc_close_many(struct dfc_close_many __user *uarg)
{
	struct deferred_fd_closer *closer;
	struct dfc_close_many arg;
	unsigned int nr;
	s64 releases;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* nr may exceed capacity (the service refuses it), not the array. */
	if (arg.nr > DFC_MANY_MAX || arg.__pad)
		return -EINVAL;
	nr = arg.nr;

	closer = deferred_fd_closer_alloc_many(arg.capacity, GFP_KERNEL);
	if (!closer)
		return -ENOMEM;
	releases = atomic64_read(&dfc_releases);
	ret = deferred_fd_close_many(closer, (const unsigned int *)arg.fds, nr,
				     arg.errs);
	arg.released_during = atomic64_read(&dfc_releases) - releases;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return ret;
}

static long dfc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct deferred_fd_closer *closer;
	u64 releases;

	switch (cmd) {
	case DFC_IOC_CLOSE:
		return dfc_close(uarg);
	case DFC_IOC_CLOSE_MANY:
		return dfc_close_many(uarg);
	case DFC_IOC_ALLOC_MANY_FREE:
		if (arg > UINT_MAX)
			return -EINVAL;
		closer = deferred_fd_closer_alloc_many(arg, GFP_KERNEL);
		if (!closer)
			return -ENOMEM;
		deferred_fd_closer_free(closer);
		return 0;
	case DFC_IOC_RELEASES:
		releases = atomic64_read(&dfc_releases);
		return copy_to_user(uarg, &releases, sizeof(releases)) ? -EFAULT : 0;
	case DFC_IOC_CLOSE_FD:
		if (arg > INT_MAX)
			return -EBADF;
		closer = deferred_fd_closer_alloc(GFP_KERNEL);
		if (!closer)
			return -ENOMEM;
		return deferred_fd_close(closer, arg);
	case DFC_IOC_NOP:
		return 0;
	case DFC_IOC_CLOSE_ON_RELEASE:
		file->private_data = DFC_CLOSE_ON_RELEASE;
		return 0;
	case DFC_IOC_RELEASE_RESULT:
		return put_user(atomic_read(&dfc_release_result), (s32 __user *)uarg);
	case DFC_IOC_ALLOC_FREE:
		closer = deferred_fd_closer_alloc(GFP_KERNEL);
		if (!closer)
			return -ENOMEM;
		deferred_fd_closer_free(closer);
		return 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations dfc_fops = {
	.owner = THIS_MODULE,
	.release = dfc_release,
	.unlocked_ioctl = dfc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice dfc_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dfc_test",
	.fops = &dfc_fops,
	.mode = 0666,
};

module_misc_device(dfc_misc);

MODULE_DESCRIPTION("Test device for the deferred fd close service");
MODULE_LICENSE("GPL");
