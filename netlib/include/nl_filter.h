/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_filter.h — Click's IPFilter / IPClassifier rule language, compiled to a
 * flat decision program.
 *
 * A rule set is a list of (pattern, output) pairs; the first pattern that
 * matches a packet gives its output, and a packet that matches none is
 * dropped (nl_filter_match() returns -1). Patterns use the language of
 * Click's IPClassifier (docs/filter.md lists it in full):
 *
 *   tcp and dst port 80          src net 10.0.0.0/8 or 192.168.0.0/16
 *   icmp type echo               not (syn and !ack)
 *   dst tcp port 8000 or 8080    ip[19] & 128 == 0      ip ttl < 5 ? 1 : 0 ...
 *
 * Compilation turns every pattern into word tests (load 32 bits at an offset
 * in one of the packet's headers, AND a mask, compare with =, < or >), each
 * with a yes, a no and a "short" target (the bytes are not in the packet),
 * and links the patterns in order. Identical sub-programs are stored once
 * and a branch whose outcome is decided by the test it leaves (the same
 * protocol test in the next rule, another value of the same field) jumps past
 * it. From 4 rules on, an index over one header field (the addresses, ports
 * or protocol that the rules require, whichever splits them best) sends a
 * packet straight to the few rules that may match it. Matching walks the
 * program: no recursion, no allocation, no locks; a compiled filter is
 * read-only and may be shared by any number of threads.
 *
 * Errors: constructors return a filter, or NULL with a message in @err
 * naming the rule (its index in the array, from 0) and the column (from 1):
 *   "rule 3, column 14: unknown protocol 'tcpx'"
 */
#ifndef NL_FILTER_H
#define NL_FILTER_H

#include <stddef.h>
#include <stdint.h>

#define NL_FILTER_DROP (-1)       /* rule output meaning "drop on match" */
#define NL_FILTER_MAX_OUTPUTS 65536
/* opts->noutputs of a filter with no outputs at all (Click's IPFilter with
 * none connected): only drop rules are taken */
#define NL_FILTER_NO_OUTPUTS 0xffffffffu
#define NL_FILTER_MAX_DEPTH 64    /* nesting of ( ), not, ?: in one pattern */
#define NL_FILTER_MAX_RULE_LEN 65536 /* bytes in one pattern (not counting an IPFilter
				      * rule's action and the blanks after it) */
#define NL_FILTER_BURST_MAX 64u

struct nl_filter;

/* One pattern and the output a packet it matches goes to (or NL_FILTER_DROP). */
struct nl_filter_rule {
	const char *pattern;
	int output;
};

/*
 * Name resolution for words that are no keyword, number, address or known
 * port/protocol/ICMP name (Click resolves them through AddressInfo). Called
 * at compile time with the NUL-terminated @name; on success it stores an
 * IPv4 address and mask in host order (mask 0xffffffff for a host) and
 * returns 0; it returns -1 when it does not know the name.
 */
typedef int (*nl_filter_resolve_fn)(void *ctx, const char *name, uint32_t *addr,
				    uint32_t *mask);

/*
 * Whether the word @name (@len bytes) is one patterns read themselves: a
 * keyword or qualifier ("src", "host", "and", "ip", ...), a protocol name
 * ("tcp", "udp") or a MAC address ("de-ad-be-ef-00-01", "a-b-c-d-e-f").
 * Such a word never reaches the resolver, even after
 * "host", so a name defined for an address must not be one. (A port, TCP
 * flag or ICMP type name may be defined: after "host" or "net" it is the
 * address; alone, where it could be either, the pattern is refused as
 * ambiguous.) Returns 1 or 0.
 */
int nl_filter_word_reserved(const char *name, size_t len);

/* The filter language's name of ICMP type @type ("echo", "timeexceeded";
 * the list of Click's IPClassifier), or NULL when it has none. */
const char *nl_icmp_type_name(unsigned int type);

/* The ICMP type called @name in that list, or -1. */
int nl_icmp_type_by_name(const char *name);

/* The TCP/UDP port the filter language calls @name ("domain", "www"; the
 * list of Click's IPClassifier), or -1 when it has no such name. */
int nl_port_by_name(const char *name);

/* Compile options; a NULL pointer means "none". */
struct nl_filter_opts {
	nl_filter_resolve_fn resolve; /* may be NULL: no names */
	void *resolve_ctx;
	unsigned int noutputs;        /* outputs from this on are errors; 0: no limit;
				       * NL_FILTER_NO_OUTPUTS: none */
	/* may be NULL: `net NAME` resolves with @resolve too. A name can stand
	 * for an address and a prefix (Click's AddressInfo); after `net` this
	 * one is asked first, and resolve when it returns -1. */
	nl_filter_resolve_fn resolve_net;
	/* nonzero: an IPv6 packet's protocol and transport header are those
	 * after its extension headers, walked as nl_parse() walks them (see
	 * nl_ipv6_walk_ext()); a later fragment has the fragment header's next
	 * header as protocol and no transport header, a chain that is too long
	 * or cut short neither. 0: those of the fixed header (Click's rule). */
	int walk_ip6_ext;
};

/*
 * Compile @n rules (pattern + output; first match wins). A pattern that is
 * exactly "-", "any" or "all", or empty, matches everything. Returns the
 * filter, or NULL with a message in @err (errno EINVAL; ENOMEM when out of
 * memory or the program would exceed 2^28 instructions). Columns count from
 * the pattern's first byte; an output out of range is at column 1
 * ("rule 1, column 1: output 7 out of range (2 outputs)").
 */
struct nl_filter *nl_filter_compile(const struct nl_filter_rule *rules, unsigned int n,
				    const struct nl_filter_opts *opts, char *err, size_t errlen);

/*
 * Compile IPFilter arguments: each of the @n strings is "ACTION PATTERN",
 * ACTION an output number below @opts->noutputs, "allow" (output 0), "deny"
 * or "drop". Returns the filter, or NULL with a message in @err
 * ("rule 2, column 1: slot '7' out of range").
 */
struct nl_filter *nl_filter_compile_ipfilter(const char *const *rules, unsigned int n,
					     const struct nl_filter_opts *opts,
					     char *err, size_t errlen);

/*
 * Compile IPClassifier arguments: pattern i sends its packets to output i.
 * Returns the filter, or NULL with a message in @err.
 */
struct nl_filter *nl_filter_compile_classifier(const char *const *patterns, unsigned int n,
					       const struct nl_filter_opts *opts,
					       char *err, size_t errlen);

/* Free @f (NULL is allowed); it cannot fail. */
void nl_filter_free(struct nl_filter *f);

/*
 * Classify one packet: @l3 points at its IPv4 or IPv6 header, @l3_len bytes
 * are readable from there (the packet's length from the IP header on), @l2
 * at its 14-byte Ethernet header or NULL (then every "ether" test is false).
 * Returns the output of the first matching rule, or -1 (drop) when none
 * matches or that rule drops. It cannot fail.
 */
int nl_filter_match(const struct nl_filter *f, const uint8_t *l3, uint32_t l3_len,
		    const uint8_t *l2);

/*
 * Classify @n (<= NL_FILTER_BURST_MAX) packets as nl_filter_match() does
 * (@l2 may be NULL for "no Ethernet headers"), storing each result in @out.
 * Returns @n, or -EINVAL if @n is too large.
 */
int nl_filter_match_burst(const struct nl_filter *f, const uint8_t *const *l3,
			  const uint32_t *l3_len, const uint8_t *const *l2,
			  int *out, unsigned int n);

/* Return the number of instructions of @f's decision program; it cannot fail. */
uint32_t nl_filter_size(const struct nl_filter *f);

/*
 * Write a readable listing of @f's program to @buf (at most @len bytes,
 * NUL-terminated). Returns the length the full listing needs, like snprintf.
 */
size_t nl_filter_dump(const struct nl_filter *f, char *buf, size_t len);

#endif /* NL_FILTER_H */
