/* SPDX-License-Identifier: MIT */
/* The control socket over real UNIX sockets in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/control.h"

static char tmp[64], sock_path[100];
static char last_request[512];
static unsigned calls;
static size_t big_len; /* "big" asks for a response this long */

static char *handler(const char *req, void *arg)
{
	char *r;

	assert_ptr_equal(arg, &calls);
	calls++;
	snprintf(last_request, sizeof(last_request), "%s", req);
	if (!strcmp(req, "status"))
		return strdup("{\"ok\":true}"); /* the module adds the newline */
	if (!strcmp(req, "reload"))
		return strdup("{\"reloaded\":true}\n");
	if (!strcmp(req, "nomem"))
		return NULL; /* as a handler out of memory */
	if (!strcmp(req, "big")) {
		r = malloc(big_len + 1);
		memset(r, 'x', big_len);
		r[big_len] = '\0';
		return r;
	}
	return strdup("{\"error\":\"unknown request\"}"); /* as the daemon's */
}

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/weft-test-control-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/run/weft/weft.sock", tmp);
	calls = 0;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd);
}

static struct wf_control *open_ok(void)
{
	char err[256] = "";
	struct wf_control *c = wf_control_open(sock_path, handler, &calls, err, sizeof(err));

	if (!c)
		print_error("wf_control_open: %s\n", err);
	assert_non_null(c);
	return c;
}

