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
				  uint32_t local_index, uint32_t remote_index, int64_t now_ms,
				  unsigned n_ctx)
{
	struct wf_keypair *kp;

	/* (Its size is a multiple of its alignment, 64, as aligned_alloc wants.) */
	if (!n_ctx || n_ctx > WF_KEYPAIR_CTX_MAX ||
	    (cipher != WF_CIPHER_AES256GCM && cipher != WF_CIPHER_CHACHAPOLY) ||
	    !(kp = aligned_alloc(_Alignof(struct wf_keypair), sizeof(*kp))))
		return NULL;
	memset(kp, 0, sizeof(*kp));
	kp->n_ctx = n_ctx;
	kp->cipher = cipher;
	memcpy(kp->send_key, initiator ? c1 : c2, WF_KEY_LEN);
	memcpy(kp->recv_key, initiator ? c2 : c1, WF_KEY_LEN);
	wf_replay_init(&kp->replay);
	kp->initiator = initiator;
	kp->proven = initiator;
	kp->local_index = local_index;
	kp->remote_index = remote_index;
	kp->created_ms = now_ms;
	return kp;
}

void wf_keypair_free(struct wf_keypair *kp)
{
	if (!kp)
		return;
	for (unsigned i = 0; i < kp->n_ctx; i++) {
		wf_aead_free(kp->send[i]);
		wf_aead_free(kp->recv[i]);
	}
	wf_wipe(kp->send_key, sizeof(kp->send_key));
	wf_wipe(kp->recv_key, sizeof(kp->recv_key));
	free(kp);
}

/* Thread ctx's context for one direction, keyed on its first use. Only that
 * thread touches it, so no lock. NULL when out of memory: the caller drops
 * the packet. */
static struct wf_aead *ctx_aead(struct wf_keypair *kp, unsigned ctx, bool seal)
{
	struct wf_aead **a = seal ? &kp->send[ctx] : &kp->recv[ctx];

	if (!*a)
		*a = wf_aead_new_dir(kp->cipher, seal ? kp->send_key : kp->recv_key,
				     seal ? WF_AEAD_SEAL : WF_AEAD_OPEN);
	return *a;
}

static uint64_t send_counter(const struct wf_keypair *kp)
{
	return __atomic_load_n(&kp->send_counter, __ATOMIC_RELAXED);
}

