/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CheckIPHeader([OFFSET], CHECKSUM, VERBOSE, BADSRC, GOODDST, INTERFACES,
 * DETAILS), or the old form CheckIPHeader([BADSRC2, OFFSET, ...]) —
 * checks the IPv4 header at OFFSET: version 4, header length, total length
 * within the packet, checksum (CHECKSUM true), and, only when BADSRC,
 * GOODDST, INTERFACES or BADSRC2 is given, a source in the bad list unless
 * the destination is in the good list (INTERFACES a/len: the broadcast
 * address a|~mask bad, a good, plus 0.0.0.0 and 255.255.255.255 bad;
 * BADSRC2 also adds those two). A good packet is cut to its IP length and
 * gets the IP-header and destination-IP annotations, then leaves on output
 * 0; a bad one goes to output 1 or is dropped, with "NAME: IP header check
 * failed: REASON" the first time (every time with VERBOSE). DETAILS adds
 * the drop_details handler. CheckIPHeader2 is the same with CHECKSUM
 * false unless given.
 */
#include <arpa/inet.h>

#include "ck_elem.h"

enum { R_TINY, R_VERSION, R_HLEN, R_IPLEN, R_CKSUM, R_SADDR, R_N };
_Static_assert(R_N <= CK_DROP_REASONS, "CheckIPHeader's reasons fit drop_details");

static const char *const reason_texts[R_N] = {
	"tiny packet", "bad IP version", "bad IP header length",
	"bad IP length", "bad IP checksum", "bad source address",
};

struct checkip {
	int64_t offset;
	bool checksum, verbose;
	uint32_t *badsrc, *gooddst;
	unsigned int nbadsrc, ngooddst;
	uint64_t drops;
	struct ck_drop_details details;
};

static int
addr_push(uint32_t **v, unsigned int *n, uint32_t a)
{
	uint32_t *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = a;
	*v = nv;
	return 0;
}

/* Append every address (INTERFACES: prefix) of the space-separated @s. */
static int
addr_list(struct ck_element *e, const char *what, const char *s, bool ifs)
{
	struct checkip *c = CK_PRIV(e, struct checkip);
	char **w;
	int n = ck_args_words(s, &w), rc = 0;

	if (n < 0)
		return ck_error(e, "out of memory");
	for (int i = 0; i < n && rc == 0; i++) {
		uint32_t a, m;

		if (ifs) {
			if (ck_parse_prefix(e->r, w[i], &a, &m, true) < 0)
				rc = ck_error(e, "%s: bad prefix '%s'", what, w[i]);
			else if (addr_push(&c->badsrc, &c->nbadsrc, (a & m) | ~m) < 0 ||
				 addr_push(&c->gooddst, &c->ngooddst, a) < 0)
				rc = ck_error(e, "out of memory");
		} else if (ck_parse_ip(e->r, w[i], &a) < 0) {
			rc = ck_error(e, "%s: bad address '%s'", what, w[i]);
		} else if (addr_push(strcmp(what, "GOODDST") == 0 ? &c->gooddst : &c->badsrc,
				     strcmp(what, "GOODDST") == 0 ? &c->ngooddst : &c->nbadsrc,
				     a) < 0) {
			rc = ck_error(e, "out of memory");
		}
	}
	ck_args_free(w, n);
	return rc;
}

static const struct ck_handler *
checkip_lookup(struct ck_element *e, const char *name)
{
	return ck_drop_details_lookup(e, name, offsetof(struct checkip, details));
}

static void
checkip_list(struct ck_element *e, FILE *f)
{
	ck_drop_details_list(e, offsetof(struct checkip, details), f);
}

