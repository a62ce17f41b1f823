// SPDX-License-Identifier: GPL-2.0
/*
 * compat_m32 - the compat ioctl paths, from a 32-bit program.
 *
 * Built with -m32 (guest.sh builds every *_m32.c so).  Neither the misc test
 * device nor the IPC sample implements compat_ioctl, so kernel::miscdevice
 * gives them compat_ptr_ioctl(): their ioctls, whose structures have the same
 * layout in 32 and 64 bits, must work from a 32-bit process as they do from a
 * 64-bit one, with the same errors.  The plan loads rust_misc_test first.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/rust_ipc.h>

#include "ktap.h"
#include "rust_misc_test/rust_misc_test.h"

static void test_misc_device(void)
{
	long page_size = sysconf(_SC_PAGESIZE);
	struct rmt_counts c = { 0 };
	struct rmt_insert ins = { .fill = 0x6b };
	int fd = open(RUST_MISC_TEST_DEV, O_RDWR | O_CLOEXEC);
	unsigned char *area;

	ktap_result(fd >= 0 && ioctl(fd, RMT_IOC_COUNTS, &c) == 0 && c.opens >= 1,
		    "misc_counts_from_32_bit");
	errno = 0;
	ktap_result(ioctl(fd, RMT_IOC_COUNTS, (void *)8) == -1 && errno == EFAULT,
		    "misc_bad_pointer_efault");
	errno = 0;
	ktap_result(ioctl(fd, _IO('R', 99)) == -1 && errno == ENOTTY, "misc_unknown_enotty");
	ktap_result(ioctl(fd, RMT_IOC_SIGNAL) == 0 && ioctl(fd, RMT_IOC_CONSUME) == 0,
		    "misc_signal_consume");

	area = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, 0);
	ins.addr = (uintptr_t)area;
	ktap_result(area != MAP_FAILED && ioctl(fd, RMT_IOC_INSERT, &ins) == 0 &&
		    area[page_size - 1] == 0x6b, "misc_insert_page_from_32_bit");
	if (area != MAP_FAILED)
		munmap(area, page_size);
	close(fd);
}

static void test_ipc(void)
{
	static const char msg[] = "from a 32-bit process";
	int snd = open(RUST_IPC_DEV, O_RDWR | O_CLOEXEC);
	int rcv = open(RUST_IPC_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	struct rust_ipc_send s = { .data = (uintptr_t)msg, .data_size = sizeof(msg) };
	struct rust_ipc_recv r;
	uint32_t id = 0;
	unsigned char *area;
	int p[2], ok;

	ok = ioctl(rcv, RUST_IPC_IOC_GET_ID, &id) == 0 && id;
	area = mmap(NULL, 64 * 1024, PROT_READ, MAP_SHARED, rcv, 0);
	ok = ok && ioctl(rcv, RUST_IPC_IOC_ACCEPT_FDS) == 0;
	if (pipe(p))
		ok = 0;
	s.target = id;
	s.fds[0] = p[1];
	s.num_fds = 1;
	ok &= area != MAP_FAILED && ioctl(snd, RUST_IPC_IOC_SEND, &s) == 0;
	ok &= ioctl(rcv, RUST_IPC_IOC_RECV, &r) == 0 && r.num_fds == 1 &&
	      r.data_size == sizeof(msg) && !memcmp(area + r.offset, msg, sizeof(msg));
	ktap_result(ok, "ipc_send_recv_from_32_bit");
	ktap_result(ok && ioctl(rcv, RUST_IPC_IOC_FREE, (unsigned long)r.offset) == 0 &&
		    fcntl(r.fds[0], F_GETFD) == -1, "ipc_free_closes_fd_from_32_bit");
	errno = 0;
	ktap_result(ioctl(rcv, RUST_IPC_IOC_FREE, 4096UL) == -1 && errno == EINVAL,
		    "ipc_free_unknown_einval");
	s.fds[0] = 1000;
	errno = 0;
	ktap_result(ioctl(snd, RUST_IPC_IOC_SEND, &s) == -1 && errno == EBADF,
		    "ipc_bad_fd_ebadf");
	close(p[0]);
	close(p[1]);
	close(snd);
	close(rcv);
}

int main(void)
{
	ktap_plan(10);
	ktap_result(sizeof(void *) == 4, "is_32_bit");
	test_misc_device();
	test_ipc();
	return ktap_finish();
}
