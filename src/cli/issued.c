/* SPDX-License-Identifier: MIT */
/*
 * The CA directory's record of what it signed: CADIR/issued/SERIAL.crt, a copy
 * of every node certificate, written when it is signed. It lets `ca sign`
 * refuse an address that another node's live certificate holds (two nodes
 * with one address would split the network: each peer keeps whichever it
 * heard of first), and warn when a routed subnet covers another node's
 * address (harmless: the longer prefix wins, so that node's traffic still
 * goes to it, but probably not what was meant). Revocation reads it to find
 * the serials of a name, and when each certificate expires (pruning).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/revoke.h"
#include "store/keyfile.h"

static bool issued_dir(const struct cli_ca *ca, char *buf, size_t len)
{
	return cli_path(buf, len, ca->dir, "issued");
}

/* Does prefix a contain address (host prefix) b? */
static bool covers(const struct wf_prefix *a, const struct wf_prefix *b)
{
	return a->family == b->family && wf_prefix_contains(a, b);
}

enum { NOTES_MAX = 32, NOTE_LEN = 400 };

/* What the certificates signed before say about the new one. */
struct findings {
	const struct wf_cert *c;
	int64_t now;
	struct wf_cert holder[WF_CERT_MAX_ADDRS]; /* of each address, the longest-lived */
	unsigned holders[WF_CERT_MAX_ADDRS];      /* how many live certificates hold it */
	char notes[NOTES_MAX][NOTE_LEN];
	unsigned n_notes;
};

/* One note per text: many certificates of one node say the same. */
static void note(struct findings *f, const struct wf_prefix *route, const struct wf_prefix *addr,
		 const char *route_of, const char *addr_of)
{
	char r[WF_ADDR_STRLEN], a[WF_ADDR_STRLEN], text[NOTE_LEN];

	wf_prefix_str(route, false, r, sizeof(r));
	wf_prefix_str(addr, true, a, sizeof(a));
	if (!strcmp(route_of, f->c->name))
		snprintf(text, sizeof(text), "route %s covers %s of %s; traffic for it still goes to "
					     "%s, and %s cannot speak for it", r, a, addr_of, addr_of,
			 route_of);
	else
		snprintf(text, sizeof(text), "%s's route %s covers %s; traffic for %s still goes to %s",
			 route_of, r, a, a, addr_of);
	for (unsigned i = 0; i < f->n_notes; i++)
		if (!strcmp(f->notes[i], text))
			return;
	if (f->n_notes < NOTES_MAX)
		snprintf(f->notes[f->n_notes++], sizeof(f->notes[0]), "%s", text);
}

static void compare(struct findings *f, const struct wf_cert *old)
{
	const struct wf_cert *c = f->c;

	if (old->not_after < f->now || !strcmp(old->name, c->name))
		return;
	for (unsigned i = 0; i < c->n_addrs; i++) {
		for (unsigned j = 0; j < old->n_addrs; j++) {
			if (!wf_prefix_equal(&c->addrs[i], &old->addrs[j]))
				continue;
			if (!f->holders[i]++ || old->not_after > f->holder[i].not_after)
				f->holder[i] = *old;
		}
		for (unsigned j = 0; j < old->n_routes; j++)
			if (covers(&old->routes[j], &c->addrs[i]))
				note(f, &old->routes[j], &c->addrs[i], old->name, c->name);
	}
	for (unsigned i = 0; i < c->n_routes; i++)
		for (unsigned j = 0; j < old->n_addrs; j++)
			if (covers(&c->routes[i], &old->addrs[j]))
				note(f, &c->routes[i], &old->addrs[j], c->name, old->name);
}

/* Say what was found; false if an address is taken and not forced. */
static bool report(const struct findings *f, bool force)
{
	char s[WF_ADDR_STRLEN], when[32], more[48];
	bool ok = true;

	for (unsigned i = 0; i < f->n_notes; i++)
		fprintf(stderr, "weft: %s: note: %s\n", cli_command, f->notes[i]);
	for (unsigned i = 0; i < f->c->n_addrs; i++) {
		const struct wf_cert *h = &f->holder[i];

		if (!f->holders[i])
			continue;
		wf_prefix_str(&f->c->addrs[i], true, s, sizeof(s));
		cli_time_str(h->not_after, when, sizeof(when));
		more[0] = '\0';
		if (f->holders[i] > 1)
			snprintf(more, sizeof(more), "; %u live certificates hold it", f->holders[i]);
		if (force) {
			fprintf(stderr, "weft: %s: warning: %s is also held by %s (serial %016llx, "
					"valid until %s%s); signing anyway (--force)\n",
				cli_command, s, h->name, (unsigned long long)h->serial, when, more);
			continue;
		}
		cli_error("%s is held by %s (serial %016llx, valid until %s%s); give the node "
			  "another address, or --force if %s no longer uses it",
			  s, h->name, (unsigned long long)h->serial, when, more, h->name);
		ok = false;
	}
	return ok;
}

