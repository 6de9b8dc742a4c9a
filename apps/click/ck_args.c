/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_args.c — configuration-string values: splitting, typed parsers and the
 * declarative keyword/positional argument matcher (ck_args.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "ck_args.h"
#include "nl_filter.h"
#include "ck_rt.h"

/* A comment (slash-star or slash-slash to the line's end) at @s inside a
 * \<...> block, which Click skips there: the char after it, else @s. */
static const char *
hex_comment(const char *s)
{
	const char *e;

	if (s[0] != '/' || (s[1] != '/' && s[1] != '*'))
		return s;
	if (s[1] == '/')
		return s + 2 + strcspn(s + 2, "\n");
	e = strstr(s + 2, "*/");
	return e != NULL ? e + 2 : s + strlen(s);
}

/* Skip a quoted string or \<...> block at @s; returns the char after it. */
static const char *
skip_quoted(const char *s)
{
	char q = *s;

	if (q == '\\' && s[1] == '<') {
		s += 2;
		while (*s && *s != '>') {
			const char *c = hex_comment(s);

			s = c != s ? c : s + 1;
		}
		return *s ? s + 1 : s;
	}
	s++;
	while (*s && *s != q) {
		if (q == '"' && *s == '\\' && s[1])
			s++;
		s++;
	}
	return *s ? s + 1 : s;
}

static char *
trim_dup(const char *b, const char *e)
{
	char *s;

	while (b < e && isspace((unsigned char)*b))
		b++;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	s = malloc((size_t)(e - b) + 1);
	if (s) {
		memcpy(s, b, (size_t)(e - b));
		s[e - b] = 0;
	}
	return s;
}

/* Copy @conf without comments (outside quotes), comments becoming a space. */
static char *
strip_comments(const char *conf)
{
	char *out = malloc(strlen(conf) + 1), *o = out;
	const char *s = conf;

	if (!out)
		return NULL;
	while (*s) {
		if (*s == '"' || *s == '\'' || (*s == '\\' && s[1] == '<')) {
			const char *e = skip_quoted(s);

			memcpy(o, s, (size_t)(e - s));
			o += e - s;
			s = e;
		} else if (s[0] == '/' && s[1] == '/') {
			while (*s && *s != '\n')
				s++;
			*o++ = ' ';
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");

			s = e ? e + 2 : s + strlen(s);
			*o++ = ' ';
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
	return out;
}

static int
push_arg(char ***v, int *n, int *cap, char *a)
{
	if (!a)
		return -ENOMEM;
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 8;
		char **nv = realloc(*v, (size_t)nc * sizeof(*nv));

		if (!nv) {
			free(a);
			return -ENOMEM;
		}
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = a;
	return 0;
}

/* Split a configuration string on top-level commas. Returns the count, or -ENOMEM. */
int
ck_args_split(const char *conf, char ***out)
{
	char *text = strip_comments(conf ? conf : "");
	char **v = NULL;
	int n = 0, cap = 0, depth = 0;
	const char *s, *start;

	*out = NULL;
	if (!text)
		return -ENOMEM;
	for (s = start = text;;) {
		if (*s == '"' || *s == '\'' || (*s == '\\' && s[1] == '<')) {
			s = skip_quoted(s);
			continue;
		}
		if (*s == '(' || *s == '[' || *s == '{')
			depth++;
		else if ((*s == ')' || *s == ']' || *s == '}') && depth > 0)
			depth--;
		if (*s == 0 || (*s == ',' && depth == 0)) {
			if (push_arg(&v, &n, &cap, trim_dup(start, s)) < 0) {
				ck_args_free(v, n);
				free(text);
				return -ENOMEM;
			}
			if (*s == 0)
				break;
			start = s + 1;
		}
		s++;
	}
	free(text);
	/* "" has no argument; a trailing empty argument is ignored. */
	if (n > 0 && v[n - 1][0] == 0) {
		free(v[--n]);
	}
	*out = v;
	return n;
}

/* Free what ck_args_split() or ck_args_words() returned; it cannot fail. */
void
ck_args_free(char **args, int n)
{
	for (int i = 0; i < n; i++)
		free(args[i]);
	free(args);
}

/* Split an argument into space-separated words. Returns the count, or -ENOMEM. */
int
ck_args_words(const char *arg, char ***out)
{
	char **v = NULL;
	int n = 0, cap = 0;
	const char *s = arg;

	*out = NULL;
	for (;;) {
		const char *b;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		b = s;
		while (*s && !isspace((unsigned char)*s)) {
			if (*s == '"' || *s == '\'' || (*s == '\\' && s[1] == '<'))
				s = skip_quoted(s);
			else
				s++;
		}
		if (push_arg(&v, &n, &cap, trim_dup(b, s)) < 0) {
			ck_args_free(v, n);
			return -ENOMEM;
		}
	}
	*out = v;
	return n;
}

/* Parse a boolean, as Click's BoolArg (lower case only). Returns 0 or -EINVAL. */
int
ck_parse_bool(const char *s, bool *v)
{
	static const char *const yes[] = { "1", "true", "yes", "t", "y" };
	static const char *const no[] = { "0", "false", "no", "f", "n" };

	for (size_t i = 0; i < 5; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*v = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*v = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* The value of digit @c in @base, or -1. */
static int
digit_val(int c, int base)
{
	int v = c >= '0' && c <= '9' ? c - '0'
		: c >= 'a' && c <= 'z' ? c - 'a' + 10
		: c >= 'A' && c <= 'Z' ? c - 'A' + 10 : -1;

	return v < base ? v : -1;
}

/* Parse an integer as Click's IntArg: an optional sign, then decimal, 0x
 * hex, 0b binary or octal after a 0, a single '_' allowed between digits;
 * nothing before or after it. Returns 0 or -EINVAL (also out of range). */
int
ck_parse_int(const char *s, int64_t *v)
{
	uint64_t x = 0;
	bool neg = false;
	int base = 10;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2])
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B') && s[2])
		base = 2, s += 2;
	else if (s[0] == '0')
		base = 8;
	if (digit_val((unsigned char)*s, base) < 0)
		return -EINVAL;
	for (; *s; s++) {
		int d = digit_val((unsigned char)*s, base);

		if (*s == '_' && digit_val((unsigned char)s[1], base) >= 0 &&
		    digit_val((unsigned char)s[-1], base) >= 0)
			continue;
		if (d < 0 || x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -EINVAL;
		x = x * (uint64_t)base + (uint64_t)d;
	}
	if (x > (uint64_t)INT64_MAX + neg)
		return -EINVAL;
	*v = neg ? (int64_t)(0 - x) : (int64_t)x;
	return 0;
}

/* A UDP port: a number 0..65535 or a name, as Click's IPPortArg. Returns 0 or -EINVAL. */
int
ck_parse_udp_port(const char *s, int64_t *port)
{
	const struct servent *sv;
	int n;

	if (ck_parse_int(s, port) == 0)
		return *port >= 0 && *port <= 65535 ? 0 : -EINVAL;
	if ((n = nl_port_by_name(s)) >= 0) {
		*port = n;
		return 0;
	}
	sv = getservbyname(s, "udp");
	if (!sv)
		return -EINVAL;
	*port = ntohs((uint16_t)sv->s_port);
	return 0;
}

/* Parse a real number. Returns 0 or -EINVAL. */
int
ck_parse_real(const char *s, double *v)
{
	char *end;

	if (!*s)
		return -EINVAL;
	*v = strtod(s, &end);
	return *end || isnan(*v) ? -EINVAL : 0;
}

/* Parse a time with an optional unit into seconds, as Click's: a decimal
 * number (a fraction and an exponent allowed; no hex, inf or nan), blanks
 * allowed before the unit, at most 2^32 - 1 seconds (Click's limit; the
 * router clock's nanoseconds then cannot overflow). Returns 0 or -EINVAL. */
int
ck_parse_time(const char *s, double *sec)
{
	static const struct {
		const char *u;
		double f;
	} units[] = {
		{ "", 1 }, { "s", 1 }, { "sec", 1 }, { "ms", 1e-3 }, { "msec", 1e-3 },
		{ "us", 1e-6 }, { "usec", 1e-6 }, { "ns", 1e-9 }, { "nsec", 1e-9 },
		{ "m", 60 }, { "min", 60 }, { "h", 3600 }, { "hr", 3600 },
		{ "d", 86400 }, { "day", 86400 },
	};
	char *end;
	double x;

	if (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1])))
		return -EINVAL;
	x = strtod(s, &end);
	for (const char *c = s; c < end; c++)
		if (!isdigit((unsigned char)*c) && *c != '.' && *c != 'e' && *c != 'E' &&
		    *c != '+' && *c != '-')
			return -EINVAL; /* a hex number */
	if (end == s || !isfinite(x))
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].u) == 0) {
			*sec = x * units[i].f;
			return *sec > 4294967295.0 ? -EINVAL : 0;
		}
	}
	return -EINVAL;
}

