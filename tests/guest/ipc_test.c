// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_test - the binder-like sample (samples/rust/rust_ipc.rs) from user
 * space, across processes.
 *
 * The parent is the main receiver: it maps a receive area and checks what
 * arrives there.  Senders are forked children with endpoints of their own
 * (sending from another address space is the point).  Every error of a send
 * is provoked, each followed by a check that the receiver's state did not
 * move; a receiver killed with messages pending, and one whose address space
 * is gone while its file lives on, must give ESRCH and leak nothing.
 */

#define _GNU_SOURCE
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/io_uring.h>
#include <linux/userfaultfd.h>
#include <linux/rust_ipc.h>

#include "ktap.h"
#include "testlib.h"

#define AREA_SIZE	RUST_IPC_AREA_MAX

static long page_size;

static int ep_open(void)
{
	return open(RUST_IPC_DEV, O_RDWR | O_CLOEXEC);
}

static uint32_t ep_id(int ep)
{
	uint32_t id = 0;

	if (ioctl(ep, RUST_IPC_IOC_GET_ID, &id))
		return 0;
	return id;
}

static struct rust_ipc_info ep_info(int ep)
{
	struct rust_ipc_info info;

	if (ioctl(ep, RUST_IPC_IOC_INFO, &info))
		memset(&info, 0xff, sizeof(info));
	return info;
}

/* Sends; returns 0 or -errno. */
static int ep_send(int ep, uint32_t target, const void *data, size_t size,
		   const int *fds, unsigned int num_fds)
{
	struct rust_ipc_send s = {
		.target = target, .num_fds = num_fds,
		.data = (uintptr_t)data, .data_size = size,
	};
	unsigned int i;

	for (i = 0; i < num_fds && i < RUST_IPC_MAX_FDS; i++)
		s.fds[i] = fds[i];
	return ioctl(ep, RUST_IPC_IOC_SEND, &s) ? -errno : 0;
}

static int ep_recv(int ep, struct rust_ipc_recv *r)
{
	return ioctl(ep, RUST_IPC_IOC_RECV, r) ? -errno : 0;
}

static int ep_free(int ep, uint64_t offset)
{
	return ioctl(ep, RUST_IPC_IOC_FREE, (unsigned long)offset) ? -errno : 0;
}

/*
 * read() that gives up after MS milliseconds, so that a broken driver fails
 * the test instead of hanging the whole guest run: -1 with ETIMEDOUT then.
 */
#define TIMEOUT_MS	10000

static ssize_t read_timeout(int fd, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	return read(fd, buf, len);
}

/* The byte at index I of the payload of size SIZE sent with seed SEED. */
static unsigned char pattern(size_t i, size_t size, unsigned int seed)
{
	return (unsigned char)(i * 131 + size * 7 + seed * 17 + (i >> 12));
}

static void fill(unsigned char *buf, size_t size, unsigned int seed)
{
	size_t i;

	for (i = 0; i < size; i++)
		buf[i] = pattern(i, size, seed);
}

static int check(const unsigned char *buf, size_t size, unsigned int seed)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (buf[i] != pattern(i, size, seed))
			return 0;
	return 1;
}

/*
 * Runs FN(ARG) in a forked child with an endpoint of its own and returns what
 * it returned (an int, through a pipe), or INT32_MIN if the child died.
 */
static int in_child(int (*fn)(int ep, void *arg), void *arg)
{
	int p[2], ret = INT32_MIN, status;
	pid_t pid;

	if (pipe(p))
		return INT32_MIN;
	pid = fork();
	if (!pid) {
		int ep = ep_open(), r = fn(ep, arg);

		write(p[1], &r, sizeof(r));
		_exit(0);
	}
	close(p[1]);
	/* Generous: the threads test runs in a child. */
	if (read_timeout(p[0], &ret, sizeof(ret), 12 * TIMEOUT_MS) != sizeof(ret)) {
		ret = INT32_MIN;
		kill(pid, SIGKILL);
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	return ret;
}

struct send_req {
	uint32_t target;
	const void *data;
	size_t size;
	int fds[RUST_IPC_MAX_FDS];
	unsigned int num_fds;
	struct rust_ipc_send *raw;	/* if set, sent as it is */
	void *raw_ptr;			/* if set, passed as the ioctl argument */
};

static int do_send(int ep, void *arg)
{
	struct send_req *r = arg;

	if (r->raw_ptr)
		return ioctl(ep, RUST_IPC_IOC_SEND, r->raw_ptr) ? -errno : 0;
	if (r->raw)
		return ioctl(ep, RUST_IPC_IOC_SEND, r->raw) ? -errno : 0;
	return ep_send(ep, r->target, r->data, r->size, r->fds, r->num_fds);
}

static int child_send(struct send_req *r)
{
	return in_child(do_send, r);
}

static sigjmp_buf probe_env;

static void probe_handler(int sig)
{
	siglongjmp(probe_env, sig);
}

static int probe_write(char *addr)
{
	struct sigaction sa = { .sa_handler = probe_handler }, old;
	int sig;

	sigaction(SIGSEGV, &sa, &old);
	sig = sigsetjmp(probe_env, 1);
	if (!sig)
		__atomic_store_n(addr, 1, __ATOMIC_RELAXED);
	sigaction(SIGSEGV, &old, NULL);
	return sig;
}

static int ep;			/* the parent's endpoint */
static uint32_t id;
static unsigned char *area;

/* A forked child maps the parent's endpoint: not its owner. */
static int do_mmap_foreign(int cep, void *arg)
{
	void *p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, ep, 0);

	(void)cep;
	(void)arg;
	if (p != MAP_FAILED) {
		munmap(p, page_size);
		return 0;
	}
	return -errno;
}

/* A forked child opts the parent's endpoint in to files: not its owner. */
static int do_accept_foreign(int cep, void *arg)
{
	(void)cep;
	(void)arg;
	return ioctl(ep, RUST_IPC_IOC_ACCEPT_FDS) ? -errno : 0;
}

