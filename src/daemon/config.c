/* SPDX-License-Identifier: MIT */
/*
 * weft.conf: a strict "key = value" parser. Each key has a setter that
 * validates its value; anything surprising is an error naming the file and
 * line, because a daemon that guesses at a typo is worse than one that
 * refuses to start.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/config.h"
#include "weft/wire.h"

enum {
	MAX_DURATION_MS = 24 * 3600 * 1000,
	MIN_MTU = 576,
	/* A sealed packet must fit one UDP datagram over IPv4: its length is
	 * kept in 16 bits, and a larger one would leave cut short. */
	MAX_MTU = WF_MAX_DATAGRAM - WF_UDP_IP4_OVERHEAD - WF_DATA_OVERHEAD, /* 65475 */
	SUN_PATH_MAX = sizeof(((struct sockaddr_un *)0)->sun_path),
};

struct parser {
	struct wf_config *cfg;
	const char *path;
	unsigned line;
	char *err;
	size_t errlen;
};

struct key {
	const char *name;
	bool (*set)(struct parser *p, const char *key, const char *value);
	bool repeatable;
};

/* Writes "PATH:LINE: message" into p->err; always returns false. */
__attribute__((format(printf, 2, 3))) static bool fail(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->path, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->path, msg);
	return false;
}

bool wf_duration_parse(const char *s, unsigned *ms)
{
	unsigned long n, mult;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno)
		return false;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "m"))
		mult = 60 * 1000;
	else if (!strcmp(end, "h"))
		mult = 3600 * 1000;
	else
		return false;
	if (n > MAX_DURATION_MS / mult)
		return false;
	*ms = (unsigned)(n * mult);
	return true;
}

/* A bare number of seconds (0 needs no unit): kept to be said. */
static void note_bare(struct parser *p, const char *key, const char *v)
{
	struct wf_config *c = p->cfg;
	struct wf_config_bare *b;

	if (v[strspn(v, "0123456789")] || !strcmp(v, "0") ||
	    c->n_bare >= sizeof(c->bare) / sizeof(c->bare[0]))
		return;
	b = &c->bare[c->n_bare++];
	b->line = p->line;
	snprintf(b->key, sizeof(b->key), "%s", key);
	snprintf(b->value, sizeof(b->value), "%s", v);
}

void wf_config_bare_str(const struct wf_config *c, unsigned i, char *buf, size_t cap)
{
	const struct wf_config_bare *b = &c->bare[i];

	snprintf(buf, cap,
		 "%s:%u: %s = %s: a number without a unit is taken as seconds; write %ss (a unit "
		 "will be required, as on the command line)",
		 c->path, b->line, b->key, b->value, b->value);
}

void wf_config_warn(const struct wf_config *c)
{
	char buf[PATH_MAX + 256];

	for (unsigned i = 0; i < c->n_bare; i++) {
		wf_config_bare_str(c, i, buf, sizeof(buf));
		log_warnx("%s", buf);
	}
}

/* A duration between min and max ms; 0 is also accepted when zero_ok. */
static bool set_duration(struct parser *p, const char *key, const char *v, unsigned *out,
			 unsigned min, unsigned max, bool zero_ok)
{
	unsigned ms;

	if (!wf_duration_parse(v, &ms))
		return fail(p, "bad duration '%s' for '%s' (expected e.g. 30s, 2m, 1h)", v, key);
	note_bare(p, key, v);
	if (ms == 0 && zero_ok) {
		*out = 0;
		return true;
	}
	if (ms < min || ms > max)
		return fail(p, "'%s' must be between %ums and %ums%s, not '%s'", key, min, max,
			    zero_ok ? " (or 0 to disable)" : "", v);
	*out = ms;
	return true;
}

/* Joins a relative path to the node directory. */
static bool set_path(struct parser *p, const char *key, const char *v, char out[PATH_MAX])
{
	int n;

	if (v[0] == '/')
		n = snprintf(out, PATH_MAX, "%s", v);
	else
		n = snprintf(out, PATH_MAX, "%s/%s", p->cfg->dir, v);
	if (n < 0 || n >= PATH_MAX)
		return fail(p, "path for '%s' is too long", key);
	return true;
}