/* Parse a bandwidth into bytes per second, as Click's BandwidthArg: a
 * decimal number (no sign, hex, inf or nan), then either nothing (bytes per
 * second) or blanks allowed, an optional k, K, M or G and a unit: baud, bps
 * or b/s (bits per second), Bps or B/s. Returns 0 or -EINVAL. */
int
ck_parse_bandwidth(const char *s, double *bps)
{
	static const struct {
		const char *u;
		double f;
	} units[] = {
		{ "baud", 0.125 }, { "bps", 0.125 }, { "b/s", 0.125 }, { "Bps", 1 }, { "B/s", 1 },
	};
	size_t len = strlen(s), ul;
	double x, m = 1;
	char num[64], *end;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		ul = strlen(units[i].u);
		if (len >= ul && strcmp(s + len - ul, units[i].u) == 0) {
			len -= ul;
			m = units[i].f;
			if (len > 0 && strchr("kKMG", s[len - 1]))
				m *= s[len - 1] == 'G' ? 1e9 : s[len - 1] == 'M' ? 1e6 : 1e3, len--;
			while (len > 0 && isspace((unsigned char)s[len - 1]))
				len--;
			break;
		}
	}
	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len);
	num[len] = 0;
	if (!isdigit((unsigned char)num[0]) && !(num[0] == '.' && isdigit((unsigned char)num[1])))
		return -EINVAL;
	x = strtod(num, &end);
	if (*end || !isfinite(x) || strpbrk(num, "xX"))
		return -EINVAL;
	*bps = x * m;
	return 0;
}