bool cli_issued_check(const struct cli_ca *ca, const struct wf_cert *c, int64_t now, bool force)
{
	char dir[CLI_PATH_MAX], path[CLI_PATH_MAX], err[WF_ERR_MAX];
	static struct findings f;
	struct dirent *de;
	DIR *dp;

	if (!issued_dir(ca, dir, sizeof(dir)))
		return false;
	memset(&f, 0, sizeof(f));
	f.c = c;
	f.now = now;
	dp = opendir(dir);
	if (!dp)
		return true; /* nothing signed yet (or by an older weft) */
	while ((de = readdir(dp))) {
		struct wf_cert old;
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".crt") ||
		    !cli_path(path, sizeof(path), dir, de->d_name))
			continue;
		if (!wf_cert_load(path, &old, err, sizeof(err))) {
			fprintf(stderr, "weft: %s: warning: skipping %s\n", cli_command, err);
			continue;
		}
		compare(&f, &old);
	}
	closedir(dp);
	return report(&f, force);
}

/* --- A new CA certificate against what the CA signed -------------------- */

/* Live certificates whose routes a new CA certificate would not allow. */
struct unallowed {
	const struct wf_cert *new_ca;
	int64_t now;
	bool force;
	struct wf_revoke revoked; /* n = 0 without CADIR/revoked.list */
	struct wf_cert first;
	struct wf_prefix first_route;
	unsigned n;
};

static void check_routes(struct unallowed *u, const struct wf_cert *c)
{
	char s[WF_ADDR_STRLEN], when[32];

	if (c->type != WF_CERT_NODE || c->not_after < u->now ||
	    wf_revoke_has(&u->revoked, c->serial))
		return;
	for (unsigned i = 0; i < c->n_routes; i++) {
		if (wf_cert_route_allowed(u->new_ca, &c->routes[i]))
			continue;
		if (!u->n++) {
			u->first = *c;
			u->first_route = c->routes[i];
		}
		if (u->force)
			fprintf(stderr, "weft: %s: warning: %s (serial %016llx, valid until %s) "
					"routes %s, which the new CA certificate does not allow: "
					"every node will refuse it (--force)\n",
				cli_command, c->name, (unsigned long long)c->serial,
				cli_time_str(c->not_after, when, sizeof(when)),
				wf_prefix_str(&c->routes[i], false, s, sizeof(s)));
		return;
	}
}

static void load_revoked(const struct cli_ca *ca, struct wf_revoke *r)
{
	char path[CLI_PATH_MAX], err[WF_ERR_MAX];

	memset(r, 0, sizeof(*r));
	if (cli_path(path, sizeof(path), ca->dir, "revoked.list") && cli_exists(path) &&
	    !wf_revoke_load(path, r, err, sizeof(err))) {
		fprintf(stderr, "weft: %s: warning: %s; counting every certificate as live\n",
			cli_command, err);
		memset(r, 0, sizeof(*r));
	}
}

