/* SPDX-License-Identifier: MIT */
/*
 * weft up: run the daemon in the foreground.
 *
 * Under systemd (a Type=notify unit: $NOTIFY_SOCKET set) a thread of this
 * process tells the service manager when the daemon is ready, and feeds its
 * watchdog while the daemon's control thread answers, by asking the daemon
 * as `weft status` does: the daemon opens its control socket once its
 * interface, sockets and workers are up, and answers from the control
 * thread's loop, so an answer means "ready" and then "not hung". Phase 2
 * moves both into the daemon (READY after setup, WATCHDOG from its timers,
 * RELOADING and STOPPING around a reload and a shutdown); this thread then
 * goes. Without $NOTIFY_SOCKET nothing of it runs.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/status.h"
#include "common/log.h"
#include "common/notify.h"
#include "daemon/daemon.h"

enum { POLL_MS = 100 }; /* how often to ask until the daemon first answers */

static const char up_usage[] =
    "Usage: weft up [--dir NODEDIR]\n"
    "\n"
    "Run the node's daemon in the foreground: create the interface, join the mesh,\n"
    "and stay until SIGTERM or SIGINT, then remove what it created. Logs go to\n"
    "stderr (systemd's journal picks them up). Under systemd (Type=notify) it says\n"
    "when it is ready and feeds the watchdog.\n"
    "\n"
    "  --dir NODEDIR       the node directory with weft.conf (default /etc/weft)\n"
    "  -h, --help          this help\n";

static char control_path[CLI_PATH_MAX];

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* "3 of 4 peers up" from a status answer; false if it is not one. */
static bool status_line(const char *resp, char *buf, size_t cap)
{
	cJSON *doc = cJSON_Parse(resp), *peers, *p;
	unsigned up = 0, all = 0;

	peers = cJSON_GetObjectItemCaseSensitive(doc, "peers");
	if (!cJSON_IsArray(peers)) {
		cJSON_Delete(doc);
		return false;
	}
	cJSON_ArrayForEach(p, peers)
	{
		cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "state");

		all++;
		up += cJSON_IsString(s) && !strcmp(s->valuestring, "up");
	}
	cJSON_Delete(doc);
	snprintf(buf, cap, "%u of %u peers up", up, all);
	return true;
}

/* Ask the daemon once; its summary in line if it answered. */
static bool ask(char *line, size_t cap)
{
	char err[512];
	char *resp = wf_status_query(control_path, "status", err, sizeof(err));
	bool ok = resp && status_line(resp, line, cap);

	free(resp);
	return ok;
}

static void *notifier(void *arg)
{
	uint64_t watchdog_ms = wf_notify_watchdog_usec() / 1000;
	char line[128];

	(void)arg;
	while (!ask(line, sizeof(line)))
		sleep_ms(POLL_MS);
	wf_notify_ready(line);
	/* Twice a period, as systemd advises; a daemon that stops answering
	 * stops the pings, and systemd restarts it. */
	while (watchdog_ms) {
		sleep_ms(watchdog_ms / 2);
		if (ask(line, sizeof(line)))
			wf_notifyf("WATCHDOG=1\nSTATUS=%s", line);
	}
	return NULL;
}

/* The thread blocks every signal: SIGTERM and SIGHUP are the daemon's
 * (its signalfd), never this thread's to take. */
static void start_notifier(const char *dir)
{
	sigset_t all, old;
	pthread_t t;

	if (!wf_notify_enabled() ||
	    !wf_status_socket_path(dir, NULL, false, control_path, sizeof(control_path)))
		return; /* (a bad weft.conf: the daemon says why, and exits) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&t, NULL, notifier, NULL) == 0)
		pthread_detach(t);
	else
		log_warnx("cannot start the thread that tells systemd we are ready");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	int rc = cli_parse(argc, argv, opts, up_usage, cli_opt_dir, &dir);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	dir = dir ? dir : "/etc/weft";
	start_notifier(dir);
	return wf_daemon_run(dir);
}