static bool name_valid(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len >= WF_CONFIG_NAME_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static bool set_name(struct parser *p, const char *key, const char *v)
{
	if (!name_valid(v))
		return fail(p, "bad node name '%s' (1 to %d of A-Z a-z 0-9 . _ -)", v,
			    WF_CONFIG_NAME_LEN - 1);
	snprintf(p->cfg->name, sizeof(p->cfg->name), "%s", v);
	return true;
}

/* The kernel's rules (dev_valid_name): shorter than IFNAMSIZ, not "." or
 * "..", no '/', ':' or whitespace. */
static bool name_interface(struct parser *p, const char *key, const char *v,
			   char out[IFNAMSIZ])
{
	size_t i, len = strlen(v);

	if (len >= IFNAMSIZ)
		return fail(p, "%s name '%s' is too long (max %d characters)", key, v,
			    IFNAMSIZ - 1);
	for (i = 0; i < len; i++)
		if (v[i] == '/' || v[i] == ':' || isspace((unsigned char)v[i]))
			return fail(p, "bad %s name '%s'", key, v);
	if (!strcmp(v, ".") || !strcmp(v, ".."))
		return fail(p, "bad %s name '%s'", key, v);
	snprintf(out, IFNAMSIZ, "%s", v);
	return true;
}

static bool set_interface(struct parser *p, const char *key, const char *v)
{
	return name_interface(p, key, v, p->cfg->interface);
}

static bool set_listen(struct parser *p, const char *key, const char *v)
{
	if (!wf_endpoint_parse(&p->cfg->listen, v))
		return fail(p, "bad listen address '%s' (expected IP:PORT, e.g. 0.0.0.0:51820)", v);
	return true;
}

/* Letters, digits, '.', '-', '_'; and, as RFC 1123 asks of a top-level
 * label, not all digits: "198.18.0.300" is a mistyped address, not a name. */
static bool hostname_valid(const char *s, size_t len)
{
	size_t i, last = 0;
	bool digits = true;

	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr(".-_", s[i]))
			return false;
		if (s[i] == '.')
			last = i + 1;
	}
	for (i = last; i < len; i++)
		digits &= isdigit((unsigned char)s[i]) != 0;
	return len > 0 && last < len && !digits;
}

/* Splits "HOST:PORT" or "[V6]:PORT" and checks the form; *literal tells
 * whether HOST is an IP address (which must then parse) or a name (which may
 * fail to resolve for now). */
static bool bootstrap_syntax(const char *v, bool *literal)
{
	const char *colon = strrchr(v, ':'), *port;
	char host[WF_CONFIG_BOOTSTRAP_LEN];
	unsigned long pn;
	char *end;
	size_t hl;

	if (!colon)
		return false;
	port = colon + 1;
	if (!isdigit((unsigned char)port[0]))
		return false;
	pn = strtoul(port, &end, 10);
	if (*end || pn == 0 || pn > 65535)
		return false;
	if (v[0] == '[') {
		*literal = true;
		return colon > v + 1 && colon[-1] == ']';
	}
	hl = (size_t)(colon - v);
	if (hl >= sizeof(host) || strchr(v, ':') != colon)
		return false;
	memcpy(host, v, hl);
	host[hl] = '\0';
	*literal = inet_pton(AF_INET, host, &(struct in_addr){0}) == 1;
	return *literal || hostname_valid(host, hl);
}

bool wf_config_bootstrap_ok(const char *v)
{
	union wf_endpoint ep;
	bool literal;

	if (strlen(v) >= WF_CONFIG_BOOTSTRAP_LEN || !bootstrap_syntax(v, &literal))
		return false;
	return !literal || wf_endpoint_parse(&ep, v);
}

static bool set_bootstrap(struct parser *p, const char *key, const char *v)
{
	struct wf_config *cfg = p->cfg;
	unsigned i = cfg->n_bootstrap;
	bool literal;

	if (i >= WF_CONFIG_MAX_BOOTSTRAP)
		return fail(p, "too many 'bootstrap' lines (max %d)", WF_CONFIG_MAX_BOOTSTRAP);
	if (strlen(v) >= WF_CONFIG_BOOTSTRAP_LEN)
		return fail(p, "bootstrap address is too long (max %d bytes)",
			    WF_CONFIG_BOOTSTRAP_LEN - 1);
	if (!bootstrap_syntax(v, &literal))
		return fail(p, "bad bootstrap address '%s' (expected HOST:PORT or [IPV6]:PORT)", v);
	if (!wf_endpoint_parse(&cfg->bootstrap_ep[i], v)) {
		if (literal)
			return fail(p, "bad bootstrap address '%s'", v);
		memset(&cfg->bootstrap_ep[i], 0, sizeof(cfg->bootstrap_ep[i])); /* AF_UNSPEC */
	}
	snprintf(cfg->bootstrap[i], sizeof(cfg->bootstrap[i]), "%s", v);
	cfg->n_bootstrap++;
	return true;
}

