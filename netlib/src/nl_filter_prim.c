/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_filter_prim.c — one primitive test of a filter pattern:
 *
 *   test ::= quals [ "[" POS [":" LEN] "]" ] [ "&" MASK ] [ relop ] [ data ]
 *
 * resolved (qualifier inheritance, implied protocol, names) and lowered to
 * word tests on the headers of enum nlf_base. A primitive whose fields are
 * not all in the packet is false; its own negations (!=, >=, <=) apply to
 * the comparison, inside that rule, and its protocol check stays outside.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "nl_filter_priv.h"

static const struct {
	const char *w;
	int type;
} type_words[] = {
	{ "host", T_HOST }, { "net", T_NET }, { "port", T_PORT }, { "proto", T_PROTO },
	{ "opt", T_OPT }, { "type", T_ICMPTYPE }, { "win", T_WIN }, { "vers", T_VERS },
	{ "hl", T_HL }, { "id", T_ID }, { "tos", T_TOS }, { "dscp", T_DSCP },
	{ "ttl", T_TTL }, { "len", T_LEN }, { "frag", T_FRAG }, { "unfrag", T_UNFRAG },
	{ "ect", T_ECT }, { "ce", T_CE },
};

static int parse_ether(const char *s, uint32_t len, uint8_t mac[6]);

int
nl_filter_word_reserved(const char *name, size_t len)
{
	/* the words the grammar reads itself (nl_filter_parse.c and below) */
	static const char *const keywords[] = {
		"all", "and", "any", "dest", "dst", "ether", "false", "ip", "mask", "not", "or",
		"src", "tcpudp", "transp", "true",
	};
	struct nlf_tok t = { .s = name, .len = (uint32_t)len };
	uint8_t mac[6];
	uint32_t v;
	size_t i;

	if (len == 0 || len > UINT32_MAX)
		return 0;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (nlf_tok_is(&t, keywords[i]))
			return 1;
	for (i = 0; i < sizeof(type_words) / sizeof(type_words[0]); i++)
		if (nlf_tok_is(&t, type_words[i].w))
			return 1;
	if (nlf_name_lookup(NLF_DB_PROTO, &t, &v) == 0)
		return 1;
	return parse_ether(name, (uint32_t)len, mac) == 0; /* a-b-c-d-e-f is a MAC address */
}

static int
at(const struct nlf_parser *p, unsigned int ahead, const char *w)
{
	return p->pos + ahead < p->ntok && nlf_tok_is(&p->tok[p->pos + ahead], w);
}

/*
 * Parse a number filling all of @s as Click's IntArg does: decimal, 0x hex,
 * 0b binary, octal after a leading 0, one '_' between two digits.
 */
int
nlf_parse_num(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	uint32_t base = 10;
	int neg = 0, range = 0, digit = 0;

	if (len > 1 && s[0] == '-') /* a number, but below every field */
		neg = i = 1;
	if (len > i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	} else if (len > i + 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B')) {
		base = 2;
		i += 2;
	} else if (len > i && s[i] == '0')
		base = 8;
	if (i == len)
		return -1;
	for (; i < len; i++) {
		uint32_t d;
		char c = s[i];

		if (c == '_' && digit && i + 1 < len) {
			digit = 0;
			continue;
		}
		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a') + 10;
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A') + 10;
		else
			return -1;
		if (d >= base)
			return -1;
		digit = 1;
		v = v * base + d;
		if (v > 0xffffffffull) {
			range = 1;
			v = 0;
		}
	}
	if (!digit)
		return -1;
	if (range || (neg && v))
		return -2;
	*out = (uint32_t)v;
	return 0;
}

/* A decimal number of at most @maxlen digits filling @s (a prefix length). */
static int
parse_dec(const char *s, uint32_t len, uint32_t maxlen, uint32_t *out)
{
	uint32_t v = 0, i;

	if (len == 0 || len > maxlen)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Dotted quad a.b.c.d, host order. */
static int
parse_addr(const char *s, uint32_t len, uint32_t *out)
{
	uint32_t v = 0, part = 0, i;
	int parts = 0, digits = 0;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!digits || part > 255)
				return -1;
			v = v << 8 | part;
			parts++;
			part = 0;
			digits = 0;
		} else if (s[i] >= '0' && s[i] <= '9' && digits < 3) {
			part = part * 10 + (uint32_t)(s[i] - '0');
			digits++;
		} else
			return -1;
	}
	if (parts != 4)
		return -1;
	*out = v;
	return 0;
}

