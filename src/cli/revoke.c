/* SPDX-License-Identifier: MIT */
/*
 * weft ca revoke: add node certificates to the network's revocation list
 * (CADIR/revoked.list), under the next version, signed by the CA.
 * weft revoke: hand a revocation list to a node: checked against the node's
 * CA, written to NODEDIR/revoked.list if newer than the one there, and the
 * running daemon told to take it (it then spreads it through the mesh).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/status.h"
#include "common/keyfile.h"
#include "core/revoke.h"
#include "daemon/config.h"

enum { OPT_DIR = OPT_CLI_FIRST_FREE, OPT_RNAME, OPT_SERIAL };

static const char ca_revoke_usage[] =
    "Usage: weft ca revoke --dir CADIR (--name NODE | --serial N)...\n"
    "\n"
    "Withdraw node certificates: add them to CADIR/revoked.list, the network's\n"
    "revocation list, under the next version, signed by the CA. --name revokes\n"
    "every certificate CADIR/issued/ holds for that node; --serial one certificate\n"
    "(its serial in hex, as `weft cert show` prints it). Both repeat.\n"
    "At most 128 serials fit one list.\n"
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
	const char *names[WF_REVOKE_MAX];
	unsigned n_names;
	uint64_t serials[WF_REVOKE_MAX];
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
		if (a->n_names == WF_REVOKE_MAX)
			return cli_usage_error("too many --name options");
		a->names[a->n_names++] = arg;
		return 0;
	default: /* OPT_SERIAL */
		errno = 0;
		a->serials[a->n_serials] = strtoull(arg, &end, 16); /* as cert show prints it */
		if (errno || end == arg || *end || arg[0] == '-')
			return cli_usage_error("--serial %s: not a serial number", arg);
		if (++a->n_serials == WF_REVOKE_MAX)
			return cli_usage_error("too many --serial options");
		return 0;
	}
}

/* Add the serials of every certificate CADIR/issued/ holds for name. */
static bool add_name(struct wf_revoke *r, const char *cadir, const char *name, unsigned *found)
{
	char dir[CLI_PATH_MAX], path[CLI_PATH_MAX], err[WF_ERR_MAX];
	struct dirent *e;
	DIR *dp;

	if (!cli_path(dir, sizeof(dir), cadir, "issued"))
		return false;
	dp = opendir(dir);
	if (!dp) {
		cli_error("cannot read %s: %s (certificates signed before it existed can be "
			  "revoked by --serial)", dir, strerror(errno));
		return false;
	}
	*found = 0;
	while ((e = readdir(dp))) {
		struct wf_cert c;
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 4, ".crt") ||
		    !cli_path(path, sizeof(path), dir, e->d_name) ||
		    !wf_cert_load(path, &c, err, sizeof(err)) || strcmp(c.name, name))
			continue;
		if (!wf_revoke_add(r, c.serial)) {
			closedir(dp);
			cli_error("the list is full (%d serials)", WF_REVOKE_MAX);
			return false;
		}
		(*found)++;
	}
	closedir(dp);
	if (!*found)
		cli_error("%s holds no certificate of %s", dir, name);
	return *found > 0;
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

static int ca_revoke_write(struct cli_ca *ca, const struct ca_revoke_args *a)
{
	char path[CLI_PATH_MAX], err[WF_ERR_MAX];
	struct wf_revoke r;
	unsigned before, found;

	if (!cli_path(path, sizeof(path), a->dir, "revoked.list") || !current_list(ca, path, &r))
		return CLI_EXIT_FAIL;
	before = r.n;
	for (unsigned i = 0; i < a->n_names; i++) {
		if (!add_name(&r, a->dir, a->names[i], &found))
			return CLI_EXIT_FAIL;
		printf("%s: %u certificate%s\n", a->names[i], found, found == 1 ? "" : "s");
	}
	for (unsigned i = 0; i < a->n_serials; i++) {
		if (!wf_revoke_add(&r, a->serials[i])) {
			cli_error("the list is full (%d serials)", WF_REVOKE_MAX);
			return CLI_EXIT_FAIL;
		}
	}
	r.version++;
	r.issued = cli_now();
	if (!wf_revoke_sign(&r, ca->priv) || !wf_revoke_save(path, &r, err, sizeof(err))) {
		cli_error("%s", err[0] ? err : "cannot sign the revocation list");
		return CLI_EXIT_FAIL;
	}
	printf("wrote %s: version %" PRIu64 ", %u serial%s (%u new)\n"
	       "hand it to any node: weft revoke --dir NODEDIR %s\n",
	       path, r.version, r.n, r.n == 1 ? "" : "s", r.n - before, path);
	return CLI_EXIT_OK;
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
	struct ca_revoke_args a = {0};
	struct cli_ca ca;
	int rc = cli_parse(argc, argv, opts, ca_revoke_usage, ca_revoke_opt, &a);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!cli_require(a.dir, "dir"))
		return CLI_EXIT_USAGE;
	if (!a.n_names && !a.n_serials)
		return cli_usage_error("say what to revoke: --name NODE or --serial N");
	if (!cli_ca_load(a.dir, &ca, cli_now()))
		return CLI_EXIT_FAIL;
	rc = ca_revoke_write(&ca, &a);
	cli_ca_wipe(&ca);
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
	struct wf_revoke old = {0};

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
	struct wf_revoke r;
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
