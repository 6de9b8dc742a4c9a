/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPReassembler(HIMEM) — reassembles IPv4 fragments (needs the IP header
 * annotation: CheckIPHeader or MarkIPHeader upstream). A packet that is not
 * a fragment leaves on output 0 unchanged. A fragment is held with the
 * others of its packet (same source, destination, protocol and ID); when
 * they cover the whole packet, the whole packet leaves on output 0 and the
 * fragments are released. The whole packet is the offset-0 fragment's
 * buffer, extended in place when it has the tailroom, else a fresh buffer;
 * its header (options included) and annotations are the offset-0
 * fragment's, with the length, flags and checksum rewritten. Where
 * fragments overlap, the bytes of the one that starts later win (at equal
 * starts, the one that came later).
 *
 * A set of fragments that gets no new fragment for 30 s is dropped, or,
 * with a second output, pushed out of it as one packet holding every
 * received fragment at its offset (zeros in the holes; the header of the
 * lowest fragment, offset 0, MF set when the last fragment never came), as
 * Click does for ICMPError(timeexceeded, reassembly). The check runs every
 * 10 s while fragments are held; no timer is armed otherwise.
 *
 * Memory is bounded like Click's: each set is charged 40 bytes and each
 * held fragment its IP length plus 64 bytes (its descriptor); when a new
 * fragment would take the total above HIMEM (default 256 KiB), the sets
 * that went longest without a fragment are dropped until the total is
 * below 3/4 of HIMEM. The set table is allocated when the router starts
 * (as many sets as HIMEM can pay for), so the fast path allocates nothing
 * but the whole packet when the offset-0 buffer is too small.
 *
 * Malformed fragments are dropped: a length beyond the packet, a non-last
 * fragment whose data is empty or not a multiple of 8 bytes, an end past
 * 65535 or past the end a last fragment already set, or a last fragment
 * that ends before data already held.
 *
 * Handlers: mem_used (bytes charged now), drops (fragments dropped),
 * reassembled (whole packets emitted).
 */
#include "ck_elem.h"

#define IPR_BUCKETS 256
#define IPR_SET_COST 40          /* bytes charged per set (Click's IPH_MEM_USED) */
#define IPR_FRAG_COST 64         /* bytes charged per held fragment, beside its length */
#define IPR_TIMEOUT_NS (30 * CK_NS_PER_SEC)
#define IPR_REAP_NS (10 * CK_NS_PER_SEC)
#define IPR_MAX_DATA 65515       /* 65535 minus the shortest header */

struct ipr_set {
	struct ipr_set *hnext;          /* bucket chain, or the free list */
	struct ipr_set *older, *newer;  /* age list, by last fragment */
	uint32_t src, dst;              /* network order */
	uint16_t id;                    /* network order */
	uint8_t proto;
	bool have_last;                 /* the MF=0 fragment came: total is known */
	uint32_t total;                 /* data bytes of the whole packet */
	uint32_t mem;                   /* bytes charged for this set */
	uint64_t last_ns;
	struct ck_pkt *frags;           /* by offset; equal offsets in arrival order */
};

struct ipr {
	int64_t himem;
	uint32_t mem_used, mem_low;
	struct ipr_set *sets, *free;
	struct ipr_set *bucket[IPR_BUCKETS];
	struct ipr_set *oldest, *newest;
	struct ck_timer reap;
	uint64_t drops, reassembled;
};

/* Where the data of fragment @p starts in the whole packet, its data
 * length, its header length and whether more fragments follow. */
struct ipr_frag {
	uint32_t off, dlen, hl;
	bool mf;
};

static void
frag_info(const struct ck_pkt *p, struct ipr_frag *f)
{
	const struct nl_ipv4_hdr *ip = (const struct nl_ipv4_hdr *)p->a.ip;
	uint16_t fo = nl_ntoh16(ip->frag_off);

	f->hl = (ip->ver_ihl & 0x0f) * 4u;
	f->off = (fo & NL_IPV4_OFF_MASK) * 8u;
	f->dlen = nl_ntoh16(ip->total_len) - f->hl;
	f->mf = (fo & NL_IPV4_MF) != 0;
}

