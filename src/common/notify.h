/* SPDX-License-Identifier: MIT */
/*
 * The service manager's notification protocol (sd_notify(3)): one datagram of
 * "KEY=VALUE\n" lines to the AF_UNIX socket named by $NOTIFY_SOCKET, a path
 * ("/run/systemd/notify") or an abstract name ("@..."). Without the variable
 * (not started by systemd, or a unit that is not Type=notify) every call
 * does nothing and returns 0, so the daemon calls these unconditionally.
 *
 * Written here rather than linked from libsystemd: the protocol is a few
 * lines, documented as stable, and systemd's own sd_notify(3) shows a
 * standalone implementation; the daemon keeps its dependencies to OpenSSL
 * and cJSON, and nothing of libsystemd's would run on the packet path anyway.
 *
 * Calls are safe from any thread (a socket per call, no state but the
 * environment, which the daemon never changes).
 */
#ifndef WEFT_NOTIFY_H
#define WEFT_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

enum { WF_NOTIFY_MAX = 4096 }; /* one message, all lines */

/* Is a service manager listening ($NOTIFY_SOCKET set)? */
bool wf_notify_enabled(void);

/* Send state, "KEY=VALUE" lines separated by '\n' (no trailing newline
 * needed). 0 when sent or when no manager listens; -errno otherwise. */
int wf_notify(const char *state);
int wf_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The daemon is up: "READY=1" and, if status is not NULL, "STATUS=status". */
int wf_notify_ready(const char *status);
/* A free-form line systemctl status shows ("STATUS=..."). */
int wf_notify_status(const char *status);
/* A reload starts: "RELOADING=1" and "MONOTONIC_USEC=" of CLOCK_MONOTONIC
 * (systemd 253's Type=notify-reload wants both); READY=1 ends it. */
int wf_notify_reloading(void);
/* Shutdown starts: "STOPPING=1". */
int wf_notify_stopping(void);
/* The watchdog's keep-alive: "WATCHDOG=1". */
int wf_notify_watchdog(void);

/* The watchdog period the manager expects pings within, in microseconds,
 * from $WATCHDOG_USEC (and $WATCHDOG_PID, when set, must be this process);
 * 0 when there is no watchdog. Ping at half of it. */
uint64_t wf_notify_watchdog_usec(void);

#endif
