/* SPDX-License-Identifier: MIT */
/*
 * weft up: run the daemon in the foreground. Under systemd (Type=notify) the
 * daemon itself says when it is ready, reloading or stopping, and feeds the
 * watchdog while its threads make progress (src/daemon/service.c).
 */
#include <getopt.h>

#include "cli/cli.h"
#include "daemon/daemon.h"

static const char up_usage[] =
    "Usage: weft up [--dir NODEDIR]\n"
    "\n"
    "Run the node's daemon in the foreground: create the interface, join the mesh,\n"
    "and stay until SIGTERM or SIGINT, then remove what it created. Logs go to\n"
    "stderr (systemd's journal picks them up). Under systemd (Type=notify) it says\n"
    "when it is ready and feeds the watchdog.\n"
    "\n"
    "  --dir NODEDIR       the node directory with weft.conf (default /etc/weft)\n"
    "  -h, --help          this help\n";

int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	int rc = cli_parse(argc, argv, opts, up_usage, cli_opt_dir, &dir);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	dir = dir ? dir : "/etc/weft";
	return wf_daemon_run(dir);
}
