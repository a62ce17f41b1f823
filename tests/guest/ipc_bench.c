// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_bench - figures for the binder-like sample, measured, never asserted.
 *
 * One process, two endpoints (sender and receiver), so that the figures are
 * the driver's paths and not the scheduler's.  For each payload size and fd
 * count: messages per second for the round send + receive + free, and the
 * receiver's side alone (receive + free: fd reservation, installation and
 * the deferred close on free).  The per-fd cost on the receiver's side is
 * set against close(2) of as many fds, in the same run.  Printed as KTAP
 * diagnostics ("#" lines); the only results are that each measurement ran.
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

#include "ktap.h"

#define ROUNDS	2000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct result {
	double round_ns;	/* send + receive + free */
	double recv_side_ns;	/* receive + free */
};

static int measure(int snd, int rcv, uint32_t target, const void *buf, size_t size,
		   const int *fds, unsigned int num_fds, struct result *res)
{
	struct rust_ipc_send s = {
		.target = target, .num_fds = num_fds,
		.data = (uintptr_t)buf, .data_size = size,
	};
	struct rust_ipc_recv r;
	uint64_t t0, t1, recv_side = 0;
	unsigned int i;
	int n;

	memcpy(s.fds, fds, num_fds * sizeof(int));
	/* Warm up: pages, slabs. */
	for (n = 0; n < 50; n++) {
		if (ioctl(snd, RUST_IPC_IOC_SEND, &s) || ioctl(rcv, RUST_IPC_IOC_RECV, &r) ||
		    ioctl(rcv, RUST_IPC_IOC_FREE, (unsigned long)r.offset))
			return 0;
	}
	t0 = now_ns();
	for (n = 0; n < ROUNDS; n++) {
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
	res->round_ns = (double)(t1 - t0) / ROUNDS;
	res->recv_side_ns = (double)recv_side / ROUNDS;
	return 1;
}

/* close(2) of one fd, timed over a batch made with dup() beforehand. */
static double close_ns(int fd)
{
	static int batch[512];
	uint64_t total = 0, t0;
	int round, i;

	for (round = 0; round < ROUNDS * 8 / 512; round++) {
		for (i = 0; i < 512; i++)
			batch[i] = dup(fd);
		t0 = now_ns();
		for (i = 0; i < 512; i++)
			close(batch[i]);
		total += now_ns() - t0;
	}
	return (double)total / (ROUNDS * 8 / 512 * 512);
}

/* dup(2) + close(2) of one fd: making an fd and closing it, for scale. */
static double dup_close_ns(int fd)
{
	uint64_t t0 = now_ns();
	int n;

	for (n = 0; n < ROUNDS * 8; n++)
		close(dup(fd));
	return (double)(now_ns() - t0) / (ROUNDS * 8);
}

/* The cost of an empty ioctl round trip on the device, for scale. */
static double empty_ioctl_ns(int ep)
{
	struct rust_ipc_info info;
	uint64_t t0 = now_ns();
	int n;

	for (n = 0; n < ROUNDS; n++)
		ioctl(ep, RUST_IPC_IOC_INFO, &info);
	return (double)(now_ns() - t0) / ROUNDS;
}

int main(void)
{
	static const size_t sizes[] = { 64, 64 * 1024 };
	static const unsigned int counts[] = { 0, 1, 8 };
	struct result res[2][3];
	int snd, rcv, fds[RUST_IPC_MAX_FDS], p[2], ok;
	unsigned char *buf;
	uint32_t target = 0;
	unsigned int s, c, i;
	double closed, per_fd, dupped;

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

	for (s = 0; s < ARRAY_SIZE(sizes); s++)
		for (c = 0; c < ARRAY_SIZE(counts); c++)
			ok &= measure(snd, rcv, target, buf, sizes[s], fds, counts[c], &res[s][c]);
	closed = close_ns(p[1]);
	ktap_result(ok, "ipc_measured");

	ktap_diag("bench: rust_ipc, %d rounds each, one process, two endpoints", ROUNDS);
	ktap_diag("bench: %-10s %4s %12s %12s %16s", "payload", "fds", "msgs/s", "ns/msg",
		  "recv+free ns");
	for (s = 0; s < ARRAY_SIZE(sizes); s++)
		for (c = 0; c < ARRAY_SIZE(counts); c++)
			ktap_diag("bench: %-10zu %4u %12.0f %12.0f %16.0f", sizes[s], counts[c],
				  1e9 / res[s][c].round_ns, res[s][c].round_ns,
				  res[s][c].recv_side_ns);
	per_fd = (res[0][2].recv_side_ns - res[0][0].recv_side_ns) / 8;
	ktap_diag("bench: receiver side per fd (recv+free, 8 fds minus 0): %.0f ns", per_fd);
	ktap_diag("bench: close(2) of one fd: %.0f ns; empty ioctl: %.0f ns", closed,
		  empty_ioctl_ns(rcv));
	ktap_diag("bench: per fd / close(2): %.2f (aim: at most 2)", per_fd / closed);
	dupped = dup_close_ns(p[1]);
	ktap_diag("bench: dup(2)+close(2) of one fd: %.0f ns; per fd / that: %.2f", dupped,
		  per_fd / dupped);
	ktap_result(per_fd > 0 && closed > 0, "fd_cost_measured");
	return ktap_finish();
}
