/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/log.h"

/* Atomic (relaxed): `weft reload` may change it while workers log. */
static int cur_level = WF_LOG_INFO;

/* The form of lines: enum wf_log_format (never AUTO) plus FORM_PRIORITY
 * for a "<N>" first; FORM_UNSET until the first line or wf_log_set_format.
 * Atomic for the same reason as the level. */
enum { FORM_UNSET = -1, FORM_PRIORITY = 0x10, FORM_STYLE = 0x0f };
static int cur_form = FORM_UNSET;

static const char *const level_names[] = {"error", "warning", "info", "debug"};
/* syslog's priorities (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). */
static const char level_prio[] = {'3', '4', '6', '7'};

void wf_log_set_level(enum wf_log_level level)
{
	__atomic_store_n(&cur_level, (int)level, __ATOMIC_RELAXED);
}

enum wf_log_level wf_log_get_level(void)
{
	return (enum wf_log_level)__atomic_load_n(&cur_level, __ATOMIC_RELAXED);
}

/* $JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected; it
 * counts only while stderr is still that file (not redirected since). */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int used = 0;

	if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &used) != 2 || e[used] ||
	    fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

bool wf_log_under_systemd(void)
{
	const char *n = getenv("NOTIFY_SOCKET");

	return stderr_is_journal() || (n && *n);
}

static int form_of(enum wf_log_format f)
{
	switch (f) {
	case WF_LOG_FORMAT_TEXT:
		return WF_LOG_FORMAT_TEXT;
	case WF_LOG_FORMAT_JOURNAL:
		return WF_LOG_FORMAT_TEXT | FORM_PRIORITY;
	case WF_LOG_FORMAT_JSON:
		return WF_LOG_FORMAT_JSON | (wf_log_under_systemd() ? FORM_PRIORITY : 0);
	case WF_LOG_FORMAT_AUTO:
		break;
	}
	return wf_log_under_systemd() ? WF_LOG_FORMAT_TEXT | FORM_PRIORITY : WF_LOG_FORMAT_TEXT;
}

void wf_log_set_format(enum wf_log_format f)
{
	__atomic_store_n(&cur_form, form_of(f), __ATOMIC_RELAXED);
}

/* The form now, chosen from the environment on first use (two threads
 * that race here choose the same). */
static int form(void)
{
	int f = __atomic_load_n(&cur_form, __ATOMIC_RELAXED);

	if (f == FORM_UNSET) {
		f = form_of(WF_LOG_FORMAT_AUTO);
		__atomic_store_n(&cur_form, f, __ATOMIC_RELAXED);
	}
	return f;
}

enum wf_log_format wf_log_get_format(void)
{
	int f = form();

	if ((f & FORM_STYLE) == WF_LOG_FORMAT_JSON)
		return WF_LOG_FORMAT_JSON;
	return f & FORM_PRIORITY ? WF_LOG_FORMAT_JOURNAL : WF_LOG_FORMAT_TEXT;
}

bool wf_log_format_parse(const char *s, enum wf_log_format *f)
{
	static const char *const names[] = {"auto", "text", "journal", "json"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*f = (enum wf_log_format)i;
			return true;
		}
	}
	return false;
}

/* One JSON line; false (and nothing written) if it could not be made. cJSON
 * escapes what JSON requires: quotes, backslashes, control characters. */
static bool put_json(const char *prio, enum wf_log_level level, const char *msg)
{
	char when[WF_UTC_LEN];
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;

	if (o && cJSON_AddStringToObject(o, "time", wf_utc_ms(wf_realtime_ns(), when)) &&
	    cJSON_AddStringToObject(o, "level", level_names[level]) &&
	    cJSON_AddStringToObject(o, "msg", msg))
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		return false;
	fprintf(stderr, "%s%s\n", prio, text);
	cJSON_free(text);
	return true;
}

static void vlog(enum wf_log_level level, bool with_errno, const char *suffix, const char *fmt,
		 va_list ap)
{
	int saved = errno, f = form();
	char msg[1024], line[1200], prio[4] = "", utc[WF_UTC_LEN], when[WF_UTC_LEN + 1] = "";

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(line, sizeof(line), "%s%s%s%s", msg, with_errno ? ": " : "",
		 with_errno ? strerror(saved) : "", suffix);
	if (f & FORM_PRIORITY)
		snprintf(prio, sizeof(prio), "<%c>", level_prio[level]);
	/* One fprintf per line so that lines from threads do not interleave. */
	if ((f & FORM_STYLE) != WF_LOG_FORMAT_JSON || !put_json(prio, level, line)) {
		if (!(f & FORM_PRIORITY)) /* journald adds its own time */
			snprintf(when, sizeof(when), "%s ", wf_utc_ms(wf_realtime_ns(), utc));
		fprintf(stderr, "%s%sweft: %s: %s\n", prio, when, level_names[level], line);
	}
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