static int
ipr_configure(struct ck_element *e)
{
	struct ipr *x = CK_PRIV(e, struct ipr);
	const struct ck_argdesc a[] = {
		{ "HIMEM", CK_A_INT, &x->himem, 0, NULL },
	};

	x->himem = 256 * 1024;
	if (ck_args_parse(e, a, 1) < 0)
		return -EINVAL;
	if (x->himem < 1024 || x->himem > (1 << 30))
		return ck_error(e, "HIMEM must be 1024..1073741824");
	x->mem_low = (uint32_t)(x->himem / 4 * 3);
	return 0;
}

static void ipr_reap(struct ck_element *e, struct ck_timer *t);

static int
ipr_initialize(struct ck_element *e)
{
	struct ipr *x = CK_PRIV(e, struct ipr);
	/* a set holds at least one fragment of at least 20 bytes */
	uint32_t n = (uint32_t)(x->himem / (IPR_SET_COST + IPR_FRAG_COST + 20)) + 1;

	x->sets = calloc(n, sizeof(*x->sets));
	if (!x->sets)
		return ck_error(e, "out of memory for %u fragment sets", n);
	for (uint32_t i = 0; i < n; i++) {
		x->sets[i].hnext = x->free;
		x->free = &x->sets[i];
	}
	ck_timer_init(e, &x->reap, ipr_reap);
	return 0;
}

static inline unsigned int
bucket_of(uint16_t id)
{
	return nl_ntoh16(id) % IPR_BUCKETS;
}

static void
age_unlink(struct ipr *x, struct ipr_set *s)
{
	if (s->older)
		s->older->newer = s->newer;
	else
		x->oldest = s->newer;
	if (s->newer)
		s->newer->older = s->older;
	else
		x->newest = s->older;
	s->older = s->newer = NULL;
}

static void
age_append(struct ipr *x, struct ipr_set *s)
{
	s->older = x->newest;
	s->newer = NULL;
	if (x->newest)
		x->newest->newer = s;
	else
		x->oldest = s;
	x->newest = s;
}

/* Take @s out of the table and give it back to the free list. */
static void
set_release(struct ipr *x, struct ipr_set *s)
{
	struct ipr_set **pp = &x->bucket[bucket_of(s->id)];

	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	age_unlink(x, s);
	x->mem_used -= s->mem;
	s->frags = NULL;
	s->hnext = x->free;
	x->free = s;
}

/* Drop every fragment of @s and release it. */
static void
set_drop(struct ck_element *e, struct ipr *x, struct ipr_set *s)
{
	while (s->frags) {
		struct ck_pkt *n = s->frags->next;

		x->drops++;
		ck_pkt_kill(e, s->frags);
		s->frags = n;
	}
	set_release(x, s);
}

/* The packet of an expired set for output 1: every fragment at its offset. */
static struct ck_pkt *
set_partial(struct ck_element *e, struct ipr_set *s)
{
	struct ck_pkt *f0 = s->frags, *q;
	struct ipr_frag f, g;
	struct nl_ipv4_hdr *qi;
	uint32_t pre = (uint32_t)(f0->a.ip - f0->data), end = 0;

	frag_info(f0, &f);
	for (struct ck_pkt *p = s->frags; p; p = p->next) {
		frag_info(p, &g);
		if (g.off + g.dlen > end)
			end = g.off + g.dlen;
	}
	if (f.hl + end > 65535)
		end = 65535 - f.hl;
	q = ck_pkt_new(e, pre + f.hl + end);
	if (!q)
		return NULL;
	memcpy(q->data, f0->data, pre + f.hl);
	memset(q->data + pre + f.hl, 0, end);
	for (struct ck_pkt *p = s->frags; p; p = p->next) {
		frag_info(p, &g);
		if (g.off + g.dlen <= end)
			memcpy(q->data + pre + f.hl + g.off, p->a.ip + g.hl, g.dlen);
	}
	q->a = f0->a;
	q->a.mac = f0->a.mac ? q->data + (f0->a.mac - f0->data) : NULL;
	q->a.ip = q->data + pre;
	qi = (struct nl_ipv4_hdr *)q->a.ip;
	qi->total_len = nl_hton16((uint16_t)(f.hl + end));
	qi->frag_off = nl_hton16((uint16_t)((nl_ntoh16(qi->frag_off) & NL_IPV4_DF) |
					    (s->have_last ? 0 : NL_IPV4_MF)));
	qi->cksum = 0;
	qi->cksum = nl_ipv4_hdr_cksum(qi);
	return q;
}

