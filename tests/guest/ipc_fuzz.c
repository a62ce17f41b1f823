// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_fuzz - an adversarial client of the IPC sample (rust_ipc), bounded in
 * time: worker processes (two threads each) run random interleavings of
 * every ioctl, of mmap/munmap/mremap of the receive area, of fork (children
 * that exit with files open or are killed midway), of execve, and of closing
 * and reopening endpoints, on their own endpoints and on each other's, with
 * valid and hostile arguments.  Then everything is killed, and every file,
 * mm_struct and deferred closer must have come back (slab counts; the
 * kmemleak scan and the kernel log check of /init come after).
 *
 * Each worker stops by itself after RUN_S seconds (and an alarm kills it a
 * little later); the parent kills what is left.  The random sequence is
 * seeded from the worker's number, so a failing run can be replayed.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/rust_ipc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "testlib.h"

#define WORKERS		4
#define THREADS		2
#define RUN_S		8
#define MAX_EPS		4
#define FILP_SLACK	60
#define MM_SLACK	8

/* Endpoint ids of every worker, for sending to each other. */
static uint32_t *ids;

/* What succeeded, summed over all workers: the run must not be all errors. */
enum { SENT, RECEIVED, FREED, MAPPED, COUNTERS };
static long *counters;

static void counted(int which, int ok)
{
	if (ok)
		__atomic_fetch_add(&counters[which], 1, __ATOMIC_RELAXED);
}

struct worker {
	int eps[MAX_EPS];		/* this process's endpoints, -1 if none */
	unsigned char *areas[MAX_EPS];
	size_t area_len[MAX_EPS];
	uint64_t offsets[64];		/* received buffers, maybe freed already */
	unsigned int n_offsets;
	pthread_mutex_t lock;
	time_t end;
	int slot;
};

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return n ? rand_r(seed) % n : 0;
}

static int pick_ep(struct worker *w, unsigned int *seed)
{
	return w->eps[rnd(seed, MAX_EPS)];
}

static void open_ep(struct worker *w, unsigned int *seed)
{
	unsigned int i = rnd(seed, MAX_EPS);
	int fd = open(RUST_IPC_DEV, O_RDWR | O_NONBLOCK | (rnd(seed, 2) ? O_CLOEXEC : 0));
	uint32_t id = 0;

	if (fd < 0)
		return;
	pthread_mutex_lock(&w->lock);
	if (w->eps[i] >= 0)
		close(w->eps[i]);
	w->eps[i] = fd;
	w->areas[i] = NULL;
	pthread_mutex_unlock(&w->lock);
	if (!ioctl(fd, RUST_IPC_IOC_GET_ID, &id))
		__atomic_store_n(&ids[w->slot * MAX_EPS + i], id, __ATOMIC_RELAXED);
	if (rnd(seed, 3))
		ioctl(fd, RUST_IPC_IOC_ACCEPT_FDS);
}

