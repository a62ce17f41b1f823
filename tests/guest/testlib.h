/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testlib.h - helpers shared by the guest's user-space tests: slab counters,
 * sysfs writes and failslab arming.
 */
#ifndef _RFL_SHIM_TESTLIB_H
#define _RFL_SHIM_TESTLIB_H

#include <linux/membarrier.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define FAILSLAB_DIR "/sys/kernel/debug/failslab/"

/* Writes VALUE to the file PATH; returns 1 on success. */
static inline int write_str(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return 0;
	ok = fputs(value, f) >= 0;
	return fclose(f) == 0 && ok;
}

/* One reading of the active objects of CACHE, from /proc/slabinfo. */
static inline long slab_active_once(const char *cache)
{
	char line[512], name[64], path[128];
	long active = -1, n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", cache);
	write_str(path, "1");
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", name, &n) == 2 && !strcmp(name, cache))
			active = n;
	fclose(f);
	return active;
}

/*
 * Active objects of a slab cache.  Each reading shrinks the cache first: that
 * flushes the per-CPU slabs and KASAN's quarantine, which would otherwise
 * count freed objects as active.  Frees can also wait for an RCU grace period
 * (SLUB_RCU_DEBUG delays those of SLAB_TYPESAFE_BY_RCU caches such as filp
 * under KASAN): membarrier(MEMBARRIER_CMD_GLOBAL) waits for one, and the
 * lowest of a few readings 20 ms apart is taken.
 */
static inline long slab_active(const char *cache)
{
	long best = -1, n;
	int i;

	for (i = 0; i < 5; i++) {
		syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
		usleep(20000);
		n = slab_active_once(cache);
		if (n >= 0 && (best < 0 || n < best))
			best = n;
	}
	return best;
}

/* Whether this kernel has failslab (the debug configuration does). */
static inline int failslab_present(void)
{
	return access(FAILSLAB_DIR, F_OK) == 0;
}

/*
 * Makes the next allocation from slab cache CACHE fail, and only that one
 * (failslab's cache filter, no task filter).  Returns 1 if armed.
 */
static inline int failslab_arm(const char *cache)
{
	static const char *const knobs[][2] = {
		{ "cache-filter", "Y" }, { "ignore-gfp-wait", "N" },
		{ "task-filter", "N" }, { "verbose", "0" }, { "interval", "1" },
		{ "times", "1" }, { "probability", "100" },
	};
	char path[128];
	unsigned int i;
	int armed;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/failslab", cache);
	armed = write_str(path, "1");
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), FAILSLAB_DIR "%s", knobs[i][0]);
		armed &= write_str(path, knobs[i][1]);
	}
	return armed;
}

/* Undoes failslab_arm(CACHE). */
static inline void failslab_disarm(const char *cache)
{
	char path[128];

	write_str(FAILSLAB_DIR "probability", "0");
	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/failslab", cache);
	write_str(path, "0");
}

#endif /* _RFL_SHIM_TESTLIB_H */
