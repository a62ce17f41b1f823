// SPDX-License-Identifier: GPL-2.0
/*
 * deferred_close_many_test - deferred_fd_close_many(), from user space,
 * through the dfc_test device: several fds closed with one closer and one
 * task work, each with the single close's semantics.
 *
 * Runs while dfc_test is loaded, before deferred_close_test (which unloads
 * it at its end).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dfc_test/dfc_test.h"
#include "ktap.h"
#include "testlib.h"

#define DEV "/dev/dfc_test"

/* Returns what the ioctl returned, or -errno; fills *arg. */
static int close_many(int devfd, struct dfc_close_many *arg)
{
	int ret = ioctl(devfd, DFC_IOC_CLOSE_MANY, arg);

	return ret < 0 ? -errno : ret;
}

static long long releases(int devfd)
{
	uint64_t n;

	return ioctl(devfd, DFC_IOC_RELEASES, &n) ? -1 : (long long)n;
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static void fill(struct dfc_close_many *arg, unsigned int capacity,
		 const int *fds, unsigned int nr)
{
	unsigned int i;

	memset(arg, 0, sizeof(*arg));
	arg->capacity = capacity;
	arg->nr = nr;
	for (i = 0; i < nr; i++)
		arg->fds[i] = fds[i];
	for (i = 0; i < DFC_MANY_MAX; i++)
		arg->errs[i] = 12345;	/* must be overwritten, or left alone */
}

/*
 * Three dfc_test files, an fd that is not open and one of the three again:
 * three closed, the other two skipped with -EBADF, no release inside the
 * ioctl, all three released once it has returned.
 */
static void test_mixed(int devfd)
{
	struct dfc_close_many arg;
	int fds[5], ret, ok;
	long long before;
	unsigned int i;

	for (i = 0; i < 3; i++)
		fds[i] = open(DEV, O_RDWR | O_CLOEXEC);
	fds[3] = 1000;
	fds[4] = fds[0];
	before = releases(devfd);
	fill(&arg, 5, fds, 5);
	ret = close_many(devfd, &arg);
	ktap_result(fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0 && ret == 3,
		    "mixed_three_closed");
	ok = arg.errs[0] == 0 && arg.errs[1] == 0 && arg.errs[2] == 0 &&
	     arg.errs[3] == -EBADF && arg.errs[4] == -EBADF;
	if (!ok)
		ktap_diag("errs %d %d %d %d %d", arg.errs[0], arg.errs[1],
			  arg.errs[2], arg.errs[3], arg.errs[4]);
	ktap_result(ok, "mixed_per_fd_results");
	ktap_result(!fd_open(fds[0]) && !fd_open(fds[1]) && !fd_open(fds[2]),
		    "mixed_fds_gone");
	ktap_result(arg.released_during == 0, "mixed_no_release_inside");
	ktap_result(releases(devfd) - before == 3, "mixed_released_after_return");
}

/* The batch may hold the very fd the ioctl runs on. */
static void test_own_fd(void)
{
	int self = open(DEV, O_RDWR | O_CLOEXEC), other = open(DEV, O_RDWR);
	int fds[2] = { other, self }, watch = open(DEV, O_RDWR), ret;
	struct dfc_close_many arg;
	long long before = releases(watch);

	fill(&arg, 2, fds, 2);
	ret = close_many(self, &arg);
	ktap_result(self >= 0 && other >= 0 && ret == 2 && arg.released_during == 0,
		    "own_fd_closed_no_release_inside");
	ktap_result(!fd_open(self) && releases(watch) - before == 2,
		    "own_fd_released_after_return");
	close(watch);
}

/* More fds than the closer holds: refused, nothing closed, errs untouched. */
static void test_over_capacity(int devfd)
{
	int fds[3] = { open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY),
		       open("/dev/null", O_RDONLY) };
	struct dfc_close_many arg;
	int ret;

	fill(&arg, 2, fds, 3);
	ret = close_many(devfd, &arg);
	ktap_result(ret == -EINVAL, "over_capacity_einval");
	ktap_result(fd_open(fds[0]) && fd_open(fds[1]) && fd_open(fds[2]) &&
		    arg.errs[0] == 12345, "over_capacity_nothing_closed");

	/* A closer of capacity 0 closes nothing, and an empty batch is fine. */
	fill(&arg, 0, fds, 1);
	ret = close_many(devfd, &arg);
	ktap_result(ret == -EINVAL && fd_open(fds[0]), "capacity_0_refuses_one");
	fill(&arg, 0, fds, 0);
	ktap_result(close_many(devfd, &arg) == 0, "capacity_0_empty_batch");
	fill(&arg, 4, fds, 0);
	ktap_result(close_many(devfd, &arg) == 0, "empty_batch");
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
}

/* Only bad fds: 0 closed, each -EBADF. */
static void test_all_bad(int devfd)
{
	static const int bad[] = { -1, INT_MAX, INT_MIN, 1000 };
	struct dfc_close_many arg;
	int ret;

	fill(&arg, 4, bad, 4);
	ret = close_many(devfd, &arg);
	ktap_result(ret == 0 && arg.errs[0] == -EBADF && arg.errs[1] == -EBADF &&
		    arg.errs[2] == -EBADF && arg.errs[3] == -EBADF, "all_bad_ebadf");
}

/* Allocation limits: a large closer works, an impossible one is ENOMEM. */
static void test_alloc(int devfd)
{
	errno = 0;
	ktap_result(ioctl(devfd, DFC_IOC_ALLOC_MANY_FREE, 1UL << 16) == 0,
		    "alloc_65536");
	ktap_result(ioctl(devfd, DFC_IOC_ALLOC_MANY_FREE, (unsigned long)UINT_MAX) == -1 &&
		    errno == ENOMEM, "alloc_uint_max_enomem");
}

/* Many batches of every size: no file and no closer left behind. */
static void test_no_leaks(int devfd)
{
	long files0 = -1, files1, closers0 = -1, closers1;
	struct dfc_close_many arg;
	int fds[DFC_MANY_MAX], ok = 1;
	unsigned int i, j, n;

	for (i = 0; i < 3000; i++) {
		if (i == 200) {	/* warmed up */
			files0 = slab_active("filp");
			closers0 = slab_active("deferred_fd_closer");
		}
		n = i % (DFC_MANY_MAX + 1);
		for (j = 0; j < n; j++)
			fds[j] = open("/dev/null", O_RDONLY);
		fill(&arg, n, fds, n);
		if (close_many(devfd, &arg) != (int)n)
			ok = 0;
	}
	files1 = slab_active("filp");
	closers1 = slab_active("deferred_fd_closer");
	ktap_diag("files %ld -> %ld, closers %ld -> %ld", files0, files1,
		  closers0, closers1);
	ktap_result(ok, "batches_of_0_to_16");
	/* Slack for per-CPU counters and slabs; a leak would be thousands. */
	ktap_result(files0 >= 0 && files1 - files0 < 500, "no_file_leaked");
	ktap_result(closers0 >= 0 && closers1 - closers0 < 100, "no_closer_leaked");
}

int main(void)
{
	int devfd;

	ktap_plan(19);
	devfd = open(DEV, O_RDWR | O_CLOEXEC);
	if (!ktap_result(devfd >= 0, "open_device"))
		return ktap_finish();

	test_mixed(devfd);
	test_own_fd();
	test_over_capacity(devfd);
	test_all_bad(devfd);
	test_alloc(devfd);
	test_no_leaks(devfd);
	close(devfd);
	return ktap_finish();
}
