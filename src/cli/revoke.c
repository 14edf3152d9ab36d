/* SPDX-License-Identifier: MIT */
/*
 * weft ca revoke: add node certificates to the network's revocation list
 * (CADIR/revoked.list), under the next version, signed by the CA; serials of
 * certificates that expired more than a day ago leave the list (pruning).
 * weft revoke: hand a revocation list to a node: checked against the node's
 * CA, written to NODEDIR/revoked.list if newer than the one there, and the
 * running daemon told to take it (it then spreads it through the mesh).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/status.h"
#include "store/keyfile.h"
#include "core/revoke.h"
#include "daemon/config.h"

enum {
	OPT_DIR = OPT_CLI_FIRST_FREE,
	OPT_RNAME,
	OPT_SERIAL,
	/* A serial stays listed until its certificate has been expired this
	 * long: a node whose clock runs behind takes a certificate until its
	 * own clock passes the end. */
	PRUNE_AFTER = 86400,
};

static const char ca_revoke_usage[] =
    "Usage: weft ca revoke --dir CADIR (--name NODE | --serial N)...\n"
    "\n"
    "Withdraw node certificates: add them to CADIR/revoked.list, the network's\n"
    "revocation list, under the next version, signed by the CA. --name revokes\n"
    "every certificate CADIR/issued/ holds for that node; --serial one certificate\n"
    "(its serial in hex, as `weft cert show` prints it). Both repeat.\n"
    "\n"
    "A list holds at most 4096 serials. Each new version leaves out the serials\n"
    "of certificates that expired more than a day ago (no node takes them any\n"
    "more), as CADIR/issued/ tells; a serial it holds no certificate of stays.\n"
    "\n"
    "Then hand the list to any one node; the mesh spreads it within seconds:\n"
    "\n"
    "    weft revoke --dir NODEDIR CADIR/revoked.list\n"
    "\n"
    "Every node then ends its sessions with the revoked nodes, refuses their\n"
    "handshakes, and keeps the list across restarts.\n";

static const char revoke_usage[] =
    "Usage: weft revoke --dir NODEDIR FILE\n"
    "\n"
    "Give this node the revocation list FILE (made by weft ca revoke). It is\n"
    "checked against the node's CA and written to NODEDIR/revoked.list if its\n"
    "version is newer than the one there; a running daemon is told to take it,\n"
    "ends its sessions with the revoked nodes and passes the list to its peers.\n"
    "If the daemon is not running, it takes the list when it starts.\n";

struct ca_revoke_args {
	const char *dir;
	const char **names; /* room for argc of each */
	unsigned n_names;
	uint64_t *serials;
	unsigned n_serials;
};

static int ca_revoke_opt(void *ctx, int opt, const char *arg)
{
	struct ca_revoke_args *a = ctx;
	char *end;

	switch (opt) {
	case OPT_DIR:
		return cli_set_once(&a->dir, "dir", arg) ? 0 : CLI_EXIT_USAGE;
	case OPT_RNAME:
		if (!wf_cert_name_valid(arg))
			return cli_usage_error("--name %s: not a node name", arg);
		a->names[a->n_names++] = arg;
		return 0;
	default: /* OPT_SERIAL */
		errno = 0;
		a->serials[a->n_serials] = strtoull(arg, &end, 16); /* as cert show prints it */
		if (errno || end == arg || *end || arg[0] == '-')
			return cli_usage_error("--serial %s: not a serial number", arg);
		a->n_serials++;
		return 0;
	}
}

/* What signing the next list is about. */
struct next_list {
	struct wf_revoke r;
	const char *cadir;
	const struct cli_issued *issued;
	size_t n_issued;
	int64_t now;
	unsigned added, pruned, unknown;
};

/* Has the certificate of serial been expired long enough to leave? */
static bool expired(const struct next_list *l, uint64_t serial)
{
	const struct cli_issued *c = cli_issued_find(l->issued, l->n_issued, serial);

	return c && c->not_after < l->now - PRUNE_AFTER;
}

/* Leave out the serials of certificates long expired. */
static void prune(struct next_list *l)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < l->r.n; i++)
		if (!expired(l, l->r.serial[i]))
			l->r.serial[kept++] = l->r.serial[i];
	l->pruned += l->r.n - kept;
	l->r.n = (uint16_t)kept;
}

static bool add(struct next_list *l, uint64_t serial)
{
	unsigned before = l->r.n;

	if (expired(l, serial))
		return true; /* no node takes it: nothing to list */
	if (!wf_revoke_add(&l->r, serial)) {
		cli_error("the list is full (%d serials)", WF_REVOKE_MAX);
		return false;
	}
	l->added += l->r.n - before;
	return true;
}