/* A forked child receives from the parent's endpoint: not its owner either. */
static int do_recv_foreign(int cep, void *arg)
{
	struct rust_ipc_recv r;

	(void)cep;
	(void)arg;
	return ep_recv(ep, &r);
}

static void test_setup(void)
{
	int other = ep_open(), null;
	struct send_req req = { 0 };

	ep = ep_open();
	id = ep_id(ep);
	ktap_result(ep >= 0 && other >= 0 && id && ep_id(other) && ep_id(other) != id,
		    "endpoints_have_distinct_ids");
	close(other);

	/* No area yet: nowhere to put a message. */
	req.target = id;
	ktap_result(ep_info(ep).mm_grabbed == 0 && child_send(&req) == -ENOSPC,
		    "send_before_mmap_enospc");

	errno = 0;
	ktap_result(mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, ep, 0) ==
		    MAP_FAILED && errno == EPERM, "mmap_writable_eperm");
	errno = 0;
	ktap_result(mmap(NULL, 2 * AREA_SIZE, PROT_READ, MAP_SHARED, ep, 0) == MAP_FAILED &&
		    errno == EINVAL, "mmap_too_large_einval");
	errno = 0;
	ktap_result(mmap(NULL, page_size, PROT_READ, MAP_SHARED, ep, page_size) == MAP_FAILED &&
		    errno == EINVAL, "mmap_at_offset_einval");
	ktap_result(in_child(do_mmap_foreign, NULL) == -EPERM, "mmap_by_other_process_eperm");
	area = mmap(NULL, AREA_SIZE, PROT_READ, MAP_SHARED, ep, 0);
	ktap_result(area != MAP_FAILED && ep_info(ep).mm_grabbed == 1, "mmap_grabs_mm");

	/* Files only once the receiver opted in, and only the owner opts in. */
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	req = (struct send_req){ .target = id, .data = "f", .size = 1, .fds = { null },
				 .num_fds = 1 };
	ktap_result(null >= 0 && child_send(&req) == -EPERM && ep_info(ep).pending == 0,
		    "send_fds_before_opt_in_eperm");
	close(null);
	ktap_result(in_child(do_accept_foreign, NULL) == -EPERM,
		    "accept_fds_by_other_process_eperm");
	ktap_result(ioctl(ep, RUST_IPC_IOC_ACCEPT_FDS) == 0, "accept_fds");
	errno = 0;
	ktap_result(mmap(NULL, page_size, PROT_READ, MAP_SHARED, ep, 0) == MAP_FAILED &&
		    errno == EBUSY, "second_mmap_ebusy");
	errno = 0;
	ktap_result(mprotect(area, page_size, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
		    "area_mprotect_write_eacces");
}

/* Receives one message without blocking; checks and frees it. */
static int recv_check_free(uint32_t sender, size_t size, unsigned int seed)
{
	struct rust_ipc_recv r;
	int ok;

	if (ep_recv(ep, &r))
		return 0;
	ok = r.sender == sender && r.data_size == size && r.num_fds == 0 &&
	     r.offset + size <= AREA_SIZE && check(area + r.offset, size, seed);
	return ep_free(ep, r.offset) == 0 && ok;
}

static int do_send_sizes(int cep, void *arg)
{
	static const size_t sizes[] = {
		0, 1, 7, 8, 100, 4095, 4096, 4097, 12345, 65536, 65537,
		RUST_IPC_MAX_DATA - 1, RUST_IPC_MAX_DATA,
	};
	unsigned char *buf = malloc(RUST_IPC_MAX_DATA);
	unsigned int i;

	(void)arg;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fill(buf, sizes[i], i);
		if (ep_send(cep, id, buf, sizes[i], NULL, 0))
			return -(int)i - 1;
	}
	free(buf);
	return ep_id(cep);
}

static void test_payloads(void)
{
	static const size_t sizes[] = {
		0, 1, 7, 8, 100, 4095, 4096, 4097, 12345, 65536, 65537,
		RUST_IPC_MAX_DATA - 1, RUST_IPC_MAX_DATA,
	};
	struct rust_ipc_info info;
	struct pollfd pfd = { .fd = ep, .events = POLLIN };
	int sender, ok = 1;
	unsigned int i;

	ok &= poll(&pfd, 1, 0) == 0;
	sender = in_child(do_send_sizes, NULL);
	info = ep_info(ep);
	ok &= sender > 0 && info.pending == ARRAY_SIZE(sizes) && info.pages > 0;
	ok &= poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
	for (i = 0; ok && i < ARRAY_SIZE(sizes); i++)
		ok &= recv_check_free(sender, sizes[i], i);
	info = ep_info(ep);
	ktap_result(ok && info.pending == 0 && info.live_buffers == 0 && info.pages == 0,
		    "payload_integrity_0_to_limit");
	ktap_result(info.pages_installed > 0, "pages_installed_and_released");
}

/* State of the receiver that a failed send must leave as it was. */
static int unchanged(const struct rust_ipc_info *before)
{
	struct rust_ipc_info now = ep_info(ep);
	struct rust_ipc_recv r;

	return now.pending == before->pending && now.live_buffers == before->live_buffers &&
	       now.pages == before->pages && ep_recv(ep, &r) == -EAGAIN;
}

static void send_error(const char *name, struct send_req *req, int expected)
{
	struct rust_ipc_info before = ep_info(ep);
	int ret = child_send(req);

	ktap_result(ret == expected && unchanged(&before), "%s", name);
	if (ret != expected)
		ktap_diag("send returned %d, expected %d", ret, expected);
}

struct watcher {
	int stop;
	int seen;
};

/* Watches the first page of the area, past the live "keep" buffer, for any byte at all. */
static void *watch_main(void *arg)
{
	struct watcher *w = arg;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED))
		for (long i = 8; i < page_size; i++)
			if (__atomic_load_n(&area[i], __ATOMIC_RELAXED))
				w->seen = 1;
	return NULL;
}

