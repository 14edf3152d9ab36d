/* SPDX-License-Identifier: MIT */
/*
 * weft status: ask the running daemon for its status over the control socket
 * and print it as a table, or as the JSON itself with --json. The renderer
 * is forgiving about missing fields (an older or newer daemon may omit some)
 * but refuses a document of another major version.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/status.h"
#include "daemon/config.h"

enum {
	STATUS_VERSION = 1,
	NCOL = 8,
	CELL = 128, /* longer cells are cut, with "..." */
	QUERY_TIMEOUT_S = 5,
	MAX_RESPONSE = 64 << 20,
};

static const char *const headers[NCOL] = {"PEER", "ADDRESSES", "ENDPOINT", "STATE",
					  "HANDSHAKE", "RX", "TX", "DROPS"};

/* Copies s into a cell, replacing control characters: the strings come from
 * certificates and the network, and must not drive the terminal. */
static void cell_set(char *dst, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < CELL - 1; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	dst[i] = '\0';
	if (s[i])
		memcpy(dst + CELL - 4, "...", 4);
}

static const char *jstr(const cJSON *obj, const char *key, const char *dflt)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));

	return s ? s : dflt;
}

static bool jnum(const cJSON *obj, const char *key, double *v)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(item))
		return false;
	*v = item->valuedouble;
	return true;
}

/* ["a", "b"] -> "a, b"; anything else -> "-". */
static void join_strings(const cJSON *arr, char *buf, size_t len)
{
	const cJSON *item;
	size_t used = 0;
	int n;

	buf[0] = '\0';
	cJSON_ArrayForEach(item, arr)
	{
		if (!cJSON_IsString(item))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", item->valuestring);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void fmt_bytes(double b, char *buf, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%.0f B", b);
		return;
	}
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", b, units[u]);
}

