/* SPDX-License-Identifier: MIT */
/*
 * Not a harness of weft's: the positive control for tests/fuzz/run.sh. It
 * crashes on the first input that starts with "bu", which libFuzzer finds
 * in well under a second; `make fuzz-short` checks that run.sh reports it as
 * a failure, so a runner that cannot fail would be noticed.
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 2 && data[0] == 'b' && data[1] == 'u')
		__builtin_trap();
	return 0;
}
