/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the weft subcommands: messages, option parsing, files,
 * formatting. Kept out of weft.c because the unit tests link every CLI
 * object except the one holding main().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/armor.h"
#include "common/clock.h"
#include "store/keyfile.h"

const char *cli_command = "";

static void verror(const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (cli_command[0])
		fprintf(stderr, "weft: %s: %s\n", cli_command, msg);
	else
		fprintf(stderr, "weft: %s\n", msg);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_error("%s (see 'weft %s --help')", msg, cli_command);
	return CLI_EXIT_USAGE;
}

int cli_opt_dir(void *ctx, int opt, const char *arg)
{
	(void)opt;
	return cli_set_once(ctx, "dir", arg) ? 0 : CLI_EXIT_USAGE;
}

int cli_parse(int argc, char **argv, const struct option *opts, const char *usage,
	      cli_opt_fn fn, void *ctx)
{
	int c, rc;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == CLI_OPT_BAD)
			return CLI_EXIT_USAGE;
		if (c == 'h') {
			fputs(usage, stdout);
			return -1;
		}
		rc = fn(ctx, c, optarg);
		if (rc)
			return rc;
	}
	return cli_no_args(argc, argv) ? 0 : CLI_EXIT_USAGE;
}

int cli_getopt(int argc, char **argv, const struct option *opts)
{
	int idx = -1, c;

	/* ':' first: a missing argument returns ':' rather than '?'. */
	opterr = 0;
	c = getopt_long(argc, argv, ":h", opts, &idx);
	if (c == '?') {
		const char *arg = argv[optind - 1];

		/* optopt is set for a known option misused: "--json=yes". */
		if (optopt && !strncmp(arg, "--", 2))
			cli_usage_error("option '%s' takes no value", arg);
		else if (optopt)
			cli_usage_error("unknown option '-%c'", optopt);
		else
			cli_usage_error("unknown option '%s'", arg);
		return CLI_OPT_BAD;
	}
	if (c == ':') {
		cli_usage_error("option '%s' needs a value", argv[optind - 1]);
		return CLI_OPT_BAD;
	}
	return c;
}

bool cli_set_once(const char **slot, const char *opt, const char *arg)
{
	if (*slot) {
		cli_usage_error("--%s given twice", opt);
		return false;
	}
	*slot = arg;
	return true;
}

bool cli_require(const char *value, const char *opt)
{
	if (value)
		return true;
	cli_usage_error("missing --%s", opt);
	return false;
}

bool cli_no_args(int argc, char **argv)
{
	if (optind >= argc)
		return true;
	cli_usage_error("unexpected argument '%s'", argv[optind]);
	return false;
}

int cli_duration_error(const char *opt, const char *arg)
{
	const char *p = arg;

	while (*p >= '0' && *p <= '9')
		p++;
	if (*arg && !*p)
		return cli_usage_error("--%s %s: give a unit: %sd (days), %sh, %sm or %ss", opt, arg,
				       arg, arg, arg, arg);
	return cli_usage_error("--%s %s: not a duration (like 1y, 90d, 12h)", opt, arg);
}

bool cli_parse_duration(const char *s, int64_t *secs)
{
	static const struct {
		char suffix;
		int64_t mult;
	} units[] = {
	    {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}, {'y', 365 * 86400},
	};
	int64_t mult = 0;
	long long n;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || n <= 0)
		return false;
	/* A bare number is refused: "90" could be seconds or days, and a
	 * certificate valid for 90 seconds is no one's intent. */
	if (*end && !end[1])
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (units[i].suffix == *end)
				mult = units[i].mult;
	/* Cap at 1000 years: more is a typo, and the product must not overflow. */
	if (!mult || n > 1000LL * 365 * 86400 / mult)
		return false;
	*secs = n * mult;
	return true;
}

/* Tell "not a prefix at all" from "host bits set", which deserves a hint. */
static bool host_bits_hint(const char *s, char *hint, size_t len)
{
	const char *slash = strchr(s, '/');
	char buf[WF_ADDR_STRLEN];
	struct wf_prefix p;
	unsigned long plen;
	char *end;

	if (!slash || (size_t)(slash - s) >= sizeof(buf) || slash[1] < '0' || slash[1] > '9')
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (!wf_addr_parse(&p, buf))
		return false;
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (errno || *end || plen > p.len)
		return false;
	p.len = (uint8_t)plen;
	wf_prefix_mask(&p);
	wf_prefix_str(&p, false, hint, len);
	return true;
}