/* Dotted quad with 1-4 parts; *@nparts says how many were given. */
static int
parse_quad(const char *s, uint32_t *ip, int *nparts)
{
	uint32_t v = 0;
	int n = 0;

	for (;;) {
		unsigned long x;
		char *end;

		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		x = strtoul(s, &end, 10);
		if (x > 255 || end - s > 3)
			return -EINVAL;
		v = v << 8 | (uint32_t)x;
		n++;
		s = end;
		if (*s == 0)
			break;
		if (*s != '.' || n == 4)
			return -EINVAL;
		s++;
	}
	*ip = v << (8 * (4 - n));
	*nparts = n;
	return 0;
}

/* Parse an IPv4 address or name. Returns 0 or -EINVAL. */
int
ck_parse_ip(const struct ck_router *r, const char *s, uint32_t *ip)
{
	uint32_t v, mask;
	int n;
	char name[128];
	size_t l = strlen(s);

	if (parse_quad(s, &v, &n) == 0 && n == 4) {
		*ip = htonl(v);
		return 0;
	}
	if (l >= 3 && l < sizeof(name) && strcmp(s + l - 3, ":ip") == 0) {
		memcpy(name, s, l - 3);
		name[l - 3] = 0;
		s = name;
	}
	/* NAME:bcast: the broadcast address of NAME's prefix, as Click's */
	if (l > 6 && l < sizeof(name) && strcmp(s + l - 6, ":bcast") == 0) {
		memcpy(name, s, l - 6);
		name[l - 6] = 0;
		if (r && ck_addr_lookup(r, name, 'p', (uint8_t *)&v, &mask) == 0 &&
		    mask != 0xffffffffu) {
			*ip = v | ~mask;
			return 0;
		}
		return -EINVAL;
	}
	if (r && ck_addr_lookup(r, s, 'i', (uint8_t *)ip, &mask) == 0)
		return 0;
	return -EINVAL;
}

