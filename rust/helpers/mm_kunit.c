// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the Rust helpers of rust/helpers/mm.c.
 *
 * Each helper is called through its real symbol, as Rust code calls it, and
 * must have the same effect as the C inline it wraps.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>

#include "helpers_kunit.h"

KUNIT_DEFINE_ACTION_WRAPPER(mmput_action, mmput, struct mm_struct *);
KUNIT_DEFINE_ACTION_WRAPPER(mmdrop_action, mmdrop, struct mm_struct *);
KUNIT_DEFINE_ACTION_WRAPPER(mmap_write_unlock_action, mmap_write_unlock,
			    struct mm_struct *);
KUNIT_DEFINE_ACTION_WRAPPER(mmap_read_unlock_action, mmap_read_unlock,
			    struct mm_struct *);

static int mm_users(struct mm_struct *mm)
{
	return atomic_read(&mm->mm_users);
}

static int mm_count(struct mm_struct *mm)
{
	return atomic_read(&mm->mm_count);
}

/* 6.12 has no mmap_write_trylock(): a writer's trylock on the rwsem itself. */
static bool test_mmap_write_trylock(struct mm_struct *mm)
{
	return down_write_trylock(&mm->mmap_lock);
}

static void test_mmap_write_unlock(struct mm_struct *mm)
{
	up_write(&mm->mmap_lock);
}

/* Whether a writer could take the lock now; it does not keep it. */
static bool test_mmap_writer_gets_in(struct mm_struct *mm)
{
	if (!test_mmap_write_trylock(mm))
		return false;
	test_mmap_write_unlock(mm);
	return true;
}

/* A fresh mm (one user, one count), put back by KUnit when the test ends. */
static struct mm_struct *test_mm_alloc(struct kunit *test)
{
	struct mm_struct *mm = mm_alloc();

	KUNIT_ASSERT_NOT_NULL(test, mm);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, mmput_action, mm));
	KUNIT_ASSERT_EQ(test, mm_users(mm), 1);
	KUNIT_ASSERT_EQ(test, mm_count(mm), 1);
	return mm;
}

static void rust_helpers_mm_grab_drop(struct kunit *test)
{
	struct mm_struct *mm = test_mm_alloc(test);

	rust_helper_mmgrab(mm);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, mmdrop_action, mm));
	KUNIT_EXPECT_EQ(test, mm_count(mm), 2);
	KUNIT_EXPECT_EQ(test, mm_users(mm), 1);

	rust_helper_mmgrab(mm);
	KUNIT_EXPECT_EQ(test, mm_count(mm), 3);

	rust_helper_mmdrop(mm);
	KUNIT_EXPECT_EQ(test, mm_count(mm), 2);
	KUNIT_EXPECT_EQ(test, mm_users(mm), 1);

	/* Give back the first grab through the helper too. */
	kunit_remove_action(test, mmdrop_action, mm);
	rust_helper_mmdrop(mm);
	KUNIT_EXPECT_EQ(test, mm_count(mm), 1);
	KUNIT_EXPECT_EQ(test, mm_users(mm), 1);
}

static void rust_helpers_mm_get_put(struct kunit *test)
{
	struct mm_struct *mm = test_mm_alloc(test);

	rust_helper_mmget(mm);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, mmput_action, mm));
	KUNIT_EXPECT_EQ(test, mm_users(mm), 2);
	KUNIT_EXPECT_EQ(test, mm_count(mm), 1);

	/* mmput() is a real function; the helper's get must pair with it. */
	kunit_release_action(test, mmput_action, mm);
	KUNIT_EXPECT_EQ(test, mm_users(mm), 1);
	KUNIT_EXPECT_EQ(test, mm_count(mm), 1);
}

static void rust_helpers_mm_get_not_zero_live(struct kunit *test)
{
	struct mm_struct *mm = test_mm_alloc(test);

	KUNIT_ASSERT_TRUE(test, rust_helper_mmget_not_zero(mm));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, mmput_action, mm));
	KUNIT_EXPECT_EQ(test, mm_users(mm), 2);
	KUNIT_EXPECT_EQ(test, mm_count(mm), 1);
}

static void rust_helpers_mm_get_not_zero_dead(struct kunit *test)
{
	struct mm_struct *mm = mm_alloc();

	KUNIT_ASSERT_NOT_NULL(test, mm);
	/* Keep the struct while the address space goes away. */
	mmgrab(mm);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, mmdrop_action, mm));
	mmput(mm);
	KUNIT_ASSERT_EQ(test, mm_users(mm), 0);
	KUNIT_ASSERT_EQ(test, mm_count(mm), 1);

	KUNIT_EXPECT_FALSE(test, rust_helper_mmget_not_zero(mm));
	KUNIT_EXPECT_EQ(test, mm_users(mm), 0);
	KUNIT_EXPECT_EQ(test, mm_count(mm), 1);
}

