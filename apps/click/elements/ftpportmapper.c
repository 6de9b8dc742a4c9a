/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FTPPortMapper(CONTROL_REWRITER, DATA_REWRITER, DATA_REWRITER_INPUT) —
 * lets active FTP cross a NAT. It watches FTP control packets (TCP, needs
 * the IP header annotation) for a `PORT h1,h2,h3,h4,p1,p2` command
 * (RFC 959; case-insensitive, at the start of the payload). For one it
 * installs, in DATA_REWRITER (an IPRewriter-like element), the mapping of
 * the data connection the server will open, as if its first packet had
 * arrived on DATA_REWRITER_INPUT (whose INPUTSPEC is 'pattern' or 'keep'):
 * the flow (h1.h2.h3.h4, p1*256+p2, server, server's control port - 1)
 * becomes (A', P', server, port - 1), and replies from the server come back
 * to the client. When the address or port changed, the command is rewritten
 * to name A':P', the IP length and both checksums are fixed, and the change
 * in payload length is recorded on CONTROL_REWRITER's mapping of this
 * control connection (a TCPRewriter downstream, which moves later sequence
 * and acknowledgement numbers by it).
 *
 * Packets always go on to output 0: a malformed PORT command, no mapping
 * (no free port, DATA_REWRITER_INPUT not a pattern) or no room for a longer
 * command leaves the packet unchanged and is counted in `failures`.
 * Handlers: count (PORT commands mapped), failures. Click's older form with
 * a PATTERN argument, EPRT and passive mode (PASV replies) are not handled.
 */
#include <stdio.h>

#include "iprewriter.h"

#define FTP_CMD_MAX 64

struct ftpmap {
	struct ck_bytes ctl_name, data_name;
	int64_t input;
	struct ck_element *ctl, *data;
	uint64_t count, failures;
};

static int
ftp_configure(struct ck_element *e)
{
	struct ftpmap *x = CK_PRIV(e, struct ftpmap);
	const struct ck_argdesc a[] = {
		{ "CONTROL_REWRITER", CK_A_WORD, &x->ctl_name, CK_POS | CK_MAND, NULL },
		{ "DATA_REWRITER", CK_A_WORD, &x->data_name, CK_POS | CK_MAND, NULL },
		{ "DATA_REWRITER_INPUT", CK_A_INT, &x->input, CK_POS | CK_MAND, NULL },
	};

	if (ck_args_parse(e, a, 3) < 0)
		return ck_error(e, "expected CONTROL_REWRITER, DATA_REWRITER, DATA_REWRITER_INPUT "
				"(the PATTERN form is not implemented)");
	return 0;
}

static int
ftp_initialize(struct ck_element *e)
{
	struct ftpmap *x = CK_PRIV(e, struct ftpmap);

	x->ctl = ck_router_find(e->r, x->ctl_name.p);
	x->data = ck_router_find(e->r, x->data_name.p);
	if (!x->ctl || strcmp(x->ctl->cls->name, "TCPRewriter") != 0)
		return ck_error(e, "CONTROL_REWRITER '%s' must be a TCPRewriter", x->ctl_name.p);
	if (!x->data || !rw_of(x->data))
		return ck_error(e, "DATA_REWRITER '%s' must be a rewriter element", x->data_name.p);
	if (x->input < 0 || x->input >= (int64_t)rw_of(x->data)->nin)
		return ck_error(e, "DATA_REWRITER_INPUT %lld: '%s' has %u inputs",
				(long long)x->input, x->data_name.p, rw_of(x->data)->nin);
	return 0;
}

static void
ftp_cleanup(struct ck_element *e)
{
	struct ftpmap *x = CK_PRIV(e, struct ftpmap);

	free(x->ctl_name.p);
	free(x->data_name.p);
	x->ctl_name.p = x->data_name.p = NULL;
}

/* "PORT h1,h2,h3,h4,p1,p2" at @s (@n bytes). Returns the length of the
 * command up to its last digit, or 0 when it is none. */
static uint32_t
parse_port_cmd(const uint8_t *s, uint32_t n, uint32_t *addr, uint16_t *port)
{
	unsigned int v[6] = { 0 };
	uint32_t i = 5;

	if (n < 5 || strncasecmp((const char *)s, "PORT ", 5) != 0)
		return 0;
	while (i < n && s[i] == ' ')
		i++;
	for (int k = 0; k < 6; k++) {
		uint32_t start = i;

		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v[k] = v[k] * 10 + (unsigned int)(s[i++] - '0');
		if (i == start || v[k] > 255 || (k < 5 && (i >= n || s[i++] != ',')))
			return 0;
	}
	*addr = nl_hton32(v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3]);
	*port = nl_hton16((uint16_t)(v[4] << 8 | v[5]));
	return i;
}

/* Record on the control connection's mapping that the bytes from @seq on (the
 * first after the edited packet's original payload) move by @delta more (a
 * retransmission of the same command is not counted twice). */
