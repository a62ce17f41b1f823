// SPDX-License-Identifier: GPL-2.0
/*
 * misc_test - kernel::miscdevice and the vma operations, from user space.
 *
 * Loads tests/modules/rust_misc_test (a Rust misc device) itself, because
 * loading is part of what is tested: the module must stay loaded while one of
 * its files is open (its operations table gets .owner at run time), and a
 * failed allocation of that table must fail the load cleanly.  Then checks
 * that ->release() runs exactly once and never early (dups, fork, a thread in
 * poll or in a blocking ioctl, a mapping), that epoll and poll are woken and
 * survive the file going away, that mappings are read-only for good and not
 * inherited, that vm_insert_page() and zap_page_range_single() work, and the
 * error codes of bad input.  KASAN, lockdep and kmemleak watch from the
 * kernel side; /init checks the log afterwards.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "rust_misc_test/rust_misc_test.h"
#include "testlib.h"

#define MODULE_PATH	"/tests/modules/rust_misc_test.ko"
#define MODULE_NAME	"rust_misc_test"
#define FOPS_CACHE	"owned_fops"

static long page_size;

static int load_module(void)
{
	int fd = open(MODULE_PATH, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK) ? -errno : 0;
}

static int dev_open(void)
{
	return open(RUST_MISC_TEST_DEV, O_RDWR | O_CLOEXEC);
}

/*
 * A file of the device kept open from load to the unload tests, to read the
 * counters without opening (and counting) a file each time.
 */
static int ctl = -1;

static struct rmt_counts counts(void)
{
	struct rmt_counts c;

	if (ioctl(ctl, RMT_IOC_COUNTS, &c))
		memset(&c, 0xff, sizeof(c));
	return c;
}

