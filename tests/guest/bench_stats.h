/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench_stats.h - rounds and their statistics for the user-space benchmarks.
 *
 * A figure is measured in BENCH_ROUNDS rounds, with what it is compared with
 * measured side by side in the same round, and printed as the min, median and
 * max over the rounds.  A ratio is computed per round; what is printed is the
 * median and the range of the per-round ratios.  Figures are measured, never
 * asserted.
 */
#ifndef _RFL_SHIM_BENCH_STATS_H
#define _RFL_SHIM_BENCH_STATS_H

#include <stdarg.h>
#include <stdio.h>

#include "ktap.h"

/* Rounds per figure: odd, so that the median is one of them. */
#define BENCH_ROUNDS	7

struct bench_stat {
	double min, med, max;
};

/* Text of a figure, printed with "%s" (a temporary lives to the end of the call). */
struct bench_str {
	char s[80];
};

/* A line of output built in pieces, printed with ktap_diag("%s", line.s). */
struct bench_line {
	char s[512];
	size_t len;
};

/* Sorts V[0..N) in ascending order; an insertion sort, N is a handful. */
static inline void bench_sort(double *v, unsigned int n)
{
	unsigned int i, j;

	for (i = 1; i < n; i++) {
		double x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* The min, median and max of the BENCH_ROUNDS values of V, left unchanged. */
static inline struct bench_stat bench_stat(const double v[BENCH_ROUNDS])
{
	double s[BENCH_ROUNDS];
	unsigned int i;

	for (i = 0; i < BENCH_ROUNDS; i++)
		s[i] = v[i];
	bench_sort(s, BENCH_ROUNDS);
	return (struct bench_stat){
		.min = s[0],
		.med = BENCH_ROUNDS % 2 ? s[BENCH_ROUNDS / 2] :
			(s[BENCH_ROUNDS / 2 - 1] + s[BENCH_ROUNDS / 2]) / 2,
		.max = s[BENCH_ROUNDS - 1],
	};
}

/* "A/B/C": the min/median/max of the BENCH_ROUNDS values of V, in whole units. */
static inline struct bench_str bench_mmm(const double v[BENCH_ROUNDS])
{
	struct bench_stat st = bench_stat(v);
	struct bench_str out;

	snprintf(out.s, sizeof(out.s), "%.0f/%.0f/%.0f", st.min, st.med, st.max);
	return out;
}

/* "median X.XX (min-max Y.YY-Z.ZZ)": of the BENCH_ROUNDS per-round ratios V. */
static inline struct bench_str bench_ratio(const double v[BENCH_ROUNDS])
{
	struct bench_stat st = bench_stat(v);
	struct bench_str out;

	snprintf(out.s, sizeof(out.s), "median %.2f (min-max %.2f-%.2f)", st.med, st.min,
		 st.max);
	return out;
}

/* Appends to LINE; what does not fit is cut off. */
static inline void __printf(2, 3)
bench_add(struct bench_line *line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line->len + 1 >= sizeof(line->s))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line->s + line->len, sizeof(line->s) - line->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		line->len += (size_t)n < sizeof(line->s) - line->len ?
			     (size_t)n : sizeof(line->s) - line->len - 1;
}

#endif /* _RFL_SHIM_BENCH_STATS_H */
