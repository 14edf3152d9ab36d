/* SPDX-License-Identifier: MIT */
/*
 * weft cert show: print a CA or node certificate, as text or JSON, and check
 * it: its validity period now and, for a node certificate, its signature
 * against the ca.crt next to it (or --ca). The exit status says whether the
 * certificate is usable now, so scripts can test renewals with it.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "store/keyfile.h"

enum { OPT_JSON = OPT_CLI_FIRST_FREE, OPT_CA, LINE_MAX_ = 1024 };

static const char cert_show_usage[] =
    "Usage: weft cert show FILE [--json] [--ca CAFILE]\n"
    "\n"
    "Prints a certificate (CA or node): network, name, public key, serial,\n"
    "validity, addresses, routes, groups or prefixes and cipher. A node\n"
    "certificate is verified against the ca.crt in its directory, or CAFILE.\n"
    "Exits 1 if the certificate is expired, not yet valid or does not verify.\n"
    "\n"
    "  --json             print one JSON object (described in docs/cli.md)\n"
    "  --ca CAFILE        the CA certificate to verify against\n"
    "  -h, --help         show this help\n";

/* The outcome of checking a certificate. */
struct check {
	const char *time_state; /* "valid", "expired", "not yet valid" */
	char ca_path[CLI_PATH_MAX];
	bool ca_found, verified;
	char verify_error[WF_ERR_MAX]; /* empty when verified or not checked */
};

static void check_time(const struct wf_cert *c, int64_t now, struct check *k)
{
	if (now < c->not_before)
		k->time_state = "not yet valid";
	else if (now > c->not_after)
		k->time_state = "expired";
	else
		k->time_state = "valid";
}

/* now, moved inside the certificate's validity period. */
static int64_t within(const struct wf_cert *c, int64_t now)
{
	if (now < c->not_before)
		return c->not_before;
	return now > c->not_after ? c->not_after : now;
}

/* Verify against ca_arg, or FILE's directory's ca.crt if there is one. */
static void check_signature(const char *file, const char *ca_arg, const struct wf_cert *c,
			    int64_t now, struct check *k)
{
	struct wf_cert ca;
	enum wf_cert_err e;
	char *copy;

	if (c->type == WF_CERT_CA) {
		snprintf(k->ca_path, sizeof(k->ca_path), "self-signed");
		k->ca_found = true;
		e = wf_cert_verify_ca(c, now);
		if (e == WF_CERT_ERR_EXPIRED || e == WF_CERT_ERR_NOT_YET_VALID ||
		    e == WF_CERT_ERR_CA_EXPIRED)
			e = wf_cert_verify_ca(c, within(c, now));
		goto done;
	}
	if (ca_arg) {
		snprintf(k->ca_path, sizeof(k->ca_path), "%s", ca_arg);
	} else {
		copy = strdup(file);
		if (!copy)
			return;
		snprintf(k->ca_path, sizeof(k->ca_path), "%s/ca.crt", dirname(copy));
		free(copy);
		if (!cli_exists(k->ca_path))
			return;
	}
	k->ca_found = true;
	if (!wf_cert_load(k->ca_path, &ca, k->verify_error, sizeof(k->verify_error)))
		return;
	if (ca.type != WF_CERT_CA) {
		snprintf(k->verify_error, sizeof(k->verify_error), "not a CA certificate");
		return;
	}
	e = wf_cert_verify(c, &ca, now);
	/* The period is reported on its own; here, ask whether the signature
	 * and the rest hold inside it. */
	if (e == WF_CERT_ERR_EXPIRED || e == WF_CERT_ERR_NOT_YET_VALID)
		e = wf_cert_verify(c, &ca, within(c, now));
done:
	k->verified = e == WF_CERT_OK;
	if (!k->verified)
		snprintf(k->verify_error, sizeof(k->verify_error), "%s", wf_cert_strerror(e));
}