/* Parse a prefix. Returns 0 or -EINVAL. */
int
ck_parse_prefix(const struct ck_router *r, const char *s, uint32_t *ip, uint32_t *mask,
		bool allow_host)
{
	const char *slash = strchr(s, '/');
	char addr[64], name[128];
	uint32_t v, m;
	int n;
	size_t l = strlen(s);

	if (!slash) {
		if (l > 6 && l < sizeof(name) && strcmp(s + l - 6, ":ipnet") == 0) {
			memcpy(name, s, l - 6);
			name[l - 6] = 0;
			if (r && ck_addr_lookup(r, name, 'p', (uint8_t *)ip, mask) == 0)
				return 0;
			return -EINVAL;
		}
		/* as Click: where a bare address is welcome, a name is its address
		 * (a /32; NAME:bcast too); else, or when it has none, its prefix */
		if (allow_host && ck_parse_ip(r, s, ip) == 0) {
			*mask = 0xffffffffu;
			return 0;
		}
		if (r && ck_addr_lookup(r, s, 'p', (uint8_t *)ip, mask) == 0 &&
		    *mask != 0xffffffffu) {
			*ip &= *mask;
			return 0;
		}
		return -EINVAL;
	}
	if ((size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = 0;
	if (parse_quad(addr, &v, &n) < 0) {
		if (ck_parse_ip(r, addr, &v) < 0)
			return -EINVAL;
		v = ntohl(v);
	}
	if (strchr(slash + 1, '.')) {
		if (parse_quad(slash + 1, &m, &n) < 0 || n != 4)
			return -EINVAL;
	} else {
		char *end;
		unsigned long len = strtoul(slash + 1, &end, 10);

		if (*end || end == slash + 1 || len > 32)
			return -EINVAL;
		m = len ? 0xffffffffu << (32 - len) : 0;
	}
	*ip = htonl(v);
	*mask = htonl(m);
	return 0;
}

/* Parse an Ethernet address or name. Returns 0 or -EINVAL. */
int
ck_parse_eth(const struct ck_router *r, const char *s, uint8_t mac[6])
{
	char name[128];
	size_t l = strlen(s);
	const char *p = s;
	uint32_t mask;

	for (int i = 0; i < 6; i++) {
		char *end;
		unsigned long x;

		if (!isxdigit((unsigned char)*p))
			goto name;
		x = strtoul(p, &end, 16);
		if (x > 255 || end - p > 2)
			goto name;
		mac[i] = (uint8_t)x;
		p = end;
		if (i < 5) {
			if (*p != ':' && *p != '-')
				goto name;
			p++;
		}
	}
	if (*p == 0)
		return 0;
name:
	if (l >= 4 && l < sizeof(name) && strcmp(s + l - 4, ":eth") == 0) {
		memcpy(name, s, l - 4);
		name[l - 4] = 0;
		s = name;
	}
	if (r && ck_addr_lookup(r, s, 'e', mac, &mask) == 0)
		return 0;
	return -EINVAL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse a string or data value. Returns 0, -EINVAL or -ENOMEM. */
int
ck_parse_string(const char *s, char **out, size_t *len)
{
	char *o = malloc(strlen(s) + 1);
	size_t n = 0;

	if (!o)
		return -ENOMEM;
	while (*s) {
		if (*s == '\\' && s[1] == '<') {
			int hi = -1;

			for (s += 2; *s && *s != '>'; s++) {
				int v = hexval((unsigned char)*s);

				if (hex_comment(s) != s) {
					s = hex_comment(s) - 1;
					continue;
				}
				if (isspace((unsigned char)*s))
					continue;
				if (v < 0)
					goto bad;
				if (hi < 0) {
					hi = v;
				} else {
					o[n++] = (char)(hi << 4 | v);
					hi = -1;
				}
			}
			if (*s != '>' || hi >= 0)
				goto bad;
			s++;
		} else if (*s == '\'') {
			for (s++; *s && *s != '\''; s++)
				o[n++] = *s;
			if (!*s)
				goto bad;
			s++;
		} else if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s != '\\' || !s[1]) {
					o[n++] = *s;
					continue;
				}
				s++;
				switch (*s) {
				case 'n': o[n++] = '\n'; break;
				case 't': o[n++] = '\t'; break;
				case 'r': o[n++] = '\r'; break;
				case 'a': o[n++] = '\a'; break;
				case 'x': {
					int v = 0, k = 0;

					while (k < 2 && hexval((unsigned char)s[1]) >= 0)
						v = v * 16 + hexval((unsigned char)*++s), k++;
					o[n++] = (char)v;
					break;
				}
				case '<': {
					/* \<hex> inside double quotes */
					int hi = -1;

					for (s++; *s && *s != '>'; s++) {
						int v = hexval((unsigned char)*s);

						if (hex_comment(s) != s) {
							s = hex_comment(s) - 1;
							continue;
						}
						if (v < 0)
							continue;
						if (hi < 0)
							hi = v;
						else
							o[n++] = (char)(hi << 4 | v), hi = -1;
					}
					if (!*s)
						goto bad;
					break;
				}
				default:
					if (*s >= '0' && *s <= '7') {
						int v = *s - '0', k = 1;

						while (k < 3 && s[1] >= '0' && s[1] <= '7')
							v = v * 8 + (*++s - '0'), k++;
						o[n++] = (char)v;
					} else {
						o[n++] = *s;
					}
				}
			}
			if (!*s)
				goto bad;
			s++;
		} else {
			o[n++] = *s++;
		}
	}
	o[n] = 0;
	*out = o;
	*len = n;
	return 0;
bad:
	free(o);
	return -EINVAL;
}

