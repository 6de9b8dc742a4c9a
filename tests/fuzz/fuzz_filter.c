/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_filter.c — nl_filter's compiler and decision program on any rules and
 * any packet.
 *
 * Input: IPFilter rules, one per line, up to the first NUL byte; the bytes
 * after it are a packet from its IP header on (the first 14 of them also
 * serve as its Ethernet header when there are that many).
 *
 * Properties: a rule set is either compiled or refused with EINVAL/ENOMEM
 * and a message naming a rule and a column; a compiled program classifies
 * every prefix of the packet (a truncated packet) to an output it was given
 * or to -1, the same one by itself and in a burst; the same rules compiled
 * twice classify alike; compiled with walk_ip6_ext they classify alike
 * too, except IPv6 packets whose fixed header names an extension header.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "nl_filter.h"

#define FZ_MAX_RULES 16
#define FZ_OUTPUTS 4
#define FZ_MAX_PREFIXES 64

/* Can walking IPv6 extension headers change what the @len bytes at @l3 are? */
static int
has_ip6_ext(const uint8_t *l3, uint32_t len)
{
	if (len < 40 || l3[0] >> 4 != 6)
		return 0;
	return l3[6] == 0 || l3[6] == 43 || l3[6] == 44 || l3[6] == 51 || l3[6] == 60;
}

/* Split @text at newlines into at most FZ_MAX_RULES rules; how many. */
static unsigned int
split_rules(char *text, const char **rules)
{
	unsigned int n = 0;
	char *p = text;

	while (n < FZ_MAX_RULES) {
		char *nl = strchr(p, '\n');

		rules[n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nl_filter_opts opts = { .noutputs = FZ_OUTPUTS };
	const struct nl_filter_opts walk = { .noutputs = FZ_OUTPUTS, .walk_ip6_ext = 1 };
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	const uint8_t *pkt = nul ? nul + 1 : data + size;
	uint32_t plen = (uint32_t)(data + size - pkt);
	const uint8_t *l3[FZ_MAX_PREFIXES], *l2[FZ_MAX_PREFIXES];
	uint32_t lens[FZ_MAX_PREFIXES];
	int out[FZ_MAX_PREFIXES];
	const char *rules[FZ_MAX_RULES];
	struct nl_filter *f, *g, *h;
	char err[256] = "", *text;
	unsigned int n, k, i;

	text = malloc(tlen + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	n = split_rules(text, rules);

	errno = 0;
	f = nl_filter_compile_ipfilter(rules, n, &opts, err, sizeof(err));
	if (f == NULL) {
		FUZZ_CHECK(errno == EINVAL || errno == ENOMEM, "errno %d", errno);
		FUZZ_CHECK(errno == ENOMEM ||
			   (strncmp(err, "rule ", 5) == 0 && strstr(err, "column ") != NULL),
			   "message names no rule and column: '%s'", err);
		free(text);
		return 0;
	}
	g = nl_filter_compile_ipfilter(rules, n, &opts, err, sizeof(err));
	FUZZ_CHECK(g != NULL, "the same rules compiled once and refused the second time: %s",
		   err);
	h = nl_filter_compile_ipfilter(rules, n, &walk, err, sizeof(err));
	FUZZ_CHECK(h != NULL, "the same rules refused with walk_ip6_ext: %s", err);

	/* the packet cut at its last FZ_MAX_PREFIXES lengths, down to 0 */
	k = plen + 1 < FZ_MAX_PREFIXES ? plen + 1 : FZ_MAX_PREFIXES;
	for (i = 0; i < k; i++) {
		lens[i] = plen - i;
		l3[i] = pkt;
		l2[i] = plen >= 14 ? pkt : NULL;
	}
	FUZZ_CHECK(nl_filter_match_burst(f, l3, lens, plen >= 14 ? l2 : NULL, out, k) == (int)k,
		   "burst of %u", k);
	for (i = 0; i < k; i++) {
		int r = nl_filter_match(f, l3[i], lens[i], l2[i]);

		FUZZ_CHECK(r >= -1 && r < FZ_OUTPUTS, "output %d of %d outputs", r, FZ_OUTPUTS);
		FUZZ_CHECK(r == out[i], "alone %d, in a burst %d (length %u)", r, out[i], lens[i]);
		FUZZ_CHECK(r == nl_filter_match(g, l3[i], lens[i], l2[i]),
			   "two compilations disagree (length %u)", lens[i]);
		r = nl_filter_match(h, l3[i], lens[i], l2[i]);
		FUZZ_CHECK(r >= -1 && r < FZ_OUTPUTS, "walking: output %d of %d outputs", r,
			   FZ_OUTPUTS);
		FUZZ_CHECK(has_ip6_ext(l3[i], lens[i]) || r == out[i],
			   "walking changed the output of a packet without extension headers "
			   "(length %u)", lens[i]);
	}
	nl_filter_free(h);
	nl_filter_free(g);
	nl_filter_free(f);
	free(text);
	return 0;
}
