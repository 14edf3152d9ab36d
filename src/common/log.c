/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

/* Atomic (relaxed): `weft reload` may change it while workers log. */
static int cur_level = WF_LOG_INFO;
static bool timestamps;

void wf_log_set_level(enum wf_log_level level)
{
	__atomic_store_n(&cur_level, (int)level, __ATOMIC_RELAXED);
}

enum wf_log_level wf_log_get_level(void)
{
	return (enum wf_log_level)__atomic_load_n(&cur_level, __ATOMIC_RELAXED);
}

void wf_log_set_timestamps(bool on)
{
	timestamps = on;
}

static void vlog(enum wf_log_level level, bool with_errno, const char *suffix, const char *fmt,
		 va_list ap)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	int saved = errno;
	char msg[1024], stamp[32] = "";

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (timestamps) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	/* One fprintf per line so that lines from threads do not interleave. */
	if (with_errno)
		fprintf(stderr, "%sweft: %s: %s: %s%s\n", stamp, names[level], msg, strerror(saved),
			suffix);
	else
		fprintf(stderr, "%sweft: %s: %s%s\n", stamp, names[level], msg, suffix);
	errno = saved;
}

void wf_log(enum wf_log_level level, bool with_errno, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > __atomic_load_n(&cur_level, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vlog(level, with_errno, "", fmt, ap);
	va_end(ap);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void wf_log_limited(struct wf_log_limit *l, enum wf_log_level level, const char *fmt, ...)
{
	const int64_t interval = WF_LOG_LIMIT_S * 1000, burst = (WF_LOG_LIMIT_BURST - 1) * interval;
	int64_t now = mono_ms(), old = __atomic_load_n(&l->tat_ms, __ATOMIC_RELAXED), t;
	char suffix[64] = "";
	unsigned left_out;
	va_list ap;

	if ((int)level > __atomic_load_n(&cur_level, __ATOMIC_RELAXED))
		return;
	/* The same budget arithmetic as core/ratelimit.c (GCRA), in ms; one
	 * call site may be reached from several threads at once. */
	do {
		t = old > now ? old : now;
		if (t - now > burst) {
			__atomic_fetch_add(&l->suppressed, 1, __ATOMIC_RELAXED);
			return;
		}
	} while (!__atomic_compare_exchange_n(&l->tat_ms, &old, t + interval, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	left_out = __atomic_exchange_n(&l->suppressed, 0, __ATOMIC_RELAXED);
	if (left_out)
		snprintf(suffix, sizeof(suffix), " (%u similar messages left out)", left_out);
	va_start(ap, fmt);
	vlog(level, false, suffix, fmt, ap);
	va_end(ap);
}