/* a.b.c.d/LEN or a.b.c.d/m.m.m.m; the address is masked. */
static int
parse_prefix(const char *s, uint32_t len, uint32_t *addr, uint32_t *mask)
{
	const char *slash = memchr(s, '/', len);
	uint32_t a, m, l, alen;

	if (!slash)
		return -1;
	alen = (uint32_t)(slash - s);
	if (parse_addr(s, alen, &a) < 0)
		return -1;
	s += alen + 1;
	len -= alen + 1;
	if (parse_dec(s, len, 2, &l) == 0) {
		if (l > 32)
			return -2;
		m = l ? 0xffffffffu << (32 - l) : 0;
	} else if (parse_addr(s, len, &m) < 0)
		return -1;
	*addr = a & m;
	*mask = m;
	return 0;
}

/* 6 groups of 1-2 hex digits separated by ':' (or all by '-'). */
static int
parse_ether(const char *s, uint32_t len, uint8_t mac[6])
{
	uint32_t i, part = 0;
	int n = 0, digits = 0;
	char sep = memchr(s, ':', len) ? ':' : '-';

	for (i = 0; i <= len; i++) {
		char c = i < len ? s[i] : sep;
		int d;

		if (c == sep) {
			if (!digits || n == 6)
				return -1;
			mac[n++] = (uint8_t)part;
			part = 0;
			digits = 0;
			continue;
		}
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (++digits > 2)
			return -1;
		part = part * 16 + (uint32_t)d;
	}
	return n == 6 ? 0 : -1;
}