bool cli_issued_routes_check(const struct cli_ca *ca, const struct wf_cert *new_ca, int64_t now,
			     bool force)
{
	char dir[CLI_PATH_MAX], path[CLI_PATH_MAX], err[WF_ERR_MAX], s[WF_ADDR_STRLEN], when[32];
	static struct unallowed u;
	struct dirent *de;
	DIR *dp;

	memset(&u, 0, sizeof(u));
	u.new_ca = new_ca;
	u.now = now;
	u.force = force;
	if (!issued_dir(ca, dir, sizeof(dir)) || !(dp = opendir(dir)))
		return true; /* nothing signed yet */
	load_revoked(ca, &u.revoked);
	while ((de = readdir(dp))) {
		struct wf_cert c;
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".crt") ||
		    !cli_path(path, sizeof(path), dir, de->d_name))
			continue;
		if (wf_cert_load(path, &c, err, sizeof(err)))
			check_routes(&u, &c);
	}
	closedir(dp);
	if (!u.n || force)
		return true;
	cli_error("%s (serial %016llx, valid until %s) routes %s, which the new CA certificate "
		  "would not allow%s; revoke it or renew it without that route first, or --force",
		  u.first.name, (unsigned long long)u.first.serial,
		  cli_time_str(u.first.not_after, when, sizeof(when)),
		  wf_prefix_str(&u.first_route, false, s, sizeof(s)),
		  u.n > 1 ? " (and other live certificates: --force lists them)" : "");
	return false;
}

bool cli_issued_add(const struct cli_ca *ca, const struct wf_cert *c)
{
	char dir[CLI_PATH_MAX], name[32], path[CLI_PATH_MAX], err[WF_ERR_MAX];

	snprintf(name, sizeof(name), "%016llx.crt", (unsigned long long)c->serial);
	if (!issued_dir(ca, dir, sizeof(dir)) || !cli_path(path, sizeof(path), dir, name))
		return false;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		cli_error("cannot create %s: %s", dir, strerror(errno));
		return false;
	}
	if (!wf_cert_save(path, c, false, err, sizeof(err))) {
		cli_error("%s", err);
		return false;
	}
	return true;
}

static int by_serial(const void *a, const void *b)
{
	uint64_t x = ((const struct cli_issued *)a)->serial,
		 y = ((const struct cli_issued *)b)->serial;

	return x < y ? -1 : x > y;
}

/* Append c to *list (of *n, room for *cap). */
static bool append(struct cli_issued **list, size_t *n, size_t *cap, const struct wf_cert *c)
{
	if (*n == *cap) {
		size_t want = *cap ? 2 * *cap : 64;
		struct cli_issued *more = realloc(*list, want * sizeof(**list));

		if (!more)
			return false;
		*list = more;
		*cap = want;
	}
	(*list)[*n].serial = c->serial;
	(*list)[*n].not_after = c->not_after;
	snprintf((*list)[*n].name, sizeof((*list)[*n].name), "%s", c->name);
	(*n)++;
	return true;
}

bool cli_issued_each(const char *cadir, bool (*fn)(const struct wf_cert *c, void *arg), void *arg)
{
	char dir[CLI_PATH_MAX], path[CLI_PATH_MAX], err[WF_ERR_MAX];
	struct dirent *de;
	DIR *dp;

	if (!cli_path(dir, sizeof(dir), cadir, "issued"))
		return false;
	dp = opendir(dir);
	if (!dp && errno == ENOENT)
		return true;
	if (!dp) {
		cli_error("cannot read %s: %s", dir, strerror(errno));
		return false;
	}
	while ((de = readdir(dp))) {
		struct wf_cert c;
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 4, ".crt") ||
		    !cli_path(path, sizeof(path), dir, de->d_name))
			continue;
		if (!wf_cert_load(path, &c, err, sizeof(err))) {
			fprintf(stderr, "weft: %s: warning: skipping %s\n", cli_command, err);
			continue;
		}
		if (!fn(&c, arg)) {
			closedir(dp);
			cli_error("out of memory reading %s", dir);
			return false;
		}
	}
	closedir(dp);
	return true;
}

struct issued_list {
	struct cli_issued *list;
	size_t n, cap;
};

static bool take(const struct wf_cert *c, void *arg)
{
	struct issued_list *l = arg;

	return append(&l->list, &l->n, &l->cap, c);
}

bool cli_issued_read(const char *cadir, struct cli_issued **list, size_t *n)
{
	struct issued_list l = {0};
	bool ok = cli_issued_each(cadir, take, &l);

	if (!ok) {
		free(l.list);
		l = (struct issued_list){0};
	}
	if (l.n)
		qsort(l.list, l.n, sizeof(*l.list), by_serial);
	*list = l.list;
	*n = l.n;
	return ok;
}

const struct cli_issued *cli_issued_find(const struct cli_issued *list, size_t n, uint64_t serial)
{
	struct cli_issued key = {.serial = serial};

	return n ? bsearch(&key, list, n, sizeof(*list), by_serial) : NULL;
}
