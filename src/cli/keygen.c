/* SPDX-License-Identifier: MIT */
/*
 * weft keygen: a node's static X25519 key pair. The private key never leaves
 * the node; node.pub goes to whoever holds the CA key, for "ca sign".
 */
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/keyfile.h"

static const char keygen_usage[] =
    "Usage: weft keygen --dir NODEDIR\n"
    "\n"
    "Writes NODEDIR/node.key (the node's X25519 private key, mode 0600) and\n"
    "NODEDIR/node.pub (its public key, to be signed with 'weft ca sign').\n"
    "NODEDIR is created (mode 0700) if missing; existing keys are never\n"
    "overwritten.\n"
    "\n"
    "  --dir NODEDIR      the node's directory\n"
    "  -h, --help         show this help\n";

enum { OPT_DIR = OPT_CLI_FIRST_FREE };

bool cli_keygen(const char *dir, uint8_t pub[WF_KEY_LEN])
{
	char key_path[CLI_PATH_MAX], pub_path[CLI_PATH_MAX], err[WF_ERR_MAX] = "";
	uint8_t priv[WF_KEY_LEN];
	bool ok = false;

	if (!cli_path(key_path, sizeof(key_path), dir, "node.key") ||
	    !cli_path(pub_path, sizeof(pub_path), dir, "node.pub") ||
	    !cli_refuse_existing(key_path) || !cli_refuse_existing(pub_path) || !cli_mkdir(dir))
		return false;
	if (!wf_x25519_keygen(priv, pub)) {
		cli_error("generating the node key failed");
		goto out;
	}
	if (!wf_key_save(key_path, "NODE PRIVATE KEY", priv, 0600, err, sizeof(err))) {
		cli_error("%s", err);
		goto out;
	}
	if (!wf_key_save(pub_path, "NODE PUBLIC KEY", pub, 0644, err, sizeof(err))) {
		cli_error("%s", err);
		unlink(key_path);
		goto out;
	}
	ok = true;
out:
	wf_wipe(priv, sizeof(priv));
	return ok;
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	uint8_t pub[WF_KEY_LEN];
	char b64[64];
	int rc = cli_parse(argc, argv, opts, keygen_usage, cli_opt_dir, &dir);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!cli_require(dir, "dir"))
		return CLI_EXIT_USAGE;
	if (!cli_keygen(dir, pub))
		return CLI_EXIT_FAIL;
	cli_base64(pub, WF_KEY_LEN, b64, sizeof(b64));
	printf("wrote %s/node.key and %s/node.pub\npublic key: %s\n", dir, dir, b64);
	return CLI_EXIT_OK;
}
