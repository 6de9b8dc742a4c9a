/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARPQuerier(IP[/LEN], ETH [, CAPACITY, ENTRY_PACKET_CAPACITY, TIMEOUT,
 * BROADCAST]) or ARPQuerier(NAME) — input 0: IP packets, next hop from the
 * destination-IP annotation (0: dropped, counted, and said once on the
 * chatter stream, as Click's); a known next
 * hop gets an Ethernet header (ETH → its address, type 0x0800) and leaves on
 * output 0; 255.255.255.255 and the broadcast address (BROADCAST, else IP's
 * prefix's) go to the Ethernet broadcast address, multicast to
 * 01:00:5E + its low 23 bits. An unknown one is held (ENTRY_PACKET_CAPACITY
 * per address, default 0: no limit; CAPACITY in all, default 2048, 0: no
 * limit, as Click's; beyond: dropped and counted) and an ARP query is sent on output 1 (output 0 when there is one
 * output), as Click at most one per address every 100 ms, every 2 s after
 * 10 queries without a reply. Input 1: ARP replies (Ethernet frames, ARP
 * hardware type Ethernet, protocol IP, a sender address that is no group
 * address) fill the table and release the held packets in order; as Click,
 * every frame of at least 42 bytes counts in responses. Entries older than
 * TIMEOUT (300 s) are asked again. Handlers: table, stats, count, length,
 * queries, responses, drops, ipaddr and broadcast (rw), insert, delete,
 * clear (w). As Click's, drops counts the querier's own drops (no
 * annotation, no headroom) and stats's "packets killed" those and the
 * table's (held packets refused for CAPACITY or ENTRY_PACKET_CAPACITY, or
 * killed by clear).
 */
#include <arpa/inet.h>
#include <inttypes.h>

#include "ck_elem.h"

struct arpq_entry {
	uint32_t ip;
	uint8_t eth[6];
	bool known;
	uint64_t when_ns, query_ns;
	unsigned int polls; /* queries since the last reply */
	struct ck_pkt *head, **tail;
	unsigned int nheld;
};

struct arpq {
	uint32_t ip, mask, bcast;
	uint8_t eth[6];
	int64_t capacity, entry_capacity;
	double timeout;
	struct arpq_entry *t;
	unsigned int n, cap;
	uint64_t held, queries, responses;
	uint64_t drops;  /* the querier's own: no annotation, no headroom */
	uint64_t tdrops; /* the table's (Click's ARPTable): held packets refused or killed */
	bool zero_warned;
};

static int
arpq_configure(struct ck_element *e)
{
	struct arpq *x = CK_PRIV(e, struct arpq);
	struct ck_bytes ign[3] = { { 0 } };
	uint32_t pfx[2] = { 0, 0 };
	bool have_eth = false, have_bcast = false, bcast_poll = false;
	int64_t slim = 2;
	const struct ck_argdesc a[] = {
		{ "IP", CK_A_PREFIX, pfx, CK_POS | CK_MAND, NULL },
		{ "ETH", CK_A_ETH, x->eth, CK_POS, &have_eth },
		{ "CAPACITY", CK_A_INT, &x->capacity, 0, NULL },
		{ "ENTRY_PACKET_CAPACITY", CK_A_INT, &x->entry_capacity, 0, NULL },
		{ "TIMEOUT", CK_A_TIME, &x->timeout, 0, NULL },
		{ "POLL_TIMEOUT", CK_A_WORD, &ign[0], 0, NULL },
		{ "BROADCAST", CK_A_IP, &x->bcast, 0, &have_bcast },
		{ "ENTRY_CAPACITY", CK_A_WORD, &ign[1], 0, NULL },
		{ "TABLE", CK_A_WORD, &ign[2], 0, NULL },
		{ "BROADCAST_POLL", CK_A_BOOL, &bcast_poll, 0, NULL },
		{ "CAPACITY_SLIM_FACTOR", CK_A_INT, &slim, 0, NULL },
	};
	int rc;

	x->capacity = 2048;
	x->timeout = 300;
	rc = ck_args_parse(e, a, 11);
	x->ip = pfx[0];
	x->mask = pfx[1];
	if (!have_bcast) {
		/* as Click: the prefix's broadcast address, none for a lone host */
		x->bcast = x->ip | ~x->mask;
		if (x->bcast == x->ip)
			x->bcast = 0xffffffffu;
	}
	/* as Click's unsigned integers; CAPACITY 0 is no limit */
	if (rc == 0 && (x->capacity < 0 || x->capacity > UINT32_MAX))
		rc = ck_error(e, "CAPACITY: expected unsigned integer");
	if (rc == 0 && (x->entry_capacity < 0 || x->entry_capacity > UINT32_MAX))
		rc = ck_error(e, "ENTRY_PACKET_CAPACITY: expected unsigned integer");
	if (rc == 0 && (slim < 0 || slim > UINT32_MAX))
		rc = ck_error(e, "CAPACITY_SLIM_FACTOR: expected unsigned integer");
	if (rc == 0 && slim == 0)
		rc = ck_error(e, "CAPACITY_SLIM_FACTOR cannot be zero");
	if (rc == 0 && ign[2].p)
		rc = ck_error(e, "TABLE not supported (no ARPTable: each ARPQuerier has its "
			      "own table)");
	if (rc == 0 && !have_eth) {
		/* ARPQuerier(NAME): the Ethernet address of the same AddressInfo name */
		char **w;
		int n = ck_args_split(e->config, &w);

		if (n < 1 || ck_parse_eth(e->r, w[0], x->eth) < 0)
			rc = ck_error(e, "missing mandatory ETH argument");
		if (n >= 0)
			ck_args_free(w, n);
	}
	for (int i = 0; i < 3; i++)
		free(ign[i].p);
	return rc;
}

static struct arpq_entry *
entry(struct arpq *x, uint32_t ip, bool create)
{
	for (unsigned int i = 0; i < x->n; i++)
		if (x->t[i].ip == ip)
			return &x->t[i];
	if (!create)
		return NULL;
	if (x->n == x->cap) {
		/* the table only grows on the control path's scale: one entry per neighbour */
		unsigned int nc = x->cap ? x->cap * 2 : 16;
		struct arpq_entry *nt = realloc(x->t, nc * sizeof(*nt));

		if (!nt)
			return NULL;
		for (unsigned int i = 0; i < x->n; i++)
			if (nt[i].head == NULL)
				nt[i].tail = &nt[i].head;
			else {
				struct ck_pkt *p = nt[i].head;

				while (p->next)
					p = p->next;
				nt[i].tail = &p->next;
			}
		x->t = nt;
		x->cap = nc;
	}
	memset(&x->t[x->n], 0, sizeof(x->t[x->n]));
	x->t[x->n].ip = ip;
	x->t[x->n].tail = &x->t[x->n].head;
	memset(x->t[x->n].eth, 0xff, 6); /* as Click: unknown is the broadcast address */
	return &x->t[x->n++];
}

static void
send_query(struct ck_element *e, struct arpq *x, uint32_t ip)
{
	struct ck_pkt *q = ck_pkt_new(e, 42);
	uint8_t *d;

	if (!q)
		return;
	d = q->data;
	memset(d, 0xff, 6);
	memcpy(d + 6, x->eth, 6);
	d[12] = 0x08, d[13] = 0x06;
	d[14] = 0, d[15] = 1, d[16] = 0x08, d[17] = 0, d[18] = 6, d[19] = 4, d[20] = 0, d[21] = 1;
	memcpy(d + 22, x->eth, 6);
	memcpy(d + 28, &x->ip, 4);
	memset(d + 32, 0, 6);
	memcpy(d + 38, &ip, 4);
	q->a.mac = d;
	x->queries++;
	ck_push_out(e, e->nout > 1 ? 1 : 0, q);
}

static void
encap_out(struct ck_element *e, struct arpq *x, struct ck_pkt *p, const uint8_t *dst)
{
	uint8_t *h = ck_pkt_push(p, 14);

	if (!h) {
		x->drops++;
		ck_pkt_kill(e, p);
		return;
	}
	memcpy(h, dst, 6);
	memcpy(h + 6, x->eth, 6);
	h[12] = 0x08, h[13] = 0x00;
	p->a.mac = h;
	ck_push_out(e, 0, p);
}

static void
arpq_ip(struct ck_element *e, struct arpq *x, struct ck_pkt *p)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t dst = p->a.dst_ip;
	uint64_t now = ck_now(e->r);
	struct arpq_entry *en;

	if (!dst) {
		/* as Click: no query for 0.0.0.0, said once */
		if (!x->zero_warned)
			fprintf(ck_chatter(e->r), "%s :: %s: would query for 0.0.0.0; missing dest "
				"IP addr annotation?\n", e->name, e->cls->name);
		x->zero_warned = true;
		x->drops++;
		ck_pkt_kill(e, p);
		return;
	}
	if (dst == 0xffffffffu || dst == x->bcast) {
		encap_out(e, x, p, bcast);
		return;
	}
	if ((ntohl(dst) & 0xf0000000u) == 0xe0000000u) {
		uint32_t h = ntohl(dst);
		uint8_t mc[6] = { 0x01, 0x00, 0x5e, (uint8_t)((h >> 16) & 0x7f), (uint8_t)(h >> 8),
				  (uint8_t)h };

		encap_out(e, x, p, mc);
		return;
	}
	en = entry(x, dst, true);
	if (!en) {
		x->tdrops++;
		ck_pkt_kill(e, p);
		return;
	}
	if (en->known && now - en->when_ns < (uint64_t)(x->timeout * 1e9)) {
		encap_out(e, x, p, en->eth);
		return;
	}
	if (!en->when_ns)
		en->when_ns = now ? now : 1; /* the table's age counts from here */
	en->known = false;
	if ((x->entry_capacity > 0 && en->nheld >= (uint64_t)x->entry_capacity) ||
	    (x->capacity > 0 && x->held >= (uint64_t)x->capacity)) {
		x->tdrops++;
		ck_pkt_kill(e, p);
	} else {
		p->next = NULL;
		*en->tail = p;
		en->tail = &p->next;
		en->nheld++;
		x->held++;
	}
	/* as Click: 100 ms between queries, 2 s once 10 went unanswered */
	if (en->query_ns == 0 ||
	    now - en->query_ns >= (en->polls >= 10 ? 2000000000u : 100000000u)) {
		en->query_ns = now ? now : 1;
		if (en->polls < 255)
			en->polls++;
		send_query(e, x, dst);
	}
}

