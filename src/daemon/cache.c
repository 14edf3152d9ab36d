/* SPDX-License-Identifier: MIT */
/*
 * The peer cache, NODEDIR/peers.cache: what this node learned of the mesh
 * (each peer's certificate and where it was reached, or where we were told
 * it is), so that a
 * restarted node rejoins even when every bootstrap host is down.
 *
 * The file is "WFPC", a version byte (2), then entries, each a 2-byte
 * little-endian length, a flags byte (bit 0: the endpoint was seen, an
 * authentic packet came from it; else a member only told us of it) and a
 * MEMBER message (docs/protocol.md). Version 1 (no flags byte, every
 * endpoint as seen) is still read. It is written
 * to a temporary file, synced and renamed over the old one, so a crash leaves
 * either the old file or the new, never half of one; and only when it would
 * differ from what was written last. On start every entry is
 * checked like a MEMBER from a peer: the certificate through the CA, the node
 * unproven until it answers a handshake, the endpoint a hint; one that was
 * only told is tried once, then asked of another member (what a liar told
 * does not come back with the weight of what was seen). A file that does
 * not parse is reported (file and byte offset) and the rest of it ignored.
 * A mass restart does not storm: each cached peer is first called after a
 * random delay of up to CACHE_JITTER_MS (one more if its key is the smaller:
 * it is likely to call first).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bytes.h"
#include "store/keyfile.h"
#include "common/log.h"
#include "core/message.h"
#include "daemon/daemon.h"
#include "daemon/cache.h"
#include "daemon/membership.h"
#include "daemon/peer.h"

enum {
	CACHE_VERSION = 2,
	CACHE_SEEN = 1, /* entry flag: the endpoint was seen, not only told */
	CACHE_JITTER_MS = 3000,
	/* The largest file written and read: one bound for both, so that what
	 * is written always reads back (about 170,000 members). */
	CACHE_MAX = 64 << 20,
};

static const char magic[4] = {'W', 'F', 'P', 'C'};

static bool cache_path(const struct wf_daemon *d, char *out, size_t cap)
{
	return snprintf(out, cap, "%s/peers.cache", d->node.cfg.dir) < (int)cap;
}

/* One entry: a peer we learn from the cache; flags as written (version 1:
 * CACHE_SEEN). */
static void load_entry(struct wf_daemon *d, unsigned flags, const uint8_t *msg, size_t len,
		       int64_t now)
{
	struct wf_member_msg m;
	struct wf_cert cert;
	struct wf_peer *p;

	if (!wf_member_decode(&m, msg, len) ||
	    !wf_peer_cert_check(d, m.cert, m.cert_len, &cert, "(from peers.cache)"))
		return;
	if (!memcmp(cert.pubkey, d->node.self.pubkey, WF_KEY_LEN) || wf_peer_find(d, cert.pubkey))
		return;
	p = wf_peer_add_told(d, &cert, now);
	if (!p || !m.has_endpoint ||
	    !wf_peer_hearsay(d, p, &m.endpoint,
			     flags & CACHE_SEEN ? "peers.cache" : "peers.cache (told)"))
		return;
	if (!(flags & CACHE_SEEN))
		p->ep_tries = WF_HEARSAY_TRIES - 1; /* one try */
	/* Both ends of each pair restart from their caches at once. */
	wf_peer_first_call(d, p, now, CACHE_JITTER_MS, CACHE_JITTER_MS);
}

/* The whole file (at most CACHE_MAX bytes), malloc'd; NULL if unreadable. */
static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf = NULL;
	size_t size;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) == 0) {
		size = st.st_size > CACHE_MAX ? CACHE_MAX : (size_t)st.st_size;
		if (st.st_size > CACHE_MAX)
			log_warnx("%s: larger than %d MiB; only the start is read", path,
				  CACHE_MAX >> 20);
		buf = malloc(size ? size : 1);
		*len = buf ? fread(buf, 1, size, f) : 0;
	}
	fclose(f);
	return buf;
}