/* "364 days", "5 hours", "1 minute": the largest unit that fits. */
static const char *span(int64_t d, char *buf, size_t len)
{
	static const struct {
		int64_t secs;
		const char *unit;
	} units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
	size_t i = 0;
	long long n;

	while (i + 1 < sizeof(units) / sizeof(units[0]) && d < units[i].secs)
		i++;
	n = (long long)(d / units[i].secs);
	snprintf(buf, len, "%lld %s%s", n, units[i].unit, n == 1 ? "" : "s");
	return buf;
}

/* "expires in 364 days", "EXPIRED 2 hours ago", ... */
static const char *relative(const struct wf_cert *c, int64_t now, char *buf, size_t len)
{
	char d[32];

	if (now < c->not_before)
		snprintf(buf, len, "NOT YET VALID, starts in %s",
			 span(c->not_before - now, d, sizeof(d)));
	else if (now > c->not_after)
		snprintf(buf, len, "EXPIRED %s ago", span(now - c->not_after, d, sizeof(d)));
	else
		snprintf(buf, len, "expires in %s", span(c->not_after - now, d, sizeof(d)));
	return buf;
}

static void print_list(const char *label, const struct wf_prefix *p, size_t n, bool bare)
{
	char buf[LINE_MAX_];

	if (n)
		printf("%-12s %s\n", label, cli_prefix_list(p, n, bare, buf, sizeof(buf)));
}

static void print_text(const struct wf_cert *c, const struct check *k, int64_t now)
{
	const char *by = c->type == WF_CERT_CA ? "" : "checked against ";
	char key[64], t1[32], t2[32], rel[64];

	cli_base64(c->pubkey, WF_KEY_LEN, key, sizeof(key));
	printf("%-12s %s\n", "type:", c->type == WF_CERT_CA ? "CA" : "node");
	printf("%-12s %s\n", "network:", c->network);
	printf("%-12s %s\n", "name:", c->name);
	printf("%-12s %s\n", "public key:", key);
	printf("%-12s %016llx\n", "serial:", (unsigned long long)c->serial);
	printf("%-12s %s\n", "not before:", cli_time_str(c->not_before, t1, sizeof(t1)));
	printf("%-12s %s (%s)\n", "not after:", cli_time_str(c->not_after, t2, sizeof(t2)),
	       relative(c, now, rel, sizeof(rel)));
	if (c->type == WF_CERT_CA)
		printf("%-12s %s\n", "cipher:", wf_cipher_name(c->cipher));
	print_list("prefixes:", c->prefixes, c->n_prefixes, false);
	if (c->type == WF_CERT_CA)
		print_list("allow-route:", c->allowed, c->n_allowed, false);
	print_list("addresses:", c->addrs, c->n_addrs, true);
	print_list("routes:", c->routes, c->n_routes, false);
	if (c->n_groups) {
		printf("%-12s", "groups:");
		for (size_t i = 0; i < c->n_groups; i++)
			printf("%s%s", i ? ", " : " ", c->groups[i]);
		printf("\n");
	}
	if (!k->ca_found)
		printf("%-12s not checked (no ca.crt next to it; use --ca)\n", "signature:");
	else if (k->verified)
		printf("%-12s valid (%s%s)\n", "signature:", by, k->ca_path);
	else
		printf("%-12s INVALID: %s (%s%s)\n", "signature:", k->verify_error, by, k->ca_path);
}

static void json_prefixes(cJSON *o, const char *key, const struct wf_prefix *p, size_t n, bool bare)
{
	cJSON *arr = cJSON_AddArrayToObject(o, key);
	char s[WF_ADDR_STRLEN];

	for (size_t i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr,
				     cJSON_CreateString(wf_prefix_str(&p[i], bare, s, sizeof(s))));
}

static void json_check(cJSON *o, const struct check *k)
{
	cJSON *v;

	cJSON_AddStringToObject(o, "validity", k->time_state);
	if (!k->ca_found) {
		cJSON_AddNullToObject(o, "verify");
		return;
	}
	v = cJSON_AddObjectToObject(o, "verify");
	if (!v)
		return;
	cJSON_AddStringToObject(v, "ca", k->ca_path);
	cJSON_AddBoolToObject(v, "valid", k->verified);
	if (k->verified)
		cJSON_AddNullToObject(v, "error");
	else
		cJSON_AddStringToObject(v, "error", k->verify_error);
}