/* 12s, 5m12s, 2h05m, 3d04h */
static void fmt_duration(double secs, char *buf, size_t len)
{
	unsigned long s = secs > 0 ? (unsigned long)secs : 0;

	if (s < 60)
		snprintf(buf, len, "%lus", s);
	else if (s < 3600)
		snprintf(buf, len, "%lum%02lus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%luh%02lum", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lud%02luh", s / 86400, s / 3600 % 24);
}

/* "1.2 MiB/840": bytes and packets in one direction. */
static void fmt_traffic(const cJSON *peer, const char *bytes_key, const char *packets_key,
			char *buf, size_t len)
{
	char b[32];
	double bytes = 0, packets = 0;

	jnum(peer, bytes_key, &bytes);
	jnum(peer, packets_key, &packets);
	fmt_bytes(bytes, b, sizeof(b));
	snprintf(buf, len, "%s/%.0f", b, packets);
}

static double sum_numbers(const cJSON *obj)
{
	const cJSON *item;
	double sum = 0;

	cJSON_ArrayForEach(item, obj)
		if (cJSON_IsNumber(item))
			sum += item->valuedouble;
	return sum;
}

static void peer_row(const cJSON *peer, char row[NCOL][CELL])
{
	char buf[1024], t[32];
	double secs;

	cell_set(row[0], jstr(peer, "name", "?"));
	join_strings(cJSON_GetObjectItemCaseSensitive(peer, "addresses"), buf, sizeof(buf));
	cell_set(row[1], buf);
	cell_set(row[2], jstr(peer, "endpoint", "-"));
	cell_set(row[3], jstr(peer, "state", "?"));
	if (jnum(peer, "last_handshake_seconds", &secs)) {
		fmt_duration(secs, t, sizeof(t));
		snprintf(buf, sizeof(buf), "%s ago", t);
	} else {
		snprintf(buf, sizeof(buf), "never");
	}
	cell_set(row[4], buf);
	fmt_traffic(peer, "rx_bytes", "rx_packets", buf, sizeof(buf));
	cell_set(row[5], buf);
	fmt_traffic(peer, "tx_bytes", "tx_packets", buf, sizeof(buf));
	cell_set(row[6], buf);
	snprintf(buf, sizeof(buf), "%.0f",
		 sum_numbers(cJSON_GetObjectItemCaseSensitive(peer, "drops")));
	cell_set(row[7], buf);
}

static void print_row(FILE *out, const char row[NCOL][CELL], const size_t width[NCOL])
{
	int i;

	for (i = 0; i < NCOL - 1; i++)
		fprintf(out, "%-*s  ", (int)width[i], row[i]);
	fprintf(out, "%s\n", row[NCOL - 1]);
}

static void print_table(FILE *out, char (*rows)[NCOL][CELL], size_t n)
{
	char head[NCOL][CELL];
	size_t width[NCOL], r;
	int i;

	for (i = 0; i < NCOL; i++) {
		cell_set(head[i], headers[i]);
		width[i] = strlen(headers[i]);
		for (r = 0; r < n; r++)
			if (strlen(rows[r][i]) > width[i])
				width[i] = strlen(rows[r][i]);
	}
	print_row(out, head, width);
	for (r = 0; r < n; r++)
		print_row(out, rows[r], width);
}

/* "node alpha (100.64.0.1, fd00::1) on weft0, listening on ..., network demo" */
static void print_node(FILE *out, const cJSON *node)
{
	char addrs[1024], name[CELL], iface[CELL], listen[CELL], net[CELL], t[32];
	double v;

	join_strings(cJSON_GetObjectItemCaseSensitive(node, "addresses"), addrs, sizeof(addrs));
	cell_set(name, jstr(node, "name", "?"));
	cell_set(iface, jstr(node, "interface", "?"));
	cell_set(listen, jstr(node, "listen", "?"));
	cell_set(net, jstr(node, "network", "?"));
	fprintf(out, "node %s (%s) on %s, listening on %s, network %s\n", name, addrs, iface,
		listen, net);
	if (jnum(node, "uptime_seconds", &v)) {
		fmt_duration(v, t, sizeof(t));
		fprintf(out, "up %s", t);
		if (jnum(node, "mtu", &v))
			fprintf(out, ", mtu %.0f", v);
		fputc('\n', out);
	}
}

/* Node-wide drops, only the non-zero reasons: "drops: no_route 3, malformed 1". */
static void print_drops(FILE *out, const cJSON *drops)
{
	const cJSON *item;
	char reason[CELL];
	bool any = false;

	cJSON_ArrayForEach(item, drops)
	{
		if (!cJSON_IsNumber(item) || item->valuedouble <= 0 || !item->string)
			continue;
		cell_set(reason, item->string);
		fprintf(out, "%s %s %.0f", any ? "," : "drops:", reason, item->valuedouble);
		any = true;
	}
	if (any)
		fputc('\n', out);
}

static bool check_document(const cJSON *root, char *err, size_t errlen)
{
	const char *daemon_err = jstr(root, "error", NULL);
	double version = 0;

	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "the daemon's answer is not a JSON object");
		return false;
	}
	if (daemon_err) {
		snprintf(err, errlen, "the daemon answered: %s", daemon_err);
		return false;
	}
	if (!jnum(root, "version", &version) || version != STATUS_VERSION) {
		snprintf(err, errlen, "unsupported status version (this weft reads version %d)",
			 STATUS_VERSION);
		return false;
	}
	return true;
}

bool wf_status_render(FILE *out, const char *json, char *err, size_t errlen)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *peers, *peer;
	char (*rows)[NCOL][CELL] = NULL;
	size_t n = 0;
	bool ok = false;

	if (!root) {
		snprintf(err, errlen, "the daemon's answer is not valid JSON");
		return false;
	}
	if (!check_document(root, err, errlen))
		goto out;
	peers = cJSON_GetObjectItemCaseSensitive(root, "peers");
	rows = calloc((size_t)cJSON_GetArraySize(peers) + 1, sizeof(*rows));
	if (!rows) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(peer, peers)
		if (cJSON_IsObject(peer))
			peer_row(peer, rows[n++]);
	print_node(out, cJSON_GetObjectItemCaseSensitive(root, "node"));
	if (n)
		print_table(out, rows, n);
	else
		fprintf(out, "no peers\n");
	print_drops(out, cJSON_GetObjectItemCaseSensitive(root, "drops"));
	ok = true;
out:
	free(rows);
	cJSON_Delete(root);
	return ok;
}

