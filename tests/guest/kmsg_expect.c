// SPDX-License-Identifier: GPL-2.0
/*
 * kmsg_expect TEXT... - one KTAP result per TEXT: whether some line of the
 * kernel log since boot contains it.  For verdicts that a module can only
 * print, such as what it saw in its exit function.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktap.h"

#define MAX_TEXTS 16

int main(int argc, char **argv)
{
	int found[MAX_TEXTS] = { 0 }, n = argc - 1, fd;
	char rec[2048];
	ssize_t len;

	if (n < 1 || n > MAX_TEXTS) {
		fprintf(stderr, "usage: kmsg_expect TEXT... (at most %d)\n", MAX_TEXTS);
		return 2;
	}
	ktap_plan(n);
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	/* One record per read; EAGAIN at the end, EPIPE when records were overwritten. */
	while (fd >= 0 && ((len = read(fd, rec, sizeof(rec) - 1)) > 0 || errno == EPIPE)) {
		if (len <= 0)
			continue;
		rec[len] = '\0';
		for (int i = 0; i < n; i++)
			if (strstr(rec, argv[i + 1]))
				found[i] = 1;
	}
	for (int i = 0; i < n; i++)
		ktap_result(found[i], "kmsg: %s", argv[i + 1]);
	if (fd >= 0)
		close(fd);
	return ktap_finish();
}