/* A whole decimal number, digits only (no sign, no space), into *n. */
static bool parse_count(const char *v, unsigned long *n)
{
	char *end = NULL;

	errno = 0;
	if (isdigit((unsigned char)v[0]))
		*n = strtoul(v, &end, 10);
	return end && !errno && !*end;
}

static bool set_mtu(struct parser *p, const char *key, const char *v)
{
	unsigned long n;

	if (!parse_count(v, &n) || (n && (n < MIN_MTU || n > MAX_MTU)))
		return fail(p, "bad mtu '%s' (%d to %d, or 0 for automatic)", v, MIN_MTU, MAX_MTU);
	p->cfg->mtu = (unsigned)n;
	return true;
}

static bool set_workers(struct parser *p, const char *key, const char *v)
{
	unsigned long n;

	if (!parse_count(v, &n) || n > WF_CONFIG_WORKERS_MAX)
		return fail(p, "bad workers '%s' (1 to %d, or 0 for one per core)", v,
			    WF_CONFIG_WORKERS_MAX);
	p->cfg->workers = (unsigned)n;
	return true;
}

static bool set_full_mesh_max(struct parser *p, const char *key, const char *v)
{
	unsigned long n;

	if (!parse_count(v, &n) || n > WF_CONFIG_FULL_MESH_MAX)
		return fail(p, "bad full-mesh-max '%s' (0 to %d members; 0: sessions only on demand)",
			    v, WF_CONFIG_FULL_MESH_MAX);
	p->cfg->full_mesh_max = (unsigned)n;
	return true;
}

static bool set_datapath(struct parser *p, const char *key, const char *v)
{
	static const char *const names[] = {[WF_DATAPATH_AUTO] = "auto",
					    [WF_DATAPATH_KERNEL] = "kernel",
					    [WF_DATAPATH_USERSPACE] = "userspace"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(v, names[i])) {
			p->cfg->datapath = (enum wf_datapath)i;
			return true;
		}
	}
	return fail(p, "bad datapath '%s' (auto, kernel or userspace)", v);
}

static bool set_esp_encap(struct parser *p, const char *key, const char *v)
{
	if (strcmp(v, "none") && strcmp(v, "udp"))
		return fail(p, "bad esp-encap '%s' (none: ESP, IP protocol 50; udp: ESP in UDP)", v);
	p->cfg->esp_udp = !strcmp(v, "udp");
	return true;
}

static bool set_esp_port(struct parser *p, const char *key, const char *v)
{
	unsigned long n;

	if (!parse_count(v, &n) || n < 1 || n > 65535)
		return fail(p, "bad esp-port '%s' (1 to 65535)", v);
	p->cfg->esp_port = (uint16_t)n;
	return true;
}

static bool set_kernel_interface(struct parser *p, const char *key, const char *v)
{
	return name_interface(p, key, v, p->cfg->kernel_interface);
}

static bool set_log_format(struct parser *p, const char *key, const char *v)
{
	if (!wf_log_format_parse(v, &p->cfg->log_format))
		return fail(p, "bad log-format '%s' (auto, text, journal or json)", v);
	return true;
}

static bool set_metrics(struct parser *p, const char *key, const char *v)
{
	if (!wf_endpoint_parse(&p->cfg->metrics, v) || !wf_endpoint_port(&p->cfg->metrics))
		return fail(p, "bad metrics address '%s' (expected IP:PORT, e.g. 100.64.0.1:9821)", v);
	p->cfg->has_metrics = true;
	return true;
}

/* Labels of letters, digits and '-' (not at either end) of at most 63
 * bytes, dot-separated: a name a resolver can be pointed at. */
static bool domain_valid(const char *s)
{
	size_t label = 0, n = strlen(s);

	if (n == 0 || n >= WF_CONFIG_DOMAIN_LEN || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!label || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (!isalnum((unsigned char)s[i]) && (s[i] != '-' || !label)) {
			return false;
		} else if (++label > 63) {
			return false;
		}
	}
	return s[n - 1] != '-';
}

