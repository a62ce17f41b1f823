// SPDX-License-Identifier: GPL-2.0
/*
 * mainline_test - drives tests/modules/rust_mainline_shape, a misc device
 * written against mainline's Rust API (read_iter/write_iter, show_fdinfo,
 * UserPtr, authors: ...), and its in-kernel checks of the other mainline items
 * the layer brings to 6.12 (try_lock, Page::nid, cred, transmute, Pid, Vec
 * methods, init_task_work, lock_vma_under_rcu from a module, the vma aliases).
 * The module is loaded by the plan; that it loads at all is the link check.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktap.h"
#include "rust_mainline_shape/rust_mainline_shape.h"

#define MLS_KO "/tests/modules/rust_mainline_shape.ko"

static const char *const check_names[] = {
	"try_lock", "page_nid", "cred", "transmute", "pid", "vec", "task_work", "vma", "user_ptr",
};

/* Whether the file PATH holds the NUL-terminated string TEXT (a modinfo entry). */
static int file_has(const char *path, const char *text)
{
	size_t len = strlen(text) + 1, n;
	static char buf[1 << 20];
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return !!memmem(buf, n, text, len);
}

int main(void)
{
	char buf[64], path[64], info[512];
	struct mls_checks c = { 0 };
	int fd, value = 42, got = 0, ok;
	unsigned char *page;
	ssize_t n;
	FILE *f;

	ktap_plan(10 + 9 + 2);
	fd = open(MLS_DEV, O_RDWR | O_CLOEXEC);
	ktap_result(fd >= 0 && ioctl(fd, MLS_IOC_HELLO) == 0, "hello");
	ktap_result(ioctl(fd, MLS_IOC_SET_VALUE, &value) == 0 &&
		    ioctl(fd, MLS_IOC_GET_VALUE, &got) == 0 && got == 42, "set_and_get_value");
	errno = 0;
	ktap_result(ioctl(fd, _IO('|', 0x99)) == -1 && errno == ENOTTY, "unknown_ioctl_enotty");

	/* write_iter, read_iter, poll. */
	ok = write(fd, "hello mainline", 14) == 14;
	n = pread(fd, buf, sizeof(buf), 0);
	ktap_result(ok && n == 14 && !memcmp(buf, "hello mainline", 14), "write_then_read");
	n = pread(fd, buf, sizeof(buf), 6);
	ktap_result(n == 8 && !memcmp(buf, "mainline", 8), "read_at_offset");
	ktap_result(pread(fd, buf, sizeof(buf), 14) == 0, "read_at_end_empty");
	/* A handler that answers EIOCBQUEUED, or a count that reads as -EIOCBQUEUED: EIO. */
	errno = 0;
	ok = pread(fd, buf, sizeof(buf), 1L << 30) == -1 && errno == EIO;
	errno = 0;
	ktap_result(ok && pread(fd, buf, sizeof(buf), (1L << 30) + 1) == -1 && errno == EIO,
		    "queued_or_huge_read_result_eio");
	ok = poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 0) == 1;
	ktap_result(ok, "poll_readable");

	/* show_fdinfo. */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	n = f ? (ssize_t)fread(info, 1, sizeof(info) - 1, f) : -1;
	if (f)
		fclose(f);
	info[n > 0 ? n : 0] = '\0';
	ktap_result(!!strstr(info, "rust_mainline_shape value: 42\n"), "show_fdinfo");

	/* The in-kernel checks, on an anonymous page of ours that zap_vma_range() empties. */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page != MAP_FAILED)
		memset(page, 0x5a, 4096);
	c.anon_addr = (uintptr_t)page;
	ok = page != MAP_FAILED && ioctl(fd, MLS_IOC_CHECKS, &c) == 0;
	ktap_result(ok && c.ran == MLS_CHECKS_ALL, "checks_ran");
	for (unsigned int i = 0; i < 9; i++)
		ktap_result(ok && !(c.failed & (1u << i)), "check_%s", check_names[i]);
	ktap_result(ok && page[0] == 0 && page[4095] == 0, "zap_vma_range_emptied_page");
	close(fd);

	/* authors: [..] gives one modinfo author line each. */
	ok = file_has(MLS_KO, "author=rfl-shim developers") &&
	     file_has(MLS_KO, "author=A. N. Other");
	ktap_result(ok, "modinfo_authors");
	return ktap_finish();
}
