/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the core's table of IPv4 fragments (core/frags.c) against
 * core/frags.h: a fragment's identity read from its frame (with and without
 * an 802.1Q tag), a later fragment finding what its first fragment was
 * given, for CORE_FRAG_TTL_MS and no longer, and only for the same
 * addresses, protocol and identification; an empty table finds nothing; a
 * first fragment takes its entry from the datagram that held it; what a
 * fragment an NF hands on notes is found only for the same role, and never
 * pushes out a live note of the wire.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cls.h"
#include "frags.h"
#include "validate.h"

#define HZ 1000000000ull /* a TSC of 1 GHz: 1 ms is 1 000 000 cycles */

static struct core_frags tab;

/* An IPv4 frame of fragment @off (8-byte units, @mf: more fragments) of
 * datagram @id from @src to @dst, protocol @proto, tagged when @vlan. */
static void
frame_of(uint8_t *buf, int vlan, uint32_t src, uint32_t dst, uint16_t id, uint8_t proto,
	 uint16_t off, int mf)
{
	uint8_t *ip = buf + 14;
	uint16_t w;

	memset(buf, 0, 128);
	if (vlan) {
		buf[12] = 0x81;
		buf[13] = 0x00;
		buf[16] = 0x08;
		ip += 4;
	} else {
		buf[12] = 0x08;
	}
	ip[0] = 0x45;
	w = htons(id);
	memcpy(ip + 4, &w, 2);
	w = htons((uint16_t)(off | (mf ? 0x2000 : 0)));
	memcpy(ip + 6, &w, 2);
	ip[9] = proto;
	src = htonl(src);
	dst = htonl(dst);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
}

/* The IPv4 address in the first 4 bytes of @a, in host order. */
static uint32_t
addr4(const uint8_t *a)
{
	uint32_t v;

	memcpy(&v, a, 4);
	return ntohl(v);
}

static void
addr4_set(uint8_t *a, uint32_t v)
{
	v = htonl(v);
	memcpy(a, &v, 4);
}

/* The identity core_frag_id_of() reads in the frame frame_of() makes. */
static struct core_frag_id
fid(int vlan, uint32_t src, uint32_t dst, uint16_t id, uint8_t proto, uint16_t off, int mf)
{
	uint8_t buf[128];
	struct core_frag_id f;

	frame_of(buf, vlan, src, dst, id, proto, off, mf);
	core_frag_id_of(buf, &f);
	return f;
}

/* An IPv6 frame from @src to @dst (the last byte of 2001:db8::) whose
 * fixed header has next header @nh; with @nh 44, a fragment header follows,
 * of fragment @off (8-byte units, @mf: more fragments) of datagram @id and
 * next header @inner; then @pay bytes, starting with a UDP header from port
 * 1000 to 53 in a first fragment (or whole packet) of UDP. Returns its
 * length. */
static uint32_t
frame6_of(uint8_t *buf, int vlan, uint8_t src, uint8_t dst, uint8_t nh, uint32_t id,
	  uint8_t inner, uint16_t off, int mf, uint16_t pay)
{
	uint8_t *ip = buf + 14, *p;
	uint16_t w;
	uint32_t fh = nh == 44 ? 8 : 0;

	memset(buf, 0, 256);
	if (vlan) {
		buf[12] = 0x81;
		buf[13] = 0x00;
		buf[16] = 0x86;
		buf[17] = 0xdd;
		ip += 4;
	} else {
		buf[12] = 0x86;
		buf[13] = 0xdd;
	}
	ip[0] = 0x60;
	w = htons((uint16_t)(fh + pay));
	memcpy(ip + 4, &w, 2);
	ip[6] = nh;
	ip[7] = 64;
	ip[8] = 0x20;
	ip[9] = 0x01;
	ip[10] = 0x0d;
	ip[11] = 0xb8;
	memcpy(ip + 24, ip + 8, 16);
	ip[23] = src;
	ip[39] = dst;
	p = ip + 40;
	if (nh == 44) {
		p[0] = inner;
		w = htons((uint16_t)(off << 3 | (mf ? 1 : 0)));
		memcpy(p + 2, &w, 2);
		id = htonl(id);
		memcpy(p + 4, &id, 4);
		p += 8;
	}
	if ((nh == 44 ? inner : nh) == 17 && pay >= 8 && off == 0) {
		w = htons(1000);
		memcpy(p, &w, 2);
		w = htons(53);
		memcpy(p + 2, &w, 2);
	}
	return (uint32_t)(ip - buf) + 40 + fh + pay;
}