/* An IPv6 address, optionally /LEN (0-128); the address is masked. */
static int
parse_addr6(const char *s, uint32_t len, uint8_t a[16], uint32_t *plen)
{
	char buf[64];
	const char *slash = memchr(s, '/', len);
	uint32_t alen = slash ? (uint32_t)(slash - s) : len, l = 128, i;

	if (!memchr(s, ':', alen) || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	if (inet_pton(AF_INET6, buf, a) != 1)
		return -1;
	if (slash) {
		uint32_t rest = len - alen - 1;

		if (parse_dec(slash + 1, rest, 3, &l) < 0)
			return -1;
		if (l > 128)
			return -2;
	}
	for (i = 0; i < 16; i++) /* clear the host bits */
		if (l < 8 * (i + 1))
			a[i] &= (uint8_t)(l <= 8 * i ? 0 : 0xff00u >> (l - 8 * i));
	*plen = l;
	return 0;
}

/* The keyword of primitive type @type, for messages; it cannot fail. */
const char *
nlf_type_name(int type)
{
	size_t i;

	if (type == T_RAW)
		return "[POS:LEN]";
	if (type == T_ETHER)
		return "ether host";
	if (type == T_ICMPTYPE)
		return "icmp type";
	if (type == T_OPT)
		return "tcp opt";
	if (type == T_WIN)
		return "tcp win";
	for (i = 0; i < sizeof(type_words) / sizeof(type_words[0]); i++)
		if (type_words[i].type == type)
			return type_words[i].w;
	return "test";
}

static int
set_proto(struct nlf_parser *p, struct nlf_prim *pr, int proto, uint32_t col)
{
	if (pr->proto != NLF_PROTO_NONE && pr->proto != proto) {
		nlf_error(p, col, "transport protocol specified twice");
		return -1;
	}
	pr->proto = proto;
	pr->proto_col = col;
	return 0;
}

/* Qualifiers: src/dst, ip/ether/transp, type words, protocol names, not. */
static int
parse_quals(struct nlf_parser *p, struct nlf_prim *pr)
{
	const struct nlf_tok *t;
	uint32_t v, nots = 0;
	size_t i;

	while ((t = nlf_cur(p))) {
		int sd = SD_NONE, skip = 1;

		if (nlf_tok_is(t, "src")) {
			sd = SD_SRC;
			if ((at(p, 2, "dst") || at(p, 2, "dest")) && (at(p, 1, "and") || at(p, 1, "&&"))) {
				sd = SD_AND;
				skip = 3;
			} else if ((at(p, 2, "dst") || at(p, 2, "dest")) &&
				   (at(p, 1, "or") || at(p, 1, "||"))) {
				sd = SD_OR;
				skip = 3;
			}
		} else if (nlf_tok_is(t, "dst") || nlf_tok_is(t, "dest"))
			sd = SD_DST;
		if (sd != SD_NONE) {
			if (pr->srcdst != SD_NONE) {
				nlf_error(p, t->col, "'src' or 'dst' specified twice");
				return -1;
			}
			pr->srcdst = sd;
			pr->sd_col = t->col;
			p->pos += (uint32_t)skip;
			pr->nqual++;
			continue;
		}
		if (nlf_tok_is(t, "not") || nlf_tok_is(t, "!")) {
			/* a level of nesting, as a 'not' before the test is */
			if (p->depth + ++nots > NL_FILTER_MAX_DEPTH) {
				nlf_error(p, t->col, "expression nested too deeply (more than %d "
					  "levels)", NL_FILTER_MAX_DEPTH);
				return -1;
			}
			pr->negate ^= 1;
			p->pos++;
			continue;
		}
		if (nlf_tok_is(t, "ip") || nlf_tok_is(t, "ether") || nlf_tok_is(t, "transp")) {
			int h = nlf_tok_is(t, "ip") ? H_IP : nlf_tok_is(t, "ether") ? H_ETHER : H_TRANSP;

			if (pr->header != H_NONE && pr->header != h) {
				nlf_error(p, t->col, "'%.*s' contradicts an earlier qualifier",
					  (int)t->len, t->s);
				return -1;
			}
			pr->header = h;
			p->pos++;
			pr->nqual++;
			continue;
		}
		for (i = 0; i < sizeof(type_words) / sizeof(type_words[0]); i++)
			if (nlf_tok_is(t, type_words[i].w))
				break;
		if (i < sizeof(type_words) / sizeof(type_words[0])) {
			if (pr->type != T_NONE) {
				nlf_error(p, t->col, "type specified twice ('%s', then '%s')",
					  nlf_type_name(pr->type), type_words[i].w);
				return -1;
			}
			pr->type = type_words[i].type;
			pr->type_col = t->col;
			p->pos++;
			pr->nqual++;
			continue;
		}
		if (nlf_tok_is(t, "tcpudp") || nlf_name_lookup(NLF_DB_PROTO, t, &v) == 0) {
			if (set_proto(p, pr, nlf_tok_is(t, "tcpudp") ? NLF_PROTO_TCPUDP : (int)v,
				      t->col) < 0)
				return -1;
			p->pos++;
			pr->nqual++;
			continue;
		}
		break;
	}
	return 0;
}

/* "[" POS [":" LEN | "," END] "]" after ip / transp / a protocol. */
static int
parse_brackets(struct nlf_parser *p, struct nlf_prim *pr)
{
	char buf[48];
	size_t n = 0;
	uint32_t col = nlf_cur_col(p), pos, len = 1, end;
	char *sep;

	for (p->pos++; nlf_cur(p) && !at(p, 0, "]"); p->pos++) {
		const struct nlf_tok *t = nlf_cur(p);

		if (n + t->len >= sizeof(buf)) {
			nlf_error(p, t->col, "syntax error in '[POS:LEN]'");
			return -1;
		}
		memcpy(buf + n, t->s, t->len);
		n += t->len;
	}
	if (!nlf_cur(p)) {
		nlf_error(p, nlf_cur_col(p), "missing ']' for the '[' at column %u", col);
		return -1;
	}
	p->pos++;
	buf[n] = 0;
	if ((sep = strchr(buf, ':'))) {
		if (nlf_parse_num(buf, (uint32_t)(sep - buf), &pos) < 0 ||
		    nlf_parse_num(sep + 1, (uint32_t)strlen(sep + 1), &len) < 0)
			goto syntax;
	} else if ((sep = strchr(buf, ','))) {
		if (nlf_parse_num(buf, (uint32_t)(sep - buf), &pos) < 0 ||
		    nlf_parse_num(sep + 1, (uint32_t)strlen(sep + 1), &end) < 0)
			goto syntax;
		if (end < pos) {
			nlf_error(p, col, "END in '[POS,END]' is %u, before POS %u (END is the "
				  "last byte's offset)", end, pos);
			return -1;
		}
		len = end - pos + 1;
	} else if (nlf_parse_num(buf, (uint32_t)n, &pos) < 0)
		goto syntax;
	if (len < 1 || len > 4) {
		nlf_error(p, col, "LEN in '[POS:LEN]' is %u, must be 1 to 4", len);
		return -1;
	}
	if (pos > 0xfff0) {
		nlf_error(p, col, "POS in '[POS:LEN]' is %u, at most %u", pos, 0xfff0);
		return -1;
	}
	if ((pos & ~3u) != ((pos + len - 1) & ~3u)) {
		nlf_error(p, col, "field [%u:%u] straddles a 4-byte word", pos, len);
		return -1;
	}
	pr->type = T_RAW;
	pr->type_col = col;
	pr->raw_pos = (uint16_t)pos;
	pr->raw_len = (uint16_t)len;
	return 0;
syntax:
	nlf_error(p, col, "syntax error after '[', expected '[POS]', '[POS:LEN]' or '[POS,END]'");
	return -1;
}

static int
parse_mask(struct nlf_parser *p, struct nlf_prim *pr)
{
	const struct nlf_tok *t;
	int rc;

	pr->mask_col = nlf_cur_col(p);
	p->pos++;
	t = nlf_cur(p);
	if (!t) {
		nlf_error(p, pr->mask_col, "missing mask after '&'");
		return -1;
	}
	rc = nlf_parse_num(t->s, t->len, &pr->mask);
	if (rc == -1)
		rc = parse_addr(t->s, t->len, &pr->mask);
	if (rc == -1 && parse_ether(t->s, t->len, pr->emask) == 0) {
		static const uint8_t zero[6];

		rc = 0;
		pr->mask_ether = 1;
		pr->mask = memcmp(pr->emask, zero, 6) != 0; /* for the zero check */
	}
	if (rc < 0) {
		nlf_error(p, t->col, "bad mask '%.*s'", (int)t->len, t->s);
		return -1;
	}
	if (!pr->mask) {
		nlf_error(p, t->col, "zero mask");
		return -1;
	}
	pr->has_mask = 1;
	p->pos++;
	return 0;
}

static int
parse_rel(struct nlf_parser *p, struct nlf_prim *pr)
{
	static const struct {
		const char *w;
		int rel;
	} rels[] = {
		{ "=", R_EQ }, { "==", R_EQ }, { "!=", R_NE }, { "<", R_LT },
		{ ">", R_GT }, { "<=", R_LE }, { ">=", R_GE },
	};
	size_t i;

	for (i = 0; i < sizeof(rels) / sizeof(rels[0]); i++)
		if (at(p, 0, rels[i].w)) {
			pr->rel = rels[i].rel;
			pr->has_rel = 1;
			pr->rel_col = nlf_cur_col(p);
			p->pos++;
			return 0;
		}
	return 0;
}

/* Is @t a word that may be data (not a keyword, operator or punctuation)? */
static int
data_word(const struct nlf_tok *t)
{
	static const char *const reserved[] = {
		"and", "or", "not", "true", "false", ":", "?", NULL,
	};
	const char *const *r;
	unsigned char c = (unsigned char)t->s[0];

	if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	      c == '-' || c == '.' || c == '/' || c == '@' || c == '_' || c == ':'))
		return 0;
	for (r = reserved; *r; r++)
		if (nlf_tok_is(t, *r))
			return 0;
	return 1;
}

