/* SPDX-License-Identifier: MIT */
/*
 * weft ca renew: a new certificate with everything of an old one (name, key,
 * addresses, routes, groups), a new serial and a new validity, so that
 * renewing never means retyping a node's attributes. The old one must be of
 * this CA; it may have expired.
 *
 * weft ca renew --ca: the same for the CA certificate itself (same key,
 * network, prefixes and cipher), which is also how its allowed routes
 * change: a narrower list is refused while a live certificate the CA signed
 * routes what it would no longer allow.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "store/keyfile.h"

enum {
	OPT_DIR = OPT_CLI_FIRST_FREE,
	OPT_CERT,
	OPT_OUT,
	OPT_FORCE,
	OPT_CA,
	OPT_ALLOW_ROUTE,
	OPT_NO_ALLOW_ROUTE,
};

static const char renew_usage[] =
    "Usage: weft ca renew --dir CADIR --cert FILE [--valid DURATION] --out FILE\n"
    "                     [--force]\n"
    "       weft ca renew --dir CADIR --ca [--allow-route CIDR]... [--no-allow-route]\n"
    "                     [--valid DURATION] [--force]\n"
    "\n"
    "Signs a new certificate with the name, public key, addresses, routes and\n"
    "groups of FILE (a node certificate of this CA, expired or not), valid from\n"
    "now, and writes it to --out (usually the same file: it is replaced\n"
    "atomically). Peers adopt it at the node's next handshake: it was issued\n"
    "later, for the same name. A copy goes to CADIR/issued/.\n"
    "\n"
    "  --dir CADIR        the CA directory (ca.key and ca.crt)\n"
    "  --cert FILE        the certificate to renew\n"
    "  --valid DURATION   the new lifetime, with a unit (default: the old one's)\n"
    "  --out FILE         where to write the new certificate\n"
    "  --force            replace --out even if it is another file than --cert, and\n"
    "                     sign even if another node's certificate holds an address\n"
    "\n"
    "With --ca, renews CADIR/ca.crt instead (same key, network, prefixes and\n"
    "cipher; valid from now), in place. Copy it to every node afterwards.\n"
    "  --allow-route CIDR the subnets outside the overlay that node certificates\n"
    "                     may route become exactly those given (repeatable)\n"
    "  --no-allow-route   none any more (without either, the old list is kept)\n"
    "  --force            renew even if live certificates route what the new list\n"
    "                     no longer allows (every node will refuse them)\n"
    "  -h, --help         show this help\n";

struct renew_args {
	const char *dir, *cert, *out;
	int64_t valid;
	bool force, ca, no_allow;
	struct wf_prefix allowed[WF_CERT_MAX_ROUTES];
	uint8_t n_allowed;
};

static int renew_opt(void *ctx, int opt, const char *arg)
{
	struct renew_args *a = ctx;

	switch (opt) {
	case OPT_DIR:
		return cli_set_once(&a->dir, "dir", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_CERT:
		return cli_set_once(&a->cert, "cert", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_OUT:
		return cli_set_once(&a->out, "out", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_VALID:
		return cli_parse_duration(arg, &a->valid) ? 0 : cli_duration_error("valid", arg);
	case OPT_FORCE:
		a->force = true;
		return 0;
	case OPT_CA:
		a->ca = true;
		return 0;
	case OPT_ALLOW_ROUTE:
		return cli_allow_route_add(a->allowed, &a->n_allowed, arg);
	case OPT_NO_ALLOW_ROUTE:
		a->no_allow = true;
		return 0;
	default:
		return cli_usage_error("internal error: option %d", opt);
	}
}

/* Is out the file the old certificate was read from (or absent)? */
static bool same_or_new(const char *cert, const char *out)
{
	struct stat a, b;

	if (stat(out, &b) < 0)
		return true;
	return stat(cert, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The request that reproduces old: the same name, addresses, routes, groups. */
static void request_from(const struct wf_cert *old, int64_t valid, bool force,
			 struct cli_node_req *r)
{
	memset(r, 0, sizeof(*r));
	r->name = old->name;
	r->n_addrs = old->n_addrs;
	memcpy(r->addrs, old->addrs, sizeof(old->addrs[0]) * old->n_addrs);
	r->n_routes = old->n_routes;
	memcpy(r->routes, old->routes, sizeof(old->routes[0]) * old->n_routes);
	r->n_groups = old->n_groups;
	for (unsigned i = 0; i < old->n_groups; i++)
		r->groups[i] = old->groups[i];
	/* The old lifetime as it was asked for: its start was backdated. */
	r->valid = valid ? valid : old->not_after - old->not_before - CLI_CLOCK_SKEW;
	if (r->valid < 3600)
		r->valid = 3600;
	r->force = force;
}

/* The old certificate: a node certificate signed by this CA (its dates may
 * be past: that is why it is renewed). */
static bool load_old(const struct cli_ca *ca, const char *path, struct wf_cert *old)
{
	enum wf_cert_err e;

	if (!cli_load_cert(path, old))
		return false;
	if (old->type != WF_CERT_NODE) {
		cli_error("%s is a CA certificate, not a node's", path);
		return false;
	}
	e = wf_cert_verify(old, &ca->cert,
			   old->not_before > ca->cert.not_before ? old->not_before : ca->cert.not_before);
	if (e != WF_CERT_OK && e != WF_CERT_ERR_EXPIRED && e != WF_CERT_ERR_CA_EXPIRED) {
		cli_error("%s: %s", path, wf_cert_strerror(e));
		return false;
	}
	return true;
}

/* --- ca renew --ca ------------------------------------------------------ */

/* The CA certificate again: a new serial and validity, and the allowed
 * routes asked for (or the old ones). */
static bool ca_renewed(const struct cli_ca *ca, const struct renew_args *a, int64_t now,
		       struct wf_cert *c)
{
	const struct wf_cert *old = &ca->cert;
	int64_t life = a->valid ? a->valid : old->not_after - old->not_before - CLI_CLOCK_SKEW;

	*c = *old;
	if (a->n_allowed || a->no_allow) {
		memset(c->allowed, 0, sizeof(c->allowed));
		c->n_allowed = a->n_allowed;
		memcpy(c->allowed, a->allowed, sizeof(a->allowed[0]) * a->n_allowed);
	}
	c->not_before = now - CLI_CLOCK_SKEW;
	c->not_after = now + (life < 3600 ? 3600 : life);
	if (!wf_random(&c->serial, sizeof(c->serial)) || !wf_cert_sign(c, ca->priv)) {
		cli_error("signing the CA certificate failed");
		return false;
	}
	if (wf_cert_verify_ca(c, now) != WF_CERT_OK) {
		cli_error("the new CA certificate does not verify");
		return false;
	}
	return true;
}

static int renew_ca(const struct renew_args *a, int64_t now)
{
	char path[CLI_PATH_MAX], err[WF_ERR_MAX] = "", when[32], list[512];
	struct cli_ca ca;
	struct wf_cert c;
	int rc = CLI_EXIT_FAIL;

	if (!cli_path(path, sizeof(path), a->dir, "ca.crt") || !cli_ca_load_any_time(a->dir, &ca))
		return CLI_EXIT_FAIL;
	rc = cli_allowed_check(a->allowed, a->n_allowed, ca.cert.prefixes, ca.cert.n_prefixes);
	if (rc)
		goto out;
	rc = CLI_EXIT_FAIL;
	if (!ca_renewed(&ca, a, now, &c) || !cli_issued_routes_check(&ca, &c, now, a->force))
		goto out;
	if (!wf_cert_save(path, &c, true, err, sizeof(err))) {
		cli_error("%s", err);
		goto out;
	}
	printf("network %s: wrote %s, serial %016llx, valid until %s; allowed routes: %s\n"
	       "Copy it to every node's directory (as ca.crt) and restart weft there, or "
	       "`weft reload`.\n",
	       c.network, path, (unsigned long long)c.serial,
	       cli_time_str(c.not_after, when, sizeof(when)),
	       c.n_allowed ? cli_prefix_list(c.allowed, c.n_allowed, false, list, sizeof(list))
			   : "none");
	rc = CLI_EXIT_OK;
out:
	cli_ca_wipe(&ca);
	return rc;
}

/* Which options go with which form. */
static int renew_check(const struct renew_args *a)
{
	if (!cli_require(a->dir, "dir"))
		return CLI_EXIT_USAGE;
	if (a->ca) {
		if (a->cert || a->out)
			return cli_usage_error(
			    "--ca renews CADIR/ca.crt: it takes no --cert or --out");
		if (a->no_allow && a->n_allowed)
			return cli_usage_error(
			    "--no-allow-route and --allow-route contradict each other");
		return CLI_EXIT_OK;
	}
	if (a->n_allowed || a->no_allow)
		return cli_usage_error("allowed routes are in the CA certificate: add --ca");
	if (!cli_require(a->cert, "cert") || !cli_require(a->out, "out"))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

int cmd_ca_renew(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"cert", required_argument, NULL, OPT_CERT},
	    {"out", required_argument, NULL, OPT_OUT},
	    {"valid", required_argument, NULL, OPT_VALID},
	    {"force", no_argument, NULL, OPT_FORCE},
	    {"ca", no_argument, NULL, OPT_CA},
	    {"allow-route", required_argument, NULL, OPT_ALLOW_ROUTE},
	    {"no-allow-route", no_argument, NULL, OPT_NO_ALLOW_ROUTE},
	    {NULL, 0, NULL, 0},
	};
	struct renew_args a = {0};
	char err[WF_ERR_MAX] = "", when[32];
	struct cli_node_req req;
	struct wf_cert old, c;
	struct cli_ca ca;
	int64_t now = cli_now();
	int rc = cli_parse(argc, argv, opts, renew_usage, renew_opt, &a);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if ((rc = renew_check(&a)))
		return rc;
	if (a.ca)
		return renew_ca(&a, now);
	if (!a.force && !same_or_new(a.cert, a.out)) {
		cli_error("%s exists and is not %s; use --force to replace it", a.out, a.cert);
		return CLI_EXIT_FAIL;
	}
	if (!cli_ca_load(a.dir, &ca, now))
		return CLI_EXIT_FAIL;
	rc = CLI_EXIT_FAIL;
	if (!load_old(&ca, a.cert, &old))
		goto out;
	request_from(&old, a.valid, a.force, &req);
	/* A renewal replaces the old certificate only if it starts later
	 * (protocol.md, "Certificates that conflict"): within the same second
	 * as the old one, start it a second after. */
	if (now - CLI_CLOCK_SKEW <= old.not_before) {
		req.has_not_before = true;
		req.not_before = old.not_before + 1;
	}
	if (!cli_node_sign(&ca, &req, old.pubkey, now, &c))
		goto out;
	if (!wf_cert_save(a.out, &c, true, err, sizeof(err))) {
		cli_error("%s", err);
		goto out;
	}
	if (!cli_issued_add(&ca, &c))
		goto out;
	printf("node %s of network %s: wrote %s, serial %016llx, valid until %s\n", c.name,
	       c.network, a.out, (unsigned long long)c.serial,
	       cli_time_str(c.not_after, when, sizeof(when)));
	rc = CLI_EXIT_OK;
out:
	cli_ca_wipe(&ca);
	return rc;
}
