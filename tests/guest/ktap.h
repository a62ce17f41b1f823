/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktap.h - KTAP output for the user-space tests run by the guest's /init.
 *
 * A test program prints a plan, one result per check, and exits with 0 only
 * when every check passed: /init nests the output as a subtest and uses the
 * exit status as the subtest's result.
 */
#ifndef _RFL_SHIM_KTAP_H
#define _RFL_SHIM_KTAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif

static int ktap_count, ktap_failed;

/*
 * Starts the output of a program that will report TESTS results.  The
 * subtest is named after the program, as /init names its result.
 */
static inline void ktap_plan(int tests)
{
	printf("KTAP version 1\n# Subtest: %s\n1..%d\n",
	       program_invocation_short_name, tests);
	fflush(stdout);
}

/* Reports one check named by FMT; returns OK so callers can chain on it. */
static inline int __printf(2, 3)
ktap_result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++ktap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		ktap_failed++;
	return ok;
}

static inline void __printf(1, 2)
ktap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int ktap_finish(void)
{
	return ktap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* _RFL_SHIM_KTAP_H */
