/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_routes.c — route and flow files (nl_routes.c, docs/l3fwd.md) of any
 * content, and the tables built from them.
 *
 * Input: one byte (even: a route file, odd: a flow file), then the file.
 * A file loads exactly when each of its lines parses on its own and no
 * prefix (flow) repeats; once loaded, every lookup must give what a plain
 * scan of the lines gives: the longest matching prefix, the exact flow.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "netvm_abi.h"
#include "nl_routes.h"

#define FZ_MAX_LINES 512

struct fz_line {
	struct nl_route r;
	struct nl_flow f;
};

/* Parse each line of @text alone; the count of entries, or -1 on a bad line. */
static int
model_parse(char *text, size_t len, bool flows, struct fz_line *out)
{
	char err[256];
	size_t start = 0, i;
	int n = 0;

	for (i = 0; i <= len; i++) {
		int rc;

		if (i < len && text[i] != '\n')
			continue;
		if (i == len && start == len)
			break; /* no last line without its newline */
		if (memchr(text + start, '\0', i - start) != NULL)
			return -1; /* a NUL byte in a line: the file is refused */
		text[i] = '\0';
		if (n == FZ_MAX_LINES)
			return -2;
		rc = flows ? nl_routes_parse_flow(text + start, &out[n].f, err, sizeof(err)) :
			     nl_routes_parse_route(text + start, &out[n].r, err, sizeof(err));
		if (rc < 0) {
			FUZZ_CHECK(err[0] != '\0', "a bad line without a message");
			return -1;
		}
		if (rc == 1) {
			if (!flows && out[n].r.family == 6) {
				uint8_t m[16];

				nl_lpm6_mask(m, out[n].r.prefix6, out[n].r.depth);
				FUZZ_CHECK(out[n].r.depth <= 128 &&
					   memcmp(m, out[n].r.prefix6, 16) == 0,
					   "IPv6 route /%u kept host bits", out[n].r.depth);
			} else if (!flows) {
				uint8_t d = out[n].r.depth;
				uint32_t mask = d == 0 ? 0 : ~0u << (32 - d);

				FUZZ_CHECK(out[n].r.family == 4, "route of family %u", out[n].r.family);
				FUZZ_CHECK(d <= 32 && (out[n].r.prefix & ~mask) == 0,
					   "route %#x/%u kept host bits", out[n].r.prefix, d);
			}
			FUZZ_CHECK((flows ? out[n].f.nh.port : out[n].r.nh.port) < NVM_MAX_PORTS,
				   "port out of range");
			n++;
		}
		start = i + 1;
	}
	return n;
}

static bool
same_nh(const struct nl_nexthop *a, const struct nl_nexthop *b)
{
	return a->port == b->port && memcmp(a->mac, b->mac, 6) == 0;
}

static bool
prefix_match(const struct nl_route *r, uint32_t ip)
{
	uint32_t mask;

	if (r->family != 4)
		return false; /* IPv6 routes (depth up to 128): their own table */
	mask = r->depth == 0 ? 0 : ~0u << (32 - r->depth);
	return (ip & mask) == r->prefix;
}

/* Longest-prefix match by scanning: the index of the route, or -1. */
static int
model_lpm(const struct fz_line *l, int n, uint32_t ip)
{
	int i, best = -1;

	for (i = 0; i < n; i++)
		if (prefix_match(&l[i].r, ip) && (best < 0 || l[i].r.depth > l[best].r.depth))
			best = i;
	return best;
}

static bool
model_dup(const struct fz_line *l, int n, bool flows)
{
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (flows ? memcmp(&l[i].f.key, &l[j].f.key, sizeof(l[i].f.key)) == 0 :
				    (l[i].r.family == l[j].r.family && l[i].r.depth == l[j].r.depth &&
				     l[i].r.prefix == l[j].r.prefix &&
				     memcmp(l[i].r.prefix6, l[j].r.prefix6, 16) == 0))
				return true;
	return false;
}