/* An 8-byte hop-by-hop header put in front of the extension headers of the
 * IPv6 frame of @len bytes in @buf (tagged when @vlan); its new length. */
static uint32_t
hbh_in(uint8_t *buf, int vlan, uint32_t len)
{
	uint8_t *ip = buf + 14 + (vlan ? 4 : 0);
	uint16_t plen = (uint16_t)((ip[4] << 8 | ip[5]) + 8);
	uint32_t at = (uint32_t)(ip - buf) + 40;

	memmove(buf + at + 8, buf + at, len - at);
	memset(buf + at, 0, 8); /* Pad1 options */
	buf[at] = ip[6];
	ip[6] = 0;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	return len + 8;
}

static struct core_frag_verdict
verdict(uint32_t hash, uint16_t slot, uint16_t role)
{
	struct core_frag_verdict v = { .hash = hash, .slot = slot, .role = role,
				       .drop = CORE_DROP_MAX, .has_dest = 1 };
	return v;
}

static int
setup(void **state)
{
	(void)state;
	core_frags_init(&tab, HZ);
	return 0;
}

static void
test_id_of(void **state)
{
	struct core_frag_id f;
	int vlan;

	(void)state;
	for (vlan = 0; vlan < 2; vlan++) {
		f = fid(vlan, 0x0a000001, 0xc0a80102, 0x1234, 17, 0, 1);
		assert_int_equal(addr4(f.src), 0x0a000001);
		assert_int_equal(addr4(f.dst), 0xc0a80102);
		assert_int_equal(f.v6, 0);
		assert_int_equal(f.id, htons(0x1234));
		assert_int_equal(f.proto, 17);
		assert_int_equal(f.first, 1);
		f = fid(vlan, 0x0a000001, 0xc0a80102, 0x1234, 17, 185, 0);
		assert_int_equal(f.first, 0);
		assert_int_equal(f.id, htons(0x1234));
		f = fid(vlan, 0x0a000001, 0xc0a80102, 0x1234, 6, 1, 1);
		assert_int_equal(f.first, 0);
		assert_int_equal(f.proto, 6);
	}
}

static void
test_later_finds_first(void **state)
{
	struct core_frag_id first, later;
	struct core_frag_verdict v = verdict(0xdeadbeef, 7, 3), got;
	uint64_t t0 = 5 * HZ;

	(void)state;
	first = fid(0, 0x0a000001, 0x0a000002, 99, 17, 0, 1);
	later = fid(0, 0x0a000001, 0x0a000002, 99, 17, 185, 1);
	/* nothing noted yet */
	assert_false(core_frags_find(&tab, &later, t0, &got));
	core_frags_note(&tab, &first, &v, t0);
	memset(&got, 0, sizeof(got));
	assert_true(core_frags_find(&tab, &later, t0, &got));
	assert_int_equal(got.hash, 0xdeadbeef);
	assert_int_equal(got.slot, 7);
	assert_int_equal(got.role, 3);
	assert_int_equal(got.drop, CORE_DROP_MAX);
	assert_int_equal(got.has_dest, 1);
	/* good for CORE_FRAG_TTL_MS, not a cycle more */
	assert_true(core_frags_find(&tab, &later, t0 + HZ / 1000 * CORE_FRAG_TTL_MS, &got));
	assert_false(core_frags_find(&tab, &later, t0 + HZ / 1000 * CORE_FRAG_TTL_MS + 1, &got));
	/* a drop is kept as given */
	v.drop = CORE_DROP_rule_drop;
	v.has_dest = 0;
	core_frags_note(&tab, &first, &v, t0);
	assert_true(core_frags_find(&tab, &later, t0 + 1, &got));
	assert_int_equal(got.drop, CORE_DROP_rule_drop);
	assert_int_equal(got.has_dest, 0);
}