/* After the address in @pr (a D_ADDR), "mask MASK" when it comes: the
 * address and the mask make a net. 0, or -1 on error. */
static int
parse_addr_mask(struct nlf_parser *p, struct nlf_prim *pr)
{
	const struct nlf_tok *m;

	if (!at(p, 0, "mask"))
		return 0;
	if (p->pos + 1 >= p->ntok) {
		nlf_error(p, nlf_cur_col(p), "missing the mask after 'mask'");
		return -1;
	}
	m = &p->tok[p->pos + 1];
	if (parse_addr(m->s, m->len, &pr->dmask) < 0) {
		nlf_error(p, m->col, "bad address mask '%.*s'", (int)m->len, m->s);
		return -1;
	}
	pr->val &= pr->dmask;
	pr->data = D_NET;
	p->pos += 2;
	return 0;
}

/* Which name tables a word may come from, given the type and protocol. */
static int
name_allowed(const struct nlf_prim *pr, int db)
{
	int pro = pr->type == T_NONE ? pr->proto : NLF_PROTO_NONE;

	/* a type picks its table; the protocol only narrows bare words */
	switch (db) {
	case NLF_DB_PROTO:
		return pr->type == T_NONE || pr->type == T_PROTO;
	case NLF_DB_PORT:
		return (pr->type == T_NONE || pr->type == T_PORT) &&
		       (pro == NLF_PROTO_NONE || pro == 6 || pro == 17 || pro == NLF_PROTO_TCPUDP);
	case NLF_DB_TCPOPT:
		return (pr->type == T_NONE || pr->type == T_OPT) &&
		       (pro == NLF_PROTO_NONE || pro == 6 || pro == NLF_PROTO_TCPUDP);
	case NLF_DB_ICMP:
		return (pr->type == T_NONE || pr->type == T_ICMPTYPE) &&
		       (pro == NLF_PROTO_NONE || pro == 1);
	}
	return 0;
}