/* Format an IPv4 address. Returns @buf. */
char *
ck_ip_str(uint32_t ip, char *buf)
{
	const uint8_t *b = (const uint8_t *)&ip;

	snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}

/* Parse one value of @type. Returns 0 or -EINVAL. */
int
ck_parse_value(const struct ck_router *r, enum ck_argtype type, const char *s, void *dst)
{
	switch (type) {
	case CK_A_BOOL:
		return ck_parse_bool(s, dst);
	case CK_A_INT:
		return ck_parse_int(s, dst);
	case CK_A_UDPPORT:
		return ck_parse_udp_port(s, dst);
	case CK_A_REAL:
		return ck_parse_real(s, dst);
	case CK_A_TIME:
		return ck_parse_time(s, dst);
	case CK_A_BW:
		return ck_parse_bandwidth(s, dst);
	case CK_A_IP:
		return ck_parse_ip(r, s, dst);
	case CK_A_PREFIX:
		return ck_parse_prefix(r, s, (uint32_t *)dst, (uint32_t *)dst + 1, true);
	case CK_A_ETH:
		return ck_parse_eth(r, s, dst);
	case CK_A_STRING: {
		struct ck_bytes *b = dst;
		char *v;
		size_t l;

		if (ck_parse_string(s, &v, &l) < 0)
			return -EINVAL;
		free(b->p);
		b->p = v;
		b->len = l;
		return 0;
	}
	case CK_A_WORD: {
		struct ck_bytes *b = dst;
		char *v = strdup(s);

		if (!v)
			return -EINVAL;
		free(b->p);
		b->p = v;
		b->len = strlen(v);
		return 0;
	}
	}
	return -EINVAL;
}

static const char *const type_names[] = {
	"boolean", "integer", "real number", "time", "bandwidth", "IP address",
	"IP prefix", "Ethernet address", "string", "word", "port number",
};

static bool
is_keyword_word(const char *w)
{
	if (!*w)
		return false;
	for (; *w; w++)
		if (!isupper((unsigned char)*w) && !isdigit((unsigned char)*w) && *w != '_')
			return false;
	return true;
}

/* Match @e's arguments against @d. Returns 0 or -EINVAL after ck_error(). */
int
ck_args_parse(struct ck_element *e, const struct ck_argdesc *d, unsigned int n)
{
	char **args;
	int na = ck_args_split(e->config, &args), rc = 0;
	unsigned int pos = 0;
	bool seen[64] = { false };

	if (na < 0)
		return ck_error(e, "out of memory");
	if (n > 64)
		n = 64;
	for (int i = 0; i < na && rc == 0; i++) {
		const char *a = args[i], *val = NULL;
		int k = -1;
		size_t wl = strcspn(a, " \t\r\n");
		char kw[64];

		if (wl < sizeof(kw)) {
			memcpy(kw, a, wl);
			kw[wl] = 0;
			/* as Click's, a keyword alone (no value) is positional */
			if (is_keyword_word(kw) && a[wl]) {
				for (unsigned int j = 0; j < n; j++)
					if (strcmp(d[j].kw, kw) == 0)
						k = (int)j;
			}
		}
		if (k >= 0) {
			val = a + wl;
			while (isspace((unsigned char)*val))
				val++;
		} else {
			while (pos < n && !(d[pos].flags & CK_POS))
				pos++;
			if (pos >= n) {
				if (wl < sizeof(kw) && is_keyword_word(kw) && a[wl])
					rc = ck_error(e, "%s: unknown argument", kw); /* Click's words */
				else
					rc = ck_error(e, "too many arguments");
				break;
			}
			k = (int)pos++;
			val = a;
		}
		seen[k] = true; /* a repeated keyword: the last value counts, as in Click */
		if (ck_parse_value(e->r, d[k].type, val, d[k].dst) < 0)
			rc = ck_error(e, "%s: expected %s, got '%s'", d[k].kw, type_names[d[k].type],
				      val);
		else if (d[k].given)
			*d[k].given = true;
	}
	for (unsigned int j = 0; j < n && rc == 0; j++)
		if ((d[j].flags & CK_MAND) && !seen[j])
			rc = ck_error(e, "missing mandatory %s argument", d[j].kw);
	ck_args_free(args, na);
	return rc;
}
