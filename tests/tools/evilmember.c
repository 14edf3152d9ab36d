/* SPDX-License-Identifier: MIT */
/*
 * evilmember: play a malicious member. It holds a real certificate and key
 * signed by the network's CA, completes a Noise IX handshake with each target
 * daemon, proves it, keeps the sessions alive (keepalives; an ACK with the
 * same seq for every PING, a NACK at once for every PING_REQ, as a member
 * with no session to the target would; it refutes suspicions of itself)
 * and then lies, over its own authenticated sessions, within the per-peer
 * control budget:
 *
 *   evilmember --ca F --cert F --key F --to IP:PORT [--to IP:PORT...]
 *              [--member CERT...] [--time S] [--delay S] [--rekey S]
 *              [--budget RATE] [--fake N [--ring]] [--flood S]
 *              [--sync-flood RATE] [--pingreq-flood RATE]
 *              [--dead-endpoints IP:PORT]
 *
 * --fake N       N ALIVE records of random keys no CA ever certified, in
 *                UPDATES messages; with --ring, 6 of them next to each real
 *                key on the ring (first 8 bytes +-1..3), that of every target
 *                and every --member, the others random
 * --flood S      fresh fake records at the whole control budget for S seconds
 * --sync-flood R R SYNCs a second with random digests, flag "answer me"; each
 *                SYNC_PULL that comes back is one of them answered
 * --pingreq-flood R
 *                R PING_REQs a second naming the --member keys in turn, and
 *                one more for each ACK or NACK to one of ours, so that the
 *                victim's relay slots are taken again as soon as they free
 * --dead-endpoints IP:PORT
 *                tell each target of every --member at IP:PORT, where
 *                nothing listens: a MEMBER message, then an ALIVE record an
 *                hour ahead of the wall clock (no record of the member's own
 *                outranks it, only its refutations; the record names a
 *                member we have a session with at its real address, so that
 *                honest records bring no news), and answer its CERT_REQs
 *                so; and of every other target that no --member names,
 *                truly, at incarnation 1 (so that targets that know nobody
 *                else find each other)
 *
 * Without --dead-endpoints a CERT_REQ for a --member is answered with its
 * certificate and no endpoint. All control messages to one target share a
 * token bucket of --budget a second (190 by default: the daemon takes 200).
 * The attacks start --delay seconds after the start (0 by default; until
 * then it behaves, and it prints "attacking" when they start), and the rate
 * attacks stop a second before the end, so that their answers are counted.
 * It runs --time seconds (10 by default; at least --delay + --flood + 2),
 * rekeys every --rekey seconds (100; keep it under the victims'
 * rekey-interval), and prints "connected to NAME at IP:PORT" for each
 * target, then on exit, per target, what it sent and what came back, as
 * key=value words. Initiations from the daemons are not answered.
 *
 * Exit: 0 done, 1 a target never answered the handshake, 2 usage or local
 * error.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>

#include "core/gossip.h"
#include "core/session.h"
#include "probe.h"

enum {
	MAX_TARGETS = 16,
	MAX_MEMBERS = 64,
	CTL_MAX = 1200,	    /* the daemon's gossip MTU (plaintext) */
	REC_FIXED = 42,	    /* key 32, incarnation 8, state 1, ep_len 1 */
	KEEPALIVE_MS = 500, /* well inside any keepalive-interval a test uses */
	HS_RETRY_MS = 1000,
	HS_WAIT_MS = 10000, /* give up on a target that never answers */
	BURST = 64,	    /* of our own bucket (the daemon allows 2048): refills go at once */
	RESERVE = 2,	    /* tokens the attacks leave for replies */
	RING_SIDE = 3,	    /* fakes on each side of a real key */
	LINGER_MS = 1000,   /* the rate attacks stop this long before the end: answers come */
	AHEAD_MS = 3600000, /* --dead-endpoints: records an hour ahead of any real incarnation */
};

struct counts {
	unsigned long control, keepalives, fake_records, updates, syncs, sync_answers, ping_reqs,
	    ping_req_nacks, ping_req_acks, acks, nacks, members_told, told_records, cert_answers,
	    cert_reqs, received, pings;
};