static int client_connect(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Drive the server until the client fd sees EOF; returns what was read. */
static char *collect(struct wf_control *c, int fd, size_t *outlen)
{
	struct pollfd pfd[2] = {{.fd = wf_control_fd(c), .events = POLLIN},
				{.fd = fd, .events = POLLIN}};
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	assert_non_null(buf);
	for (;;) {
		assert_true(poll(pfd, 2, 3000) > 0);
		if (pfd[0].revents & POLLIN)
			wf_control_handle(c);
		if (!(pfd[1].revents & (POLLIN | POLLHUP)))
			continue;
		if (len + 4096 > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (outlen)
		*outlen = len;
	close(fd);
	return buf;
}

static char *request(struct wf_control *c, const char *req, bool shut)
{
	int fd = client_connect();

	assert_true(fd >= 0);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	if (shut)
		shutdown(fd, SHUT_WR);
	return collect(c, fd, NULL);
}

static void expect_response(struct wf_control *c, const char *req, bool shut, const char *want)
{
	char *got = request(c, req, shut);

	assert_string_equal(got, want);
	free(got);
}

static void test_request_response(void **state)
{
	struct wf_control *c = open_ok();
	struct stat st;

	/* 1: status, newline added by the module */
	expect_response(c, "status\n", true, "{\"ok\":true}\n");
	assert_string_equal(last_request, "status");
	/* 2: a response that already ends in a newline is left alone */
	expect_response(c, "reload\n", false, "{\"reloaded\":true}\n");
	/* 3: CRLF and a request ended by EOF instead of a newline */
	expect_response(c, "status\r\n", false, "{\"ok\":true}\n");
	expect_response(c, "status", true, "{\"ok\":true}\n");
	/* 4: unknown and empty requests */
	expect_response(c, "frobnicate\n", true, "{\"error\":\"unknown request\"}\n");
	assert_string_equal(last_request, "frobnicate");
	expect_response(c, "\n", true, "{\"error\":\"unknown request\"}\n");
	/* 7: a handler out of memory is answered so, not "unknown request" */
	expect_response(c, "nomem\n", true, "{\"error\":\"out of memory\"}\n");
	/* 5: a request line past the limit never reaches the handler */
	calls = 0;
	{
		char longreq[WF_CONTROL_MAX_REQUEST + 64];

		memset(longreq, 'a', sizeof(longreq) - 1);
		longreq[sizeof(longreq) - 1] = '\0';
		expect_response(c, longreq, false, "{\"error\":\"request too long\"}\n");
	}
	assert_int_equal(calls, 0);
	/* 6: the socket is 0600, its new directory 0700; close removes it */
	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	*strrchr(sock_path, '/') = '\0';
	assert_int_equal(stat(sock_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	strcat(sock_path, "/weft.sock");
	wf_control_close(c);
	assert_int_equal(access(sock_path, F_OK), -1);
	wf_control_close(NULL);
}

/* A response much larger than the socket buffer goes out over many calls. */
static void test_big_response(void **state)
{
	struct wf_control *c = open_ok();
	size_t len;
	char *got;
	int fd;

	big_len = 4 << 20;
	fd = client_connect();
	assert_int_equal(send(fd, "big\n", 4, 0), 4);
	got = collect(c, fd, &len);
	assert_int_equal(len, big_len + 1);
	assert_int_equal(got[0], 'x');
	assert_int_equal(got[big_len], '\n');
	free(got);
	wf_control_close(c);
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Silent clients neither block the daemon nor keep others out, and are
 * dropped at their deadline. */
static void test_silent_clients(void **state)
{
	struct wf_control *c = open_ok();
	int silent[WF_CONTROL_MAX_CONNS + 2], i;
	struct pollfd pfd = {.fd = wf_control_fd(c), .events = POLLIN};
	uint64_t start;
	char b;

	for (i = 0; i < WF_CONTROL_MAX_CONNS + 2; i++) {
		silent[i] = client_connect();
		assert_true(silent[i] >= 0);
	}
	start = ms_now();
	wf_control_handle(c);
	assert_true(ms_now() - start < 100);
	/* All slots are busy now: a well-behaved client waits in the backlog
	 * and is served once the silent ones expire. */
	start = ms_now();
	expect_response(c, "status\n", true, "{\"ok\":true}\n");
	assert_true(ms_now() - start >= WF_CONTROL_DEADLINE_MS - 100);
	/* The expired ones see EOF. */
	for (i = 0; i < WF_CONTROL_MAX_CONNS; i++) {
		assert_int_equal(recv(silent[i], &b, 1, 0), 0);
		close(silent[i]);
	}
	/* The last two were accepted late; let them expire too. */
	while (poll(&pfd, 1, 3000) > 0) {
		wf_control_handle(c);
		if (recv(silent[WF_CONTROL_MAX_CONNS], &b, 1, MSG_DONTWAIT) == 0 &&
		    recv(silent[WF_CONTROL_MAX_CONNS + 1], &b, 1, MSG_DONTWAIT) == 0)
			break;
	}
	close(silent[WF_CONTROL_MAX_CONNS]);
	close(silent[WF_CONTROL_MAX_CONNS + 1]);
	/* And the module is idle: no timer left firing. */
	wf_control_handle(c);
	assert_int_equal(poll(&pfd, 1, 200), 0);
	wf_control_close(c);
}

static void test_stale_replaced(void **state)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct wf_control *c;
	int fd;

	/* A socket file nobody listens on, as a crashed daemon leaves it. */
	c = open_ok();
	wf_control_close(c);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
	assert_int_equal(access(sock_path, F_OK), 0);
	c = open_ok();
	expect_response(c, "status\n", true, "{\"ok\":true}\n");
	wf_control_close(c);
}

static void test_live_refused(void **state)
{
	struct wf_control *c = open_ok(), *c2;
	char err[256], want[256];
	int fd;

	c2 = wf_control_open(sock_path, handler, &calls, err, sizeof(err));
	assert_null(c2);
	snprintf(want, sizeof(want), "another weft daemon is running on %s", sock_path);
	assert_string_equal(err, want);
	/* The first one is untouched. */
	expect_response(c, "status\n", true, "{\"ok\":true}\n");
	wf_control_close(c);

	/* Not a socket: refused, and the file is left alone. */
	fd = creat(sock_path, 0644);
	assert_true(fd >= 0);
	close(fd);
	c2 = wf_control_open(sock_path, handler, &calls, err, sizeof(err));
	assert_null(c2);
	snprintf(want, sizeof(want), "%s exists and is not a socket", sock_path);
	assert_string_equal(err, want);
	assert_int_equal(access(sock_path, F_OK), 0);
}

/* Close does not remove a socket that a newer daemon put in our place. */
static void test_close_keeps_replacement(void **state)
{
	struct wf_control *c = open_ok(), *c2;

	assert_int_equal(unlink(sock_path), 0);
	c2 = open_ok();
	wf_control_close(c);
	assert_int_equal(access(sock_path, F_OK), 0);
	expect_response(c2, "status\n", true, "{\"ok\":true}\n");
	wf_control_close(c2);
}

/* Another user: the 0600 mode keeps it out, and so does SO_PEERCRED when
 * the mode is loosened. Needs root to switch users. */
static void test_other_user(void **state)
{
	struct pollfd pfd;
	struct wf_control *c;
	int status = 0;
	pid_t pid, r;

	if (geteuid() != 0)
		skip(); /* reported as skipped, not passed: it needs root */
	c = open_ok();
	assert_int_equal(chmod(tmp, 0755), 0); /* mkdtemp made it 0700 */
	assert_int_equal(chmod(sock_path, 0666), 0);
	*strrchr(sock_path, '/') = '\0';
	assert_int_equal(chmod(sock_path, 0755), 0);
	*strrchr(sock_path, '/') = '\0';
	assert_int_equal(chmod(sock_path, 0755), 0);
	strcat(sock_path, "/weft/weft.sock");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[64];
		int fd;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		fd = client_connect();
		if (fd < 0)
			_exit(11);
		/* Refused: closed without a response (EOF or reset), maybe even
		 * before the request is sent. */
		if (send(fd, "status\n", 7, MSG_NOSIGNAL) != 7)
			_exit(errno == EPIPE || errno == ECONNRESET ? 0 : 12);
		_exit(recv(fd, buf, sizeof(buf), 0) <= 0 ? 0 : 13);
	}
	pfd = (struct pollfd){.fd = wf_control_fd(c), .events = POLLIN};
	while ((r = waitpid(pid, &status, WNOHANG)) == 0)
		if (poll(&pfd, 1, 50) > 0)
			wf_control_handle(c);
	assert_int_equal(r, pid);
	if (!WIFEXITED(status))
		print_error("child status %#x\n", status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(calls, 0);

	/* With the real mode, connect itself fails. */
	assert_int_equal(chmod(sock_path, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		_exit(client_connect() < 0 && errno == EACCES ? 0 : 14);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	wf_control_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_keeps_replacement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_user, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