/* Timer: sets without a fragment for 30 s are dropped (or, with output 1,
 * pushed there as one packet); runs again in 10 s while any set is left. */
static void
ipr_reap(struct ck_element *e, struct ck_timer *t)
{
	struct ipr *x = CK_PRIV(e, struct ipr);
	uint64_t now = ck_now(e->r);

	while (x->oldest && now - x->oldest->last_ns >= IPR_TIMEOUT_NS) {
		struct ipr_set *s = x->oldest;
		struct ck_pkt *q = e->nout > 1 ? set_partial(e, s) : NULL;

		set_drop(e, x, s);
		if (q)
			ck_push_out(e, 1, q);
	}
	if (x->oldest)
		ck_timer_schedule_after(t, IPR_REAP_NS);
}

/* Put the whole packet together from a complete set. Returns it, or NULL
 * (fragments dropped, counted) when no buffer is free. */
static struct ck_pkt *
set_emit(struct ck_element *e, struct ipr *x, struct ipr_set *s)
{
	struct ck_pkt *f0 = s->frags, *q = f0;
	struct ipr_frag f, g;
	uint32_t pre = (uint32_t)(f0->a.ip - f0->data);
	struct nl_ipv4_hdr *qi;

	frag_info(f0, &f);
	ck_pkt_take(q, q->len - (pre + f.hl + f.dlen)); /* link padding */
	if (f.hl + s->total > 65535 ||
	    (s->total > f.dlen && !ck_pkt_put(q, s->total - f.dlen))) {
		q = f.hl + s->total <= 65535 ? ck_pkt_new(e, pre + f.hl + s->total) : NULL;
		if (!q) {
			set_drop(e, x, s);
			return NULL;
		}
		memcpy(q->data, f0->data, pre + f.hl + f.dlen);
		q->a = f0->a;
		q->a.mac = f0->a.mac ? q->data + (f0->a.mac - f0->data) : NULL;
		q->a.ip = q->data + pre;
	}
	for (struct ck_pkt *p = f0->next; p; p = p->next) {
		frag_info(p, &g);
		memcpy(q->a.ip + f.hl + g.off, p->a.ip + g.hl, g.dlen);
	}
	qi = (struct nl_ipv4_hdr *)q->a.ip;
	qi->total_len = nl_hton16((uint16_t)(f.hl + s->total));
	qi->frag_off = nl_hton16((uint16_t)(nl_ntoh16(qi->frag_off) & NL_IPV4_DF));
	qi->cksum = 0;
	qi->cksum = nl_ipv4_hdr_cksum(qi);
	/* release the fragments (not drops: their data lives on in q) */
	for (struct ck_pkt *p = s->frags, *n; p; p = n) {
		n = p->next;
		if (p != q)
			ck_pkt_finish(e, p, CK_ACT_DROP, 0);
	}
	set_release(x, s);
	x->reassembled++;
	q->next = NULL;
	return q;
}

/* Whether the fragments of @s cover [0, total). */
static bool
set_complete(const struct ipr_set *s)
{
	uint32_t covered = 0;
	struct ipr_frag g;

	if (!s->have_last)
		return false;
	for (const struct ck_pkt *p = s->frags; p; p = p->next) {
		frag_info(p, &g);
		if (g.off > covered)
			return false;
		if (g.off + g.dlen > covered)
			covered = g.off + g.dlen;
	}
	return covered >= s->total;
}