bool cli_parse_prefix(const char *opt, const char *s, struct wf_prefix *p)
{
	char hint[WF_ADDR_STRLEN];

	if (wf_prefix_parse(p, s, true))
		return true;
	if (host_bits_hint(s, hint, sizeof(hint)))
		cli_usage_error("--%s %s: host bits are set (the network is %s)", opt, s, hint);
	else
		cli_usage_error("--%s %s: not a CIDR prefix (like 100.64.0.0/10 or fd00::/64)", opt,
				s);
	return false;
}

bool cli_parse_addr(const char *opt, const char *s, struct wf_prefix *p)
{
	if (strchr(s, '/')) {
		cli_usage_error("--%s %s: give a bare address, without '/length'", opt, s);
		return false;
	}
	if (wf_addr_parse(p, s))
		return true;
	cli_usage_error("--%s %s: not an IPv4 or IPv6 address", opt, s);
	return false;
}

bool cli_parse_time(const char *opt, const char *s, int64_t *t)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end) {
		cli_usage_error("--%s %s: not a Unix time in seconds", opt, s);
		return false;
	}
	*t = v;
	return true;
}

bool cli_path(char *buf, size_t len, const char *dir, const char *file)
{
	int n = snprintf(buf, len, "%s/%s", dir, file);

	if (n < 0 || (size_t)n >= len) {
		cli_error("%s/%s: path too long", dir, file);
		return false;
	}
	return true;
}

bool cli_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

bool cli_refuse_existing(const char *path)
{
	if (!cli_exists(path))
		return true;
	cli_error("%s already exists; refusing to overwrite it", path);
	return false;
}

static bool mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return true;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return true;
	if (errno == EEXIST)
		errno = ENOTDIR;
	cli_error("cannot create directory %s: %s", path, strerror(errno));
	return false;
}

bool cli_mkdir(const char *dir)
{
	char buf[CLI_PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "%s", dir);

	if (n <= 0 || (size_t)n >= sizeof(buf)) {
		cli_error("%s: bad directory name", dir);
		return false;
	}
	/* Parents like "mkdir -p"; only the last component is private. */
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (!mkdir_one(buf, 0755))
			return false;
		*p = '/';
	}
	return mkdir_one(buf, 0700);
}

/* The label of the first armored block in path, for a better message when a
 * file of the wrong kind was given. Never reads past the BEGIN line. */
static bool file_label(const char *path, char *label, size_t len)
{
	static const char begin[] = "-----BEGIN WEFT ";
	char err[WF_ERR_MAX];
	const char *p, *end;
	size_t n;
	char *text = wf_read_file(path, &n, err, sizeof(err));
	bool ok = false;

	if (!text)
		return false;
	p = strstr(text, begin);
	if (p) {
		p += sizeof(begin) - 1;
		end = strstr(p, "-----");
		if (end && (size_t)(end - p) < len && !memchr(p, '\n', (size_t)(end - p))) {
			memcpy(label, p, (size_t)(end - p));
			label[end - p] = '\0';
			ok = true;
		}
	}
	wf_wipe(text, n);
	free(text);
	return ok;
}

static void explain_load_error(const char *path, const char *want, const char *err)
{
	char label[64];

	if (file_label(path, label, sizeof(label)) && strcmp(label, want) != 0)
		cli_error("%s holds a %s, not a %s", path, label, want);
	else
		cli_error("%s", err);
}

bool cli_load_key(const char *path, const char *label, uint8_t key[WF_KEY_LEN])
{
	char err[WF_ERR_MAX] = "";

	if (wf_key_load(path, label, key, err, sizeof(err)))
		return true;
	explain_load_error(path, label, err);
	return false;
}

bool cli_load_cert(const char *path, struct wf_cert *c)
{
	char err[WF_ERR_MAX] = "";

	if (wf_cert_load(path, c, err, sizeof(err)))
		return true;
	explain_load_error(path, "CERTIFICATE", err);
	return false;
}

int64_t cli_now(void)
{
	return (int64_t)time(NULL);
}

void cli_base64(const uint8_t *in, size_t len, char *out, size_t cap)
{
	wf_base64_encode(in, len, out, cap);
}

const char *cli_time_str(int64_t t, char *buf, size_t len)
{
	char utc[WF_UTC_LEN];

	snprintf(buf, len, "%s", wf_utc(t, utc));
	return buf;
}

const char *cli_prefix_list(const struct wf_prefix *p, size_t n, bool bare, char *buf, size_t len)
{
	char one[WF_ADDR_STRLEN];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 wf_prefix_str(&p[i], bare, one, sizeof(one)));

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}
