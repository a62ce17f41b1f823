// SPDX-License-Identifier: GPL-2.0
/*
 * initfail_test - a module's init fails after it registered a Rust misc
 * device (tests/modules/rust_misc_initfail), while user space keeps trying to
 * open the device.  The module loader frees such a module whatever references
 * it has, so no open may succeed before init returned: fops_with_owner()'s
 * copy refuses with EAGAIN.  Afterwards nothing may be left: no module, no
 * device, no owned_fops copy, and a clean kernel log (checked by /init).
 *
 * On the code before the fix the open succeeded, and closing the file after
 * the failed init ran the release of a freed module (an oops), after the
 * MODULE_STATE_GOING notifier had freed the operations the file pointed at.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "testlib.h"

#define MODULE_PATH	"/tests/modules/rust_misc_initfail.ko"
#define DEV_PATH	"/dev/rust-initfail"
#define MAX_OPEN	64

static int module_loaded(void)
{
	char line[256];
	FILE *f = fopen("/proc/modules", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "rust_misc_initfail ", 19))
			found = 1;
	fclose(f);
	return found;
}

int main(void)
{
	int fds[MAX_OPEN], nfds = 0, eagain = 0, enoent = 0, other = 0;
	long copies0 = slab_active("owned_fops"), copies1;
	int status = -1, fd;
	pid_t pid;

	ktap_plan(7);

	pid = fork();
	if (!pid) {
		int mfd = open(MODULE_PATH, O_RDONLY | O_CLOEXEC);

		if (mfd < 0)
			_exit(100);
		if (syscall(SYS_finit_module, mfd, "", 0) == 0)
			_exit(0);
		_exit(errno == ENODEV ? 1 : 2);
	}

	/* Until the load is over (10 s at most): try to open, keep what opens. */
	for (int i = 0; i < 2000 && waitpid(pid, &status, WNOHANG) == 0; i++) {
		fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && nfds < MAX_OPEN)
			fds[nfds++] = fd;
		else if (fd >= 0)
			close(fd);
		else if (errno == EAGAIN)
			eagain++;
		else if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			enoent++;
		else
			other++;
		usleep(5000);
	}
	if (!WIFEXITED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ktap_diag("opens: %d succeeded, %d EAGAIN, %d not there, %d other", nfds, eagain,
		  enoent, other);
	ktap_result(WIFEXITED(status) && WEXITSTATUS(status) == 1, "init_failed_enodev");
	ktap_result(eagain > 0, "open_during_init_eagain");
	ktap_result(nfds == 0 && other == 0, "no_open_during_init");

	/* Whatever did open is closed now, after the module is gone. */
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	ktap_result(module_loaded() == 0, "module_gone");
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	ktap_result(fd < 0 && errno == ENOENT, "device_gone");
	if (fd >= 0)
		close(fd);
	copies1 = slab_active("owned_fops");
	ktap_diag("owned_fops objects: %ld before, %ld after", copies0, copies1);
	ktap_result(copies0 >= 0 && copies1 == copies0, "no_owned_fops_left");

	/* The same module can be tried again: nothing of the first load is in the way. */
	fd = open(MODULE_PATH, O_RDONLY | O_CLOEXEC);
	ktap_result(fd >= 0 && syscall(SYS_finit_module, fd, "", 0) == -1 && errno == ENODEV,
		    "second_load_fails_the_same");
	close(fd);
	return ktap_finish();
}
