// SPDX-License-Identifier: GPL-2.0
/*
 * ctx_test - the layer's fd operations from the contexts a driver's release
 * (or other callback) runs in when it is not a system call of its own
 * process: the exit of the opener after exit_files(), a kworker running a
 * delayed fput, a plain work item.  Each must fail cleanly (EBADF for fget,
 * ESRCH for a reservation or a deferred close) and touch no fd table; and
 * File::put_sync() must release a kernel thread's file before it returns
 * while refusing in a process.
 *
 * Drives tests/modules/rust_ctx_test, loaded by the plan.  On the code before
 * the fix, the exit case oopsed (fget and get_unused_fd_flags dereference
 * current->files, NULL there) and the kworker cases reserved fds in the
 * kernel threads' shared table.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "rust_ctx_test/rust_ctx_test.h"

static const char *const ctx_names[CTX_SLOTS] = {
	[CTX_EXIT] = "exit",
	[CTX_KWORKER_RELEASE] = "kworker_release",
	[CTX_KWORKER] = "kworker",
};

static int get_results(struct ctx_results *res)
{
	int fd = open(CTX_DEV, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, CTX_IOC_RESULTS, res) ? -errno : 0;
	close(fd);
	return ret;
}

/* Waits up to five seconds for the probe of SLOT to have run. */
static int wait_probe(int slot, struct ctx_results *res)
{
	for (int i = 0; i < 500; i++) {
		if (get_results(res) == 0 && res->probe[slot].done)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void check_probe(int slot, int kthread)
{
	struct ctx_results res;
	const struct ctx_probe *p = &res.probe[slot];
	const char *name = ctx_names[slot];
	int ran = wait_probe(slot, &res);

	if (!ktap_result(ran, "%s_probe_ran", name)) {
		for (int i = 0; i < 5; i++)
			ktap_result(0, "%s_probe_%d # SKIP probe did not run", name, i);
		return;
	}
	ktap_diag("%s: fget %d reserve %d close %d mm %d kthread %d", name,
		  p->fget, p->reserve, p->close, p->has_mm, p->kthread);
	ktap_result(p->fget == -EBADF, "%s_fget_ebadf", name);
	ktap_result(p->reserve == -ESRCH, "%s_reserve_esrch", name);
	ktap_result(p->close == -ESRCH, "%s_deferred_close_esrch", name);
	ktap_result(p->has_mm == 0, "%s_no_mm", name);
	ktap_result(p->kthread == kthread, "%s_%s", name, kthread ? "is_kthread" : "not_kthread");
}

/* A child arms its file and exits with it open: release runs after exit_files(). */
static void test_release_at_exit(void)
{
	int status = -1;
	pid_t pid = fork();

	if (!pid) {
		int fd = open(CTX_DEV, O_RDWR);

		if (fd < 0 || ioctl(fd, CTX_IOC_ARM_EXIT))
			_exit(1);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ktap_result(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit_child_armed");
	check_probe(CTX_EXIT, 0);
}

/* The last reference goes to a kworker: release runs from a delayed fput. */
static void test_release_in_kworker(void)
{
	int fd = open(CTX_DEV, O_RDWR | O_CLOEXEC);

	ktap_result(fd >= 0 && ioctl(fd, CTX_IOC_KWORKER_RELEASE) == 0, "kworker_release_armed");
	close(fd);
	check_probe(CTX_KWORKER_RELEASE, 1);
}

static void test_kworker_probe(void)
{
	int fd = open(CTX_DEV, O_RDWR | O_CLOEXEC);

	ktap_result(fd >= 0 && ioctl(fd, CTX_IOC_KWORKER_PROBE) == 0, "kworker_probe_queued");
	close(fd);
	check_probe(CTX_KWORKER, 1);
}

/* One more probe from a kworker, reporting nothing. */
static void test_kworker_probe_quiet(void)
{
	int fd = open(CTX_DEV, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		ioctl(fd, CTX_IOC_KWORKER_PROBE);
	close(fd);
}

static void test_sync_put(void)
{
	struct ctx_results res;
	int fd = open(CTX_DEV, O_RDWR | O_CLOEXEC);
	int ok = fd >= 0 && ioctl(fd, CTX_IOC_SYNC_PUT) == 0;

	ktap_result(ok, "sync_put_ran");
	ok = ok && get_results(&res) == 0;
	ktap_result(ok && res.sync_put_released == 1, "sync_put_in_kworker_released");
	ktap_result(ok && res.sync_put_refused == 1, "sync_put_in_process_refused");
	/* The file given back to the ioctl was put normally: still usable here. */
	ktap_result(ok && ioctl(fd, CTX_IOC_RESULTS, &res) == 0, "sync_put_refused_file_intact");
	close(fd);
}

/*
 * None of it touched this process's table: the fd the probes tried to close
 * is still open here (the probes ran elsewhere, with no table to close it in).
 */
static void test_own_table_untouched(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int ok = fd >= 0 && dup2(fd, CTX_PROBE_FD) == CTX_PROBE_FD;

	close(fd);
	test_kworker_probe_quiet();
	ok = ok && fcntl(CTX_PROBE_FD, F_GETFD) != -1;
	close(CTX_PROBE_FD);
	ktap_result(ok, "own_fd_table_untouched");
}

int main(void)
{
	ktap_plan(3 * 6 + 3 + 4 + 1);
	test_release_at_exit();
	test_release_in_kworker();
	test_kworker_probe();
	test_sync_put();
	test_own_table_untouched();
	return ktap_finish();
}
