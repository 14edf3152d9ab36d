/* SPDX-License-Identifier: MIT */
/*
 * weft: one binary, one table of subcommands (wireguard-tools style). A
 * name of two words ("ca init") is matched against the first two arguments.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/crypto.h"

static const struct {
	const char *name;
	int (*function)(int argc, char **argv);
	const char *description; /* NULL: not listed (not implemented yet) */
} commands[] = {
    {"ca init", cmd_ca_init, "Create a network: its CA key and CA certificate"},
    {"ca sign", cmd_ca_sign, "Sign a node's public key into a node certificate"},
    {"ca renew", cmd_ca_renew, "Sign a new certificate like an old one, valid from now"},
    {"ca revoke", cmd_ca_revoke, "Withdraw node certificates: the next revocation list"},
    {"ca list", cmd_ca_list, "List the node certificates the CA signed, and what became of them"},
    {"keygen", cmd_keygen, "Generate a node's private and public key"},
    {"node init", cmd_node_init, "Set up a node: key, certificate, CA copy and weft.conf"},
    {"cert show", cmd_cert_show, "Print a certificate and check it against its CA"},
    {"check", cmd_check, "Check a node directory as the daemon would use it"},
    {"up", cmd_up, "Run the daemon in the foreground"},
    {"status", cmd_status, "Show the running daemon's peers and sessions"},
    {"revoke", cmd_revoke, "Give a node (and through it, the mesh) a revocation list"},
    {"reload", cmd_reload, "Make the running daemon reread its configuration and certificates"},
};

enum { N_COMMANDS = sizeof(commands) / sizeof(commands[0]) };

/* Fallbacks until the daemon side is linked in: the real ones override. */
static int not_built(const char *name)
{
	fprintf(stderr, "weft: %s: not built into this binary\n", name);
	return CLI_EXIT_FAIL;
}

__attribute__((weak)) int cmd_up(int argc, char **argv)
{
	return not_built("up");
}

__attribute__((weak)) int cmd_status(int argc, char **argv)
{
	return not_built("status");
}

static bool in_group(size_t i, const char *group)
{
	size_t glen = group ? strlen(group) : 0;

	return !group || (!strncmp(commands[i].name, group, glen) && commands[i].name[glen] == ' ');
}

static bool listed(size_t i, const char *group)
{
	return commands[i].description && in_group(i, group);
}

static void show_usage(const char *group)
{
	printf("Usage: weft <command> [<options>]\n\nCommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (listed(i, group))
			printf("  %-11s %s\n", commands[i].name, commands[i].description);
	printf("\nRun 'weft <command> --help' for a command's options; see weft(8).\n");
}

/* One stderr line for a missing or unknown command, naming the choices. */
static int bad_command(const char *group, const char *what)
{
	char list[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < N_COMMANDS && used < sizeof(list); i++) {
		int n;

		if (!listed(i, group))
			continue;
		n = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
			     commands[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	fprintf(stderr, "weft: %s%s%s; commands: %s (see 'weft %s%s--help')\n", group ? group : "",
		group ? ": " : "", what, list, group ? group : "", group ? " " : "");
	return CLI_EXIT_USAGE;
}

/* How many words of name match argv (0 if not all of them do). */
static int match(const char *name, int argc, char **argv)
{
	int words = 0;

	while (*name) {
		size_t len = strcspn(name, " ");

		if (words >= argc || strlen(argv[words]) != len || strncmp(argv[words], name, len))
			return 0;
		words++;
		name += len;
		name += *name == ' ';
	}
	return words;
}

/* "weft ca" or "weft ca frob": is argv[0] the first word of a group? */
static bool is_group(const char *word)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (in_group(i, word))
			return true;
	return false;
}

static int run(int argc, char **argv, bool help)
{
	static char *help_argv[] = {NULL, "--help", NULL};
	const char *group = argv[0];
	char what[128];

	for (size_t i = 0; i < N_COMMANDS; i++) {
		int words = match(commands[i].name, argc, argv);

		if (!words)
			continue;
		cli_command = commands[i].name;
		if (help) {
			help_argv[0] = argv[words - 1];
			return commands[i].function(2, help_argv);
		}
		return commands[i].function(argc - words + 1, argv + words - 1);
	}
	if (!is_group(group)) {
		snprintf(what, sizeof(what), "unknown command '%s'", group);
		return bad_command(NULL, what);
	}
	if (help || (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
		show_usage(group);
		return CLI_EXIT_OK;
	}
	if (argc < 2)
		return bad_command(group, "missing command");
	snprintf(what, sizeof(what), "unknown command '%s'", argv[1]);
	return bad_command(group, what);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return bad_command(NULL, "missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		show_usage(NULL);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("weft %s\n", WEFT_VERSION);
		return CLI_EXIT_OK;
	}
	wf_crypto_init();
	if (!strcmp(argv[1], "help"))
		return run(argc - 2, argv + 2, true);
	return run(argc - 1, argv + 1, false);
}
