// SPDX-License-Identifier: GPL-2.0
/*
 * env_test - the guest has what the other user-space tests rely on: the
 * kernel's bug detectors are on and the counters the leak checks read exist.
 */

#define _GNU_SOURCE
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ktap.h"

static int readable(const char *path)
{
	return access(path, R_OK) == 0;
}

int main(void)
{
	struct utsname u;

	ktap_plan(6);
	ktap_result(uname(&u) == 0 && !strncmp(u.release, "6.12.", 5),
		    "kernel_is_6_12");
	ktap_diag("release %s", u.release);
	ktap_result(readable("/sys/kernel/debug/kmemleak"), "kmemleak_available");
	ktap_result(readable("/proc/lockdep"), "lockdep_available");
	ktap_result(readable("/sys/kernel/debug/failslab/probability"),
		    "failslab_available");
	ktap_result(readable("/proc/sys/fs/file-nr"), "file_nr_available");
	ktap_result(readable("/proc/slabinfo"), "slabinfo_available");
	return ktap_finish();
}
