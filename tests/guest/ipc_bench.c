// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_bench - figures for the binder-like sample, measured, never asserted.
 *
 * One process, two endpoints (sender and receiver), so that the figures are
 * the driver's paths and not the scheduler's.  For each payload size and fd
 * count: messages per second for the round trip send + receive + free, and
 * the receiver's side alone (receive + free: fd reservation, installation and
 * the deferred close on free).  The per-fd cost on the receiver's side is set
 * against close(2) of as many fds, and the close-on-free of a buffer with 8
 * fds against 8 close(2) calls.
 *
 * Every figure is measured in BENCH_ROUNDS rounds, everything it is compared
 * with measured in the same round, and printed as min/median/max over the
 * rounds; a ratio is computed per round, and printed as the median and range
 * of the per-round ratios.  Printed as KTAP diagnostics ("#" lines); the only
 * results are that each measurement ran.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/rust_ipc.h>

#include "bench_stats.h"
#include "ktap.h"

#define ITERS		1000	/* messages per row and round */
#define FREE_BATCH	32	/* buffers received, then freed in a row */
#define FREE_BUFFERS	1024	/* buffers freed per side and round */
#define FREE_FDS	8	/* fds per buffer of the close-on-free figure */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * ITERS messages of SIZE bytes and NUM_FDS fds: the round trip, and the
 * receiver's side alone, in ns per message.  Returns 0 if an ioctl failed.
 */
static int measure(int snd, int rcv, uint32_t target, const void *buf, size_t size,
		   const int *fds, unsigned int num_fds, double *round_ns,
		   double *recv_side_ns)
{
	struct rust_ipc_send s = {
		.target = target, .num_fds = num_fds,
		.data = (uintptr_t)buf, .data_size = size,
	};
	struct rust_ipc_recv r;
	uint64_t t0, t1, recv_side = 0;
	unsigned int i;
	int n;

	*round_ns = *recv_side_ns = 0;
	memcpy(s.fds, fds, num_fds * sizeof(int));
	/* Warm up: pages, slabs. */
	for (n = 0; n < 50; n++) {
		if (ioctl(snd, RUST_IPC_IOC_SEND, &s) || ioctl(rcv, RUST_IPC_IOC_RECV, &r) ||
		    ioctl(rcv, RUST_IPC_IOC_FREE, (unsigned long)r.offset))
			return 0;
	}
	t0 = now_ns();
	for (n = 0; n < ITERS; n++) {
		uint64_t a;

		if (ioctl(snd, RUST_IPC_IOC_SEND, &s))
			return 0;
		a = now_ns();
		if (ioctl(rcv, RUST_IPC_IOC_RECV, &r) ||
		    ioctl(rcv, RUST_IPC_IOC_FREE, (unsigned long)r.offset))
			return 0;
		recv_side += now_ns() - a;
		for (i = 0; i < r.num_fds; i++)
			if (fcntl(r.fds[i], F_GETFD) != -1)
				return 0;
	}
	t1 = now_ns();
	*round_ns = (double)(t1 - t0) / ITERS;
	*recv_side_ns = (double)recv_side / ITERS;
	return 1;
}

/*
 * RUST_IPC_IOC_FREE of a received 64-byte buffer with NUM_FDS fds, in ns per
 * buffer: FREE_BATCH buffers are sent and received untimed, then freed in a
 * row, timed.  FREE closes the buffer's fds in the receiver with deferred
 * close, whose task work (the fput) runs on the return to user space: that
 * is in the time of the ioctl.  Returns 0 if something failed, or if an fd is
 * still open after its buffer was freed.
 */
static int free_ns(int snd, int rcv, uint32_t target, const void *buf, const int *fds,
		   unsigned int num_fds, double *out)
{
	static int got[FREE_BATCH][RUST_IPC_MAX_FDS];
	struct rust_ipc_send s = {
		.target = target, .num_fds = num_fds,
		.data = (uintptr_t)buf, .data_size = 64,
	};
	uint64_t offsets[FREE_BATCH], total = 0, t0;
	struct rust_ipc_recv r;
	unsigned int i;
	int batch, n;

	*out = 0;
	memcpy(s.fds, fds, num_fds * sizeof(int));
	for (batch = 0; batch < FREE_BUFFERS / FREE_BATCH; batch++) {
		for (n = 0; n < FREE_BATCH; n++) {
			if (ioctl(snd, RUST_IPC_IOC_SEND, &s) ||
			    ioctl(rcv, RUST_IPC_IOC_RECV, &r) || r.num_fds != num_fds)
				return 0;
			offsets[n] = r.offset;
			memcpy(got[n], r.fds, num_fds * sizeof(int));
		}
		t0 = now_ns();
		for (n = 0; n < FREE_BATCH; n++)
			if (ioctl(rcv, RUST_IPC_IOC_FREE, (unsigned long)offsets[n]))
				return 0;
		total += now_ns() - t0;
		for (n = 0; n < FREE_BATCH; n++)
			for (i = 0; i < num_fds; i++)
				if (fcntl(got[n][i], F_GETFD) != -1)
					return 0;
	}
	*out = (double)total / FREE_BUFFERS;
	return 1;
}