static int
parse_name(struct nlf_parser *p, struct nlf_prim *pr, const struct nlf_tok *t)
{
	static const char *const what[NLF_NDB] = {
		[NLF_DB_PROTO] = "proto", [NLF_DB_PORT] = "port",
		[NLF_DB_TCPOPT] = "tcp opt", [NLF_DB_ICMP] = "icmp type",
	};
	uint32_t v, found_v = 0;
	int db, found = -1, nfound = 0, rc = -1;
	char *name = NULL;

	if (nlf_tok_is(t, "tcpudp") && name_allowed(pr, NLF_DB_PROTO)) {
		pr->data = D_NAME;
		pr->data_db = NLF_DB_PROTO;
		pr->val = NLF_PROTO_TCPUDP;
		return 0;
	}
	for (db = 0; db < NLF_NDB; db++)
		if (name_allowed(pr, db) && nlf_name_lookup(db, t, &v) == 0) {
			if (nfound++ && !(found == NLF_DB_PORT && db == NLF_DB_PORT)) {
				nlf_error(p, t->col, "'%.*s' is ambiguous; say '%s %.*s' or '%s %.*s'",
					  (int)t->len, t->s, what[found], (int)t->len, t->s,
					  what[db], (int)t->len, t->s);
				return -1;
			}
			found = db;
			found_v = v;
		}
	if (p->opts && p->opts->resolve) {
		/* the resolver takes the word as a string, whatever its length */
		name = malloc((size_t)t->len + 1);
		if (name == NULL) {
			p->tree->oom = 1;
			nlf_error(p, t->col, "out of memory");
			return -1;
		}
		memcpy(name, t->s, t->len);
		name[t->len] = 0;
	}
	if (found >= 0 && pr->type == T_NONE && name != NULL) {
		uint32_t a, m;

		/* a port, flag or ICMP name that is also a defined address, with
		 * nothing to say which: refused rather than guessed */
		if (p->opts->resolve(p->opts->resolve_ctx, name, &a, &m) == 0) {
			nlf_error(p, t->col, "'%s' is ambiguous: %s %s name and a defined address; "
				  "say 'host %s' or '%s %s'", name,
				  what[found][0] == 'i' ? "an" : "a", what[found], name,
				  what[found], name);
			goto out;
		}
	}
	if (found >= 0) {
		pr->data = D_NAME;
		pr->data_db = (uint32_t)found;
		pr->val = found_v;
		rc = 0;
		goto out;
	}
	switch (pr->type) {
	case T_PROTO:
		nlf_error(p, t->col, "unknown protocol '%.*s'", (int)t->len, t->s);
		goto out;
	case T_PORT:
		nlf_error(p, t->col, "unknown port '%.*s'", (int)t->len, t->s);
		goto out;
	case T_OPT:
		nlf_error(p, t->col, "unknown TCP flag '%.*s'", (int)t->len, t->s);
		goto out;
	case T_ICMPTYPE:
		nlf_error(p, t->col, "unknown ICMP type '%.*s'", (int)t->len, t->s);
		goto out;
	}
	if (name != NULL &&
	    ((pr->type == T_NET && p->opts->resolve_net &&
	      p->opts->resolve_net(p->opts->resolve_ctx, name, &pr->val, &pr->dmask) == 0) ||
	     p->opts->resolve(p->opts->resolve_ctx, name, &pr->val, &pr->dmask) == 0)) {
		pr->data = pr->dmask == 0xffffffffu ? D_ADDR : D_NET;
		pr->val &= pr->dmask;
		if (pr->data == D_ADDR)
			rc = parse_addr_mask(p, pr); /* a name for an address: NAME mask M */
		else if (at(p, 0, "mask"))
			nlf_error(p, nlf_cur_col(p), "'%s' is a net (/%d): 'mask' goes after an "
				  "address only", name, __builtin_popcount(pr->dmask));
		else
			rc = 0;
		goto out;
	}
	if (t->len > 1 && t->s[0] == '0' && strspn(t->s, "0123456789") >= t->len)
		nlf_error(p, t->col, "'%.*s' is no number (a leading 0 means octal)", (int)t->len,
			  t->s);
	else if (nlf_tok_is(t, "all") || nlf_tok_is(t, "any") || nlf_tok_is(t, "-"))
		nlf_error(p, t->col, "'%.*s' matches every packet as the whole pattern only; "
			  "within one, write 'true'", (int)t->len, t->s);
	else
		nlf_error(p, t->col, "unknown name '%.*s'", (int)t->len, t->s);
out:
	free(name);
	return rc;
}

