/* SPDX-License-Identifier: MIT */
/*
 * The CA directory's record of what it signed: CADIR/issued/SERIAL.crt, a copy
 * of every node certificate, written when it is signed. It lets `ca sign`
 * refuse an address that another node's live certificate holds (two nodes
 * with one address would split the network: each peer keeps whichever it
 * heard of first), and warn when a routed subnet covers another node's
 * address (harmless: the longer prefix wins, so that node's traffic still
 * goes to it, but probably not what was meant). Revocation will read it to
 * find the serials of a name.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/keyfile.h"

static bool issued_dir(const struct cli_ca *ca, char *buf, size_t len)
{
	return cli_path(buf, len, ca->dir, "issued");
}

/* Does prefix a contain address (host prefix) b? */
static bool covers(const struct wf_prefix *a, const struct wf_prefix *b)
{
	return a->family == b->family && wf_prefix_contains(a, b);
}

/* Compare the new certificate with one signed before; false if it must be
 * refused (an address of a live certificate of another name). */
static bool compare(const struct wf_cert *c, const struct wf_cert *old, int64_t now, bool force)
{
	char s[WF_ADDR_STRLEN], r[WF_ADDR_STRLEN], when[32];
	bool ok = true;

	if (old->not_after < now || !strcmp(old->name, c->name))
		return true;
	for (unsigned i = 0; i < c->n_addrs; i++) {
		for (unsigned j = 0; j < old->n_addrs; j++) {
			if (!wf_prefix_equal(&c->addrs[i], &old->addrs[j]))
				continue;
			wf_prefix_str(&c->addrs[i], true, s, sizeof(s));
			cli_time_str(old->not_after, when, sizeof(when));
			if (force) {
				fprintf(stderr, "weft: %s: warning: %s is also held by %s (serial "
						"%016llx, valid until %s); signing anyway (--force)\n",
					cli_command, s, old->name, (unsigned long long)old->serial,
					when);
				continue;
			}
			cli_error("%s is held by %s (serial %016llx, valid until %s); give the node "
				  "another address, or --force if %s no longer uses it",
				  s, old->name, (unsigned long long)old->serial, when, old->name);
			ok = false;
		}
		for (unsigned j = 0; j < old->n_routes; j++)
			if (covers(&old->routes[j], &c->addrs[i]))
				fprintf(stderr, "weft: %s: note: %s's route %s covers %s; traffic for %s "
						"still goes to %s\n",
					cli_command, old->name,
					wf_prefix_str(&old->routes[j], false, r, sizeof(r)),
					wf_prefix_str(&c->addrs[i], true, s, sizeof(s)), s, c->name);
	}
	for (unsigned i = 0; i < c->n_routes; i++)
		for (unsigned j = 0; j < old->n_addrs; j++)
			if (covers(&c->routes[i], &old->addrs[j]))
				fprintf(stderr, "weft: %s: note: route %s covers %s of %s; traffic for "
						"it still goes to %s, and %s cannot speak for it\n",
					cli_command, wf_prefix_str(&c->routes[i], false, r, sizeof(r)),
					wf_prefix_str(&old->addrs[j], true, s, sizeof(s)), old->name,
					old->name, c->name);
	return ok;
}

bool cli_issued_check(const struct cli_ca *ca, const struct wf_cert *c, int64_t now, bool force)
{
	char dir[CLI_PATH_MAX], path[CLI_PATH_MAX], err[WF_ERR_MAX];
	struct dirent *de;
	bool ok = true;
	DIR *dp;

	if (!issued_dir(ca, dir, sizeof(dir)))
		return false;
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
		ok &= compare(c, &old, now, force);
	}
	closedir(dp);
	return ok;
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