static void
test_identity_must_match(void **state)
{
	struct core_frag_id first, f;
	struct core_frag_verdict v = verdict(1, 1, 1), got;
	uint64_t t0 = HZ;

	(void)state;
	first = fid(0, 0x0a000001, 0x0a000002, 7, 17, 0, 1);
	core_frags_note(&tab, &first, &v, t0);
	/* another identification, source, destination or protocol */
	f = fid(0, 0x0a000001, 0x0a000002, 8, 17, 10, 0);
	assert_false(core_frags_find(&tab, &f, t0, &got));
	f = fid(0, 0x0a000003, 0x0a000002, 7, 17, 10, 0);
	assert_false(core_frags_find(&tab, &f, t0, &got));
	f = fid(0, 0x0a000001, 0x0a000004, 7, 17, 10, 0);
	assert_false(core_frags_find(&tab, &f, t0, &got));
	f = fid(0, 0x0a000001, 0x0a000002, 7, 6, 10, 0);
	assert_false(core_frags_find(&tab, &f, t0, &got));
	/* the same datagram, tagged: found */
	f = fid(1, 0x0a000001, 0x0a000002, 7, 17, 10, 0);
	assert_true(core_frags_find(&tab, &f, t0, &got));
}

static void
test_id6_of(void **state)
{
	uint8_t buf[256];
	struct cls_key key;
	struct cls_key6 key6;
	struct core_frag_id f;
	uint32_t len, id6 = htonl(0xabcdef01);
	int vlan;

	(void)state;
	for (vlan = 0; vlan < 2; vlan++) {
		len = frame6_of(buf, vlan, 1, 2, 44, 0xabcdef01, 17, 0, 1, 100);
		assert_int_equal(cls_key_extract(buf, len, 0, &key, &key6), CLS_IPV6_FRAG);
		core_frag_id_of(buf, &f);
		assert_int_equal(f.v6, 1);
		assert_int_equal(f.first, 1);
		assert_int_equal(f.proto, 0);
		assert_memory_equal(&f.id, &id6, 4);
		assert_memory_equal(f.src, key6.src, 16);
		assert_memory_equal(f.dst, key6.dst, 16);
		len = frame6_of(buf, vlan, 1, 2, 44, 0xabcdef01, 17, 185, 0, 100);
		assert_int_equal(cls_key_extract(buf, len, 0, &key, &key6), CLS_IPV6_FRAG);
		core_frag_id_of(buf, &f);
		assert_int_equal(f.first, 0);
		assert_memory_equal(&f.id, &id6, 4);
	}
	/* behind a hop-by-hop header: the same identity */
	len = hbh_in(buf, 0, frame6_of(buf, 0, 1, 2, 44, 0xabcdef01, 17, 185, 1, 100));
	assert_int_equal(cls_key_extract(buf, len, 0, &key, &key6), CLS_IPV6_FRAG);
	core_frag_id_of(buf, &f);
	assert_int_equal(f.first, 0);
	assert_memory_equal(&f.id, &id6, 4);
	assert_memory_equal(f.src, key6.src, 16);
	len = hbh_in(buf, 1, frame6_of(buf, 1, 1, 2, 44, 0xabcdef01, 17, 0, 1, 100));
	assert_int_equal(cls_key_extract(buf, len, 0, &key, &key6), CLS_IPV6_FRAG);
	core_frag_id_of(buf, &f);
	assert_int_equal(f.first, 1);
	assert_memory_equal(&f.id, &id6, 4);
	/* a fragment header cut short: malformed, whether the frame or the
	 * payload length cuts it */
	len = frame6_of(buf, 0, 1, 2, 44, 1, 17, 0, 1, 0);
	assert_int_equal(cls_key_extract(buf, len - 1, 0, &key, &key6), -EINVAL);
	buf[14 + 5] = 7; /* payload length 7 */
	assert_int_equal(cls_key_extract(buf, len - 1, 0, &key, &key6), -EINVAL);
}