/*
 * COUNT close(2) calls of as many fds dup'ed from FD, in ns per COUNT closes:
 * timed in batches made with dup() beforehand, FREE_BATCH times COUNT fds
 * each, like the buffers of free_ns().  Returns 0 if a dup() failed.
 */
static int closes_ns(int fd, unsigned int count, double *out)
{
	static int batch[FREE_BATCH * RUST_IPC_MAX_FDS];
	unsigned int i, n = FREE_BATCH * count;
	uint64_t total = 0, t0;
	int b, ok = 1;

	for (b = 0; b < FREE_BUFFERS / FREE_BATCH; b++) {
		for (i = 0; i < n; i++) {
			batch[i] = dup(fd);
			ok &= batch[i] >= 0;
		}
		t0 = now_ns();
		for (i = 0; i < n; i++)
			close(batch[i]);
		total += now_ns() - t0;
	}
	*out = (double)total / FREE_BUFFERS;
	return ok;
}

/*
 * close(2) of one fd, timed over batches made with dup() beforehand.
 * Returns 0 if a dup() failed.
 */
static int close_ns(int fd, double *out)
{
	static int batch[512];
	uint64_t total = 0, t0;
	int b, i, ok = 1;

	for (b = 0; b < ITERS * 8 / 512; b++) {
		for (i = 0; i < 512; i++) {
			batch[i] = dup(fd);
			ok &= batch[i] >= 0;
		}
		t0 = now_ns();
		for (i = 0; i < 512; i++)
			close(batch[i]);
		total += now_ns() - t0;
	}
	*out = (double)total / (ITERS * 8 / 512 * 512);
	return ok;
}

/* dup(2) + close(2) of one fd: making an fd and closing it, for scale. */
static double dup_close_ns(int fd)
{
	uint64_t t0 = now_ns();
	int n;

	for (n = 0; n < ITERS * 8; n++)
		close(dup(fd));
	return (double)(now_ns() - t0) / (ITERS * 8);
}

/* The cost of an empty ioctl round trip on the device, for scale. */
static double empty_ioctl_ns(int ep)
{
	struct rust_ipc_info info;
	uint64_t t0 = now_ns();
	int n;

	for (n = 0; n < ITERS; n++)
		ioctl(ep, RUST_IPC_IOC_INFO, &info);
	return (double)(now_ns() - t0) / ITERS;
}