static void
record_delta(struct ftpmap *x, struct ck_element *e, const struct rw_key *k, uint32_t seq,
	     int32_t delta)
{
	struct rw *c = rw_of(x->ctl);
	int32_t id = c->flows ? rw_table_lookup(c, k, ck_now(e->r)) : -1;
	struct rw_flow *f;
	unsigned int d;

	if (id < 0)
		return;
	f = &c->flows[id >> 1];
	d = (unsigned int)(id & 1);
	if (f->trigger[d] == seq && f->ndelta[d] != f->odelta[d])
		return;
	f->trigger[d] = seq;
	f->odelta[d] = f->ndelta[d];
	f->ndelta[d] += delta;
}

static struct ck_pkt *
ftp_action(struct ck_element *e, struct ck_pkt *p)
{
	struct ftpmap *x = CK_PRIV(e, struct ftpmap);
	struct nl_ipv4_hdr *ip = ck_ip_hdr(p);
	struct rw_key k = { 0 }, ck = { 0 }, nk;
	struct rw_flow *f;
	uint8_t *l4, *pl;
	uint32_t hl, thl, plen, cmdlen, seq, tail;
	char cmd[FTP_CMD_MAX];
	int n;
	int32_t delta;

	if (!ip || ip->proto != NL_IPPROTO_TCP || nl_ipv4_frag_offset(ip) != 0)
		return p;
	hl = nl_ipv4_hdr_len(ip);
	l4 = (uint8_t *)ip + hl;
	if (ck_pkt_avail(p, l4) < 20)
		return p;
	thl = (uint32_t)(l4[12] >> 4) * 4;
	if (thl < 20 || nl_ntoh16(ip->total_len) < hl + thl ||
	    ck_pkt_avail(p, l4) < nl_ntoh16(ip->total_len) - hl)
		return p;
	pl = l4 + thl;
	plen = nl_ntoh16(ip->total_len) - hl - thl;
	cmdlen = parse_port_cmd(pl, plen, &k.saddr, &k.sport);
	if (cmdlen == 0) {
		if (plen >= 5 && strncasecmp((const char *)pl, "PORT ", 5) == 0)
			x->failures++;
		return p;
	}
	k.daddr = ip->dst;
	memcpy(&k.dport, l4 + 2, 2);
	k.dport = nl_hton16((uint16_t)(nl_ntoh16(k.dport) - 1));
	k.proto = NL_IPPROTO_TCP;
	f = rw_install(x->data, (unsigned int)x->input, &k);
	if (!f) {
		x->failures++;
		return p;
	}
	rw_flow_map(f, memcmp(&f->k[0], &k, sizeof(k)) == 0 ? 0 : 1, &nk);
	x->count++;
	if (nk.saddr == k.saddr && nk.sport == k.sport)
		return p;
	{
		uint32_t a = nl_ntoh32(nk.saddr);
		uint16_t pt = nl_ntoh16(nk.sport);

		n = snprintf(cmd, sizeof(cmd), "%.4s %u,%u,%u,%u,%u,%u", (const char *)pl,
			     a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, pt >> 8, pt & 255);
	}
	delta = n - (int32_t)cmdlen;
	tail = plen - cmdlen;
	if (delta > 0 && (nl_ntoh16(ip->total_len) + (uint32_t)delta > 65535 ||
			  !ck_pkt_put(p, (uint32_t)delta))) {
		x->failures++;
		return p;
	}
	memmove(pl + n, pl + cmdlen, tail);
	memcpy(pl, cmd, (size_t)n);
	if (delta < 0)
		ck_pkt_take(p, (uint32_t)-delta);
	ip->total_len = nl_hton16((uint16_t)(nl_ntoh16(ip->total_len) + delta));
	ip->cksum = nl_ipv4_hdr_cksum(ip);
	memset(l4 + 16, 0, 2);
	{
		uint16_t c = nl_ipv4_l4_cksum(ip, l4, thl + plen + (uint32_t)delta);

		memcpy(l4 + 16, &c, 2);
	}
	ck.saddr = ip->src;
	ck.daddr = ip->dst;
	memcpy(&ck.sport, l4, 2);
	memcpy(&ck.dport, l4 + 2, 2);
	ck.proto = NL_IPPROTO_TCP;
	memcpy(&seq, l4 + 4, 4);
	record_delta(x, e, &ck, nl_ntoh32(seq) + plen, delta);
	return p;
}

static const struct ck_handler ftp_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ftpmap, count), NULL },
	{ "failures", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct ftpmap, failures), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_FTPPortMapper = {
	.name = "FTPPortMapper", .ports = "1/1", .processing = "a/a",
	.priv_size = sizeof(struct ftpmap),
	.configure = ftp_configure,
	.initialize = ftp_initialize,
	.action = ftp_action,
	.handlers = ftp_handlers,
	.cleanup = ftp_cleanup,
};