/* Add every certificate CADIR/issued/ holds for name. */
static bool add_name(struct next_list *l, const char *name)
{
	unsigned found = 0, old = 0;

	for (size_t i = 0; i < l->n_issued; i++) {
		if (strcmp(l->issued[i].name, name))
			continue;
		if (!add(l, l->issued[i].serial))
			return false;
		found++;
		old += expired(l, l->issued[i].serial);
	}
	if (!found) {
		cli_error("%s/issued/ holds no certificate of %s (one signed before it existed "
			  "can be revoked by --serial)",
			  l->cadir, name);
		return false;
	}
	printf("%s: %u certificate%s", name, found, found == 1 ? "" : "s");
	if (old)
		printf(" (%u expired more than a day ago: not listed)", old);
	printf("\n");
	return true;
}

/* The list CADIR/revoked.list holds now (version 0 if none). */
static bool current_list(const struct cli_ca *ca, const char *path, struct wf_revoke *r)
{
	char err[WF_ERR_MAX];
	enum wf_cert_err e;

	memset(r, 0, sizeof(*r));
	snprintf(r->network, sizeof(r->network), "%s", ca->cert.network);
	if (!cli_exists(path))
		return true;
	if (!wf_revoke_load(path, r, err, sizeof(err))) {
		cli_error("%s", err);
		return false;
	}
	if ((e = wf_revoke_verify(r, &ca->cert)) != WF_CERT_OK) {
		cli_error("%s: %s", path, wf_cert_strerror(e));
		return false;
	}
	return true;
}

/* The serials listed that CADIR/issued/ holds no certificate of. */
static unsigned unknown(const struct next_list *l)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->r.n; i++)
		n += !cli_issued_find(l->issued, l->n_issued, l->r.serial[i]);
	return n;
}

static bool next_list(struct next_list *l, const struct cli_ca *ca, const char *path,
		      const struct ca_revoke_args *a)
{
	if (!current_list(ca, path, &l->r))
		return false;
	prune(l); /* first: what left makes room */
	for (unsigned i = 0; i < a->n_names; i++)
		if (!add_name(l, a->names[i]))
			return false;
	for (unsigned i = 0; i < a->n_serials; i++) {
		if (!add(l, a->serials[i]))
			return false;
		if (expired(l, a->serials[i]))
			printf("%016" PRIx64 ": expired more than a day ago: not listed\n",
			       a->serials[i]);
	}
	l->unknown = unknown(l);
	l->r.version++;
	l->r.issued = l->now;
	return true;
}

static int ca_revoke_write(struct cli_ca *ca, const struct ca_revoke_args *a)
{
	static struct next_list l; /* 32 KiB */
	char path[CLI_PATH_MAX], err[WF_ERR_MAX] = "";
	struct cli_issued *issued;
	int rc = CLI_EXIT_FAIL;

	memset(&l, 0, sizeof(l));
	l.now = cli_now();
	l.cadir = a->dir;
	if (!cli_path(path, sizeof(path), a->dir, "revoked.list") ||
	    !cli_issued_read(a->dir, &issued, &l.n_issued))
		return CLI_EXIT_FAIL;
	l.issued = issued;
	if (!next_list(&l, ca, path, a))
		goto out;
	if (!wf_revoke_sign(&l.r, ca->priv) || !wf_revoke_save(path, &l.r, err, sizeof(err))) {
		cli_error("%s", err[0] ? err : "cannot sign the revocation list");
		goto out;
	}
	if (l.pruned)
		printf("left out %u serial%s of certificates expired more than a day ago\n",
		       l.pruned, l.pruned == 1 ? "" : "s");
	if (l.unknown)
		printf("kept %u serial%s of certificates %s/issued/ does not hold (when they "
		       "expire is not known)\n",
		       l.unknown, l.unknown == 1 ? "" : "s", a->dir);
	printf("wrote %s: version %" PRIu64 ", %u serial%s (%u new", path, l.r.version, l.r.n,
	       l.r.n == 1 ? "" : "s", l.added);
	if (l.pruned)
		printf(", %u pruned", l.pruned);
	printf(")\nhand it to any node: weft revoke --dir NODEDIR %s\n", path);
	rc = CLI_EXIT_OK;
out:
	free(issued);
	return rc;
}

