/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_filter.c — nl_filter's compiler and decision program on any rules and
 * any packet, through both ways of giving rules: IPFilter text and structs.
 *
 * Input: IPFilter rules, one per line (at most FZ_MAX_RULES), up to the first
 * NUL byte; the bytes after it are a packet from its IP header on (the first
 * 14 of them also serve as its Ethernet header when there are that many).
 * The same lines are also given to nl_filter_compile() as structs: the
 * pattern is what follows the line's first word and the blanks after it, the
 * output comes from that word: allow 0, deny and drop NL_FILTER_DROP, a
 * decimal number of at most 5 digits (no leading 0) its value, any other
 * word a value from -2 to FZ_OUTPUTS picked by its bytes (so outputs out of
 * range come too).
 *
 * Properties: a rule set is either compiled or refused with EINVAL/ENOMEM
 * and a message naming a rule of the set and a column; a compiled program
 * classifies every prefix of the packet (a truncated packet) to an output
 * one of its rules has or to -1, the same one by itself and in a burst; the
 * same rules compiled twice classify alike; compiled with walk_ip6_ext they
 * classify alike too, except IPv6 packets whose fixed header names an
 * extension header. Structs: a set with an output out of range is refused,
 * naming a rule whose output that is at column 1; when every line's first
 * word is an IPFilter action, the structs and the text are the same rules:
 * both compile or neither (refused at the same rule) and they classify alike.
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

/* The number after "rule " at the start of @err, or -1. */
static long
err_rule(const char *err)
{
	char *end;
	long r;

	if (strncmp(err, "rule ", 5) != 0)
		return -1;
	r = strtol(err + 5, &end, 10);
	return end != err + 5 && r >= 0 ? r : -1;
}

/* A refusal of @n rules: errno EINVAL or ENOMEM, an EINVAL message naming
 * one of the rules and a column. */
static void
check_refused(const char *how, const char *err, unsigned int n)
{
	FUZZ_CHECK(errno == EINVAL || errno == ENOMEM, "%s: errno %d", how, errno);
	FUZZ_CHECK(errno == ENOMEM || (err_rule(err) >= 0 && err_rule(err) < (long)n &&
				       strstr(err, ", column ") != NULL),
		   "%s: message names no rule of %u and column: '%s'", how, n, err);
}

/*
 * Rule @line as a struct (see the top of the file): its pattern and output
 * in @r. Returns 1 when its first word is an IPFilter action with the same
 * output, 0 otherwise.
 */
static int
struct_rule(const char *line, struct nl_filter_rule *r)
{
	const char *w = line, *e;
	size_t wl, k;
	unsigned int sum = 0;

	w += strspn(w, " \t\r");
	e = w + strcspn(w, " \t\r");
	wl = (size_t)(e - w);
	r->pattern = e + strspn(e, " \t\r");
	if (wl == 5 && memcmp(w, "allow", 5) == 0) {
		r->output = 0;
		return 1;
	}
	if (wl == 4 && (memcmp(w, "deny", 4) == 0 || memcmp(w, "drop", 4) == 0)) {
		r->output = NL_FILTER_DROP;
		return 1;
	}
	/* decimal only: a leading 0 makes an IPFilter number octal */
	if (wl > 0 && wl <= 5 && strspn(w, "0123456789") >= wl && (w[0] != '0' || wl == 1)) {
		r->output = 0;
		for (k = 0; k < wl; k++)
			r->output = r->output * 10 + (w[k] - '0');
		return 1;
	}
	for (k = 0; k < wl; k++)
		sum += (unsigned char)w[k];
	r->output = (int)(sum % (FZ_OUTPUTS + 3)) - 2;
	return 0;
}

/* Is @out an output a struct rule may have with FZ_OUTPUTS outputs? */
static int
output_ok(int out)
{
	return out == NL_FILTER_DROP || (out >= 0 && out < FZ_OUTPUTS);
}

