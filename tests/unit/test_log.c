/* SPDX-License-Identifier: MIT */
/*
 * The log's rate limit (src/common/log.c), against a naive count of the
 * lines that reach standard error (a temporary file put in its place).
 * Cases are numbered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_1_burst),
	    cmocka_unit_test(test_2_threads),
	    cmocka_unit_test(test_3_utc),
	};

	wf_log_set_level(WF_LOG_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