static bool set_dns_domain(struct parser *p, const char *key, const char *v)
{
	if (!domain_valid(v))
		return fail(p, "bad dns-domain '%.64s' (labels of A-Z a-z 0-9 -, dot-separated, "
			       "at most %d characters, no final dot)",
			    v, WF_CONFIG_DOMAIN_LEN - 1);
	snprintf(p->cfg->dns_domain, sizeof(p->cfg->dns_domain), "%s", v);
	return true;
}

static bool set_private_key(struct parser *p, const char *key, const char *v)
{
	return set_path(p, key, v, p->cfg->private_key);
}

static bool set_certificate(struct parser *p, const char *key, const char *v)
{
	return set_path(p, key, v, p->cfg->certificate);
}

static bool set_ca(struct parser *p, const char *key, const char *v)
{
	return set_path(p, key, v, p->cfg->ca);
}

static bool set_control(struct parser *p, const char *key, const char *v)
{
	return set_path(p, key, v, p->cfg->control);
}

static bool set_log_level(struct parser *p, const char *key, const char *v)
{
	/* "warning" too: the log itself prints "warning:". */
	static const struct {
		const char *name;
		enum wf_log_level level;
	} names[] = {{"error", WF_LOG_ERROR}, {"warn", WF_LOG_WARN}, {"warning", WF_LOG_WARN},
		     {"info", WF_LOG_INFO},   {"debug", WF_LOG_DEBUG}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(v, names[i].name)) {
			p->cfg->log_level = names[i].level;
			return true;
		}
	}
	return fail(p, "bad log-level '%s' (error, warning, info or debug)", v);
}

static bool set_rekey(struct parser *p, const char *key, const char *v)
{
	return set_duration(p, key, v, &p->cfg->rekey_interval_ms, 1000, MAX_DURATION_MS, false);
}

static bool set_keepalive(struct parser *p, const char *key, const char *v)
{
	return set_duration(p, key, v, &p->cfg->keepalive_interval_ms, 1000, 3600 * 1000, true);
}

static bool set_gossip_probe(struct parser *p, const char *key, const char *v)
{
	return set_duration(p, key, v, &p->cfg->gossip_probe_ms, 100, 60 * 1000, false);
}

static bool set_gossip_sync(struct parser *p, const char *key, const char *v)
{
	return set_duration(p, key, v, &p->cfg->gossip_sync_ms, 1000, 3600 * 1000, false);
}

static bool set_handshake_timeout(struct parser *p, const char *key, const char *v)
{
	return set_duration(p, key, v, &p->cfg->handshake_timeout_ms, 100, 60 * 1000, false);
}

static bool set_pmtud_raise(struct parser *p, const char *key, const char *v)
{
	return set_duration(p, key, v, &p->cfg->pmtud_raise_ms, 1000, 86400 * 1000, false);
}

static bool set_bool(struct parser *p, const char *key, const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false")) {
		*out = false;
		return true;
	}
	return fail(p, "bad %s '%s' (yes or no)", key, v);
}

static bool set_tun_offload(struct parser *p, const char *key, const char *v)
{
	return set_bool(p, key, v, &p->cfg->tun_offload);
}

static bool set_udp_gso(struct parser *p, const char *key, const char *v)
{
	return set_bool(p, key, v, &p->cfg->udp_gso);
}

static bool set_udp_gro(struct parser *p, const char *key, const char *v)
{
	return set_bool(p, key, v, &p->cfg->udp_gro);
}

static bool set_tun_udp_coalesce(struct parser *p, const char *key, const char *v)
{
	return set_bool(p, key, v, &p->cfg->tun_udp_coalesce);
}

static bool set_dns(struct parser *p, const char *key, const char *v)
{
	return set_bool(p, key, v, &p->cfg->dns);
}

static bool set_dns_resolved(struct parser *p, const char *key, const char *v)
{
	return set_bool(p, key, v, &p->cfg->dns_resolved);
}

