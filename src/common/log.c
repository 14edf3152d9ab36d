/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

static enum wf_log_level cur_level = WF_LOG_INFO;
static bool timestamps;

void wf_log_set_level(enum wf_log_level level)
{
	cur_level = level;
}

enum wf_log_level wf_log_get_level(void)
{
	return cur_level;
}

void wf_log_set_timestamps(bool on)
{
	timestamps = on;
}

void wf_log(enum wf_log_level level, bool with_errno, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	int saved = errno;
	char msg[1024], stamp[32] = "";
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (timestamps) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	/* One fprintf per line so that lines from threads do not interleave. */
	if (with_errno)
		fprintf(stderr, "%sweft: %s: %s: %s\n", stamp, names[level], msg, strerror(saved));
	else
		fprintf(stderr, "%sweft: %s: %s\n", stamp, names[level], msg);
	errno = saved;
}