static void
arpq_reply(struct ck_element *e, struct arpq *x, struct ck_pkt *p)
{
	const uint8_t *d = p->data;
	struct arpq_entry *en;
	uint32_t spa;

	if (p->len < 42) {
		ck_pkt_kill(e, p);
		return;
	}
	/* as Click: every frame long enough counts as a response; only an
	 * Ethernet/IP ARP reply from a unicast sender is learned */
	x->responses++;
	if (d[12] != 0x08 || d[13] != 0x06 || d[14] != 0 || d[15] != 1 || d[16] != 0x08 ||
	    d[17] != 0 || d[20] != 0 || d[21] != 2 || (d[22] & 1)) {
		ck_pkt_kill(e, p);
		return;
	}
	memcpy(&spa, d + 28, 4);
	en = entry(x, spa, true);
	if (en) {
		struct ck_pkt *q = en->head;

		memcpy(en->eth, d + 22, 6);
		en->known = true;
		en->polls = 0;
		en->when_ns = ck_now(e->r);
		en->head = NULL;
		en->tail = &en->head;
		x->held -= en->nheld;
		en->nheld = 0;
		while (q) {
			struct ck_pkt *nx = q->next;

			q->next = NULL;
			encap_out(e, x, q, en->eth);
			q = nx;
		}
	}
	ck_pkt_kill(e, p);
}

