/* SPDX-License-Identifier: MIT */
/*
 * src/daemon/service.c: what the daemon tells the service manager, on a real
 * datagram socket standing for systemd's, from a daemon with one worker:
 * READY with the peer count, the watchdog's pings only while the worker
 * makes progress, RELOADING and READY around a reload, STOPPING. The rule
 * of a stuck worker first, as a table. Cases are numbered.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/harness.h"
#include "daemon/notice.h"
#include "daemon/peer.h"
#include "daemon/service.h"

/* 1-9: the rule: (count at the last check, work waited then) and (count
 * now, work waiting now) -> stuck. */
static void test_rule(void **state)
{
	static const struct {
		uint64_t before;
		bool waited;
		uint64_t now;
		bool waiting, stuck;
	} rows[] = {
	    /* 1 */ {4, false, 4, false, false}, /* idle, nothing to do */
	    /* 2 */ {4, false, 6, false, false}, /* woke and went back */
	    /* 3 */ {4, true, 6, true, false},	 /* busy: each check finds work, the count moves */
	    /* 4 */ {5, false, 7, false, false}, /* in another batch: moved */
	    /* 5 */ {5, false, 5, false, true},	 /* in one batch since the last check */
	    /* 6 */ {5, true, 5, true, true},
	    /* 7 */ {4, false, 4, true, false}, /* work just came: the next check tells */
	    /* 8 */ {4, true, 4, true, true},	/* work waited a whole period: asleep on it */
	    /* 9 */ {4, true, 4, false, false}, /* no longer waiting: nothing to say */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct wf_service_worker w = {.qs = rows[i].before, .waited = rows[i].waited};

		if (wf_service_worker_stuck(&w, rows[i].now, rows[i].waiting) != rows[i].stuck) {
			print_error("case %zu: stuck is not %d\n", i + 1, rows[i].stuck);
			fail();
		}
		assert_int_equal(w.qs, rows[i].now);
		assert_int_equal(w.waited, rows[i].waiting);
	}
}

static int listen_fd = -1;
static char sock_path[108];

/* The next datagram the daemon sent, as text; "" if none is waiting. */
static const char *said(void)
{
	static char buf[4096];
	ssize_t n = recv(listen_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* 10-18: a daemon with one worker, the watchdog's period 2 s (a check a
 * second), the worker's epoll fd real (an eventfd in it stands for its
 * queue of the TUN device). */
static void test_daemon(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct hn_node v;
	struct wf_daemon *d;
	struct wf_worker *w;
	struct epoll_event ev = {.events = EPOLLIN};
	int work = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t one = 1;
	int64_t t = HN_NOW;

	(void)state;
	wf_crypto_init();
	wf_log_set_level(WF_LOG_ERROR);
	snprintf(sock_path, sizeof(sock_path), "/tmp/weft-test-service-%d.sock", (int)getpid());
	unlink(sock_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	listen_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(listen_fd >= 0 && work >= 0);
	assert_int_equal(bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	assert_int_equal(setenv("WATCHDOG_USEC", "2000000", 1), 0);
	unsetenv("WATCHDOG_PID");
	assert_true(hn_network() && hn_node(&v, "v", 1, "100.64.0.1", NULL, 60));
	d = hn_daemon(&v);
	assert_non_null(d);
	assert_true(wf_workers_alloc(d, 1));
	wf_worker_init(d, 0, d->tun_fd, d->udp_fd);
	w = &d->dp.w[0];
	w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = work;
	assert_int_equal(epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, work, &ev), 0);

	/* 10: ready, with what systemctl status shows */
	wf_service_ready(d, t);
	assert_string_equal(said(), "READY=1\nSTATUS=0 of 0 peers up");
	/* 11: nothing before a check is due; then a ping (the worker idle) */
	wf_service_tick(d, t + 999);
	assert_string_equal(said(), "");
	wf_service_tick(d, t += 1000);
	assert_string_equal(said(), "WATCHDOG=1\nSTATUS=0 of 0 peers up");
	/* 12: in one batch (odd) at a check and still at the next: no ping */
	w->qs = 7;
	wf_service_tick(d, t += 1000);
	assert_string_equal(said(), "WATCHDOG=1\nSTATUS=0 of 0 peers up"); /* it moved, to 7 */
	wf_service_tick(d, t += 1000);
	assert_string_equal(said(), "");
	assert_int_equal(d->svc.stuck, 1);
	/* 13: out of it: pings again */
	w->qs = 8;
	wf_service_tick(d, t += 1000);
	assert_string_equal(said(), "WATCHDOG=1\nSTATUS=0 of 0 peers up");
	assert_int_equal(d->svc.stuck, 0);
	/* 14: idle, with work waiting at two checks in a row (it never woke
	 * for it): the second gets no ping; taken, pings again */
	assert_int_equal(write(work, &one, sizeof(one)), (ssize_t)sizeof(one));
	wf_service_tick(d, t += 1000);
	assert_string_equal(said(), "WATCHDOG=1\nSTATUS=0 of 0 peers up");
	wf_service_tick(d, t += 1000);
	assert_string_equal(said(), "");
	assert_int_equal(read(work, &one, sizeof(one)), (ssize_t)sizeof(one));
	w->qs = 10;
	wf_service_tick(d, t += 1000);
	assert_string_equal(said(), "WATCHDOG=1\nSTATUS=0 of 0 peers up");
	/* 15: a reload: RELOADING with the monotonic time, then READY */
	wf_service_reloading();
	assert_non_null(strstr(said(), "RELOADING=1\nMONOTONIC_USEC="));
	wf_service_reloaded(d, t);
	assert_string_equal(said(), "READY=1\nSTATUS=0 of 0 peers up");
	/* 16: stopping */
	wf_service_stopping();
	assert_string_equal(said(), "STOPPING=1");

	/* 17: peers: one called (full mesh) is not up; on demand, idle ones
	 * are said apart and not counted as expected up, as status --check
	 * has it */
	{
		struct hn_node a, b;

		assert_true(hn_node(&a, "a", 2, "100.64.0.2", NULL, 60) &&
			    hn_node(&b, "b", 3, "100.64.0.3", NULL, 60));
		assert_non_null(wf_peer_add(d, &a.cert, t));
		assert_non_null(wf_peer_add(d, &b.cert, t));
		wf_service_reloaded(d, t);
		assert_string_equal(said(), "READY=1\nSTATUS=0 of 2 peers up");
		wf_gossip_set_sparse(&d->mem.gossip, true, t);
		wf_service_reloaded(d, t);
		assert_string_equal(said(), "READY=1\nSTATUS=0 of 0 peers up, 2 idle (sessions on demand)");
	}
	/* 18: this node's certificate on the list: STATUS= says so at once, and
	 * at each ping after */
	{
		char want[160];

		d->mem.revoked.version = 3;
		assert_true(wf_revoke_add(&d->mem.revoked, d->node.self.serial));
		wf_notice_self_check(d, t);
		snprintf(want, sizeof(want),
			 "STATUS=revoked: this node's certificate (serial %016" PRIx64
			 ") is on the CA's list version 3; ask the CA for a new one",
			 d->node.self.serial);
		assert_string_equal(said(), want);
		wf_service_tick(d, t += 1000);
		assert_string_equal(said() + strlen("WATCHDOG=1\n"), want);
		assert_true(wf_notice_self_revoked(d));
	}

	wf_service_release(d);
	close(w->epoll_fd);
	w->epoll_fd = -1;
	close(work);
	hn_daemon_free(d);
	close(listen_fd);
	unlink(sock_path);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule),
	    cmocka_unit_test(test_daemon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
