/* SPDX-License-Identifier: MIT */
/*
 * weft ca init: create a network's CA key and self-signed CA certificate.
 * weft ca sign: turn a node's public key into a node certificate.
 *
 * The node-certificate helpers here are shared with "node init", which is
 * keygen + sign + copying the CA certificate.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/keyfile.h"

enum {
	CLOCK_SKEW = CLI_CLOCK_SKEW,
	DEFAULT_CA_VALID = 10 * 365 * 86400,
	DEFAULT_NODE_VALID = 365 * 86400,
	LIST_MAX = 512,
};

static const char ca_init_usage[] =
    "Usage: weft ca init --dir CADIR --network NAME --prefix CIDR [--prefix CIDR]...\n"
    "                    [--allow-route CIDR]...\n"
    "                    [--cipher aes-256-gcm|chacha20-poly1305] [--valid DURATION]\n"
    "\n"
    "Creates CADIR (mode 0700) with ca.key, the network's Ed25519 CA key (mode\n"
    "0600; keep it offline), and ca.crt, its self-signed CA certificate that\n"
    "carries the network name, overlay prefixes (IPv4 and/or IPv6), cipher and\n"
    "the subnets outside the overlay that nodes may route.\n"
    "\n"
    "  --dir CADIR        where to write ca.key and ca.crt\n"
    "  --network NAME     network name: 1-63 of A-Z a-z 0-9 . _ -\n"
    "  --prefix CIDR      an overlay prefix, e.g. 100.64.0.0/10 or fd00::/64\n"
    "  --allow-route CIDR a subnet outside the overlay (a LAN behind a host) that\n"
    "                     node certificates may route, e.g. 10.20.0.0/16\n"
    "                     (repeatable; routes inside the overlay always may)\n"
    "  --cipher NAME      aes-256-gcm (default) or chacha20-poly1305\n"
    "  --valid DURATION   CA lifetime with a unit: 10y (default), 90d, 12h, 30m,\n"
    "                     3600s\n"
    "  -h, --help         show this help\n";

static const char ca_sign_usage[] =
    "Usage: weft ca sign --dir CADIR --pubkey NODEDIR/node.pub --name NAME\n"
    "                    --address ADDR [--address ADDR6] [--route CIDR]...\n"
    "                    [--group NAME]... [--valid DURATION] --out FILE [--force]\n"
    "\n"
    "Signs a node's public key with the CA in CADIR and writes the node\n"
    "certificate to FILE (normally NODEDIR/node.crt). A copy goes to\n"
    "CADIR/issued/SERIAL.crt, the CA's record of what it signed.\n"
    "\n"
    "  --dir CADIR        the CA directory (ca.key and ca.crt)\n"
    "  --pubkey FILE      the node's public key, written by 'weft keygen'\n"
    "  --name NAME        node name: 1-63 of A-Z a-z 0-9 . _ -\n"
    "  --address ADDR     overlay address inside the network's prefixes; at most\n"
    "                     one IPv4 and one IPv6\n"
    "  --route CIDR       a subnet this node routes (repeatable): inside the\n"
    "                     overlay, or inside a route the CA allows\n"
    "  --group NAME       a group the node belongs to (repeatable)\n"
    "  --valid DURATION   lifetime, e.g. 1y (default), 90d, 12h; capped at the CA's\n"
    "  --out FILE         where to write the certificate\n"
    "  --force            overwrite FILE if it exists, and sign even if another\n"
    "                     node's live certificate holds one of the addresses (to\n"
    "                     renew a certificate, use weft ca renew)\n"
    "  -h, --help         show this help\n";

/* --- Allowed routes (ca init, ca renew --ca) ---------------------------- */

int cli_allow_route_add(struct wf_prefix *list, uint8_t *n, const char *arg)
{
	char s[WF_ADDR_STRLEN];
	struct wf_prefix p;

	if (!cli_parse_prefix("allow-route", arg, &p))
		return CLI_EXIT_USAGE;
	for (unsigned i = 0; i < *n; i++)
		if (wf_prefix_contains(&list[i], &p) || wf_prefix_contains(&p, &list[i]))
			return cli_usage_error("--allow-route %s overlaps --allow-route %s", arg,
					       wf_prefix_str(&list[i], false, s, sizeof(s)));
	if (*n >= WF_CERT_MAX_ROUTES)
		return cli_usage_error("too many --allow-route options (at most %d)",
				       WF_CERT_MAX_ROUTES);
	list[(*n)++] = p;
	return CLI_EXIT_OK;
}

