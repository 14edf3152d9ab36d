/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/session.h"
#include "weft/wire.h"

void wf_session_limits_default(struct wf_session_limits *l, int64_t rekey_interval_ms)
{
	l->rekey_after_ms = rekey_interval_ms;
	/* As WireGuard's REJECT_AFTER_TIME is 1.5 x REKEY_AFTER_TIME: room for
	 * a few handshake retries before the old keys must stop. */
	l->reject_after_ms = rekey_interval_ms + rekey_interval_ms / 2;
	l->rekey_after_messages = 1ULL << 60;
}

int64_t wf_handshake_backoff_ms(int64_t timeout_ms, unsigned attempts, uint32_t rnd)
{
	int64_t t = timeout_ms << (attempts < 5 ? attempts : 5);

	if (t > 60000)
		t = 60000;
	return t * 8 / 10 + (int64_t)(rnd % (uint32_t)(t * 4 / 10 + 1));
}

struct wf_keypair *wf_keypair_new(enum wf_cipher cipher, const uint8_t c1[WF_KEY_LEN],
				  const uint8_t c2[WF_KEY_LEN], bool initiator,
				  uint32_t local_index, uint32_t remote_index, int64_t now_ms)
{
	struct wf_keypair *kp = calloc(1, sizeof(*kp));

	if (!kp)
		return NULL;
	kp->send = wf_aead_new(cipher, initiator ? c1 : c2);
	kp->recv = wf_aead_new(cipher, initiator ? c2 : c1);
	if (!kp->send || !kp->recv) {
		wf_keypair_free(kp);
		return NULL;
	}
	wf_replay_init(&kp->replay);
	kp->initiator = initiator;
	kp->local_index = local_index;
	kp->remote_index = remote_index;
	kp->created_ms = now_ms;
	return kp;
}

void wf_keypair_free(struct wf_keypair *kp)
{
	if (!kp)
		return;
	wf_aead_free(kp->send);
	wf_aead_free(kp->recv);
	free(kp);
}

bool wf_keypair_seal(struct wf_keypair *kp, uint8_t type, uint8_t *pkt, size_t len,
		     size_t *out_len)
{
	uint64_t n = kp->send_counter;

	if (n >= WF_REJECT_AFTER_MESSAGES)
		return false;
	kp->send_counter = n + 1;
	pkt[0] = type;
	pkt[1] = WF_PROTO_VERSION;
	pkt[2] = pkt[3] = 0;
	wf_put_le32(pkt + 4, kp->remote_index);
	wf_put_le64(pkt + 8, n);
	if (!wf_aead_seal(kp->send, n, pkt, WF_DATA_HEADER_LEN, pkt + WF_DATA_HEADER_LEN, len))
		return false;
	*out_len = WF_DATA_HEADER_LEN + len + WF_AEAD_TAG_LEN;
	return true;
}

bool wf_keypair_open(struct wf_keypair *kp, uint8_t *pkt, size_t len, uint8_t **plain,
		     size_t *plain_len, bool *replayed)
{
	uint64_t n;

	*replayed = false;
	if (len < WF_DATA_OVERHEAD)
		return false;
	n = wf_get_le64(pkt + 8);
	/* Cheap check first: do not spend an AEAD operation on a replay. */
	if (!wf_replay_check(&kp->replay, n)) {
		*replayed = true;
		return false;
	}
	if (!wf_aead_open(kp->recv, n, pkt, WF_DATA_HEADER_LEN, pkt + WF_DATA_HEADER_LEN,
			  len - WF_DATA_HEADER_LEN))
		return false;
	/* Only an authentic packet may move the window. */
	if (!wf_replay_update(&kp->replay, n)) {
		*replayed = true;
		return false;
	}
	*plain = pkt + WF_DATA_HEADER_LEN;
	*plain_len = len - WF_DATA_OVERHEAD;
	return true;
}

void wf_session_install(struct wf_session *s, struct wf_keypair *kp, struct wf_keypair *dropped[2])
{
	dropped[0] = dropped[1] = NULL;
	if (kp->initiator) {
		/* The responder installed it in its next slot and will rotate
		 * when our first packet arrives. An unconfirmed next of ours
		 * comes from a crossing handshake: its initiator completed it
		 * and sends on it, so it stays receivable as the previous
		 * keypair (the current one is older than both and goes). */
		dropped[0] = s->previous;
		if (s->next) {
			dropped[1] = s->current;
			s->previous = s->next;
			s->next = NULL;
		} else {
			s->previous = s->current;
		}
		s->current = kp;
	} else {
		dropped[0] = s->next;
		s->next = kp;
	}
}

struct wf_keypair *wf_session_received(struct wf_session *s, struct wf_keypair *kp)
{
	struct wf_keypair *out;

	if (kp != s->next)
		return NULL;
	out = s->previous;
	s->previous = s->current;
	s->current = s->next;
	s->next = NULL;
	return out;
}

static bool usable(const struct wf_keypair *kp, const struct wf_session_limits *l, int64_t now_ms)
{
	return kp && now_ms - kp->created_ms < l->reject_after_ms &&
	       kp->send_counter < WF_REJECT_AFTER_MESSAGES;
}

struct wf_keypair *wf_session_sendable(const struct wf_session *s, const struct wf_session_limits *l,
				       int64_t now_ms)
{
	return usable(s->current, l, now_ms) ? s->current : NULL;
}

bool wf_session_wants_rekey(const struct wf_session *s, const struct wf_session_limits *l,
			    int64_t now_ms)
{
	const struct wf_keypair *kp = s->current;
	int64_t after = l->rekey_after_ms;

	if (!kp)
		return true;
	/* The responder waits a little longer, so that the two ends do not
	 * usually start crossing handshakes at the same moment. */
	if (!kp->initiator)
		after += after / 10;
	return now_ms - kp->created_ms >= after || kp->send_counter >= l->rekey_after_messages;
}

int wf_session_expire(struct wf_session *s, const struct wf_session_limits *l, int64_t now_ms,
		      struct wf_keypair *dropped[3])
{
	struct wf_keypair **slots[3] = {&s->next, &s->current, &s->previous};
	int n = 0;

	for (int i = 0; i < 3; i++) {
		dropped[i] = NULL;
		if (*slots[i] && now_ms - (*slots[i])->created_ms >= l->reject_after_ms) {
			dropped[n++] = *slots[i];
			*slots[i] = NULL;
		}
	}
	return n;
}

void wf_session_clear(struct wf_session *s, struct wf_keypair *dropped[3])
{
	dropped[0] = s->next;
	dropped[1] = s->current;
	dropped[2] = s->previous;
	memset(s, 0, sizeof(*s));
}
