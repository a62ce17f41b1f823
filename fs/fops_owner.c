// SPDX-License-Identifier: GPL-2.0
/*
 * Owned copies of module file_operations, for tables that cannot name
 * THIS_MODULE.  See include/linux/fops_owner.h.
 */

#include <linux/err.h>
#include <linux/fops_owner.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/slab.h>

struct owned_fops {
	struct list_head node;
	const struct file_operations *orig;
	struct file_operations fops;
};

static struct kmem_cache *owned_fops_cache;
static LIST_HEAD(owned_fops_list);
static DEFINE_MUTEX(owned_fops_lock);

static struct module *fops_home(const struct file_operations *fops)
{
	struct module *mod;

	preempt_disable();
	mod = __module_address((unsigned long)fops);
	preempt_enable();
	return mod;
}

/**
 * fops_with_owner() - Get file operations that pin the module they live in.
 * @fops: Operations defined in the calling module (or in built-in code).
 *
 * If @fops lives in a module's memory and has no .owner, returns a copy of
 * @fops whose .owner is that module, so that every file opened with the copy
 * keeps the module loaded until its last fput().  Repeated calls with the same
 * @fops return the same copy.  The copy is freed when the module is unloaded
 * (or its init fails); the caller never frees it.  Operations that already
 * name an owner, or that are built in, are returned as they are.
 *
 * The caller must be running code of the module that holds @fops (its init,
 * or any path where that module is known to stay loaded), and @fops must not
 * change afterwards: the copy is taken once.
 *
 * Context: Process context; may sleep.
 * Return: Operations to install in place of @fops, or ERR_PTR(-ENOMEM) if a
 * copy was needed and could not be allocated.
 */
const struct file_operations *fops_with_owner(const struct file_operations *fops)
{
	const struct file_operations *ret;
	struct owned_fops *owned;
	struct module *mod;

	might_sleep();

	if (fops->owner)
		return fops;
	mod = fops_home(fops);
	if (!mod)
		return fops;

	mutex_lock(&owned_fops_lock);
	list_for_each_entry(owned, &owned_fops_list, node) {
		if (owned->orig == fops && owned->fops.owner == mod) {
			ret = &owned->fops;
			goto out;
		}
	}

	owned = kmem_cache_alloc(owned_fops_cache, GFP_KERNEL);
	if (!owned) {
		ret = ERR_PTR(-ENOMEM);
		goto out;
	}
	owned->orig = fops;
	owned->fops = *fops;
	owned->fops.owner = mod;
	list_add(&owned->node, &owned_fops_list);
	ret = &owned->fops;
out:
	mutex_unlock(&owned_fops_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(fops_with_owner);

/*
 * A module reaches MODULE_STATE_GOING after its exit function ran (or its init
 * failed).  No file can use its operations any more: each such file held a
 * reference that would have kept the module from unloading.
 */
static int fops_owner_module_event(struct notifier_block *nb,
				   unsigned long state, void *data)
{
	struct module *mod = data;
	struct owned_fops *owned, *tmp;

	if (state != MODULE_STATE_GOING)
		return NOTIFY_DONE;

	mutex_lock(&owned_fops_lock);
	list_for_each_entry_safe(owned, tmp, &owned_fops_list, node) {
		if (owned->fops.owner == mod) {
			list_del(&owned->node);
			kmem_cache_free(owned_fops_cache, owned);
		}
	}
	mutex_unlock(&owned_fops_lock);
	return NOTIFY_OK;
}

static struct notifier_block fops_owner_nb = {
	.notifier_call = fops_owner_module_event,
};

static int __init fops_owner_init(void)
{
	owned_fops_cache = kmem_cache_create("owned_fops",
					     sizeof(struct owned_fops), 0,
					     SLAB_PANIC | SLAB_NO_MERGE, NULL);
	return register_module_notifier(&fops_owner_nb);
}
core_initcall(fops_owner_init);