static bool private_space(const struct wf_prefix *p);

int cli_allowed_check(const struct wf_prefix *allowed, unsigned n, const struct wf_prefix *overlay,
		      unsigned n_overlay)
{
	char a[WF_ADDR_STRLEN], o[WF_ADDR_STRLEN];

	for (unsigned i = 0; i < n; i++) {
		wf_prefix_str(&allowed[i], false, a, sizeof(a));
		for (unsigned j = 0; j < n_overlay; j++)
			if (wf_prefix_contains(&overlay[j], &allowed[i]))
				return cli_usage_error(
				    "--allow-route %s is inside the overlay prefix %s: routes there "
				    "need no allowing",
				    a, wf_prefix_str(&overlay[j], false, o, sizeof(o)));
		if (!private_space(&allowed[i]))
			fprintf(stderr,
				"weft: %s: warning: %s is not private address space: a node given "
				"a route to it is where every node would send traffic for the "
				"Internet hosts that hold it\n",
				cli_command, a);
	}
	return CLI_EXIT_OK;
}

/* --- Shared node-certificate helpers ---------------------------------- */

static int add_group(struct cli_node_req *r, const char *arg)
{
	if (!wf_cert_name_valid(arg))
		return cli_usage_error("--group %s: use 1-63 of A-Z a-z 0-9 . _ -", arg);
	for (size_t i = 0; i < r->n_groups; i++)
		if (!strcmp(r->groups[i], arg))
			return cli_usage_error("--group %s given twice", arg);
	if (r->n_groups >= WF_CERT_MAX_GROUPS)
		return cli_usage_error("too many --group options (at most %d)", WF_CERT_MAX_GROUPS);
	r->groups[r->n_groups++] = arg;
	return CLI_EXIT_OK;
}

static int add_address(struct cli_node_req *r, const char *arg)
{
	struct wf_prefix a;

	if (!cli_parse_addr("address", arg, &a))
		return CLI_EXIT_USAGE;
	/* One address per family: the overlay routes by family, and a second
	 * address of the same family is what --route is for. */
	for (size_t i = 0; i < r->n_addrs; i++)
		if (r->addrs[i].family == a.family)
			return cli_usage_error(
			    "--address %s: only one %s address per node (have %s)", arg,
			    a.family == AF_INET ? "IPv4" : "IPv6", r->addr_arg[i]);
	r->addr_arg[r->n_addrs] = arg;
	r->addrs[r->n_addrs++] = a;
	return CLI_EXIT_OK;
}

static int add_route(struct cli_node_req *r, const char *arg)
{
	struct wf_prefix p;

	if (!cli_parse_prefix("route", arg, &p))
		return CLI_EXIT_USAGE;
	if (r->n_routes >= WF_CERT_MAX_ROUTES)
		return cli_usage_error("too many --route options (at most %d)", WF_CERT_MAX_ROUTES);
	r->routes[r->n_routes++] = p;
	return CLI_EXIT_OK;
}

int cli_node_opt(struct cli_node_req *r, int opt, const char *arg)
{
	switch (opt) {
	case OPT_NAME:
		if (!cli_set_once(&r->name, "name", arg))
			return CLI_EXIT_USAGE;
		if (!wf_cert_name_valid(arg))
			return cli_usage_error("--name %s: use 1-63 of A-Z a-z 0-9 . _ -", arg);
		return CLI_EXIT_OK;
	case OPT_ADDRESS:
		return add_address(r, arg);
	case OPT_ROUTE:
		return add_route(r, arg);
	case OPT_GROUP:
		return add_group(r, arg);
	case OPT_VALID:
		if (!cli_parse_duration(arg, &r->valid))
			return cli_duration_error("valid", arg);
		return CLI_EXIT_OK;
	case OPT_NOT_BEFORE:
		r->has_not_before = true;
		return cli_parse_time("not-before", arg, &r->not_before) ? 0 : CLI_EXIT_USAGE;
	case OPT_NOT_AFTER:
		r->has_not_after = true;
		return cli_parse_time("not-after", arg, &r->not_after) ? 0 : CLI_EXIT_USAGE;
	default:
		return cli_usage_error("internal error: option %d", opt);
	}
}

int cli_node_check(const struct cli_node_req *r)
{
	if (!cli_require(r->name, "name"))
		return CLI_EXIT_USAGE;
	if (!r->n_addrs)
		return cli_usage_error("missing --address");
	return CLI_EXIT_OK;
}