static int query_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = QUERY_TIMEOUT_S};
	int fd, saved;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		snprintf(err, errlen, "control socket path %s is too long", path);
		return -1;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		saved = errno;
		snprintf(err, errlen, "cannot connect to %s: %s (is `weft up` running?)", path,
			 strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Reads until EOF into a malloc'd string. */
static char *read_all(int fd, const char *path, char *err, size_t errlen)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap), *p;
	ssize_t n;

	if (!buf)
		goto out_nomem;
	for (;;) {
		if (cap - len < 2) {
			p = cap < MAX_RESPONSE ? realloc(buf, cap * 2) : NULL;
			if (!p)
				goto out_nomem;
			buf = p;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "reading from %s: %s", path,
				 errno == EAGAIN ? "the daemon did not answer" : strerror(errno));
			free(buf);
			return NULL;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;

out_nomem:
	snprintf(err, errlen, "the daemon's answer from %s is too large", path);
	free(buf);
	return NULL;
}

char *wf_status_query(const char *path, const char *request, char *err, size_t errlen)
{
	char line[WF_CONFIG_MAX_LINE];
	size_t len;
	char *resp;
	int fd;

	len = (size_t)snprintf(line, sizeof(line), "%s\n", request);
	if (len >= sizeof(line)) {
		snprintf(err, errlen, "request too long");
		return NULL;
	}
	fd = query_connect(path, err, errlen);
	if (fd < 0)
		return NULL;
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
		snprintf(err, errlen, "writing to %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	shutdown(fd, SHUT_WR);
	resp = read_all(fd, path, err, errlen);
	close(fd);
	return resp;
}

/* --json: pretty-printed when it parses, as received otherwise. */
static int print_json(const char *resp)
{
	cJSON *root = cJSON_Parse(resp);
	char *pretty = root ? cJSON_Print(root) : NULL;
	bool daemon_err = root && cJSON_GetObjectItemCaseSensitive(root, "error");

	if (pretty)
		printf("%s\n", pretty);
	else
		fputs(resp, stdout);
	free(pretty);
	cJSON_Delete(root);
	return daemon_err || !root ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static const char status_usage[] =
	"Usage: weft status [--dir NODEDIR] [--socket PATH] [--json]\n"
	"\n"
	"Shows the running daemon's node, peers, sessions and drop counters.\n"
	"\n"
	"  --dir NODEDIR      the node's directory, to find the control socket in its\n"
	"                     weft.conf (default /etc/weft)\n"
	"  --socket PATH      the control socket (overrides weft.conf)\n"
	"  --json             print the daemon's JSON (see docs/status-json.md)\n"
	"  -h, --help         show this help\n";

enum { OPT_DIR = OPT_CLI_FIRST_FREE, OPT_SOCKET, OPT_JSON };

/* The socket path: --socket, else the control key of NODEDIR/weft.conf. */
static bool socket_path(const char *dir, const char *sock, char *buf, size_t len)
{
	static struct wf_config cfg; /* large; this runs once */
	char err[WF_CONFIG_MAX_LINE];

	if (!sock) {
		if (!wf_config_load(&cfg, dir ? dir : "/etc/weft", err, sizeof(err))) {
			cli_error("%s", err);
			return false;
		}
		sock = cfg.control;
	}
	snprintf(buf, len, "%s", sock);
	return true;
}

struct status_args {
	const char *dir, *sock;
	bool json;
};

static int status_opt(void *ctx, int opt, const char *arg)
{
	struct status_args *a = ctx;

	if (opt == OPT_JSON) {
		a->json = true;
		return 0;
	}
	if (opt == OPT_DIR)
		return cli_set_once(&a->dir, "dir", arg) ? 0 : CLI_EXIT_USAGE;
	return cli_set_once(&a->sock, "socket", arg) ? 0 : CLI_EXIT_USAGE;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"dir", required_argument, NULL, OPT_DIR},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"json", no_argument, NULL, OPT_JSON},
		{NULL, 0, NULL, 0},
	};
	struct status_args a = {0};
	char path[CLI_PATH_MAX], err[1024];
	bool ok;
	char *resp;
	int rc = cli_parse(argc, argv, opts, status_usage, status_opt, &a);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!socket_path(a.dir, a.sock, path, sizeof(path)))
		return CLI_EXIT_FAIL;
	resp = wf_status_query(path, "status", err, sizeof(err));
	if (!resp) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	if (a.json) {
		rc = print_json(resp);
		free(resp);
		return rc;
	}
	ok = wf_status_render(stdout, resp, err, sizeof(err));
	free(resp);
	if (!ok)
		cli_error("%s", err);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
