/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr, where systemd's journal picks it up. iked's split:
 * log_warn() appends strerror(errno), log_warnx() does not.
 */
#ifndef WEFT_LOG_H
#define WEFT_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum wf_log_level { WF_LOG_ERROR = 0, WF_LOG_WARN, WF_LOG_INFO, WF_LOG_DEBUG };

void wf_log_set_level(enum wf_log_level level);
enum wf_log_level wf_log_get_level(void);

void wf_log(enum wf_log_level level, bool with_errno, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...) wf_log(WF_LOG_ERROR, true, __VA_ARGS__)
#define log_errorx(...) wf_log(WF_LOG_ERROR, false, __VA_ARGS__)
#define log_warn(...) wf_log(WF_LOG_WARN, true, __VA_ARGS__)
#define log_warnx(...) wf_log(WF_LOG_WARN, false, __VA_ARGS__)
#define log_info(...) wf_log(WF_LOG_INFO, false, __VA_ARGS__)
/*
 * Rate-limited lines, for everything a packet from anyone can cause: per call
 * site, WF_LOG_LIMIT_BURST lines at once, then one every WF_LOG_LIMIT_S
 * seconds; the next line that passes says how many were left out.
 */
enum { WF_LOG_LIMIT_BURST = 5, WF_LOG_LIMIT_S = 10 };

struct wf_log_limit { /* atomic: any thread may log through one */
	int64_t tat_ms;
	unsigned suppressed;
};

void wf_log_limited(struct wf_log_limit *l, enum wf_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_limited(level, ...)                                                                  \
	do {                                                                                     \
		static struct wf_log_limit wf_log_limit_;                                        \
		wf_log_limited(&wf_log_limit_, level, __VA_ARGS__);                              \
	} while (0)
#define log_warnx_rl(...) log_limited(WF_LOG_WARN, __VA_ARGS__)
#define log_info_rl(...) log_limited(WF_LOG_INFO, __VA_ARGS__)

#define log_debug(...)                                                                           \
	do {                                                                                     \
		if (wf_log_get_level() >= WF_LOG_DEBUG)                                          \
			wf_log(WF_LOG_DEBUG, false, __VA_ARGS__);                                \
	} while (0)

#endif
