/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

uint64_t wf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t wf_now_ms(void)
{
	return (int64_t)(wf_now_ns() / 1000000u);
}

uint64_t wf_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *wf_utc(int64_t t, char buf[WF_UTC_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	/* gmtime_r fails past what struct tm holds; strftime writes nothing
	 * (returns 0) for what does not fit. */
	if (!gmtime_r(&tt, &tm) || !strftime(buf, WF_UTC_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, WF_UTC_LEN, "@%lld", (long long)t);
	return buf;
}

const char *wf_utc_ms(uint64_t ns, char buf[WF_UTC_LEN])
{
	char sec[WF_UTC_LEN];
	size_t n = strlen(wf_utc((int64_t)(ns / 1000000000u), sec));

	if (n < 2 || sec[n - 1] != 'Z') /* "@SECONDS": no calendar to add to */
		return memcpy(buf, sec, n + 1);
	snprintf(buf, WF_UTC_LEN, "%.*s.%03uZ", (int)(n - 1), sec,
		 (unsigned)(ns / 1000000u % 1000u));
	return buf;
}
