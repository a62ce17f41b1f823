// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_demo - two processes exchange a message with file descriptors through
 * the binder-like sample (samples/rust/rust_ipc.rs), saying what each step
 * did.  The story goes to stderr (the console, shown by 'make run'); the
 * checks go to stdout as KTAP.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/rust_ipc.h>

#include "ktap.h"

#define AREA	(64 * 1024)

/* One line of the story, written at once so that processes do not mix lines. */
static void __printf(1, 2) say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "ipc_demo: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	write(STDERR_FILENO, line, n);
}

static struct rust_ipc_info info(int ep)
{
	struct rust_ipc_info i = { 0 };

	ioctl(ep, RUST_IPC_IOC_INFO, &i);
	return i;
}

static int run_sender(uint32_t target, int sync_fd)
{
	static const char msg[] = "hello from the sender";
	static const char note[] = "a memfd, passed by the sender";
	struct rust_ipc_send s = { .target = target };
	int ep = open(RUST_IPC_DEV, O_RDWR | O_CLOEXEC), p[2], mfd;
	struct pollfd pfd;
	uint32_t id = 0;
	char buf[16];
	ssize_t n;

	ioctl(ep, RUST_IPC_IOC_GET_ID, &id);
	if (pipe(p))
		return 1;
	mfd = memfd_create("demo-note", MFD_CLOEXEC);
	if (write(mfd, note, sizeof(note)) != sizeof(note))
		return 1;
	s.data = (uintptr_t)msg;
	s.data_size = sizeof(msg);
	s.fds[0] = p[1];
	s.fds[1] = mfd;
	s.num_fds = 2;
	if (ioctl(ep, RUST_IPC_IOC_SEND, &s)) {
		say("sender %u: send failed: %s", id, strerror(errno));
		return 1;
	}
	say("sender %u: sent \"%s\" with 2 fds (a pipe's write end, a memfd) to endpoint %u",
	    id, msg, target);
	say("sender %u:   the driver took its own references (File::fget); ours can go", id);
	close(p[1]);
	close(mfd);

	/* Bounded waits: a broken driver fails the demo instead of hanging it. */
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	n = poll(&pfd, 1, 10000) == 1 ? read(p[0], buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	say("sender %u: read \"%s\" from the pipe: the receiver wrote it through the passed end",
	    id, buf);
	n = poll(&pfd, 1, 10000) == 1 ? read(p[0], buf, sizeof(buf)) : -1;
	say("sender %u: %s", id, n == 0 ?
	    "pipe EOF: the receiver's copy of the write end was closed on free" :
	    "no EOF on the pipe!");
	write(sync_fd, n == 0 ? "y" : "n", 1);
	return n == 0 ? 0 : 1;
}

int main(void)
{
	struct pollfd pfd;
	struct rust_ipc_recv r;
	struct rust_ipc_info i;
	struct rust_ipc_send s = { 0 };
	int ep, sync[2], status, ok, ret;
	uint32_t id = 0, sender_id;
	char note[64] = { 0 }, eof = 'n';
	unsigned char *area;
	pid_t pid;

	ktap_plan(6);
	say("two processes, one message, two file descriptors");
	ep = open(RUST_IPC_DEV, O_RDWR | O_CLOEXEC);
	ioctl(ep, RUST_IPC_IOC_GET_ID, &id);
	area = mmap(NULL, AREA, PROT_READ, MAP_SHARED, ep, 0);
	/* This receiver takes files. */
	ioctl(ep, RUST_IPC_IOC_ACCEPT_FDS);
	i = info(ep);
	say("receiver %u: mapped a %d KiB read-only receive area", id, AREA / 1024);
	say("receiver %u:   mm grabbed (mmgrab, not mmget): %s", id,
	    i.mm_grabbed ? "yes" : "no");
	ktap_result(area != MAP_FAILED && i.mm_grabbed, "receiver_mapped_area");

	if (pipe(sync))
		return 1;
	pid = fork();
	if (!pid)
		_exit(run_sender(id, sync[1]));

	pfd = (struct pollfd){ .fd = ep, .events = POLLIN };
	ok = poll(&pfd, 1, 10000) == 1 && ioctl(ep, RUST_IPC_IOC_RECV, &r) == 0;
	ktap_result(ok && r.num_fds == 2, "message_received");
	if (!ok)
		return ktap_finish();
	sender_id = r.sender;
	i = info(ep);
	say("receiver %u: poll said POLLIN; received %llu bytes at offset %llu of the area: \"%s\"",
	    id, (unsigned long long)r.data_size, (unsigned long long)r.offset,
	    (const char *)area + r.offset);
	say("receiver %u:   copied in the sender's context, our mm taken with mmget_not_zero",
	    id);
	say("receiver %u:   pages installed with vm_insert_page: %llu; mm let go with mmput_async",
	    id, (unsigned long long)i.pages_installed);
	say("receiver %u:   fds installed in our table: %d and %d (reserved first, close-on-exec)",
	    id, r.fds[0], r.fds[1]);

	pread(r.fds[1], note, sizeof(note) - 1, 0);
	say("receiver %u: the memfd says \"%s\"", id, note);
	ktap_result(!strcmp(note, "a memfd, passed by the sender"), "memfd_content");
	ktap_result(write(r.fds[0], "pong", 4) == 4, "pipe_end_works");
	say("receiver %u: wrote \"pong\" into the passed pipe end", id);

	say("receiver %u: freeing the buffer: its fds are closed on free (DeferredFdCloser)", id);
	ret = ioctl(ep, RUST_IPC_IOC_FREE, (unsigned long)r.offset);
	i = info(ep);
	say("receiver %u:   deferred close done: %llu fds closed", id,
	    (unsigned long long)i.fds_closed);
	say("receiver %u:   pages still installed: %llu", id, (unsigned long long)i.pages);
	ktap_result(ret == 0 && i.fds_closed == 2 && fcntl(r.fds[0], F_GETFD) == -1,
		    "fds_closed_on_free");

	pfd = (struct pollfd){ .fd = sync[0], .events = POLLIN };
	if (poll(&pfd, 1, 20000) == 1)
		read(sync[0], &eof, 1);
	else
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	s.target = sender_id;
	ret = ioctl(ep, RUST_IPC_IOC_SEND, &s) ? errno : 0;
	say("receiver %u: the sender has exited; sending to endpoint %u now: %s",
	    id, sender_id, ret ? strerror(ret) : "ok?");
	ktap_result(eof == 'y' && WIFEXITED(status) && !WEXITSTATUS(status) && ret == ESRCH,
		    "sender_saw_eof_and_is_gone");
	munmap(area, AREA);
	close(ep);
	say("receiver %u: closed; the driver dropped its mm reference (mmdrop)", id);
	return ktap_finish();
}
