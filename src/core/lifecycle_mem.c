/* SPDX-License-Identifier: MIT */
/*
 * What becomes of a peer when members tell of it, gossip forgets it, or the
 * CA revokes it (lifecycle.h).
 */
#include "core/lifecycle.h"

/* Hearsay is checked like a handshake: only the CA makes members. What
 * nobody asked for is refused before the signature check, and of a node we
 * know a member can tell us only that it is a member and where to look for
 * it: its certificate changes when it presents a new one itself. */
enum wf_lcm_act wf_lc_told(const struct wf_lc_told *f)
{
	if (!f->decoded)
		return WF_LCM_DROP_MALFORMED;
	if (!f->solicited)
		return WF_LCM_DROP_UNSOLICITED;
	if (!f->cert_ok)
		return WF_LCM_DROP_CERT;
	return f->known ? WF_LCM_CONFIRM : WF_LCM_LEARN;
}

bool wf_lc_forget(bool known, bool up)
{
	return known && !up;
}

bool wf_lc_revoked(bool named)
{
	return named;
}