static bool print_json(const struct wf_cert *c, const struct check *k)
{
	cJSON *o = cJSON_CreateObject(), *groups;
	char key[64], serial[24], t1[32], t2[32];
	char *s;

	if (!o)
		return false;
	cli_base64(c->pubkey, WF_KEY_LEN, key, sizeof(key));
	snprintf(serial, sizeof(serial), "%016llx", (unsigned long long)c->serial);
	cJSON_AddStringToObject(o, "type", c->type == WF_CERT_CA ? "ca" : "node");
	cJSON_AddNumberToObject(o, "version", c->version);
	cJSON_AddStringToObject(o, "network", c->network);
	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "public_key", key);
	cJSON_AddStringToObject(o, "serial", serial);
	cJSON_AddStringToObject(o, "not_before", cli_time_str(c->not_before, t1, sizeof(t1)));
	cJSON_AddStringToObject(o, "not_after", cli_time_str(c->not_after, t2, sizeof(t2)));
	json_prefixes(o, "addresses", c->addrs, c->n_addrs, true);
	json_prefixes(o, "routes", c->routes, c->n_routes, false);
	groups = cJSON_AddArrayToObject(o, "groups");
	for (size_t i = 0; groups && i < c->n_groups; i++)
		cJSON_AddItemToArray(groups, cJSON_CreateString(c->groups[i]));
	json_prefixes(o, "prefixes", c->prefixes, c->n_prefixes, false);
	json_prefixes(o, "allowed_routes", c->allowed, c->type == WF_CERT_CA ? c->n_allowed : 0,
		      false);
	if (c->type == WF_CERT_CA)
		cJSON_AddStringToObject(o, "cipher", wf_cipher_name(c->cipher));
	else
		cJSON_AddNullToObject(o, "cipher");
	json_check(o, k);
	s = cJSON_Print(o);
	cJSON_Delete(o);
	if (!s)
		return false;
	printf("%s\n", s);
	cJSON_free(s);
	return true;
}

/* Details go to stdout either way; the verdict is one stderr line. */
static int verdict(const char *file, const struct wf_cert *c, const struct check *k)
{
	char when[32];

	if (k->ca_found && !k->verified) {
		cli_error("%s: does not verify against %s: %s", file, k->ca_path, k->verify_error);
		return CLI_EXIT_FAIL;
	}
	if (!strcmp(k->time_state, "expired")) {
		cli_error("%s: certificate EXPIRED at %s", file,
			  cli_time_str(c->not_after, when, sizeof(when)));
		return CLI_EXIT_FAIL;
	}
	if (strcmp(k->time_state, "valid") != 0) {
		cli_error("%s: certificate is NOT YET VALID (valid from %s)", file,
			  cli_time_str(c->not_before, when, sizeof(when)));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

int cmd_cert_show(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"ca", required_argument, NULL, OPT_CA},
	    {NULL, 0, NULL, 0},
	};
	const char *ca = NULL, *file;
	struct check k = {0};
	struct wf_cert c;
	bool json = false;
	int64_t now = cli_now();
	int opt;

	while ((opt = cli_getopt(argc, argv, opts)) != -1) {
		if (opt == CLI_OPT_BAD)
			return CLI_EXIT_USAGE;
		if (opt == 'h') {
			fputs(cert_show_usage, stdout);
			return CLI_EXIT_OK;
		}
		if (opt == OPT_JSON)
			json = true;
		else if (!cli_set_once(&ca, "ca", optarg))
			return CLI_EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error("missing the certificate FILE");
	file = argv[optind++];
	if (!cli_no_args(argc, argv))
		return CLI_EXIT_USAGE;
	if (!cli_load_cert(file, &c))
		return CLI_EXIT_FAIL;
	check_time(&c, now, &k);
	check_signature(file, ca, &c, now, &k);
	if (json) {
		if (!print_json(&c, &k)) {
			cli_error("out of memory");
			return CLI_EXIT_FAIL;
		}
	} else {
		print_text(&c, &k, now);
	}
	return verdict(file, &c, &k);
}
