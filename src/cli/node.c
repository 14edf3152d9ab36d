/* SPDX-License-Identifier: MIT */
/*
 * weft node init: everything a node needs in one step, for the common case
 * where the CA key is at hand: keygen, ca sign, a copy of the CA
 * certificate and a weft.conf. On any failure the files it wrote are
 * removed again, so a retry starts from a clean directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/keyfile.h"
#include "daemon/config.h"

enum {
	OPT_DIR = OPT_CLI_FIRST_FREE,
	OPT_CA,
	OPT_CERT,
	OPT_CA_CERT,
	OPT_LISTEN,
	OPT_BOOTSTRAP,
	OPT_INTERFACE,
	MAX_BOOTSTRAP = 32,
	N_FILES = 5,
};

/* What node init writes, in order; undone in reverse on failure. */
static const char *const node_files[N_FILES] = {"node.key", "node.pub", "node.crt", "ca.crt",
						"weft.conf"};

static const char node_init_usage[] =
    "Usage: weft node init --dir NODEDIR --ca CADIR --name NAME --address ADDR\n"
    "                      [--address ADDR6] --listen IP:PORT [--bootstrap HOST:PORT]...\n"
    "                      [--route CIDR]... [--group NAME]... [--valid DURATION]\n"
    "                      [--interface NAME]\n"
    "       weft node init --dir NODEDIR --cert FILE --ca-cert FILE --listen IP:PORT\n"
    "                      [--bootstrap HOST:PORT]... [--interface NAME]\n"
    "\n"
    "Sets up NODEDIR for one node. With --ca, on the admin host: generates\n"
    "node.key and node.pub, signs node.crt with the CA in CADIR, copies\n"
    "CADIR/ca.crt and writes weft.conf. With --cert, on the node itself, whose\n"
    "key 'weft keygen --dir NODEDIR' made there (so it never leaves the host):\n"
    "installs the certificate the admin host signed for node.pub as node.crt,\n"
    "the CA certificate as ca.crt, and writes weft.conf; the name comes from\n"
    "the certificate, which must be for node.key and signed by that CA.\n"
    "\n"
    "  --dir NODEDIR      the node's directory (created, mode 0700)\n"
    "  --ca CADIR         the CA directory (ca.key and ca.crt)\n"
    "  --cert FILE        the node's signed certificate (instead of --ca)\n"
    "  --ca-cert FILE     the network's CA certificate (with --cert)\n"
    "  --name NAME        node name: 1-63 of A-Z a-z 0-9 . _ -\n"
    "  --address ADDR     overlay address inside the network's prefixes; at most\n"
    "                     one IPv4 and one IPv6\n"
    "  --listen IP:PORT   UDP address the daemon listens on (IPv6: [addr]:port)\n"
    "  --bootstrap H:P    a member to contact when starting (repeatable)\n"
    "  --route CIDR       a subnet this node routes (repeatable)\n"
    "  --group NAME       a group the node belongs to (repeatable)\n"
    "  --valid DURATION   certificate lifetime, e.g. 1y (default), 90d\n"
    "  --interface NAME   TUN interface name (default weft0)\n"
    "  -h, --help         show this help\n";

struct node_init_args {
	const char *dir, *ca, *cert, *ca_cert, *listen, *interface;
	const char *bootstrap[MAX_BOOTSTRAP];
	size_t n_bootstrap;
	struct cli_node_req req;
};

static bool endpoint_ok(const char *opt, const char *arg)
{
	union wf_endpoint ep;

	if (wf_endpoint_parse(&ep, arg))
		return true;
	cli_usage_error("--%s %s: not an endpoint (like 198.18.0.1:51820 or [2001:db8::1]:51820)",
			opt, arg);
	return false;
}

/* The name becomes a kernel interface name and a line of weft.conf. */
static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == '/' || *s == ':' || *s == '#' || *s == 0x7f)
			return false;
	return true;
}

