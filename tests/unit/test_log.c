/* SPDX-License-Identifier: MIT */
/*
 * The log (src/common/log.c): its rate limit, against a naive count of the
 * lines that reach standard error (a temporary file put in its place), and
 * the form of its lines: timestamps, systemd's priorities, JSON parsed back
 * with cJSON. Cases are numbered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/log.h"

static int saved_stderr = -1;
static FILE *capture;

/* Standard error into a fresh temporary file. */
static void capture_start(void)
{
	fflush(stderr);
	capture = tmpfile();
	assert_non_null(capture);
	saved_stderr = dup(2);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(capture), 2) == 2);
}

/* Standard error back; the number of lines that contain needle. */
static unsigned capture_end(const char *needle)
{
	char line[1200];
	unsigned n = 0;

	fflush(stderr);
	assert_true(dup2(saved_stderr, 2) == 2);
	close(saved_stderr);
	rewind(capture);
	while (fgets(line, sizeof(line), capture))
		n += strstr(line, needle) != NULL;
	fclose(capture);
	return n;
}

/* 1. One call site: the first WF_LOG_LIMIT_BURST lines pass, the rest of a
 * quick run is left out. */
static void test_1_burst(void **state)
{
	(void)state;
	capture_start();
	for (int i = 0; i < 50; i++)
		log_warnx_rl("case 1 line %d", i);
	assert_int_equal(capture_end("case 1 line"), WF_LOG_LIMIT_BURST);
}

static struct wf_log_limit shared; /* one call site, as a macro expands it */

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5000; i++)
		wf_log_limited(&shared, WF_LOG_WARN, "case 2 line %d", i);
	return NULL;
}

/* 2. One call site reached from four threads at once (the workers' send
 * failures): still the burst and no more, and no race (ThreadSanitizer in
 * make check-tsan). */
static void test_2_threads(void **state)
{
	pthread_t t[4];

	(void)state;
	capture_start();
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(capture_end("case 2 line"), WF_LOG_LIMIT_BURST);
	assert_int_equal(__atomic_load_n(&shared.suppressed, __ATOMIC_RELAXED),
			 4 * 5000 - WF_LOG_LIMIT_BURST);
}

/* 3: a time written, and one no calendar holds (a certificate valid until
 * the end of time: gmtime_r fails, and reload used to pass its NULL on) */
static void test_3_utc(void **state)
{
	char buf[WF_UTC_LEN];

	(void)state;
	assert_string_equal(wf_utc(0, buf), "1970-01-01T00:00:00Z");
	assert_string_equal(wf_utc(1796652000, buf), "2026-12-07T14:00:00Z");
	assert_string_equal(wf_utc(INT64_MAX, buf), "@9223372036854775807");
	assert_string_equal(wf_utc(INT64_MIN, buf), "@-9223372036854775808");
}

enum { LINES = 16, LINE = 1400 };

/* Standard error back; its lines (without their newline) into out. */
static unsigned capture_lines(char out[LINES][LINE])
{
	unsigned n = 0;

	fflush(stderr);
	assert_true(dup2(saved_stderr, 2) == 2);
	close(saved_stderr);
	rewind(capture);
	while (n < LINES && fgets(out[n], LINE, capture)) {
		out[n][strcspn(out[n], "\n")] = '\0';
		n++;
	}
	fclose(capture);
	return n;
}