/* any_time: a CA certificate outside its validity is fine (to renew it). */
static bool ca_load(const char *dir, struct cli_ca *ca, int64_t now, bool any_time)
{
	char key_path[CLI_PATH_MAX], crt_path[CLI_PATH_MAX];
	uint8_t pub[WF_KEY_LEN];
	enum wf_cert_err e;

	snprintf(ca->dir, sizeof(ca->dir), "%s", dir);
	if (!cli_path(key_path, sizeof(key_path), dir, "ca.key") ||
	    !cli_path(crt_path, sizeof(crt_path), dir, "ca.crt"))
		return false;
	if (!cli_load_cert(crt_path, &ca->cert))
		return false;
	if (ca->cert.type != WF_CERT_CA) {
		cli_error("%s is a node certificate, not the CA certificate", crt_path);
		return false;
	}
	e = wf_cert_verify_ca(&ca->cert, any_time ? ca->cert.not_before : now);
	if (e != WF_CERT_OK) {
		cli_error("%s: %s", crt_path, wf_cert_strerror(e));
		return false;
	}
	if (!cli_load_key(key_path, "CA PRIVATE KEY", ca->priv))
		return false;
	if (!wf_ed25519_public(pub, ca->priv) || !wf_memeq(pub, ca->cert.pubkey, WF_KEY_LEN)) {
		cli_error("%s does not belong to %s (another CA's key?)", key_path, crt_path);
		cli_ca_wipe(ca);
		return false;
	}
	return true;
}

bool cli_ca_load(const char *dir, struct cli_ca *ca, int64_t now)
{
	return ca_load(dir, ca, now, false);
}

bool cli_ca_load_any_time(const char *dir, struct cli_ca *ca)
{
	return ca_load(dir, ca, 0, true);
}

void cli_ca_wipe(struct cli_ca *ca)
{
	wf_wipe(ca->priv, sizeof(ca->priv));
}

/* Is p inside one of the CA's prefixes? Otherwise say which are allowed. */
static bool inside_network(const struct cli_ca *ca, const struct wf_prefix *p, const char *what)
{
	char list[LIST_MAX], s[WF_ADDR_STRLEN];

	for (size_t i = 0; i < ca->cert.n_prefixes; i++)
		if (wf_prefix_contains(&ca->cert.prefixes[i], p))
			return true;
	cli_error(
	    "%s %s is outside the network's prefixes (%s)", what,
	    wf_prefix_str(p, true, s, sizeof(s)),
	    cli_prefix_list(ca->cert.prefixes, ca->cert.n_prefixes, false, list, sizeof(list)));
	return false;
}

/* Validity: now - skew .. now + valid, capped at the CA's end. The testing
 * options set either end directly. */
static bool node_validity(const struct cli_ca *ca, const struct cli_node_req *r, int64_t now,
			  struct wf_cert *c)
{
	char when[32];

	c->not_before = r->has_not_before ? r->not_before : now - CLOCK_SKEW;
	c->not_after =
	    r->has_not_after ? r->not_after : now + (r->valid ? r->valid : DEFAULT_NODE_VALID);
	if (c->not_after > ca->cert.not_after) {
		c->not_after = ca->cert.not_after;
		fprintf(stderr, "weft: %s: note: validity capped at the CA's expiry, %s\n",
			cli_command, cli_time_str(c->not_after, when, sizeof(when)));
	}
	if (c->not_after <= c->not_before) {
		cli_error("the certificate would never be valid (not after <= not before)");
		return false;
	}
	return true;
}

/* May the CA's nodes route p? Otherwise say what it may route. */
static bool route_allowed(const struct cli_ca *ca, const struct wf_prefix *p)
{
	char list[LIST_MAX], allowed[LIST_MAX], s[WF_ADDR_STRLEN];
	const struct wf_cert *c = &ca->cert;

	if (wf_cert_route_allowed(c, p))
		return true;
	cli_prefix_list(c->prefixes, c->n_prefixes, false, list, sizeof(list));
	wf_prefix_str(p, true, s, sizeof(s));
	if (!c->n_allowed) {
		cli_error("route %s is outside the network's prefixes (%s), and the CA allows no "
			  "other routes ('weft ca renew --ca --allow-route CIDR' adds some)",
			  s, list);
		return false;
	}
	cli_error("route %s is outside the network's prefixes (%s) and the routes the CA allows "
		  "(%s)",
		  s, list,
		  cli_prefix_list(c->allowed, c->n_allowed, false, allowed, sizeof(allowed)));
	return false;
}

