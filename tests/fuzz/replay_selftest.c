/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay_selftest.c — a stand-in fuzz target for replay.c's own test
 * (replay_limits.py): an input starting with "hang" runs until it is
 * stopped, "crash" aborts, anything else returns at once.
 */
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 4 && memcmp(data, "hang", 4) == 0)
		for (;;)
			pause();
	FUZZ_CHECK(size < 5 || memcmp(data, "crash", 5) != 0, "asked to");
	return 0;
}
