// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the Rust helpers of rust/helpers/fs.c.
 *
 * Each helper is called through its real symbol, as Rust code calls it, and
 * must have the same effect as the C inline it wraps.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>

#include "helpers_kunit.h"

struct test_file_state {
	atomic_t releases;
};

static int test_file_release(struct inode *inode, struct file *file)
{
	struct test_file_state *state = file->private_data;

	atomic_inc(&state->releases);
	return 0;
}

static const struct file_operations test_file_fops = {
	.owner = THIS_MODULE,
	.release = test_file_release,
};

static void test_fput_action(void *file)
{
	fput(file);
	/* A kernel thread's fput() is delayed: finish it before KUnit frees. */
	flush_delayed_fput();
}

/* Puts one reference and waits until a final fput() would have finished. */
static void test_fput_sync(struct file *file)
{
	fput(file);
	flush_delayed_fput();
}

static struct file *test_file_open(struct kunit *test,
				   struct test_file_state *state)
{
	struct file *file;

	file = anon_inode_getfile("rust_helpers_fs", &test_file_fops, state,
				  O_RDWR);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "anon_inode_getfile: %pe", file);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, test_fput_action, file));
	KUNIT_ASSERT_EQ(test, file_count(file), 1);
	return file;
}

static void rust_helpers_fs_get_file(struct kunit *test)
{
	struct test_file_state *state;
	struct file *file;

	state = kunit_kzalloc(test, sizeof(*state), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, state);
	file = test_file_open(test, state);

	KUNIT_EXPECT_PTR_EQ(test, rust_helper_get_file(file), file);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, test_fput_action, file));
	KUNIT_EXPECT_EQ(test, file_count(file), 2);

	KUNIT_EXPECT_PTR_EQ(test, rust_helper_get_file(file), file);
	KUNIT_EXPECT_EQ(test, file_count(file), 3);
	test_fput_sync(file);
	KUNIT_EXPECT_EQ(test, file_count(file), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->releases), 0);

	kunit_release_action(test, test_fput_action, file);
	KUNIT_EXPECT_EQ(test, file_count(file), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->releases), 0);
}

static void rust_helpers_fs_release_once(struct kunit *test)
{
	struct test_file_state *state;
	struct file *file;

	state = kunit_kzalloc(test, sizeof(*state), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, state);
	file = test_file_open(test, state);

	rust_helper_get_file(file);
	test_fput_sync(file);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->releases), 0);

	/* The last reference: ->release runs, exactly once. */
	kunit_release_action(test, test_fput_action, file);
	KUNIT_EXPECT_EQ(test, atomic_read(&state->releases), 1);
}

static struct kunit_case rust_helpers_fs_test_cases[] = {
	KUNIT_CASE(rust_helpers_fs_get_file),
	KUNIT_CASE(rust_helpers_fs_release_once),
	{}
};

static struct kunit_suite rust_helpers_fs_test_suite = {
	.name = "rust_helpers_fs",
	.test_cases = rust_helpers_fs_test_cases,
};

kunit_test_suites(&rust_helpers_fs_test_suite);

MODULE_DESCRIPTION("KUnit tests for the Rust file helpers");
MODULE_LICENSE("GPL");