static struct ipr_set *
set_find(struct ipr *x, const struct nl_ipv4_hdr *ip)
{
	for (struct ipr_set *s = x->bucket[bucket_of(ip->id)]; s; s = s->hnext)
		if (s->id == ip->id && s->src == ip->src && s->dst == ip->dst &&
		    s->proto == ip->proto)
			return s;
	return NULL;
}

static struct ck_pkt *
ipr_bad(struct ck_element *e, struct ipr *x, struct ck_pkt *p)
{
	x->drops++;
	ck_pkt_kill(e, p);
	return NULL;
}

static struct ck_pkt *
ipr_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ipr *x = CK_PRIV(e, struct ipr);
	struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	struct ipr_set *s;
	struct ipr_frag f, g;
	struct ck_pkt **pp;
	uint32_t charge, len;

	if (!ip || !(nl_ntoh16(ip->frag_off) & (NL_IPV4_MF | NL_IPV4_OFF_MASK)))
		return p; /* not a fragment */
	frag_info(p, &f);
	len = nl_ntoh16(ip->total_len);
	if (f.hl < 20 || len < f.hl || len > ck_pkt_avail(p, p->a.ip) ||
	    (f.mf && (f.dlen == 0 || f.dlen % 8)) || f.off + f.dlen > IPR_MAX_DATA)
		return ipr_bad(e, x, p);
	charge = len + IPR_FRAG_COST;
	if (x->mem_used + charge + IPR_SET_COST > (uint64_t)x->himem)
		while (x->oldest && x->mem_used + charge + IPR_SET_COST > x->mem_low)
			set_drop(e, x, x->oldest);
	s = set_find(x, ip);
	if (s && ((s->have_last && f.off + f.dlen > s->total) ||
		  (!f.mf && s->have_last && f.off + f.dlen != s->total)))
		return ipr_bad(e, x, p);
	if (!s) {
		s = x->free;
		if (!s)
			return ipr_bad(e, x, p);
		x->free = s->hnext;
		memset(s, 0, sizeof(*s));
		s->src = ip->src;
		s->dst = ip->dst;
		s->id = ip->id;
		s->proto = ip->proto;
		s->mem = IPR_SET_COST;
		x->mem_used += IPR_SET_COST;
		s->hnext = x->bucket[bucket_of(ip->id)];
		x->bucket[bucket_of(ip->id)] = s;
		age_append(x, s);
		if (!x->reap.scheduled)
			ck_timer_schedule_after(&x->reap, IPR_REAP_NS);
	}
	if (!f.mf) {
		for (const struct ck_pkt *q = s->frags; q; q = q->next) {
			frag_info(q, &g);
			if (g.off + g.dlen > f.off + f.dlen)
				return ipr_bad(e, x, p);
		}
		s->have_last = true;
		s->total = f.off + f.dlen;
	}
	/* insert by offset, after fragments with the same offset */
	pp = &s->frags;
	while (*pp) {
		frag_info(*pp, &g);
		if (g.off > f.off)
			break;
		pp = &(*pp)->next;
	}
	p->next = *pp;
	*pp = p;
	s->mem += charge;
	x->mem_used += charge;
	s->last_ns = ck_now(e->r);
	age_unlink(x, s);
	age_append(x, s);
	return set_complete(s) ? set_emit(e, x, s) : NULL;
}

static void
ipr_cleanup(struct ck_element *e)
{
	struct ipr *x = CK_PRIV(e, struct ipr);

	while (x->oldest)
		set_drop(e, x, x->oldest);
	free(x->sets);
}

static int
ipr_read_mem(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%u\n", CK_PRIV(e, struct ipr)->mem_used);
	return 0;
}

static const struct ck_handler ipr_handlers[] = {
	{ "mem_used", CK_H_READ, ipr_read_mem, NULL, 0, NULL },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipr, drops), NULL },
	{ "reassembled", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ipr, reassembled), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_IPReassembler = {
	.name = "IPReassembler", .ports = "1/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct ipr),
	.configure = ipr_configure,
	.initialize = ipr_initialize,
	.action = ipr_action,
	.cleanup = ipr_cleanup,
	.handlers = ipr_handlers,
};
