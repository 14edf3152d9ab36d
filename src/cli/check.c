/* SPDX-License-Identifier: MIT */
/*
 * weft check: what `weft up` would refuse, and what would make it run badly,
 * found before it starts (or before a reload), like `nginx -t`. Every check
 * runs, so one pass lists every problem: one line each on stderr, naming
 * the file (and the line of weft.conf where there is one), "error" for what
 * stops the daemon and "warning" for what it survives. Nothing is changed.
 *
 * The configuration goes through the daemon's own parser (daemon/config.c),
 * which stops at its first error; with a weft.conf that does not parse, the
 * rest is checked at the default paths.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/status.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "store/keyfile.h"
#include "core/message.h"
#include "core/revoke.h"
#include "daemon/config.h"

enum {
	OPT_DIR = OPT_CLI_FIRST_FREE,
	OPT_WARNINGS_OK,
	EXIT_WARNINGS = 2,
	SOON = 30 * 86400, /* as weft status warns of certificates ending */
	DAY = 86400,
	CACHE_MAX = 64 << 20, /* what the daemon reads of peers.cache */
};

static const char check_usage[] =
    "Usage: weft check [--dir NODEDIR] [--warnings-ok]\n"
    "\n"
    "Check a node directory as the daemon would use it, without starting it:\n"
    "weft.conf, the key's mode, the certificate against the CA and the clock,\n"
    "the revocation list, bootstrap names, the interface and the UDP port (when\n"
    "no daemon runs for the directory), forwarding when the certificate routes\n"
    "subnets, and peers.cache. One line per problem on stderr, naming the file;\n"
    "a summary on stdout.\n"
    "\n"
    "Exit status: 0 all well, 1 errors (weft up would refuse to start, or the\n"
    "command line is wrong), 2 warnings only.\n"
    "\n"
    "  --dir NODEDIR   the node directory (default: the one under /etc/weft)\n"
    "  --warnings-ok   exit 0 when there are only warnings (for ExecReload=)\n"
    "  -h, --help      this help\n";

struct node {
	const char *dir;
	struct wf_config cfg;
	bool cfg_ok, ca_ok, cert_ok, running;
	struct wf_cert ca, cert;
	char key[CLI_PATH_MAX], crt[CLI_PATH_MAX], cafile[CLI_PATH_MAX];
	int64_t now;
	unsigned errors, warnings;
	char summary[1024]; /* what was found well, for the last line */
};

__attribute__((format(printf, 3, 4))) static void problem(struct node *n, bool error,
							  const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "weft: check: %s: %s\n", error ? "error" : "warning", msg);
	if (error)
		n->errors++;
	else
		n->warnings++;
}

__attribute__((format(printf, 2, 3))) static void note(struct node *n, const char *fmt, ...)
{
	size_t used = strlen(n->summary);
	va_list ap;

	if (used + 2 >= sizeof(n->summary))
		return;
	if (used)
		strcat(n->summary, ", ");
	used = strlen(n->summary);
	va_start(ap, fmt);
	vsnprintf(n->summary + used, sizeof(n->summary) - used, fmt, ap);
	va_end(ap);
}

/* --- weft.conf --------------------------------------------------------- */

/* "PATH:LINE" of the first `key = value` line (value NULL: any), or
 * "PATH" if none: the parser keeps values, not where they were. */
static const char *where(const struct node *n, const char *key, const char *value, char *buf,
			 size_t cap)
{
	char err[WF_ERR_MAX], *text = wf_read_file(n->cfg.path, NULL, err, sizeof(err));
	unsigned line = 0, found = 0;
	char *save = NULL, *l, *eq;

	for (l = text ? strtok_r(text, "\n", &save) : NULL; l && !found;
	     l = strtok_r(NULL, "\n", &save)) {
		line++;
		l += strspn(l, " \t");
		if (strncmp(l, key, strlen(key)) || !(eq = strchr(l, '=')) ||
		    l[strlen(key) + strspn(l + strlen(key), " \t")] != '=')
			continue;
		eq += 1 + strspn(eq + 1, " \t");
		if (!value || !strncmp(eq, value, strlen(value)))
			found = line;
	}
	free(text);
	if (found)
		snprintf(buf, cap, "%s:%u", n->cfg.path, found);
	else
		snprintf(buf, cap, "%s", n->cfg.path);
	return buf;
}