bool wf_keypair_seal(struct wf_keypair *kp, unsigned ctx, uint8_t type, uint8_t *pkt, size_t len,
		     size_t *out_len)
{
	struct wf_aead *a;
	uint64_t n;

	if (ctx >= kp->n_ctx || !(a = ctx_aead(kp, ctx, true)))
		return false;
	/* Reserved first: a nonce is never used twice, whoever else sends. */
	n = __atomic_fetch_add(&kp->send_counter, 1, __ATOMIC_RELAXED);
	if (n >= WF_REJECT_AFTER_MESSAGES) {
		/* Keep it at the limit, so that it can never wrap. */
		__atomic_store_n(&kp->send_counter, WF_REJECT_AFTER_MESSAGES, __ATOMIC_RELAXED);
		return false;
	}
	pkt[0] = type;
	pkt[1] = WF_PROTO_VERSION;
	pkt[2] = pkt[3] = 0;
	wf_put_le32(pkt + 4, kp->remote_index);
	wf_put_le64(pkt + 8, n);
	if (!wf_aead_seal(a, n, pkt, WF_DATA_HEADER_LEN, pkt + WF_DATA_HEADER_LEN, len))
		return false;
	*out_len = WF_DATA_HEADER_LEN + len + WF_AEAD_TAG_LEN;
	return true;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* The replay window's lock: taken for a check or an update, nothing else. */
static void replay_lock(struct wf_keypair *kp)
{
	while (__atomic_exchange_n(&kp->replay_lock, true, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&kp->replay_lock, __ATOMIC_RELAXED))
			cpu_relax();
}

static void replay_unlock(struct wf_keypair *kp)
{
	__atomic_store_n(&kp->replay_lock, false, __ATOMIC_RELEASE);
}

bool wf_keypair_open(struct wf_keypair *kp, unsigned ctx, uint8_t *pkt, size_t len,
		     uint8_t **plain, size_t *plain_len, bool *replayed)
{
	struct wf_aead *a;
	uint64_t n;
	bool fresh;

	*replayed = false;
	if (len < WF_DATA_OVERHEAD || ctx >= kp->n_ctx)
		return false;
	n = wf_get_le64(pkt + 8);
	/* Cheap check first: do not spend an AEAD operation on a replay. */
	replay_lock(kp);
	fresh = wf_replay_check(&kp->replay, n);
	replay_unlock(kp);
	if (!fresh) {
		*replayed = true;
		return false;
	}
	if (!(a = ctx_aead(kp, ctx, false)) ||
	    !wf_aead_open(a, n, pkt, WF_DATA_HEADER_LEN, pkt + WF_DATA_HEADER_LEN,
			  len - WF_DATA_HEADER_LEN))
		return false;
	/* Only an authentic packet may move the window; another thread may
	 * have taken the same counter meanwhile, so check again. */
	replay_lock(kp);
	fresh = wf_replay_update(&kp->replay, n);
	replay_unlock(kp);
	if (!fresh) {
		*replayed = true;
		return false;
	}
	*plain = pkt + WF_DATA_HEADER_LEN;
	*plain_len = len - WF_DATA_OVERHEAD;
	return true;
}

/* The shared slot for an initiation from another place than the peer's
 * endpoint: its source's own, a free one, or -1. */
static int shared_slot(const struct wf_session *s, const uint8_t *source)
{
	int free_slot = -1;

	for (int i = 1; i < WF_PENDING_SLOTS; i++) {
		if (!s->pending[i]) {
			if (free_slot < 0)
				free_slot = i;
		} else if (!memcmp(s->pending[i]->source, source, WF_SOURCE_LEN)) {
			return i;
		}
	}
	return free_slot;
}

/* All shared slots are other sources': the one a proved address may take. */
static int evictable(const struct wf_session *s)
{
	int oldest = 1, unproved = -1;

	for (int i = 1; i < WF_PENDING_SLOTS; i++) {
		const struct wf_keypair *kp = s->pending[i];

		if (kp->created_ms < s->pending[oldest]->created_ms)
			oldest = i;
		if (!kp->validated && (unproved < 0 || kp->created_ms < s->pending[unproved]->created_ms))
			unproved = i;
	}
	return unproved >= 0 ? unproved : oldest;
}

enum wf_init_verdict wf_session_judge(const struct wf_session *s, const struct wf_init_seen *in,
				      uint64_t now_ns, int *slot)
{
	if (in->ts <= s->proven_ts)
		return WF_INIT_REPLAY;
	for (int i = 0; i < WF_PENDING_SLOTS; i++)
		if (s->pending[i] && !memcmp(s->pending[i]->init_hash, in->hash, WF_INIT_HASH_LEN))
			return WF_INIT_DUPLICATE;
	if (in->ts > now_ns + WF_INIT_AHEAD_MAX_NS)
		return WF_INIT_FUTURE;
	if (in->from_endpoint) {
		*slot = 0;
		return WF_INIT_ACCEPT;
	}
	*slot = shared_slot(s, in->source);
	if (*slot > 0)
		return WF_INIT_ACCEPT;
	if (!in->validated)
		return WF_INIT_BUSY;
	*slot = evictable(s);
	return WF_INIT_ACCEPT;
}

void wf_session_add_pending(struct wf_session *s, int slot, struct wf_keypair *kp,
			    struct wf_keypair **dropped)
{
	*dropped = s->pending[slot];
	s->pending[slot] = kp;
}

void wf_session_prove(struct wf_session *s, struct wf_keypair *kp,
		      struct wf_keypair *dropped[WF_SESSION_DROP_MAX])
{
	int n = 0;

	memset(dropped, 0, sizeof(*dropped) * WF_SESSION_DROP_MAX);
	for (int i = 0; i < WF_PENDING_SLOTS; i++)
		if (s->pending[i] == kp)
			s->pending[i] = NULL;
	kp->proven = true;
	if (kp->hs_timestamp > s->proven_ts)
		s->proven_ts = kp->hs_timestamp;
	/* What is not newer than a proven initiation can never be proven:
	 * its initiator (or a forger) would be answered as a replay now. */
	for (int i = 0; i < WF_PENDING_SLOTS; i++) {
		if (s->pending[i] && s->pending[i]->hs_timestamp <= s->proven_ts) {
			dropped[n++] = s->pending[i];
			s->pending[i] = NULL;
		}
	}
	dropped[n++] = s->previous;
	if (!s->current || kp->created_ms >= s->current->created_ms) {
		s->previous = s->current;
		s->current = kp;
	} else {
		s->previous = kp;
	}
}

void wf_session_install(struct wf_session *s, struct wf_keypair *kp, struct wf_keypair **dropped)
{
	*dropped = s->previous;
	s->previous = s->current;
	s->current = kp;
}

int64_t wf_session_answered_ms(const struct wf_session *s)
{
	int64_t t = 0;

	for (int i = 0; i < WF_PENDING_SLOTS; i++) {
		const struct wf_keypair *kp = s->pending[i];

		if (kp && kp->from_endpoint && kp->created_ms > t)
			t = kp->created_ms;
	}
	return t;
}

bool wf_keypair_usable(const struct wf_keypair *kp, const struct wf_session_limits *l,
		       int64_t now_ms)
{
	return kp && now_ms - kp->created_ms < l->reject_after_ms &&
	       send_counter(kp) < WF_REJECT_AFTER_MESSAGES;
}

struct wf_keypair *wf_session_sendable(const struct wf_session *s, const struct wf_session_limits *l,
				       int64_t now_ms)
{
	return wf_keypair_usable(s->current, l, now_ms) ? s->current : NULL;
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
	return now_ms - kp->created_ms >= after || send_counter(kp) >= l->rekey_after_messages;
}

/* Every slot of the session, in the order expire and clear report them. */
static int slots(struct wf_session *s, struct wf_keypair **out[WF_SESSION_DROP_MAX])
{
	int n = 0;

	out[n++] = &s->current;
	out[n++] = &s->previous;
	for (int i = 0; i < WF_PENDING_SLOTS; i++)
		out[n++] = &s->pending[i];
	return n;
}

int wf_session_expire(struct wf_session *s, const struct wf_session_limits *l, int64_t now_ms,
		      struct wf_keypair *dropped[WF_SESSION_DROP_MAX])
{
	struct wf_keypair **slot[WF_SESSION_DROP_MAX];
	int n = 0, all = slots(s, slot);

	memset(dropped, 0, sizeof(*dropped) * WF_SESSION_DROP_MAX);
	for (int i = 0; i < all; i++) {
		if (*slot[i] && now_ms - (*slot[i])->created_ms >= l->reject_after_ms) {
			dropped[n++] = *slot[i];
			*slot[i] = NULL;
		}
	}
	return n;
}

void wf_session_clear(struct wf_session *s, struct wf_keypair *dropped[WF_SESSION_DROP_MAX])
{
	struct wf_keypair **slot[WF_SESSION_DROP_MAX];
	int all = slots(s, slot);

	for (int i = 0; i < all; i++) {
		dropped[i] = *slot[i];
		*slot[i] = NULL;
	}
}