/* A first IPv6 fragment has its datagram's key and flow hash: its upper
 * protocol and ports, also behind a hop-by-hop header; a later one has the
 * upper protocol and no ports. */
static void
test_first6_hash(void **state)
{
	uint8_t buf[256];
	struct cls_key key;
	struct cls_key6 key6;
	uint32_t len, whole;

	(void)state;
	len = frame6_of(buf, 0, 1, 2, 17, 0, 0, 0, 0, 100);
	assert_int_equal(cls_key_extract(buf, len, 0, &key, &key6), CLS_IPV6);
	assert_int_equal(ntohs(key6.dport), 53);
	whole = cls_flow_hash6(&key6);
	len = frame6_of(buf, 0, 1, 2, 44, 77, 17, 0, 1, 100);
	assert_int_equal(cls_key_extract(buf, len, 0, &key, &key6), CLS_IPV6_FRAG);
	assert_int_equal(key6.proto, 17);
	assert_int_equal(ntohs(key6.sport), 1000);
	assert_int_equal(ntohs(key6.dport), 53);
	assert_int_equal(cls_flow_hash6(&key6), whole);
	len = hbh_in(buf, 0, len);
	assert_int_equal(cls_key_extract(buf, len, 0, &key, &key6), CLS_IPV6_FRAG);
	assert_int_equal(cls_flow_hash6(&key6), whole);
	/* the reply's first fragment: the same hash (symmetric) */
	len = frame6_of(buf, 0, 2, 1, 44, 78, 17, 0, 1, 100);
	memcpy(buf + 14 + 48, "\x00\x35\x03\xe8", 4); /* from 53 to 1000 */
	assert_int_equal(cls_key_extract(buf, len, 0, &key, &key6), CLS_IPV6_FRAG);
	assert_int_equal(cls_flow_hash6(&key6), whole);
	/* a later fragment: UDP, ports 0 */
	len = frame6_of(buf, 0, 1, 2, 44, 77, 17, 185, 0, 100);
	assert_int_equal(cls_key_extract(buf, len, 0, &key, &key6), CLS_IPV6_FRAG);
	assert_int_equal(key6.proto, 17);
	assert_int_equal(key6.sport | key6.dport, 0);
}

/* An IPv4 and an IPv6 datagram whose identities agree but for the family:
 * one is never found for the other. */
static void
test_family_apart(void **state)
{
	struct core_frag_id a = fid(0, 0x0a000001, 0x0a000002, 7, 0, 0, 1), b = a;
	struct core_frag_verdict v = verdict(1, 1, 1), got;

	(void)state;
	b.v6 = 1;
	core_frags_note(&tab, &a, &v, HZ);
	b.first = 0;
	assert_false(core_frags_find(&tab, &b, HZ, &got));
	a.first = 0;
	assert_true(core_frags_find(&tab, &a, HZ, &got));
}

/* @a with field @field (0 src, 1 dst, 2 id) moved by @k. */
static struct core_frag_id
moved(const struct core_frag_id *a, int field, uint32_t k)
{
	struct core_frag_id b = *a;

	if (field == 0)
		addr4_set(b.src, addr4(a->src) + k);
	else if (field == 1)
		addr4_set(b.dst, addr4(a->dst) + k);
	else
		b.id = htons((uint16_t)(ntohs(a->id) + k));
	return b;
}

