/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the weft.conf parser (src/daemon/config.c).
 *
 * The fuzz build links only the library sources, so the parser is included
 * here, as wireguard-tools' fuzzers include theirs. The input is the file's
 * text; as wf_config_load does, files with a NUL byte or over the size limit
 * are not parsed.
 *
 * No network: listen and bootstrap values go through getaddrinfo, which would
 * send a DNS query for any host name the fuzzer invents. This file defines
 * getaddrinfo itself (the executable's definition wins over libc's and over
 * the sanitizer's interceptor) and forwards to libc's with AI_NUMERICHOST, so
 * a name fails to resolve at once, the parser takes its "not resolved yet"
 * path and nothing leaves the machine. The first run checks that the
 * override is really the one called.
 *
 * After a successful parse the result must obey the documented limits; after
 * a failure the message must name the file.
 */
#include <dlfcn.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *,
			      struct addrinfo **);
static unsigned long lookups;

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static getaddrinfo_fn real;
	struct addrinfo h = {0};

	if (!real) {
		*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
		if (!real)
			abort();
	}
	if (hints)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
	lookups++;
	return real(node, service, &h, res);
}

/* Names must not resolve and addresses must: otherwise the override is not
 * in the path and the fuzzer could be sending DNS queries. */
static void check_no_dns(void)
{
	union wf_endpoint ep;
	unsigned long before = lookups;

	if (wf_endpoint_parse(&ep, "weft-fuzz.invalid:1") || lookups != before + 1)
		abort();
	if (!wf_endpoint_parse(&ep, "198.18.0.1:1") || ep.sa.sa_family != AF_INET)
		abort();
}

static bool path_ok(const char *p)
{
	size_t len = strnlen(p, PATH_MAX);

	return len > 0 && len < PATH_MAX && p[0] == '/';
}

static bool endpoint_ok(const union wf_endpoint *ep, bool unspec_ok)
{
	switch (ep->sa.sa_family) {
	case AF_INET:
		return ep->in4.sin_port != 0;
	case AF_INET6:
		return ep->in6.sin6_port != 0;
	case AF_UNSPEC:
		return unspec_ok;
	default:
		return false;
	}
}

/* What every accepted configuration must look like (docs/weft.conf.md). */
static void check_config(const struct wf_config *c)
{
	if (!name_valid(c->name) || strnlen(c->interface, IFNAMSIZ) >= IFNAMSIZ ||
	    !c->interface[0])
		abort();
	if (!endpoint_ok(&c->listen, false) || c->n_bootstrap > WF_CONFIG_MAX_BOOTSTRAP)
		abort();
	for (unsigned i = 0; i < c->n_bootstrap; i++) {
		size_t len = strnlen(c->bootstrap[i], WF_CONFIG_BOOTSTRAP_LEN);

		if (!len || len >= WF_CONFIG_BOOTSTRAP_LEN || !endpoint_ok(&c->bootstrap_ep[i], true))
			abort();
	}
	if (c->mtu && (c->mtu < MIN_MTU || c->mtu > MAX_MTU))
		abort();
	if (!path_ok(c->private_key) || !path_ok(c->certificate) || !path_ok(c->ca) ||
	    !path_ok(c->control) || strlen(c->control) >= SUN_PATH_MAX)
		abort();
	if (c->log_level < WF_LOG_ERROR || c->log_level > WF_LOG_DEBUG)
		abort();
	if (c->rekey_interval_ms < 1000 || c->rekey_interval_ms > MAX_DURATION_MS ||
	    c->keepalive_interval_ms > 3600 * 1000 ||
	    (c->keepalive_interval_ms && c->keepalive_interval_ms < 1000) ||
	    c->handshake_timeout_ms < 100 || c->handshake_timeout_ms > 60 * 1000)
		abort();
	/* Rules only on the path that enforces them. */
	if (c->n_fw > WF_FW_RULES_MAX || (c->n_fw && c->datapath != WF_DATAPATH_USERSPACE) ||
	    c->fw_flows < WF_CONFIG_FW_FLOWS_MIN || c->fw_flows > WF_CONFIG_FW_FLOWS_MAX)
		abort();
	for (unsigned i = 0; i < c->n_fw; i++)
		if (c->fw[i].dir > WF_FW_OUT || c->fw[i].port_lo > c->fw[i].port_hi)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char path[] = "/etc/weft/fuzz/weft.conf";
	static struct wf_config cfg;
	static bool checked;
	char err[256], *text;

	if (!checked) {
		check_no_dns();
		checked = true;
	}
	if (size > WF_CONFIG_MAX_FILE || memchr(data, '\0', size))
		return 0;
	/* exactly the input and its NUL, so ASan sees any over-read */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (wf_config_parse(&cfg, "/etc/weft/fuzz", path, text, err, sizeof(err)))
		check_config(&cfg);
	else if (strncmp(err, path, sizeof(path) - 1) || !memchr(err, '\0', sizeof(err)))
		abort();
	free(text);
	return 0;
}