static void map_area(struct worker *w, unsigned int *seed)
{
	static const size_t sizes[] = { 4096, 65536, RUST_IPC_AREA_MAX, RUST_IPC_AREA_MAX + 4096 };
	unsigned int i = rnd(seed, MAX_EPS);
	size_t len = sizes[rnd(seed, 4)];
	int prot = rnd(seed, 8) ? PROT_READ : PROT_READ | PROT_WRITE;
	off_t off = rnd(seed, 8) ? 0 : 4096;
	void *p;

	if (w->eps[i] < 0)
		return;
	p = mmap(NULL, len, prot, MAP_SHARED, w->eps[i], off);
	counted(MAPPED, p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	if (rnd(seed, 4) == 0) {
		munmap(p, len);
		return;
	}
	if (rnd(seed, 6) == 0) {
		/* Move it away and maybe back. */
		void *q = mremap(p, len, len, MREMAP_MAYMOVE);

		if (q != MAP_FAILED)
			p = q;
	}
	w->areas[i] = p;
	w->area_len[i] = len;
}

static void do_send(struct worker *w, unsigned int *seed, char *buf, size_t buflen)
{
	struct rust_ipc_send s = { 0 };
	int ring = -1, p[2] = { -1, -1 }, ep = pick_ep(w, seed);
	unsigned int n, i;

	if (ep < 0)
		return;
	s.target = __atomic_load_n(&ids[rnd(seed, WORKERS * MAX_EPS)], __ATOMIC_RELAXED);
	if (rnd(seed, 10) == 0)
		s.target = rnd(seed, 3) ? 0 : 0xfffffff0;
	s.data_size = rnd(seed, 3) ? rnd(seed, 300) : rnd(seed, buflen + 8192);
	s.data = (uintptr_t)buf;
	if (rnd(seed, 12) == 0)
		s.data = rnd(seed, 2) ? 8 : (uintptr_t)buf + buflen - 100;
	n = rnd(seed, 3) ? 0 : rnd(seed, RUST_IPC_MAX_FDS + 2);
	if (n && pipe(p))
		n = 0;
	if (n && rnd(seed, 8) == 0) {
		struct io_uring_params up = { 0 };

		ring = syscall(__NR_io_uring_setup, 2, &up);
	}
	s.num_fds = n;
	for (i = 0; i < n && i < RUST_IPC_MAX_FDS; i++) {
		switch (rnd(seed, 6)) {
		case 0:		/* an endpoint */
			s.fds[i] = ep;
			break;
		case 1:		/* an io_uring, or -1 */
			s.fds[i] = ring;
			break;
		case 2:		/* not open */
			s.fds[i] = 1000 + i;
			break;
		default:
			s.fds[i] = p[i % 2];
			break;
		}
	}
	counted(SENT, !ioctl(ep, RUST_IPC_IOC_SEND, rnd(seed, 20) ? (void *)&s : (void *)8));
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	if (ring >= 0)
		close(ring);
}

static void do_recv(struct worker *w, unsigned int *seed)
{
	struct rust_ipc_recv r;
	int ep = pick_ep(w, seed);
	unsigned int i;

	if (ep < 0)
		return;
	if (ioctl(ep, RUST_IPC_IOC_RECV, rnd(seed, 10) ? (void *)&r : (void *)8))
		return;
	counted(RECEIVED, 1);
	pthread_mutex_lock(&w->lock);
	w->offsets[w->n_offsets++ % 64] = r.offset;
	pthread_mutex_unlock(&w->lock);
	/* Keep some of the files, close others, read some of the payload. */
	for (i = 0; i < r.num_fds && i < RUST_IPC_MAX_FDS; i++)
		if (rnd(seed, 2))
			close(r.fds[i]);
}

static void do_free(struct worker *w, unsigned int *seed)
{
	int ep = pick_ep(w, seed);
	uint64_t off;

	if (ep < 0)
		return;
	pthread_mutex_lock(&w->lock);
	off = w->n_offsets ? w->offsets[rnd(seed, w->n_offsets < 64 ? w->n_offsets : 64)] : 0;
	pthread_mutex_unlock(&w->lock);
	if (rnd(seed, 8) == 0)
		off = rnd(seed, 2) ? (uint64_t)-1 : off + 1;
	counted(FREED, !ioctl(ep, RUST_IPC_IOC_FREE, (unsigned long)off));
}

static void do_fork(struct worker *w, unsigned int *seed, char *buf, size_t buflen)
{
	unsigned int s2 = rand_r(seed);
	pid_t pid = fork();

	if (!pid) {
		/* A child: a few operations on the inherited endpoints, then exit or hang. */
		alarm(3);
		for (int i = 0; i < 4; i++) {
			do_send(w, &s2, buf, buflen);
			do_recv(w, &s2);
			do_free(w, &s2);
		}
		if (rnd(&s2, 4) == 0)
			pause();
		_exit(0);
	}
	if (pid < 0)
		return;
	if (rnd(seed, 3) == 0)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void do_exec(struct worker *w, unsigned int *seed)
{
	int ep = pick_ep(w, seed);
	pid_t pid;

	if (ep < 0)
		return;
	pid = fork();
	if (!pid) {
		char arg[16];

		snprintf(arg, sizeof(arg), "%d", ep);
		alarm(3);
		execl("/proc/self/exe", "ipc_fuzz", "exec", arg, NULL);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = w->slot * 1000 + (unsigned int)(uintptr_t)pthread_self() % 997;
	size_t buflen = 64 * 1024;
	char *buf = malloc(buflen);

	memset(buf, 0x5c, buflen);
	while (time(NULL) < w->end) {
		struct pollfd pfd;

		switch (rnd(&seed, 16)) {
		case 0:
			open_ep(w, &seed);
			break;
		case 1:
			map_area(w, &seed);
			break;
		case 2:
		case 3:
		case 4:
			do_send(w, &seed, buf, buflen);
			break;
		case 5:
		case 6:
			do_recv(w, &seed);
			break;
		case 7:
		case 8:
			do_free(w, &seed);
			break;
		case 9:
			if (rnd(&seed, 4) == 0)
				do_fork(w, &seed, buf, buflen);
			break;
		case 10:
			if (rnd(&seed, 8) == 0)
				do_exec(w, &seed);
			break;
		case 11:
			pfd = (struct pollfd){ .fd = pick_ep(w, &seed), .events = POLLIN };
			poll(&pfd, 1, rnd(&seed, 3));
			break;
		case 12: {
			struct rust_ipc_info info;
			int ep = pick_ep(w, &seed);

			if (ep >= 0)
				ioctl(ep, RUST_IPC_IOC_INFO, &info);
			break;
		}
		case 13: {
			unsigned int i = rnd(&seed, MAX_EPS);

			/* Unmap an area while others may send into it. */
			if (w->areas[i] && rnd(&seed, 4) == 0) {
				munmap(w->areas[i], w->area_len[i]);
				w->areas[i] = NULL;
			}
			break;
		}
		default:
			ioctl(pick_ep(w, &seed), _IO('r', rnd(&seed, 20)), 0);
			break;
		}
	}
	free(buf);
	return NULL;
}

static void worker_main(int slot)
{
	struct worker w = { .slot = slot, .end = time(NULL) + RUN_S };
	pthread_t t[THREADS];
	unsigned int seed = slot;
	int i;

	alarm(RUN_S + 20);
	pthread_mutex_init(&w.lock, NULL);
	for (i = 0; i < MAX_EPS; i++)
		w.eps[i] = -1;
	for (i = 0; i < MAX_EPS; i++)
		open_ep(&w, &seed);
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker_thread, &w);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	/* Leave with everything open: release must clean up. */
	_exit(0);
}

/* The exec'd program: an owner no more, it may only be refused. */
static int exec_main(const char *fd_arg)
{
	struct rust_ipc_recv r;
	int ep = atoi(fd_arg);

	ioctl(ep, RUST_IPC_IOC_RECV, &r);
	ioctl(ep, RUST_IPC_IOC_FREE, 0UL);
	return 0;
}

int main(int argc, char **argv)
{
	long filp0, filp1, mm0, mm1, dfc0, dfc1;
	pid_t pids[WORKERS];
	int i, status, clean = 1;

	if (argc == 3 && !strcmp(argv[1], "exec"))
		return exec_main(argv[2]);

	ktap_plan(6);
	ids = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	counters = (long *)(ids + WORKERS * MAX_EPS);
	filp0 = slab_active("filp");
	mm0 = slab_active("mm_struct");
	dfc0 = slab_active("deferred_fd_closer");

	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		if (!pids[i])
			worker_main(i);
	}
	for (i = 0; i < WORKERS; i++) {
		int waited = 0;

		/* Each stops by itself after RUN_S; give it some more, then kill it. */
		while (waitpid(pids[i], &status, WNOHANG) == 0 && waited < (RUN_S + 30) * 10) {
			usleep(100000);
			waited++;
		}
		if (waited >= (RUN_S + 30) * 10) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &status, 0);
			clean = 0;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			ktap_diag("worker %d: status %#x", i, status);
			clean = 0;
		}
	}
	ktap_result(clean, "workers_ran_and_exited");
	ktap_diag("succeeded: %ld sends, %ld receives, %ld frees, %ld mmaps", counters[SENT],
		  counters[RECEIVED], counters[FREED], counters[MAPPED]);
	ktap_result(counters[SENT] > 0 && counters[RECEIVED] > 0 && counters[FREED] > 0 &&
		    counters[MAPPED] > 0, "every_operation_succeeded_sometimes");

	/* Releases of the last files run as task work and kworkers: give them a moment. */
	sleep(1);
	filp1 = slab_active("filp");
	mm1 = slab_active("mm_struct");
	dfc1 = slab_active("deferred_fd_closer");
	ktap_diag("filp %ld -> %ld, mm_struct %ld -> %ld, deferred_fd_closer %ld -> %ld",
		  filp0, filp1, mm0, mm1, dfc0, dfc1);
	ktap_result(filp0 > 0 && filp1 - filp0 < FILP_SLACK, "no_file_left");
	ktap_result(mm0 > 0 && mm1 - mm0 < MM_SLACK, "no_mm_left");
	ktap_result(dfc0 >= 0 && dfc1 <= dfc0, "no_closer_left");
	/* The device still works for a newcomer. */
	i = open(RUST_IPC_DEV, O_RDWR | O_CLOEXEC);
	ktap_result(i >= 0 && !ioctl(i, RUST_IPC_IOC_INFO, &(struct rust_ipc_info){ 0 }),
		    "device_still_works");
	close(i);
	return ktap_finish();
}