struct target {
	char spec[64];
	union wf_endpoint ep;
	struct wf_cert cert; /* from its handshake */
	struct wf_noise_handshake hs;
	uint32_t hs_index;
	bool hs_pending, connected, told;
	int64_t hs_sent_ms, hs_first_ms, last_tx_ms, next_sync_ms, next_preq_ms;
	struct wf_keypair *kp, *prev;
	double tokens;
	int64_t tokens_ms;
	unsigned fakes_left, preq_next, preq_refill;
	uint32_t preq_seq0, preq_seq;
	struct counts c;
};

struct evil {
	struct probe_net net;
	struct target t[MAX_TARGETS];
	struct wf_cert member[MAX_MEMBERS];
	unsigned n_t, n_m, fake, rekey_s, time_s, delay_s, flood_s;
	double budget, sync_rate, preq_rate;
	bool ring, has_dead, attacking;
	union wf_endpoint dead;
	uint64_t inc, rng;
	int fd;
	int64_t start_ms;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static uint64_t rnd64(struct evil *e)
{
	uint64_t x = (e->rng += UINT64_C(0x9e3779b97f4a7c15));

	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static void rnd_fill(struct evil *e, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rnd64(e);

		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

/* -- handshakes ------------------------------------------------------------ */

/* Our initiation to t, with a fresh index (a retry or a rekey is a new
 * handshake). */
static void hs_send(struct evil *e, struct target *t, int64_t now)
{
	uint8_t pkt[WF_HANDSHAKE_MAX], payload[WF_HANDSHAKE_MAX];
	size_t plen = probe_payload(&e->net, payload, sizeof(payload), true), nlen, len;

	wf_noise_handshake_clear(&t->hs);
	t->hs_index = (uint32_t)rnd64(e) | 1;
	if (!plen || !probe_hs_init(&e->net, &t->hs, true) ||
	    !wf_noise_write_message(&t->hs, payload, plen, pkt + sizeof(struct wf_msg_init),
				    sizeof(pkt) - sizeof(struct wf_msg_init) - WF_INIT_MACS_LEN,
				    &nlen))
		return;
	len = probe_hs_finish(&e->net, pkt, WF_MSG_HANDSHAKE_INIT, t->hs_index, 0, nlen);
	if (sendto(e->fd, pkt, len, 0, &t->ep.sa, wf_endpoint_len(&t->ep)) < 0)
		perror("evilmember: sendto");
	t->hs_pending = true;
	t->hs_sent_ms = now;
	if (!t->hs_first_ms)
		t->hs_first_ms = now;
}

static bool send_sealed(struct evil *e, struct target *t, uint8_t type, uint8_t *pkt, size_t len,
			int64_t now)
{
	size_t n;

	if (!t->kp || !wf_keypair_seal(t->kp, 0, type, pkt, len, &n) ||
	    sendto(e->fd, pkt, n, 0, &t->ep.sa, wf_endpoint_len(&t->ep)) < 0)
		return false;
	t->last_tx_ms = now;
	return true;
}

static void keepalive(struct evil *e, struct target *t, int64_t now)
{
	uint8_t pkt[WF_DATA_OVERHEAD];

	if (send_sealed(e, t, WF_MSG_DATA, pkt, 0, now))
		t->c.keepalives++;
}

/* A response to our initiation: the new keys become current, and a
 * keepalive on them proves our key to the daemon at once. */
static void on_response(struct evil *e, struct target *t, const uint8_t *pkt, size_t len,
			int64_t now)
{
	uint8_t payload[WF_HANDSHAKE_MAX], c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	const uint8_t *noise;
	struct wf_keypair *kp;
	size_t plen, nlen;

	if (!probe_hs_open(&e->net, pkt, len, &noise, &nlen) ||
	    !wf_noise_read_message(&t->hs, noise, nlen, payload, sizeof(payload), &plen) ||
	    !probe_peer(&e->net, payload, plen, &t->cert) || !wf_noise_split(&t->hs, c1, c2, NULL))
		return;
	kp = wf_keypair_new(e->net.ca.cipher, c1, c2, true, t->hs_index, wf_get_le32(pkt + 4), now,
			    1);
	if (!kp)
		return;
	wf_keypair_free(t->prev);
	t->prev = t->kp;
	t->kp = kp;
	t->hs_pending = false;
	keepalive(e, t, now);
	if (!t->connected)
		printf("connected to %s at %s\n", t->cert.name, t->spec);
	t->connected = true;
}

/* -- control messages ------------------------------------------------------ */

/* Our own bucket of `budget` messages a second, so that the daemon's (200 a
 * second) never drops one: attacks wait for a token, replies take theirs
 * even into debt (the attacks then wait longer). */
static bool budget_take(struct evil *e, struct target *t, bool reply, int64_t now)
{
	t->tokens += (double)(now - t->tokens_ms) * e->budget / 1000.0;
	t->tokens_ms = now;
	if (t->tokens > BURST)
		t->tokens = BURST;
	if (!reply && t->tokens < 1 + RESERVE)
		return false;
	t->tokens -= 1;
	return true;
}

static bool ctl_send(struct evil *e, struct target *t, const uint8_t *msg, size_t len, int64_t now)
{
	uint8_t pkt[WF_DATA_OVERHEAD + WF_HANDSHAKE_MAX];

	if (len > sizeof(pkt) - WF_DATA_OVERHEAD)
		return false;
	memcpy(pkt + WF_DATA_HEADER_LEN, msg, len);
	if (!send_sealed(e, t, WF_MSG_CONTROL, pkt, len, now))
		return false;
	t->c.control++;
	return true;
}

static size_t put_rec(uint8_t *p, const uint8_t *key, uint64_t inc, const uint8_t *ep,
		      size_t ep_len)
{
	memcpy(p, key, WF_KEY_LEN);
	wf_put_le64(p + 32, inc);
	p[40] = WF_GS_ALIVE;
	p[41] = (uint8_t)ep_len;
	if (ep_len) /* (ep may be NULL then: memcpy's arguments must not be) */
		memcpy(p + REC_FIXED, ep, ep_len);
	return REC_FIXED + ep_len;
}

/* Fake number i: with --ring the first 6 per real key sit next to it (its
 * ring position +1..3 and -1..-3), the rest anywhere. Never certified. */
static void fake_key(struct evil *e, unsigned i, uint8_t *key, const uint8_t (*ring)[WF_KEY_LEN],
		     unsigned n_ring)
{
	rnd_fill(e, key, WF_KEY_LEN);
	if (e->ring && i < n_ring * 2 * RING_SIDE) {
		uint64_t pos = 0;
		unsigned k = i % (2 * RING_SIDE);

		for (int b = 0; b < 8; b++)
			pos = pos << 8 | ring[i / (2 * RING_SIDE)][b];
		pos = k < RING_SIDE ? pos + k + 1 : pos - (k - RING_SIDE + 1);
		for (int b = 7; b >= 0; b--, pos >>= 8)
			key[b] = (uint8_t)pos;
	}
}

/* The real keys fakes go next to: every target's and every member's but ours. */
static unsigned ring_keys(const struct evil *e, uint8_t (*out)[WF_KEY_LEN])
{
	unsigned n = 0;

	for (unsigned i = 0; i < e->n_t + e->n_m; i++) {
		const uint8_t *k = i < e->n_t ? e->t[i].cert.pubkey : e->member[i - e->n_t].pubkey;
		bool dup = !memcmp(k, e->net.cert.pubkey, WF_KEY_LEN);

		for (unsigned j = 0; j < n && !dup; j++)
			dup = !memcmp(out[j], k, WF_KEY_LEN);
		if (!dup)
			memcpy(out[n++], k, WF_KEY_LEN);
	}
	return n;
}

/* One UPDATES full of fake records: the next ones of --fake, or (flood)
 * fresh random ones. */
static void send_fakes(struct evil *e, struct target *t, bool flood, int64_t now)
{
	static uint8_t ring[MAX_TARGETS + MAX_MEMBERS][WF_KEY_LEN];
	uint8_t msg[CTL_MAX] = {WF_GOSSIP_UPDATES, 0};
	unsigned n_ring = e->ring && !flood ? ring_keys(e, ring) : 0, n = 0;
	size_t len = 2;

	while (len + REC_FIXED <= sizeof(msg) && (flood || t->fakes_left)) {
		uint8_t key[WF_KEY_LEN];

		if (flood)
			rnd_fill(e, key, sizeof(key));
		else
			fake_key(e, e->fake - t->fakes_left--, key, ring, n_ring);
		len += put_rec(msg + len, key, e->inc, NULL, 0);
		n++;
	}
	if (ctl_send(e, t, msg, len, now)) {
		t->c.updates++;
		t->c.fake_records += n;
	}
}

static const struct wf_cert *member_of(const struct evil *e, const uint8_t *key)
{
	for (unsigned i = 0; i < e->n_m; i++)
		if (!memcmp(e->member[i].pubkey, key, WF_KEY_LEN))
			return &e->member[i];
	return NULL;
}

static const struct target *target_of(const struct evil *e, const uint8_t *key)
{
	for (unsigned i = 0; i < e->n_t; i++)
		if (e->t[i].connected && !memcmp(e->t[i].cert.pubkey, key, WF_KEY_LEN))
			return &e->t[i];
	return NULL;
}

/* A target's certificate (from its handshake), if no --member names it. */
static const struct wf_cert *target_cert(const struct evil *e, const uint8_t *key)
{
	const struct target *t = target_of(e, key);

	return t && !member_of(e, key) ? &t->cert : NULL;
}

/* Where we say m is: a --member at the dead endpoint (--dead-endpoints) or
 * nowhere; a target that is no --member, at its real address. */
static const union wf_endpoint *member_ep(const struct evil *e, const struct wf_cert *m)
{
	for (unsigned i = 0; i < e->n_t; i++)
		if (&e->t[i].cert == m)
			return &e->t[i].ep;
	return e->has_dead ? &e->dead : NULL;
}

static bool send_member(struct evil *e, struct target *t, const struct wf_cert *m, int64_t now)
{
	uint8_t msg[WF_CERT_MAX_ENCODED + 64], enc[WF_CERT_MAX_ENCODED];
	size_t elen = wf_cert_encode(m, enc, sizeof(enc)), n;

	n = elen ? wf_member_encode(enc, elen, member_ep(e, m), msg, sizeof(msg)) : 0;
	return n && budget_take(e, t, true, now) && ctl_send(e, t, msg, n, now);
}

/* The members and targets --dead-endpoints tells t of: every --member, then
 * every other target that is no --member; never t itself, nor us. */
static const struct wf_cert *told(const struct evil *e, const struct target *t, unsigned i)
{
	const struct wf_cert *m =
	    i < e->n_m ? &e->member[i] : target_cert(e, e->t[i - e->n_m].cert.pubkey);

	if (!m || !memcmp(m->pubkey, t->cert.pubkey, WF_KEY_LEN) ||
	    !memcmp(m->pubkey, e->net.cert.pubkey, WF_KEY_LEN))
		return NULL;
	return m;
}

/* --dead-endpoints: a MEMBER message of each, naming where we say it is,
 * then their ALIVE records: for a --member, an hour ahead of any real
 * incarnation, for a target that is none, at incarnation 1 (it then adds a
 * member, and changes nothing). A record names a target at its real address
 * even when its MEMBER message lies: records from honest members, which
 * name it there too, then bring no news of its endpoint. */
static void tell_members(struct evil *e, struct target *t, int64_t now)
{
	uint8_t msg[CTL_MAX] = {WF_GOSSIP_UPDATES, 0}, ep[WF_ENDPOINT_PACKED_MAX];
	size_t len = 2;

	t->told = true;
	for (unsigned i = 0; i < e->n_m + e->n_t; i++)
		if (told(e, t, i) && send_member(e, t, told(e, t, i), now))
			t->c.members_told++;
	for (unsigned i = 0; i < e->n_m + e->n_t; i++) {
		const struct wf_cert *m = told(e, t, i);
		const struct target *real = m ? target_of(e, m->pubkey) : NULL;
		size_t elen = m ? wf_endpoint_pack(real ? &real->ep : member_ep(e, m), ep) : 0;

		if (!m)
			continue;
		if (len + REC_FIXED + elen > sizeof(msg)) {
			if (budget_take(e, t, true, now))
				ctl_send(e, t, msg, len, now);
			len = 2;
		}
		len += put_rec(msg + len, m->pubkey, i < e->n_m ? e->inc + AHEAD_MS : 1, ep,
			       elen == 1 ? 0 : elen);
		t->c.told_records++;
	}
	if (len > 2 && budget_take(e, t, true, now))
		ctl_send(e, t, msg, len, now);
}

static void send_sync(struct evil *e, struct target *t, int64_t now)
{
	uint8_t msg[WF_GOSSIP_SYNC_LEN] = {WF_GOSSIP_SYNC, 1};

	wf_put_le32(msg + 2, e->n_m + 1);
	wf_put_le64(msg + 6, 0); /* epoch: the victims' (no revocation list) */
	rnd_fill(e, msg + WF_GOSSIP_SYNC_DIGESTS, WF_GOSSIP_BUCKETS * 8);
	if (ctl_send(e, t, msg, sizeof(msg), now))
		t->c.syncs++;
}

/* A PING_REQ for the next --member key that is neither the target's nor ours. */
static void send_ping_req(struct evil *e, struct target *t, int64_t now)
{
	uint8_t msg[5 + WF_KEY_LEN] = {WF_GOSSIP_PING_REQ};

	for (unsigned k = 0; k < e->n_m; k++) {
		const struct wf_cert *m = &e->member[t->preq_next++ % e->n_m];

		if (!memcmp(m->pubkey, t->cert.pubkey, WF_KEY_LEN) ||
		    !memcmp(m->pubkey, e->net.cert.pubkey, WF_KEY_LEN))
			continue;
		wf_put_le32(msg + 1, ++t->preq_seq);
		memcpy(msg + 5, m->pubkey, WF_KEY_LEN);
		if (ctl_send(e, t, msg, sizeof(msg), now))
			t->c.ping_reqs++;
		return;
	}
}

/* A reply of the given kind and seq; an ACK carries our own ALIVE record,
 * so that the victims hold us alive. */
static void reply(struct evil *e, struct target *t, uint8_t kind, uint32_t seq, int64_t now)
{
	uint8_t msg[5 + REC_FIXED] = {kind};
	size_t len = 5;

	wf_put_le32(msg + 1, seq);
	if (kind == WF_GOSSIP_ACK)
		len += put_rec(msg + 5, e->net.cert.pubkey, e->inc, NULL, 0);
	if (!budget_take(e, t, true, now) || !ctl_send(e, t, msg, len, now))
		return;
	if (kind == WF_GOSSIP_ACK)
		t->c.acks++;
	else
		t->c.nacks++;
}

/* Where a message's records start, 0 for a kind without records. */
static size_t recs_at(uint8_t kind)
{
	switch (kind) {
	case WF_GOSSIP_PING:
	case WF_GOSSIP_ACK:
		return 5;
	case WF_GOSSIP_PING_REQ:
		return 5 + WF_KEY_LEN;
	case WF_GOSSIP_UPDATES:
		return 2;
	default:
		return 0;
	}
}

/* A record says we are suspect, dead or gone, or knows a later life of
 * ours: outlive it, as a member does, and say so at once. */
static void refute(struct evil *e, struct target *t, const uint8_t *msg, size_t len, int64_t now)
{
	uint8_t upd[2 + REC_FIXED] = {WF_GOSSIP_UPDATES, 0};
	size_t off = recs_at(msg[0]);
	bool raised = false;

	while (off && off + REC_FIXED <= len && off + REC_FIXED + msg[off + 41] <= len) {
		const uint8_t *r = msg + off;
		uint64_t inc = wf_get_le64(r + 32);

		if (!memcmp(r, e->net.cert.pubkey, WF_KEY_LEN) &&
		    (inc > e->inc || (inc == e->inc && r[40] != WF_GS_ALIVE))) {
			e->inc = inc + 1;
			raised = true;
		}
		off += REC_FIXED + r[41];
	}
	put_rec(upd + 2, e->net.cert.pubkey, e->inc, NULL, 0);
	if (raised && budget_take(e, t, true, now))
		ctl_send(e, t, upd, sizeof(upd), now);
}

static bool ours(const struct target *t, uint32_t seq)
{
	return seq - t->preq_seq0 - 1 < t->preq_seq - t->preq_seq0;
}

static void on_control(struct evil *e, struct target *t, const uint8_t *msg, size_t len,
		       int64_t now)
{
	const struct wf_cert *m;
	uint32_t seq = len >= 5 ? wf_get_le32(msg + 1) : 0;

	t->c.received++;
	if (len)
		refute(e, t, msg, len, now);
	switch (len ? msg[0] : 0) {
	case WF_GOSSIP_PING:
		t->c.pings++;
		reply(e, t, WF_GOSSIP_ACK, seq, now);
		break;
	case WF_GOSSIP_PING_REQ:
		reply(e, t, WF_GOSSIP_NACK, seq, now);
		break;
	case WF_GOSSIP_ACK:
	case WF_GOSSIP_NACK:
		if (!ours(t, seq))
			break;
		if (msg[0] == WF_GOSSIP_ACK)
			t->c.ping_req_acks++;
		else
			t->c.ping_req_nacks++;
		t->preq_refill++;
		break;
	case WF_GOSSIP_SYNC_PULL:
		t->c.sync_answers++;
		break;
	case WF_CTL_CERT_REQ:
		t->c.cert_reqs++;
		m = len == 1 + WF_KEY_LEN ? member_of(e, msg + 1) : NULL;
		if (!m && len == 1 + WF_KEY_LEN)
			m = target_cert(e, msg + 1);
		if (m && send_member(e, t, m, now))
			t->c.cert_answers++;
		break;
	default:
		break;
	}
}

/* -- the loop ---------------------------------------------------------------- */

/* The keypair (current or previous) of some target that index names. */
static struct wf_keypair *by_index(struct evil *e, uint32_t index, struct target **tp)
{
	for (unsigned i = 0; i < e->n_t; i++) {
		struct target *t = &e->t[i];

		*tp = t;
		if (t->kp && t->kp->local_index == index)
			return t->kp;
		if (t->prev && t->prev->local_index == index)
			return t->prev;
	}
	return NULL;
}

static void on_packet(struct evil *e, uint8_t *pkt, size_t len, int64_t now)
{
	struct wf_keypair *kp;
	struct target *t;
	uint8_t *plain;
	size_t plain_len;
	bool replayed;

	if (len >= sizeof(struct wf_msg_resp) && pkt[0] == WF_MSG_HANDSHAKE_RESP) {
		for (unsigned i = 0; i < e->n_t; i++)
			if (e->t[i].hs_pending && wf_get_le32(pkt + 8) == e->t[i].hs_index)
				on_response(e, &e->t[i], pkt, len, now);
		return;
	}
	if (len < WF_DATA_OVERHEAD || (pkt[0] != WF_MSG_DATA && pkt[0] != WF_MSG_CONTROL))
		return; /* (initiations from the daemons are not answered) */
	kp = by_index(e, wf_get_le32(pkt + 4), &t);
	if (kp && wf_keypair_open(kp, 0, pkt, len, &plain, &plain_len, &replayed) &&
	    pkt[0] == WF_MSG_CONTROL)
		on_control(e, t, plain, plain_len, now);
}

/* A first handshake, retried each second; later a rekey every --rekey. */
static void handshake_due(struct evil *e, struct target *t, int64_t now)
{
	bool want = !t->connected || now - t->kp->created_ms >= (int64_t)e->rekey_s * 1000;

	if (want && (!t->hs_pending || now - t->hs_sent_ms >= HS_RETRY_MS))
		hs_send(e, t, now);
}

static int64_t period_ms(double rate)
{
	return rate >= 1000 ? 1 : (int64_t)(1000 / rate);
}

/* The attacks due for one target. */
static void attack(struct evil *e, struct target *t, int64_t now)
{
	int64_t end = e->start_ms + (int64_t)e->time_s * 1000 - LINGER_MS;
	int64_t flood_end = e->start_ms + (int64_t)(e->delay_s + e->flood_s) * 1000;

	if (e->has_dead && !t->told)
		tell_members(e, t, now);
	while (t->fakes_left && budget_take(e, t, false, now))
		send_fakes(e, t, false, now);
	while (now < flood_end && budget_take(e, t, false, now))
		send_fakes(e, t, true, now);
	while (e->sync_rate > 0 && now >= t->next_sync_ms && now < end &&
	       budget_take(e, t, false, now)) {
		send_sync(e, t, now);
		t->next_sync_ms += period_ms(e->sync_rate);
	}
	while (e->preq_rate > 0 && e->n_m && (now >= t->next_preq_ms || t->preq_refill) &&
	       now < end && budget_take(e, t, false, now)) {
		if (t->preq_refill) /* a slot of ours just freed: first */
			t->preq_refill--;
		else
			t->next_preq_ms += period_ms(e->preq_rate);
		send_ping_req(e, t, now);
	}
}

/* What is due for one target: the handshake, keepalives, then (once the
 * delay is over) the attacks. */
static void tick(struct evil *e, struct target *t, int64_t now)
{
	handshake_due(e, t, now);
	if (!t->connected)
		return;
	if (now - t->last_tx_ms >= KEEPALIVE_MS)
		keepalive(e, t, now);
	if (now < e->start_ms + (int64_t)e->delay_s * 1000)
		return;
	if (!e->attacking) {
		printf("attacking\n");
		for (unsigned i = 0; i < e->n_t; i++)
			e->t[i].next_sync_ms = e->t[i].next_preq_ms = now;
		e->attacking = true;
	}
	attack(e, t, now);
}

static void run(struct evil *e)
{
	int64_t now = probe_now_ms(), end = now + (int64_t)e->time_s * 1000;

	e->start_ms = now;
	for (unsigned i = 0; i < e->n_t; i++) {
		e->t[i].tokens_ms = now;
		e->t[i].preq_seq0 = e->t[i].preq_seq = (uint32_t)rnd64(e);
		e->t[i].fakes_left = e->fake;
	}
	while (!stop && (now = probe_now_ms()) < end) {
		struct pollfd pfd = {.fd = e->fd, .events = POLLIN};
		uint8_t pkt[WF_MAX_DATAGRAM];
		ssize_t n;

		for (unsigned i = 0; i < e->n_t; i++) {
			struct target *t = &e->t[i];

			if (t->connected || now - t->hs_first_ms < HS_WAIT_MS || !t->hs_first_ms)
				tick(e, t, now);
		}
		if (poll(&pfd, 1, 2) <= 0)
			continue;
		while ((n = recv(e->fd, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0)
			on_packet(e, pkt, (size_t)n, probe_now_ms());
	}
}

static void report(const struct evil *e)
{
	for (unsigned i = 0; i < e->n_t; i++) {
		const struct target *t = &e->t[i];
		const struct counts *c = &t->c;

		printf("target %s %s: control=%lu keepalives=%lu fake_records=%lu updates=%lu "
		       "syncs=%lu sync_answers=%lu ping_reqs=%lu ping_req_nacks=%lu "
		       "ping_req_acks=%lu pings=%lu acks=%lu nacks=%lu members_told=%lu "
		       "told_records=%lu cert_reqs=%lu cert_answers=%lu received=%lu\n",
		       t->connected ? t->cert.name : "-", t->spec, c->control, c->keepalives,
		       c->fake_records, c->updates, c->syncs, c->sync_answers, c->ping_reqs,
		       c->ping_req_nacks, c->ping_req_acks, c->pings, c->acks, c->nacks,
		       c->members_told, c->told_records, c->cert_reqs, c->cert_answers,
		       c->received);
	}
}

/* -- options ------------------------------------------------------------------ */

static int usage(void)
{
	fprintf(stderr, "usage: evilmember --ca F --cert F --key F --to IP:PORT [--to IP:PORT...]\n"
			"         [--member CERT...] [--time S] [--delay S] [--rekey S]\n"
			"         [--budget RATE] [--fake N [--ring]] [--flood S]\n"
			"         [--sync-flood RATE] [--pingreq-flood RATE]\n"
			"         [--dead-endpoints IP:PORT]\n");
	return 2;
}

static bool add_target(struct evil *e, const char *spec)
{
	struct target *t = &e->t[e->n_t];

	if (e->n_t == MAX_TARGETS || !wf_endpoint_parse(&t->ep, spec))
		return false;
	snprintf(t->spec, sizeof(t->spec), "%s", spec);
	e->n_t++;
	return true;
}

static bool add_member(struct evil *e, const char *path)
{
	char err[WF_ERR_MAX];

	if (e->n_m == MAX_MEMBERS || !wf_cert_load(path, &e->member[e->n_m], err, sizeof(err))) {
		fprintf(stderr, "evilmember: %s: %s\n", path,
			e->n_m == MAX_MEMBERS ? "too many" : err);
		return false;
	}
	e->n_m++;
	return true;
}

static int parse(struct evil *e, int argc, char **argv, const char **ca, const char **cert,
		 const char **key)
{
	/* (Tables: clang-format would give each option and case lines of its own.) */
	/* clang-format off */
	static const struct option opts[] = {
	    {"ca", required_argument, NULL, 'c'},	    {"cert", required_argument, NULL, 'C'},
	    {"key", required_argument, NULL, 'k'},	    {"to", required_argument, NULL, 't'},
	    {"member", required_argument, NULL, 'm'},	    {"time", required_argument, NULL, 'T'},
	    {"delay", required_argument, NULL, 'D'},	    {"rekey", required_argument, NULL, 'r'},
	    {"budget", required_argument, NULL, 'b'},	    {"fake", required_argument, NULL, 'f'},
	    {"ring", no_argument, NULL, 'R'},		    {"flood", required_argument, NULL, 'F'},
	    {"sync-flood", required_argument, NULL, 's'},   {"pingreq-flood", required_argument, NULL, 'p'},
	    {"dead-endpoints", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *ca = optarg; break;
		case 'C': *cert = optarg; break;
		case 'k': *key = optarg; break;
		case 't': if (!add_target(e, optarg)) return usage(); break;
		case 'm': if (!add_member(e, optarg)) return 2; break;
		case 'T': e->time_s = (unsigned)atoi(optarg); break;
		case 'D': e->delay_s = (unsigned)atoi(optarg); break;
		case 'r': e->rekey_s = (unsigned)atoi(optarg); break;
		case 'b': e->budget = atof(optarg); break;
		case 'f': e->fake = (unsigned)atoi(optarg); break;
		case 'R': e->ring = true; break;
		case 'F': e->flood_s = (unsigned)atoi(optarg); break;
		case 's': e->sync_rate = atof(optarg); break;
		case 'p': e->preq_rate = atof(optarg); break;
		case 'd':
			if (!wf_endpoint_parse(&e->dead, optarg)) return usage();
			e->has_dead = true;
			break;
		default: return usage();
		}
	}
	/* clang-format on */
	if (!*ca || !*cert || !*key || !e->n_t || e->budget <= 0 || !e->rekey_s || optind != argc)
		return usage();
	if (e->time_s < e->delay_s + e->flood_s + 2)
		e->time_s = e->delay_s + e->flood_s + 2;
	return 0;
}

int main(int argc, char **argv)
{
	static struct evil e = {.budget = 190, .time_s = 10, .rekey_s = 100};
	const char *ca = NULL, *cert = NULL, *key = NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((rc = parse(&e, argc, argv, &ca, &cert, &key)))
		return rc;
	wf_crypto_init();
	if (probe_load(&e.net, "evilmember", ca, cert, key) < 0 ||
	    !wf_random(&e.rng, sizeof(e.rng)))
		return 2;
	e.inc = probe_realtime_ns() / 1000000; /* as a daemon's: the wall clock in ms */
	e.fd = socket(e.t[0].ep.sa.sa_family, SOCK_DGRAM, 0);
	if (e.fd < 0) {
		perror("evilmember: socket");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	run(&e);
	report(&e);
	rc = 0;
	for (unsigned i = 0; i < e.n_t; i++) {
		rc |= !e.t[i].connected;
		wf_noise_handshake_clear(&e.t[i].hs);
		wf_keypair_free(e.t[i].kp);
		wf_keypair_free(e.t[i].prev);
	}
	close(e.fd);
	return rc;
}
