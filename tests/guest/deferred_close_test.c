// SPDX-License-Identifier: GPL-2.0
/*
 * deferred_close_test - deferred_fd_close() against the real kernel, through
 * the test-only dfc_test device (tests/modules/dfc_test).
 *
 * Checks: the fd is gone and its number reusable right after the ioctl;
 * POSIX locks are dropped by then; the final fput (a pipe reader's EOF, the
 * device's own ->release) happens only after the ioctl returned, including
 * when the fd closed is the device fd the ioctl came through; bad fds give
 * EBADF and leave the fd table alone; 10,000 closes leak no file and no
 * closer (filp and deferred_fd_closer slab counts); the module unloads once
 * its last file is gone; a ->release() run by an exiting process gets -ESRCH;
 * a closer that cannot be allocated fails the ioctl with the fd untouched.
 * Then it measures deferred closes against close(2), side by side in each
 * of BENCH_ROUNDS rounds (figures only, never asserted).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"
#include "dfc_test/dfc_test.h"
#include "ktap.h"
#include "testlib.h"

#define DEV "/dev/dfc_test"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* Closes FD through the device DEVFD; returns 0 or -errno. */
static int dfc_close(int devfd, int fd, unsigned int delay_ms, struct dfc_close *out)
{
	struct dfc_close arg = { .fd = fd, .delay_ms = delay_ms };
	int ret = ioctl(devfd, DFC_IOC_CLOSE, &arg);

	if (out)
		*out = arg;
	return ret ? -errno : 0;
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

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

static void test_fd_gone_and_reused(int devfd)
{
	int fd = open("/dev/null", O_RDONLY), ret, again;

	ret = dfc_close(devfd, fd, 0, NULL);
	ktap_result(fd >= 0 && ret == 0, "close_returns_0");
	ktap_result(!fd_open(fd) && errno == EBADF, "fd_gone_after_ioctl");
	again = open("/dev/null", O_RDONLY);
	ktap_result(again == fd, "fd_number_reused");
	if (again >= 0)
		close(again);
}

static void test_posix_lock_dropped(int devfd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open("/tmp/dfc_lock", O_RDWR | O_CREAT, 0600), st = -1;
	pid_t pid;

	if (fd < 0 || fcntl(fd, F_SETLK, &fl)) {
		ktap_result(0, "posix_lock_dropped # setup: %s", strerror(errno));
		return;
	}
	dfc_close(devfd, fd, 0, NULL);
	pid = fork();
	if (pid == 0) {
		/* Another process: it sees a conflicting lock if one is left. */
		int f2 = open("/tmp/dfc_lock", O_RDWR);
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

		_exit(f2 < 0 || fcntl(f2, F_GETLK, &q) || q.l_type != F_UNLCK);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	ktap_result(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "posix_lock_dropped");
	unlink("/tmp/dfc_lock");
}

struct reader {
	int fd;
	uint64_t eof_ns;
	ssize_t got;
};

static void *read_to_eof(void *p)
{
	struct reader *r = p;
	char c;

	r->got = read(r->fd, &c, 1);
	r->eof_ns = now_ns();
	return NULL;
}

/* The reader of a pipe sees EOF only once the ioctl closing the writer returned. */
static void test_pipe_eof_after_ioctl(int devfd)
{
	struct reader r = { 0 };
	struct dfc_close out;
	pthread_t t;
	int p[2], ret;

	if (pipe(p)) {
		ktap_result(0, "pipe_eof_after_ioctl # pipe: %s", strerror(errno));
		return;
	}
	r.fd = p[0];
	pthread_create(&t, NULL, read_to_eof, &r);
	usleep(50000);		/* let the reader block */
	ret = dfc_close(devfd, p[1], 300, &out);
	pthread_join(t, NULL);
	close(p[0]);
	ktap_result(ret == 0 && r.got == 0 && r.eof_ns >= out.return_ns,
		    "pipe_eof_after_ioctl");
	if (r.eof_ns < out.return_ns)
		ktap_diag("EOF %llu ns before the ioctl returned",
			  (unsigned long long)(out.return_ns - r.eof_ns));
}

/* Closing the device fd the ioctl came through: ->release after the ioctl. */
static void test_close_own_fd(int watchfd)
{
	long long before = releases(watchfd), after;
	int fd = open(DEV, O_RDWR), ret;
	struct dfc_close out;

	ret = dfc_close(fd, fd, 100, &out);
	after = releases(watchfd);
	ktap_result(fd >= 0 && ret == 0, "close_own_fd_returns_0");
	ktap_result(out.released_during == 0, "close_own_fd_no_release_inside_ioctl");
	ktap_result(after == before + 1, "close_own_fd_released_after_ioctl");
	ktap_result(!fd_open(fd), "close_own_fd_gone");
}

/* Same, from a second thread, so the ioctl's fdget took a real reference. */
static void *close_own_fd_thread(void *p)
{
	int fd = open(DEV, O_RDWR);
	struct dfc_close out = { 0 };
	int ret = dfc_close(fd, fd, 50, &out);

	*(int *)p = fd >= 0 && ret == 0 && out.released_during == 0;
	return NULL;
}

static void test_close_own_fd_threaded(int watchfd)
{
	long long before = releases(watchfd);
	pthread_t t;
	int ok = 0;

	pthread_create(&t, NULL, close_own_fd_thread, &ok);
	pthread_join(t, NULL);
	ktap_result(ok && releases(watchfd) == before + 1, "close_own_fd_threaded");
}

static void test_bad_fds(int devfd)
{
	static const int bad[] = { 1000, -1, INT_MAX, INT_MIN };
	int fds = count_fds(), ok = 1;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = dfc_close(devfd, bad[i], 0, NULL);

		if (ret != -EBADF) {
			ktap_diag("fd %d: %d, expected -EBADF", bad[i], ret);
			ok = 0;
		}
	}
	ktap_result(ok, "bad_fd_ebadf");
	ktap_result(count_fds() == fds && fd_open(devfd), "bad_fd_table_unchanged");
}

static void test_no_leaks(int devfd)
{
	long files0, files1, closers0, closers1;
	int i, ok = 1;

	/* Warm up, so that per-CPU caches are filled before measuring. */
	for (i = 0; i < 200; i++)
		dfc_close(devfd, open("/dev/null", O_RDONLY), 0, NULL);
	files0 = slab_active("filp");
	closers0 = slab_active("deferred_fd_closer");
	for (i = 0; i < 10000; i++) {
		int fd = open("/dev/null", O_RDONLY);

		/* Every other one through the -EBADF path. */
		if (dfc_close(devfd, fd, 0, NULL) ||
		    dfc_close(devfd, fd, 0, NULL) != -EBADF ||
		    ioctl(devfd, DFC_IOC_ALLOC_FREE))
			ok = 0;
	}
	files1 = slab_active("filp");
	closers1 = slab_active("deferred_fd_closer");
	ktap_diag("files %ld -> %ld, closers %ld -> %ld", files0, files1,
		  closers0, closers1);
	ktap_result(ok, "ten_thousand_closes");
	/* Slack for per-CPU counters and slabs; a leak would be 10,000. */
	ktap_result(files0 >= 0 && files1 - files0 < 500, "no_file_leaked");
	ktap_result(closers0 >= 0 && closers1 - closers0 < 500, "no_closer_leaked");
}

/*
 * The closer cannot be allocated (failslab, on its cache only): the ioctl
 * fails with ENOMEM before anything happened to the fd.
 */
static void test_alloc_failure(int devfd)
{
	static const char cache[] = "deferred_fd_closer";
	int fd, ret, armed;

	if (!failslab_present()) {
		ktap_result(1, "alloc_failure_enomem # SKIP no failslab in this kernel");
		ktap_result(1, "close_after_alloc_failure # SKIP no failslab in this kernel");
		return;
	}
	fd = open("/dev/null", O_RDONLY);
	armed = failslab_arm(cache);
	ret = dfc_close(devfd, fd, 0, NULL);
	failslab_disarm(cache);
	ktap_result(armed && fd >= 0 && ret == -ENOMEM && fd_open(fd), "alloc_failure_enomem");
	if (!armed)
		ktap_diag("could not arm failslab");
	else if (ret != -ENOMEM)
		ktap_diag("close returned %d, expected %d", ret, -ENOMEM);
	/* And the next close works again. */
	ktap_result(dfc_close(devfd, fd, 0, NULL) == 0 && !fd_open(fd),
		    "close_after_alloc_failure");
}

/*
 * A ->release() that runs while its process exits, after the fd table is
 * gone, gets -ESRCH (and the kernel does not oops on the missing table).
 */
static void test_release_while_exiting(int devfd)
{
	int st = -1, result = 1;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(DEV, O_RDWR);

		if (fd < 0 || ioctl(fd, DFC_IOC_CLOSE_ON_RELEASE))
			_exit(1);
		_exit(0);	/* fd left open: closed by exit_files() */
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	ioctl(devfd, DFC_IOC_RELEASE_RESULT, &result);
	ktap_result(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && result == -ESRCH,
		    "release_while_exiting_esrch");
	if (result != -ESRCH)
		ktap_diag("release got %d, expected %d", result, -ESRCH);
}

/* The module goes away once its last file is released by the task work. */
static void test_module_unloads(int devfd)
{
	int ret = dfc_close(devfd, devfd, 0, NULL);

	ktap_result(ret == 0 && syscall(SYS_delete_module, "dfc_test", O_NONBLOCK) == 0,
		    "module_unloads_after_last_close");
}

/*
 * deferred_fd_close() against close(2), in BENCH_ROUNDS rounds: each round
 * times close(2) of N dup'ed fds, the closing ioctl on N dup'ed fds and N
 * empty ioctls, one after the other.  The empty ioctl is subtracted from the
 * closing one, to tell the service's cost from the system call's.  Measured,
 * never asserted.
 */
/*
 * Where a single deferred close's time goes, side by side: the closer's
 * allocation and free alone (DFC_IOC_ALLOC_FREE), and the deferred close
 * again with this thread's rseq area unregistered.  The task work is queued
 * with TWA_RESUME, whose TIF_NOTIFY_RESUME also runs rseq's notify-resume
 * work (user memory reads and writes) on the way out when glibc has
 * registered rseq, as it does by default.
 */
static void measure_breakdown(int devfd)
{
	enum { N = 4000 };
	static int fds[N];
	double t_close[BENCH_ROUNDS], t_dfc[BENCH_ROUNDS], t_alloc[BENCH_ROUNDS];
	double t_nop[BENCH_ROUNDS], r_norseq[BENCH_ROUNDS], r_alloc[BENCH_ROUNDS];
	struct bench_line line = { .len = 0 };
	int i, round, base = open("/dev/null", O_RDONLY);
	int unreg = -1;
	uint64_t t0;

	/* glibc registers the whole struct rseq; __rseq_size is what it uses. */
	if (__rseq_size)
		unreg = syscall(SYS_rseq, (char *)__builtin_thread_pointer() + __rseq_offset,
				sizeof(struct rseq), RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
	for (round = 0; round < BENCH_ROUNDS; round++) {
		for (i = 0; i < N; i++)
			fds[i] = dup(base);
		t0 = now_ns();
		for (i = 0; i < N; i++)
			close(fds[i]);
		t_close[round] = (double)(now_ns() - t0) / N;

		for (i = 0; i < N; i++)
			fds[i] = dup(base);
		t0 = now_ns();
		for (i = 0; i < N; i++)
			ioctl(devfd, DFC_IOC_CLOSE_FD, fds[i]);
		t_dfc[round] = (double)(now_ns() - t0) / N;

		t0 = now_ns();
		for (i = 0; i < N; i++)
			ioctl(devfd, DFC_IOC_ALLOC_FREE, 0);
		t_alloc[round] = (double)(now_ns() - t0) / N;

		t0 = now_ns();
		for (i = 0; i < N; i++)
			ioctl(devfd, DFC_IOC_NOP, 0);
		t_nop[round] = (double)(now_ns() - t0) / N;

		r_norseq[round] = (t_dfc[round] - t_nop[round]) / t_close[round];
		r_alloc[round] = (t_alloc[round] - t_nop[round]) / t_close[round];
	}
	close(base);

	bench_add(&line, "bench: breakdown: rseq %s",
		  unreg == 0 ? "unregistered" : "still registered");
	bench_add(&line, "; deferred close minus empty ioctl vs close(2) %s",
		  bench_ratio(r_norseq).s);
	bench_add(&line, "; closer alloc+free minus empty ioctl vs close(2) %s",
		  bench_ratio(r_alloc).s);
	bench_add(&line, "; min/med/max: close(2) %s ns, closing ioctl %s ns",
		  bench_mmm(t_close).s, bench_mmm(t_dfc).s);
	bench_add(&line, ", alloc+free ioctl %s ns", bench_mmm(t_alloc).s);
	bench_add(&line, ", empty ioctl %s ns, N=%d, R=%d", bench_mmm(t_nop).s, N, BENCH_ROUNDS);
	ktap_diag("%s", line.s);
}

static void measure(int devfd)
{
	enum { N = 4000 };
	static int fds[N];
	double t_close[BENCH_ROUNDS], t_dfc[BENCH_ROUNDS], t_nop[BENCH_ROUNDS];
	double ratio[BENCH_ROUNDS], ratio_raw[BENCH_ROUNDS];
	struct bench_line line = { .len = 0 };
	int i, round, base = open("/dev/null", O_RDONLY);
	uint64_t t0;

	for (round = 0; round < BENCH_ROUNDS; round++) {
		for (i = 0; i < N; i++)
			fds[i] = dup(base);
		t0 = now_ns();
		for (i = 0; i < N; i++)
			close(fds[i]);
		t_close[round] = (double)(now_ns() - t0) / N;

		for (i = 0; i < N; i++)
			fds[i] = dup(base);
		t0 = now_ns();
		for (i = 0; i < N; i++)
			ioctl(devfd, DFC_IOC_CLOSE_FD, fds[i]);
		t_dfc[round] = (double)(now_ns() - t0) / N;

		t0 = now_ns();
		for (i = 0; i < N; i++)
			ioctl(devfd, DFC_IOC_NOP, 0);
		t_nop[round] = (double)(now_ns() - t0) / N;

		ratio[round] = (t_dfc[round] - t_nop[round]) / t_close[round];
		ratio_raw[round] = t_dfc[round] / t_close[round];
	}
	close(base);

	bench_add(&line, "bench: deferred close minus empty ioctl vs close(2): ratio %s",
		  bench_ratio(ratio).s);
	bench_add(&line, ", close(2) min/med/max %s ns, closing ioctl %s ns, empty ioctl %s ns",
		  bench_mmm(t_close).s, bench_mmm(t_dfc).s, bench_mmm(t_nop).s);
	bench_add(&line, ", N=%d, R=%d", N, BENCH_ROUNDS);
	ktap_diag("%s", line.s);
	ktap_diag("bench: deferred close (empty ioctl included) vs close(2): ratio %s, N=%d, R=%d",
		  bench_ratio(ratio_raw).s, N, BENCH_ROUNDS);
}

/*
 * Eight fds at a time: one DFC_IOC_CLOSE_MANY (one closer, one task work)
 * against eight DFC_IOC_CLOSE_FD and eight close(2), each ioctl's own cost
 * (an empty ioctl, measured in the same round) subtracted.
 */
static void measure_batch(int devfd)
{
	enum { B = 8, N = 500 };
	static int fds[N][B];
	double t_close[BENCH_ROUNDS], t_one[BENCH_ROUNDS], t_many[BENCH_ROUNDS];
	double t_nop[BENCH_ROUNDS], r_close[BENCH_ROUNDS], r_one[BENCH_ROUNDS];
	struct bench_line line = { .len = 0 };
	int i, j, round, base = open("/dev/null", O_RDONLY);
	struct dfc_close_many arg = { .capacity = B, .nr = B };
	uint64_t t0;

	for (round = 0; round < BENCH_ROUNDS; round++) {
		for (i = 0; i < N; i++)
			for (j = 0; j < B; j++)
				fds[i][j] = dup(base);
		t0 = now_ns();
		for (i = 0; i < N; i++)
			for (j = 0; j < B; j++)
				close(fds[i][j]);
		t_close[round] = (double)(now_ns() - t0) / N;

		for (i = 0; i < N; i++)
			for (j = 0; j < B; j++)
				fds[i][j] = dup(base);
		t0 = now_ns();
		for (i = 0; i < N; i++)
			for (j = 0; j < B; j++)
				ioctl(devfd, DFC_IOC_CLOSE_FD, fds[i][j]);
		t_one[round] = (double)(now_ns() - t0) / N;

		for (i = 0; i < N; i++)
			for (j = 0; j < B; j++)
				fds[i][j] = dup(base);
		t0 = now_ns();
		for (i = 0; i < N; i++) {
			memcpy(arg.fds, fds[i], sizeof(fds[i]));
			ioctl(devfd, DFC_IOC_CLOSE_MANY, &arg);
		}
		t_many[round] = (double)(now_ns() - t0) / N;

		t0 = now_ns();
		for (i = 0; i < N; i++)
			ioctl(devfd, DFC_IOC_NOP, 0);
		t_nop[round] = (double)(now_ns() - t0) / N;

		r_close[round] = (t_many[round] - t_nop[round]) / t_close[round];
		r_one[round] = (t_many[round] - t_nop[round]) /
			       (t_one[round] - B * t_nop[round]);
	}
	close(base);

	bench_add(&line, "bench: one batch of 8 minus empty ioctl vs 8 x close(2): ratio %s",
		  bench_ratio(r_close).s);
	bench_add(&line, "; vs 8 single deferred closes minus 8 empty ioctls: ratio %s",
		  bench_ratio(r_one).s);
	bench_add(&line, "; per 8 fds min/med/max: 8 x close(2) %s ns, batch %s ns",
		  bench_mmm(t_close).s, bench_mmm(t_many).s);
	bench_add(&line, ", 8 single %s ns, empty ioctl %s ns, N=%d, R=%d",
		  bench_mmm(t_one).s, bench_mmm(t_nop).s, N, BENCH_ROUNDS);
	ktap_diag("%s", line.s);
}

int main(void)
{
	struct rlimit rl = { 65536, 65536 };
	int devfd;

	setrlimit(RLIMIT_NOFILE, &rl);
	ktap_plan(20);
	devfd = open(DEV, O_RDWR | O_CLOEXEC);
	if (!ktap_result(devfd >= 0, "open_device"))
		return ktap_finish();

	test_fd_gone_and_reused(devfd);
	test_posix_lock_dropped(devfd);
	test_pipe_eof_after_ioctl(devfd);
	test_close_own_fd(devfd);
	test_close_own_fd_threaded(devfd);
	test_bad_fds(devfd);
	test_no_leaks(devfd);
	test_release_while_exiting(devfd);
	test_alloc_failure(devfd);
	measure(devfd);
	measure_batch(devfd);
	/* Last: it leaves this thread without rseq. */
	measure_breakdown(devfd);
	test_module_unloads(devfd);
	return ktap_finish();
}