unsigned wf_cache_load(struct wf_daemon *d, int64_t now)
{
	char path[PATH_MAX];
	unsigned n = 0;
	size_t len, off;
	uint8_t *buf;

	if (!cache_path(d, path, sizeof(path)) || !(buf = read_all(path, &len)))
		return 0;
	if (len < 5 || memcmp(buf, magic, 4) || buf[4] < 1 || buf[4] > CACHE_VERSION) {
		log_warnx("%s: not a peer cache of this version; ignored", path);
		free(buf);
		return 0;
	}
	for (off = 5; off < len; n++) {
		size_t head = buf[4] == 1 ? 2 : 3;
		size_t elen = len - off >= head ? wf_get_le16(buf + off) : SIZE_MAX;

		if (elen == SIZE_MAX || elen > len - off - head) {
			log_warnx("%s: entry at byte %zu is cut short; the rest is ignored", path, off);
			break;
		}
		load_entry(d, head == 2 ? CACHE_SEEN : buf[off + 2], buf + off + head, elen, now);
		off += head + elen;
	}
	free(buf);
	log_info("%s: %u peers", path, n);
	/* Past full-mesh-max, not everyone: a few, who tell us the rest. */
	if (wf_members_count(d) > d->node.cfg.full_mesh_max)
		wf_peer_call_some(d, WF_COLD_CALLS);
	return n;
}

/* Every peer we hold an endpoint of, as cache entries, into a malloc'd
 * buffer: proven peers, and those we were told of and still try (a peer
 * loaded from here that has not answered yet stays). Members that left stay
 * too: when a whole mesh restarts, each node hears the others leave before
 * it stops itself. */
static uint8_t *serialize(struct wf_daemon *d, size_t *len)
{
	size_t cap = 5 + (size_t)d->peers.n * (3 + WF_CERT_MAX_ENCODED + 32), off = 5;

	if (cap > CACHE_MAX)
		cap = CACHE_MAX; /* (what does not fit is relearned from the mesh) */
	uint8_t cert[WF_CERT_MAX_ENCODED], *buf = malloc(cap);

	if (!buf)
		return NULL;
	memcpy(buf, magic, 4);
	buf[4] = CACHE_VERSION;
	for (struct wf_peer *p = d->peers.list; p; p = p->next) {
		size_t clen, mlen;

		if (!p->has_endpoint || cap - off < 3 + WF_CERT_MAX_ENCODED + 32)
			continue;
		clen = wf_cert_encode(&p->cert, cert, sizeof(cert));
		mlen = clen ? wf_member_encode(cert, clen, &p->endpoint, buf + off + 3,
					       cap - off - 3)
			    : 0;
		if (!mlen)
			continue;
		wf_put_le16(buf + off, (uint16_t)mlen);
		buf[off + 2] = p->ep_source == WF_EP_AUTHENTIC ? CACHE_SEEN : 0;
		off += 3 + mlen;
	}
	*len = off;
	return buf;
}

/* A 64-bit FNV-1a of what was written last: an unchanged mesh is not written
 * again every period. */
static uint64_t fnv(const uint8_t *p, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	while (len--)
		h = (h ^ *p++) * UINT64_C(0x100000001b3);
	return h;
}

bool wf_cache_save(struct wf_daemon *d)
{
	char path[PATH_MAX], err[WF_ERR_MAX];
	size_t len;
	uint8_t *buf = serialize(d, &len);
	uint64_t sum;
	bool ok;

	if (!buf || !cache_path(d, path, sizeof(path))) {
		free(buf);
		return false;
	}
	sum = fnv(buf, len);
	ok = sum == d->mem.cache_sum || wf_write_file_atomic(path, buf, len, 0600, err, sizeof(err));
	if (!ok)
		log_warnx("%s", err);
	else
		d->mem.cache_sum = sum;
	free(buf);
	return ok;
}
