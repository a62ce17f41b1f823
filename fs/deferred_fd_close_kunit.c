// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the deferred fd close service (fs/deferred_fd_close.c).
 *
 * KUnit runs each test in a kernel thread, which can never run task work:
 * these tests pin down the paths that must refuse there.  The paths that
 * close for real are tested from user space (tests/guest/).
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/deferred_fd_close.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>

static const struct file_operations test_fops = {
	.owner = THIS_MODULE,
};

static void test_fput_action(void *file)
{
	fput(file);
	flush_delayed_fput();
}

/* The fd travels in the action's pointer-sized context. */
static void close_fd_action(void *fd)
{
	close_fd((unsigned long)fd);
}

static void deferred_fd_close_alloc_free(struct kunit *test)
{
	struct deferred_fd_closer *closer;
	int i;

	for (i = 0; i < 1000; i++) {
		closer = deferred_fd_closer_alloc(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, closer);
		deferred_fd_closer_free(closer);
	}
	/* Freeing nothing is allowed, like kfree(NULL). */
	deferred_fd_closer_free(NULL);
}

static void deferred_fd_close_alloc_atomic(struct kunit *test)
{
	struct deferred_fd_closer *closer;

	closer = deferred_fd_closer_alloc(GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(test, closer);
	deferred_fd_closer_free(closer);
}

/* A kernel thread never returns to user space: -ESRCH, fd untouched. */
static void deferred_fd_close_kthread_esrch(struct kunit *test)
{
	struct deferred_fd_closer *closer;
	struct file *file, *found;
	long count;
	int fd;

	KUNIT_ASSERT_TRUE(test, current->flags & PF_KTHREAD);
	file = anon_inode_getfile("deferred_fd_close", &test_fops, NULL, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, test_fput_action, file));

	fd = get_unused_fd_flags(O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	fd_install(fd, get_file(file));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, close_fd_action,
							   (void *)(unsigned long)fd));
	count = file_count(file);

	closer = deferred_fd_closer_alloc(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, closer);
	KUNIT_EXPECT_EQ(test, deferred_fd_close(closer, fd), -ESRCH);

	/* The fd still holds the same file, and its reference. */
	found = fget(fd);
	KUNIT_EXPECT_PTR_EQ(test, found, file);
	if (found)
		fput(found);
	KUNIT_EXPECT_EQ(test, file_count(file), count);
}

/* -ESRCH comes first: a kernel thread learns nothing about its fds. */
static void deferred_fd_close_kthread_bad_fd(struct kunit *test)
{
	struct deferred_fd_closer *closer;

	closer = deferred_fd_closer_alloc(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, closer);
	KUNIT_EXPECT_EQ(test, deferred_fd_close(closer, INT_MAX), -ESRCH);

	closer = deferred_fd_closer_alloc(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, closer);
	KUNIT_EXPECT_EQ(test, deferred_fd_close(closer, ~0U), -ESRCH);
}

/* Closers of every capacity come and go; an impossible one is NULL. */
static void deferred_fd_close_alloc_many(struct kunit *test)
{
	static const unsigned int capacities[] = { 0, 1, 2, 8, 4096, 1 << 16 };
	struct deferred_fd_closer *closer;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(capacities); i++) {
		closer = deferred_fd_closer_alloc_many(capacities[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, closer, "capacity %u", capacities[i]);
		deferred_fd_closer_free(closer);
	}
	closer = deferred_fd_closer_alloc_many(8, GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(test, closer);
	deferred_fd_closer_free(closer);

	KUNIT_EXPECT_NULL(test, deferred_fd_closer_alloc_many(UINT_MAX, GFP_KERNEL));
}

/*
 * A batch in a kernel thread: -ESRCH, the fd still open with its reference,
 * no per-fd result written.
 */
static void deferred_fd_close_many_kthread_esrch(struct kunit *test)
{
	struct deferred_fd_closer *closer;
	int errs[2] = { 1, 1 };
	unsigned int fds[2];
	struct file *file, *found;
	long count;
	int fd;

	file = anon_inode_getfile("deferred_fd_close", &test_fops, NULL, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, test_fput_action, file));
	fd = get_unused_fd_flags(O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	fd_install(fd, get_file(file));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, close_fd_action,
							   (void *)(unsigned long)fd));
	count = file_count(file);

	fds[0] = fd;
	fds[1] = INT_MAX;
	closer = deferred_fd_closer_alloc_many(2, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, closer);
	KUNIT_EXPECT_EQ(test, deferred_fd_close_many(closer, fds, 2, errs), -ESRCH);
	KUNIT_EXPECT_EQ(test, errs[0], 1);
	KUNIT_EXPECT_EQ(test, errs[1], 1);

	found = fget(fd);
	KUNIT_EXPECT_PTR_EQ(test, found, file);
	if (found)
		fput(found);
	KUNIT_EXPECT_EQ(test, file_count(file), count);
}

/* More fds than the capacity is -EINVAL, checked before anything else. */
static void deferred_fd_close_many_over_capacity(struct kunit *test)
{
	static const unsigned int fds[3] = { 0, 1, 2 };
	struct deferred_fd_closer *closer;
	int errs[3] = { 1, 1, 1 };

	closer = deferred_fd_closer_alloc_many(2, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, closer);
	KUNIT_EXPECT_EQ(test, deferred_fd_close_many(closer, fds, 3, errs), -EINVAL);
	KUNIT_EXPECT_EQ(test, errs[0], 1);

	/* deferred_fd_close() needs a capacity of at least one. */
	closer = deferred_fd_closer_alloc_many(0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, closer);
	KUNIT_EXPECT_EQ(test, deferred_fd_close(closer, 0), -EINVAL);

	/* An empty batch on an empty closer is only -ESRCH here. */
	closer = deferred_fd_closer_alloc_many(0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, closer);
	KUNIT_EXPECT_EQ(test, deferred_fd_close_many(closer, fds, 0, NULL), -ESRCH);
}

static struct kunit_case deferred_fd_close_test_cases[] = {
	KUNIT_CASE(deferred_fd_close_alloc_free),
	KUNIT_CASE(deferred_fd_close_alloc_atomic),
	KUNIT_CASE(deferred_fd_close_kthread_esrch),
	KUNIT_CASE(deferred_fd_close_kthread_bad_fd),
	KUNIT_CASE(deferred_fd_close_alloc_many),
	KUNIT_CASE(deferred_fd_close_many_kthread_esrch),
	KUNIT_CASE(deferred_fd_close_many_over_capacity),
	{}
};

static struct kunit_suite deferred_fd_close_test_suite = {
	.name = "deferred_fd_close",
	.test_cases = deferred_fd_close_test_cases,
};

kunit_test_suites(&deferred_fd_close_test_suite);

MODULE_DESCRIPTION("KUnit tests for the deferred fd close service");
MODULE_LICENSE("GPL");
