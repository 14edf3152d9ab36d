/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"

/* Atomic (relaxed): `weft reload` may change it while workers log. */
static int cur_level = WF_LOG_INFO;

void wf_log_set_level(enum wf_log_level level)
{
	__atomic_store_n(&cur_level, (int)level, __ATOMIC_RELAXED);
}

enum wf_log_level wf_log_get_level(void)
{
	return (enum wf_log_level)__atomic_load_n(&cur_level, __ATOMIC_RELAXED);
}

static void vlog(enum wf_log_level level, bool with_errno, const char *suffix, const char *fmt,
		 va_list ap)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	int saved = errno;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One fprintf per line so that lines from threads do not interleave.
	 * No timestamps: journald (or whatever runs it) adds its own. */
	if (with_errno)
		fprintf(stderr, "weft: %s: %s: %s%s\n", names[level], msg, strerror(saved), suffix);
	else
		fprintf(stderr, "weft: %s: %s%s\n", names[level], msg, suffix);
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


void wf_log_limited(struct wf_log_limit *l, enum wf_log_level level, const char *fmt, ...)
{
	const int64_t interval = WF_LOG_LIMIT_S * 1000, burst = (WF_LOG_LIMIT_BURST - 1) * interval;
	int64_t now = wf_now_ms(), old = __atomic_load_n(&l->tat_ms, __ATOMIC_RELAXED), t;
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