static void default_paths(struct node *n)
{
	snprintf(n->cfg.path, sizeof(n->cfg.path), "%s/weft.conf", n->dir);
	snprintf(n->key, sizeof(n->key), "%s/node.key", n->dir);
	snprintf(n->crt, sizeof(n->crt), "%s/node.crt", n->dir);
	snprintf(n->cafile, sizeof(n->cafile), "%s/ca.crt", n->dir);
}

static void check_config(struct node *n)
{
	char err[1024];

	n->cfg_ok = wf_config_load(&n->cfg, n->dir, err, sizeof(err));
	if (!n->cfg_ok) {
		problem(n, true, "%s", err);
		default_paths(n);
		return;
	}
	snprintf(n->key, sizeof(n->key), "%s", n->cfg.private_key);
	snprintf(n->crt, sizeof(n->crt), "%s", n->cfg.certificate);
	snprintf(n->cafile, sizeof(n->cafile), "%s", n->cfg.ca);
	note(n, "weft.conf");
}

/* A bare number is seconds in weft.conf but refused on the command line
 * (--valid 90): one rule, a unit always, is coming (docs/weft.conf.md). The
 * parser noted them, with their lines. */
static void check_durations(struct node *n)
{
	char buf[PATH_MAX + 256];

	for (unsigned i = 0; n->cfg_ok && i < n->cfg.n_bare; i++) {
		wf_config_bare_str(&n->cfg, i, buf, sizeof(buf));
		problem(n, false, "%s", buf);
	}
}

/* --- Files: modes, the key, the certificates --------------------------- */

static void check_dir(struct node *n)
{
	char path[CLI_PATH_MAX];
	struct stat st;

	if (stat(n->dir, &st) < 0) {
		problem(n, true, "%s: %s", n->dir, strerror(errno));
		return;
	}
	if (st.st_mode & 077)
		problem(n, false, "%s: mode %04o: others may look inside (want 0700)", n->dir,
			(unsigned)(st.st_mode & 07777));
	if (cli_path(path, sizeof(path), n->dir, "ca.key") && cli_exists(path))
		problem(n, false,
			"%s: the network's CA private key is on a node; it belongs on the admin "
			"host only",
			path);
}

static void check_key(struct node *n, uint8_t priv[WF_KEY_LEN], bool *ok)
{
	char err[WF_ERR_MAX];
	struct stat st;

	*ok = wf_key_load(n->key, "NODE PRIVATE KEY", priv, err, sizeof(err));
	if (!*ok) {
		problem(n, true, "%s", err);
		return;
	}
	if (stat(n->key, &st) == 0 && st.st_uid != geteuid() && st.st_uid != 0)
		problem(n, false, "%s: owned by uid %u, not by root or this user", n->key,
			(unsigned)st.st_uid);
	note(n, "node.key");
}

/* "2026-12-07T14:00:00Z, 3 days ago" and the like. */
static const char *when(int64_t t, int64_t now, char *buf, size_t cap)
{
	char utc[WF_UTC_LEN];
	int64_t d = t > now ? t - now : now - t;
	int64_t v = d >= 2 * DAY ? d / DAY : d / 3600;
	const char *unit = d >= 2 * DAY ? "day" : "hour";

	cli_time_str(t, utc, sizeof(utc));
	snprintf(buf, cap, "%s, %" PRId64 " %s%s %s", utc, v, unit, v == 1 ? "" : "s",
		 t > now ? "from now" : "ago");
	return buf;
}

/* Outside its validity: say which end, with the dates and the clock. */
static void validity(struct node *n, const char *path, const struct wf_cert *c, const char *what)
{
	char a[96], b[96];

	if (n->now > c->not_after)
		problem(n, true, "%s: %s expired on %s (renew it: weft ca renew)", path, what,
			when(c->not_after, n->now, a, sizeof(a)));
	else
		problem(n, true,
			"%s: %s is not valid until %s (this host's clock says %s: is it right?)",
			path, what, when(c->not_before, n->now, a, sizeof(a)),
			cli_time_str(n->now, b, sizeof(b)));
}

