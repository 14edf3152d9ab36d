/* SPDX-License-Identifier: MIT */
/*
 * The weft command: subcommand entry points and the helpers they share.
 *
 * Every subcommand is an `int cmd_x(int argc, char **argv)` called by the
 * table in weft.c with argv[0] set to the last word of its name ("init" for
 * "ca init") and its options after it, so getopt_long works unchanged. It
 * returns the process exit status: 0, CLI_EXIT_FAIL, or CLI_EXIT_USAGE.
 *
 * Errors are one line on stderr, "weft: <command>: <what went wrong>", so a
 * sysadmin reading a script's output knows which step failed and why.
 */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "core/cert.h"

#include "weft/version.h"

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,  /* the command ran and failed: files, keys, certificates */
	CLI_EXIT_USAGE = 2, /* the command line itself is wrong */
	CLI_PATH_MAX = 4096,
	CLI_OPT_BAD = -2, /* cli_getopt: an error was already printed */
	CLI_CLOCK_SKEW = 60, /* node certificates start this much in the past */
};

/* --- Subcommands ------------------------------------------------------- */
int cmd_ca_init(int argc, char **argv);
int cmd_ca_sign(int argc, char **argv);
int cmd_ca_renew(int argc, char **argv);
int cmd_ca_revoke(int argc, char **argv);
int cmd_ca_list(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_node_init(int argc, char **argv);
int cmd_cert_show(int argc, char **argv);
int cmd_check(int argc, char **argv);
/* Daemon-side commands, in up.c, status.c; weft.c has weak "not built"
 * fallbacks so the binary links before they exist. */
int cmd_up(int argc, char **argv);
int cmd_status(int argc, char **argv);
/* reload.c: the running daemon rereads its files (control request "reload"). */
int cmd_reload(int argc, char **argv);

/* --- Messages ----------------------------------------------------------
 * cli_command is the full name of the running subcommand ("ca sign"), set
 * by the dispatcher; messages are prefixed with "weft: <cli_command>: ".
 */
extern const char *cli_command;

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the error plus a pointer to --help; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- Option parsing ----------------------------------------------------
 * getopt_long over long options only (plus -h), with weft's messages for an
 * unknown option or a missing argument. Returns the option's val, -1 at the
 * end of the options, or CLI_OPT_BAD after printing the error.
 */
int cli_getopt(int argc, char **argv, const struct option *opts);

/* One option, from cli_parse: 0 to go on, or an exit code (after printing). */
typedef int (*cli_opt_fn)(void *ctx, int opt, const char *arg);
/*
 * The option loop every command shares: each option goes to fn, --help
 * prints usage to stdout, and stray arguments are refused. Returns 0 to go
 * on, -1 when help was printed (exit 0), or an exit code after an error.
 */
/* A cli_opt_fn for commands whose only option is --dir: ctx is a const char **. */
int cli_opt_dir(void *ctx, int opt, const char *arg);
int cli_parse(int argc, char **argv, const struct option *opts, const char *usage,
	      cli_opt_fn fn, void *ctx);
/* Fails (printing why) if the option was already given: a repeated --dir
 * is more likely a mistake than an override. */
bool cli_set_once(const char **slot, const char *opt, const char *arg);
/* Fails (printing why) if a required option is missing. */
bool cli_require(const char *value, const char *opt);
/* Fails (printing why) if positional arguments remain after optind. */
bool cli_no_args(int argc, char **argv);

/* "90d", "12h", "1y", "30m", "3600s", "2w"; > 0. A bare number is refused
 * (seconds or days?). */
bool cli_parse_duration(const char *s, int64_t *secs);
/* The usage error for a --opt value that cli_parse_duration refused; a bare
 * number is told to give a unit. Returns CLI_EXIT_USAGE. */
int cli_duration_error(const char *opt, const char *arg);
/* A CIDR prefix for option opt, with a hint when host bits are set. */
bool cli_parse_prefix(const char *opt, const char *s, struct wf_prefix *p);
/* A bare address (no "/len") for option opt. */
bool cli_parse_addr(const char *opt, const char *s, struct wf_prefix *p);
/* A signed decimal Unix time (testing options). */
bool cli_parse_time(const char *opt, const char *s, int64_t *t);

/* --- Files ------------------------------------------------------------- */
/* dir + "/" + file into buf; fails (printing why) if it does not fit. */
bool cli_path(char *buf, size_t len, const char *dir, const char *file);
bool cli_exists(const char *path);
/* Fails (printing why) if path exists. */
bool cli_refuse_existing(const char *path);
/* Create dir (and missing parents) with mode 0700; an existing directory
 * is fine. */
bool cli_mkdir(const char *dir);
/* Load a key or certificate, printing one line on failure; a file holding
 * another kind of object (a key given as a certificate, node.pub given as a
 * private key) is named as such. */
bool cli_load_key(const char *path, const char *label, uint8_t key[WF_KEY_LEN]);
bool cli_load_cert(const char *path, struct wf_cert *c);

/* --- Formatting -------------------------------------------------------- */
int64_t cli_now(void);
/* Standard base64 with padding; out needs 4 * ceil(len / 3) + 1 bytes. */
void cli_base64(const uint8_t *in, size_t len, char *out, size_t cap);
/* ISO-8601 UTC: "2025-01-31T12:00:00Z". Returns buf. */
const char *cli_time_str(int64_t t, char *buf, size_t len);
/* The prefixes as "100.64.0.0/10, fd00::/64". Returns buf. */
const char *cli_prefix_list(const struct wf_prefix *p, size_t n, bool bare, char *buf, size_t len);

/* Write dir/node.key and dir/node.pub (keygen.c), both or neither; refuses
 * to overwrite. Prints why not. */
bool cli_keygen(const char *dir, uint8_t pub[WF_KEY_LEN]);

/* --- Node certificates (ca.c), shared by "ca sign" and "node init" ---- */
struct cli_ca {
	struct wf_cert cert;
	uint8_t priv[WF_KEY_LEN];
	char dir[CLI_PATH_MAX];
};

/* What the command line asks a node certificate to contain. */
struct cli_node_req {
	const char *name;
	const char *addr_arg[WF_CERT_MAX_ADDRS];
	struct wf_prefix addrs[WF_CERT_MAX_ADDRS];
	struct wf_prefix routes[WF_CERT_MAX_ROUTES];
	const char *groups[WF_CERT_MAX_GROUPS];
	uint8_t n_addrs, n_routes, n_groups;
	int64_t valid;		       /* seconds; 0 = default (1 year) */
	int64_t not_before, not_after; /* testing overrides; 0 = unset */
	bool has_not_before, has_not_after;
	bool force; /* sign even if another node's certificate holds an address */
};

/* Option values for the node-certificate options, shared by both commands. */
enum {
	OPT_NAME = 256,
	OPT_ADDRESS,
	OPT_ROUTE,
	OPT_GROUP,
	OPT_VALID,
	OPT_NOT_BEFORE,
	OPT_NOT_AFTER,
	OPT_CLI_FIRST_FREE, /* commands number their own options from here */
};

/* clang-format off */
#define CLI_NODE_OPTIONS                                                                           \
	{"name", required_argument, NULL, OPT_NAME},                                               \
	{"address", required_argument, NULL, OPT_ADDRESS},                                         \
	{"route", required_argument, NULL, OPT_ROUTE},                                             \
	{"group", required_argument, NULL, OPT_GROUP},                                             \
	{"valid", required_argument, NULL, OPT_VALID},                                             \
	{"not-before", required_argument, NULL, OPT_NOT_BEFORE}, /* testing */                     \
	{"not-after", required_argument, NULL, OPT_NOT_AFTER}    /* testing */
/* clang-format on */

/* Handle one of the CLI_NODE_OPTIONS; returns CLI_EXIT_OK or the exit
 * status after printing the error. */
int cli_node_opt(struct cli_node_req *r, int opt, const char *arg);
/* Check the request's required parts once all options are read. */
int cli_node_check(const struct cli_node_req *r);
/* Load CADIR/ca.key and CADIR/ca.crt and check that they belong together
 * and that the CA certificate is valid now. Prints why not. */
bool cli_ca_load(const char *dir, struct cli_ca *ca, int64_t now);
/* The same, for a CA certificate that may be outside its validity (renewing
 * it): its self-signature and key are still checked. */
bool cli_ca_load_any_time(const char *dir, struct cli_ca *ca);
void cli_ca_wipe(struct cli_ca *ca);

/* --- A CA's allowed routes (ca.c), for ca init and ca renew --ca ------- */
/* Add one --allow-route to list (of *n): a CIDR that overlaps none there.
 * CLI_EXIT_OK or the exit status after printing the usage error. */
int cli_allow_route_add(struct wf_prefix *list, uint8_t *n, const char *arg);
/* Once every option is read: no allowed route inside an overlay prefix (a
 * usage error: those routes need no allowing); a warning for one outside
 * private space. */
int cli_allowed_check(const struct wf_prefix *allowed, unsigned n, const struct wf_prefix *overlay,
		      unsigned n_overlay);
/* Build, sign and verify a node certificate for pub, and check it against
 * what the CA signed before (an address held by another node is refused
 * unless r->force). Prints why not. */
bool cli_node_sign(const struct cli_ca *ca, const struct cli_node_req *r,
		   const uint8_t pub[WF_KEY_LEN], int64_t now, struct wf_cert *out);

/* --- The CA's record of what it signed (issued.c): CADIR/issued/ ------- */
/* Compare c with every live certificate signed before: false (after saying
 * why) if another node's holds one of its addresses, unless force; notes
 * for routes that cover another node's address. */
bool cli_issued_check(const struct cli_ca *ca, const struct wf_cert *c, int64_t now, bool force);
/* Would every live certificate CADIR/issued/ holds verify against new_ca as
 * far as its routes go? Prints each that would not (an error, or a warning
 * with force); revoked ones (CADIR/revoked.list) are left out. */
bool cli_issued_routes_check(const struct cli_ca *ca, const struct wf_cert *new_ca, int64_t now,
			     bool force);
/* Record a certificate just written. Prints why not. */
bool cli_issued_add(const struct cli_ca *ca, const struct wf_cert *c);

/* One certificate CADIR/issued/ holds: what revocation needs of it. */
struct cli_issued {
	uint64_t serial;
	int64_t not_after;
	char name[WF_CERT_NAME_MAX + 1];
};
/* Every certificate CADIR/issued/ holds, sorted by serial (*list malloc'd;
 * a CA without the directory holds none). False (said why) if it exists
 * but cannot be read. */
bool cli_issued_read(const char *cadir, struct cli_issued **list, size_t *n);
/* Call fn with each certificate CADIR/issued/ holds (unreadable ones are
 * warned of and skipped); false (said why) if the directory cannot be read
 * or fn returns false (out of memory). */
bool cli_issued_each(const char *cadir, bool (*fn)(const struct wf_cert *c, void *arg), void *arg);
const struct cli_issued *cli_issued_find(const struct cli_issued *list, size_t n, uint64_t serial);

#endif
