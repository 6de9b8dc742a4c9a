/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_click_elements.c — netvm-click's elements, offline. Every expected
 * output below is written from the element's documentation (CLICK-SCOPE
 * §b/§e, Click's element pages), not produced by this code.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ck_args.h"
#include "ck_graph.h"
#include "ck_rt.h"
#include "click_test.h"

/* ---- argument values ---- */

static void
test_print_format(void **state)
{
	struct tg t;
	struct run x;
	uint32_t s, p1, p2, p3, d;

	(void)state;
	tg_init(&t);
	s = tg_add(&t, "s", "InfiniteSource", "\\<01 02 03 04 05 06>, 2, STOP true", "", "h");
	p1 = tg_add(&t, "p1", "Print", "ok", "h", "h");
	p2 = tg_add(&t, "p2", "Print", "x, 4", "h", "h");
	p3 = tg_add(&t, "p3", "Print", "", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, s, 0, p1, 0);
	tg_conn(&t, p1, 0, p2, 0);
	tg_conn(&t, p2, 0, p3, 0);
	tg_conn(&t, p3, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	assert_string_equal(chat(&x),
			    "ok:    6 | 01020304 0506\n"
			    "x:    6 | 01020304\n"
			    "   6 | 01020304 0506\n"
			    "ok:    6 | 01020304 0506\n"
			    "x:    6 | 01020304\n"
			    "   6 | 01020304 0506\n");
	assert_int_equal(hread(&x, "d.count"), 2);
	finish(&x);
}

static void
test_print_empty_label(void **state)
{
	struct tg t;
	struct run x;
	uint32_t s, p, d;

	(void)state;
	tg_init(&t);
	s = tg_add(&t, "s", "InfiniteSource", "DATA \"\", LIMIT 1, STOP true", "", "h");
	p = tg_add(&t, "p", "Print", "\"A B C\"", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, s, 0, p, 0);
	tg_conn(&t, p, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	assert_string_equal(chat(&x), "A B C:    0\n");
	finish(&x);
}

/* A keyword with no value after it is a positional argument, as Click's:
 * Print(ACTIVE) is labelled ACTIVE. */
static void
test_print_keyword_label(void **state)
{
	struct tg t;
	struct run x;
	uint32_t s, p, d;

	(void)state;
	tg_init(&t);
	s = tg_add(&t, "s", "InfiniteSource", "DATA \"\", LIMIT 1, STOP true", "", "h");
	p = tg_add(&t, "p", "Print", "ACTIVE", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, s, 0, p, 0);
	tg_conn(&t, p, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	assert_string_equal(chat(&x), "ACTIVE:    0\n");
	finish(&x);
}

/* Print's HEADROOM is a boolean, as Click's (accepted, nothing printed). */
static void
test_print_headroom_bool(void **state)
{
	struct tg t;
	struct run x;

	(void)state;
	tg_init(&t);
	tg_add(&t, "p", "Print", "x, HEADROOM true", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, 0, 0, 1, 0);
	assert_int_equal(start(&x, &t), 0);
	finish(&x);
}

/* MAXLENGTH -1 prints every byte, and a label longer than any line buffer
 * is printed whole, as Click's (its line grows as needed). */
static void
test_print_long(void **state)
{
	struct tg t;
	struct run x;
	uint32_t p, d;
	static uint8_t pkt[1500];
	char label[6001], conf[6100];
	const char *c;
	size_t want;

	(void)state;
	memset(label, 'L', sizeof(label) - 1);
	label[sizeof(label) - 1] = 0;
	snprintf(conf, sizeof(conf), "%s, -1", label);
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
	tg_init(&t);
	p = tg_add(&t, "p", "Print", conf, "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, p, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "p", pkt, sizeof(pkt));
	c = chat(&x);
	/* LABEL ": " "1500 | ", 1500 bytes in hex with a space between groups
	 * of 4 (374), a newline */
	want = 6000 + 2 + 7 + 3000 + 374 + 1;
	assert_int_equal(strlen(c), want);
	assert_int_equal(strncmp(c, label, 6000), 0);
	assert_int_equal(strncmp(c + 6000, ": 1500 | 00010203 04050607 ", 27), 0);
	assert_string_equal(c + want - 18, "d4d5d6d7 d8d9dadb\n");
	finish(&x);
}

/* As Click's, only a pull Discard has the active handler. */
static void
test_discard_active_pull_only(void **state)
{
	struct tg t;
	struct run x;
	char *v;

	(void)state;
	for (int pull = 0; pull < 2; pull++) {
		tg_init(&t);
		if (pull) {
			tg_add(&t, "q", "Queue", "", "h", "l");
			tg_add(&t, "d", "Discard", "", "l", "");
		} else {
			tg_add(&t, "q", "Null", "", "h", "h");
			tg_add(&t, "d", "Discard", "", "h", "");
		}
		tg_conn(&t, 0, 0, 1, 0);
		assert_int_equal(start(&x, &t), 0);
		v = ck_handler_read_str(x.r, "d.handlers");
		assert_non_null(v);
		assert_int_equal(strstr(v, "active\trw\n") != NULL, pull);
		free(v);
		assert_int_equal(ck_handler_write(x.r, "d.active", "false", NULL) == 0, pull);
		finish(&x);
	}
}

static void
test_tee_clones(void **state)
{
	struct tg t;
	struct run x;
	uint32_t tee, p0, p1, e0, d0, d1;
	const uint8_t two[2] = { 0xab, 0xcd };

	(void)state;
	tg_init(&t);
	tee = tg_add(&t, "t", "Tee", "2", "h", "hh");
	p0 = tg_add(&t, "p0", "Print", "zero", "h", "h");
	e0 = tg_add(&t, "e0", "EtherMirror", "", "h", "h");
	p1 = tg_add(&t, "p1", "Print", "one", "h", "h");
	d0 = tg_add(&t, "d0", "Discard", "", "h", "");
	d1 = tg_add(&t, "d1", "Discard", "", "h", "");
	tg_conn(&t, tee, 0, p0, 0);
	tg_conn(&t, p0, 0, e0, 0);
	tg_conn(&t, e0, 0, d0, 0);
	tg_conn(&t, tee, 1, p1, 0);
	tg_conn(&t, p1, 0, d1, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "t", two, 2);
	/* the copy goes to output 0 first, then the original to output 1 */
	assert_string_equal(chat(&x), "zero:    2 | abcd\none:    2 | abcd\n");
	assert_int_equal(hread(&x, "d0.count"), 1);
	assert_int_equal(hread(&x, "d1.count"), 1);
	finish(&x);
}

static void
test_classifier(void **state)
{
	struct tg t;
	struct run x;
	uint32_t c;
	uint8_t ip[20] = { 0 }, arp[22] = { 0 }, arpreply[22] = { 0 }, other[4] = { 0 };

	(void)state;
	tg_init(&t);
	c = tg_add(&t, "c", "Classifier", "12/0800, 12/0806 20/0001, 12/08?6 !20/0001, -", "h",
		   "hhhh");
	for (uint32_t i = 0; i < 4; i++) {
		static const char *names[] = { "n0", "n1", "n2", "n3" };

		tg_add(&t, names[i], "Counter", "", "h", "h");
		tg_conn(&t, c, i, 1 + 2 * i, 0);
		tg_add(&t, "x", "Discard", "", "h", "");
		tg_conn(&t, 1 + 2 * i, 0, 2 + 2 * i, 0);
	}
	assert_int_equal(start(&x, &t), 0);
	ip[12] = 0x08;
	arp[12] = 0x08, arp[13] = 0x06, arp[21] = 0x01;
	arpreply[12] = 0x08, arpreply[13] = 0x06, arpreply[21] = 0x02;
	inject(&x, "c", ip, sizeof(ip));
	inject(&x, "c", arp, sizeof(arp));
	inject(&x, "c", arpreply, sizeof(arpreply));
	inject(&x, "c", arpreply, sizeof(arpreply));
	inject(&x, "c", other, sizeof(other)); /* too short for offset 12: "-" */
	assert_int_equal(hread(&x, "n0.count"), 1);
	assert_int_equal(hread(&x, "n1.count"), 1);
	assert_int_equal(hread(&x, "n2.count"), 2);
	assert_int_equal(hread(&x, "n3.count"), 1);
	finish(&x);
}

static void
test_decipttl_checksum(void **state)
{
	struct tg t;
	struct run x;
	uint32_t m, dec, p, d, bad;
	uint8_t pkt[40];

	(void)state;
	tg_init(&t);
	m = tg_add(&t, "m", "CheckIPHeader", "", "h", "h");
	dec = tg_add(&t, "dec", "DecIPTTL", "", "h", "hh");
	p = tg_add(&t, "p", "Print", "MAXLENGTH 12", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	bad = tg_add(&t, "expired", "Counter", "", "h", "h");
	tg_conn(&t, m, 0, dec, 0);
	tg_conn(&t, dec, 0, p, 0);
	tg_conn(&t, p, 0, d, 0);
	tg_conn(&t, dec, 1, bad, 0);
	tg_add(&t, "d2", "Discard", "", "h", "");
	tg_conn(&t, bad, 0, 5, 0);
	assert_int_equal(start(&x, &t), 0);
	memcpy(pkt, udp40, 40);
	inject(&x, "m", pkt, 40);
	/* TTL 0x40 → 0x3f; checksum 0x66c3 → 0x67c3 (RFC 1624, by hand) */
	assert_string_equal(chat(&x), "  40 | 45000028 00000000 3f1167c3\n");
	/* TTL 1 with its checksum (0xa5c3, by hand): output 1 */
	pkt[8] = 0x01;
	pkt[10] = 0xa5;
	pkt[11] = 0xc3;
	inject(&x, "m", pkt, 40);
	assert_int_equal(hread(&x, "expired.count"), 1);
	assert_int_equal(hread(&x, "d.count"), 1);
	finish(&x);
}

static void
test_checkipheader_bad(void **state)
{
	struct tg t;
	struct run x;
	uint32_t c, g, b;
	uint8_t pkt[44];

	(void)state;
	tg_init(&t);
	c = tg_add(&t, "chk", "CheckIPHeader", "", "h", "hh");
	g = tg_add(&t, "good", "Discard", "", "h", "");
	b = tg_add(&t, "bad", "Discard", "", "h", "");
	tg_conn(&t, c, 0, g, 0);
	tg_conn(&t, c, 1, b, 0);
	assert_int_equal(start(&x, &t), 0);
	memcpy(pkt, udp40, 40);
	memset(pkt + 40, 0xee, 4); /* 4 trailing bytes: cut to the IP length */
	inject(&x, "chk", pkt, 44);
	pkt[11] ^= 1;
	inject(&x, "chk", pkt, 44);
	pkt[11] ^= 1;
	pkt[0] = 0x65;
	inject(&x, "chk", pkt, 44);
	assert_int_equal(hread(&x, "good.count"), 1);
	assert_int_equal(hread(&x, "bad.count"), 2);
	assert_int_equal(hread(&x, "chk.drops"), 2);
	fflush(x.errf);
	assert_non_null(strstr(x.err, "chk: IP header check failed: bad IP checksum"));
	assert_null(strstr(x.err, "bad IP version")); /* said once, not VERBOSE */
	finish(&x);
}

static void
test_encap_strip(void **state)
{
	struct tg t;
	struct run x;
	uint32_t e, p, s, u, p2, d;
	const uint8_t two[2] = { 0xab, 0xcd };

	(void)state;
	tg_init(&t);
	e = tg_add(&t, "e", "EtherEncap", "0x0800, 1:2:3:4:5:6, 0a:0b:0c:0d:0e:0f", "h", "h");
	p = tg_add(&t, "p", "Print", "", "h", "h");
	s = tg_add(&t, "s", "Strip", "14", "h", "h");
	u = tg_add(&t, "u", "Unstrip", "2", "h", "h");
	p2 = tg_add(&t, "p2", "Print", "", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, e, 0, p, 0);
	tg_conn(&t, p, 0, s, 0);
	tg_conn(&t, s, 0, u, 0);
	tg_conn(&t, u, 0, p2, 0);
	tg_conn(&t, p2, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "e", two, 2);
	assert_string_equal(chat(&x), "  16 | 0a0b0c0d 0e0f0102 03040506 0800abcd\n"
				      "   4 | 0800abcd\n");
	finish(&x);
}

static void
test_paint_switch(void **state)
{
	struct tg t;
	struct run x;
	uint32_t pt, ps, sw;
	uint8_t b = 0;

	(void)state;
	tg_init(&t);
	pt = tg_add(&t, "pt", "Paint", "2", "h", "h");
	ps = tg_add(&t, "ps", "PaintSwitch", "", "h", "hhh");
	for (int i = 0; i < 3; i++)
		tg_add(&t, i == 0 ? "o0" : i == 1 ? "o1" : "o2", "Discard", "", "h", "");
	tg_conn(&t, pt, 0, ps, 0);
	for (uint32_t i = 0; i < 3; i++)
		tg_conn(&t, ps, i, 2 + i, 0);
	sw = tg_add(&t, "sw", "Switch", "1", "h", "hh");
	tg_add(&t, "s0", "Discard", "", "h", "");
	tg_add(&t, "s1", "Discard", "", "h", "");
	tg_conn(&t, sw, 0, sw + 1, 0);
	tg_conn(&t, sw, 1, sw + 2, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "pt", &b, 1);
	assert_int_equal(hread(&x, "o2.count"), 1);
	assert_int_equal(hread(&x, "o0.count") + hread(&x, "o1.count"), 0);
	assert_int_equal(ck_handler_write(x.r, "pt.color", "255", NULL), 0);
	inject(&x, "pt", &b, 1); /* 255: every output */
	assert_int_equal(hread(&x, "o0.count"), 1);
	assert_int_equal(hread(&x, "o1.count"), 1);
	assert_int_equal(hread(&x, "o2.count"), 2);
	assert_int_equal(hread(&x, "ps.drops"), 0);
	assert_int_equal(ck_handler_write(x.r, "pt.color", "7", NULL), 0);
	inject(&x, "pt", &b, 1); /* no output 7: dropped, counted */
	assert_int_equal(hread(&x, "ps.drops"), 1);
	assert_int_equal(hread(&x, "o0.count") + hread(&x, "o1.count"), 2);
	assert_int_equal(hread(&x, "o2.count"), 2);
	inject(&x, "sw", &b, 1);
	assert_int_equal(hread(&x, "s1.count"), 1);
	assert_int_equal(ck_handler_write(x.r, "sw.switch", "0", NULL), 0);
	assert_int_equal(hread(&x, "sw.switch"), 0);
	inject(&x, "sw", &b, 1);
	assert_int_equal(hread(&x, "s0.count"), 1);
	assert_int_equal(ck_handler_write(x.r, "sw.nosuch", "0", NULL), -ENOENT);
	finish(&x);
}

static void
test_ipclassifier_ipfilter(void **state)
{
	struct tg t;
	struct run x;
	uint32_t m, c, f;
	uint8_t pkt[40];

	(void)state;
	tg_init(&t);
	m = tg_add(&t, "m", "MarkIPHeader", "", "h", "h");
	c = tg_add(&t, "c", "IPClassifier", "tcp, udp port 53, -", "h", "hhh");
	tg_add(&t, "tcp", "Discard", "", "h", "");
	tg_add(&t, "dns", "Discard", "", "h", "");
	tg_add(&t, "rest", "Discard", "", "h", "");
	tg_conn(&t, m, 0, c, 0);
	for (uint32_t i = 0; i < 3; i++)
		tg_conn(&t, c, i, c + 1 + i, 0);
	f = tg_add(&t, "f", "IPFilter", "deny src 10.0.0.9, allow udp", "h", "h");
	tg_add(&t, "allowed", "Discard", "", "h", "");
	tg_conn(&t, f, 0, f + 1, 0);
	tg_add(&t, "m2", "MarkIPHeader", "", "h", "h");
	tg_conn(&t, f + 2, 0, f, 0);
	assert_int_equal(start(&x, &t), 0);
	memcpy(pkt, udp40, 40);
	inject(&x, "m", pkt, 40);
	pkt[9] = 6;
	inject(&x, "m", pkt, 40);
	pkt[9] = 1;
	inject(&x, "m", pkt, 40);
	assert_int_equal(hread(&x, "tcp.count"), 1);
	assert_int_equal(hread(&x, "dns.count"), 1);
	assert_int_equal(hread(&x, "rest.count"), 1);
	memcpy(pkt, udp40, 40);
	inject(&x, "m2", pkt, 40);
	pkt[15] = 9; /* src 10.0.0.9: denied */
	inject(&x, "m2", pkt, 40);
	pkt[15] = 1;
	pkt[9] = 6;  /* tcp: no rule matches: dropped */
	inject(&x, "m2", pkt, 40);
	assert_int_equal(hread(&x, "allowed.count"), 1);
	assert_int_equal(hread(&x, "f.drops"), 2);
	finish(&x);
}

static void
test_iplookup(void **state)
{
	struct tg t;
	struct run x;
	uint32_t s, l;
	struct ck_element *q;
	struct ck_pkt *p;
	uint8_t b = 0;

	(void)state;
	tg_init(&t);
	s = tg_add(&t, "s", "SetIPAddress", "10.1.2.3", "h", "h");
	l = tg_add(&t, "l", "StaticIPLookup",
		   "10.0.0.0/8 1, 10.1.0.0/16 10.1.0.254 2, 0.0.0.0/0 0", "h", "hhh");
	tg_add(&t, "q0", "Queue", "", "h", "l");
	tg_add(&t, "q1", "Queue", "", "h", "l");
	tg_add(&t, "q2", "Queue", "", "h", "l");
	tg_conn(&t, s, 0, l, 0);
	for (uint32_t i = 0; i < 3; i++) {
		tg_conn(&t, l, i, l + 1 + i, 0);
		tg_add(&t, "idle", "Idle", "", "l", "");
		tg_conn(&t, l + 1 + i, 0, l + 4 + i, 0);
	}
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "s", &b, 1);
	assert_int_equal(hread(&x, "q2.length"), 1);
	q = ck_router_find(x.r, "q2");
	p = q->cls->pull(q, 0);
	assert_non_null(p);
	assert_memory_equal(&p->a.dst_ip, "\x0a\x01\x00\xfe", 4); /* the gateway */
	ck_pkt_kill(q, p);
	finish(&x);
}

static void
test_ipprint(void **state)
{
	struct tg t;
	struct run x;
	uint32_t ts, m, p, d;
	uint8_t pkt[40];

	(void)state;
	tg_init(&t);
	ts = tg_add(&t, "ts", "SetTimestamp", "1.5", "h", "h");
	m = tg_add(&t, "m", "MarkIPHeader", "", "h", "h");
	p = tg_add(&t, "p", "IPPrint", "lab", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, ts, 0, m, 0);
	tg_conn(&t, m, 0, p, 0);
	tg_conn(&t, p, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	memcpy(pkt, udp40, 40);
	inject(&x, "ts", pkt, 40);
	/* TCP SYN|ACK, seq 100, ack 7, header 20 bytes, no payload, window 512 */
	memset(pkt + 20, 0, 20);
	pkt[9] = 6;
	pkt[20] = 0x00, pkt[21] = 0x50, pkt[22] = 0x1f, pkt[23] = 0x90;
	pkt[27] = 100;
	pkt[31] = 7;
	pkt[32] = 0x50;
	pkt[33] = 0x12;
	pkt[34] = 0x02;
	inject(&x, "ts", pkt, 40);
	/* ICMP echo request id 3 seq 4 */
	memset(pkt + 20, 0, 20);
	pkt[9] = 1;
	pkt[20] = 8;
	pkt[25] = 3;
	pkt[27] = 4;
	inject(&x, "ts", pkt, 40);
	assert_string_equal(chat(&x),
			    "lab: 1.500000: 10.0.0.1.1234 > 10.0.0.2.53: udp 20\n"
			    "lab: 1.500000: 10.0.0.1.80 > 10.0.0.2.8080: S 100:101(1,40,40) ack 7 win 512\n"
			    /* as Click reads the identifier and sequence on a
			     * little-endian host: 00 03 is 768 */
			    "lab: 1.500000: 10.0.0.1 > 10.0.0.2: icmp echo (768, 1024)\n");
	finish(&x);
}


/* IPPrint's CONTENTS as Click's: a boolean (1, t, ...) or NONE, HEX, ASCII in
 * any case; PAYLOAD NO, FALSE, YES, TRUE, HEX or ASCII in any case. */
static void
test_ipprint_contents_words(void **state)
{
	static const struct {
		const char *conf;
		const char *err; /* NULL: taken */
	} cases[] = {
		{ "CONTENTS 1", NULL },
		{ "CONTENTS t", NULL },
		{ "CONTENTS Hex", NULL },
		{ "CONTENTS none", NULL },
		{ "CONTENTS FALSE",
		  "bad contents value 'FALSE'; should be 'NONE', 'HEX', or 'ASCII'" },
		{ "PAYLOAD No", NULL },
		{ "PAYLOAD ascii", NULL },
		{ "PAYLOAD none", "bad payload value 'NONE'; should be 'false', 'hex', or 'ascii'" },
		{ "PAYLOAD 1", "bad payload value '1'; should be 'false', 'hex', or 'ascii'" },
	};
	struct tg t;
	struct run x;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tg_init(&t);
		tg_add(&t, "p", "IPPrint", cases[i].conf, "h", "h");
		tg_add(&t, "d", "Discard", "", "h", "");
		tg_conn(&t, 0, 0, 1, 0);
		if (!cases[i].err) {
			assert_int_equal(start(&x, &t), 0);
			finish(&x);
			continue;
		}
		assert_int_equal(start(&x, &t), -1);
		assert_non_null(strstr(x.err, cases[i].err));
		fclose(x.chatf);
		fclose(x.errf);
		free(x.chat);
		free(x.err);
	}
}

/* IPPrint's AGGREGATE (before the paint, "#AGG.PAINT: "), NBYTES (Click's
 * older MAXLENGTH) and active handler (rw), as Click's. */
static void
test_ipprint_aggregate_active(void **state)
{
	struct tg t;
	struct run x;
	uint32_t m, pt, p, d;
	char *v;

	(void)state;
	tg_init(&t);
	m = tg_add(&t, "m", "MarkIPHeader", "", "h", "h");
	pt = tg_add(&t, "pt", "Paint", "3", "h", "h");
	p = tg_add(&t, "p", "IPPrint",
		   "TIMESTAMP false, AGGREGATE true, PAINT true, NBYTES 4, CONTENTS hex", "h",
		   "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, m, 0, pt, 0);
	tg_conn(&t, pt, 0, p, 0);
	tg_conn(&t, p, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "m", udp40, 40);
	assert_string_equal(chat(&x), "#0.3: 10.0.0.1.1234 > 10.0.0.2.53: udp 20\n  45000028\n");
	v = ck_handler_read_str(x.r, "p.active");
	assert_string_equal(v, "true\n");
	free(v);
	assert_int_equal(ck_handler_write(x.r, "p.active", "false", NULL), 0);
	inject(&x, "m", udp40, 40);
	assert_string_equal(chat(&x), "#0.3: 10.0.0.1.1234 > 10.0.0.2.53: udp 20\n  45000028\n");
	assert_int_equal(hread(&x, "d.count"), 2);
	finish(&x);
}

static void
test_truncate_rrswitch(void **state)
{
	struct tg t;
	struct run x;
	uint32_t tr, p, rr;
	const uint8_t four[4] = { 1, 2, 3, 4 };

	(void)state;
	tg_init(&t);
	tr = tg_add(&t, "tr", "Truncate", "3", "h", "h");
	p = tg_add(&t, "p", "Print", "", "h", "h");
	rr = tg_add(&t, "rr", "RoundRobinSwitch", "", "h", "hh");
	tg_add(&t, "a", "Discard", "", "h", "");
	tg_add(&t, "b", "Discard", "", "h", "");
	tg_conn(&t, tr, 0, p, 0);
	tg_conn(&t, p, 0, rr, 0);
	tg_conn(&t, rr, 0, rr + 1, 0);
	tg_conn(&t, rr, 1, rr + 2, 0);
	assert_int_equal(start(&x, &t), 0);
	for (int i = 0; i < 3; i++)
		inject(&x, "tr", four, 4);
	assert_string_equal(chat(&x), "   3 | 010203\n   3 | 010203\n   3 | 010203\n");
	assert_int_equal(hread(&x, "a.count"), 2);
	assert_int_equal(hread(&x, "b.count"), 1);
	finish(&x);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b = calloc(1, 65536);

	assert_non_null(f);
	assert_non_null(b);
	b[fread(b, 1, 65535, f)] = 0;
	fclose(f);
	return b;
}

static void
test_ipsumdump_roundtrip(void **state)
{
	struct tg t;
	struct run x;
	uint32_t s, d;
	char path[] = "/tmp/ck_tipsXXXXXX", conf[256], *out; /* a mkstemp(3) template */
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	tg_init(&t);
	s = tg_add(&t, "s", "FromIPSummaryDump",
		   "DATA \"!data ip_src ip_dst sport dport proto tcp_flags\\n"
		   "1.0.0.1 2.0.0.2 10 20 T S\\n"
		   "!proto U\\n"
		   "1.0.0.1 2.0.0.2 10 20 - -\\n\", STOP true", "", "h");
	snprintf(conf, sizeof(conf), "%s, FIELDS ip_src sport dport ip_proto tcp_flags ip_len ip_ttl",
		 path);
	d = tg_add(&t, "d", "ToIPSummaryDump", conf, "h", "");
	tg_conn(&t, s, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	assert_int_equal(hread(&x, "d.count"), 2);
	finish(&x);
	out = slurp(path);
	assert_string_equal(out, "!IPSummaryDump 1.3\n"
				 "!data ip_src sport dport ip_proto tcp_flags ip_len ip_ttl\n"
				 "1.0.0.1 10 20 T S 40 100\n"
				 "1.0.0.1 10 20 U - 28 100\n");
	free(out);
	unlink(path);
}

static void
test_pcap_roundtrip(void **state)
{
	struct tg t;
	struct run x;
	uint32_t s, p, d;
	char path[] = "/tmp/ck_pcapXXXXXX", conf[128]; /* a mkstemp(3) template */
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	tg_init(&t);
	s = tg_add(&t, "s", "FromIPSummaryDump",
		   "DATA \"!data timestamp ip_src ip_dst sport dport ip_proto payload_len\\n"
		   "1.000001 1.0.0.1 2.0.0.2 10 20 U 4\\n\", STOP true", "", "h");
	p = tg_add(&t, "p", "IPPrint", "", "h", "h");
	snprintf(conf, sizeof(conf), "%s, ENCAP IP", path);
	d = tg_add(&t, "d", "ToDump", conf, "h", "");
	tg_conn(&t, s, 0, p, 0);
	tg_conn(&t, p, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	assert_string_equal(chat(&x), "1.000001: 1.0.0.1.10 > 2.0.0.2.20: udp 12\n");
	finish(&x);

	tg_init(&t);
	snprintf(conf, sizeof(conf), "%s, STOP true", path);
	s = tg_add(&t, "s", "FromDump", conf, "", "h");
	p = tg_add(&t, "p", "Print", "TIMESTAMP true, MAXLENGTH 4", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, s, 0, p, 0);
	tg_conn(&t, p, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	ck_router_run(x.r);
	/* FromIPSummaryDump made the headers (28 bytes) and noted the 4 bytes
	 * of payload as extra length, as Click does: the file holds 28 bytes
	 * captured of a 32-byte packet */
	assert_string_equal(chat(&x), "1.000001:   28 | 45000020\n");
	finish(&x);
	unlink(path);
}

static void
test_arpresponder(void **state)
{
	struct tg t;
	struct run x;
	uint32_t a, p;
	uint8_t req[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0xaa, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0, 0, 0, 0, 0, 0xaa, 10, 0, 0, 9, 0, 0, 0, 0, 0, 0, 10, 0, 0, 5,
	};

	(void)state;
	tg_init(&t);
	a = tg_add(&t, "a", "ARPResponder", "10.0.0.0/24 1:2:3:4:5:6", "h", "hh");
	p = tg_add(&t, "p", "Print", "MAXLENGTH 42", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_add(&t, "other", "Discard", "", "h", "");
	tg_conn(&t, a, 0, p, 0);
	tg_conn(&t, p, 0, p + 1, 0);
	tg_conn(&t, a, 1, p + 2, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "a", req, 42);
	assert_string_equal(chat(&x), "  42 | 00000000 00aa0102 03040506 08060001 08000604 "
				      "00020102 03040506 0a000005 00000000 00aa0a00 0009\n");
	req[40] = 1; /* 10.0.1.5: not ours */
	inject(&x, "a", req, 42);
	assert_int_equal(hread(&x, "other.count"), 1);
	assert_int_equal(hread(&x, "a.replies"), 1);
	finish(&x);
}

static void
test_ipfragmenter(void **state)
{
	struct tg t;
	struct run x;
	uint32_t m, f, c, p;
	uint8_t pkt[40];

	(void)state;
	tg_init(&t);
	m = tg_add(&t, "m", "MarkIPHeader", "", "h", "h");
	f = tg_add(&t, "f", "IPFragmenter", "28", "h", "hh");
	c = tg_add(&t, "c", "CheckIPHeader", "", "h", "hh");
	p = tg_add(&t, "p", "IPPrint", "TIMESTAMP false", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_add(&t, "bad", "Discard", "", "h", "");
	tg_add(&t, "df", "Discard", "", "h", "");
	tg_conn(&t, m, 0, f, 0);
	tg_conn(&t, f, 0, c, 0);
	tg_conn(&t, c, 0, p, 0);
	tg_conn(&t, p, 0, p + 1, 0);
	tg_conn(&t, c, 1, p + 2, 0);
	tg_conn(&t, f, 1, p + 3, 0);
	assert_int_equal(start(&x, &t), 0);
	memcpy(pkt, udp40, 40);
	inject(&x, "m", pkt, 40);
	assert_string_equal(chat(&x), "10.0.0.1.1234 > 10.0.0.2.53: udp 20 (frag 0:8@0+)\n"
				      "10.0.0.1 > 10.0.0.2: udp (frag 0:8@8+)\n"
				      "10.0.0.1 > 10.0.0.2: udp (frag 0:4@16)\n");
	assert_int_equal(hread(&x, "bad.count"), 0);
	pkt[6] = 0x40; /* DF */
	inject(&x, "m", pkt, 40);
	assert_int_equal(hread(&x, "df.count"), 1);
	finish(&x);
}

/* A UDP fragment, written field by field: IPv4 header (ID @id, TTL 64,
 * 10.0.0.1 > 10.0.0.2, checksum left 0: IPReassembler does not read it),
 * fragment offset field @fo (flags included) and @n data bytes taken from
 * @data at byte offset (fo & 0x1fff) * 8. Returns the packet's length. */
static uint32_t
ipr_frag(uint8_t *buf, uint16_t id, uint16_t fo, const uint8_t *data, uint32_t n)
{
	uint32_t len = 20 + n;

	memset(buf, 0, 20);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(fo >> 8);
	buf[7] = (uint8_t)fo;
	buf[8] = 64;
	buf[9] = 17;
	buf[12] = 10, buf[15] = 1;
	buf[16] = 10, buf[19] = 2;
	memcpy(buf + 20, data + (fo & 0x1fff) * 8u, n);
	return len;
}

/* m :: MarkIPHeader -> r :: IPReassembler -> c :: CheckIPHeader -> Print
 * ("", 64) -> Discard; r[1] (when @two) -> Print("exp", 64) -> Discard. */
static void
ipr_graph(struct tg *t, const char *conf, bool two)
{
	uint32_t m, r, c, p, e;

	tg_init(t);
	m = tg_add(t, "m", "MarkIPHeader", "", "h", "h");
	r = tg_add(t, "r", "IPReassembler", conf, "h", two ? "hh" : "h");
	c = tg_add(t, "c", "CheckIPHeader", "", "h", "hh");
	p = tg_add(t, "p", "Print", ", 64", "h", "h");
	tg_add(t, "d", "Discard", "", "h", "");
	tg_add(t, "bad", "Discard", "", "h", "");
	tg_conn(t, m, 0, r, 0);
	tg_conn(t, r, 0, c, 0);
	tg_conn(t, c, 0, p, 0);
	tg_conn(t, p, 0, p + 1, 0);
	tg_conn(t, c, 1, p + 2, 0);
	if (two) {
		e = tg_add(t, "exp", "Print", "exp, 64", "h", "h");
		tg_add(t, "ed", "Discard", "", "h", "");
		tg_conn(t, r, 1, e, 0);
		tg_conn(t, e, 0, e + 1, 0);
	}
}

/* The 24 data bytes 00..17 as one packet: total length 44, no flags,
 * checksum 0x548b (4500+002c+1234+0000+4011+0a00+0001+0a00+0002 = ab74,
 * complemented), worked out by hand. */
#define IPR_WHOLE "  44 | 4500002c 12340000 4011548b 0a000001 0a000002 00010203 04050607 " \
		  "08090a0b 0c0d0e0f 10111213 14151617\n"

static void
test_ipreassembler(void **state)
{
	struct tg t;
	struct run x;
	uint8_t data[24], pkt[64];
	uint32_t n;
	size_t base;

	(void)state;
	for (int i = 0; i < 24; i++)
		data[i] = (uint8_t)i;
	ipr_graph(&t, "", false);
	assert_int_equal(start(&x, &t), 0);
	/* not a fragment: through unchanged */
	inject(&x, "m", udp40, 40);
	assert_string_equal(chat(&x), "  40 | 45000028 00000000 401166c3 0a000001 0a000002 "
				      "04d20035 00140000 00000000 00000000 00000000\n");
	base = strlen(chat(&x));
	/* in order: 8 bytes at 0 (MF), 8 at 8 (MF), 8 at 16 (last) */
	n = ipr_frag(pkt, 0x1234, 0x2000 | 0, data, 8);
	inject(&x, "m", pkt, n);
	n = ipr_frag(pkt, 0x1234, 0x2000 | 1, data, 8);
	inject(&x, "m", pkt, n);
	/* held: nothing out yet; 2 x (28 + 64) + 40 charged */
	assert_int_equal(strlen(chat(&x)), base);
	assert_int_equal(hread(&x, "r.mem_used"), 224);
	n = ipr_frag(pkt, 0x1234, 2, data, 8);
	inject(&x, "m", pkt, n);
	assert_string_equal(chat(&x) + base, IPR_WHOLE);
	/* out of order: last, first, middle */
	n = ipr_frag(pkt, 0x1234, 2, data, 8);
	inject(&x, "m", pkt, n);
	n = ipr_frag(pkt, 0x1234, 0x2000 | 0, data, 8);
	inject(&x, "m", pkt, n);
	assert_int_equal(strlen(chat(&x)), base + strlen(IPR_WHOLE));
	n = ipr_frag(pkt, 0x1234, 0x2000 | 1, data, 8);
	inject(&x, "m", pkt, n);
	assert_string_equal(chat(&x) + base + strlen(IPR_WHOLE), IPR_WHOLE);
	assert_int_equal(hread(&x, "r.reassembled"), 2);
	assert_int_equal(hread(&x, "r.mem_used"), 0);
	assert_int_equal(hread(&x, "bad.count"), 0);
	assert_int_equal(hread(&x, "r.drops"), 0);
	finish(&x);
}

static void
test_ipreassembler_overlap(void **state)
{
	struct tg t;
	struct run x;
	uint8_t a[32], b[32], pkt[64];
	uint32_t n;

	(void)state;
	for (int i = 0; i < 32; i++) {
		a[i] = (uint8_t)i;
		b[i] = (uint8_t)(0x80 + i);
	}
	ipr_graph(&t, "", false);
	assert_int_equal(start(&x, &t), 0);
	/* 16 bytes at 0 (MF) from a, then 16 at 8 (last) from b: bytes 8..15
	 * overlap and the later-starting fragment's win */
	n = ipr_frag(pkt, 0x1234, 0x2000 | 0, a, 16);
	inject(&x, "m", pkt, n);
	n = ipr_frag(pkt, 0x1234, 1, b, 16);
	inject(&x, "m", pkt, n);
	assert_string_equal(chat(&x), "  44 | 4500002c 12340000 4011548b 0a000001 0a000002 "
				      "00010203 04050607 88898a8b 8c8d8e8f 90919293 94959697\n");
	/* malformed: a non-last fragment of 7 bytes */
	n = ipr_frag(pkt, 0x1234, 0x2000 | 0, a, 7);
	inject(&x, "m", pkt, n);
	assert_int_equal(hread(&x, "r.drops"), 1);
	/* held: 8 bytes at 0, and the last 8 at 16 (the whole is 24 bytes) */
	n = ipr_frag(pkt, 0x1234, 0x2000 | 0, a, 8);
	inject(&x, "m", pkt, n);
	n = ipr_frag(pkt, 0x1234, 2, a, 8);
	inject(&x, "m", pkt, n);
	/* malformed: 8 bytes at 24, past that end; an empty non-last one */
	n = ipr_frag(pkt, 0x1234, 0x2000 | 3, a, 8);
	inject(&x, "m", pkt, n);
	n = ipr_frag(pkt, 0x1234, 0x2000 | 1, a, 0);
	inject(&x, "m", pkt, n);
	assert_int_equal(hread(&x, "r.drops"), 3);
	assert_int_equal(hread(&x, "r.reassembled"), 1);
	assert_int_equal(hread(&x, "r.mem_used"), 40 + 2 * (28 + 64));
	finish(&x);
}

static void
test_ipreassembler_expiry(void **state)
{
	struct tg t;
	struct run x;
	uint8_t data[24], pkt[64];
	uint32_t n;
	const uint64_t t0 = 1000000000ull * 1000000000ull; /* --simtime's start */

	(void)state;
	for (int i = 0; i < 24; i++)
		data[i] = (uint8_t)i;
	ipr_graph(&t, "", true);
	assert_int_equal(start(&x, &t), 0);
	/* the middle fragment never comes */
	n = ipr_frag(pkt, 0x1234, 0x2000 | 0, data, 8);
	inject(&x, "m", pkt, n);
	n = ipr_frag(pkt, 0x1234, 2, data, 8);
	inject(&x, "m", pkt, n);
	ck_router_run(x.r);
	/* checked at +10 s, +20 s, then dropped at +30 s; the timer is not
	 * armed again and the run ends there */
	/* (the simulated clock also moves 1 µs per request of the time) */
	assert_in_range(ck_now(x.r), t0 + 30000000000ull, t0 + 30001000000ull);
	assert_string_equal(chat(&x), "exp:   44 | 4500002c 12340000 4011548b 0a000001 0a000002 "
				      "00010203 04050607 00000000 00000000 10111213 14151617\n");
	assert_int_equal(hread(&x, "r.drops"), 2);
	assert_int_equal(hread(&x, "r.mem_used"), 0);
	finish(&x);
}

static void
test_ipreassembler_himem(void **state)
{
	struct tg t;
	struct run x;
	uint8_t data[24] = { 0 }, pkt[64];
	uint32_t n;

	(void)state;
	ipr_graph(&t, "HIMEM 1024", false);
	assert_int_equal(start(&x, &t), 0);
	/* first fragments of packets 1..7: 7 x (40 + 28 + 64) = 924 <= 1024 */
	for (uint16_t id = 1; id <= 7; id++) {
		n = ipr_frag(pkt, id, 0x2000 | 0, data, 8);
		inject(&x, "m", pkt, n);
	}
	assert_int_equal(hread(&x, "r.mem_used"), 924);
	assert_int_equal(hread(&x, "r.drops"), 0);
	/* the 8th would make 1056 > 1024: the oldest sets go until
	 * 132 more fit under 768 (3/4): 1, 2 and 3 (924 -> 528), then + 132 */
	n = ipr_frag(pkt, 8, 0x2000 | 0, data, 8);
	inject(&x, "m", pkt, n);
	assert_int_equal(hread(&x, "r.mem_used"), 660);
	assert_int_equal(hread(&x, "r.drops"), 3);
	/* packet 4 is still held: its last fragment completes it; packet 3's
	 * last fragment starts a new set instead */
	n = ipr_frag(pkt, 4, 1, data, 8);
	inject(&x, "m", pkt, n);
	assert_int_equal(hread(&x, "r.reassembled"), 1);
	assert_int_equal(hread(&x, "bad.count"), 0);
	n = ipr_frag(pkt, 3, 1, data, 8);
	inject(&x, "m", pkt, n);
	assert_int_equal(hread(&x, "r.reassembled"), 1);
	assert_int_equal(hread(&x, "r.mem_used"), 660 - 132 + 132);
	finish(&x);
}

static void
test_icmperror(void **state)
{
	struct tg t;
	struct run x;
	uint32_t m, ie, c, ci, p;
	uint8_t pkt[40];

	(void)state;
	tg_init(&t);
	m = tg_add(&t, "m", "MarkIPHeader", "", "h", "h");
	ie = tg_add(&t, "e", "ICMPError", "192.168.0.1, unreachable, port", "h", "h");
	c = tg_add(&t, "c", "CheckIPHeader", "", "h", "h");
	ci = tg_add(&t, "ci", "CheckICMPHeader", "", "h", "h");
	p = tg_add(&t, "p", "IPPrint", "TIMESTAMP false, TTL true, LENGTH true", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, m, 0, ie, 0);
	tg_conn(&t, ie, 0, c, 0);
	tg_conn(&t, c, 0, ci, 0);
	tg_conn(&t, ci, 0, p, 0);
	tg_conn(&t, p, 0, p + 1, 0);
	assert_int_equal(start(&x, &t), 0);
	memcpy(pkt, udp40, 40);
	inject(&x, "m", pkt, 40);
	/* the quoted packet's destination, the code's name, its protocol and port */
	assert_string_equal(chat(&x), "ttl 200 length 68 192.168.0.1 > 10.0.0.1: icmp 10.0.0.2 "
			    "unreachable port udp/53\n");
	pkt[9] = 1;   /* an ICMP error (type 3) gets no error back */
	pkt[20] = 3;
	inject(&x, "m", pkt, 40);
	assert_int_equal(hread(&x, "d.count"), 1);
	assert_int_equal(hread(&x, "e.sent"), 1);
	finish(&x);
}

/* ICMP code names are Click's (hostprohibited, tosnet, ...), in ICMPError's
 * CODE and in IPPrint's lines; a protocol unreachable names the protocol by
 * Click's names (igmp). */
static void
test_icmp_code_names(void **state)
{
	static const char *const codes[][2] = {
		{ "hostprohibited", "hostprohibited" }, { "filterprohibited", "filterprohibited" },
		{ "14", "hostprecedence" }, { "protocol", "protocol igmp" },
	};
	struct tg t;
	struct run x;
	char conf[64], want[128];
	uint8_t pkt[40];

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		tg_init(&t);
		snprintf(conf, sizeof(conf), "192.168.0.1, unreachable, %s", codes[i][0]);
		tg_add(&t, "m", "MarkIPHeader", "", "h", "h");
		tg_add(&t, "e", "ICMPError", conf, "h", "h");
		tg_add(&t, "p", "IPPrint", "TIMESTAMP false", "h", "h");
		tg_add(&t, "d", "Discard", "", "h", "");
		tg_conn(&t, 0, 0, 1, 0);
		tg_conn(&t, 1, 0, 2, 0);
		tg_conn(&t, 2, 0, 3, 0);
		assert_int_equal(start(&x, &t), 0);
		memcpy(pkt, udp40, 40);
		pkt[9] = 2; /* IGMP; the header checksum is not checked */
		inject(&x, "m", pkt, 40);
		snprintf(want, sizeof(want),
			 "192.168.0.1 > 10.0.0.1: icmp 10.0.0.2 unreachable %s\n", codes[i][1]);
		assert_string_equal(chat(&x), want);
		finish(&x);
	}
	/* redirect's codes: tosnet and toshost */
	tg_init(&t);
	tg_add(&t, "e", "ICMPError", "192.168.0.1, redirect, tosnet", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, 0, 0, 1, 0);
	assert_int_equal(start(&x, &t), 0);
	finish(&x);
}

/* A parameter problem about a source-routed packet: as Click's, the error
 * carries the route reversed unless the pointer (param_off) is inside the
 * route. The route's header: NOP, LSRR length 11 pointer 12 (two hops passed),
 * so the error's header is 20 + 12 bytes with the route, 20 without. */
static void
test_icmperror_route_paramprob(void **state)
{
	static const struct {
		uint8_t off, hl; /* param_off; the error's header length */
	} cases[] = { { 21, 20 }, { 23, 20 }, { 20, 32 } };
	uint8_t pkt[40] = { 0x48, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
			    1, 131, 11, 12, 1, 1, 1, 1, 2, 2, 2, 2, 0, 7, 0, 53, 0, 8, 0, 0 };
	struct tg t;
	struct run x;
	uint32_t ie;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ck_element *e;
		struct ck_pkt *p;

		tg_init(&t);
		ie = tg_add(&t, "e", "ICMPError", "9.9.9.9, parameterproblem, erroratptr", "h",
			    "h");
		tg_add(&t, "c", "Counter", "", "h", "h");
		tg_add(&t, "d", "Discard", "", "h", "");
		tg_conn(&t, ie, 0, ie + 1, 0);
		tg_conn(&t, ie + 1, 0, ie + 2, 0);
		assert_int_equal(start(&x, &t), 0);
		e = ck_router_find(x.r, "e");
		assert_non_null(e);
		p = ck_pkt_new(e, sizeof(pkt));
		assert_non_null(p);
		memcpy(p->data, pkt, sizeof(pkt));
		p->a.ip = p->data;
		p->a.param_off = cases[i].off;
		p = e->cls->action(e, p);
		assert_non_null(p);
		assert_int_equal(p->data[0], 0x40 | cases[i].hl / 4);
		ck_push_out(e, 0, p);
		/* the header, ICMP's 8 bytes, the 40 quoted */
		assert_int_equal(hread(&x, "c.byte_count"), cases[i].hl + 8 + 40);
		finish(&x);
	}
}

/* IPEncap then UDPIPEncap; the checksums below were summed by hand. */
static void
test_ipencap_udpipencap(void **state)
{
	struct tg t;
	struct run x;
	uint32_t en, p, u, q;
	const uint8_t four[4] = { 1, 2, 3, 4 }, two[2] = { 0xab, 0xcd };

	(void)state;
	tg_init(&t);
	en = tg_add(&t, "en", "IPEncap", "ipip, 10.0.0.1, 10.0.0.2", "h", "h");
	p = tg_add(&t, "p", "Print", "MAXLENGTH 40", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	u = tg_add(&t, "u", "UDPIPEncap", "10.0.0.1, 1234, 10.0.0.2, 53", "h", "h");
	q = tg_add(&t, "q", "Print", "MAXLENGTH 40", "h", "h");
	tg_add(&t, "d2", "Discard", "", "h", "");
	tg_conn(&t, en, 0, p, 0);
	tg_conn(&t, p, 0, p + 1, 0);
	tg_conn(&t, u, 0, q, 0);
	tg_conn(&t, q, 0, q + 1, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "en", four, 4);
	inject(&x, "en", four, 4);
	inject(&x, "u", two, 2);
	/* TTL 250, protocol 4, IDs 0 then 1 */
	assert_string_equal(chat(&x),
			    "  24 | 45000018 00000000 fa04acdf 0a000001 0a000002 01020304\n"
			    "  24 | 45000018 00010000 fa04acde 0a000001 0a000002 01020304\n"
			    "  30 | 4500001e 00000000 fa11accc 0a000001 0a000002 04d20035 "
			    "000a3b03 abcd\n");
	assert_int_equal(hread(&x, "en.count"), 2);
	assert_int_equal(hread(&x, "u.count"), 1);
	finish(&x);
}

/* UDPIPEncap's DST may be DST_ANNO, as Click's. */
static void
test_udpipencap_dst_anno(void **state)
{
	struct tg t;
	struct run x;
	uint32_t s, u, q;
	const uint8_t two[2] = { 0xab, 0xcd };

	(void)state;
	tg_init(&t);
	s = tg_add(&t, "s", "SetIPAddress", "10.0.0.9", "h", "h");
	u = tg_add(&t, "u", "UDPIPEncap", "10.0.0.1, 1234, DST_ANNO, 53", "h", "h");
	q = tg_add(&t, "q", "Print", "MAXLENGTH 40", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, s, 0, u, 0);
	tg_conn(&t, u, 0, q, 0);
	tg_conn(&t, q, 0, q + 1, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "s", two, 2);
	/* to 10.0.0.9; the checksums summed by hand */
	assert_string_equal(chat(&x), "  30 | 4500001e 00000000 fa11acc5 0a000001 0a000009 04d20035 "
				      "000a3afc abcd\n");
	finish(&x);

	/* or an AddressInfo name, as Click's (IPEncap's too) */
	tg_init(&t);
	tg_add(&t, "ai", "AddressInfo", "far 10.0.0.9", "", "");
	u = tg_add(&t, "u", "UDPIPEncap", "10.0.0.1, 1234, far, 53", "h", "h");
	q = tg_add(&t, "q", "Print", "MAXLENGTH 40", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_add(&t, "en", "IPEncap", "ipip, 10.0.0.1, far", "h", "h");
	tg_add(&t, "d2", "Discard", "", "h", "");
	tg_conn(&t, u, 0, q, 0);
	tg_conn(&t, q, 0, q + 1, 0);
	tg_conn(&t, q + 2, 0, q + 3, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "u", two, 2);
	assert_string_equal(chat(&x), "  30 | 4500001e 00000000 fa11acc5 0a000001 0a000009 04d20035 "
				      "000a3afc abcd\n");
	finish(&x);
}

/* IPEncap's PROTO names are Click's (igmp, dccp, sctp, gre, ... ), not only
 * those of icmp, ipip, tcp, udp and gre. */
static void
test_ipencap_proto_names(void **state)
{
	static const char *const names[][2] = {
		{ "igmp", "02" }, { "dccp", "21" }, { "sctp", "84" }, { "gre", "2f" }, { "17", "11" },
	};
	const uint8_t two[2] = { 0xab, 0xcd };
	struct tg t;
	struct run x;
	char conf[64], want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		tg_init(&t);
		snprintf(conf, sizeof(conf), "%s, 10.0.0.1, 10.0.0.2", names[i][0]);
		tg_add(&t, "en", "IPEncap", conf, "h", "h");
		tg_add(&t, "p", "Print", "MAXLENGTH 10", "h", "h");
		tg_add(&t, "d", "Discard", "", "h", "");
		tg_conn(&t, 0, 0, 1, 0);
		tg_conn(&t, 1, 0, 2, 0);
		assert_int_equal(start(&x, &t), 0);
		inject(&x, "en", two, 2);
		snprintf(want, sizeof(want), "  22 | 45000016 00000000 fa%s\n", names[i][1]);
		assert_string_equal(chat(&x), want);
		finish(&x);
	}
	/* a pseudo-protocol (Click's tcpudp, 256) or a name Click lacks is refused */
	for (int i = 0; i < 2; i++) {
		tg_init(&t);
		tg_add(&t, "en", "IPEncap", i ? "nosuchproto, 1.0.0.1, 1.0.0.2" : "256, 1.0.0.1, 1.0.0.2",
		       "h", "h");
		tg_add(&t, "d", "Discard", "", "h", "");
		tg_conn(&t, 0, 0, 1, 0);
		assert_int_equal(start(&x, &t), -1);
		fclose(x.chatf);
		fclose(x.errf);
		free(x.chat);
		free(x.err);
	}
}

static void
test_ipmirror(void **state)
{
	struct tg t;
	struct run x;
	uint32_t m, mi, p;
	uint8_t tcp[40];

	(void)state;
	tg_init(&t);
	m = tg_add(&t, "m", "MarkIPHeader", "", "h", "h");
	mi = tg_add(&t, "mi", "IPMirror", "", "h", "h");
	p = tg_add(&t, "p", "Print", "MAXLENGTH 24", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, m, 0, mi, 0);
	tg_conn(&t, mi, 0, p, 0);
	tg_conn(&t, p, 0, p + 1, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "m", udp40, 40);
	/* addresses and ports swapped, the header checksum as it was */
	assert_string_equal(chat(&x), "  40 | 45000028 00000000 401166c3 0a000002 0a000001 "
				      "003504d2\n");
	finish(&x);

	/* TCP: as Click's, the sequence and acknowledgment numbers swapped too */
	memcpy(tcp, udp40, 40);
	tcp[9] = 6;
	memcpy(tcp + 24, "\x11\x11\x11\x11\x22\x22\x22\x22", 8);
	tg_init(&t);
	m = tg_add(&t, "m", "MarkIPHeader", "", "h", "h");
	mi = tg_add(&t, "mi", "IPMirror", "", "h", "h");
	p = tg_add(&t, "p", "Print", "MAXLENGTH 32", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, m, 0, mi, 0);
	tg_conn(&t, mi, 0, p, 0);
	tg_conn(&t, p, 0, p + 1, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "m", tcp, 40);
	assert_string_equal(chat(&x), "  40 | 45000028 00000000 400666c3 0a000002 0a000001 "
				      "003504d2 22222222 11111111\n");
	finish(&x);
}

/* SetUDPChecksum sums the UDP length's bytes (as Click's), not the bytes
 * the IP length adds after them. */
static void
test_setudpchecksum(void **state)
{
	struct tg t;
	struct run x;
	uint32_t m, c, p;
	uint8_t pkt[40];

	(void)state;
	memcpy(pkt, udp40, 40);
	pkt[25] = 16; /* UDP length 16: 4 trailing bytes inside the IP length */
	memcpy(pkt + 36, "\x01\x02\x03\x04", 4);
	tg_init(&t);
	m = tg_add(&t, "m", "MarkIPHeader", "", "h", "h");
	c = tg_add(&t, "c", "SetUDPChecksum", "", "h", "h");
	p = tg_add(&t, "p", "Print", "MAXLENGTH 28", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, m, 0, c, 0);
	tg_conn(&t, c, 0, p, 0);
	tg_conn(&t, p, 0, p + 1, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "m", pkt, 40);
	/* pseudo-header 10.0.0.1 10.0.0.2 17 16, the 16 UDP bytes: summed by hand */
	assert_string_equal(chat(&x), "  40 | 45000028 00000000 401166c3 0a000001 0a000002 "
				      "04d20035 0010e6c4\n");
	/* a UDP length past the IP length, or under 8: dropped */
	pkt[25] = 21;
	inject(&x, "m", pkt, 40);
	pkt[25] = 7;
	inject(&x, "m", pkt, 40);
	assert_int_equal(hread(&x, "c.drops"), 2);
	finish(&x);
}

static void
test_icmppingresponder(void **state)
{
	struct tg t;
	struct run x;
	uint32_t m, r, p;
	/* echo request 10.0.0.1 > 10.0.0.2, id 0x1234 seq 1, TTL 64 */
	uint8_t req[28] = {
		0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x66, 0xdf,
		0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
		0x08, 0x00, 0xe5, 0xca, 0x12, 0x34, 0x00, 0x01,
	};

	(void)state;
	tg_init(&t);
	m = tg_add(&t, "m", "MarkIPHeader", "", "h", "h");
	r = tg_add(&t, "r", "ICMPPingResponder", "", "h", "hh");
	p = tg_add(&t, "p", "Print", "MAXLENGTH 28", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_add(&t, "o", "Discard", "", "h", "");
	tg_conn(&t, m, 0, r, 0);
	tg_conn(&t, r, 0, p, 0);
	tg_conn(&t, p, 0, p + 1, 0);
	tg_conn(&t, r, 1, p + 2, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "m", req, 28);
	/* reply 10.0.0.2 > 10.0.0.1, TTL 255, type 0, checksums summed by hand */
	assert_string_equal(chat(&x), "  28 | 4500001c 00000000 ff01a7de 0a000002 0a000001 "
				      "0000edca 12340001\n");
	/* as Click's: the fragment field cleared (DF here) and both checksums
	 * updated from the request's, so a wrong ICMP checksum stays as wrong */
	req[6] = 0x40;
	req[10] = 0x26;
	req[22] = 0xe5;
	req[23] = 0xcb;
	inject(&x, "m", req, 28);
	assert_string_equal(chat(&x), "  28 | 4500001c 00000000 ff01a7de 0a000002 0a000001 "
				      "0000edca 12340001\n"
				      "  28 | 4500001c 00000000 ff01a7de 0a000002 0a000001 "
				      "0000edcb 12340001\n");
	req[20] = 0; /* an echo reply is no request: output 1 */
	inject(&x, "m", req, 28);
	inject(&x, "m", udp40, 40);
	assert_int_equal(hread(&x, "o.count"), 2);
	assert_int_equal(hread(&x, "r.count"), 2);
	finish(&x);
}

/* A platform that records the action of every packet leaving the graph. */
static void
test_arpquerier(void **state)
{
	struct tg t;
	struct run x;
	uint32_t c, a, p, qp;
	struct ck_element *ae;
	struct ck_pkt *rp;
	uint8_t reply[42] = {
		0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
		0, 0, 0, 0, 0, 2, 10, 0, 0, 2, 0, 0, 0, 0, 0, 1, 10, 0, 0, 1,
	};

	(void)state;
	tg_init(&t);
	c = tg_add(&t, "c", "CheckIPHeader", "", "h", "h");
	a = tg_add(&t, "a", "ARPQuerier", "10.0.0.1, 0:0:0:0:0:1", "hh", "hh");
	p = tg_add(&t, "p", "Print", "ip, 16", "h", "h");
	qp = tg_add(&t, "qp", "Print", "q, 42", "h", "h");
	tg_add(&t, "d", "Discard", "", "h", "");
	tg_add(&t, "dq", "Discard", "", "h", "");
	tg_conn(&t, c, 0, a, 0);
	tg_conn(&t, a, 0, p, 0);
	tg_conn(&t, a, 1, qp, 0);
	tg_conn(&t, p, 0, qp + 1, 0);
	tg_conn(&t, qp, 0, qp + 2, 0);
	assert_int_equal(start(&x, &t), 0);
	inject(&x, "c", udp40, 40); /* to 10.0.0.2: unknown, held, query sent */
	assert_string_equal(chat(&x), "q:   42 | ffffffff ffff0000 00000001 08060001 08000604 "
				      "00010000 00000001 0a000001 00000000 00000a00 0002\n");
	ae = ck_router_find(x.r, "a");
	rp = ck_pkt_new(ae, 42);
	memcpy(rp->data, reply, 42);
	ae->cls->push(ae, 1, rp);
	inject(&x, "c", udp40, 40); /* now known: straight out */
	assert_string_equal(chat(&x) + strlen("q:   42 | ffffffff ffff0000 00000001 08060001 "
					      "08000604 00010000 00000001 0a000001 00000000 "
					      "00000a00 0002\n"),
			    "ip:   54 | 00000000 00020000 00000001 08004500\n"
			    "ip:   54 | 00000000 00020000 00000001 08004500\n");
	assert_int_equal(hread(&x, "a.queries"), 1);
	assert_int_equal(hread(&x, "a.responses"), 1);
	finish(&x);
}

/* IPGWOptions: Record Route gets MYADDR at its pointer, the checksum follows;
 * a pointer below 4 is a parameter problem at its byte (offset 22), and so is
 * one past the option but not just past it, as Click's. Packets
 * and checksums computed by hand (RFC 791, RFC 1071). */
static void
test_ipgwoptions(void **state)
{
	static const uint8_t rr_in[36] = {
		0x47, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x58, 0xbf,
		0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x01, 0x02,
		0x07, 0x07, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, /* RR, one empty slot */
		0x13, 0x69, 0x13, 0x69, 0x00, 0x08, 0x00, 0x00,
	};
	static const uint8_t ts3_full[40] = {
		0x48, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x07, 0xb2,
		0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x01, 0x02,
		0x44, 0x0c, 0x0d, 0x03, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x13, 0x69, 0x13, 0x69, 0x00, 0x08, 0x00, 0x00,
	};
	struct tg t;
	struct run x;
	uint32_t m, gw, p, d, bad;
	uint8_t pkt[40];

	(void)state;
	tg_init(&t);
	m = tg_add(&t, "m", "CheckIPHeader", "", "h", "h");
	gw = tg_add(&t, "gw", "IPGWOptions", "10.0.0.1", "h", "hh");
	p = tg_add(&t, "p", "Print", "MAXLENGTH 28", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	bad = tg_add(&t, "bad", "Counter", "", "h", "h");
	tg_conn(&t, m, 0, gw, 0);
	tg_conn(&t, gw, 0, p, 0);
	tg_conn(&t, p, 0, d, 0);
	tg_conn(&t, gw, 1, bad, 0);
	tg_add(&t, "d2", "Discard", "", "h", "");
	tg_conn(&t, bad, 0, 5, 0);
	assert_int_equal(start(&x, &t), 0);
	memcpy(pkt, rr_in, sizeof(rr_in));
	inject(&x, "m", pkt, sizeof(rr_in));
	assert_string_equal(chat(&x), "  36 | 47000024 00000000 401153b5 0a000002 0a000102 "
				      "0707080a 00000100\n");
	/* pointer 2: bad, at byte 22 (the checksum fixed for it by hand: 0x5abf) */
	memcpy(pkt, rr_in, sizeof(rr_in));
	pkt[22] = 0x02;
	pkt[10] = 0x5a;
	inject(&x, "m", pkt, sizeof(rr_in));
	assert_int_equal(hread(&x, "bad.count"), 1);
	assert_int_equal(hread(&x, "d.count"), 1);
	/* as Click's: a full option (pointer 8, just past its 7 bytes) passes
	 * untouched; pointer 12 (past it) and 7 (neither in it nor just past it)
	 * are parameter problems at byte 22 */
	memcpy(pkt, rr_in, sizeof(rr_in));
	pkt[22] = 0x08;
	pkt[10] = 0x54;
	inject(&x, "m", pkt, sizeof(rr_in));
	assert_string_equal(chat(&x), "  36 | 47000024 00000000 401153b5 0a000002 0a000102 "
				      "0707080a 00000100\n"
				      "  36 | 47000024 00000000 401154bf 0a000002 0a000102 "
				      "07070800 00000000\n");
	pkt[22] = 0x0c;
	pkt[10] = 0x50;
	inject(&x, "m", pkt, sizeof(rr_in));
	pkt[22] = 0x07;
	pkt[10] = 0x55;
	inject(&x, "m", pkt, sizeof(rr_in));
	assert_int_equal(hread(&x, "bad.count"), 3);
	assert_int_equal(hread(&x, "d.count"), 2);
	/* a full Timestamp of flag 3 (prespecified addresses: 12 bytes, pointer
	 * 13) is a parameter problem at its flags byte (23), not an overflow */
	memcpy(pkt, ts3_full, sizeof(ts3_full));
	inject(&x, "m", pkt, sizeof(ts3_full));
	assert_int_equal(hread(&x, "bad.count"), 4);
	assert_int_equal(hread(&x, "d.count"), 2);
	finish(&x);
}

/* ---- IPRewriter ---- */

/* The reference checksum: RFC 1071 over @len bytes plus @sum, folded and
 * complemented, summing big-endian 16-bit words (independent of nl_hdr.h). */
static uint16_t
ref_cksum(const uint8_t *b, uint32_t len, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void
put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* An IPv4 TCP (proto 6, 20-byte header, @flags, @plen payload bytes 0xaa) or
 * UDP (proto 17, @plen payload bytes; checksum 0 unless @ck) packet from
 * @src:@sp to @dst:@dp, every checksum computed with ref_cksum(). Returns
 * its length. */
static uint32_t
rw_pkt(uint8_t *b, uint8_t proto, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
       uint8_t flags, uint32_t plen, bool ck)
{
	uint32_t hl = proto == 6 ? 20 : 8, len = 20 + hl + plen, sum;
	uint8_t *l4 = b + 20;

	memset(b, 0, len);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = proto;
	put32(b + 12, src);
	put32(b + 16, dst);
	put16(b + 10, ref_cksum(b, 20, 0));
	put16(l4, sp);
	put16(l4 + 2, dp);
	memset(l4 + hl, 0xaa, plen);
	if (proto == 6) {
		put32(l4 + 4, 1);
		l4[12] = 0x50;
		l4[13] = flags;
		put16(l4 + 14, 0x1000);
	} else {
		put16(l4 + 4, (uint16_t)(hl + plen));
	}
	if (proto == 6 || ck) {
		/* pseudo-header: addresses, protocol, length */
		sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
		      hl + plen;
		put16(l4 + (proto == 6 ? 16 : 6), ref_cksum(l4, hl + plen, sum));
	}
	return len;
}

/* The line Print("LABEL", 64) writes for @b. */
static char *
print_line(char *out, const char *label, const uint8_t *b, uint32_t len)
{
	int n = sprintf(out, "%s: %4u | ", label, len);

	for (uint32_t i = 0; i < len && i < 64; i++)
		n += sprintf(out + n, "%s%02x", i > 0 && i % 4 == 0 ? " " : "", b[i]);
	strcpy(out + n, "\n");
	return out;
}

/* rw :: IPRewriter(CONF) with @nin inputs fed by MarkIPHeader m0, m1, ...
 * and two outputs, each to Print("oN", 64) -> cN :: Counter -> Discard. */
static void
rw_graph(struct tg *t, const char *conf, unsigned int nin)
{
	static const char *const mn[] = { "m0", "m1", "m2" };
	static const char *const pn[] = { "o0", "o1" };
	static const char *const pc[] = { "o0, 64", "o1, 64" };
	static const char *const cn[] = { "c0", "c1" };
	uint32_t rw, m, p;

	tg_init(t);
	rw = tg_add(t, "rw", "IPRewriter", conf, nin == 1 ? "h" : nin == 2 ? "hh" : "hhh", "hh");
	for (unsigned int i = 0; i < nin; i++) {
		m = tg_add(t, mn[i], "MarkIPHeader", "", "h", "h");
		tg_conn(t, m, 0, rw, i);
	}
	for (unsigned int o = 0; o < 2; o++) {
		p = tg_add(t, pn[o], "Print", pc[o], "h", "h");
		tg_add(t, cn[o], "Counter", "", "h", "h");
		tg_add(t, "", "Discard", "", "h", "");
		t->e[p + 2].name = o ? "d1" : "d0";
		tg_conn(t, rw, o, p, 0);
		tg_conn(t, p, 0, p + 1, 0);
		tg_conn(t, p + 1, 0, p + 2, 0);
	}
}

/* What Print wrote after byte @from. */
static const char *
chat_from(struct run *x, size_t *from)
{
	const char *c = chat(x) + *from;

	*from = strlen(chat(x));
	return c;
}

static void
test_iprewriter_pattern(void **state)
{
	struct tg t;
	struct run x;
	uint8_t in[64], want[64];
	char line[256];
	uint32_t n;
	size_t at = 0;
	const uint32_t a = IP4(10, 0, 0, 1), s = IP4(1, 2, 3, 4), nat = IP4(8, 0, 0, 2);

	(void)state;
	/* the reference is the real checksum: udp40's header sums to 0x66c3 */
	assert_int_equal(ref_cksum(udp40, 20, 0), 0);
	n = rw_pkt(in, 17, IP4(10, 0, 0, 1), 1234, IP4(10, 0, 0, 2), 53, 0, 12, false);
	assert_int_equal(n, 40);
	assert_memory_equal(in, udp40, 28); /* udp40's payload is zeros, ours 0xaa */

	rw_graph(&t, "pattern 8.0.0.2 1000-2000# - - 0 1, drop", 2);
	assert_int_equal(start(&x, &t), 0);
	/* a SYN 10.0.0.1:1234 > 1.2.3.4:80 leaves from 8.0.0.2:1000 (the first
	 * port in sequence) on output 0 */
	n = rw_pkt(in, 6, a, 1234, s, 80, 0x02, 0, false);
	inject(&x, "m0", in, n);
	rw_pkt(want, 6, nat, 1000, s, 80, 0x02, 0, false);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	/* its SYN-ACK (on the 'drop' input) is mapped back, to output 1 */
	n = rw_pkt(in, 6, s, 80, nat, 1000, 0x12, 0, false);
	inject(&x, "m1", in, n);
	rw_pkt(want, 6, s, 80, a, 1234, 0x12, 0, false);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o1", want, n));
	/* data from the inside, with payload: the same mapping */
	n = rw_pkt(in, 6, a, 1234, s, 80, 0x10, 5, false);
	inject(&x, "m0", in, n);
	rw_pkt(want, 6, nat, 1000, s, 80, 0x10, 5, false);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	/* a second flow gets the next port */
	n = rw_pkt(in, 6, a, 1235, s, 80, 0x02, 0, false);
	inject(&x, "m0", in, n);
	rw_pkt(want, 6, nat, 1001, s, 80, 0x02, 0, false);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	/* a packet to a port nobody mapped, on the 'drop' input: dropped */
	n = rw_pkt(in, 6, s, 80, nat, 1005, 0x12, 0, false);
	inject(&x, "m1", in, n);
	assert_string_equal(chat_from(&x, &at), "");
	assert_int_equal(hread(&x, "c0.count"), 3);
	assert_int_equal(hread(&x, "c1.count"), 1);
	assert_int_equal(hread(&x, "rw.nmappings"), 2);
	assert_int_equal(hread(&x, "rw.mapping_failures"), 0);
	/* no payload both ways yet: TCP_NODATA_TIMEOUT (300 s) */
	{
		char *tb = ck_handler_read_str(x.r, "rw.table");

		assert_non_null(tb);
		assert_string_equal(tb, "(10.0.0.1, 1234, 1.2.3.4, 80, tcp) => "
					"(8.0.0.2, 1000, 1.2.3.4, 80) [*0 1] i0 exp300\n"
					"(10.0.0.1, 1235, 1.2.3.4, 80, tcp) => "
					"(8.0.0.2, 1001, 1.2.3.4, 80) [*0 1] i0 exp300\n");
		free(tb);
		tb = ck_handler_read_str(x.r, "rw.tcp_table");
		assert_non_null(tb);
		assert_non_null(strstr(tb, "(1.2.3.4, 80, 8.0.0.2, 1000) => "
					   "(1.2.3.4, 80, 10.0.0.1, 1234) [0 *1] i0 exp300\n"));
		free(tb);
	}
	finish(&x);
}

/* The source port of the packet Print showed last (bytes 20-21). */
static unsigned int
last_sport(struct run *x)
{
	const char *c = chat(x), *l;
	size_t i = strlen(c);
	unsigned int g[6];

	assert_true(i > 0);
	for (i--; i > 0 && c[i - 1] != '\n'; i--)
		;
	l = c + i;
	assert_int_equal(sscanf(strchr(l, '|') + 1, "%x %x %x %x %x %x", &g[0], &g[1], &g[2],
				&g[3], &g[4], &g[5]), 6);
	return g[5] >> 16;
}

static void
test_iprewriter_port_range(void **state)
{
	struct tg t;
	struct run x;
	uint8_t in[64];
	uint32_t n;
	unsigned int seen = 0, p;
	const uint32_t a = IP4(10, 0, 0, 1), s = IP4(1, 2, 3, 4);

	(void)state;
	rw_graph(&t, "pattern 8.0.0.2 1000-1003 - - 0 1", 1);
	assert_int_equal(start(&x, &t), 0);
	/* a source port inside the range is kept when it is free */
	n = rw_pkt(in, 17, a, 1002, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	assert_int_equal(last_sport(&x), 1002);
	seen |= 1u << 2;
	/* others take some free port of the range, each a different one */
	for (uint16_t sp = 50; sp < 53; sp++) {
		n = rw_pkt(in, 17, a, sp, s, 53, 0, 4, true);
		inject(&x, "m0", in, n);
		p = last_sport(&x);
		assert_true(p >= 1000 && p <= 1003);
		assert_false(seen & (1u << (p - 1000)));
		seen |= 1u << (p - 1000);
	}
	assert_int_equal(hread(&x, "c0.count"), 4);
	/* the range is exhausted: a mapping failure, the packet dropped */
	n = rw_pkt(in, 17, a, 60, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	assert_int_equal(hread(&x, "c0.count"), 4);
	assert_int_equal(hread(&x, "rw.mapping_failures"), 1);
	assert_int_equal(hread(&x, "rw.nmappings"), 4);
	/* an existing flow still passes */
	n = rw_pkt(in, 17, a, 51, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	assert_int_equal(hread(&x, "c0.count"), 5);
	finish(&x);
}

static void
test_iprewriter_pass_keep_drop(void **state)
{
	struct tg t;
	struct run x;
	uint8_t in[64], want[64];
	char line[256];
	uint32_t n;
	size_t at = 0;
	const uint32_t a = IP4(10, 0, 0, 1), s = IP4(1, 2, 3, 4);

	(void)state;
	rw_graph(&t, "pass 1, keep 0 1, drop", 3);
	assert_int_equal(start(&x, &t), 0);
	/* pass: unchanged to output 1, no mapping; ICMP too */
	n = rw_pkt(in, 6, a, 1234, s, 80, 0x02, 0, false);
	inject(&x, "m0", in, n);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o1", in, n));
	assert_int_equal(hread(&x, "rw.nmappings"), 0);
	in[9] = 1; /* protocol ICMP (the checksums no longer matter) */
	inject(&x, "m0", in, n);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o1", in, n));
	/* keep: unchanged to output 0 and a mapping; its reply, arriving on the
	 * 'drop' input, unchanged to output 1 */
	n = rw_pkt(in, 17, a, 5000, s, 53, 0, 4, true);
	inject(&x, "m1", in, n);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", in, n));
	assert_int_equal(hread(&x, "rw.nmappings"), 1);
	n = rw_pkt(in, 17, s, 53, a, 5000, 0, 4, true);
	memcpy(want, in, n);
	inject(&x, "m2", in, n);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o1", want, n));
	/* drop: a new flow goes nowhere */
	n = rw_pkt(in, 17, s, 54, a, 5000, 0, 4, true);
	inject(&x, "m2", in, n);
	/* keep drops what is not TCP/UDP and non-first fragments, even of a
	 * mapped flow */
	n = rw_pkt(in, 17, a, 5000, s, 53, 0, 4, true);
	in[9] = 1;
	inject(&x, "m1", in, n);
	n = rw_pkt(in, 17, a, 5000, s, 53, 0, 4, true);
	in[7] = 1; /* offset 8 */
	inject(&x, "m1", in, n);
	assert_string_equal(chat_from(&x, &at), "");
	assert_int_equal(hread(&x, "c0.count"), 1);
	assert_int_equal(hread(&x, "c1.count"), 3);
	assert_int_equal(hread(&x, "rw.nmappings"), 1);
	assert_int_equal(hread(&x, "rw.mapping_failures"), 0);
	finish(&x);
	/* as Click's: 'pass' (or 'passthrough', 'nochange') without an output
	 * passes to output 0 */
	rw_graph(&t, "pass, passthrough, nochange", 3);
	assert_int_equal(start(&x, &t), 0);
	n = rw_pkt(in, 6, a, 1234, s, 80, 0x02, 0, false);
	inject(&x, "m0", in, n);
	inject(&x, "m1", in, n);
	inject(&x, "m2", in, n);
	assert_int_equal(hread(&x, "c0.count"), 3);
	assert_int_equal(hread(&x, "rw.nmappings"), 0);
	finish(&x);
}

static void
test_iprewriter_udp_checksum(void **state)
{
	struct tg t;
	struct run x;
	uint8_t in[64], want[64];
	char line[256];
	uint32_t n;
	size_t at = 0;
	const uint32_t a = IP4(192, 168, 1, 7), dns = IP4(9, 9, 9, 9);

	(void)state;
	/* '-' fields: only the destination changes */
	rw_graph(&t, "pattern - - 9.9.9.9 53 0 1", 1);
	assert_int_equal(start(&x, &t), 0);
	/* no UDP checksum (0): it stays 0, the IP header checksum is updated */
	n = rw_pkt(in, 17, a, 3333, IP4(10, 1, 1, 1), 5353, 0, 6, false);
	inject(&x, "m0", in, n);
	rw_pkt(want, 17, a, 3333, dns, 53, 0, 6, false);
	assert_int_equal(want[26] | want[27], 0);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	/* with a checksum: rewritten so that it is right for the new header */
	n = rw_pkt(in, 17, a, 3334, IP4(10, 1, 1, 1), 5353, 0, 7, true);
	inject(&x, "m0", in, n);
	rw_pkt(want, 17, a, 3334, dns, 53, 0, 7, true);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	/* the reply comes back from 9.9.9.9:53 as from 10.1.1.1:5353, on output 1 */
	n = rw_pkt(in, 17, dns, 53, a, 3334, 0, 7, true);
	inject(&x, "m0", in, n);
	rw_pkt(want, 17, IP4(10, 1, 1, 1), 5353, a, 3334, 0, 7, true);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o1", want, n));
	finish(&x);
}

static void
test_iprewriter_expiry(void **state)
{
	struct tg t;
	struct run x;
	uint8_t in[64];
	uint32_t n;
	const uint64_t t0 = 1000000000ull * 1000000000ull; /* --simtime's start */
	const uint32_t a = IP4(10, 0, 0, 1), s = IP4(1, 2, 3, 4), nat = IP4(8, 0, 0, 2);

	(void)state;
	rw_graph(&t, "pattern 8.0.0.2 1000 - - 0 1, drop, UDP_TIMEOUT 10, REAP_INTERVAL 4", 2);
	assert_int_equal(start(&x, &t), 0);
	n = rw_pkt(in, 17, a, 7, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	n = rw_pkt(in, 17, s, 53, nat, 1000, 0, 4, true);
	inject(&x, "m1", in, n);
	assert_int_equal(hread(&x, "c1.count"), 1);
	assert_int_equal(hread(&x, "rw.nmappings"), 1);
	/* reaped at +4 and +8 (still live), freed at +12 (expired at +10); the
	 * timer is not armed again and the run ends there */
	ck_router_run(x.r);
	assert_in_range(ck_now(x.r), t0 + 12000000000ull, t0 + 12001000000ull);
	/* as Click's, nmappings and the patterns line count the mappings the
	 * inputs hold: none now */
	assert_int_equal(hread(&x, "rw.size"), 0);
	assert_int_equal(hread(&x, "rw.nmappings"), 0);
	{
		char *pt = ck_handler_read_str(x.r, "rw.pattern0");

		assert_non_null(pt);
		assert_string_equal(pt, "8.0.0.2 1000 - -\n");
		free(pt);
	}
	/* the reply no longer maps: dropped on the 'drop' input */
	inject(&x, "m1", in, n);
	assert_int_equal(hread(&x, "c1.count"), 1);
	finish(&x);
}

static void
test_iprewriter_capacity(void **state)
{
	struct tg t;
	struct run x;
	uint8_t in[64];
	uint32_t n;
	const uint32_t a = IP4(10, 0, 0, 1), s = IP4(1, 2, 3, 4);

	(void)state;
	/* two mappings, both guaranteed (5 s): the third flow fails */
	rw_graph(&t, "pattern 8.0.0.2 1000-1999# - - 0 1, MAPPING_CAPACITY 2", 1);
	assert_int_equal(start(&x, &t), 0);
	for (uint16_t sp = 1; sp <= 3; sp++) {
		n = rw_pkt(in, 17, a, sp, s, 53, 0, 4, true);
		inject(&x, "m0", in, n);
	}
	assert_int_equal(hread(&x, "c0.count"), 2);
	assert_int_equal(hread(&x, "rw.size"), 2);
	assert_int_equal(hread(&x, "rw.nmappings"), 2); /* not the refused one, as Click */
	assert_int_equal(hread(&x, "rw.mapping_failures"), 1);
	assert_int_equal(hread(&x, "rw.capacity"), 2);
	finish(&x);

	/* without a guarantee the mapping expiring first (the first) is evicted */
	rw_graph(&t, "pattern 8.0.0.2 1000-1999# - - 0 1, MAPPING_CAPACITY 2, UDP_GUARANTEE 0", 1);
	assert_int_equal(start(&x, &t), 0);
	for (uint16_t sp = 1; sp <= 3; sp++) {
		n = rw_pkt(in, 17, a, sp, s, 53, 0, 4, true);
		inject(&x, "m0", in, n);
	}
	assert_int_equal(hread(&x, "c0.count"), 3);
	assert_int_equal(hread(&x, "rw.size"), 2);
	assert_int_equal(hread(&x, "rw.nmappings"), 2); /* not the evicted one */
	assert_int_equal(hread(&x, "rw.mapping_failures"), 0);
	{
		char *tb = ck_handler_read_str(x.r, "rw.table");

		assert_non_null(tb);
		assert_null(strstr(tb, "(10.0.0.1, 1, "));
		assert_non_null(strstr(tb, "(10.0.0.1, 3, 1.2.3.4, 53, udp) => "
					   "(8.0.0.2, 1002, 1.2.3.4, 53)"));
		free(tb);
	}
	finish(&x);
}

/* MAPPING_CAPACITY NAME: two rewriters share r1's capacity of 3 mappings
 * (guaranteed 5 s, so none is evicted): r1 takes 2, r2 then gets 1 and its
 * second flow fails; a rewriter or a chain of sharing that does not exist
 * is an error naming it. */
static void
test_iprewriter_shared_capacity(void **state)
{
	static const struct {
		const char *conf2, *msg;
	} bad[] = {
		{ "pattern 8.0.0.3 - - - 0 0, MAPPING_CAPACITY nosuch",
		  "'nosuch' is no other IPRewriter, TCPRewriter, UDPRewriter or ICMPPingRewriter" },
		{ "pattern 8.0.0.3 - - - 0 0, MAPPING_CAPACITY m1",
		  "'m1' is no other IPRewriter" },
		{ "pattern 8.0.0.3 - - - 0 0, MAPPING_CAPACITY r2",
		  "'r2' is no other IPRewriter" },
	};
	struct tg t;
	struct run x;
	uint8_t in[64];
	uint32_t n, r1, r2, m1, m2, c1, c2, d;
	const uint32_t a = IP4(10, 0, 0, 1), s = IP4(1, 2, 3, 4);

	(void)state;
	tg_init(&t);
	r1 = tg_add(&t, "r1", "IPRewriter", "pattern 8.0.0.2 1000-1999# - - 0 0, MAPPING_CAPACITY 3",
		    "h", "h");
	r2 = tg_add(&t, "r2", "IPRewriter", "pattern 8.0.0.3 2000-2999# - - 0 0, MAPPING_CAPACITY r1",
		    "h", "h");
	m1 = tg_add(&t, "m1", "MarkIPHeader", "", "h", "h");
	m2 = tg_add(&t, "m2", "MarkIPHeader", "", "h", "h");
	c1 = tg_add(&t, "c1", "Counter", "", "h", "h");
	c2 = tg_add(&t, "c2", "Counter", "", "h", "h");
	d = tg_add(&t, "d", "Discard", "", "h", "");
	tg_conn(&t, m1, 0, r1, 0);
	tg_conn(&t, m2, 0, r2, 0);
	tg_conn(&t, r1, 0, c1, 0);
	tg_conn(&t, r2, 0, c2, 0);
	tg_conn(&t, c1, 0, d, 0);
	tg_conn(&t, c2, 0, d, 0);
	assert_int_equal(start(&x, &t), 0);
	for (uint16_t sp = 1; sp <= 2; sp++) {
		n = rw_pkt(in, 17, a, sp, s, 53, 0, 4, true);
		inject(&x, "m1", in, n);
	}
	for (uint16_t sp = 1; sp <= 2; sp++) {
		n = rw_pkt(in, 17, a, sp, s, 53, 0, 4, true);
		inject(&x, "m2", in, n);
	}
	assert_int_equal(hread(&x, "c1.count"), 2);
	assert_int_equal(hread(&x, "c2.count"), 1);
	assert_int_equal(hread(&x, "r1.nmappings"), 2);
	/* as Click's, size counts the mappings against the shared capacity,
	 * table_size the rewriter's own */
	assert_int_equal(hread(&x, "r2.size"), 3);
	assert_int_equal(hread(&x, "r1.size"), 3);
	assert_int_equal(hread(&x, "r2.table_size"), 1);
	assert_int_equal(hread(&x, "r1.table_size"), 2);
	assert_int_equal(hread(&x, "r2.nmappings"), 1); /* not the refused one, as Click */
	assert_int_equal(hread(&x, "r2.mapping_failures"), 1);
	assert_int_equal(hread(&x, "r2.capacity"), 3);
	/* r1 is full too, counting r2's mapping */
	n = rw_pkt(in, 17, a, 9, s, 53, 0, 4, true);
	inject(&x, "m1", in, n);
	assert_int_equal(hread(&x, "r1.mapping_failures"), 1);
	/* a known flow still maps */
	n = rw_pkt(in, 17, a, 1, s, 53, 0, 4, true);
	inject(&x, "m2", in, n);
	assert_int_equal(hread(&x, "c2.count"), 2);
	finish(&x);

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		tg_init(&t);
		r1 = tg_add(&t, "r1", "IPRewriter",
			    i == 2 ? "pattern 8.0.0.2 - - - 0 0, MAPPING_CAPACITY r2"
				   : "pattern 8.0.0.2 - - - 0 0", "h", "h");
		r2 = tg_add(&t, "r2", "IPRewriter", bad[i].conf2, "h", "h");
		m1 = tg_add(&t, "m1", "MarkIPHeader", "", "h", "h");
		d = tg_add(&t, "d", "Discard", "", "h", "");
		tg_conn(&t, m1, 0, r1, 0);
		tg_conn(&t, r1, 0, r2, 0);
		tg_conn(&t, r2, 0, d, 0);
		assert_int_equal(start(&x, &t), -1);
		fflush(x.errf);
		if (i == 2)
			assert_non_null(strstr(x.err, "shares another rewriter's capacity itself"));
		else
			assert_non_null(strstr(x.err, bad[i].msg));
		finish(&x);
	}
}

/* RoundRobinIPMapper as an INPUTSPEC: new flows take its patterns in turn
 * (each with its own sequential port), replies come back through the
 * mapping to the pattern's reply output; errors name the mapper. */
static void
test_roundrobinipmapper(void **state)
{
	static const struct {
		const char *mconf, *msg;
	} bad[] = {
		{ "8.0.0.2 1000 - - 0 5", "mapper 'm' names output 5 (2 outputs)" },
		{ "8.0.0.2 1000", "pattern 1: expected 'SADDR SPORT DADDR DPORT FOUTPUT ROUTPUT'" },
		{ "8.0.0.2 1000 - -", "bad destination address '1000'" },
		{ "NOPE 0 1", "pattern 1: no pattern named 'NOPE'" },
	};
	struct tg t;
	struct run x;
	uint8_t in[64], want[64];
	char line[256];
	uint32_t n;
	size_t at = 0;
	const uint32_t a = IP4(10, 0, 0, 1), s = IP4(1, 2, 3, 4);
	const uint32_t n2 = IP4(8, 0, 0, 2), n3 = IP4(8, 0, 0, 3);

	(void)state;
	rw_graph(&t, "m", 1);
	tg_add(&t, "m", "RoundRobinIPMapper",
	       "8.0.0.2 1000-1999# - - 0 1, pattern 8.0.0.3 2000-2999# - - 0 1", "", "");
	assert_int_equal(start(&x, &t), 0);
	/* flows 1, 2, 3 from 10.0.0.1 ports 7, 8, 9: patterns 1, 2, 1 */
	n = rw_pkt(in, 17, a, 7, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	rw_pkt(want, 17, n2, 1000, s, 53, 0, 4, true);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	n = rw_pkt(in, 17, a, 8, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	rw_pkt(want, 17, n3, 2000, s, 53, 0, 4, true);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	n = rw_pkt(in, 17, a, 9, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	rw_pkt(want, 17, n2, 1001, s, 53, 0, 4, true);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	/* flow 1 again: its mapping, not the next pattern */
	n = rw_pkt(in, 17, a, 7, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	rw_pkt(want, 17, n2, 1000, s, 53, 0, 4, true);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	/* the reply to flow 2 goes back to 10.0.0.1:8 on output 1 */
	n = rw_pkt(in, 17, s, 53, n3, 2000, 0, 4, true);
	inject(&x, "m0", in, n);
	rw_pkt(want, 17, s, 53, a, 8, 0, 4, true);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o1", want, n));
	assert_int_equal(hread(&x, "rw.nmappings"), 3);
	finish(&x);

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		rw_graph(&t, "m", 1);
		tg_add(&t, "m", "RoundRobinIPMapper", bad[i].mconf, "", "");
		assert_int_equal(start(&x, &t), -1);
		fflush(x.errf);
		assert_non_null(strstr(x.err, bad[i].msg));
		finish(&x);
	}
	/* an element that is no mapper */
	rw_graph(&t, "o0", 1);
	assert_int_equal(start(&x, &t), -1);
	fflush(x.errf);
	assert_non_null(strstr(x.err, "INPUTSPEC 0: element 'o0' is no mapper (RoundRobinIPMapper)"));
	finish(&x);
}

static void
test_iprewriter_config_errors(void **state)
{
	static const char *const bad[] = {
		"pattern 8.0.0.2 1000-999 - - 0 1", "pattern 8.0.0.2 1000 - - 0 2",
		"pattern x 1000 - - 0 1", "keep 0", "pass 5", "frob", "drop, drop",
		"pattern NAT 0 1", "drop, MAPPING_CAPACITY 0", "drop, UDP_TIMEOUT x",
	};
	struct tg t;
	struct run x;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rw_graph(&t, bad[i], 1);
		assert_int_equal(start(&x, &t), -1);
		assert_non_null(strstr(x.err, "IPRewriter"));
		finish(&x);
	}
	rw_graph(&t, "pattern 8.0.0.2 1000-2000? - - 0 1, TCP_TIMEOUT 1h, DST_ANNO false", 1);
	assert_int_equal(start(&x, &t), 0);
	finish(&x);
}

/* tests/click/conf/urewrite.click, parsed and run offline: two UDP flows
 * NATed to 8.0.0.2 with a port in 1000-2000, mirrored back and mapped to
 * their original flows on output 1. */
static void
test_iprewriter_urewrite_conf(void **state)
{
	char path[1024], *text, *out = NULL, *l;
	size_t len, olen = 0;
	FILE *f, *of;
	struct ck_graph *g;
	struct ck_router *r;
	unsigned int p1 = 0, p2 = 0, p, n0 = 0, n1 = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/click/conf/urewrite.click", NETVM_SOURCE_ROOT);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, len, f), len);
	fclose(f);
	g = ck_graph_parse(text, "urewrite.click", NULL, 0, stderr);
	free(text);
	assert_non_null(g);
	of = open_memstream(&out, &olen);
	r = ck_router_new(g, ck_offline_platform(), stderr);
	assert_non_null(r);
	ck_router_set_simtime(r, true);
	ck_router_set_chatter(r, of);
	ck_router_run(r);
	fflush(of);
	/* 3 packets of each source, each printed at is, rw0, isR and rw1 */
	for (l = out; l && *l; l = strchr(l, '\n') + 1) {
		int end1 = 0, end2 = 0;

		/* %n is set only when the whole line matched */
		sscanf(l, "rw0: %*s 8.0.0.2.%u > 2.0.0.2.100: udp 30%n", &p, &end1);
		if (end1 == 0)
			sscanf(l, "rw0: %*s 8.0.0.2.%u > 1.0.0.2.100: udp 30%n", &p, &end2);
		if (end1) {
			assert_true(p >= 1000 && p <= 2000 && (!p1 || p == p1));
			p1 = p, n0++;
		} else if (end2) {
			assert_true(p >= 1000 && p <= 2000 && (!p2 || p == p2));
			p2 = p, n0++;
		} else if (strstr(l, "rw1: ") == l) {
			assert_true(strstr(l, ": 2.0.0.2.100 > 1.0.0.2.50: udp 30\n") ||
				    strstr(l, ": 1.0.0.2.100 > 10.0.0.2.50: udp 30\n"));
			n1++;
		}
	}
	assert_int_equal(n0, 6);
	assert_int_equal(n1, 6);
	assert_true(p1 != p2);
	ck_router_free(r);
	ck_graph_free(g);
	fclose(of);
	free(out);
}

/* IPRewriterPatterns names a pattern; TCPRewriter (IPRewriter's engine) uses
 * it by name, maps TCP and drops UDP arriving on a pattern input. */
static void
test_tcprewriter_named_pattern(void **state)
{
	struct tg t;
	struct run x;
	uint8_t in[64], want[64];
	char line[256];
	uint32_t n;
	size_t at = 0;
	const uint32_t a = IP4(10, 0, 0, 1), s = IP4(1, 2, 3, 4), nat = IP4(8, 0, 0, 2);

	(void)state;
	rw_graph(&t, "pattern NAT 0 1, drop", 2);
	t.e[0].class_name = "TCPRewriter";
	tg_add(&t, "pats", "IPRewriterPatterns", "NAT 8.0.0.2 1000-2000# - -", "", "");
	assert_int_equal(start(&x, &t), 0);
	n = rw_pkt(in, 6, a, 1234, s, 80, 0x02, 0, false);
	inject(&x, "m0", in, n);
	rw_pkt(want, 6, nat, 1000, s, 80, 0x02, 0, false);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	n = rw_pkt(in, 6, s, 80, nat, 1000, 0x12, 3, false);
	inject(&x, "m1", in, n);
	rw_pkt(want, 6, s, 80, a, 1234, 0x12, 3, false);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o1", want, n));
	/* UDP is not TCPRewriter's: dropped on the pattern input */
	n = rw_pkt(in, 17, a, 1234, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	assert_string_equal(chat_from(&x, &at), "");
	assert_int_equal(hread(&x, "rw.nmappings"), 1);
	finish(&x);

	/* unknown names and malformed patterns are errors naming the element */
	rw_graph(&t, "pattern NOPE 0 1, drop", 2);
	tg_add(&t, "pats", "IPRewriterPatterns", "NAT 8.0.0.2 1000-2000# - -", "", "");
	assert_int_equal(start(&x, &t), -1);
	assert_non_null(strstr(x.err, "no pattern named 'NOPE'"));
	finish(&x);
	rw_graph(&t, "drop", 1);
	tg_add(&t, "pats", "IPRewriterPatterns", "NAT 8.0.0.2", "", "");
	assert_int_equal(start(&x, &t), -1);
	assert_non_null(strstr(x.err, "expected 'NAME SADDR SPORT DADDR DPORT'"));
	finish(&x);
}

/* An ICMP echo (type 8 request or 0 reply), identifier @id, sequence 1, 4
 * bytes of data, checksums by ref_cksum(). Returns its length (32). */
static uint32_t
ping_pkt(uint8_t *b, uint8_t type, uint32_t src, uint32_t dst, uint16_t id)
{
	memset(b, 0, 32);
	b[0] = 0x45;
	put16(b + 2, 32);
	b[8] = 64;
	b[9] = 1;
	put32(b + 12, src);
	put32(b + 16, dst);
	put16(b + 10, ref_cksum(b, 20, 0));
	b[20] = type;
	put16(b + 24, id);
	put16(b + 26, 1);
	memset(b + 28, 0x5a, 4);
	put16(b + 22, ref_cksum(b + 20, 12, 0));
	return 32;
}

/* ICMPPingRewriter(SRC, DST), the form thomer-nat.click uses. */
static void
test_icmppingrewriter(void **state)
{
	struct tg t;
	struct run x;
	uint8_t in[64], want[64];
	char line[256];
	uint32_t n;
	size_t at = 0;
	const uint32_t a = IP4(10, 0, 0, 1), b = IP4(10, 0, 0, 2), s = IP4(1, 2, 3, 4);
	const uint32_t nat = IP4(8, 0, 0, 2);

	(void)state;
	rw_graph(&t, "8.0.0.2, -", 1);
	t.e[0].class_name = "ICMPPingRewriter";
	assert_int_equal(start(&x, &t), 0);
	/* a request leaves from 8.0.0.2 with its own (free) identifier */
	n = ping_pkt(in, 8, a, s, 77);
	inject(&x, "m0", in, n);
	ping_pkt(want, 8, nat, s, 77);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o0", want, n));
	/* its reply comes back to 10.0.0.1 on output 1 */
	n = ping_pkt(in, 0, s, nat, 77);
	inject(&x, "m0", in, n);
	ping_pkt(want, 0, s, a, 77);
	assert_string_equal(chat_from(&x, &at), print_line(line, "o1", want, n));
	/* a reply nobody asked for is dropped, and makes no mapping */
	n = ping_pkt(in, 0, s, nat, 99);
	inject(&x, "m0", in, n);
	assert_string_equal(chat_from(&x, &at), "");
	/* another host with the same identifier gets another one */
	n = ping_pkt(in, 8, b, s, 77);
	inject(&x, "m0", in, n);
	assert_int_equal(hread(&x, "c0.count"), 2);
	assert_int_equal(hread(&x, "rw.nmappings"), 2);
	{
		char *tb = ck_handler_read_str(x.r, "rw.table");

		assert_non_null(tb);
		assert_non_null(strstr(tb, "(10.0.0.1, 77, 1.2.3.4, 0, icmp) => (8.0.0.2, 77, 1.2.3.4, 0)"));
		assert_non_null(strstr(tb, "(10.0.0.2, 77, 1.2.3.4, 0, icmp) => (8.0.0.2, "));
		assert_null(strstr(tb, "(10.0.0.2, 77, 1.2.3.4, 0, icmp) => (8.0.0.2, 77,"));
		free(tb);
	}
	finish(&x);
}

/* The ICMPRewriter graph of the tests below: rw of rw_graph() with its
 * pattern @pattern; me -> MarkIPHeader -> ir :: ICMPRewriter(rw), whose
 * outputs 0 and 1 print as "e0" and "e1"; started in @x. */
static void
icmprw_start(struct tg *t, struct run *x, const char *pattern)
{
	uint32_t m, ir, p0, d0, p1, d1;

	rw_graph(t, pattern, 1);
	m = tg_add(t, "me", "MarkIPHeader", "", "h", "h");
	ir = tg_add(t, "ir", "ICMPRewriter", "rw", "h", "hh");
	tg_conn(t, m, 0, ir, 0);
	p0 = tg_add(t, "e0", "Print", "e0, 96", "h", "h");
	d0 = tg_add(t, "de0", "Discard", "", "h", "");
	p1 = tg_add(t, "e1", "Print", "e1, 96", "h", "h");
	d1 = tg_add(t, "de1", "Discard", "", "h", "");
	tg_conn(t, ir, 0, p0, 0);
	tg_conn(t, p0, 0, d0, 0);
	tg_conn(t, ir, 1, p1, 0);
	tg_conn(t, p1, 0, d1, 0);
	assert_int_equal(start(x, t), 0);
}

/* A 56-byte ICMP error @src > @dst of @type and @code quoting the 28 bytes
 * at @quote, both checksums right, into @buf. */
static void
icmp_err(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
	 const uint8_t *quote)
{
	memset(buf, 0, 56);
	buf[0] = 0x45;
	put16(buf + 2, 56);
	buf[8] = 64;
	buf[9] = 1;
	put32(buf + 12, src);
	put32(buf + 16, dst);
	put16(buf + 10, ref_cksum(buf, 20, 0));
	buf[20] = type;
	buf[21] = code;
	memcpy(buf + 28, quote, 28);
	put16(buf + 22, ref_cksum(buf + 20, 36, 0));
}

/* ICMPRewriter: a time-exceeded about a NATed UDP flow goes back to the
 * inside host, its quote rewritten; an error quoting no mapping goes to 1. */
static void
test_icmprewriter(void **state)
{
	struct tg t;
	struct run x;
	uint8_t in[96], err[96], want[96], q[64];
	char line[256];
	uint32_t n;
	size_t at = 0;
	const uint32_t a = IP4(10, 0, 0, 1), s = IP4(1, 2, 3, 4), nat = IP4(8, 0, 0, 2);
	const uint32_t rt = IP4(9, 9, 9, 9);

	(void)state;
	icmprw_start(&t, &x, "pattern 8.0.0.2 - - - 0 1");
	n = rw_pkt(in, 17, a, 5000, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	(void)chat_from(&x, &at);
	/* the router's error quotes the packet as it left: 8.0.0.2:5000 > 1.2.3.4:53 */
	rw_pkt(q, 17, nat, 5000, s, 53, 0, 4, true);
	icmp_err(err, rt, nat, 11, 0, q);
	inject(&x, "me", err, 56);
	rw_pkt(q, 17, a, 5000, s, 53, 0, 4, true);
	icmp_err(want, rt, a, 11, 0, q);
	assert_string_equal(chat_from(&x, &at), print_line(line, "e0", want, 56));
	/* no mapping for 8.0.0.2:5001: output 1, unchanged */
	rw_pkt(q, 17, nat, 5001, s, 53, 0, 4, true);
	icmp_err(err, rt, nat, 11, 0, q);
	inject(&x, "me", err, 56);
	assert_string_equal(chat_from(&x, &at), print_line(line, "e1", err, 56));
	assert_int_equal(hread(&x, "ir.count"), 1);
	finish(&x);
}

/* ICMPRewriter as Click's: behind a destination NAT (1.2.3.4 -> 7.7.7.7),
 * an error from 7.7.7.7 keeps its outer source, only the outer destination
 * (the quoted sender) may change; the checksums are updated, so a wrong
 * ICMP checksum stays wrong by as much; a packet that is not ICMP is
 * dropped, not sent to output 1. */
static void
test_icmprewriter_as_click(void **state)
{
	struct tg t;
	struct run x;
	uint8_t in[96], err[96], want[96], q[64];
	char line[256];
	uint32_t n;
	size_t at = 0;
	const uint32_t a = IP4(10, 0, 0, 1), s = IP4(1, 2, 3, 4), b = IP4(7, 7, 7, 7);

	(void)state;
	icmprw_start(&t, &x, "pattern - - 7.7.7.7 - 0 1");
	n = rw_pkt(in, 17, a, 5000, s, 53, 0, 4, true);
	inject(&x, "m0", in, n);
	(void)chat_from(&x, &at);
	/* 7.7.7.7's port unreachable quotes 10.0.0.1:5000 > 7.7.7.7:53 */
	rw_pkt(q, 17, a, 5000, b, 53, 0, 4, true);
	icmp_err(err, b, a, 3, 3, q);
	inject(&x, "me", err, 56);
	rw_pkt(q, 17, a, 5000, s, 53, 0, 4, true);
	icmp_err(want, b, a, 3, 3, q);
	assert_string_equal(chat_from(&x, &at), print_line(line, "e0", want, 56));
	/* the same with an ICMP checksum one too low: one too low after */
	rw_pkt(q, 17, a, 5000, b, 53, 0, 4, true);
	icmp_err(err, b, a, 3, 3, q);
	put16(err + 22, (uint16_t)(((uint32_t)err[22] << 8 | err[23]) - 1));
	inject(&x, "me", err, 56);
	rw_pkt(q, 17, a, 5000, s, 53, 0, 4, true);
	icmp_err(want, b, a, 3, 3, q);
	put16(want + 22, (uint16_t)(((uint32_t)want[22] << 8 | want[23]) - 1));
	assert_string_equal(chat_from(&x, &at), print_line(line, "e0", want, 56));
	/* not ICMP: dropped */
	n = rw_pkt(in, 17, b, 53, a, 5000, 0, 4, true);
	inject(&x, "me", in, n);
	assert_string_equal(chat_from(&x, &at), "");
	assert_int_equal(hread(&x, "ir.count"), 2);
	finish(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print_format),
		cmocka_unit_test(test_print_empty_label),
		cmocka_unit_test(test_print_keyword_label),
		cmocka_unit_test(test_print_headroom_bool),
		cmocka_unit_test(test_print_long),
		cmocka_unit_test(test_discard_active_pull_only),
		cmocka_unit_test(test_tee_clones),
		cmocka_unit_test(test_classifier),
		cmocka_unit_test(test_decipttl_checksum),
		cmocka_unit_test(test_ipgwoptions),
		cmocka_unit_test(test_checkipheader_bad),
		cmocka_unit_test(test_encap_strip),
		cmocka_unit_test(test_paint_switch),
		cmocka_unit_test(test_ipclassifier_ipfilter),
		cmocka_unit_test(test_iplookup),
		cmocka_unit_test(test_ipprint),
		cmocka_unit_test(test_ipprint_aggregate_active),
		cmocka_unit_test(test_ipprint_contents_words),
		cmocka_unit_test(test_truncate_rrswitch),
		cmocka_unit_test(test_ipsumdump_roundtrip),
		cmocka_unit_test(test_pcap_roundtrip),
		cmocka_unit_test(test_arpresponder),
		cmocka_unit_test(test_ipfragmenter),
		cmocka_unit_test(test_ipreassembler),
		cmocka_unit_test(test_ipreassembler_overlap),
		cmocka_unit_test(test_ipreassembler_expiry),
		cmocka_unit_test(test_ipreassembler_himem),
		cmocka_unit_test(test_icmperror),
		cmocka_unit_test(test_icmp_code_names),
		cmocka_unit_test(test_icmperror_route_paramprob),
		cmocka_unit_test(test_arpquerier),
		cmocka_unit_test(test_ipencap_udpipencap),
		cmocka_unit_test(test_udpipencap_dst_anno),
		cmocka_unit_test(test_ipencap_proto_names),
		cmocka_unit_test(test_ipmirror),
		cmocka_unit_test(test_setudpchecksum),
		cmocka_unit_test(test_icmppingresponder),
		cmocka_unit_test(test_iprewriter_pattern),
		cmocka_unit_test(test_iprewriter_port_range),
		cmocka_unit_test(test_iprewriter_pass_keep_drop),
		cmocka_unit_test(test_iprewriter_udp_checksum),
		cmocka_unit_test(test_iprewriter_expiry),
		cmocka_unit_test(test_iprewriter_capacity),
		cmocka_unit_test(test_iprewriter_shared_capacity),
		cmocka_unit_test(test_roundrobinipmapper),
		cmocka_unit_test(test_iprewriter_config_errors),
		cmocka_unit_test(test_iprewriter_urewrite_conf),
		cmocka_unit_test(test_tcprewriter_named_pattern),
		cmocka_unit_test(test_icmppingrewriter),
		cmocka_unit_test(test_icmprewriter),
		cmocka_unit_test(test_icmprewriter_as_click),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
