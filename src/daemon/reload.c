/* SPDX-License-Identifier: MIT */
/*
 * weft reload (the control request "reload", or SIGHUP): read weft.conf, the
 * node certificate, the CA file and the revocation list again, and apply
 * what can change while the daemon runs, all or nothing.
 *
 * Applied at once: log-level, keepalive-interval, handshake-timeout,
 * full-mesh-max, the bootstrap list, dns-domain (the names' zone is rebuilt),
 * the firewall's rules (a new rule set, published at once); a renewed node certificate (same name, key, addresses,
 * routes and groups; later validity), which every peer is then handed by a
 * new handshake (a rekey: no session is reset); a renewed CA certificate
 * (same key and network): its validity, and its allowed routes, under which
 * every peer's certificate is judged again (a peer whose routes it no longer
 * allows is removed; one it allows now is taken at its next handshake); a
 * newer revocation list. Everything else that changed
 * (interface, listen, mtu, workers, offloads, rekey-interval, file paths,
 * control, metrics, dns, dns-resolved, firewall-flows, the gossip intervals) is reported as
 * taking effect at the next restart. Anything that
 * does not parse or verify changes nothing, and the answer says why, naming
 * the file (and line).
 *
 * All or nothing: every file is read and checked, and everything that can
 * fail (an allocation included) done, before the first change; what follows
 * cannot fail. A renewed certificate that the revocation list in force
 * after the reload names is refused, and so is a CA certificate that does
 * not allow a route this node's certificate has: either would cut this node
 * off.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/keyfile.h"
#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/names.h"
#include "daemon/service.h"
#include "daemon/handshake.h"
#include "daemon/notice.h"
#include "daemon/peer.h"
#include "daemon/kernel.h"
#include "daemon/reload.h"
#include "daemon/resolved.h"
#include "daemon/revoked.h"
#include "daemon/status.h"
#include "daemon/subnets.h"

/* The keys of weft.conf that only a restart applies, when they changed. */
struct key_change {
	const char *key;
	bool changed;
};

/* The keys of k[0..n) that changed, ", "-separated, into out. */
static void changed_keys(const struct key_change *k, size_t n, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (k[i].changed)
			snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? ", " : "",
				 k[i].key);
}

/* Did the firewall's rules change (either list, or their order)? */
static bool rules_changed(const struct wf_config *a, const struct wf_config *b)
{
	return a->n_fw != b->n_fw || memcmp(a->fw, b->fw, a->n_fw * sizeof(a->fw[0]));
}

/* The keys a reload applies that changed. */
static void applied_keys(const struct wf_config *a, const struct wf_config *b, char *out,
			 size_t cap)
{
	const struct key_change k[] = {
	    {"log-level", a->log_level != b->log_level},
	    {"log-format", a->log_format != b->log_format},
	    {"keepalive-interval", a->keepalive_interval_ms != b->keepalive_interval_ms},
	    {"handshake-timeout", a->handshake_timeout_ms != b->handshake_timeout_ms},
	    {"full-mesh-max", a->full_mesh_max != b->full_mesh_max},
	    {"bootstrap", a->n_bootstrap != b->n_bootstrap ||
			      memcmp(a->bootstrap, b->bootstrap, sizeof(a->bootstrap))},
	    {"dns-domain", strcmp(a->dns_domain, b->dns_domain) != 0},
	    {"inbound/outbound", rules_changed(a, b)},
	};

	changed_keys(k, sizeof(k) / sizeof(k[0]), out, cap);
}

