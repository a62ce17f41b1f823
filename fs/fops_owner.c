// SPDX-License-Identifier: GPL-2.0
/*
 * Owned copies of module file_operations, for tables that cannot name
 * THIS_MODULE.  See include/linux/fops_owner.h.
 */

#include <linux/err.h>
#include <linux/fops_owner.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/delay.h>
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
/* Copies whose module went away while something still held it: never freed. */
static LIST_HEAD(owned_fops_orphans);
static DEFINE_MUTEX(owned_fops_lock);

/*
 * The .open of every copy.  A module's init may fail after it registered a
 * device, and the module is then freed whatever references it has: a file
 * opened during init would be left with operations in freed memory.  So no
 * file is opened with a copy before its module is live.
 */
static int owned_fops_open(struct inode *inode, struct file *file)
{
	const struct owned_fops *owned =
		container_of(file->f_op, struct owned_fops, fops);

	switch (READ_ONCE(owned->fops.owner->state)) {
	case MODULE_STATE_LIVE:
		break;
	case MODULE_STATE_COMING:
	case MODULE_STATE_UNFORMED:
		return -EAGAIN;
	default:
		return -ENODEV;
	}
	return owned->orig->open ? owned->orig->open(inode, file) : 0;
}

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
 * The copy's ->open refuses with -EAGAIN while the module's init is still
 * running: if the init then failed, the module would be freed under the open
 * file (the module loader does not wait for references taken during init).
 * A device registered from init can be opened once init has returned 0.
 *
 * The caller must be running code of the module that holds @fops (its init,
 * or any path where that module is known to stay loaded), and @fops must not
 * change afterwards: the copy is taken once.
 *
 * Context: Process context; may sleep.
 * Return: Operations to install in place of @fops, or an error pointer:
 * * -ENOMEM - a copy was needed and could not be allocated.
 * * -ENOENT - the module is already going away (its exit ran or its init
 *   failed): no copy would outlive it safely.
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
	/*
	 * The state turns GOING before the notifier that frees the copies
	 * runs, and that notifier takes this mutex: a copy made after it ran
	 * would never be freed, so refuse one once the module is going.
	 */
	if (READ_ONCE(mod->state) == MODULE_STATE_GOING) {
		ret = ERR_PTR(-ENOENT);
		goto out;
	}
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
	owned->fops.open = owned_fops_open;
	list_add(&owned->node, &owned_fops_list);
	ret = &owned->fops;
out:
	mutex_unlock(&owned_fops_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(fops_with_owner);

/*
 * Whether anything still holds a reference to @mod, which is going away,
 * after giving such holders a moment to let go.
 *
 * An open that raced with a failing init took a reference in misc_open()
 * (try_module_get() refuses only GOING modules), was refused by
 * owned_fops_open(), and puts the reference on its way out with fops_put(),
 * reading ->owner from the copy first.  The module loader frees the module
 * when this notifier returns, whatever its references: wait for such
 * transient holders, so that neither the copy nor the module is freed under
 * them.  A forced unload leaves references for good: after the wait, the
 * copies are kept rather than freed.
 */
static bool module_still_referenced(struct module *mod)
{
#ifdef CONFIG_MODULE_UNLOAD
	int i;

	for (i = 0; i < 50 && module_refcount(mod) > 0; i++)
		msleep(20);
	return module_refcount(mod) > 0;
#else
	/*
	 * Only a failed init goes away, and its racing openers cannot be
	 * counted: keep the copies (a few hundred bytes per failed init).
	 */
	return true;
#endif
}

/*
 * A module reaches MODULE_STATE_GOING after its exit function ran (or its init
 * failed).  Normally no file can use its operations any more: each such file
 * holds a module reference that keeps the module from unloading, and no file
 * was opened with a copy during init (owned_fops_open()).  A forced unload
 * (rmmod -f) is the exception: references are left, and a copy that an open
 * file may still point at is kept for good rather than freed under it.
 */
static int fops_owner_module_event(struct notifier_block *nb,
				   unsigned long state, void *data)
{
	bool checked = false, referenced = false;
	struct module *mod = data;
	struct owned_fops *owned, *tmp;

	if (state != MODULE_STATE_GOING)
		return NOTIFY_DONE;

	mutex_lock(&owned_fops_lock);
	list_for_each_entry_safe(owned, tmp, &owned_fops_list, node) {
		if (owned->fops.owner != mod)
			continue;
		if (!checked) {
			referenced = module_still_referenced(mod);
			checked = true;
		}
		if (referenced) {
			pr_warn("fops_owner: %s went away while referenced; keeping its file operations\n",
				mod->name);
			list_move(&owned->node, &owned_fops_orphans);
			continue;
		}
		list_del(&owned->node);
		kmem_cache_free(owned_fops_cache, owned);
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
