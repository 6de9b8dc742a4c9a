/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz.h — what every fuzz target shares: the libFuzzer entry point and a
 * check that stops the run on a broken property. A target feeds untrusted
 * bytes to one parser or decoder and checks what it returns against rules
 * written here independently of the code under test.
 */
#ifndef NETVM_FUZZ_H
#define NETVM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry point: run one input; always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stop with a message naming the broken property: libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...)                                                 \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: property broken: %s: ",       \
				__FILE__, __LINE__, #cond);                   \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			abort();                                              \
		}                                                             \
	} while (0)

#endif /* NETVM_FUZZ_H */