static void rust_helpers_mm_read_trylock(struct kunit *test)
{
	struct mm_struct *mm = test_mm_alloc(test);

	mmap_write_lock(mm);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, mmap_write_unlock_action, mm));
	KUNIT_EXPECT_FALSE(test, rust_helper_mmap_read_trylock(mm));
	kunit_release_action(test, mmap_write_unlock_action, mm);

	KUNIT_ASSERT_TRUE(test, rust_helper_mmap_read_trylock(mm));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, mmap_read_unlock_action, mm));
	/* Readers share, writers are kept out. */
	KUNIT_EXPECT_FALSE(test, test_mmap_writer_gets_in(mm));

	kunit_remove_action(test, mmap_read_unlock_action, mm);
	rust_helper_mmap_read_unlock(mm);
	KUNIT_EXPECT_FALSE(test, rwsem_is_locked(&mm->mmap_lock));
	KUNIT_ASSERT_TRUE(test, test_mmap_write_trylock(mm));
	test_mmap_write_unlock(mm);
}

static void rust_helpers_mm_read_lock(struct kunit *test)
{
	struct mm_struct *mm = test_mm_alloc(test);

	rust_helper_mmap_read_lock(mm);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, mmap_read_unlock_action, mm));
	KUNIT_EXPECT_TRUE(test, rwsem_is_locked(&mm->mmap_lock));
	KUNIT_EXPECT_FALSE(test, test_mmap_writer_gets_in(mm));

	kunit_remove_action(test, mmap_read_unlock_action, mm);
	rust_helper_mmap_read_unlock(mm);
	KUNIT_EXPECT_FALSE(test, rwsem_is_locked(&mm->mmap_lock));
}

/* Maps PAGES pages into the test's own mm, returning the start address. */
static unsigned long test_map(struct kunit *test, unsigned long pages)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, pages * PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr), "vm_mmap: %ld", (long)addr);
	KUNIT_ASSERT_NOT_NULL(test, current->mm);
	return addr;
}

static void rust_helpers_mm_vma_lookup(struct kunit *test)
{
	const unsigned long pages = 4;
	unsigned long addr = test_map(test, pages);
	unsigned long end = addr + pages * PAGE_SIZE;
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, mmap_read_unlock_action, mm));

	vma = rust_helper_vma_lookup(mm, addr);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	KUNIT_EXPECT_EQ(test, vma->vm_start, addr);
	KUNIT_EXPECT_EQ(test, vma->vm_end, end);
	KUNIT_EXPECT_PTR_EQ(test, vma->vm_mm, mm);
	KUNIT_EXPECT_PTR_EQ(test, rust_helper_vma_lookup(mm, end - 1), vma);
	KUNIT_EXPECT_PTR_EQ(test, rust_helper_vma_lookup(mm, addr + PAGE_SIZE + 7), vma);

	/* Outside the mapping: nothing, not the next or previous vma. */
	if (!find_vma_intersection(mm, end, end + 1))
		KUNIT_EXPECT_NULL(test, rust_helper_vma_lookup(mm, end));
	if (!find_vma_intersection(mm, addr - 1, addr))
		KUNIT_EXPECT_NULL(test, rust_helper_vma_lookup(mm, addr - 1));
	KUNIT_EXPECT_NULL(test, rust_helper_vma_lookup(mm, 0));

	kunit_release_action(test, mmap_read_unlock_action, mm);
}

#ifdef CONFIG_PER_VMA_LOCK
static void rust_helpers_mm_vma_end_read(struct kunit *test)
{
	unsigned long addr = test_map(test, 1);
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	char byte = 1;

	/* An anonymous vma is only locked under RCU once it has an anon_vma. */
	KUNIT_ASSERT_EQ(test, 0, copy_to_user((void __user *)addr, &byte, 1));

	vma = lock_vma_under_rcu(mm, addr);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	KUNIT_EXPECT_EQ(test, vma->vm_start, addr);
	KUNIT_EXPECT_TRUE(test, rwsem_is_locked(&vma->vm_lock->lock));

	rust_helper_vma_end_read(vma);
	KUNIT_EXPECT_FALSE(test, rwsem_is_locked(&vma->vm_lock->lock));
}
#endif /* CONFIG_PER_VMA_LOCK */

static struct kunit_case rust_helpers_mm_test_cases[] = {
	KUNIT_CASE(rust_helpers_mm_grab_drop),
	KUNIT_CASE(rust_helpers_mm_get_put),
	KUNIT_CASE(rust_helpers_mm_get_not_zero_live),
	KUNIT_CASE(rust_helpers_mm_get_not_zero_dead),
	KUNIT_CASE(rust_helpers_mm_read_trylock),
	KUNIT_CASE(rust_helpers_mm_read_lock),
	KUNIT_CASE(rust_helpers_mm_vma_lookup),
#ifdef CONFIG_PER_VMA_LOCK
	KUNIT_CASE(rust_helpers_mm_vma_end_read),
#endif /* CONFIG_PER_VMA_LOCK */
	{}
};

static struct kunit_suite rust_helpers_mm_test_suite = {
	.name = "rust_helpers_mm",
	.test_cases = rust_helpers_mm_test_cases,
};

kunit_test_suites(&rust_helpers_mm_test_suite);

MODULE_DESCRIPTION("KUnit tests for the Rust mm helpers");
MODULE_LICENSE("GPL");
