/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPGWOptions(MYADDR [, OTHERADDRS]) — the IP options every router on the
 * path processes (RFC 791): Record Route gets MYADDR at its pointer, Timestamp
 * gets the time (milliseconds since midnight UT), with MYADDR before it for
 * flag 1, and for flag 3 only where the prespecified address is MYADDR or one
 * of OTHERADDRS; a full Timestamp option of flag 0 or 1 counts in its
 * overflow field. As Click's, a Record Route pointer that is neither in the
 * option's space nor just past it, and a full flag 3 Timestamp, are
 * malformed. Source
 * routes are left to the router they name. A packet without options passes
 * untouched; the header checksum is updated when an option changed. A
 * malformed option sends the packet to output 1 (or drops it) with the
 * param_off annotation naming the offending byte, for ICMPError's parameter
 * problem. Needs the IP header annotation.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ck_elem.h"
#include "nl_hdr.h"

#define IPOPT_EOL 0
#define IPOPT_NOP 1
#define IPOPT_RR 7
#define IPOPT_TS 68
#define MAX_OTHER 16

struct gwopt {
	uint32_t me;                 /* network order */
	uint32_t other[MAX_OTHER];
	unsigned int nb_other;
	uint64_t drops;
};

static int
gwopt_configure(struct ck_element *e)
{
	struct gwopt *g = CK_PRIV(e, struct gwopt);
	struct ck_bytes others = { 0 };
	const struct ck_argdesc a[] = {
		{ "MYADDR", CK_A_IP, &g->me, CK_POS | CK_MAND, NULL },
		{ "OTHERADDRS", CK_A_WORD, &others, CK_POS, NULL },
	};
	char *s, *w, *save = NULL;
	int r = ck_args_parse(e, a, 2);

	if (r < 0 || others.len == 0) {
		free(others.p);
		return r;
	}
	s = strndup((const char *)others.p, others.len);
	free(others.p);
	if (s == NULL)
		return -ENOMEM;
	for (w = strtok_r(s, " \t\n", &save); w != NULL; w = strtok_r(NULL, " \t\n", &save)) {
		uint32_t in;

		/* an address or an AddressInfo name, as Click's */
		if (g->nb_other == MAX_OTHER || ck_parse_ip(e->r, w, &in) < 0) {
			ck_error(e, "OTHERADDRS: '%s': %s", w, g->nb_other == MAX_OTHER ?
				 "too many addresses" : "not an IP address");
			free(s);
			return -EINVAL;
		}
		g->other[g->nb_other++] = in;
	}
	free(s);
	return 0;
}

static bool
is_mine(const struct gwopt *g, uint32_t addr)
{
	unsigned int i;

	if (addr == g->me)
		return true;
	for (i = 0; i < g->nb_other; i++)
		if (addr == g->other[i])
			return true;
	return false;
}

/* Milliseconds since midnight UT of the router's clock, network order. */
static uint32_t
ts_value(const struct ck_element *e)
{
	uint64_t ms = ck_now(e->r) / 1000000;

	return htonl((uint32_t)(ms % (24ull * 3600 * 1000)));
}

/* Process the options of @opt (@olen bytes, at @base bytes into the IP
 * header). Returns 1 when something changed, 0 when not, or -(offset + 1)
 * of the bad byte. */
static int
process(const struct ck_element *e, const struct gwopt *g, uint8_t *opt, unsigned int olen,
	unsigned int base)
{
	unsigned int i = 0;
	int changed = 0;

	while (i < olen) {
		unsigned int type = opt[i], len, ptr;

		if (type == IPOPT_EOL)
			break;
		if (type == IPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= olen || opt[i + 1] < 2 || i + opt[i + 1] > olen)
			return -(int)(base + i + 1 + 1);
		len = opt[i + 1];
		if (type == IPOPT_RR) {
			ptr = len >= 3 ? opt[i + 2] : 0;
			if (len < 3 || ptr < 4)
				return -(int)(base + i + 2 + 1);
			if (ptr + 3 <= len) {
				memcpy(opt + i + ptr - 1, &g->me, 4);
				opt[i + 2] = (uint8_t)(ptr + 4);
				changed = 1;
			} else if (ptr != len + 1) {
				/* as Click: only a full option (pointer just past it) passes */
				return -(int)(base + i + 2 + 1);
			}
		} else if (type == IPOPT_TS) {
			unsigned int flag, step;
			uint32_t now = ts_value(e);

			if (len < 4)
				return -(int)(base + i + 1 + 1);
			ptr = opt[i + 2];
			flag = opt[i + 3] & 0x0f;
			if (ptr < 5)
				return -(int)(base + i + 2 + 1);
			if (flag != 0 && flag != 1 && flag != 3)
				return -(int)(base + i + 3 + 1);
			step = flag == 0 ? 4 : 8;
			if (flag == 3 && ptr + step - 1 > len) {
				/* as Click: no overflow count for prespecified addresses */
				return -(int)(base + i + 3 + 1);
			} else if (ptr + step - 1 > len) {
				/* full: count in the overflow field (the high nibble) */
				if ((opt[i + 3] >> 4) == 15)
					return -(int)(base + i + 3 + 1);
				opt[i + 3] = (uint8_t)(opt[i + 3] + 16);
				changed = 1;
			} else if (flag == 0) {
				memcpy(opt + i + ptr - 1, &now, 4);
				opt[i + 2] = (uint8_t)(ptr + 4);
				changed = 1;
			} else if (flag == 1) {
				memcpy(opt + i + ptr - 1, &g->me, 4);
				memcpy(opt + i + ptr + 3, &now, 4);
				opt[i + 2] = (uint8_t)(ptr + 8);
				changed = 1;
			} else {
				uint32_t want;

				memcpy(&want, opt + i + ptr - 1, 4);
				if (is_mine(g, want)) {
					memcpy(opt + i + ptr + 3, &now, 4);
					opt[i + 2] = (uint8_t)(ptr + 8);
					changed = 1;
				}
			}
		}
		i += len;
	}
	return changed;
}

static struct ck_pkt *
gwopt_action(struct ck_element *e, struct ck_pkt *p)
{
	struct gwopt *g = CK_PRIV(e, struct gwopt);
	struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	unsigned int hl;
	int r;

	if (ip == NULL)
		return p;
	hl = (ip->ver_ihl & 0x0f) * 4u;
	if (hl <= sizeof(*ip) || (uint8_t *)ip + hl > p->data + p->len)
		return p; /* no options (CheckIPHeader vouched for the length) */
	r = process(e, g, (uint8_t *)ip + sizeof(*ip), hl - (unsigned int)sizeof(*ip),
		    (unsigned int)sizeof(*ip));
	if (r < 0) {
		p->a.param_off = (uint8_t)(-r - 1);
		g->drops++;
		ck_push_out(e, 1, p);
		return NULL;
	}
	if (r > 0) {
		ip->cksum = 0;
		ip->cksum = nl_cksum_finish(nl_cksum_add(ip, hl, 0));
	}
	return p;
}

static const struct ck_handler gwopt_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct gwopt, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_IPGWOptions = {
	.name = "IPGWOptions",
	.ports = "1/1-2",
	.processing = "a/ah",
	.priv_size = sizeof(struct gwopt),
	.configure = gwopt_configure,
	.action = gwopt_action,
	.handlers = gwopt_handlers,
};
