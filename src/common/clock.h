/* SPDX-License-Identifier: MIT */
/*
 * The clocks, and how a time is written: one of each for the whole tree.
 * Protocol code (src/core) never reads a clock: time is passed in.
 */
#ifndef WEFT_CLOCK_H
#define WEFT_CLOCK_H

#include <stddef.h>
#include <stdint.h>

enum { WF_UTC_LEN = 32 };

/* Monotonic milliseconds: timers, ages, budgets. */
int64_t wf_now_ms(void);
/* Monotonic nanoseconds: the packet path's own timing, the service
 * manager's MONOTONIC_USEC. */
uint64_t wf_now_ns(void);
/* Wall-clock nanoseconds since the epoch: handshake timestamps. */
uint64_t wf_realtime_ns(void);
/* Unix seconds t as "2026-12-07T14:18:14Z" in buf; "@SECONDS" when the
 * calendar cannot say it (a year past 9999, a failed conversion). */
const char *wf_utc(int64_t t, char buf[WF_UTC_LEN]);
/* Wall-clock nanoseconds as "2026-12-07T14:18:14.123Z" (milliseconds, cut
 * rather than rounded, so a line never claims a later second): logs. */
const char *wf_utc_ms(uint64_t ns, char buf[WF_UTC_LEN]);

#endif