/* Look @ip up and compare with the scan of the lines. */
static void
check_addr(const struct nl_routes *rt, const struct fz_line *l, int n, uint32_t ip)
{
	int want = model_lpm(l, n, ip);
	uint16_t nh = 0;
	int rc = nl_lpm_lookup(rt->lpm, ip, &nh);

	FUZZ_CHECK((rc == 0) == (want >= 0), "lookup %#x: rc %d, scan says %d", ip, rc, want);
	if (rc == 0) {
		FUZZ_CHECK(nh < rt->nb_nh, "next hop index %u of %u", nh, rt->nb_nh);
		FUZZ_CHECK(same_nh(&rt->nh[nh], &l[want].r.nh),
			   "lookup %#x: wrong next hop (want line route %#x/%u)", ip,
			   l[want].r.prefix, l[want].r.depth);
	}
}

#define FZ_SWEEPS 8 /* /24 blocks swept address by address */

static void
check_lpm(const struct nl_routes *rt, const struct fz_line *l, int n)
{
	int i, sweeps = 0;
	uint32_t a;

	for (i = 0; i < n; i++) {
		uint32_t mask;

		if (l[i].r.family != 4)
			continue; /* IPv6 routes: checked by nl_lpm6's own tests */
		mask = l[i].r.depth == 0 ? 0 : ~0u << (32 - l[i].r.depth);
		/* the edges of each prefix, inside and out */
		check_addr(rt, l, n, l[i].r.prefix);
		check_addr(rt, l, n, l[i].r.prefix | ~mask);
		check_addr(rt, l, n, l[i].r.prefix - 1);
		check_addr(rt, l, n, (l[i].r.prefix | ~mask) + 1);
		/* a prefix longer than /24 splits its /24: every address of it */
		if (l[i].r.depth > 24 && sweeps++ < FZ_SWEEPS)
			for (a = 0; a < 256; a++)
				check_addr(rt, l, n, (l[i].r.prefix & ~0xffu) | a);
	}
}

static void
check_flows(const struct nl_routes *rt, const struct fz_line *l, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct nl_flow_key k = l[i].f.key;
		uint32_t v = 0;

		FUZZ_CHECK(nl_flowtab_lookup(rt->flows, &k, &v) == 0, "flow %d not found", i);
		FUZZ_CHECK(v < rt->nb_nh && same_nh(&rt->nh[v], &l[i].f.nh),
			   "flow %d: wrong next hop", i);
		k.sport ^= 1; /* a neighbour: found only if the file has it */
		{
			int j, want = -1;

			for (j = 0; j < n; j++)
				if (memcmp(&l[j].f.key, &k, sizeof(k)) == 0)
					want = j;
			FUZZ_CHECK((nl_flowtab_lookup(rt->flows, &k, &v) == 0) == (want >= 0),
				   "neighbour of flow %d", i);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_line lines[FZ_MAX_LINES];
	struct nl_routes *rt;
	char err[256] = "";
	char *text;
	bool flows;
	FILE *f;
	int n;

	if (size < 1 || size > 65536)
		return 0;
	flows = data[0] & 1;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	f = fmemopen(text, size - 1, "r");
	if (f == NULL) { /* fmemopen refuses an empty buffer */
		free(text);
		return 0;
	}
	rt = flows ? nl_routes_read_flows(f, "fuzz", err, sizeof(err)) :
		     nl_routes_read_lpm(f, "fuzz", err, sizeof(err));
	fclose(f);

	n = model_parse(text, size - 1, flows, lines);
	if (n >= 0) {
		bool dup = model_dup(lines, n, flows);

		FUZZ_CHECK((rt != NULL) == !dup, "%d lines, duplicate %d: load %s (%s)", n, dup,
			   rt ? "worked" : "failed", err);
	} else if (n == -1) {
		FUZZ_CHECK(rt == NULL, "a file with a bad line loaded");
	}
	if (rt == NULL) {
		FUZZ_CHECK(strncmp(err, "fuzz", 4) == 0, "message '%s' does not name the file", err);
	} else if (n >= 0) {
		FUZZ_CHECK(rt->nb_entries == (uint32_t)n, "%u entries, %d lines", rt->nb_entries, n);
		if (flows)
			check_flows(rt, lines, n);
		else
			check_lpm(rt, lines, n);
	}
	nl_routes_free(rt);
	free(text);
	return 0;
}
