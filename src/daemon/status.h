/* SPDX-License-Identifier: MIT */
/*
 * What the control socket answers: status, and the answer format. status.c.
 */
#ifndef WEFT_DAEMON_STATUS_H
#define WEFT_DAEMON_STATUS_H

#include <stdbool.h>

struct wf_daemon;

/* An answer on the control socket: {"KEY":"TEXT"} (ok) or {"error":"TEXT"},
 * a line, malloc'd; NULL if out of memory. */
char *wf_control_answer(bool ok, const char *key, const char *text);
char *wf_status_json(struct wf_daemon *d);

#endif
