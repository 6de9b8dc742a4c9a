/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_args.h — Click's configuration-string values (CLICK-SCOPE §a.2 rule 15).
 *
 * A configuration string is split into arguments on top-level commas
 * (quotes, parentheses and \<hex> blocks protect commas); an argument is
 * split into words on spaces. An argument whose first word is one of the
 * element's KEYWORDS is a keyword argument; the others fill the positional
 * slots in order. Every parser returns 0 or -EINVAL.
 */
#ifndef CK_ARGS_H
#define CK_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ck_element;
struct ck_router;

/* Split @conf into arguments (trimmed, comments removed, a trailing empty
 * argument dropped). Returns the count and a malloc'ed array in *@out (free
 * with ck_args_free()), or -ENOMEM. */
int ck_args_split(const char *conf, char ***out);
void ck_args_free(char **args, int n);

/* Split @arg into words (quotes keep their spaces). Same return as ck_args_split(). */
int ck_args_words(const char *arg, char ***out);

int ck_parse_bool(const char *s, bool *v);
int ck_parse_int(const char *s, int64_t *v);
int ck_parse_real(const char *s, double *v);
/* A time ("1.5", "10ms", "2min") in seconds. */
int ck_parse_time(const char *s, double *sec);
/* A bandwidth ("10Mbps", "1 kB/s", bare number = bytes/s) in bytes per second. */
int ck_parse_bandwidth(const char *s, double *bytes_per_sec);
/* An IPv4 address or AddressInfo name, network order. */
int ck_parse_ip(const struct ck_router *r, const char *s, uint32_t *ip);
/* A prefix "a.b.c.d/len", "a.b.c.d/m.a.s.k", "18.26.4/24" or a name; with
 * @allow_host a bare address is a /32. Network order. */
int ck_parse_prefix(const struct ck_router *r, const char *s, uint32_t *ip, uint32_t *mask,
		    bool allow_host);
/* An Ethernet address "x:x:x:x:x:x" / "x-x-x-x-x-x" or a name. */
int ck_parse_eth(const struct ck_router *r, const char *s, uint8_t mac[6]);
/* A UDP port, as Click's IPPortArg: a number 0..65535, or a name from the
 * filter language's list (nl_port_by_name: "domain", "www", ...) or the
 * system's services database ("http"). Returns 0 or -EINVAL. */
int ck_parse_udp_port(const char *s, int64_t *port);
/* A string or data value: quotes removed, C escapes in double quotes,
 * \<hex> data, juxtaposed parts concatenated. Stores a malloc'ed,
 * NUL-terminated buffer and its length (data may hold NULs). */
int ck_parse_string(const char *s, char **out, size_t *len);

enum ck_argtype {
	CK_A_BOOL,   /* bool */
	CK_A_INT,    /* int64_t */
	CK_A_REAL,   /* double */
	CK_A_TIME,   /* double, seconds */
	CK_A_BW,     /* double, bytes per second */
	CK_A_IP,     /* uint32_t, network order */
	CK_A_PREFIX, /* uint32_t[2]: address, mask (network order) */
	CK_A_ETH,    /* uint8_t[6] */
	CK_A_STRING, /* struct ck_bytes (malloc'ed; free the old value first) */
	CK_A_WORD,   /* struct ck_bytes: the argument as written, unparsed */
	CK_A_UDPPORT, /* int64_t: a UDP port, 0..65535 or a name (ck_parse_udp_port) */
};

struct ck_bytes {
	char *p;
	size_t len;
};

#define CK_POS 1   /* may be given positionally, in table order */
#define CK_MAND 2  /* must be given */

struct ck_argdesc {
	const char *kw;        /* KEYWORD (also names the value in messages) */
	enum ck_argtype type;
	void *dst;
	unsigned int flags;
	bool *given;           /* set when the argument was present; may be NULL */
};

/* Parse @e's configuration string against @d (@n entries). Returns 0, or
 * -EINVAL after ck_error() naming the argument. */
int ck_args_parse(struct ck_element *e, const struct ck_argdesc *d, unsigned int n);

/* Parse one value of @type from @s into @dst. Returns 0 or -EINVAL. */
int ck_parse_value(const struct ck_router *r, enum ck_argtype type, const char *s, void *dst);

/* Format an IPv4 address (network order) into @buf (16 bytes); returns @buf. */
char *ck_ip_str(uint32_t ip, char *buf);

#endif /* CK_ARGS_H */