/* An `inbound` or `outbound` line: one rule, in the order written. */
static bool set_rule(struct parser *p, const char *key, const char *v)
{
	enum wf_fw_dir dir = !strcmp(key, "inbound") ? WF_FW_IN : WF_FW_OUT;
	struct wf_config *cfg = p->cfg;
	char why[256];

	if (cfg->n_fw >= WF_FW_RULES_MAX)
		return fail(p, "too many firewall rules (max %d, inbound and outbound together)",
			    WF_FW_RULES_MAX);
	if (!wf_fw_rule_parse(dir, v, &cfg->fw[cfg->n_fw], why, sizeof(why)))
		return fail(p, "bad %s rule: %s", key, why);
	cfg->n_fw++;
	return true;
}

static bool set_fw_flows(struct parser *p, const char *key, const char *v)
{
	unsigned long n;

	if (!parse_count(v, &n) || n < WF_CONFIG_FW_FLOWS_MIN || n > WF_CONFIG_FW_FLOWS_MAX)
		return fail(p, "bad firewall-flows '%s' (%d to %d flows a worker)", v,
			    WF_CONFIG_FW_FLOWS_MIN, WF_CONFIG_FW_FLOWS_MAX);
	p->cfg->fw_flows = (unsigned)n;
	return true;
}

static const struct key keys[] = {
	{"name", set_name, false},
	{"interface", set_interface, false},
	{"listen", set_listen, false},
	{"bootstrap", set_bootstrap, true},
	{"mtu", set_mtu, false},
	{"private-key", set_private_key, false},
	{"certificate", set_certificate, false},
	{"ca", set_ca, false},
	{"control", set_control, false},
	{"log-level", set_log_level, false},
	{"log-format", set_log_format, false},
	{"rekey-interval", set_rekey, false},
	{"keepalive-interval", set_keepalive, false},
	{"handshake-timeout", set_handshake_timeout, false},
	{"pmtud-raise", set_pmtud_raise, false},
	{"tun-offload", set_tun_offload, false},
	{"udp-gso", set_udp_gso, false},
	{"udp-gro", set_udp_gro, false},
	{"tun-udp-coalesce", set_tun_udp_coalesce, false},
	{"workers", set_workers, false},
	{"full-mesh-max", set_full_mesh_max, false},
	{"gossip-probe-interval", set_gossip_probe, false},
	{"gossip-sync-interval", set_gossip_sync, false},
	{"datapath", set_datapath, false},
	{"esp-encap", set_esp_encap, false},
	{"esp-port", set_esp_port, false},
	{"kernel-interface", set_kernel_interface, false},
	{"metrics", set_metrics, false},
	{"dns", set_dns, false},
	{"dns-domain", set_dns_domain, false},
	{"dns-resolved", set_dns_resolved, false},
	{"inbound", set_rule, true},
	{"outbound", set_rule, true},
	{"firewall-flows", set_fw_flows, false},
};
enum { N_KEYS = sizeof(keys) / sizeof(keys[0]) };

/* Levenshtein distance, for "did you mean"; only called on short strings. */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned row[33], i, j, la = strlen(a), lb = strlen(b), diag, up;

	if (la > 32 || lb > 32)
		return ~0u;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

static const struct key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static bool unknown_key(struct parser *p, const char *name)
{
	unsigned best = ~0u, d, limit;
	const char *hint = NULL;
	size_t i;

	/* Up to 2 edits, fewer for short keys: "xy" is no typo of "ca". */
	for (i = 0; i < N_KEYS; i++) {
		d = edit_distance(name, keys[i].name);
		limit = strlen(keys[i].name) / 3;
		limit = limit < 1 ? 1 : limit > 2 ? 2 : limit;
		if (d <= limit && d < best) {
			best = d;
			hint = keys[i].name;
		}
	}
	if (hint)
		return fail(p, "unknown key '%.64s' (did you mean '%s'?)", name, hint);
	return fail(p, "unknown key '%.64s'", name);
}

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	return s;
}