/*
 * Datagrams that share an entry with a noted one (found by noting them
 * after it: it is then gone) but for one field: never found with its
 * verdict (the entry's identity is compared whole). The protocol is not
 * in the entry's index: every protocol of the same datagram shares it.
 */
static void
test_no_false_match(void **state)
{
	struct core_frag_id a = fid(0, 0x0a000001, 0x0a000002, 7, 17, 0, 1), b;
	struct core_frag_verdict v = verdict(1, 1, 1), got;
	unsigned int field, x, shared;
	uint32_t k;

	(void)state;
	for (field = 0; field < 3; field++) {
		shared = 0;
		for (k = 1; k < 65536 && shared < 4; k++) {
			core_frags_note(&tab, &a, &v, HZ);
			b = moved(&a, (int)field, k);
			core_frags_note(&tab, &b, &v, HZ);
			if (core_frags_find(&tab, &a, HZ, &got))
				continue;
			shared++;
			b.first = 0;
			core_frags_note(&tab, &a, &v, HZ);
			assert_false(core_frags_find(&tab, &b, HZ, &got));
		}
		assert_int_equal(shared, 4); /* the search found some */
	}
	core_frags_note(&tab, &a, &v, HZ);
	for (x = 0; x < 256; x++) {
		b = a;
		b.proto = (uint8_t)x;
		b.first = 0;
		assert_int_equal(core_frags_find(&tab, &b, HZ, &got), x == 17);
	}
}

/* Four times as many datagrams noted as the table holds: at least three
 * quarters are gone (each entry holds the last noted of those mapped to
 * it), the last noted is there, and none is ever found with another's
 * verdict. */
static void
test_overwritten(void **state)
{
	const unsigned int n = 4 * CORE_FRAGS;
	struct core_frag_id f;
	struct core_frag_verdict v, got;
	unsigned int i, found = 0, lost = 0;

	(void)state;
	for (i = 0; i < n; i++) {
		f = fid(0, 0x0a000001, 0x0a000002 + (i >> 16), (uint16_t)i, 17, 0, 1);
		v = verdict(i, (uint16_t)i, 1);
		core_frags_note(&tab, &f, &v, HZ);
	}
	for (i = 0; i < n; i++) {
		f = fid(0, 0x0a000001, 0x0a000002 + (i >> 16), (uint16_t)i, 17, 64, 0);
		if (core_frags_find(&tab, &f, HZ, &got)) {
			assert_int_equal(got.hash, i);
			found++;
		} else {
			lost++;
		}
	}
	assert_true(found <= CORE_FRAGS);
	assert_true(lost >= n - CORE_FRAGS);
	/* the last one noted is always there */
	f = fid(0, 0x0a000001, 0x0a000002 + ((n - 1) >> 16), (uint16_t)(n - 1), 17, 64, 0);
	assert_true(core_frags_find(&tab, &f, HZ, &got));
	assert_int_equal(got.hash, n - 1);
}

static struct core_frag_id
handed(struct core_frag_id f, uint16_t from)
{
	f.from = from;
	return f;
}

/* What a first fragment an NF hands on notes is found only by later
 * fragments the same role hands on: not by fragments from the wire, nor by
 * another role's, even one whose entry is the same. */