static void restart_keys(const struct wf_config *a, const struct wf_config *b, char *out,
			 size_t cap)
{
	const struct key_change k[] = {
	    {"interface", strcmp(a->interface, b->interface) != 0},
	    {"listen", !wf_endpoint_equal(&a->listen, &b->listen)},
	    {"mtu", a->mtu != b->mtu},
	    {"workers", a->workers != b->workers},
	    {"rekey-interval", a->rekey_interval_ms != b->rekey_interval_ms},
	    {"pmtud-raise", a->pmtud_raise_ms != b->pmtud_raise_ms},
	    {"offloads", a->tun_offload != b->tun_offload || a->udp_gso != b->udp_gso ||
			     a->tun_udp_coalesce != b->tun_udp_coalesce ||
			     a->udp_gro != b->udp_gro},
	    {"private-key", strcmp(a->private_key, b->private_key) != 0},
	    {"certificate", strcmp(a->certificate, b->certificate) != 0},
	    {"ca", strcmp(a->ca, b->ca) != 0},
	    {"control", strcmp(a->control, b->control) != 0},
	    {"name", strcmp(a->name, b->name) != 0},
	    {"metrics", a->has_metrics != b->has_metrics ||
			    (a->has_metrics && !wf_endpoint_equal(&a->metrics, &b->metrics))},
	    {"dns", a->dns != b->dns},
	    {"gossip-probe-interval", a->gossip_probe_ms != b->gossip_probe_ms},
	    {"gossip-sync-interval", a->gossip_sync_ms != b->gossip_sync_ms},
	    {"dns-resolved", a->dns_resolved != b->dns_resolved},
	    {"firewall-flows", a->fw_flows != b->fw_flows},
	};

	changed_keys(k, sizeof(k) / sizeof(k[0]), out, cap);
}

/* Is c our certificate renewed: the same in all but serial and validity? */
static bool same_but_validity(const struct wf_cert *a, const struct wf_cert *b)
{
	struct wf_cert x = *a, y = *b;

	x.serial = y.serial = 0;
	x.not_before = y.not_before = x.not_after = y.not_after = 0;
	memset(x.signature, 0, sizeof(x.signature));
	memset(y.signature, 0, sizeof(y.signature));
	return !memcmp(&x, &y, sizeof(x));
}

/* A CA certificate that no longer allows a subnet this node routes would
 * have every peer refuse this node once they take it too: refused whole,
 * naming both files and the route. */
static bool self_routes_allowed(const struct wf_daemon *d, const struct wf_cert *ca,
				const struct wf_cert *self, char *msg, size_t cap)
{
	char buf[WF_ADDR_STRLEN];

	for (unsigned i = 0; i < self->n_routes && i < WF_CERT_MAX_ROUTES; i++) {
		if (wf_cert_route_allowed(ca, &self->routes[i]))
			continue;
		snprintf(msg, cap, "%s: does not allow %s, which this node's certificate (%s) "
				   "routes: nothing changed (renew the certificate without it first)",
			 d->node.cfg.ca, wf_prefix_str(&self->routes[i], false, buf, sizeof(buf)),
			 d->node.cfg.certificate);
		return false;
	}
	return true;
}

/* Load and check the CA and node certificates named by cfg (the old paths:
 * new ones apply at restart). */
static bool load_certs(const struct wf_daemon *d, struct wf_cert *ca, struct wf_cert *self,
		       char *msg, size_t cap)
{
	enum wf_cert_err e;
	int64_t wall = (int64_t)time(NULL);
	char why[WF_ERR_MAX];

	if (!wf_cert_load(d->node.cfg.ca, ca, msg, cap) ||
	    !wf_cert_load(d->node.cfg.certificate, self, msg, cap))
		return false;
	if ((e = wf_cert_verify_ca(ca, wall)) != WF_CERT_OK) {
		snprintf(msg, cap, "%s: %s", d->node.cfg.ca, wf_cert_explain(ca, e, wall, why, sizeof(why)));
		return false;
	}
	if (memcmp(ca->pubkey, d->node.ca.pubkey, WF_KEY_LEN) || strcmp(ca->network, d->node.ca.network)) {
		snprintf(msg, cap, "%s: another CA than the running one (a new network needs a "
				   "restart)", d->node.cfg.ca);
		return false;
	}
	if (!self_routes_allowed(d, ca, self, msg, cap))
		return false;
	if ((e = wf_cert_verify(self, ca, wall)) != WF_CERT_OK) {
		snprintf(msg, cap, "%s: %s", d->node.cfg.certificate,
			 wf_cert_explain(self, e, wall, why, sizeof(why)));
		return false;
	}
	if (!same_but_validity(self, &d->node.self)) {
		snprintf(msg, cap, "%s: not a renewal of the running certificate (its key, name, "
				   "addresses, routes or groups differ: restart to apply it)",
			 d->node.cfg.certificate);
		return false;
	}
	return true;
}

/* What a reload reads and checks before it changes anything. */
struct reload {
	struct wf_config cfg;
	struct wf_cert ca, self;
	struct wf_revoke list;          /* version 0: no file */
	struct wf_bootstrap *bootstrap; /* cfg's, made by new_bootstrap */
	bool new_rules;                 /* cfg's rules differ from those in force: */
	struct wf_fw_rules *rules;      /* compiled (NULL: none) */
};