/* One line without its terminator; seen[] holds the line each key was set on. */
static bool parse_line(struct parser *p, char *line, unsigned seen[N_KEYS])
{
	char *eq, *key, *value, *c;
	const struct key *k;

	for (c = line; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return fail(p, "control character (0x%02x) in line", (unsigned char)*c);
	line = trim(line);
	if (line[0] == '\0' || line[0] == '#')
		return true;
	eq = strchr(line, '=');
	if (!eq)
		return fail(p, "expected 'key = value', got '%.64s'", line);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (key[0] == '\0')
		return fail(p, "missing key before '='");
	k = find_key(key);
	if (!k)
		return unknown_key(p, key);
	if (value[0] == '\0')
		return fail(p, "empty value for '%s'", key);
	/* "weft0" would be taken literally, quotes and all: say so instead. */
	if (value[0] == '"' || value[0] == '\'')
		return fail(p, "values take no quotes: write '%s = %.*s'", key,
			    (int)strcspn(value + 1, "\"'"), value + 1);
	if (seen[k - keys] && !k->repeatable)
		return fail(p, "duplicate key '%s' (first set on line %u)", key, seen[k - keys]);
	if (!k->set(p, key, value))
		return false;
	if (!seen[k - keys])
		seen[k - keys] = p->line;
	return true;
}

static bool set_defaults(struct parser *p, const char *dir)
{
	struct wf_config *cfg = p->cfg;
	int n;

	memset(cfg, 0, sizeof(*cfg));
	n = snprintf(cfg->dir, sizeof(cfg->dir), "%s", dir);
	if (n < 0 || (size_t)n >= sizeof(cfg->dir))
		return fail(p, "node directory path is too long");
	n = snprintf(cfg->path, sizeof(cfg->path), "%s", p->path);
	if (n < 0 || (size_t)n >= sizeof(cfg->path))
		return fail(p, "path is too long");
	snprintf(cfg->interface, sizeof(cfg->interface), "weft0");
	cfg->log_level = WF_LOG_INFO;
	cfg->rekey_interval_ms = 120 * 1000;
	cfg->keepalive_interval_ms = 10 * 1000;
	cfg->handshake_timeout_ms = 5 * 1000;
	cfg->pmtud_raise_ms = 600 * 1000;
	cfg->full_mesh_max = 128;
	cfg->gossip_probe_ms = 1000;
	cfg->gossip_sync_ms = 10 * 1000;
	cfg->tun_offload = cfg->udp_gso = cfg->udp_gro = true;
	cfg->dns = true;
	cfg->fw_flows = WF_CONFIG_FW_FLOWS;
	return set_path(p, "private-key", "node.key", cfg->private_key) &&
	       set_path(p, "certificate", "node.crt", cfg->certificate) &&
	       set_path(p, "ca", "ca.crt", cfg->ca) &&
	       set_path(p, "control", "weft.sock", cfg->control);
}

/* The kernel path's names and ports, from the interface and listen port
 * unless set. */
static bool kernel_defaults(struct parser *p, const unsigned seen[N_KEYS])
{
	struct wf_config *c = p->cfg;
	unsigned port = wf_endpoint_port(&c->listen);

	if (!c->esp_port)
		c->esp_port = port < 65535 ? (uint16_t)(port + 1) : 0;
	if (!c->esp_port && c->datapath != WF_DATAPATH_USERSPACE)
		return fail(p, "listen port %u leaves no port for ESP in UDP: set esp-port", port);
	if (c->esp_port == port)
		return fail(p, "esp-port %u is the listen port: ESP in UDP needs a port of its own",
			    port);
	if (seen[find_key("kernel-interface") - keys])
		return true;
	if (strlen(c->interface) + 2 >= IFNAMSIZ) {
		if (c->datapath == WF_DATAPATH_USERSPACE)
			return true;
		return fail(p, "interface name '%s' leaves no room for the kernel path's "
			       "('%s-x'): set kernel-interface",
			    c->interface, c->interface);
	}
	snprintf(c->kernel_interface, sizeof(c->kernel_interface), "%s-x", c->interface);
	return true;
}

/* Rules are enforced by the workers only: the kernel's ESP path would carry
 * packets past them. With datapath = auto the rules choose the userspace
 * path; asked for the kernel's, the file is refused rather than the rules
 * silently ignored. */
static bool firewall_path(struct parser *p, const unsigned seen[N_KEYS])
{
	unsigned line = seen[find_key("datapath") - keys];

	if (!p->cfg->n_fw || p->cfg->datapath == WF_DATAPATH_USERSPACE)
		return true;
	if (p->cfg->datapath == WF_DATAPATH_KERNEL) {
		p->line = line;
		return fail(p, "datapath = kernel, but firewall rules (inbound, outbound) are "
			       "enforced on the userspace path only: set datapath = userspace or "
			       "auto, or remove the rules");
	}
	p->cfg->datapath = WF_DATAPATH_USERSPACE;
	p->cfg->datapath_by_fw = true;
	return true;
}

/* Checks that need the whole file: required keys, the socket path length. */
static bool check_complete(struct parser *p, const unsigned seen[N_KEYS])
{
	p->line = 0;
	if (!seen[find_key("name") - keys])
		return fail(p, "missing required key 'name'");
	if (!seen[find_key("listen") - keys])
		return fail(p, "missing required key 'listen'");
	if (!firewall_path(p, seen) || !kernel_defaults(p, seen))
		return false;
	/* resolved would send the domain's queries to a port nobody answers. */
	if (p->cfg->dns_resolved && !p->cfg->dns)
		return fail(p, "dns-resolved = yes needs dns = yes (the names are answered by weft)");
	if (strlen(p->cfg->control) >= SUN_PATH_MAX)
		return fail(p,
			    "control socket path '%s' is too long for a UNIX socket (max %zu "
			    "bytes); set 'control' to a shorter path",
			    p->cfg->control, (size_t)SUN_PATH_MAX - 1);
	return true;
}

bool wf_config_parse(struct wf_config *cfg, const char *dir, const char *path, const char *text,
		     char *err, size_t errlen)
{
	struct parser p = {.cfg = cfg, .path = path, .err = err, .errlen = errlen};
	unsigned seen[N_KEYS] = {0};
	char buf[WF_CONFIG_MAX_LINE + 1];
	const char *s = text, *nl;
	size_t len;

	if (!set_defaults(&p, dir))
		return false;
	while (*s) {
		p.line++;
		nl = strchr(s, '\n');
		len = nl ? (size_t)(nl - s) : strlen(s);
		if (len && s[len - 1] == '\r')
			len--; /* CRLF files from other editors */
		if (len > WF_CONFIG_MAX_LINE)
			return fail(&p, "line is too long (max %d bytes)", WF_CONFIG_MAX_LINE);
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (!parse_line(&p, buf, seen))
			return false;
		s = nl ? nl + 1 : s + strlen(s);
	}
	return check_complete(&p, seen);
}

/* Reads the whole file; NUL bytes would silently cut the text short, so
 * they are an error. Returns a malloc'd string or NULL with err set. */
static char *read_text(const char *path, char *err, size_t errlen)
{
	char *buf = malloc(WF_CONFIG_MAX_FILE + 1);
	size_t len = 0;
	ssize_t n;
	int fd;

	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out_errno;
	while ((n = read(fd, buf + len, WF_CONFIG_MAX_FILE + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > WF_CONFIG_MAX_FILE)
			break;
	}
	if (n < 0)
		goto out_errno;
	close(fd);
	if (len > WF_CONFIG_MAX_FILE) {
		snprintf(err, errlen, "%s: file is too large (max %d bytes)", path,
			 WF_CONFIG_MAX_FILE);
		goto out_free;
	}
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "%s: file contains a NUL byte", path);
		goto out_free;
	}
	buf[len] = '\0';
	return buf;

out_errno:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
out_free:
	free(buf);
	return NULL;
}

bool wf_config_load(struct wf_config *cfg, const char *dir, char *err, size_t errlen)
{
	char absdir[PATH_MAX], cwd[PATH_MAX], path[PATH_MAX + 16];
	size_t len;
	char *text;
	bool ok;
	int n;

	if (dir[0] == '/') {
		n = snprintf(absdir, sizeof(absdir), "%s", dir);
	} else {
		if (!getcwd(cwd, sizeof(cwd))) {
			snprintf(err, errlen, "%s: cannot find the current directory: %s", dir,
				 strerror(errno));
			return false;
		}
		n = snprintf(absdir, sizeof(absdir), "%s/%s", cwd, dir);
	}
	if (n < 0 || (size_t)n >= sizeof(absdir)) {
		snprintf(err, errlen, "%s: node directory path is too long", dir);
		return false;
	}
	len = strlen(absdir);
	while (len > 1 && absdir[len - 1] == '/')
		absdir[--len] = '\0';
	snprintf(path, sizeof(path), "%s/weft.conf", len > 1 ? absdir : "");
	text = read_text(path, err, errlen);
	if (!text)
		return false;
	ok = wf_config_parse(cfg, absdir, path, text, err, errlen);
	free(text);
	return ok;
}