static int do_send_many(int cep, void *arg)
{
	int efault = 0;

	for (int i = 0; i < 50; i++)
		efault += do_send(cep, arg) == -EFAULT;
	return efault;
}

/*
 * All or nothing: while sends whose payload faults midway keep failing, the
 * receiver watching its own area never sees a byte of them.  Before the fix
 * the first part was copied into the (mapped) first page before the fault,
 * and wiped only afterwards.
 */
static void test_failed_send_never_visible(struct send_req *req)
{
	struct watcher w = { 0 };
	int failed, ok;
	pthread_t t;

	ok = !pthread_create(&t, NULL, watch_main, &w);
	failed = in_child(do_send_many, req);
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELAXED);
	if (ok)
		pthread_join(t, NULL);
	ktap_result(ok && failed == 50 && !w.seen, "failed_send_never_visible");
	if (failed != 50 || w.seen)
		ktap_diag("%d of 50 sends got EFAULT; a byte %s seen", failed,
			  w.seen ? "was" : "was not");
}

static void test_send_errors(void)
{
	unsigned char *buf = malloc(RUST_IPC_MAX_DATA + 1);
	struct io_uring_params ring_params = { 0 };
	struct rust_ipc_send raw = { .target = 0 };
	struct rust_ipc_recv keep;
	struct send_req req;
	unsigned char *holey;
	int p[2], n, keep_ok, ring, sv[2];
	char c;

	fill(buf, RUST_IPC_MAX_DATA + 1, 0);
	fcntl(ep, F_SETFL, O_NONBLOCK);

	req = (struct send_req){ .target = id, .data = buf, .size = 10,
				 .fds = { 0, 999 }, .num_fds = 2 };
	send_error("bad_fd_ebadf", &req, -EBADF);
	req.fds[1] = -1;
	send_error("negative_fd_ebadf", &req, -EBADF);

	/*
	 * An io_uring instance could hold the endpoint's file in its fixed file
	 * table: sent to the endpoint, it would make a cycle nothing breaks.
	 */
	ring = syscall(__NR_io_uring_setup, 4, &ring_params);
	req = (struct send_req){ .target = id, .data = buf, .size = 10, .fds = { ring },
				 .num_fds = 1 };
	if (ring < 0)
		ktap_diag("io_uring_setup: %s", strerror(errno));
	send_error("io_uring_fd_einval", &req, ring >= 0 ? -EINVAL : -EBADF);
	if (ring >= 0)
		close(ring);

	/* An AF_UNIX socket could carry the endpoint's fd in flight: the same cycle. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		sv[0] = -1;
		sv[1] = -1;
	}
	req = (struct send_req){ .target = id, .data = buf, .size = 10, .fds = { sv[0] },
				 .num_fds = 1 };
	send_error("unix_socket_fd_einval", &req, sv[0] >= 0 ? -EINVAL : -EBADF);
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}

	req = (struct send_req){ .target = id, .data = (void *)8, .size = 10 };
	send_error("bad_data_pointer_efault", &req, -EFAULT);
	req = (struct send_req){ .raw_ptr = (void *)8 };
	send_error("bad_argument_pointer_efault", &req, -EFAULT);

	/*
	 * The payload faults after a page and a half.  A live buffer keeps the
	 * area's first page mapped: the bytes that got copied there before the
	 * fault must be wiped again, the other pages unmapped.
	 */
	req = (struct send_req){ .target = id, .data = "keep", .size = 4 };
	keep_ok = child_send(&req) == 0 && ep_recv(ep, &keep) == 0 && keep.offset == 0;
	holey = mmap(NULL, 3 * page_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(holey, 0x77, 2 * page_size);
	munmap(holey + 2 * page_size, page_size);
	req = (struct send_req){ .target = id, .data = holey + page_size / 2,
				 .size = 2 * page_size };
	send_error("payload_faults_midway_efault", &req, -EFAULT);
	for (n = 8; n < page_size && !area[n]; n++)
		;
	ktap_result(keep_ok && n == page_size && ep_info(ep).pages == 1 &&
		    !memcmp(area, "keep", 4), "failed_payload_wiped");
	test_failed_send_never_visible(&req);
	ep_free(ep, keep.offset);

	req = (struct send_req){ .target = 0xfffffff0, .data = buf, .size = 10 };
	send_error("unknown_target_esrch", &req, -ESRCH);
	req = (struct send_req){ .target = id, .data = buf, .size = RUST_IPC_MAX_DATA + 1 };
	send_error("too_large_emsgsize", &req, -EMSGSIZE);
	req.size = (size_t)-1;
	send_error("huge_size_emsgsize", &req, -EMSGSIZE);
	raw = (struct rust_ipc_send){ .target = id, .num_fds = RUST_IPC_MAX_FDS + 1 };
	req = (struct send_req){ .raw = &raw };
	send_error("too_many_fds_einval", &req, -EINVAL);
	raw = (struct rust_ipc_send){ .target = 0 };
	send_error("target_zero_einval", &req, -EINVAL);

	/* An endpoint's own file cannot travel: it could keep itself open. */
	req = (struct send_req){ .target = id, .fds = { ep }, .num_fds = 1 };
	send_error("endpoint_fd_einval", &req, -EINVAL);

	/*
	 * A good fd next to a bad one: the send fails and the driver keeps no
	 * reference to the good one (the pipe's reader sees EOF once we close
	 * our write end).
	 */
	if (pipe(p) == 0) {
		req = (struct send_req){ .target = id, .fds = { p[1], 12345 }, .num_fds = 2 };
		send_error("good_and_bad_fd_ebadf", &req, -EBADF);
		close(p[1]);
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		ktap_result(read(p[0], &c, 1) == 0, "good_fd_not_kept");
		close(p[0]);
	}
	munmap(holey, 2 * page_size);
	free(buf);
}

static int do_fill_area(int cep, void *arg)
{
	unsigned char *buf = malloc(RUST_IPC_MAX_DATA);
	int i, ret = 0;

	(void)arg;
	memset(buf, 0x42, RUST_IPC_MAX_DATA);
	/* Four of the largest messages fill the area exactly. */
	for (i = 0; i < 4 && !ret; i++)
		ret = ep_send(cep, id, buf, RUST_IPC_MAX_DATA, NULL, 0);
	if (!ret)
		ret = ep_send(cep, id, buf, 1, NULL, 0) == -ENOSPC ? 1 : -1000;
	free(buf);
	return ret;
}

static int do_fill_queue(int cep, void *arg)
{
	int i, ret = 0;

	(void)arg;
	for (i = 0; i < RUST_IPC_MAX_PENDING && !ret; i++)
		ret = ep_send(cep, id, "x", 1, NULL, 0);
	if (!ret)
		ret = ep_send(cep, id, "x", 1, NULL, 0) == -ENOSPC ? 1 : -1000;
	return ret;
}

static int drain(void)
{
	struct rust_ipc_recv r;
	int n = 0;

	while (ep_recv(ep, &r) == 0) {
		ep_free(ep, r.offset);
		n++;
	}
	return n;
}

static void test_no_room(void)
{
	ktap_result(in_child(do_fill_area, NULL) == 1 && drain() == 4, "area_full_enospc");
	ktap_result(in_child(do_fill_queue, NULL) == 1 && drain() == RUST_IPC_MAX_PENDING,
		    "queue_full_enospc");
	ktap_result(ep_info(ep).pages == 0, "pages_released_after_drain");
}

/* A forked child shares the parent's endpoint file, not its fd table. */
static int do_free_foreign(int cep, void *arg)
{
	(void)cep;
	return ep_free(ep, *(uint64_t *)arg);
}

static void test_recv_and_free_errors(void)
{
	struct rust_ipc_recv r;
	struct send_req req = { .target = id, .data = "abc", .size = 3 };
	int ret;

	ktap_result(ep_recv(ep, &r) == -EAGAIN, "recv_empty_nonblocking_eagain");
	ktap_result(ep_free(ep, 0) == -EINVAL && ep_free(ep, 4096) == -EINVAL,
		    "free_unknown_offset_einval");
	child_send(&req);
	/* The answer cannot be written: the message stays for the next try. */
	ret = ioctl(ep, RUST_IPC_IOC_RECV, (void *)8) ? -errno : 0;
	ktap_result(ret == -EFAULT && ep_info(ep).pending == 1, "recv_bad_pointer_keeps_message");
	ret = ep_recv(ep, &r);
	ktap_result(ret == 0 && r.data_size == 3 && !memcmp(area + r.offset, "abc", 3),
		    "recv_after_failed_recv");
	ktap_result(in_child(do_free_foreign, &r.offset) == -EPERM, "free_by_other_process_eperm");
	child_send(&req);
	ktap_result(in_child(do_recv_foreign, NULL) == -EPERM && ep_info(ep).pending == 1,
		    "recv_by_other_process_eperm");
	ktap_result(drain() == 1, "message_stays_for_the_owner");
	ktap_result(ep_free(ep, r.offset) == 0 && ep_free(ep, r.offset) == -EINVAL,
		    "double_free_einval");
	ktap_result(probe_write((char *)area) == SIGSEGV, "area_not_writable");
}

struct fd_child {
	int ok;
};

/*
 * Sends the write end of a pipe and a memfd, keeps the read end: it must read
 * what the receiver writes through the passed end, then EOF once the
 * receiver frees the buffer.
 */
static int do_send_fds(int cep, void *arg)
{
	static const char content[] = "memfd content";
	int p[2], mfd, ret, fds[2];
	char buf[16] = { 0 };
	ssize_t n;

	(void)arg;
	if (pipe(p))
		return -1;
	mfd = memfd_create("ipc_test", MFD_CLOEXEC);
	if (mfd < 0 || write(mfd, content, sizeof(content)) != sizeof(content))
		return -2;
	fds[0] = p[1];
	fds[1] = mfd;
	ret = ep_send(cep, id, "fds", 3, fds, 2);
	close(p[1]);
	close(mfd);
	if (ret)
		return ret;
	n = read_timeout(p[0], buf, sizeof(buf), TIMEOUT_MS);
	if (n != 4 || memcmp(buf, "ping", 4))
		return -3;
	/* EOF: the receiver's copy of the write end was closed on free. */
	n = read_timeout(p[0], buf, sizeof(buf), TIMEOUT_MS);
	return n == 0 ? 1 : -4;
}

static void *child_send_fds(void *arg)
{
	struct fd_child *c = arg;

	c->ok = in_child(do_send_fds, NULL);
	return NULL;
}

static void test_fds(void)
{
	struct rust_ipc_info before = ep_info(ep), after;
	struct fd_child c = { 0 };
	struct rust_ipc_recv r;
	struct pollfd pfd = { .fd = ep, .events = POLLIN };
	char buf[32] = { 0 };
	pthread_t t;
	int ok;

	pthread_create(&t, NULL, child_send_fds, &c);
	ok = poll(&pfd, 1, 10000) == 1 && ep_recv(ep, &r) == 0 && r.num_fds == 2;
	ktap_result(ok && (fcntl(r.fds[0], F_GETFD) & FD_CLOEXEC) &&
		    (fcntl(r.fds[1], F_GETFD) & FD_CLOEXEC), "fds_installed_cloexec");
	ktap_result(ok && pread(r.fds[1], buf, sizeof(buf), 0) == 14 &&
		    !strcmp(buf, "memfd content"), "memfd_content_arrives");
	ktap_result(ok && write(r.fds[0], "ping", 4) == 4, "pipe_end_works");
	ok &= ep_free(ep, r.offset) == 0;
	ktap_result(ok && fcntl(r.fds[0], F_GETFD) == -1 && errno == EBADF &&
		    fcntl(r.fds[1], F_GETFD) == -1, "fds_closed_on_free");
	pthread_join(t, NULL);
	ktap_result(c.ok == 1, "pipe_reader_sees_eof_after_free");
	if (c.ok != 1)
		ktap_diag("sender child returned %d", c.ok);
	after = ep_info(ep);
	ktap_result(after.fds_installed == before.fds_installed + 2 &&
		    after.fds_closed == before.fds_closed + 2, "fd_counters");
}

/*
 * Leak checks count filp objects, which per-CPU slabs blur by up to a slab's
 * worth: FRESH_FILES new files, referenced by nothing but pending messages,
 * make a leak stand well above that.
 */
#define FRESH_FILES	120
#define FILP_SLACK	40

/* Sends FRESH_FILES / 2 messages to *ARG, each with both ends of a new pipe. */
static int do_send_fresh_pipes(int cep, void *arg)
{
	uint32_t target = *(uint32_t *)arg;
	int i, p[2], sent = 0;

	for (i = 0; i < FRESH_FILES / 2; i++) {
		if (pipe(p))
			break;
		sent += ep_send(cep, target, "f", 1, p, 2) == 0;
		close(p[0]);
		close(p[1]);
	}
	return sent;
}

struct receiver {
	pid_t pid;
	int fd;		/* the endpoint's fd number in the receiver */
	uint32_t id;
	int go;		/* write a byte here to make the receiver exit */
};

/*
 * Forks a receiver: it opens an endpoint, maps its area, reports the fd and
 * id, and waits until told to exit (or killed).
 */
static int spawn_receiver(struct receiver *rx)
{
	int up[2], down[2];

	if (pipe(up) || pipe(down))
		return 0;
	rx->pid = fork();
	if (!rx->pid) {
		int rep = ep_open();
		uint32_t myid = ep_id(rep);
		char c;

		close(down[1]);
		mmap(NULL, AREA_SIZE, PROT_READ, MAP_SHARED, rep, 0);
		ioctl(rep, RUST_IPC_IOC_ACCEPT_FDS);
		write(up[1], &rep, sizeof(rep));
		write(up[1], &myid, sizeof(myid));
		read(down[0], &c, 1);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	rx->go = down[1];
	rx->id = 0;
	read(up[0], &rx->fd, sizeof(rx->fd));
	read(up[0], &rx->id, sizeof(rx->id));
	close(up[0]);
	return rx->pid > 0 && rx->id;
}

/* A receiver process, killed with messages (and files) pending. */
static void test_killed_receiver(void)
{
	struct receiver rx;
	long files0, files1;
	int q[2], i, ret;
	struct send_req req;
	char c;

	files0 = slab_active("filp");
	if (pipe(q))
		return;
	ret = !spawn_receiver(&rx);
	req = (struct send_req){ .target = rx.id, .data = "pending", .size = 7,
				 .fds = { q[1] }, .num_fds = 1 };
	for (i = 0; i < 3 && !ret; i++)
		ret = child_send(&req);
	ktap_result(ret == 0 && in_child(do_send_fresh_pipes, &rx.id) == FRESH_FILES / 2,
		    "send_to_receiver_before_kill");
	kill(rx.pid, SIGKILL);
	waitpid(rx.pid, NULL, 0);
	close(rx.go);
	ret = child_send(&req);
	ktap_result(ret == -ESRCH, "send_to_killed_receiver_esrch");

	/* The pending messages' files went with the receiver. */
	close(q[1]);
	fcntl(q[0], F_SETFL, O_NONBLOCK);
	ktap_result(read(q[0], &c, 1) == 0, "pending_files_released");
	close(q[0]);
	files1 = slab_active("filp");
	ktap_result(files0 > 0 && files1 - files0 < FILP_SLACK, "no_file_leaked");
	if (files1 - files0 >= FILP_SLACK)
		ktap_diag("filp objects: %ld before, %ld after", files0, files1);
}

/*
 * The receiver's address space is gone but its endpoint file lives on (the
 * parent took it with pidfd_getfd()): mmget_not_zero() fails, ESRCH.
 */
static void test_mm_gone(void)
{
	int pidfd = -1, theirs = -1, ret = 0;
	struct send_req req;
	struct receiver rx;

	if (spawn_receiver(&rx)) {
		pidfd = syscall(SYS_pidfd_open, rx.pid, 0);
		theirs = syscall(SYS_pidfd_getfd, pidfd, rx.fd, 0);
	}
	write(rx.go, "x", 1);
	close(rx.go);
	waitpid(rx.pid, NULL, 0);

	req = (struct send_req){ .target = rx.id, .data = "late", .size = 4 };
	ret = child_send(&req);
	ktap_result(theirs >= 0 && ret == -ESRCH, "receiver_mm_gone_esrch");
	if (ret != -ESRCH)
		ktap_diag("send returned %d", ret);
	close(theirs);
	close(pidfd);
}

#define THREADS		4
#define PER_THREAD	300

struct sender_thread {
	int ep;
	int index;
	int failed;
};

static void *sender_main(void *arg)
{
	struct sender_thread *t = arg;
	uint32_t msg[2];
	int i, ret;

	for (i = 0; i < PER_THREAD; i++) {
		msg[0] = t->index;
		msg[1] = i;
		do {
			ret = ep_send(t->ep, id, msg, sizeof(msg), NULL, 0);
			if (ret == -ENOSPC)
				usleep(1000);
		} while (ret == -ENOSPC);
		if (ret)
			t->failed++;
	}
	return NULL;
}

static int do_threads(int cep, void *arg)
{
	struct sender_thread t[THREADS];
	pthread_t th[THREADS];
	int i, failed = 0;

	(void)arg;
	for (i = 0; i < THREADS; i++) {
		t[i] = (struct sender_thread){ .ep = cep, .index = i };
		pthread_create(&th[i], NULL, sender_main, &t[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		failed += t[i].failed;
	}
	return failed;
}

static void *threads_child(void *arg)
{
	*(int *)arg = in_child(do_threads, NULL);
	return NULL;
}

static void test_threads(void)
{
	static unsigned char seen[THREADS][PER_THREAD];
	int i, dup = 0, bad = 0, missing = 0, failed = -1;
	struct rust_ipc_recv r;
	pthread_t t;
	uint32_t m[2];

	fcntl(ep, F_SETFL, 0);
	pthread_create(&t, NULL, threads_child, &failed);
	for (i = 0; i < THREADS * PER_THREAD; i++) {
		struct pollfd pfd = { .fd = ep, .events = POLLIN };

		if (poll(&pfd, 1, TIMEOUT_MS) != 1 || ep_recv(ep, &r)) {
			bad++;
			break;
		}
		memcpy(m, area + r.offset, sizeof(m));
		if (r.data_size != sizeof(m) || m[0] >= THREADS || m[1] >= PER_THREAD)
			bad++;
		else if (seen[m[0]][m[1]]++)
			dup++;
		ep_free(ep, r.offset);
	}
	pthread_join(t, NULL);
	for (i = 0; i < THREADS * PER_THREAD; i++)
		missing += !seen[i / PER_THREAD][i % PER_THREAD];
	fcntl(ep, F_SETFL, O_NONBLOCK);
	ktap_result(failed == 0 && !bad && !dup && !missing && drain() == 0,
		    "threads_no_lost_or_duplicated_message");
	if (failed || bad || dup || missing)
		ktap_diag("failed %d bad %d dup %d missing %d", failed, bad, dup, missing);
}

/* Closing the endpoint with messages pending and buffers unfreed. */
static void test_close_with_everything(void)
{
	long files0 = slab_active("filp"), files1;
	struct send_req req;
	struct rust_ipc_recv r;
	int p[2], rep, ok;
	uint32_t rid;
	void *a;
	char c;

	if (pipe(p))
		return;
	rep = ep_open();
	rid = ep_id(rep);
	a = mmap(NULL, AREA_SIZE, PROT_READ, MAP_SHARED, rep, 0);
	ioctl(rep, RUST_IPC_IOC_ACCEPT_FDS);
	req = (struct send_req){ .target = rid, .data = "x", .size = 1,
				 .fds = { p[1] }, .num_fds = 1 };
	ok = child_send(&req) == 0 && child_send(&req) == 0;
	ok &= in_child(do_send_fresh_pipes, &rid) == FRESH_FILES / 2;
	/* One received (its fd installed here), one pending. */
	ok &= ep_recv(rep, &r) == 0;
	close(r.fds[0]);
	close(p[1]);
	munmap(a, AREA_SIZE);
	close(rep);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	ktap_result(ok && read(p[0], &c, 1) == 0, "close_with_pending_releases_files");
	close(p[0]);
	files1 = slab_active("filp");
	ktap_result(files1 - files0 < FILP_SLACK, "close_with_pending_no_file_leaked");
	if (files1 - files0 >= FILP_SLACK)
		ktap_diag("filp objects: %ld before, %ld after", files0, files1);
}

/*
 * An owner receives a buffer, then execs (same pid, a new address space, a
 * new program whose fd numbers mean other files): FREE and RECV from it must
 * be refused, else FREE would close whatever the new program has at those
 * numbers.  Before the fix FREE was allowed by thread group id.
 */
static void test_free_after_exec(void)
{
	int status = -1;
	pid_t pid = fork();

	if (!pid) {
		/* Not close-on-exec: the endpoint must survive exec. */
		int e2 = open(RUST_IPC_DEV, O_RDWR | O_NONBLOCK);
		char fd_arg[16], off_arg[32];
		struct rust_ipc_recv r;
		uint32_t i2 = ep_id(e2);

		if (e2 < 0 || mmap(NULL, AREA_SIZE, PROT_READ, MAP_SHARED, e2, 0) == MAP_FAILED ||
		    ep_send(e2, i2, "x", 1, NULL, 0) || ep_recv(e2, &r))
			_exit(2);
		snprintf(fd_arg, sizeof(fd_arg), "%d", e2);
		snprintf(off_arg, sizeof(off_arg), "%llu", (unsigned long long)r.offset);
		execl("/proc/self/exe", "ipc_test", "free-after-exec", fd_arg, off_arg, NULL);
		_exit(3);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	/* The exec'd program exits with 0 if both were refused. */
	ktap_result(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "free_and_recv_after_exec_eperm");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		ktap_diag("exec'd owner: status %d", status);
}

/* What the exec'd program does: FREE the buffer and RECV; both must be refused. */
static int free_after_exec(const char *fd_arg, const char *off_arg)
{
	struct rust_ipc_recv r;
	int efd = atoi(fd_arg);

	if (ep_free(efd, strtoull(off_arg, NULL, 0)) != -EPERM)
		return 1;
	return ep_recv(efd, &r) == -EPERM ? 0 : 4;
}

struct failing_receiver {
	int stop;
	long fails;
};

/* Receives into a bad pointer in a loop: the message goes out and back each time. */
static void *failing_recv_main(void *arg)
{
	struct failing_receiver *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED))
		if (ioctl(ep, RUST_IPC_IOC_RECV, (void *)8) == -1 && errno == EFAULT)
			f->fails++;
	return NULL;
}

/*
 * A pending message must keep the endpoint readable for every poller, even
 * while another thread's receives keep failing: each failure puts it back and
 * must wake whoever looked in the meantime.  Before the fix a poller that
 * looked during a failing receive slept to its timeout.
 */
static void test_failed_recv_wakes(void)
{
	struct send_req req = { .target = id, .data = "wake", .size = 4 };
	struct failing_receiver f = { 0 };
	int slow = 0, ok, rounds = 200;
	struct timespec t0, t1;
	pthread_t t;

	ok = child_send(&req) == 0 && ep_info(ep).pending == 1;
	ok = ok && !pthread_create(&t, NULL, failing_recv_main, &f);
	for (int i = 0; ok && i < rounds; i++) {
		struct pollfd pfd = { .fd = ep, .events = POLLIN };

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (poll(&pfd, 1, 1000) != 1)
			slow++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > 500)
			slow++;
	}
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELAXED);
	if (ok)
		pthread_join(t, NULL);
	ktap_diag("%d polls, %d slow, %ld failed receives meanwhile", rounds, slow, f.fails);
	ktap_result(ok && f.fails > 0 && slow == 0, "failed_recv_wakes_pollers");
	ktap_result(drain() == 1, "message_received_after_failures");
}

/*
 * A message whose files cannot fit the receiver's table must not wedge the
 * queue: it is received without them, flagged, and the files are closed (the
 * sender's pipe sees EOF); the next message comes after it.
 */
static void test_fds_that_do_not_fit(void)
{
	struct rust_ipc_recv r1 = { 0 }, r2 = { 0 };
	struct rlimit old, low;
	int p[2], ok, first, second;
	struct send_req req;
	char c;

	ok = pipe(p) == 0;
	req = (struct send_req){ .target = id, .data = "fd", .size = 2, .fds = { p[1], p[1] },
				 .num_fds = 2 };
	ok = ok && child_send(&req) == 0;
	close(p[1]);
	req = (struct send_req){ .target = id, .data = "next", .size = 4 };
	ok = ok && child_send(&req) == 0;

	/* No free descriptor at all: the limit is the lowest free number. */
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = fcntl(ep, F_DUPFD, 0);
	if ((int)low.rlim_cur >= 0)
		close(low.rlim_cur);
	ok = ok && (int)low.rlim_cur >= 0 && setrlimit(RLIMIT_NOFILE, &low) == 0;
	first = ep_recv(ep, &r1);
	setrlimit(RLIMIT_NOFILE, &old);
	second = ep_recv(ep, &r2);

	ktap_result(ok && first == 0 && r1.num_fds == 0 && r1.flags == RUST_IPC_RECV_FDS_DROPPED &&
		    r1.num_dropped == 2 && r1.data_size == 2, "fds_that_do_not_fit_dropped");
	ktap_result(ok && read_timeout(p[0], &c, 1, TIMEOUT_MS) == 0, "dropped_files_closed");
	ktap_result(ok && second == 0 && r2.data_size == 4 && !memcmp(area + r2.offset, "next", 4),
		    "queue_not_wedged");
	if (first == 0)
		ep_free(ep, r1.offset);
	if (second == 0)
		ep_free(ep, r2.offset);
	close(p[0]);
}

struct unshared_free {
	uint64_t offset;
	int ret;
};

static void *unshared_free_main(void *arg)
{
	struct unshared_free *u = arg;

	u->ret = unshare(CLONE_FILES) ? -1000 : ep_free(ep, u->offset);
	return NULL;
}

/*
 * A thread of the owner with a table of its own (unshare(CLONE_FILES)) must
 * not free: the buffer's fd numbers are in the other table.  Before the fix
 * the owner check alone let it.
 */
static void test_unshared_thread_free(void)
{
	struct send_req req = { .target = id, .data = "u", .size = 1 };
	struct unshared_free u = { .ret = 1 };
	struct rust_ipc_recv r;
	int ok;
	pthread_t t;

	ok = child_send(&req) == 0 && ep_recv(ep, &r) == 0;
	u.offset = r.offset;
	ok = ok && !pthread_create(&t, NULL, unshared_free_main, &u);
	if (ok)
		pthread_join(t, NULL);
	ktap_result(ok && u.ret == -EPERM, "free_from_unshared_thread_eperm");
	ktap_result(ok && ep_free(ep, r.offset) == 0, "free_from_owning_table");
}

/*
 * The area moved away with mremap() and back: sends meanwhile get ESRCH, a
 * free meanwhile cannot unmap its page, and afterwards sends work again
 * (before the fix they failed with EBUSY on the stale page for good).
 */
static void test_area_moved_and_back(void)
{
	struct send_req req = { .target = id, .data = "first", .size = 5 };
	struct rust_ipc_recv r;
	void *away, *moved, *back;
	int ok, away_ret;

	ok = child_send(&req) == 0 && ep_recv(ep, &r) == 0 && r.offset == 0;
	away = mmap(NULL, AREA_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	moved = mremap(area, AREA_SIZE, AREA_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, away);
	ok = ok && away != MAP_FAILED && moved == away;
	/* Freed while away: its page cannot be unmapped where the driver looks. */
	ok = ok && ep_free(ep, r.offset) == 0;
	req.data = "again";
	away_ret = child_send(&req);
	back = mremap(moved, AREA_SIZE, AREA_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, area);
	ok = ok && back == (void *)area;
	ktap_result(ok && away_ret == -ESRCH, "send_while_area_moved_esrch");
	req.data = "after";
	ok = ok && child_send(&req) == 0 && ep_recv(ep, &r) == 0;
	ktap_result(ok && !memcmp(area + r.offset, "after", 5), "send_after_area_moved_back");
	if (ok)
		ep_free(ep, r.offset);
}

/* The receiver that the stalled sender sends to. */
static uint32_t stall_target;

/* Reads a number from DIR/NAME (a cgroup file); -1 if it cannot. */
static long read_long_file(const char *dir, const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

struct stall {
	int uffd;
	char *page;		/* registered: its fault waits for us */
	int stalled[2];		/* the handler says: a send is stalled on the page */
	int resolve[2];		/* we say: let it go */
};

static void *stall_handler(void *arg)
{
	struct stall *st = arg;
	struct uffdio_zeropage z = { .range = { (uintptr_t)st->page, 4096 } };
	struct uffd_msg msg;
	char c = 1;

	if (read(st->uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	    msg.event == UFFD_EVENT_PAGEFAULT) {
		write(st->stalled[1], &c, 1);
		read(st->resolve[0], &c, 1);
	}
	ioctl(st->uffd, UFFDIO_ZEROPAGE, &z);
	return NULL;
}

/* The stalled sender: a payload whose second page never arrives until we say. */
static int do_stalled_send(int cep, void *arg)
{
	struct stall *st = arg;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	char *buf;
	pthread_t t;

	buf = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	st->uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (buf == MAP_FAILED || st->uffd < 0 || ioctl(st->uffd, UFFDIO_API, &api))
		return -1000;
	memset(buf, 0x42, 4096);
	st->page = buf + 4096;
	reg.range = (struct uffdio_range){ (uintptr_t)st->page, 4096 };
	if (ioctl(st->uffd, UFFDIO_REGISTER, &reg) || pthread_create(&t, NULL, stall_handler, st))
		return -1001;
	ep_send(cep, stall_target, buf, 2 * 4096, NULL, 0);
	pthread_join(t, NULL);
	return 0;
}

/* AnonPages of /proc/meminfo, in KiB; -1 if it cannot be read. */
static long anon_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonPages: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

#define RX_ANON_KIB	(32 * 1024)

/*
 * A sender stalled on a page of its payload that never arrives must keep
 * nobody's address space alive: the receiver, which holds 32 MiB of
 * anonymous memory, exits meanwhile, and that memory must go at once.
 * Before the fix the sender held the receiver's mm_users across the copy,
 * so the address space stayed until the sender was let go.
 */
static void test_stalled_sender(void)
{
	struct stall st = { .uffd = -1 };
	struct receiver rx = { 0 };
	long anon0, anon_rx, anon1;
	int ok, ret, up[2], go[2];
	pid_t pid;
	char c = 1;

	ok = pipe(st.stalled) == 0 && pipe(st.resolve) == 0 && pipe(up) == 0 && pipe(go) == 0;
	anon0 = anon_kib();
	rx.pid = ok ? fork() : -1;
	if (!rx.pid) {
		int rep = ep_open();
		uint32_t myid = ep_id(rep);
		/* Populated by the kernel: no compiler can leave it out. */
		mmap(NULL, RX_ANON_KIB * 1024, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		mmap(NULL, AREA_SIZE, PROT_READ, MAP_SHARED, rep, 0);
		write(up[1], &myid, sizeof(myid));
		read(go[0], &c, 1);
		_exit(0);
	}
	rx.go = go[1];
	ok = ok && rx.pid > 0 && read_timeout(up[0], &rx.id, sizeof(rx.id), TIMEOUT_MS) == 4;
	anon_rx = anon_kib();
	stall_target = rx.id;
	pid = ok ? fork() : -1;
	if (!pid) {
		int cep = ep_open();

		_exit(do_stalled_send(cep, &st) ? 1 : 0);
	}
	/* Until the sender is stalled inside its send, reading the payload. */
	ok = ok && pid > 0 && read_timeout(st.stalled[0], &c, 1, TIMEOUT_MS) == 1;
	write(rx.go, &c, 1);
	waitpid(rx.pid, NULL, 0);
	close(rx.go);
	/* The receiver is gone, the sender still stalled: its memory must be back. */
	anon1 = anon_kib();
	write(st.resolve[1], &c, 1);
	ret = -1;
	if (pid > 0)
		waitpid(pid, &ret, 0);
	ktap_diag("AnonPages (KiB): %ld before, %ld with the receiver, %ld once it is gone",
		  anon0, anon_rx, anon1);
	ktap_result(ok && anon0 >= 0 && anon_rx - anon0 > RX_ANON_KIB / 2 &&
		    anon1 - anon0 < RX_ANON_KIB / 4,
		    "stalled_sender_pins_no_address_space");
	ktap_result(ok && WIFEXITED(ret) && WEXITSTATUS(ret) == 0, "stalled_sender_finished");
}

/* What a send in a memory cgroup costs it: pages are charged to the sender. */
static int do_charged_sends(int cep, void *arg)
{
	static const char cg[] = "/sys/fs/cgroup/ipc_sender";
	size_t size = 128 * 1024;
	char pid[16], *buf = malloc(size);
	long before, after;
	int sent = 0;

	(void)cep;
	(void)arg;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (!buf || !write_str("/sys/fs/cgroup/ipc_sender/cgroup.procs", pid))
		return -1;
	memset(buf, 0x33, size);
	before = read_long_file(cg, "memory.current");
	for (int i = 0; i < 6; i++)
		sent += ep_send(cep, id, buf, size, NULL, 0) == 0;
	after = read_long_file(cg, "memory.current");
	free(buf);
	return sent == 6 && before >= 0 && after >= 0 ? (int)((after - before) / 1024) : -2;
}

/*
 * The area's pages a send installs are charged to the sender's memory
 * cgroup (GFP_KERNEL_ACCOUNT): six 128 KiB messages pending cost it about
 * 768 KiB.  Before the fix they were charged to nobody.
 */
static void test_pages_charged_to_sender(void)
{
	int kib, ok;

	mkdir("/sys/fs/cgroup", 0755);
	ok = (mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL) == 0 || errno == EBUSY) &&
	     write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory") &&
	     (mkdir("/sys/fs/cgroup/ipc_sender", 0755) == 0 || errno == EEXIST);
	kib = ok ? in_child(do_charged_sends, NULL) : -3;
	ktap_diag("memory.current of the sender's cgroup grew by %d KiB", kib);
	ktap_result(kib >= 700, "pages_charged_to_sender");
	drain();
	rmdir("/sys/fs/cgroup/ipc_sender");
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "free-after-exec"))
		return free_after_exec(argv[2], argv[3]);

	page_size = sysconf(_SC_PAGESIZE);
	ktap_plan(47 + 23);

	test_setup();
	test_payloads();
	test_send_errors();
	test_no_room();
	test_recv_and_free_errors();
	test_free_after_exec();
	test_failed_recv_wakes();
	test_fds_that_do_not_fit();
	test_unshared_thread_free();
	test_area_moved_and_back();
	test_stalled_sender();
	test_pages_charged_to_sender();
	test_fds();
	test_killed_receiver();
	test_mm_gone();
	test_threads();
	test_close_with_everything();
	return ktap_finish();
}