static int
checkip_configure(struct ck_element *e)
{
	struct checkip *c = CK_PRIV(e, struct checkip);
	struct ck_bytes old = { 0 }, off = { 0 }, bad = { 0 }, good = { 0 }, ifs = { 0 };
	const struct ck_argdesc a[] = {
		{ "BADSRC2", CK_A_WORD, &old, CK_POS, NULL },
		{ "OFFSET", CK_A_WORD, &off, CK_POS, NULL },
		{ "CHECKSUM", CK_A_BOOL, &c->checksum, 0, NULL },
		{ "VERBOSE", CK_A_BOOL, &c->verbose, 0, NULL },
		{ "DETAILS", CK_A_BOOL, &c->details.on, 0, NULL },
		{ "BADSRC", CK_A_WORD, &bad, 0, NULL },
		{ "GOODDST", CK_A_WORD, &good, 0, NULL },
		{ "INTERFACES", CK_A_WORD, &ifs, 0, NULL },
	};
	int rc;

	c->checksum = strcmp(e->cls->name, "CheckIPHeader2") != 0;
	memcpy(c->details.texts, reason_texts, sizeof(reason_texts));
	c->details.n = R_N;
	rc = ck_args_parse(e, a, 8);
	/* a lone positional integer is the OFFSET (Click's current form) */
	if (rc == 0 && old.p && !off.p && ck_parse_int(old.p, &c->offset) == 0) {
		free(old.p);
		old.p = NULL;
	} else if (rc == 0 && off.p && ck_parse_int(off.p, &c->offset) < 0) {
		rc = ck_error(e, "OFFSET: expected integer");
	}
	if (rc == 0 && old.p) {
		rc = addr_list(e, "BADSRC", old.p, false);
		if (rc == 0 && (addr_push(&c->badsrc, &c->nbadsrc, 0) < 0 ||
				addr_push(&c->badsrc, &c->nbadsrc, 0xffffffffu) < 0))
			rc = ck_error(e, "out of memory");
	}
	if (rc == 0 && ifs.p) {
		rc = addr_list(e, "INTERFACES", ifs.p, true);
		if (rc == 0 && (addr_push(&c->badsrc, &c->nbadsrc, 0) < 0 ||
				addr_push(&c->badsrc, &c->nbadsrc, 0xffffffffu) < 0))
			rc = ck_error(e, "out of memory");
	}
	if (rc == 0 && bad.p)
		rc = addr_list(e, "BADSRC", bad.p, false);
	if (rc == 0 && good.p)
		rc = addr_list(e, "GOODDST", good.p, false);
	if (rc == 0 && c->offset < 0)
		rc = ck_error(e, "OFFSET must be >= 0");
	free(old.p);
	free(off.p);
	free(bad.p);
	free(good.p);
	free(ifs.p);
	return rc;
}

static bool
in_list(const uint32_t *v, unsigned int n, uint32_t a)
{
	for (unsigned int i = 0; i < n; i++)
		if (v[i] == a)
			return true;
	return false;
}

/* The reason @p is bad (Click's order of checks), or -1. */
static int
check(const struct checkip *c, struct ck_pkt *p)
{
	struct nl_ipv4_hdr *ip;
	uint32_t avail, hl, len;

	if ((uint64_t)c->offset + NL_IPV4_HDR_MIN > p->len)
		return R_TINY;
	ip = (struct nl_ipv4_hdr *)(p->data + c->offset);
	avail = p->len - (uint32_t)c->offset;
	if (nl_ipv4_version(ip) != 4)
		return R_VERSION;
	hl = (ip->ver_ihl & 0x0f) * 4u;
	if (hl < NL_IPV4_HDR_MIN)
		return R_HLEN;
	len = nl_ntoh16(ip->total_len);
	if (len < hl || len > avail)
		return R_IPLEN;
	if (c->checksum && nl_ipv4_hdr_cksum_verify(ip) < 0)
		return R_CKSUM;
	if (in_list(c->badsrc, c->nbadsrc, ip->src) && !in_list(c->gooddst, c->ngooddst, ip->dst))
		return R_SADDR;
	ck_pkt_take(p, avail - len);
	p->a.ip = (uint8_t *)ip;
	p->a.dst_ip = ip->dst;
	return -1;
}

static struct ck_pkt *
checkip_action(struct ck_element *e, struct ck_pkt *p)
{
	struct checkip *c = CK_PRIV(e, struct checkip);
	int why = check(c, p);

	if (why < 0)
		return p;
	if (c->drops == 0 || c->verbose)
		fprintf(ck_errf(e->r), "%s: IP header check failed: %s\n", e->name,
			reason_texts[why]);
	c->drops++;
	c->details.counts[why]++;
	ck_push_out(e, 1, p);
	return NULL;
}

static void
checkip_cleanup(struct ck_element *e)
{
	struct checkip *c = CK_PRIV(e, struct checkip);

	free(c->badsrc);
	free(c->gooddst);
}

static const struct ck_handler checkip_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct checkip, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_CheckIPHeader = {
	.name = "CheckIPHeader",
	.ports = "1/1-2",
	.processing = "a/ah",
	.priv_size = sizeof(struct checkip),
	.configure = checkip_configure,
	.action = checkip_action,
	.cleanup = checkip_cleanup,
	.handlers = checkip_handlers,
	.lookup_handler = checkip_lookup,
	.list_handlers = checkip_list,
};

const struct ck_element_class ck_class_CheckIPHeader2 = {
	.name = "CheckIPHeader2",
	.ports = "1/1-2",
	.processing = "a/ah",
	.priv_size = sizeof(struct checkip),
	.configure = checkip_configure,
	.action = checkip_action,
	.cleanup = checkip_cleanup,
	.handlers = checkip_handlers,
	.lookup_handler = checkip_lookup,
	.list_handlers = checkip_list,
};