static void
arpq_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct arpq *x = CK_PRIV(e, struct arpq);

	if (port == 0)
		arpq_ip(e, x, p);
	else
		arpq_reply(e, x, p);
}

static int
arpq_table(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct arpq *x = CK_PRIV(e, struct arpq);
	uint64_t now = ck_now(e->r);

	(void)h;
	for (unsigned int i = 0; i < x->n; i++) {
		char b[16];
		const struct arpq_entry *en = &x->t[i];
		const uint8_t *m = en->eth;
		uint64_t age = en->when_ns && now > en->when_ns ? now - en->when_ns : 0;
		bool ok = en->known && age < (uint64_t)(x->timeout * 1e9);

		/* as Click: IP, known, Ethernet address, seconds since the last reply */
		fprintf(f, "%s %d %02X-%02X-%02X-%02X-%02X-%02X %" PRIu64 ".%06" PRIu64 "\n",
			ck_ip_str(en->ip, b), ok, m[0], m[1], m[2], m[3], m[4], m[5],
			age / 1000000000u, age % 1000000000u / 1000u);
	}
	return 0;
}

static int
arpq_stats(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct arpq *x = CK_PRIV(e, struct arpq);

	(void)h;
	/* as Click: the querier's drops and its table's */
	fprintf(f, "%" PRIu64 " packets killed\n%" PRIu64 " ARP queries sent\n",
		x->drops + x->tdrops, x->queries);
	return 0;
}

static int
arpq_count(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct arpq *x = CK_PRIV(e, struct arpq);

	fprintf(f, "%" PRIu64 "\n", h->name[0] == 'c' ? (uint64_t)x->n : x->held);
	return 0;
}

/* Kill every held packet (counted in the table's drops, as Click's) and
 * forget every entry. */