static bool node_fill(const struct cli_ca *ca, const struct cli_node_req *r,
		      const uint8_t pub[WF_KEY_LEN], int64_t now, struct wf_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->type = WF_CERT_NODE;
	snprintf(c->network, sizeof(c->network), "%s", ca->cert.network);
	snprintf(c->name, sizeof(c->name), "%s", r->name);
	memcpy(c->pubkey, pub, WF_KEY_LEN);
	c->cipher = WF_CIPHER_NONE;
	for (size_t i = 0; i < r->n_addrs; i++)
		if (!inside_network(ca, &r->addrs[i], "address"))
			return false;
	for (size_t i = 0; i < r->n_routes; i++)
		if (!route_allowed(ca, &r->routes[i]))
			return false;
	c->n_addrs = r->n_addrs;
	memcpy(c->addrs, r->addrs, sizeof(r->addrs[0]) * r->n_addrs);
	c->n_routes = r->n_routes;
	memcpy(c->routes, r->routes, sizeof(r->routes[0]) * r->n_routes);
	c->n_groups = r->n_groups;
	for (size_t i = 0; i < r->n_groups; i++)
		snprintf(c->groups[i], sizeof(c->groups[i]), "%s", r->groups[i]);
	c->version = wf_cert_version(c);
	if (!wf_random(&c->serial, sizeof(c->serial))) {
		cli_error("cannot get random bytes");
		return false;
	}
	return node_validity(ca, r, now, c);
}

bool cli_node_sign(const struct cli_ca *ca, const struct cli_node_req *r,
		   const uint8_t pub[WF_KEY_LEN], int64_t now, struct wf_cert *out)
{
	enum wf_cert_err e;
	int64_t at = now;

	if (!node_fill(ca, r, pub, now, out))
		return false;
	if (!wf_cert_sign(out, ca->priv)) {
		cli_error("signing the certificate failed");
		return false;
	}
	/* Check what we made the way every node will. A cert made with the
	 * testing options is checked at its own start instead of now. */
	if (r->has_not_before || r->has_not_after)
		at = out->not_before > ca->cert.not_before ? out->not_before : ca->cert.not_before;
	e = wf_cert_verify(out, &ca->cert, at);
	if (e != WF_CERT_OK) {
		cli_error("the new certificate does not verify: %s", wf_cert_strerror(e));
		return false;
	}
	return cli_issued_check(ca, out, now, r->force);
}

/* --- ca init ----------------------------------------------------------- */

struct ca_init_args {
	const char *dir, *network, *cipher;
	struct wf_prefix prefixes[WF_CERT_MAX_PREFIXES];
	struct wf_prefix allowed[WF_CERT_MAX_ROUTES];
	size_t n_prefixes;
	uint8_t n_allowed;
	int64_t valid, not_before;
	bool has_not_before;
};

enum {
	OPT_DIR = OPT_CLI_FIRST_FREE,
	OPT_NETWORK,
	OPT_PREFIX,
	OPT_CIPHER,
	OPT_PUBKEY,
	OPT_OUT,
	OPT_FORCE,
	OPT_ALLOW_ROUTE,
};

/* Private (RFC 1918), shared/CGNAT (RFC 6598) or unique local (RFC 4193)
 * space: an overlay elsewhere would shadow real hosts of the Internet. */
static bool private_space(const struct wf_prefix *p)
{
	static const char *const ranges[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
					     "100.64.0.0/10", "fc00::/7"};
	struct wf_prefix r;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (wf_prefix_parse(&r, ranges[i], true) && wf_prefix_contains(&r, p))
			return true;
	return false;
}

static int add_prefix(struct ca_init_args *a, const char *arg)
{
	struct wf_prefix p;

	if (!cli_parse_prefix("prefix", arg, &p))
		return CLI_EXIT_USAGE;
	for (size_t i = 0; i < a->n_prefixes; i++)
		if (wf_prefix_contains(&a->prefixes[i], &p) ||
		    wf_prefix_contains(&p, &a->prefixes[i]))
			return cli_usage_error("--prefix %s overlaps another --prefix", arg);
	if (a->n_prefixes >= WF_CERT_MAX_PREFIXES)
		return cli_usage_error("too many --prefix options (at most %d)",
				       WF_CERT_MAX_PREFIXES);
	if (!private_space(&p))
		fprintf(stderr,
			"weft: %s: warning: %s is not private address space: the overlay would hide "
			"the Internet hosts that own it from every node; private (10.0.0.0/8, "
			"172.16.0.0/12, 192.168.0.0/16), shared (100.64.0.0/10) or ULA (fd00::/8) "
			"space is safe\n",
			cli_command, arg);
	a->prefixes[a->n_prefixes++] = p;
	return CLI_EXIT_OK;
}

