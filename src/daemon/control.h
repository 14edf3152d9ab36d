/* SPDX-License-Identifier: MIT */
/*
 * The daemon's UNIX control socket. Protocol: the client connects, sends one
 * request line ("status\n"), and reads the response (one JSON text ending in
 * '\n') until EOF. The module never blocks: every connection is non-blocking
 * with a small input buffer and a deadline, so a slow or silent client costs
 * the daemon nothing but a file descriptor for a second or two.
 *
 * Only root and the daemon's own user may talk to it: the socket is mode
 * 0600, and the peer's SO_PEERCRED uid is checked as well.
 */
#ifndef WEFT_CONTROL_H
#define WEFT_CONTROL_H

#include <stddef.h>

enum {
	WF_CONTROL_MAX_CONNS = 8,      /* more wait in the listen backlog */
	WF_CONTROL_MAX_REQUEST = 256,  /* longer request lines get an error response */
	WF_CONTROL_DEADLINE_MS = 2000, /* from accept to the last byte of the response */
};

/* The listening socket and at most WF_CONTROL_MAX_CONNS connections. */
struct wf_control;

/* Gets the request line without its newline (e.g. "status", "reload") and
 * returns a malloc'd response (JSON text; a final '\n' is added if missing;
 * an unknown request is the handler's to answer), or NULL when out of
 * memory, which is answered {"error":"out of memory"}. The control module
 * frees the response. */
typedef char *(*wf_control_handler)(const char *request, void *arg);

/* Create the socket at path (its directory is made, 0700, if missing). A
 * stale socket left by a dead daemon is replaced; a live one, or a path that
 * is not a socket, is refused. On failure returns NULL with a one-line
 * message in err. */
struct wf_control *wf_control_open(const char *path, wf_control_handler h, void *arg, char *err,
				   size_t errlen);

/* One fd for the caller's epoll (EPOLLIN, level-triggered). It is an epoll
 * fd of its own holding the listening socket, the connections and a timer,
 * so the caller never has to track the connections. */
int wf_control_fd(const struct wf_control *c);

/* Call when wf_control_fd() is readable: accepts, reads, answers, writes
 * and expires connections as far as possible without blocking. */
void wf_control_handle(struct wf_control *c);

/* Close everything and unlink the socket path (if it is still ours).
 * NULL is a no-op. */
void wf_control_close(struct wf_control *c);

#endif