static void
arpq_flush(struct ck_element *e, struct arpq *x)
{
	for (unsigned int i = 0; i < x->n; i++) {
		while (x->t[i].head) {
			struct ck_pkt *n = x->t[i].head->next;

			ck_pkt_kill(e, x->t[i].head);
			x->t[i].head = n;
			x->tdrops++;
		}
	}
	x->n = 0;
	x->held = 0;
}

static void
arpq_cleanup(struct ck_element *e)
{
	struct arpq *x = CK_PRIV(e, struct arpq);

	arpq_flush(e, x);
	free(x->t);
}

/* ipaddr, broadcast: the element's IP address and broadcast address (rw). */
static int
arpq_read_addr(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct arpq *x = CK_PRIV(e, struct arpq);
	char b[16];

	fprintf(f, "%s\n", ck_ip_str(h->arg ? x->bcast : x->ip, b));
	return 0;
}

static int
arpq_write_addr(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct arpq *x = CK_PRIV(e, struct arpq);
	char **w;
	int n = ck_args_words(v, &w), rc = 0;
	uint32_t a;

	if (n != 1 || ck_parse_ip(e->r, w[0], &a) < 0) {
		if (errf)
			fprintf(errf, "%s: expected IP address\n", h->name);
		rc = -EINVAL;
	} else if (h->arg) {
		x->bcast = a;
	} else {
		x->ip = a;
	}
	if (n >= 0)
		ck_args_free(w, n);
	return rc;
}

/* insert "IP ETH": a known entry (its held packets leave); delete "IP": the
 * entry unknown again (broadcast address), as Click's; clear: no entries,
 * held packets dropped (counted as the table's drops), queries, responses
 * and the querier's drops zeroed, as Click's. */
static int
arpq_write_table(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct arpq *x = CK_PRIV(e, struct arpq);
	struct arpq_entry *en;
	uint8_t eth[6];
	uint32_t ip;
	char **w;
	int n, want = h->arg == 0 ? 2 : 1;

	if (h->arg == 2) {
		arpq_flush(e, x);
		x->queries = x->responses = x->drops = 0;
		return 0;
	}
	n = ck_args_words(v, &w);
	if (n < 0)
		return -ENOMEM;
	if (n != want || ck_parse_ip(e->r, w[0], &ip) < 0 ||
	    (want == 2 && ck_parse_eth(e->r, w[1], eth) < 0)) {
		if (errf)
			fprintf(errf, "%s: expected '%s'\n", h->name, want == 2 ? "IP ETH" : "IP");
		ck_args_free(w, n);
		return -EINVAL;
	}
	ck_args_free(w, n);
	if (want == 1)
		memcpy(eth, bcast, 6);
	en = entry(x, ip, true);
	if (!en)
		return -ENOMEM;
	memcpy(en->eth, eth, 6);
	en->known = memcmp(eth, bcast, 6) != 0;
	en->polls = 0;
	en->query_ns = 0;
	en->when_ns = ck_now(e->r);
	if (!en->when_ns)
		en->when_ns = 1;
	if (en->known) {
		struct ck_pkt *q = en->head;

		en->head = NULL;
		en->tail = &en->head;
		x->held -= en->nheld;
		en->nheld = 0;
		while (q) {
			struct ck_pkt *nx = q->next;

			q->next = NULL;
			encap_out(e, x, q, en->eth);
			q = nx;
		}
	}
	return 0;
}

static const struct ck_handler arpq_handlers[] = {
	{ "table", CK_H_READ | CK_H_LINES, arpq_table, NULL, 0, NULL },
	{ "stats", CK_H_READ | CK_H_LINES, arpq_stats, NULL, 0, NULL },
	{ "count", CK_H_READ, arpq_count, NULL, 0, NULL },
	{ "length", CK_H_READ, arpq_count, NULL, 0, NULL },
	{ "queries", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct arpq, queries), NULL },
	{ "responses", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct arpq, responses), NULL },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct arpq, drops), NULL },
	{ "ipaddr", CK_H_READ | CK_H_WRITE, arpq_read_addr, arpq_write_addr, 0, NULL },
	{ "broadcast", CK_H_READ | CK_H_WRITE, arpq_read_addr, arpq_write_addr, 1, NULL },
	{ "insert", CK_H_WRITE, NULL, arpq_write_table, 0, NULL },
	{ "delete", CK_H_WRITE, NULL, arpq_write_table, 1, NULL },
	{ "clear", CK_H_WRITE, NULL, arpq_write_table, 2, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_ARPQuerier = {
	.name = "ARPQuerier", .ports = "2/1-2", .processing = "h/h",
	.priv_size = sizeof(struct arpq), .configure = arpq_configure,
	.push = arpq_push, .cleanup = arpq_cleanup, .handlers = arpq_handlers,
};
