/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr, where systemd's journal picks it up. iked's split:
 * log_warn() appends strerror(errno), log_warnx() does not.
 *
 * The form of a line (enum wf_log_format), chosen on the first line logged
 * unless wf_log_set_format() chose before:
 *   under systemd   "<6>weft: info: MSG"     journald takes the priority
 *                                            from <N> and adds the time
 *   otherwise       "2026-12-07T14:18:14.123Z weft: info: MSG"
 *   JSON (asked)    {"time":"2026-...Z","level":"info","msg":"MSG"}, one
 *                   object a line, <N> first under systemd
 * "Under systemd": $JOURNAL_STREAM names the file stderr is (device:inode),
 * or $NOTIFY_SOCKET is set.
 */
#ifndef WEFT_LOG_H
#define WEFT_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum wf_log_level { WF_LOG_ERROR = 0, WF_LOG_WARN, WF_LOG_INFO, WF_LOG_DEBUG };

void wf_log_set_level(enum wf_log_level level);
enum wf_log_level wf_log_get_level(void);

enum wf_log_format {
	WF_LOG_FORMAT_AUTO = 0, /* journal under systemd, text otherwise */
	WF_LOG_FORMAT_TEXT,	/* a timestamp, no priority */
	WF_LOG_FORMAT_JOURNAL,	/* a priority, no timestamp */
	WF_LOG_FORMAT_JSON,	/* JSON lines (a priority first under systemd) */
};
/* Takes effect from the next line; AUTO looks at the environment now. Any
 * thread may log meanwhile. */
void wf_log_set_format(enum wf_log_format f);
/* What lines look like now: never AUTO. */
enum wf_log_format wf_log_get_format(void);
/* "auto", "text", "journal", "json" (for log-format in weft.conf). */
bool wf_log_format_parse(const char *s, enum wf_log_format *f) __attribute__((warn_unused_result));
/* Is stderr the journal, or did systemd start us as a notify service? */
bool wf_log_under_systemd(void);

void wf_log(enum wf_log_level level, bool with_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...)	wf_log(WF_LOG_ERROR, true, __VA_ARGS__)
#define log_errorx(...) wf_log(WF_LOG_ERROR, false, __VA_ARGS__)
#define log_warn(...)	wf_log(WF_LOG_WARN, true, __VA_ARGS__)
#define log_warnx(...)	wf_log(WF_LOG_WARN, false, __VA_ARGS__)
#define log_info(...)	wf_log(WF_LOG_INFO, false, __VA_ARGS__)
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

#define log_limited(level, ...)                                                                    \
	do {                                                                                       \
		static struct wf_log_limit wf_log_limit_;                                          \
		wf_log_limited(&wf_log_limit_, level, __VA_ARGS__);                                \
	} while (0)
#define log_warnx_rl(...) log_limited(WF_LOG_WARN, __VA_ARGS__)
#define log_info_rl(...)  log_limited(WF_LOG_INFO, __VA_ARGS__)

#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (wf_log_get_level() >= WF_LOG_DEBUG)                                            \
			wf_log(WF_LOG_DEBUG, false, __VA_ARGS__);                                  \
	} while (0)

#endif
