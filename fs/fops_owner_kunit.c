// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for fops_with_owner() (fs/fops_owner.c).
 *
 * These tests are built in, so they pin down the paths where no copy must be
 * made.  The copy itself (a module's table, pinned while a file is open, freed
 * on unload, ENOMEM when it cannot be allocated) is tested from user space
 * with a Rust misc device module (tests/guest/misc_test.c).
 */

#include <kunit/test.h>
#include <linux/fops_owner.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>

static const struct file_operations builtin_fops = {
	.llseek = noop_llseek,
};

/* Built-in operations have nothing to pin: returned as they are. */
static void fops_owner_builtin_unchanged(struct kunit *test)
{
	const struct file_operations *fops = fops_with_owner(&builtin_fops);

	KUNIT_EXPECT_PTR_EQ(test, fops, &builtin_fops);
	KUNIT_EXPECT_NULL(test, fops->owner);
}

/*
 * Operations that name an owner are never copied, wherever they live (here:
 * the stack); the owner is not dereferenced.
 */
static void fops_owner_owner_set_unchanged(struct kunit *test)
{
	/* Any non-NULL owner will do: it is only compared. */
	const struct file_operations fops = { .owner = (struct module *)&fops };

	KUNIT_EXPECT_PTR_EQ(test, fops_with_owner(&fops), &fops);
	KUNIT_EXPECT_PTR_EQ(test, fops.owner, (struct module *)&fops);
}

/* Heap memory is not a module's either. */
static void fops_owner_heap_unchanged(struct kunit *test)
{
	const struct file_operations *fops;

	fops = kunit_kzalloc(test, sizeof(*fops), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fops);
	KUNIT_EXPECT_PTR_EQ(test, fops_with_owner(fops), fops);
	KUNIT_EXPECT_NULL(test, fops->owner);
}

static struct kunit_case fops_owner_test_cases[] = {
	KUNIT_CASE(fops_owner_builtin_unchanged),
	KUNIT_CASE(fops_owner_owner_set_unchanged),
	KUNIT_CASE(fops_owner_heap_unchanged),
	{}
};

static struct kunit_suite fops_owner_test_suite = {
	.name = "fops_owner",
	.test_cases = fops_owner_test_cases,
};

kunit_test_suite(fops_owner_test_suite);

MODULE_DESCRIPTION("KUnit tests for fops_with_owner()");
MODULE_LICENSE("GPL");