static void
test_handed_apart(void **state)
{
	struct core_frag_id first = fid(0, 0x0a000001, 0x0a000002, 42, 17, 0, 1);
	struct core_frag_id later = fid(0, 0x0a000001, 0x0a000002, 42, 17, 185, 0);
	struct core_frag_verdict wire = verdict(0x1111, 1, 1), nf = verdict(0x2222, 0, 0), got;
	struct core_frag_id first2 = handed(first, 1 + 2), later2 = handed(later, 1 + 2);
	struct core_frag_id later3 = handed(later, 1 + 3);

	(void)state;
	assert_int_equal(first.from, CORE_FRAG_WIRE);
	nf.has_dest = 0;
	core_frags_note(&tab, &first, &wire, HZ);
	core_frags_note(&tab, &first2, &nf, HZ);
	assert_true(core_frags_find(&tab, &later, HZ, &got));
	assert_int_equal(got.hash, 0x1111);
	assert_int_equal(got.has_dest, 1);
	assert_true(core_frags_find(&tab, &later2, HZ, &got));
	assert_int_equal(got.hash, 0x2222);
	assert_int_equal(got.has_dest, 0);
	assert_false(core_frags_find(&tab, &later3, HZ, &got));
	/* no other hander finds it, those whose entry is the same included */
	for (uint32_t from = 1; from <= UINT16_MAX; from++) {
		struct core_frag_id l = handed(later, (uint16_t)from);

		if (from != 1 + 2)
			assert_false(core_frags_find(&tab, &l, HZ, &got));
	}
}

/* An NF's note never pushes out a live note of the wire in the entry it
 * maps to; once that note is older than CORE_FRAG_TTL_MS it does, and a
 * note of the wire pushes out an NF's. */
static void
test_wire_kept(void **state)
{
	const uint64_t ttl = HZ / 1000 * CORE_FRAG_TTL_MS;
	struct core_frag_id first = fid(0, 0x0a000001, 0x0a000002, 42, 17, 0, 1);
	struct core_frag_id later = fid(0, 0x0a000001, 0x0a000002, 42, 17, 185, 0);
	struct core_frag_verdict wire = verdict(0x1111, 1, 1), nf = verdict(0x2222, 0, 0), got;
	struct core_frag_id g = first;
	unsigned int i;

	(void)state;
	wire.drop = CORE_DROP_rule_drop;
	wire.has_dest = 0;
	core_frags_note(&tab, &first, &wire, HZ);
	/* an NF's first fragment whose note is refused: its entry is the wire's */
	for (i = 1; i < 64 * CORE_FRAGS; i++) {
		g = handed(fid(0, 0x0a000009, 0x0a00000a, (uint16_t)i, 17, 0, 1),
			   (uint16_t)(1 + i % 256));
		core_frags_note(&tab, &g, &nf, HZ);
		if (!core_frags_find(&tab, &g, HZ, &got))
			break;
	}
	assert_true(i < 64 * CORE_FRAGS);
	assert_true(core_frags_find(&tab, &later, HZ + 1, &got));
	assert_int_equal(got.hash, 0x1111);
	assert_int_equal(got.drop, CORE_DROP_rule_drop);
	/* the wire's note is too old: the NF's takes the entry */
	core_frags_note(&tab, &g, &nf, HZ + ttl + 1);
	assert_true(core_frags_find(&tab, &g, HZ + ttl + 1, &got));
	assert_int_equal(got.hash, 0x2222);
	/* a note of the wire takes it back */
	core_frags_note(&tab, &first, &wire, HZ + ttl + 2);
	assert_false(core_frags_find(&tab, &g, HZ + ttl + 2, &got));
	assert_true(core_frags_find(&tab, &later, HZ + ttl + 2, &got));
	assert_int_equal(got.hash, 0x1111);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_id_of, setup),
		cmocka_unit_test_setup(test_later_finds_first, setup),
		cmocka_unit_test_setup(test_identity_must_match, setup),
		cmocka_unit_test_setup(test_no_false_match, setup),
		cmocka_unit_test_setup(test_id6_of, setup),
		cmocka_unit_test_setup(test_first6_hash, setup),
		cmocka_unit_test_setup(test_family_apart, setup),
		cmocka_unit_test_setup(test_overwritten, setup),
		cmocka_unit_test_setup(test_handed_apart, setup),
		cmocka_unit_test_setup(test_wire_kept, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