int cmd_ca_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"name", required_argument, NULL, OPT_RNAME},
	    {"serial", required_argument, NULL, OPT_SERIAL},
	    {NULL, 0, NULL, 0},
	};
	struct ca_revoke_args a = {
	    .names = calloc((size_t)argc, sizeof(*a.names)),
	    .serials = calloc((size_t)argc, sizeof(*a.serials)),
	};
	struct cli_ca ca;
	int rc = CLI_EXIT_FAIL;

	if (!a.names || !a.serials) {
		cli_error("out of memory");
		goto out;
	}
	rc = cli_parse(argc, argv, opts, ca_revoke_usage, ca_revoke_opt, &a);
	if (rc) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	rc = CLI_EXIT_USAGE;
	if (!cli_require(a.dir, "dir"))
		goto out;
	if (!a.n_names && !a.n_serials) {
		rc = cli_usage_error("say what to revoke: --name NODE or --serial N");
		goto out;
	}
	rc = CLI_EXIT_FAIL;
	if (!cli_ca_load(a.dir, &ca, cli_now()))
		goto out;
	rc = ca_revoke_write(&ca, &a);
	cli_ca_wipe(&ca);
out:
	free(a.names);
	free(a.serials);
	return rc;
}

/* --- weft revoke ------------------------------------------------------------ */

/* The list in file, checked against the node's CA. */
static bool check_list(const struct wf_config *cfg, const char *file, struct wf_revoke *r)
{
	char err[WF_ERR_MAX];
	struct wf_cert ca;
	enum wf_cert_err e;

	if (!wf_revoke_load(file, r, err, sizeof(err)) ||
	    !wf_cert_load(cfg->ca, &ca, err, sizeof(err))) {
		cli_error("%s", err);
		return false;
	}
	if ((e = wf_revoke_verify(r, &ca)) != WF_CERT_OK) {
		cli_error("%s: %s (checked against %s)", file, wf_cert_strerror(e), cfg->ca);
		return false;
	}
	return true;
}

/* Install it in NODEDIR unless the node has a newer one; true if it has it
 * now (newly or already). */
static bool install(const struct wf_config *cfg, const char *file, const struct wf_revoke *r)
{
	char path[CLI_PATH_MAX], err[WF_ERR_MAX];
	static struct wf_revoke old; /* 32 KiB; this runs once */

	if (!cli_path(path, sizeof(path), cfg->dir, "revoked.list"))
		return false;
	if (cli_exists(path) && wf_revoke_load(path, &old, err, sizeof(err)) &&
	    old.version > r->version) {
		cli_error("%s already holds version %" PRIu64 ", newer than %s (version %" PRIu64
			  "); kept", path, old.version, file, r->version);
		return false;
	}
	if (cli_exists(path) && old.version == r->version) {
		printf("%s already holds version %" PRIu64 "\n", path, old.version);
		return true;
	}
	if (!wf_revoke_save(path, r, err, sizeof(err))) {
		cli_error("%s", err);
		return false;
	}
	printf("wrote %s: version %" PRIu64 ", %u serial%s\n", path, r->version, r->n,
	       r->n == 1 ? "" : "s");
	return true;
}

static int tell_daemon(const struct wf_config *cfg)
{
	char err[1024], text[WF_ERR_MAX];
	char *resp = wf_status_query(cfg->control, "revoke", err, sizeof(err));
	bool ok;

	if (!resp && (errno == ENOENT || errno == ECONNREFUSED)) {
		printf("the daemon is not running; it takes the list when it starts\n");
		return CLI_EXIT_OK;
	}
	if (!resp) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	ok = wf_status_answer(resp, "revocation_list", text, sizeof(text));
	free(resp);
	if (!ok) {
		cli_error("the daemon did not take it: %s", text);
		return CLI_EXIT_FAIL;
	}
	printf("the daemon holds %s\n", text);
	return CLI_EXIT_OK;
}

int cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {NULL, 0, NULL, 0},
	};
	static struct wf_config cfg; /* large; this runs once */
	char err[WF_CONFIG_MAX_LINE];
	const char *dir = NULL;
	static struct wf_revoke r; /* 32 KiB */
	int c;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == CLI_OPT_BAD)
			return CLI_EXIT_USAGE;
		if (c == 'h') {
			fputs(revoke_usage, stdout);
			return CLI_EXIT_OK;
		}
		if (!cli_set_once(&dir, "dir", optarg))
			return CLI_EXIT_USAGE;
	}
	if (!cli_require(dir, "dir"))
		return CLI_EXIT_USAGE;
	if (optind != argc - 1)
		return cli_usage_error("give one revocation list file");
	if (!wf_config_load(&cfg, dir, err, sizeof(err))) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	if (!check_list(&cfg, argv[optind], &r) || !install(&cfg, argv[optind], &r))
		return CLI_EXIT_FAIL;
	return tell_daemon(&cfg);
}