static bool matches(const char *re, const char *s)
{
	regex_t r;
	bool ok;

	assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

static void no_systemd(void)
{
	unsetenv("JOURNAL_STREAM");
	unsetenv("NOTIFY_SOCKET");
}

#define STAMP "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"

/* 4. Text: an ISO 8601 UTC time with milliseconds, then weft's line. */
static void test_4_text(void **state)
{
	char lines[LINES][LINE];

	(void)state;
	no_systemd();
	wf_log_set_format(WF_LOG_FORMAT_TEXT);
	assert_int_equal(wf_log_get_format(), WF_LOG_FORMAT_TEXT);
	capture_start();
	log_info("case 4 %d", 4);
	errno = ENOENT;
	log_warn("case 4 open x");
	assert_int_equal(capture_lines(lines), 2);
	assert_true(matches("^" STAMP " weft: info: case 4 4$", lines[0]));
	assert_true(matches("^" STAMP " weft: warning: case 4 open x: No such file or directory$",
			    lines[1]));
}

/* 5. Journal: syslog's priority first, no time (journald adds it). */
static void test_5_journal(void **state)
{
	char lines[LINES][LINE];

	(void)state;
	wf_log_set_format(WF_LOG_FORMAT_JOURNAL);
	wf_log_set_level(WF_LOG_DEBUG);
	capture_start();
	log_errorx("e");
	log_warnx("w");
	log_info("i");
	log_debug("d");
	assert_int_equal(capture_lines(lines), 4);
	wf_log_set_level(WF_LOG_INFO);
	assert_string_equal(lines[0], "<3>weft: error: e");
	assert_string_equal(lines[1], "<4>weft: warning: w");
	assert_string_equal(lines[2], "<6>weft: info: i");
	assert_string_equal(lines[3], "<7>weft: debug: d");
}

/* 6. AUTO: the journal when JOURNAL_STREAM names stderr's file, or under a
 * notify service; text when it names another file, or nothing is set. */
static void test_6_auto(void **state)
{
	char lines[LINES][LINE], env[64];
	struct stat st;

	(void)state;
	no_systemd();
	capture_start();
	assert_int_equal(fstat(2, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	wf_log_set_format(WF_LOG_FORMAT_AUTO);
	log_info("case 6.1");
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", env, 1);
	wf_log_set_format(WF_LOG_FORMAT_AUTO);
	log_info("case 6.2");
	setenv("JOURNAL_STREAM", "garbage", 1);
	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
	wf_log_set_format(WF_LOG_FORMAT_AUTO);
	log_info("case 6.3");
	no_systemd();
	wf_log_set_format(WF_LOG_FORMAT_AUTO);
	log_info("case 6.4");
	assert_int_equal(capture_lines(lines), 4);
	assert_string_equal(lines[0], "<6>weft: info: case 6.1");
	assert_true(matches("^" STAMP " weft: info: case 6.2$", lines[1]));
	assert_string_equal(lines[2], "<6>weft: info: case 6.3");
	assert_true(matches("^" STAMP " weft: info: case 6.4$", lines[3]));
}

/* 7. JSON: every message parses back to itself, whatever it holds. */
static void test_7_json(void **state)
{
	static const char *const msgs[] = {
	    "plain",
	    "quote \" backslash \\ slash /",
	    "newline \n tab \t return \r",
	    "control \x01\x1f del \x7f",
	    "utf-8 caf\xc3\xa9 \xe2\x82\xac",
	    "percent %s %d %%",
	    "",
	};
	enum { N = sizeof(msgs) / sizeof(msgs[0]) };
	char lines[LINES][LINE];
	unsigned n;

	(void)state;
	no_systemd();
	wf_log_set_format(WF_LOG_FORMAT_JSON);
	assert_int_equal(wf_log_get_format(), WF_LOG_FORMAT_JSON);
	capture_start();
	for (unsigned i = 0; i < N; i++)
		log_info("%s", msgs[i]);
	errno = EACCES;
	log_error("open %s", "f");
	n = capture_lines(lines);
	assert_int_equal(n, N + 1);
	for (unsigned i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(lines[i]);
		const char *want = i < N ? msgs[i] : "open f: Permission denied";

		if (!o)
			fail_msg("case 7.%u: not JSON: %s", i + 1, lines[i]);
		assert_int_equal(cJSON_GetArraySize(o), 3);
		assert_true(matches("^" STAMP "$", cJSON_GetObjectItem(o, "time")->valuestring));
		assert_string_equal(cJSON_GetObjectItem(o, "level")->valuestring,
				    i < N ? "info" : "error");
		if (strcmp(cJSON_GetObjectItem(o, "msg")->valuestring, want))
			fail_msg("case 7.%u: msg came back as '%s'", i + 1,
				 cJSON_GetObjectItem(o, "msg")->valuestring);
		assert_null(strchr(lines[i], '\n'));
		cJSON_Delete(o);
	}
}

/* 8. JSON under systemd: the priority first (journald strips it), then the
 * object; a rate-limited line keeps its count of what was left out. */
static void test_8_json_journal(void **state)
{
	struct wf_log_limit l = {0};
	char lines[LINES][LINE];
	cJSON *o;

	(void)state;
	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
	wf_log_set_format(WF_LOG_FORMAT_JSON);
	no_systemd();
	capture_start();
	log_warnx("case 8");
	for (int i = 0; i < WF_LOG_LIMIT_BURST + 3; i++)
		wf_log_limited(&l, WF_LOG_WARN, "case 8 limited");
	__atomic_store_n(&l.tat_ms, 0, __ATOMIC_RELAXED); /* as if the period passed */
	wf_log_limited(&l, WF_LOG_WARN, "case 8 limited");
	assert_int_equal(capture_lines(lines), 1 + WF_LOG_LIMIT_BURST + 1);
	assert_memory_equal(lines[0], "<4>{", 4);
	o = cJSON_Parse(lines[0] + 3);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "msg")->valuestring, "case 8");
	cJSON_Delete(o);
	o = cJSON_Parse(lines[WF_LOG_LIMIT_BURST + 1] + 3);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "msg")->valuestring,
			    "case 8 limited (3 similar messages left out)");
	cJSON_Delete(o);
}

/* 9. The names weft.conf will take. */
static void test_9_parse(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		enum wf_log_format f;
	} cases[] = {
	    {"auto", true, WF_LOG_FORMAT_AUTO},
	    {"text", true, WF_LOG_FORMAT_TEXT},
	    {"journal", true, WF_LOG_FORMAT_JOURNAL},
	    {"json", true, WF_LOG_FORMAT_JSON},
	    {"JSON", false, 0},
	    {"", false, 0},
	    {"jsonl", false, 0},
	};
	enum wf_log_format f;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f = (enum wf_log_format)99;
		if (wf_log_format_parse(cases[i].s, &f) != cases[i].ok ||
		    (cases[i].ok && f != cases[i].f))
			fail_msg("case 9.%zu: '%s'", i + 1, cases[i].s);
	}
}

/* 10. Milliseconds are cut, not rounded; a time no calendar holds stays. */
static void test_10_utc_ms(void **state)
{
	char buf[WF_UTC_LEN];

	(void)state;
	assert_string_equal(wf_utc_ms(0, buf), "1970-01-01T00:00:00.000Z");
	assert_string_equal(wf_utc_ms(1796652000999999999ULL, buf), "2026-12-07T14:00:00.999Z");
	assert_string_equal(wf_utc_ms(1796652000001000000ULL, buf), "2026-12-07T14:00:00.001Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_1_burst),   cmocka_unit_test(test_2_threads),
	    cmocka_unit_test(test_3_utc),     cmocka_unit_test(test_4_text),
	    cmocka_unit_test(test_5_journal), cmocka_unit_test(test_6_auto),
	    cmocka_unit_test(test_7_json),    cmocka_unit_test(test_8_json_journal),
	    cmocka_unit_test(test_9_parse),   cmocka_unit_test(test_10_utc_ms),
	};

	wf_log_set_level(WF_LOG_INFO);
	wf_log_set_format(WF_LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
