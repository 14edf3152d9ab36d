/* SPDX-License-Identifier: MIT */
/*
 * weft ca list: what the CA signed (CADIR/issued/), one line a certificate,
 * with what became of it: live, superseded by a newer one of the same node,
 * expired, not valid yet, or revoked (CADIR/revoked.list). Needs no private
 * key: a copy of the CA directory without ca.key will do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/revoke.h"
#include "store/keyfile.h"

enum { OPT_DIR = OPT_CLI_FIRST_FREE };

static const char ca_list_usage[] =
    "Usage: weft ca list --dir CADIR\n"
    "\n"
    "List the node certificates the CA signed (CADIR/issued/), by node name,\n"
    "oldest first: serial, addresses, routes, groups, end of validity, and\n"
    "STATE: live; superseded (a newer certificate of the node was signed; the\n"
    "old one still works until it expires or is revoked, and keeps its addresses\n"
    "reserved until then); expired; not yet valid; or revoked (named by\n"
    "CADIR/revoked.list). Needs no private key.\n";

struct certs {
	struct wf_cert *c;
	size_t n, cap;
};

static bool keep(const struct wf_cert *c, void *arg)
{
	struct certs *l = arg;

	if (l->n == l->cap) {
		size_t want = l->cap ? 2 * l->cap : 32;
		struct wf_cert *more = realloc(l->c, want * sizeof(*more));

		if (!more)
			return false;
		l->c = more;
		l->cap = want;
	}
	l->c[l->n++] = *c;
	return true;
}

static int by_name_then_age(const void *a, const void *b)
{
	const struct wf_cert *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	if (x->not_before != y->not_before)
		return x->not_before < y->not_before ? -1 : 1;
	return x->serial < y->serial ? -1 : x->serial > y->serial;
}

/* The certificate's state at now; l is sorted, c is l->c[i]. */
static const char *state(const struct certs *l, size_t i, const struct wf_revoke *r, int64_t now)
{
	const struct wf_cert *c = &l->c[i];

	if (wf_revoke_has(r, c->serial))
		return "revoked";
	if (now >= c->not_after)
		return "expired";
	if (now < c->not_before)
		return "not yet valid";
	for (size_t j = i + 1; j < l->n && !strcmp(l->c[j].name, c->name); j++)
		if (!wf_revoke_has(r, l->c[j].serial) && now >= l->c[j].not_before &&
		    now < l->c[j].not_after)
			return "superseded";
	return "live";
}

static void join_groups(const struct wf_cert *c, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < c->n_groups; i++) {
		size_t at = strlen(buf);

		snprintf(buf + at, len - at, "%s%s", i ? "," : "", c->groups[i]);
	}
	if (!c->n_groups)
		snprintf(buf, len, "-");
}

static void print_list(const struct certs *l, const struct wf_revoke *r, int64_t now)
{
	char addrs[WF_CERT_MAX_ADDRS * (WF_ADDR_STRLEN + 2)];
	char routes[WF_CERT_MAX_ROUTES * (WF_ADDR_STRLEN + 2)];
	char groups[WF_CERT_MAX_GROUPS * (WF_CERT_NAME_MAX + 1) + 2], until[32];

	printf("%-16s %-16s %-30s %-18s %-12s %-20s %s\n", "NODE", "SERIAL", "ADDRESSES", "ROUTES",
	       "GROUPS", "NOT AFTER", "STATE");
	for (size_t i = 0; i < l->n; i++) {
		const struct wf_cert *c = &l->c[i];

		cli_prefix_list(c->addrs, c->n_addrs, true, addrs, sizeof(addrs));
		cli_prefix_list(c->routes, c->n_routes, false, routes, sizeof(routes));
		join_groups(c, groups, sizeof(groups));
		printf("%-16s %016llx %-30s %-18s %-12s %-20s %s\n", c->name,
		       (unsigned long long)c->serial, addrs[0] ? addrs : "-", routes[0] ? routes : "-", groups,
		       cli_time_str(c->not_after, until, sizeof(until)), state(l, i, r, now));
	}
}

static int ca_list_opt(void *ctx, int opt, const char *arg)
{
	(void)opt;
	return cli_set_once(ctx, "dir", arg) ? 0 : CLI_EXIT_USAGE;
}

int cmd_ca_list(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {NULL, 0, NULL, 0},
	};
	static struct wf_revoke r;
	char path[CLI_PATH_MAX], err[WF_ERR_MAX];
	const char *dir = NULL;
	struct certs l = {0};
	int rc = cli_parse(argc, argv, opts, ca_list_usage, ca_list_opt, &dir);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!cli_require(dir, "dir"))
		return CLI_EXIT_USAGE;
	if (!cli_path(path, sizeof(path), dir, "ca.crt") || !cli_exists(path)) {
		cli_error("%s: no ca.crt: not a CA directory (weft ca init makes one)", dir);
		return CLI_EXIT_FAIL;
	}
	memset(&r, 0, sizeof(r));
	if (cli_path(path, sizeof(path), dir, "revoked.list") && cli_exists(path) &&
	    !wf_revoke_load(path, &r, err, sizeof(err))) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	if (!cli_issued_each(dir, keep, &l)) {
		free(l.c);
		return CLI_EXIT_FAIL;
	}
	if (l.n)
		qsort(l.c, l.n, sizeof(*l.c), by_name_then_age);
	if (!l.n)
		printf("no certificates in %s/issued\n", dir);
	else
		print_list(&l, &r, cli_now());
	free(l.c);
	return CLI_EXIT_OK;
}