static void ends_soon(struct node *n, const char *path, const struct wf_cert *c, const char *what)
{
	char a[96];

	if (c->not_after - n->now < SOON)
		problem(n, false, "%s: %s ends on %s: renew it", path, what,
			when(c->not_after, n->now, a, sizeof(a)));
}

static void check_ca(struct node *n)
{
	char err[WF_ERR_MAX];
	enum wf_cert_err e;

	if (!wf_cert_load(n->cafile, &n->ca, err, sizeof(err))) {
		problem(n, true, "%s", err);
		return;
	}
	e = wf_cert_verify_ca(&n->ca, n->now);
	if (e == WF_CERT_ERR_CA_EXPIRED) {
		validity(n, n->cafile, &n->ca, "the CA certificate");
		return;
	}
	if (e != WF_CERT_OK) {
		problem(n, true, "%s: %s", n->cafile, wf_cert_strerror(e));
		return;
	}
	n->ca_ok = true;
	ends_soon(n, n->cafile, &n->ca, "the CA certificate");
	note(n, "ca.crt (network %s)", n->ca.network);
}

static void check_cert(struct node *n)
{
	char err[WF_ERR_MAX], utc[WF_UTC_LEN];
	enum wf_cert_err e;

	if (!wf_cert_load(n->crt, &n->cert, err, sizeof(err))) {
		problem(n, true, "%s", err);
		return;
	}
	if (!n->ca_ok)
		return; /* said already; nothing to verify against */
	e = wf_cert_verify(&n->cert, &n->ca, n->now);
	if (e == WF_CERT_ERR_EXPIRED || e == WF_CERT_ERR_NOT_YET_VALID) {
		validity(n, n->crt, &n->cert, "the certificate");
		return;
	}
	if (e != WF_CERT_OK) {
		problem(n, true, "%s: %s (checked against %s)", n->crt, wf_cert_strerror(e),
			n->cafile);
		return;
	}
	n->cert_ok = true;
	ends_soon(n, n->crt, &n->cert, "the certificate");
	note(n, "node.crt (%s, until %s)", n->cert.name,
	     cli_time_str(n->cert.not_after, utc, sizeof(utc)));
}

/* The key and the certificate belong together, and to the name in weft.conf. */
static void check_identity(struct node *n, const uint8_t priv[WF_KEY_LEN])
{
	uint8_t pub[WF_KEY_LEN];
	char at[CLI_PATH_MAX + 16];

	if (!wf_x25519_public(pub, priv) || memcmp(pub, n->cert.pubkey, WF_KEY_LEN))
		problem(n, true, "%s does not match the public key in %s", n->key, n->crt);
	if (n->cfg_ok && strcmp(n->cfg.name, n->cert.name))
		problem(n, true, "%s: name = %s, but %s is for %s",
			where(n, "name", NULL, at, sizeof(at)), n->cfg.name, n->crt, n->cert.name);
}

static void check_revoked(struct node *n)
{
	static struct wf_revoke r; /* 32 KiB: off the stack */
	char path[CLI_PATH_MAX], err[WF_ERR_MAX];
	enum wf_cert_err e;

	if (!cli_path(path, sizeof(path), n->dir, "revoked.list") || !cli_exists(path))
		return;
	if (!wf_revoke_load(path, &r, err, sizeof(err))) {
		problem(n, true, "%s", err);
		return;
	}
	if (n->ca_ok && (e = wf_revoke_verify(&r, &n->ca)) != WF_CERT_OK) {
		problem(n, true, "%s: %s (checked against %s)", path, wf_cert_strerror(e),
			n->cafile);
		return;
	}
	if (n->cert_ok && wf_revoke_has(&r, n->cert.serial)) {
		char issued[WF_UTC_LEN];

		problem(n, true,
			"%s: this node's certificate (serial %016" PRIx64
			") is revoked (list version %" PRIu64 ", issued %s): the mesh refuses it; "
			"ask the CA for a new certificate",
			path, n->cert.serial, r.version, wf_utc(r.issued, issued));
		return;
	}
	note(n, "revoked.list (version %" PRIu64 ")", r.version);
}

/* --- The host: names, interface, port, forwarding ---------------------- */