/* The bootstrap list of r->cfg, in a new array; an address that was there
 * already keeps its state (answered, backoff), so that a reload does not
 * call the bootstrap hosts again. The old array is not touched here. */
static bool new_bootstrap(const struct wf_daemon *d, struct reload *r, char *msg, size_t cap)
{
	const struct wf_config *cfg = &r->cfg;
	struct wf_bootstrap *b = cfg->n_bootstrap ? calloc(cfg->n_bootstrap, sizeof(*b)) : NULL;
	bool taken[WF_CONFIG_MAX_BOOTSTRAP] = {0};

	if (cfg->n_bootstrap && !b) {
		snprintf(msg, cap, "out of memory");
		return false;
	}
	for (unsigned i = 0; i < cfg->n_bootstrap; i++) {
		snprintf(b[i].spec, sizeof(b[i].spec), "%s", cfg->bootstrap[i]);
		for (unsigned k = 0; k < d->peers.n_bootstrap && k < WF_CONFIG_MAX_BOOTSTRAP; k++) {
			if (!taken[k] && !strcmp(d->peers.bootstrap[k].spec, b[i].spec)) {
				b[i] = d->peers.bootstrap[k];
				b[i].hs = NULL;
				taken[k] = true;
				break;
			}
		}
		if (!b[i].answered && !wf_endpoint_parse(&b[i].endpoint, b[i].spec))
			memset(&b[i].endpoint, 0, sizeof(b[i].endpoint));
	}
	r->bootstrap = b;
	return true;
}

/* Swap the new bootstrap list in. A handshake in flight is aborted all the
 * same (its index entry points into the old array) and retried at its time. */
static void use_bootstrap(struct wf_daemon *d, struct reload *r)
{
	for (unsigned k = 0; k < d->peers.n_bootstrap; k++)
		if (d->peers.bootstrap[k].hs)
			wf_handshake_abort(d, d->peers.bootstrap[k].hs);
	free(d->peers.bootstrap);
	d->peers.bootstrap = r->bootstrap;
	d->peers.n_bootstrap = r->cfg.n_bootstrap;
	r->bootstrap = NULL;
}

/* A renewal that the list in force after the reload names would be refused
 * by every peer: better to keep the running certificate. */
static bool renewal_not_revoked(const struct wf_daemon *d, const struct reload *r, char *msg,
				size_t cap)
{
	const struct wf_revoke *list =
	    r->list.version > d->mem.revoked.version ? &r->list : &d->mem.revoked;

	if (r->self.serial == d->node.self.serial || !wf_revoke_has(list, r->self.serial))
		return true;
	snprintf(msg, cap,
		 "%s: revoked (serial %016" PRIx64 " is in revocation list version %" PRIu64
		 "; every peer would refuse it)",
		 d->node.cfg.certificate, r->self.serial, list->version);
	return false;
}

/* The new rule set, if the rules changed: the names it mentions get ids
 * (unused until it is installed: nothing running changes). */
static bool new_rules(struct wf_daemon *d, struct reload *r, char *msg, size_t cap)
{
	r->new_rules = rules_changed(&d->node.cfg, &r->cfg);
	if (!r->new_rules || wf_filter_compile(d, r->cfg.fw, r->cfg.n_fw, &r->rules))
		return true;
	snprintf(msg, cap, "%s: out of memory compiling the firewall's rules", r->cfg.path);
	return false;
}

/* Read and check everything; the last steps allocate. */
static bool read_all(struct wf_daemon *d, struct reload *r, char *msg, size_t cap)
{
	char err[WF_CONFIG_MAX_LINE];

	if (!wf_config_load(&r->cfg, d->node.cfg.dir, err, sizeof(err))) {
		snprintf(msg, cap, "%s", err);
		return false;
	}
	wf_config_warn(&r->cfg);
	return load_certs(d, &r->ca, &r->self, msg, cap) &&
	       wf_revoked_read(d, &r->list, msg, cap) && renewal_not_revoked(d, r, msg, cap) &&
	       wf_kernel_reload_check(d, &r->cfg, msg, cap) && new_bootstrap(d, r, msg, cap) &&
	       new_rules(d, r, msg, cap);
}

