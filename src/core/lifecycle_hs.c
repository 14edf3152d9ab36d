/* SPDX-License-Identifier: MIT */
/*
 * A handshake's events (lifecycle.h): an initiation judged, a response
 * checked, a session proven.
 */
#include "core/lifecycle.h"

/* Before anything is spent: under load, only an address that proved itself
 * (mac2), and within its budget. */
static enum wf_lci_act arrived(const struct wf_lc_init *f)
{
	if (f->under_load && !f->validated)
		return WF_LCI_COOKIE;
	if (f->under_load && !f->rate_ok)
		return WF_LCI_DROP_RATE;
	return WF_LCI_GO;
}

/* Read: the session's judgement. Other sources hold every slot for this
 * key (BUSY): only an initiator that proves its address may push one out. */
static enum wf_lci_act read(const struct wf_lc_init *f)
{
	if (!f->readable)
		return WF_LCI_DROP_MALFORMED;
	if (f->own_key)
		return WF_LCI_OURS;
	switch (f->verdict) {
	case WF_INIT_ACCEPT:
		return WF_LCI_GO;
	case WF_INIT_BUSY:
		return WF_LCI_COOKIE;
	case WF_INIT_REPLAY:
	case WF_INIT_DUPLICATE:
		return WF_LCI_DROP_REPLAY;
	case WF_INIT_FUTURE:
		return WF_LCI_DROP_CLOCK;
	}
	return WF_LCI_DROP_MALFORMED;
}

/* Certified: no amplification. An answer larger than the question goes only
 * to an address that proved it receives; a cookie, much smaller, else. */
static enum wf_lci_act certified(const struct wf_lc_init *f)
{
	if (!f->cert_ok)
		return WF_LCI_DROP_CERT;
	if (!f->validated && !f->fits)
		return WF_LCI_COOKIE;
	return WF_LCI_ANSWER;
}

enum wf_lci_act wf_lc_initiation(const struct wf_lc_init *f)
{
	enum wf_lci_act a = arrived(f);

	if (a != WF_LCI_GO || f->stage == WF_LCI_ARRIVED)
		return a;
	a = read(f);
	if (a != WF_LCI_GO || f->stage == WF_LCI_READ)
		return a;
	return certified(f);
}

/* A response must pass every check before it may cost us our handshake: a
 * Noise-valid one from someone else (anyone with ca.crt can make one with
 * his own key) is dropped, and the real answer can still come. */
enum wf_lcr_act wf_lc_response(const struct wf_lc_resp *f)
{
	if (!f->readable)
		return WF_LCR_DROP_MALFORMED;
	if (!f->cert_ok)
		return WF_LCR_DROP_CERT;
	if (f->other)
		return WF_LCR_DROP_OTHER;
	if (f->own_key)
		return WF_LCR_DROP_OURS;
	return WF_LCR_TAKE;
}

/*
 * The order is the point:
 *   - the routes are claimed (PROVEN) and published before the keys are
 *     made ready: a worker that finds the keys finds the routes too, and
 *     never drops the first packets as coming from nowhere;
 *   - the keys are ready before the keypairs that fell out go, so a packet
 *     always has a keypair to be sent on;
 *   - the data path is told after the keys are the session's, so that the
 *     kernel's SAs are made from the keys that won (and the responder's
 *     keepalive can say that they are in); the userspace path has nothing
 *     to do there (it reads the published keys), the step runs for every
 *     session all the same, since a path turned off may hold SAs to undo;
 *   - what waited is sent last, on keys every thread can use.
 */
size_t wf_lc_proven(const struct wf_lc_proof *f, enum wf_lc_step out[WF_LCS_MAX])
{
	size_t n = 0;

	if (f->other_hs)
		out[n++] = WF_LCS_ABORT_HS;
	out[n++] = WF_LCS_INSTALL;
	out[n++] = WF_LCS_PROVEN;
	if (f->we_initiated)
		out[n++] = WF_LCS_ENDPOINT; /* (the responder's came with the packet) */
	out[n++] = WF_LCS_PUBLISH;
	out[n++] = WF_LCS_READY;
	out[n++] = WF_LCS_DROP_OLD;
	out[n++] = WF_LCS_DATAPATH;
	out[n++] = WF_LCS_TIMERS;
	if (f->staged)
		out[n++] = WF_LCS_FLUSH;
	else if (f->we_initiated)
		out[n++] = WF_LCS_KEEPALIVE;
	else if (f->kernel)
		out[n++] = WF_LCS_KEEPALIVE_SA;
	out[n++] = WF_LCS_MEMBERS;
	out[n] = WF_LCS_END;
	return n;
}
