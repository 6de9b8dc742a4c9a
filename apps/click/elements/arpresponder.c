/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARPResponder(IP/MASK [IP/MASK...] ETH, ...) — an Ethernet ARP request for an
 * address in one of the prefixes is turned, in place, into the reply from
 * that entry's ETH (output 0); every other packet goes to output 1 or is
 * dropped. A bare address is a /32. An argument of one AddressInfo NAME
 * (`ARPResponder(extern)`) answers for NAME's address with NAME's Ethernet
 * address.
 */
#include "ck_elem.h"

#define ARP_LEN 42

struct arp_entry {
	uint32_t ip, mask;
	uint8_t eth[6];
};

struct arpresp {
	struct arp_entry *e;
	unsigned int n;
	uint64_t replies;
};

static int
arpresp_configure(struct ck_element *e)
{
	struct arpresp *x = CK_PRIV(e, struct arpresp);
	char **args;
	int n = ck_args_split(e->config, &args), rc = 0;

	if (n < 0)
		return ck_error(e, "out of memory");
	for (int i = 0; i < n && rc == 0; i++) {
		char **w;
		int nw = ck_args_words(args[i], &w);
		uint8_t eth[6];

		if (nw == 1 && ck_parse_eth(e->r, w[0], eth) == 0) {
			struct arp_entry *ne = realloc(x->e, (x->n + 1) * sizeof(*ne));
			uint32_t ip;

			if (ne)
				x->e = ne;
			if (!ne || ck_parse_ip(e->r, w[0], &ip) < 0) {
				rc = ck_error(e, "argument %d: '%s' names no IP address", i + 1, w[0]);
			} else {
				ne[x->n].ip = ip;
				ne[x->n].mask = 0xffffffffu;
				memcpy(ne[x->n].eth, eth, 6);
				x->n++;
			}
			ck_args_free(w, nw);
			continue;
		}
		if (nw < 2 || ck_parse_eth(e->r, w[nw - 1], eth) < 0) {
			rc = ck_error(e, "argument %d: expected 'IP/MASK [IP/MASK...] ETH'", i + 1);
		}
		for (int j = 0; j + 1 < nw && rc == 0; j++) {
			struct arp_entry *ne = realloc(x->e, (x->n + 1) * sizeof(*ne));

			if (!ne) {
				rc = ck_error(e, "out of memory");
				break;
			}
			x->e = ne;
			if (ck_parse_prefix(e->r, w[j], &ne[x->n].ip, &ne[x->n].mask, true) < 0) {
				rc = ck_error(e, "argument %d: bad address '%s'", i + 1, w[j]);
				break;
			}
			memcpy(ne[x->n].eth, eth, 6);
			x->n++;
		}
		if (nw >= 0)
			ck_args_free(w, nw);
	}
	ck_args_free(args, n);
	return rc;
}

static struct ck_pkt *
arpresp_action(struct ck_element *e, struct ck_pkt *p)
{
	struct arpresp *x = CK_PRIV(e, struct arpresp);
	uint8_t *d = p->data;
	uint32_t tpa;

	if (p->len >= ARP_LEN && d[12] == 0x08 && d[13] == 0x06 && d[14] == 0 && d[15] == 1 &&
	    d[16] == 0x08 && d[17] == 0 && d[18] == 6 && d[19] == 4 && d[20] == 0 && d[21] == 1) {
		memcpy(&tpa, d + 38, 4);
		for (unsigned int i = 0; i < x->n; i++) {
			if ((tpa & x->e[i].mask) != x->e[i].ip)
				continue;
			memcpy(d, d + 22, 6);              /* to the asker */
			memcpy(d + 6, x->e[i].eth, 6);
			d[21] = 2;                          /* reply */
			memcpy(d + 32, d + 22, 10);         /* tha, tpa := sha, spa */
			memcpy(d + 22, x->e[i].eth, 6);     /* sha */
			memcpy(d + 28, &tpa, 4);            /* spa */
			p->a.mac = d;
			x->replies++;
			return p;
		}
	}
	ck_push_out(e, 1, p);
	return NULL;
}

static void
arpresp_cleanup(struct ck_element *e)
{
	free(CK_PRIV(e, struct arpresp)->e);
}

static const struct ck_handler arpresp_handlers[] = {
	{ "replies", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct arpresp, replies) },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct ck_element_class ck_class_ARPResponder = {
	.name = "ARPResponder", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct arpresp), .configure = arpresp_configure,
	.action = arpresp_action, .cleanup = arpresp_cleanup, .handlers = arpresp_handlers,
};