/* The rules read, in force: the set the workers read, and the specs
 * status shows. */
static void use_rules(struct wf_daemon *d, struct reload *r)
{
	if (!r->new_rules)
		return;
	memcpy(d->node.cfg.fw, r->cfg.fw, r->cfg.n_fw * sizeof(r->cfg.fw[0]));
	d->node.cfg.n_fw = r->cfg.n_fw;
	wf_filter_install(d, r->rules);
	r->rules = NULL;
}

/* Our renewed certificate: every peer gets it by a new handshake now. */
static void renew_self(struct wf_daemon *d, const struct wf_cert *c, int64_t now)
{
	uint8_t enc[WF_CERT_MAX_ENCODED];
	size_t len = wf_cert_encode(c, enc, sizeof(enc));

	if (!len)
		return;
	d->node.self.serial = c->serial;
	d->node.self.not_before = c->not_before;
	d->node.self.not_after = c->not_after;
	memcpy(d->node.self.signature, c->signature, WF_SIG_LEN);
	memcpy(d->node.self_cert_enc, enc, len);
	d->node.self_cert_len = len;
	d->node.self_expired = false;
	for (struct wf_peer *p = d->peers.list; p; p = p->next) {
		if (!p->proven)
			continue;
		p->cert_renew = true;
		p->hs_next_ms = now + wf_random_u32() % 1000; /* not all at once */
	}
}

/* "10.20.0.0/16, 10.30.0.0/16", or "none". */
static const char *prefix_list(const struct wf_prefix *v, unsigned n, char *out, size_t cap)
{
	char buf[WF_ADDR_STRLEN];

	snprintf(out, cap, "%s", n ? "" : "none");
	for (unsigned i = 0; i < n; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? ", " : "",
			 wf_prefix_str(&v[i], false, buf, sizeof(buf)));
	return out;
}

/* Peers whose certificate the CA now in force refuses for good (a route it
 * no longer allows) go, with their routes: as a revoked peer goes. Those it
 * refused before and allows now are taken at their next handshake or
 * MEMBER message (the verdicts were forgotten). */
static unsigned recheck_peers(struct wf_daemon *d)
{
	int64_t wall = (int64_t)time(NULL);
	unsigned n = 0;

	for (struct wf_peer *p = d->peers.list, *next; p; p = next) {
		enum wf_cert_err e = wf_cert_verify_fields(&p->cert, &d->node.ca, wall);

		next = p->next;
		if (e != WF_CERT_ERR_ROUTE)
			continue; /* dates are judged at each use, as before */
		log_warnx("peer %s: %s (the reloaded CA certificate): its sessions and routes end",
			  p->cert.name, wf_cert_strerror(e));
		wf_peer_remove(d, p);
		n++;
	}
	wf_subnets_sync(d, 0); /* their kernel routes go now, not at the next second */
	return n;
}

/* The renewed CA certificate (the same key and network: load_certs): its
 * validity and allowed routes. The verdict cache holds refusals under the
 * old list as permanent (a route it did not allow): they are forgotten.
 * What changed goes into out ("" if the list did not). */
static void take_ca(struct wf_daemon *d, const struct wf_cert *ca, char *out, size_t cap)
{
	struct wf_cert *cur = &d->node.ca;
	char list[WF_CERT_MAX_ROUTES * WF_ADDR_STRLEN];
	unsigned gone;

	cur->not_before = ca->not_before;
	cur->not_after = ca->not_after;
	out[0] = '\0';
	if (cur->n_allowed == ca->n_allowed &&
	    !memcmp(cur->allowed, ca->allowed, sizeof(ca->allowed[0]) * ca->n_allowed))
		return;
	cur->n_allowed = ca->n_allowed;
	memcpy(cur->allowed, ca->allowed, sizeof(ca->allowed));
	memset(&d->hs.certs, 0, sizeof(d->hs.certs));
	gone = recheck_peers(d);
	snprintf(out, cap, "CA's allowed routes now %s (%u peer%s removed)",
		 prefix_list(ca->allowed, ca->n_allowed, list, sizeof(list)), gone,
		 gone == 1 ? "" : "s");
}

