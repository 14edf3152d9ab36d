/* SPDX-License-Identifier: MIT */
/*
 * systemd-resolved (dns-resolved = yes; docs/deploy.md "Names (DNS)"): once
 * the device is up and names.c answers on it, the link's DNS servers are
 * this node's overlay addresses and its routing domain ~DOMAIN, set over
 * D-Bus (org.freedesktop.resolve1.Manager SetLinkDNS, SetLinkDomains), so
 * that the host's own lookups of NAME.DOMAIN reach weft and nothing else
 * does. Reverted (RevertLink) when the daemon stops; resolved also forgets a
 * link that goes away. Every failure is a warning, never fatal: names still
 * answer on port 53 for whoever asks them directly. Control thread only; each
 * call blocks for at most WF_RESOLVED_TIMEOUT_MS.
 */
#ifndef WEFT_DAEMON_RESOLVED_H
#define WEFT_DAEMON_RESOLVED_H

#include <stdbool.h>

struct wf_daemon;

enum { WF_RESOLVED_TIMEOUT_MS = 2000 };

struct wf_resolved {
	bool set;      /* resolved took the link's servers and domain */
	char why[160]; /* the last failure, for status; empty if none */
};

/* Set the link's servers and domain, if weft.conf asks for it and names
 * answer on the device. */
void wf_resolved_start(struct wf_daemon *d);
/* The domain changed (a reload): set it again. */
void wf_resolved_domain(struct wf_daemon *d);
/* Give the link back to resolved's own configuration. */
void wf_resolved_stop(struct wf_daemon *d);
/* "off", "set", or why not, for status. */
const char *wf_resolved_state(const struct wf_daemon *d);

#endif
