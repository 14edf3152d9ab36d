/* SPDX-License-Identifier: MIT */
/*
 * weft reload: ask the running daemon to read weft.conf, its certificate,
 * the CA file and the revocation list again (the control request "reload";
 * SIGHUP does the same and logs the outcome). What it applies and what
 * waits for a restart is in src/daemon/reload.c and weft(8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/status.h"

static const char reload_usage[] =
    "Usage: weft reload [--dir NODEDIR]\n"
    "\n"
    "Make the running daemon read weft.conf, its certificate, the CA file and\n"
    "the revocation list again. Applied at once: log-level, keepalive-interval,\n"
    "handshake-timeout, full-mesh-max, bootstrap, a renewed node certificate\n"
    "(weft ca renew: every peer gets it by a new handshake; no session is\n"
    "reset), a renewed CA certificate, a newer revocation list. Other changed\n"
    "keys (interface, listen, mtu, workers, offloads, rekey-interval, file\n"
    "paths) are reported and take effect at the next restart. A file that does\n"
    "not parse or verify changes nothing: the error names it, and the daemon\n"
    "runs on as before.\n"
    "(SIGHUP does the same; its outcome is logged.)\n";

int cmd_reload(int argc, char **argv)
{
	const char *dir = NULL;
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"dir", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	char path[CLI_PATH_MAX], err[1024], text[4096];
	int rc = cli_parse(argc, argv, opts, reload_usage, cli_opt_dir, &dir);
	char *resp;

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!wf_status_socket_path(dir, NULL, true, path, sizeof(path)))
		return CLI_EXIT_FAIL;
	resp = wf_status_query(path, "reload", err, sizeof(err));
	if (!resp) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	rc = wf_status_answer(resp, "reloaded", text, sizeof(text)) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	free(resp);
	if (rc)
		cli_error("not reloaded, nothing changed: %s", text);
	else
		printf("%s\n", text);
	return rc;
}