/* What the answer says: the renewal, the list held, what waits for a restart. */
static void say(const struct wf_daemon *d, const struct reload *r, bool renewed, const char *rev,
		const char *path, const char *applied, const char *later, char *msg, size_t cap)
{
	if (renewed) {
		char until[WF_UTC_LEN];

		wf_utc(r->self.not_after, until);
		snprintf(msg, cap, "reloaded; certificate renewed (serial %016llx, valid until %s): "
				   "each peer gets it by a new handshake; %s",
			 (unsigned long long)d->node.self.serial, until, rev);
	} else {
		snprintf(msg, cap, "reloaded; %s", rev);
	}
	snprintf(msg + strlen(msg), cap - strlen(msg), "; applied: %s", applied[0] ? applied : "nothing changed in weft.conf");
	if (path[0])
		snprintf(msg + strlen(msg), cap - strlen(msg), "; %s", path);
	if (later[0])
		snprintf(msg + strlen(msg), cap - strlen(msg), "; at the next restart: %s", later);
}

/* Everything read_all checked, applied: nothing here can fail. */
static void apply(struct wf_daemon *d, struct reload *r, char *msg, size_t cap, int64_t now)
{
	char later[256], applied[256], rev[WF_ERR_MAX], path[WF_KERNEL_WHY_LEN + 64];
	char ca_note[WF_CERT_MAX_ROUTES * WF_ADDR_STRLEN + 64];
	bool renewed = r->self.serial != d->node.self.serial;
	bool new_domain = strcmp(d->node.cfg.dns_domain, r->cfg.dns_domain) != 0;

	use_bootstrap(d, r);
	restart_keys(&d->node.cfg, &r->cfg, later, sizeof(later));
	applied_keys(&d->node.cfg, &r->cfg, applied, sizeof(applied));
	snprintf(d->node.restart_pending, sizeof(d->node.restart_pending), "%s", later);
	wf_log_set_level(r->cfg.log_level);
	d->node.cfg.log_level = r->cfg.log_level;
	if (r->cfg.log_format != d->node.cfg.log_format)
		wf_log_set_format(r->cfg.log_format);
	d->node.cfg.log_format = r->cfg.log_format;
	d->node.cfg.keepalive_interval_ms = r->cfg.keepalive_interval_ms;
	d->node.cfg.handshake_timeout_ms = r->cfg.handshake_timeout_ms;
	d->node.cfg.full_mesh_max = r->cfg.full_mesh_max;
	d->node.cfg.n_bootstrap = r->cfg.n_bootstrap;
	memcpy(d->node.cfg.bootstrap, r->cfg.bootstrap, sizeof(r->cfg.bootstrap));
	memcpy(d->node.cfg.bootstrap_ep, r->cfg.bootstrap_ep, sizeof(r->cfg.bootstrap_ep));
	memcpy(d->node.cfg.dns_domain, r->cfg.dns_domain, sizeof(r->cfg.dns_domain));
	take_ca(d, &r->ca, ca_note, sizeof(ca_note));
	wf_revoked_take(d, &r->list, rev, sizeof(rev), now);
	wf_kernel_reload(d, &r->cfg, path, sizeof(path));
	if (renewed)
		renew_self(d, &r->self, now);
	wf_notice_self_check(d, now); /* (a renewal may end a revocation) */
	wf_names_reload(d, d->node.cfg.dns_domain, now); /* the new domain, or a renewal */
	if (new_domain)
		wf_resolved_domain(d);
	use_rules(d, r);
	say(d, r, renewed, rev, path, applied, later, msg, cap);
	if (ca_note[0])
		snprintf(msg + strlen(msg), cap - strlen(msg), "; %s", ca_note);
}

bool wf_reload(struct wf_daemon *d, char *msg, size_t cap, int64_t now)
{
	static struct reload r; /* large; the control thread only */
	bool ok;

	wf_service_reloading();
	memset(&r, 0, sizeof(r));
	ok = read_all(d, &r, msg, cap);
	if (ok) {
		apply(d, &r, msg, cap, now);
		log_info("%s", msg);
	} else {
		free(r.bootstrap); /* (made only once all else was checked) */
	}
	wf_service_reloaded(d, now);
	return ok;
}

char *wf_reload_request(struct wf_daemon *d)
{
	char msg[WF_CONFIG_MAX_LINE];
	bool ok = wf_reload(d, msg, sizeof(msg), wf_now_ms());

	return wf_control_answer(ok, "reloaded", msg);
}