int main(void)
{
	static const size_t sizes[] = { 64, 64 * 1024 };
	static const unsigned int counts[] = { 0, 1, 8 };
	/* Per row and round: ns per message, messages per second, receive + free ns. */
	double round_ns[2][3][BENCH_ROUNDS], rate[2][3][BENCH_ROUNDS];
	double recv_ns[2][3][BENCH_ROUNDS];
	/* Per round: the fd figures, and the ratios. */
	double closed[BENCH_ROUNDS], dupped[BENCH_ROUNDS], nop[BENCH_ROUNDS];
	double per_fd[BENCH_ROUNDS], per_fd_close[BENCH_ROUNDS], per_fd_dup[BENCH_ROUNDS];
	double free8[BENCH_ROUNDS], free0[BENCH_ROUNDS], close8[BENCH_ROUNDS];
	double free_delta[BENCH_ROUNDS], free_close[BENCH_ROUNDS];
	struct bench_line line = { .len = 0 };
	int snd, rcv, fds[RUST_IPC_MAX_FDS], p[2], ok, ok_fd = 1;
	unsigned int s, c, i, round;
	unsigned char *buf;
	uint32_t target = 0;

	ktap_plan(2);
	snd = open(RUST_IPC_DEV, O_RDWR | O_CLOEXEC);
	rcv = open(RUST_IPC_DEV, O_RDWR | O_CLOEXEC);
	ioctl(rcv, RUST_IPC_IOC_GET_ID, &target);
	ok = mmap(NULL, RUST_IPC_AREA_MAX, PROT_READ, MAP_SHARED, rcv, 0) != MAP_FAILED &&
	     ioctl(rcv, RUST_IPC_IOC_ACCEPT_FDS) == 0;
	buf = malloc(64 * 1024);
	memset(buf, 0x5a, 64 * 1024);
	if (pipe(p))
		return 1;
	for (i = 0; i < RUST_IPC_MAX_FDS; i++)
		fds[i] = p[1];

	/* Every figure of a round, and what it is compared with, side by side. */
	for (round = 0; round < BENCH_ROUNDS; round++) {
		for (s = 0; s < ARRAY_SIZE(sizes); s++)
			for (c = 0; c < ARRAY_SIZE(counts); c++) {
				ok &= measure(snd, rcv, target, buf, sizes[s], fds, counts[c],
					      &round_ns[s][c][round], &recv_ns[s][c][round]);
				rate[s][c][round] = 1e9 / round_ns[s][c][round];
			}
		ok_fd &= close_ns(p[1], &closed[round]);
		dupped[round] = dup_close_ns(p[1]);
		nop[round] = empty_ioctl_ns(rcv);
		ok_fd &= free_ns(snd, rcv, target, buf, fds, FREE_FDS, &free8[round]);
		ok_fd &= free_ns(snd, rcv, target, buf, fds, 0, &free0[round]);
		ok_fd &= closes_ns(p[1], FREE_FDS, &close8[round]);

		/* The 64-byte rows: 8 fds minus 0, per fd. */
		per_fd[round] = (recv_ns[0][2][round] - recv_ns[0][0][round]) / 8;
		per_fd_close[round] = per_fd[round] / closed[round];
		per_fd_dup[round] = per_fd[round] / dupped[round];
		free_delta[round] = free8[round] - free0[round];
		free_close[round] = free_delta[round] / close8[round];
	}
	ktap_result(ok, "ipc_measured");

	ktap_diag("bench: rust_ipc, one process, two endpoints, %d messages per row, R=%d rounds",
		  ITERS, BENCH_ROUNDS);
	ktap_diag("bench: %-10s %4s %24s %24s %24s", "payload", "fds", "msgs/s min/med/max",
		  "ns/msg min/med/max", "recv+free ns min/med/max");
	for (s = 0; s < ARRAY_SIZE(sizes); s++)
		for (c = 0; c < ARRAY_SIZE(counts); c++)
			ktap_diag("bench: %-10zu %4u %24s %24s %24s", sizes[s], counts[c],
				  bench_mmm(rate[s][c]).s, bench_mmm(round_ns[s][c]).s,
				  bench_mmm(recv_ns[s][c]).s);

	bench_add(&line, "bench: receiver cost per passed fd (recv+free) vs close(2): ratio %s",
		  bench_ratio(per_fd_close).s);
	bench_add(&line, " (aim: at most 2), per fd (64 B, 8 fds minus 0 fds, / 8)");
	bench_add(&line, " min/med/max %s ns, close(2) %s ns, empty ioctl %s ns, R=%d",
		  bench_mmm(per_fd).s, bench_mmm(closed).s, bench_mmm(nop).s, BENCH_ROUNDS);
	ktap_diag("%s", line.s);

	line.len = 0;
	bench_add(&line, "bench: receiver cost per passed fd (recv+free) vs dup(2)+close(2):");
	bench_add(&line, " ratio %s, dup(2)+close(2) min/med/max %s ns, R=%d",
		  bench_ratio(per_fd_dup).s, bench_mmm(dupped).s, BENCH_ROUNDS);
	ktap_diag("%s", line.s);

	line.len = 0;
	bench_add(&line, "bench: close-on-free of a buffer with %d fds vs %d x close(2)",
		  FREE_FDS, FREE_FDS);
	bench_add(&line, " (FREE with %d fds minus FREE with 0 fds): ratio %s", FREE_FDS,
		  bench_ratio(free_close).s);
	bench_add(&line, ", FREE minus FREE min/med/max %s ns, %d x close(2) %s ns",
		  bench_mmm(free_delta).s, FREE_FDS, bench_mmm(close8).s);
	bench_add(&line, ", FREE with %d fds %s ns, with 0 fds %s ns, N=%d buffers, R=%d",
		  FREE_FDS, bench_mmm(free8).s, bench_mmm(free0).s, FREE_BUFFERS, BENCH_ROUNDS);
	ktap_diag("%s", line.s);
	ktap_result(ok_fd, "fd_cost_measured");
	return ktap_finish();
}