static int ca_init_opt(void *ctx, int opt, const char *arg)
{
	struct ca_init_args *a = ctx;

	switch (opt) {
	case OPT_DIR:
		return cli_set_once(&a->dir, "dir", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_NETWORK:
		if (!cli_set_once(&a->network, "network", arg))
			return CLI_EXIT_USAGE;
		if (!wf_cert_name_valid(arg))
			return cli_usage_error("--network %s: use 1-63 of A-Z a-z 0-9 . _ -", arg);
		return CLI_EXIT_OK;
	case OPT_PREFIX:
		return add_prefix(a, arg);
	case OPT_ALLOW_ROUTE:
		return cli_allow_route_add(a->allowed, &a->n_allowed, arg);
	case OPT_CIPHER:
		if (!cli_set_once(&a->cipher, "cipher", arg))
			return CLI_EXIT_USAGE;
		if (wf_cipher_from_name(arg) == WF_CIPHER_NONE)
			return cli_usage_error("--cipher %s: use aes-256-gcm or chacha20-poly1305",
					       arg);
		return CLI_EXIT_OK;
	case OPT_VALID:
		if (!cli_parse_duration(arg, &a->valid))
			return cli_duration_error("valid", arg);
		return CLI_EXIT_OK;
	case OPT_NOT_BEFORE:
		a->has_not_before = true;
		return cli_parse_time("not-before", arg, &a->not_before) ? 0 : CLI_EXIT_USAGE;
	default:
		return cli_usage_error("internal error: option %d", opt);
	}
}

static int ca_init_parse(int argc, char **argv, struct ca_init_args *a)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"network", required_argument, NULL, OPT_NETWORK},
	    {"prefix", required_argument, NULL, OPT_PREFIX},
	    {"allow-route", required_argument, NULL, OPT_ALLOW_ROUTE},
	    {"cipher", required_argument, NULL, OPT_CIPHER},
	    {"valid", required_argument, NULL, OPT_VALID},
	    {"not-before", required_argument, NULL, OPT_NOT_BEFORE}, /* testing */
	    {NULL, 0, NULL, 0},
	};
	int rc = cli_parse(argc, argv, opts, ca_init_usage, ca_init_opt, a);

	if (rc)
		return rc;
	if (!cli_require(a->dir, "dir") ||
	    !cli_require(a->network, "network"))
		return CLI_EXIT_USAGE;
	if (!a->n_prefixes)
		return cli_usage_error("missing --prefix");
	return cli_allowed_check(a->allowed, a->n_allowed, a->prefixes, (unsigned)a->n_prefixes);
}

static bool ca_cert_make(const struct ca_init_args *a, const uint8_t priv[WF_KEY_LEN],
			 const uint8_t pub[WF_KEY_LEN], struct wf_cert *c)
{
	int64_t now = cli_now();
	enum wf_cert_err e;

	memset(c, 0, sizeof(*c));
	c->type = WF_CERT_CA;
	snprintf(c->network, sizeof(c->network), "%s", a->network);
	snprintf(c->name, sizeof(c->name), "%s", a->network);
	memcpy(c->pubkey, pub, WF_KEY_LEN);
	c->not_before = a->has_not_before ? a->not_before : now - CLOCK_SKEW;
	c->not_after = now + (a->valid ? a->valid : DEFAULT_CA_VALID);
	c->cipher = a->cipher ? wf_cipher_from_name(a->cipher) : WF_CIPHER_AES256GCM;
	c->n_prefixes = (uint8_t)a->n_prefixes;
	memcpy(c->prefixes, a->prefixes, sizeof(a->prefixes[0]) * a->n_prefixes);
	c->n_allowed = a->n_allowed;
	memcpy(c->allowed, a->allowed, sizeof(a->allowed[0]) * a->n_allowed);
	c->version = wf_cert_version(c);
	if (!wf_random(&c->serial, sizeof(c->serial)) || !wf_cert_sign(c, priv)) {
		cli_error("signing the CA certificate failed");
		return false;
	}
	e = wf_cert_verify_ca(c, now);
	if (e != WF_CERT_OK) {
		cli_error("the new CA certificate does not verify: %s", wf_cert_strerror(e));
		return false;
	}
	return true;
}

