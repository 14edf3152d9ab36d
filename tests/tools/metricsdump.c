/* SPDX-License-Identifier: MIT */
/*
 * Prints the metrics exposition of the hand-made sample snapshot
 * (tests/common/metrics_sample.h), or with "empty" of a node alone, for
 * tests/cli/metrics.sh to give to promtool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/metrics_sample.h"
#include "common/metrics.h"

int main(int argc, char **argv)
{
	const struct wf_metrics empty = {
	    .version = "0.1.0", .node = "a", .network = "n", .cipher = "aes-256-gcm"};
	size_t len;
	char *text = wf_metrics_render(
	    argc > 1 && !strcmp(argv[1], "empty") ? &empty : &metrics_sample, &len);

	if (!text)
		return 1;
	fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}