static void check_bootstrap(struct node *n)
{
	char at[CLI_PATH_MAX + 16];

	for (unsigned i = 0; i < n->cfg.n_bootstrap; i++)
		if (n->cfg.bootstrap_ep[i].sa.sa_family == AF_UNSPEC)
			problem(n, false,
				"%s: bootstrap %s does not resolve now (the daemon tries it "
				"again until it does)",
				where(n, "bootstrap", n->cfg.bootstrap[i], at, sizeof(at)),
				n->cfg.bootstrap[i]);
}

/* Does a daemon hold weft.lock? /proc/locks lists every flock by the
 * file's device and inode; reading it takes no lock (taking one, even
 * briefly, could make a daemon starting that moment refuse). */
static bool daemon_running(const struct node *n)
{
	char path[CLI_PATH_MAX], line[256];
	unsigned maj, min;
	unsigned long long ino;
	bool found = false;
	struct stat st;
	FILE *f;

	if (!cli_path(path, sizeof(path), n->dir, "weft.lock") || stat(path, &st) < 0 ||
	    !(f = fopen("/proc/locks", "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "FLOCK");

		/* "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" */
		if (p && sscanf(p, "FLOCK %*s %*s %*d %x:%x:%llu", &maj, &min, &ino) == 3)
			found = makedev(maj, min) == st.st_dev && ino == st.st_ino;
	}
	fclose(f);
	return found;
}

static void check_interface(struct node *n)
{
	char sys[128], at[CLI_PATH_MAX + 16];

	if (!if_nametoindex(n->cfg.interface)) {
		note(n, "interface %s free", n->cfg.interface);
		return;
	}
	/* A persistent TUN device made beforehand is fine (ip tuntap add). */
	snprintf(sys, sizeof(sys), "/sys/class/net/%s/tun_flags", n->cfg.interface);
	if (access(sys, F_OK) == 0) {
		note(n, "interface %s (a TUN device already there)", n->cfg.interface);
		return;
	}
	problem(n, true, "%s: interface %s exists and is not a TUN device (another program's?)",
		where(n, "interface", NULL, at, sizeof(at)), n->cfg.interface);
}

static void check_port(struct node *n)
{
	const union wf_endpoint *ep = &n->cfg.listen;
	char addr[WF_ADDR_STRLEN + 8], at[CLI_PATH_MAX + 16];
	socklen_t len = wf_endpoint_len(ep);
	int fd = socket(ep->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	wf_endpoint_str(ep, addr, sizeof(addr));
	rc = fd < 0 ? -1 : bind(fd, &ep->sa, len);
	if (rc < 0)
		problem(n, true, "%s: cannot listen on %s: %s%s",
			where(n, "listen", NULL, at, sizeof(at)), addr, strerror(errno),
			errno == EADDRINUSE	 ? " (another weft, or another program: ss -ulpn)"
			: errno == EADDRNOTAVAIL ? " (not an address of this host)"
						 : "");
	else
		note(n, "port %s free", addr);
	if (fd >= 0)
		close(fd);
}

/* "1" in a sysctl file; true when it cannot be read (not ours to judge). */
static bool sysctl_on(const char *path)
{
	char v[8] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return true;
	if (!fgets(v, sizeof(v), f))
		v[0] = '1';
	fclose(f);
	return v[0] != '0';
}

/* Subnets routed to this node (containers, VMs behind it) reach it only
 * if the kernel forwards. */
static void check_forwarding(struct node *n)
{
	static const struct {
		int family;
		const char *sysctl, *path;
	} fam[] = {
	    {AF_INET, "net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"},
	    {AF_INET6, "net.ipv6.conf.all.forwarding", "/proc/sys/net/ipv6/conf/all/forwarding"},
	};
	char routes[512];

	for (size_t f = 0; f < 2; f++) {
		struct wf_prefix mine[WF_CERT_MAX_ROUTES];
		size_t k = 0;

		for (unsigned i = 0; i < n->cert.n_routes; i++)
			if (n->cert.routes[i].family == fam[f].family)
				mine[k++] = n->cert.routes[i];
		if (k && !sysctl_on(fam[f].path))
			problem(n, false,
				"%s routes %s, but %s is 0: packets for %s are not forwarded "
				"(sysctl -w %s=1, and in /etc/sysctl.d to keep it)",
				n->crt, cli_prefix_list(mine, k, false, routes, sizeof(routes)),
				fam[f].sysctl, k > 1 ? "them" : "it", fam[f].sysctl);
	}
}

/* The whole of a binary file up to max bytes, malloc'd; NULL (errno set)
 * if it cannot be read. */
static uint8_t *read_binary(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	uint8_t *buf = f ? malloc(max) : NULL;

	if (buf) {
		*len = fread(buf, 1, max, f);
		if (ferror(f)) {
			free(buf);
			buf = NULL;
		}
	}
	if (f)
		fclose(f);
	return buf;
}

/* The daemon ignores a cache it cannot read (and what follows a damaged
 * entry): a warning, since a restart then needs a bootstrap host. The
 * format is daemon/cache.c's. */
static void check_cache(struct node *n)
{
	char path[CLI_PATH_MAX];
	struct wf_member_msg m;
	size_t len = 0, off, elen = 0, head;
	unsigned count = 0;
	uint8_t *buf;

	if (!cli_path(path, sizeof(path), n->dir, "peers.cache") || !cli_exists(path))
		return;
	if (!(buf = read_binary(path, CACHE_MAX, &len))) {
		problem(n, false, "%s: %s (the daemon starts without it)", path, strerror(errno));
		return;
	}
	if (len < 5 || memcmp(buf, "WFPC", 4) || buf[4] < 1 || buf[4] > 2) {
		problem(n, false, "%s: not a peer cache of this version (the daemon ignores it)",
			path);
		goto out;
	}
	head = buf[4] == 1 ? 2 : 3;
	for (off = 5; off < len; off += head + elen, count++) {
		elen = len - off >= head ? wf_get_le16(buf + off) : SIZE_MAX;
		if (elen == SIZE_MAX || elen > len - off - head ||
		    !wf_member_decode(&m, buf + off + head, elen)) {
			problem(n, false, "%s: entry at byte %zu is damaged; the rest is ignored",
				path, off);
			goto out;
		}
	}
	note(n, "peers.cache (%u peer%s)", count, count == 1 ? "" : "s");
out:
	free(buf);
}

static void check_host(struct node *n)
{
	if (!n->cfg_ok)
		return;
	check_bootstrap(n);
	if (n->running) {
		note(n, "a daemon runs for %s (interface and port are its)", n->dir);
	} else {
		check_interface(n);
		check_port(n);
	}
	if (n->cert_ok)
		check_forwarding(n);
}

static int opt(void *ctx, int o, const char *arg)
{
	struct {
		const char *dir;
		bool warnings_ok;
	} *a = ctx;

	if (o == OPT_WARNINGS_OK) {
		a->warnings_ok = true;
		return 0;
	}
	return cli_set_once(&a->dir, "dir", arg) ? 0 : CLI_EXIT_USAGE;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"warnings-ok", no_argument, NULL, OPT_WARNINGS_OK},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct {
		const char *dir;
		bool warnings_ok;
	} a = {0};
	static struct node n; /* a config and two certificates: off the stack */
	char dir[CLI_PATH_MAX];
	uint8_t priv[WF_KEY_LEN];
	bool key_ok;
	int rc = cli_parse(argc, argv, opts, check_usage, opt, &a);

	/* 2 means "warnings only" here: a wrong command line is an error. */
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	if (!a.dir && !wf_status_default_dir(dir, sizeof(dir)))
		return CLI_EXIT_FAIL;
	memset(&n, 0, sizeof(n));
	n.dir = a.dir ? a.dir : dir;
	n.now = cli_now();
	check_dir(&n);
	check_config(&n);
	check_durations(&n);
	n.running = daemon_running(&n);
	check_key(&n, priv, &key_ok);
	check_ca(&n);
	check_cert(&n);
	if (key_ok && n.cert_ok)
		check_identity(&n, priv);
	wf_wipe(priv, sizeof(priv));
	check_revoked(&n);
	check_host(&n);
	check_cache(&n);
	if (!n.errors && !n.warnings)
		printf("%s: ok: %s\n", n.dir, n.summary);
	else
		printf("%s: %u error%s, %u warning%s\n", n.dir, n.errors, n.errors == 1 ? "" : "s",
		       n.warnings, n.warnings == 1 ? "" : "s");
	if (n.errors)
		return CLI_EXIT_FAIL;
	return n.warnings && !a.warnings_ok ? EXIT_WARNINGS : CLI_EXIT_OK;
}