/*
 * The struct form of the @n rules @lines: its properties, and when the
 * lines are IPFilter rules (@f their compilation, or NULL with @ferr) its
 * agreement with them on the @k packets of @l3, @lens, @l2.
 */
static void
check_structs(const char *const *lines, unsigned int n, const struct nl_filter *f,
	      const char *ferr, const uint8_t *const *l3, const uint32_t *lens,
	      const uint8_t *const *l2, unsigned int k)
{
	const struct nl_filter_opts opts = { .noutputs = FZ_OUTPUTS };
	struct nl_filter_rule rules[FZ_MAX_RULES] = { { NULL, 0 } };
	int same = 1, bad_out = 0, out[FZ_MAX_PREFIXES];
	struct nl_filter *s;
	char err[256] = "";
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		same &= struct_rule(lines[i], &rules[i]);
		bad_out |= !output_ok(rules[i].output);
	}
	errno = 0;
	s = nl_filter_compile(rules, n, &opts, err, sizeof(err));
	if (s == NULL) {
		long r = err_rule(err);

		check_refused("structs", err, n);
		FUZZ_CHECK(errno == ENOMEM || !strstr(err, ", column 1: output ") ||
			   !output_ok(rules[r].output),
			   "structs: rule %ld refused for its output %d: '%s'", r,
			   rules[r].output, err);
		FUZZ_CHECK(!same || f == NULL, "structs refused, the same IPFilter rules "
			   "compiled: '%s'", err);
		FUZZ_CHECK(!same || f != NULL || errno == ENOMEM || err_rule(ferr) == r,
			   "structs refused at rule %ld, the IPFilter rules at %ld: '%s', '%s'",
			   r, err_rule(ferr), err, ferr);
		return;
	}
	FUZZ_CHECK(!bad_out, "structs with an output out of range compiled");
	FUZZ_CHECK(!same || f != NULL, "IPFilter rules refused ('%s'), the same structs "
		   "compiled", ferr);
	FUZZ_CHECK(nl_filter_match_burst(s, l3, lens, l2[0] ? l2 : NULL, out, k) == (int)k,
		   "structs: burst of %u", k);
	for (i = 0; i < k; i++) {
		int r = nl_filter_match(s, l3[i], lens[i], l2[i]);

		for (j = 0; j < n && r != NL_FILTER_DROP && rules[j].output != r; j++)
			;
		FUZZ_CHECK(r == NL_FILTER_DROP || j < n, "structs: output %d no rule has", r);
		FUZZ_CHECK(r == out[i], "structs: alone %d, in a burst %d (length %u)", r,
			   out[i], lens[i]);
		FUZZ_CHECK(!same || r == nl_filter_match(f, l3[i], lens[i], l2[i]),
			   "structs and the same IPFilter rules disagree (length %u)", lens[i]);
	}
	nl_filter_free(s);
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

	/* the packet cut at its last FZ_MAX_PREFIXES lengths, down to 0 */
	k = plen + 1 < FZ_MAX_PREFIXES ? plen + 1 : FZ_MAX_PREFIXES;
	for (i = 0; i < k; i++) {
		lens[i] = plen - i;
		l3[i] = pkt;
		l2[i] = plen >= 14 ? pkt : NULL;
	}

	errno = 0;
	f = nl_filter_compile_ipfilter(rules, n, &opts, err, sizeof(err));
	if (f == NULL) {
		check_refused("IPFilter", err, n);
		check_structs(rules, n, NULL, err, l3, lens, l2, k);
		free(text);
		return 0;
	}
	check_structs(rules, n, f, "", l3, lens, l2, k);
	g = nl_filter_compile_ipfilter(rules, n, &opts, err, sizeof(err));
	FUZZ_CHECK(g != NULL, "the same rules compiled once and refused the second time: %s",
		   err);
	h = nl_filter_compile_ipfilter(rules, n, &walk, err, sizeof(err));
	FUZZ_CHECK(h != NULL, "the same rules refused with walk_ip6_ext: %s", err);

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