/* The value: number, address, prefix, "ADDR mask MASK", MAC address or name. */
static int
parse_data(struct nlf_parser *p, struct nlf_prim *pr)
{
	const struct nlf_tok *t = nlf_cur(p);
	int rc;

	if (!t || !data_word(t))
		return 0;
	pr->data_tok = t;
	pr->data_col = t->col;
	p->pos++;
	if ((rc = nlf_parse_num(t->s, t->len, &pr->val)) != -1) {
		if (rc == -2) {
			nlf_error(p, t->col, "number '%.*s' out of range", (int)t->len, t->s);
			return -1;
		}
		pr->data = D_INT;
		return 0;
	}
	if (parse_addr(t->s, t->len, &pr->val) == 0) {
		pr->data = D_ADDR;
		pr->dmask = 0xffffffffu;
		return parse_addr_mask(p, pr);
	}
	if ((rc = parse_prefix(t->s, t->len, &pr->val, &pr->dmask)) != -1) {
		if (rc == -2) {
			nlf_error(p, t->col, "prefix length out of range in '%.*s' (0-32)",
				  (int)t->len, t->s);
			return -1;
		}
		pr->data = D_NET;
		return 0;
	}
	if (parse_ether(t->s, t->len, pr->mac) == 0) {
		pr->data = D_ETHER;
		return 0;
	}
	if ((rc = parse_addr6(t->s, t->len, pr->a6, &pr->a6_len)) != -1) {
		if (rc == -2) {
			nlf_error(p, t->col, "prefix length out of range in '%.*s' (0-128)",
				  (int)t->len, t->s);
			return -1;
		}
		pr->data = D_ADDR6;
		return 0;
	}
	return parse_name(p, pr, t);
}

/*
 * Parse one primitive test at p->pos (qualifiers, [POS:LEN], & MASK, relation,
 * data) and return its PRIM node; returns -2 when no test starts here (the
 * position is unchanged), -1 on error (recorded in @p).
 */
int32_t
nlf_parse_prim(struct nlf_parser *p)
{
	struct nlf_prim pr;
	uint32_t start = p->pos, col = nlf_cur_col(p);

	memset(&pr, 0, sizeof(pr));
	pr.proto = NLF_PROTO_NONE;
	pr.col = col;
	if (parse_quals(p, &pr) < 0)
		return -1;
	if (at(p, 0, "[") && pr.type == T_NONE &&
	    (pr.header == H_IP || pr.header == H_TRANSP || pr.proto != NLF_PROTO_NONE) &&
	    parse_brackets(p, &pr) < 0)
		return -1;
	if (at(p, 0, "&") && parse_mask(p, &pr) < 0)
		return -1;
	parse_rel(p, &pr);
	if (parse_data(p, &pr) < 0)
		return -1;
	if (p->pos == start)
		return -2;
	if (pr.nqual == 0 && pr.type == T_NONE && pr.data == D_NONE && !pr.has_mask &&
	    !pr.has_rel) {
		/* only "not" words: the test they negate is missing */
		nlf_error(p, nlf_cur_col(p), "missing test after 'not'");
		return -1;
	}
	if (pr.has_rel && pr.data == D_NONE) {
		nlf_error(p, nlf_cur_col(p), "missing value after the relation at column %u",
			  pr.rel_col);
		return -1;
	}
	return nlf_lower_prim(p, &pr);
}
