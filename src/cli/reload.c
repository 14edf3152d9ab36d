/* SPDX-License-Identifier: MIT */
/*
 * weft reload: not there yet, and it says so. The daemon does not reread its
 * configuration while it runs (SIGHUP is logged and ignored); until it does,
 * the command is not listed in `weft --help`, and running it tells the user
 * what to do instead.
 */
#include <stdio.h>

#include "cli/cli.h"

static const char reload_usage[] =
    "Usage: weft reload [--dir NODEDIR]\n"
    "\n"
    "Not implemented yet: a running daemon does not reread weft.conf, its\n"
    "certificate or the CA file. To apply a change, restart it:\n"
    "\n"
    "    systemctl restart weft@NAME     (or stop and start 'weft up')\n"
    "\n"
    "Restarting closes the node's sessions; its peers reconnect within seconds.\n";

int cmd_reload(int argc, char **argv)
{
	const char *dir = NULL;
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"dir", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	int rc = cli_parse(argc, argv, opts, reload_usage, cli_opt_dir, &dir);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	cli_error("not implemented yet: restart the daemon to apply changes "
		  "(systemctl restart weft@NAME)");
	return CLI_EXIT_FAIL;
}
