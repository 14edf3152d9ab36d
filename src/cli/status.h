/* SPDX-License-Identifier: MIT */
/*
 * weft status: the client side of the control socket. The status JSON it
 * reads is specified in docs/status-json.md.
 */
#ifndef WEFT_STATUS_H
#define WEFT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Render a status document (docs/status-json.md) as the human-readable
 * table; now (Unix seconds) is for certificate expiry. Fails with a one-line
 * message in err if json is not a version 1 status document, or is the
 * daemon's {"error": ...} answer. */
bool wf_status_render(FILE *out, const char *json, int64_t now, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* weft status --check: the line for a monitoring system (the Nagios
 * plugins' convention), and the exit status it goes with. */
enum { WF_CHECK_OK, WF_CHECK_WARNING, WF_CHECK_CRITICAL, WF_CHECK_UNKNOWN };
int wf_status_check(FILE *out, const char *json, int64_t now);

/* weft status --dump: the node on one line, then a line a peer, fields
 * separated by tabs (docs/cli.md lists them); false with a message in err
 * as wf_status_render. */
bool wf_status_dump(FILE *out, const char *json, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* weft status --watch: each peer of `after` with its rates since `before`,
 * secs earlier (bytes, packets and drops a second). */
bool wf_status_rates(FILE *out, const char *before, const char *after, double secs, char *err,
		     size_t errlen) __attribute__((warn_unused_result));

/* Send one request line (without newline) to the control socket at path
 * and return the daemon's malloc'd answer. On failure returns NULL with
 * errno set and a message in err. */
char *wf_status_query(const char *path, const char *request, char *err, size_t errlen);

/* The words of a one-line answer: {"KEY":"TEXT"} is true, {"error":"TEXT"}
 * (or anything else) false. */
bool wf_status_answer(const char *resp, const char *key, char *text, size_t cap);

/* The control socket of NODEDIR (dir; NULL: the one node directory under
 * /etc/weft), or sock if given; prints why not and fails. lenient: a
 * weft.conf that does not parse is warned of, and its control line (or
 * the default) taken anyway: the running daemon read an earlier file. */
bool wf_status_socket_path(const char *dir, const char *sock, bool lenient, char *buf,
			   size_t len);

/* The one node directory under $WEFT_CONFIG_ROOT (default /etc/weft): the
 * root itself if it holds a weft.conf, else its one subdirectory that does;
 * prints why not (none, several) and fails. */
bool wf_status_default_dir(char *buf, size_t len);

#endif