static int node_init_opt(void *ctx, int opt, const char *arg)
{
	struct node_init_args *a = ctx;

	switch (opt) {
	case OPT_DIR:
		return cli_set_once(&a->dir, "dir", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_CA:
		return cli_set_once(&a->ca, "ca", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_CERT:
		return cli_set_once(&a->cert, "cert", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_CA_CERT:
		return cli_set_once(&a->ca_cert, "ca-cert", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_LISTEN:
		return cli_set_once(&a->listen, "listen", arg) && endpoint_ok("listen", arg)
			   ? 0
			   : CLI_EXIT_USAGE;
	case OPT_BOOTSTRAP:
		/* Written as given: a name that does not resolve here (on the
		 * admin host) may well resolve on the node, where the daemon
		 * resolves it at each attempt. */
		if (!wf_config_bootstrap_ok(arg))
			return cli_usage_error("--bootstrap %s: not HOST:PORT or [IPV6]:PORT "
					       "(like db1.example.net:51820 or [2001:db8::1]:51820)",
					       arg);
		if (a->n_bootstrap >= MAX_BOOTSTRAP)
			return cli_usage_error("too many --bootstrap options (at most %d)",
					       MAX_BOOTSTRAP);
		a->bootstrap[a->n_bootstrap++] = arg;
		return CLI_EXIT_OK;
	case OPT_INTERFACE:
		if (!cli_set_once(&a->interface, "interface", arg))
			return CLI_EXIT_USAGE;
		if (!ifname_ok(arg))
			return cli_usage_error("--interface %s: not a valid interface name (1-%d "
					       "characters, no spaces, '/' or ':')",
					       arg, IFNAMSIZ - 1);
		return CLI_EXIT_OK;
	default:
		return cli_node_opt(&a->req, opt, arg);
	}
}

static int node_init_parse(int argc, char **argv, struct node_init_args *a)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"ca", required_argument, NULL, OPT_CA},
	    {"cert", required_argument, NULL, OPT_CERT},
	    {"ca-cert", required_argument, NULL, OPT_CA_CERT},
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
	    {"interface", required_argument, NULL, OPT_INTERFACE},
	    CLI_NODE_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	int rc = cli_parse(argc, argv, opts, node_init_usage, node_init_opt, a);

	if (rc)
		return rc;
	if (!cli_require(a->dir, "dir"))
		return CLI_EXIT_USAGE;
	if (a->cert || a->ca_cert) {
		/* On the node: everything about it is in the certificate. */
		if (a->ca)
			return cli_usage_error("--ca and --cert exclude each other (--ca signs "
					       "here, --cert installs what the CA signed)");
		if (!cli_require(a->cert, "cert") || !cli_require(a->ca_cert, "ca-cert"))
			return CLI_EXIT_USAGE;
		if (a->req.name || a->req.n_addrs || a->req.n_routes || a->req.n_groups ||
		    a->req.valid)
			return cli_usage_error("with --cert the name, addresses, routes, groups and "
					       "validity come from the certificate");
	} else {
		if (!cli_require(a->ca, "ca"))
			return CLI_EXIT_USAGE;
		rc = cli_node_check(&a->req);
		if (rc)
			return rc;
	}
	return cli_require(a->listen, "listen") ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

static bool write_conf(const struct node_init_args *a, const char *name, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	FILE *f;
	bool ok;

	if (fd < 0) {
		cli_error("cannot create %s: %s", path, strerror(errno));
		return false;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		cli_error("cannot write %s: %s", path, strerror(errno));
		return false;
	}
	fprintf(f, "# weft node configuration; see weft(8)\n");
	fprintf(f, "name = %s\n", name);
	fprintf(f, "interface = %s\n", a->interface ? a->interface : "weft0");
	fprintf(f, "listen = %s\n", a->listen);
	for (size_t i = 0; i < a->n_bootstrap; i++)
		fprintf(f, "bootstrap = %s\n", a->bootstrap[i]);
	fprintf(f, "# mtu = 1440\n# private-key = node.key\n# certificate = node.crt\n"
		   "# ca = ca.crt\n# log-level = info\n");
	ok = !ferror(f);
	if (fclose(f) != 0)
		ok = false;
	if (!ok)
		cli_error("cannot write %s: %s", path, strerror(errno));
	return ok;
}

/* Keys, certificate, CA copy and config, in the order of node_files; *done
 * counts the files written, for the cleanup to remove only those. */
static bool node_write(const struct node_init_args *a, const struct cli_ca *ca,
		       char paths[N_FILES][CLI_PATH_MAX], int64_t now, size_t *done)
{
	char err[WF_ERR_MAX] = "";
	uint8_t pub[WF_KEY_LEN];
	struct wf_cert c;

	if (!cli_keygen(a->dir, pub))
		return false;
	*done = 2;
	if (!cli_node_sign(ca, &a->req, pub, now, &c))
		return false;
	if (!wf_cert_save(paths[2], &c, false, err, sizeof(err)))
		goto fail;
	*done = 3;
	if (!cli_issued_add(ca, &c))
		return false;
	if (!wf_cert_save(paths[3], &ca->cert, false, err, sizeof(err)))
		goto fail;
	*done = 4;
	if (!write_conf(a, a->req.name, paths[4]))
		return false;
	*done = 5;
	return true;
fail:
	cli_error("%s", err);
	return false;
}

/*
 * --cert: the node's key was made here; its certificate and the CA's came
 * from the admin host. Check that they belong together (the certificate is
 * for node.key and verifies against the CA now) before writing anything.
 */
static bool install_check(const struct node_init_args *a, const char *key_path,
			  struct wf_cert *ca, struct wf_cert *c)
{
	uint8_t priv[WF_KEY_LEN], pub[WF_KEY_LEN];
	enum wf_cert_err e;
	bool match;

	if (!cli_load_cert(a->ca_cert, ca) || !cli_load_cert(a->cert, c))
		return false;
	if (ca->type != WF_CERT_CA || c->type != WF_CERT_NODE) {
		cli_error("%s", ca->type != WF_CERT_CA ? "--ca-cert is not a CA certificate"
						       : "--cert is not a node certificate");
		return false;
	}
	if ((e = wf_cert_verify_ca(ca, cli_now())) != WF_CERT_OK ||
	    (e = wf_cert_verify(c, ca, cli_now())) != WF_CERT_OK) {
		cli_error("%s: %s", e == WF_CERT_ERR_CA_EXPIRED ? a->ca_cert : a->cert,
			  wf_cert_strerror(e));
		return false;
	}
	if (!cli_load_key(key_path, "NODE PRIVATE KEY", priv))
		return false;
	match = wf_x25519_public(pub, priv) && wf_memeq(pub, c->pubkey, WF_KEY_LEN);
	wf_wipe(priv, sizeof(priv));
	if (!match)
		cli_error("%s is not for %s (it was signed for another key: sign this node's "
			  "node.pub)",
			  a->cert, key_path);
	return match;
}

static int node_install(const struct node_init_args *a)
{
	char key[CLI_PATH_MAX], paths[3][CLI_PATH_MAX], err[WF_ERR_MAX] = "";
	static const char *const files[3] = {"node.crt", "ca.crt", "weft.conf"};
	struct wf_cert ca, c;
	size_t done = 0;

	if (!cli_path(key, sizeof(key), a->dir, "node.key"))
		return CLI_EXIT_FAIL;
	if (!cli_exists(key)) {
		cli_error("%s does not exist: make the key here first (weft keygen --dir %s)", key,
			  a->dir);
		return CLI_EXIT_FAIL;
	}
	for (size_t i = 0; i < 3; i++)
		if (!cli_path(paths[i], sizeof(paths[i]), a->dir, files[i]) ||
		    !cli_refuse_existing(paths[i]))
			return CLI_EXIT_FAIL;
	if (!install_check(a, key, &ca, &c))
		return CLI_EXIT_FAIL;
	if (!wf_cert_save(paths[0], &c, false, err, sizeof(err)))
		goto fail;
	done = 1;
	if (!wf_cert_save(paths[1], &ca, false, err, sizeof(err)))
		goto fail;
	done = 2;
	if (!write_conf(a, c.name, paths[2]))
		goto fail;
	printf("node %s of network %s: wrote node.crt, ca.crt and weft.conf in %s\n", c.name,
	       ca.network, a->dir);
	return CLI_EXIT_OK;
fail:
	if (err[0])
		cli_error("%s", err);
	while (done > 0) /* only what this run wrote */
		unlink(paths[--done]);
	return CLI_EXIT_FAIL;
}

int cmd_node_init(int argc, char **argv)
{
	struct node_init_args a = {0};
	char paths[N_FILES][CLI_PATH_MAX];
	int64_t now = cli_now();
	struct cli_ca ca;
	size_t done = 0;
	int rc = node_init_parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (a.cert)
		return node_install(&a);
	for (size_t i = 0; i < N_FILES; i++) {
		if (!cli_path(paths[i], sizeof(paths[i]), a.dir, node_files[i]) ||
		    !cli_refuse_existing(paths[i]))
			return CLI_EXIT_FAIL;
	}
	if (!cli_ca_load(a.ca, &ca, now))
		return CLI_EXIT_FAIL;
	rc = CLI_EXIT_OK;
	if (node_write(&a, &ca, paths, now, &done)) {
		printf("node %s of network %s: wrote node.key, node.pub, node.crt, ca.crt and "
		       "weft.conf in %s\n",
		       a.req.name, ca.cert.network, a.dir);
	} else {
		while (done > 0)
			unlink(paths[--done]);
		rc = CLI_EXIT_FAIL;
	}
	cli_ca_wipe(&ca);
	return rc;
}