static int ca_init_write(const struct ca_init_args *a, const char *key_path, const char *crt_path)
{
	uint8_t priv[WF_KEY_LEN], pub[WF_KEY_LEN];
	char err[WF_ERR_MAX] = "", b64[64];
	struct wf_cert c;
	int rc = CLI_EXIT_FAIL;

	if (!wf_ed25519_keygen(priv, pub)) {
		cli_error("generating the CA key failed");
		goto out;
	}
	if (!ca_cert_make(a, priv, pub, &c))
		goto out;
	if (!wf_key_save(key_path, "CA PRIVATE KEY", priv, 0600, err, sizeof(err))) {
		cli_error("%s", err);
		goto out;
	}
	if (!wf_cert_save(crt_path, &c, false, err, sizeof(err))) {
		cli_error("%s", err);
		unlink(key_path); /* no key without its certificate */
		goto out;
	}
	cli_base64(c.pubkey, WF_KEY_LEN, b64, sizeof(b64));
	printf("network %s: wrote %s and %s\nCA public key: %s\n", a->network, key_path, crt_path,
	       b64);
	rc = CLI_EXIT_OK;
out:
	wf_wipe(priv, sizeof(priv));
	return rc;
}

int cmd_ca_init(int argc, char **argv)
{
	struct ca_init_args a = {0};
	char key_path[CLI_PATH_MAX], crt_path[CLI_PATH_MAX];
	int rc = ca_init_parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!cli_path(key_path, sizeof(key_path), a.dir, "ca.key") ||
	    !cli_path(crt_path, sizeof(crt_path), a.dir, "ca.crt") ||
	    !cli_refuse_existing(key_path) || !cli_refuse_existing(crt_path) || !cli_mkdir(a.dir))
		return CLI_EXIT_FAIL;
	return ca_init_write(&a, key_path, crt_path);
}

/* --- ca sign ----------------------------------------------------------- */

struct ca_sign_args {
	const char *dir, *pubkey, *out;
	bool force;
	struct cli_node_req req;
};

static int ca_sign_opt(void *ctx, int opt, const char *arg)
{
	struct ca_sign_args *a = ctx;

	switch (opt) {
	case OPT_DIR:
		return cli_set_once(&a->dir, "dir", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_PUBKEY:
		return cli_set_once(&a->pubkey, "pubkey", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_OUT:
		return cli_set_once(&a->out, "out", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_FORCE:
		a->force = a->req.force = true;
		return CLI_EXIT_OK;
	default:
		return cli_node_opt(&a->req, opt, arg);
	}
}

static int ca_sign_parse(int argc, char **argv, struct ca_sign_args *a)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"pubkey", required_argument, NULL, OPT_PUBKEY},
	    {"out", required_argument, NULL, OPT_OUT},
	    {"force", no_argument, NULL, OPT_FORCE},
	    CLI_NODE_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	int rc = cli_parse(argc, argv, opts, ca_sign_usage, ca_sign_opt, a);

	if (rc)
		return rc;
	if (!cli_require(a->dir, "dir") ||
	    !cli_require(a->pubkey, "pubkey"))
		return CLI_EXIT_USAGE;
	rc = cli_node_check(&a->req);
	if (rc)
		return rc;
	return cli_require(a->out, "out") ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int cmd_ca_sign(int argc, char **argv)
{
	struct ca_sign_args a = {0};
	uint8_t pub[WF_KEY_LEN];
	char err[WF_ERR_MAX] = "";
	int64_t now = cli_now();
	struct cli_ca ca;
	struct wf_cert c;
	int rc = ca_sign_parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	/* Fail before touching the CA key if the output is in the way. */
	if (!a.force && cli_exists(a.out)) {
		cli_error("%s already exists; use --force to replace it (or weft ca renew)", a.out);
		return CLI_EXIT_FAIL;
	}
	if (!cli_load_key(a.pubkey, "NODE PUBLIC KEY", pub) || !cli_ca_load(a.dir, &ca, now))
		return CLI_EXIT_FAIL;
	rc = CLI_EXIT_FAIL;
	if (!cli_node_sign(&ca, &a.req, pub, now, &c))
		goto out;
	if (!wf_cert_save(a.out, &c, a.force, err, sizeof(err))) {
		cli_error("%s", err);
		goto out;
	}
	if (!cli_issued_add(&ca, &c))
		goto out;
	printf("node %s of network %s: wrote %s\n", c.name, c.network, a.out);
	rc = CLI_EXIT_OK;
out:
	cli_ca_wipe(&ca);
	return rc;
}