/* ->release() calls since BASE. */
static long long releases_since(const struct rmt_counts *base)
{
	return (long long)(counts().releases - base->releases);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Faults on a probe jump back here; the probes report which signal, if any,
 * the access raised.
 */
static sigjmp_buf probe_env;

static void probe_handler(int sig)
{
	siglongjmp(probe_env, sig);
}

static int probe(char *addr, int write)
{
	struct sigaction sa = { .sa_handler = probe_handler }, old_segv, old_bus;
	int sig;

	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	sig = sigsetjmp(probe_env, 1);
	if (!sig) {
		if (write)
			__atomic_store_n(addr, 1, __ATOMIC_RELAXED);
		else
			(void)__atomic_load_n(addr, __ATOMIC_RELAXED);
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

static void test_load(void)
{
	struct rmt_counts c;

	ktap_result(load_module() == 0 && (ctl = dev_open()) >= 0, "load_and_register");
	c = counts();
	ktap_result(c.opens == 1 && c.releases == 0, "counts_after_first_open");
}

/* Every ->open() is counted, and ->release() runs once per open file. */
static void test_release_once_with_dups(void)
{
	struct rmt_counts base = counts();
	int fd = dev_open(), fd2 = dup(fd), fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	int ok = fd >= 0 && fd2 >= 0 && fd3 >= 0 && counts().opens == base.opens + 1;

	close(fd);
	close(fd3);
	ok &= releases_since(&base) == 0;
	close(fd2);
	ktap_result(ok && releases_since(&base) == 1, "release_once_after_last_dup");
}

static void test_release_shared_with_child(void)
{
	struct rmt_counts base = counts();
	int fd = dev_open(), pipefd[2], status = 0, ok;
	pid_t pid;
	char c;

	if (fd < 0 || pipe(pipefd)) {
		ktap_result(0, "release_after_child_closes");
		return;
	}
	pid = fork();
	if (!pid) {
		close(pipefd[1]);
		/* Hold the inherited file until the parent has closed its fd. */
		read(pipefd[0], &c, 1);
		_exit(0);
	}
	close(pipefd[0]);
	close(fd);
	ok = releases_since(&base) == 0;
	close(pipefd[1]);
	waitpid(pid, &status, 0);
	ktap_result(ok && releases_since(&base) == 1, "release_after_child_closes");
}

static void test_bad_ioctls(void)
{
	int fd = dev_open();
	void *ro = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct rmt_insert ins = { .addr = 0, .fill = 0x5a, .__pad = 1 };

	errno = 0;
	ktap_result(ioctl(fd, _IO('R', 99)) == -1 && errno == ENOTTY, "unknown_ioctl_enotty");
	/* Same number, other size: a different command. */
	errno = 0;
	ktap_result(ioctl(fd, _IOR('R', 1, __u32), ro) == -1 && errno == ENOTTY,
		    "wrong_size_ioctl_enotty");
	errno = 0;
	ktap_result(ioctl(fd, RMT_IOC_COUNTS, (void *)8) == -1 && errno == EFAULT,
		    "counts_bad_pointer_efault");
	errno = 0;
	ktap_result(ioctl(fd, RMT_IOC_COUNTS, ro) == -1 && errno == EFAULT,
		    "counts_readonly_pointer_efault");
	errno = 0;
	ktap_result(ioctl(fd, RMT_IOC_INSERT, (void *)-4096L) == -1 && errno == EFAULT,
		    "insert_bad_pointer_efault");
	errno = 0;
	ktap_result(ioctl(fd, RMT_IOC_INSERT, &ins) == -1 && errno == EINVAL,
		    "insert_nonzero_pad_einval");
	ins.__pad = 0;
	errno = 0;
	ktap_result(ioctl(fd, RMT_IOC_INSERT, &ins) == -1 && errno == EINVAL,
		    "insert_without_mapping_einval");
	errno = 0;
	ktap_result(ioctl(fd, RMT_IOC_CONSUME) == -1 && errno == EAGAIN,
		    "consume_without_event_eagain");
	munmap(ro, page_size);
	close(fd);
}

struct poller {
	int fd;
	int timeout_ms;
	int ret;
	short revents;
	uint64_t elapsed_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void *poll_thread(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	uint64_t start = now_ms();

	p->ret = poll(&pfd, 1, p->timeout_ms);
	p->revents = pfd.revents;
	p->elapsed_ms = now_ms() - start;
	return NULL;
}

static void test_poll_wakes(void)
{
	struct poller p = { .timeout_ms = 10000 };
	struct pollfd pfd;
	pthread_t t;
	int ok;

	p.fd = dev_open();
	pfd = (struct pollfd){ .fd = p.fd, .events = POLLIN };
	ok = poll(&pfd, 1, 0) == 0;
	pthread_create(&t, NULL, poll_thread, &p);
	sleep_ms(100);
	ok &= ioctl(p.fd, RMT_IOC_SIGNAL) == 0;
	pthread_join(t, NULL);
	ktap_result(ok && p.ret == 1 && (p.revents & POLLIN) && p.elapsed_ms < 5000,
		    "poll_woken_by_event");
	ktap_result(ioctl(p.fd, RMT_IOC_CONSUME) == 0 && poll(&pfd, 1, 0) == 0,
		    "poll_not_ready_after_consume");
	close(p.fd);
}

/*
 * The only fd of a file is closed while another thread polls it: the poll
 * table entry holds the file, so ->release() waits for the poll to end.
 */
static void test_close_during_poll(void)
{
	struct rmt_counts base = counts();
	struct poller p = { .timeout_ms = 400 };
	pthread_t t;
	int ok;

	p.fd = dev_open();
	pthread_create(&t, NULL, poll_thread, &p);
	sleep_ms(100);
	close(p.fd);
	ok = releases_since(&base) == 0;
	pthread_join(t, NULL);
	/* Its last pass over the fds finds the number closed. */
	ktap_result(ok && p.ret == 1 && p.revents == POLLNVAL && releases_since(&base) == 1,
		    "close_during_poll_releases_after_poll");
	if (!ok)
		ktap_diag("released while the poll still waited");
}

/*
 * select() keeps its wait entries until the system call ends and, unlike
 * epoll, does not unhook them on POLLFREE: the wait queue (the PollCondVar in
 * the per-open state) must outlive the call.  It does, because each entry
 * holds the file, and the state goes only with ->release().
 */
static void *select_thread(void *arg)
{
	struct poller *p = arg;
	struct timeval tv = { p->timeout_ms / 1000, (p->timeout_ms % 1000) * 1000 };
	uint64_t start = now_ms();
	fd_set rd;

	FD_ZERO(&rd);
	FD_SET(p->fd, &rd);
	p->ret = select(p->fd + 1, &rd, NULL, NULL, &tv);
	p->revents = p->ret > 0 && FD_ISSET(p->fd, &rd) ? POLLIN : 0;
	p->elapsed_ms = now_ms() - start;
	return NULL;
}

static void test_select(void)
{
	struct poller sel = { .timeout_ms = 10000 }, pol = { .timeout_ms = 10000 };
	struct rmt_counts base;
	pthread_t t1, t2;
	int ok;

	/* A select() waiter and a poll() waiter on one file, one event wakes both. */
	sel.fd = dev_open();
	pol.fd = sel.fd;
	pthread_create(&t1, NULL, select_thread, &sel);
	pthread_create(&t2, NULL, poll_thread, &pol);
	sleep_ms(100);
	ok = ioctl(sel.fd, RMT_IOC_SIGNAL) == 0;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	ktap_result(ok && sel.ret == 1 && sel.revents == POLLIN && sel.elapsed_ms < 5000,
		    "select_woken_by_event");
	ktap_result(ok && pol.ret == 1 && (pol.revents & POLLIN) && pol.elapsed_ms < 5000,
		    "select_and_poll_woken_together");
	close(sel.fd);

	/* The only fd is closed during select(): ->release() waits for it to end. */
	base = counts();
	sel = (struct poller){ .timeout_ms = 400 };
	sel.fd = dev_open();
	pthread_create(&t1, NULL, select_thread, &sel);
	sleep_ms(100);
	close(sel.fd);
	ok = releases_since(&base) == 0;
	pthread_join(t1, NULL);
	ktap_result(ok && sel.ret >= 0 && releases_since(&base) == 1,
		    "close_during_select_releases_after_select");
}

static void noop_handler(int sig)
{
	(void)sig;
}

struct waiter {
	int fd;
	int ret;
	int err;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->ret = ioctl(w->fd, RMT_IOC_WAIT);
	w->err = errno;
	return NULL;
}

/*
 * Every fd of a file is closed while a thread sleeps in its ioctl: no
 * ->release() until a signal ends the ioctl (with EINTR).
 */
static void test_close_during_ioctl(void)
{
	struct sigaction sa = { .sa_handler = noop_handler }, old;
	struct rmt_counts base = counts();
	struct waiter w = { 0 };
	pthread_t t;
	int ok;

	sigaction(SIGUSR1, &sa, &old);
	w.fd = dev_open();
	pthread_create(&t, NULL, wait_thread, &w);
	sleep_ms(100);
	close(w.fd);
	sleep_ms(50);
	ok = releases_since(&base) == 0;
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	sigaction(SIGUSR1, &old, NULL);
	ktap_result(ok && w.ret == -1 && w.err == EINTR && releases_since(&base) == 1,
		    "close_during_ioctl_releases_after_ioctl");
}

static void test_ioctl_wait_woken(void)
{
	struct waiter w = { 0 };
	pthread_t t;

	w.fd = dev_open();
	pthread_create(&t, NULL, wait_thread, &w);
	sleep_ms(50);
	ioctl(w.fd, RMT_IOC_SIGNAL);
	pthread_join(t, NULL);
	ktap_result(w.ret == 0, "ioctl_wait_woken_by_event");
	close(w.fd);
}

struct epoller {
	int epfd;
	int timeout_ms;
	int ret;
};

static void *epoll_thread(void *arg)
{
	struct epoller *e = arg;
	struct epoll_event ev;

	e->ret = epoll_wait(e->epfd, &ev, 1, e->timeout_ms);
	return NULL;
}

static void test_epoll(void)
{
	struct rmt_counts base;
	struct epoll_event ev = { .events = EPOLLIN };
	struct epoller e = { .timeout_ms = 10000 };
	pthread_t t;
	int fd, ok, released;

	e.epfd = epoll_create1(EPOLL_CLOEXEC);
	fd = dev_open();
	ok = epoll_ctl(e.epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
	pthread_create(&t, NULL, epoll_thread, &e);
	sleep_ms(100);
	ioctl(fd, RMT_IOC_SIGNAL);
	pthread_join(t, NULL);
	ktap_result(ok && e.ret == 1, "epoll_woken_by_event");

	/*
	 * The file goes away (epoll holds no reference) while a thread waits on
	 * its wait queue through epoll: the entry is removed before ->release()
	 * frees the queue, and the waiter simply times out.
	 */
	ioctl(fd, RMT_IOC_CONSUME);
	base = counts();
	e.timeout_ms = 400;
	pthread_create(&t, NULL, epoll_thread, &e);
	sleep_ms(100);
	close(fd);
	released = releases_since(&base) == 1;
	pthread_join(t, NULL);
	ktap_result(released && e.ret == 0, "epoll_waiter_survives_release");
	close(e.epfd);
}

static void test_mmap(void)
{
	struct rmt_counts base = counts();
	int fd = dev_open(), ok, status = 0;
	size_t len = 2 * page_size;
	struct rmt_insert ins = { .fill = 0xa5 };
	struct rmt_range zap;
	char *area, *p;
	pid_t pid;
	long i;

	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ktap_result(p == MAP_FAILED && errno == EPERM, "mmap_writable_shared_eperm");
	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ktap_result(p == MAP_FAILED && errno == EPERM, "mmap_writable_private_eperm");

	area = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (!ktap_result(area != MAP_FAILED, "mmap_readonly")) {
		close(fd);
		return;
	}
	errno = 0;
	ktap_result(mprotect(area, len, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
		    "mprotect_write_eacces");

	/* Nothing mapped yet: the area has no fault handler. */
	ktap_result(probe(area, 0) == SIGBUS, "unpopulated_read_sigbus");

	ins.addr = (uintptr_t)area;
	ok = ioctl(fd, RMT_IOC_INSERT, &ins) == 0;
	for (i = 0; ok && i < page_size; i++)
		ok = (unsigned char)area[i] == 0xa5;
	ktap_result(ok, "inserted_page_visible");
	errno = 0;
	ktap_result(ioctl(fd, RMT_IOC_INSERT, &ins) == -1 && errno == EBUSY,
		    "insert_twice_ebusy");
	ins.addr = (uintptr_t)area + page_size;
	ins.fill = 0x3c;
	ktap_result(ioctl(fd, RMT_IOC_INSERT, &ins) == 0 &&
		    (unsigned char)area[page_size + 7] == 0x3c, "insert_second_page");
	ins.addr = (uintptr_t)area + len;
	errno = 0;
	ktap_result(ioctl(fd, RMT_IOC_INSERT, &ins) == -1 && errno == EINVAL,
		    "insert_past_mapping_einval");

	ktap_result(probe(area, 1) == SIGSEGV, "user_write_sigsegv");

	/* VM_IO makes VM_DONTCOPY permanent: MADV_DOFORK cannot undo it. */
	errno = 0;
	ktap_result(madvise(area, len, MADV_DOFORK) == -1 && errno == EINVAL,
		    "madv_dofork_refused");
	/* VM_DONTCOPY: the child has nothing at that address. */
	pid = fork();
	if (!pid)
		_exit(probe(area, 0) == SIGSEGV ? 0 : 1);
	waitpid(pid, &status, 0);
	ktap_result(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mapping_not_inherited");

	zap = (struct rmt_range){ .addr = (uintptr_t)area, .size = page_size };
	ok = ioctl(fd, RMT_IOC_ZAP, &zap) == 0;
	ktap_result(ok && probe(area, 0) == SIGBUS && (unsigned char)area[page_size] == 0x3c,
		    "zap_unmaps_one_page");
	/* And the page can be mapped again. */
	ins.addr = (uintptr_t)area;
	ins.fill = 0x11;
	ktap_result(ioctl(fd, RMT_IOC_INSERT, &ins) == 0 && (unsigned char)area[1] == 0x11,
		    "insert_after_zap");

	/* The mapping holds the file: ->release() comes with munmap(). */
	close(fd);
	ok = releases_since(&base) == 0;
	munmap(area, len);
	ktap_result(ok && releases_since(&base) == 1, "mapping_holds_file");
}

/* The module is pinned by every open file, and only by those. */
static void test_module_pinned(void)
{
	int fd = dev_open(), ret, ret2;

	close(ctl);
	ret = unload_module();
	ktap_result(fd >= 0 && ret == -EWOULDBLOCK, "unload_while_open_ewouldblock");
	close(fd);
	ret2 = unload_module();
	ktap_result(ret2 == 0 && access(RUST_MISC_TEST_DEV, F_OK) != 0,
		    "unload_after_close");
	if (ret2)
		ktap_diag("delete_module: %s", strerror(-ret2));
}

/*
 * The owned copy of the operations table cannot be allocated: loading fails
 * with ENOMEM and leaves nothing behind; the next load works, and each
 * unload frees its copy.
 */
static void test_load_nomem(void)
{
	long copies0, copies1;
	int armed, ret;

	if (!failslab_present()) {
		ktap_result(1, "load_fops_copy_enomem # SKIP no failslab in this kernel");
		ktap_result(1, "fops_copies_freed # SKIP no failslab in this kernel");
		return;
	}
	copies0 = slab_active(FOPS_CACHE);
	armed = failslab_arm(FOPS_CACHE);
	ret = load_module();
	failslab_disarm(FOPS_CACHE);
	ktap_result(armed && ret == -ENOMEM && access(RUST_MISC_TEST_DEV, F_OK) != 0,
		    "load_fops_copy_enomem");
	if (ret == 0)
		unload_module();
	else if (ret != -ENOMEM)
		ktap_diag("finit_module: %s", strerror(-ret));

	ret = load_module();
	ret |= unload_module();
	ret |= load_module();
	ret |= unload_module();
	copies1 = slab_active(FOPS_CACHE);
	ktap_result(ret == 0 && copies0 >= 0 && copies1 == copies0, "fops_copies_freed");
	if (copies1 != copies0)
		ktap_diag("owned_fops objects: %ld before, %ld after", copies0, copies1);
}

int main(void)
{
	page_size = sysconf(_SC_PAGESIZE);
	ktap_plan(41);

	test_load();
	test_release_once_with_dups();
	test_release_shared_with_child();
	test_bad_ioctls();
	test_poll_wakes();
	test_close_during_poll();
	test_select();
	test_close_during_ioctl();
	test_ioctl_wait_woken();
	test_epoll();
	test_mmap();
	test_module_pinned();
	test_load_nomem();
	return ktap_finish();
}
