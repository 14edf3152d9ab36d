/* SPDX-License-Identifier: MIT */
/*
 * src/common/notify.c against a real datagram socket, as systemd's would
 * be: a path and an abstract name, what each call sends byte for byte, the
 * sender's credentials (how systemd tells which unit spoke), and the
 * watchdog's environment. Cases are numbered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/notify.h"

struct listener {
	int fd;
	char env[128]; /* what NOTIFY_SOCKET says */
	char path[108];
};

/* A datagram socket at a path (abstract false) or an abstract name, with
 * SO_PASSCRED as systemd sets it; NOTIFY_SOCKET names it. */
static void listen_on(struct listener *l, bool abstract)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t len;
	int on = 1;

	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(setsockopt(l->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	if (abstract) {
		snprintf(l->env, sizeof(l->env), "@weft-test-notify-%d", (int)getpid());
		memcpy(sa.sun_path + 1, l->env + 1, strlen(l->env) - 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->env));
		l->path[0] = '\0';
	} else {
		snprintf(l->path, sizeof(l->path), "/tmp/weft-test-notify-%d.sock", (int)getpid());
		unlink(l->path);
		snprintf(l->env, sizeof(l->env), "%s", l->path);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
		len = sizeof(sa);
	}
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", l->env, 1), 0);
}

static void listen_end(struct listener *l)
{
	close(l->fd);
	if (l->path[0])
		unlink(l->path);
	unsetenv("NOTIFY_SOCKET");
}

/* The datagram waiting (sent before this is called: no wait), as a string;
 * its sender's pid in *pid. */
static void receive(struct listener *l, char *buf, size_t cap, pid_t *pid)
{
	char control[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = {.iov_base = buf, .iov_len = cap - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control,
			    .msg_controllen = sizeof(control)};
	struct cmsghdr *c;
	ssize_t n = recvmsg(l->fd, &mh, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	*pid = 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			*pid = ((struct ucred *)(void *)CMSG_DATA(c))->pid;
}

static void expect(struct listener *l, const char *want)
{
	char buf[WF_NOTIFY_MAX + 1];
	pid_t pid;

	receive(l, buf, sizeof(buf), &pid);
	assert_string_equal(buf, want);
	assert_int_equal(pid, getpid());
}

/* 1. No manager: nothing enabled, every call a quiet success. */
static void test_1_no_manager(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_false(wf_notify_enabled());
	assert_int_equal(wf_notify_ready("up"), 0);
	assert_int_equal(wf_notify_watchdog(), 0);
	assert_int_equal(wf_notify_stopping(), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_false(wf_notify_enabled());
	assert_int_equal(wf_notify("READY=1"), 0);
	unsetenv("NOTIFY_SOCKET");
}

/* 2-3. Each message, to a path and to an abstract name, from this pid. */
static void each_message(bool abstract)
{
	struct listener l;

	listen_on(&l, abstract);
	assert_true(wf_notify_enabled());
	assert_int_equal(wf_notify_ready(NULL), 0);
	expect(&l, "READY=1");
	assert_int_equal(wf_notify_ready("node a up on weft0, 3 peers"), 0);
	expect(&l, "READY=1\nSTATUS=node a up on weft0, 3 peers");
	assert_int_equal(wf_notify_status("2 of 3\npeers up"), 0);
	expect(&l, "STATUS=2 of 3 peers up"); /* one line: no key smuggled in */
	assert_int_equal(wf_notify_stopping(), 0);
	expect(&l, "STOPPING=1");
	assert_int_equal(wf_notify_watchdog(), 0);
	expect(&l, "WATCHDOG=1");
	assert_int_equal(wf_notifyf("ERRNO=%d", 5), 0);
	expect(&l, "ERRNO=5");
	listen_end(&l);
}

static void test_2_path(void **state)
{
	(void)state;
	each_message(false);
}

static void test_3_abstract(void **state)
{
	(void)state;
	each_message(true);
}

static unsigned long long mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

/* 4. RELOADING=1 carries CLOCK_MONOTONIC in microseconds, taken during the
 * call (systemd 253 matches it against the reload it started). */
static void test_4_reloading(void **state)
{
	unsigned long long before, after, t;
	struct listener l;
	char buf[256];
	pid_t pid;

	(void)state;
	listen_on(&l, false);
	before = mono_usec();
	assert_int_equal(wf_notify_reloading(), 0);
	after = mono_usec();
	receive(&l, buf, sizeof(buf), &pid);
	assert_int_equal(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu", &t), 1);
	assert_true(before <= t && t <= after);
	listen_end(&l);
}

/* 5. What cannot be sent is said: nobody at the path, an address kind
 * weft does not speak, a message too long. */
static void test_5_errors(void **state)
{
	char big[WF_NOTIFY_MAX + 16];

	(void)state;
	setenv("NOTIFY_SOCKET", "/tmp/weft-test-notify-nobody.sock", 1);
	assert_int_equal(wf_notify("READY=1"), -ENOENT);
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	assert_int_equal(wf_notify("READY=1"), -EAFNOSUPPORT);
	setenv("NOTIFY_SOCKET", "@", 1);
	assert_int_equal(wf_notify("READY=1"), -EAFNOSUPPORT);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setenv("NOTIFY_SOCKET", "/tmp/weft-test-notify-nobody.sock", 1);
	assert_int_equal(wf_notifyf("STATUS=%s", big), -EMSGSIZE);
	unsetenv("NOTIFY_SOCKET");
}

/* 6. The watchdog's period: from WATCHDOG_USEC, only for the process
 * WATCHDOG_PID names (when it names one), 0 for anything malformed. */
static void test_6_watchdog_usec(void **state)
{
	static const struct {
		const char *usec, *pid; /* NULL: unset; "self": getpid() */
		uint64_t want;
	} cases[] = {
	    {NULL, NULL, 0},
	    {"30000000", NULL, 30000000},
	    {"30000000", "self", 30000000},
	    {"30000000", "1", 0},
	    {"-5", NULL, 0},
	    {"30s", NULL, 0},
	    {"", NULL, 0},
	    {"30000000", "", 30000000},
	};
	char self[32];

	(void)state;
	snprintf(self, sizeof(self), "%d", (int)getpid());
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].usec)
			setenv("WATCHDOG_USEC", cases[i].usec, 1);
		else
			unsetenv("WATCHDOG_USEC");
		if (cases[i].pid)
			setenv("WATCHDOG_PID", strcmp(cases[i].pid, "self") ? cases[i].pid : self,
			       1);
		else
			unsetenv("WATCHDOG_PID");
		if (wf_notify_watchdog_usec() != cases[i].want)
			fail_msg("case 6.%zu: %s / %s", i + 1,
				 cases[i].usec ? cases[i].usec : "unset",
				 cases[i].pid ? cases[i].pid : "unset");
	}
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_1_no_manager), cmocka_unit_test(test_2_path),
	    cmocka_unit_test(test_3_abstract),	 cmocka_unit_test(test_4_reloading),
	    cmocka_unit_test(test_5_errors),	 cmocka_unit_test(test_6_watchdog_usec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
