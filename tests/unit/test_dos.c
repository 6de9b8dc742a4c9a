/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the core's attack detector (core/dos.c) against what
 * core/dos.h, docs/core.md and docs/operations.md section 8 promise: off by
 * default; a source (an IPv4 address, an IPv6 /64) listed once when it
 * sends over src_pps / 10 packets in one 100 ms window (one packet more:
 * reaching it is not over), and its entry refreshed (not listed again) when
 * it is over in a later window; a rate below one packet per window lists a
 * source's first packet; at most 64 sources listed, the ones over the limit
 * beyond that counted in dos_list_full; TCP SYNs without ACK per role, IPv4
 * and IPv6 (behind extension headers too; SYN-ACKs, later fragments and
 * frames too short for the flags are not SYNs); `dos clear` empties the
 * lists and keeps the counters since start; bad commands refused with the
 * usage.
 *
 * Windows are driven by the TSC values passed to the detector: window k is
 * start + k whole windows, start being a TSC read after the detector was
 * created (dos.c counts windows from its creation).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include "cls.h"
#include "dos.h"

struct fixture {
	struct core_dos *d;
	uint64_t t0;    /* a TSC after the detector's start */
	uint64_t win;   /* TSC ticks per window */
};

static uint64_t
at_window(const struct fixture *f, unsigned int k)
{
	return f->t0 + (uint64_t)k * f->win;
}

/* Run "dos @cmd"; its return value, the answer (or the error) in @out. */
static int
cmd(struct fixture *f, const char *line, char *out, size_t outlen)
{
	char args[128], err[256] = "";
	FILE *m = fmemopen(out, outlen, "w");
	int rc;

	assert_non_null(m);
	snprintf(args, sizeof(args), "%s", line);
	rc = core_dos_cmd(f->d, args, m, err, sizeof(err));
	fclose(m);
	if (rc != 0)
		snprintf(out, outlen, "%s", err);
	return rc;
}

static void
set(struct fixture *f, const char *line)
{
	char out[256];

	assert_int_equal(cmd(f, line, out, sizeof(out)), 0);
}

/* @n packets from IPv4 source @src (a.b.c.d as a host-order number) at @now,
 * in bursts of up to 32 as the RX side counts them. */
static void
packets(struct fixture *f, uint32_t src, unsigned int n, uint64_t now)
{
	struct cls_key k = { .proto = 17, .ipv4 = 1, .src_ip = htonl(src), .dst_ip = htonl(0x0a000202) };
	const struct cls_key *kp[32];
	unsigned int i;

	for (i = 0; i < 32; i++)
		kp[i] = &k;
	while (n > 0) {
		unsigned int b = n < 32 ? n : 32;

		core_dos_count(f->d, kp, b, now);
		n -= b;
	}
}

static struct core_dos_stats
stats(const struct fixture *f)
{
	struct core_dos_stats st;

	memset(&st, 0xa5, sizeof(st));
	core_dos_stats_get(f->d, &st);
	return st;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->d = core_dos_create(SOCKET_ID_ANY);
	if (f->d == NULL) {
		free(f);
		return -1;
	}
	f->t0 = rte_rdtsc();
	f->win = rte_get_tsc_hz() / 1000 * CORE_DOS_WINDOW_MS;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	core_dos_free(f->d);
	free(f);
	return 0;
}

static void
test_off_by_default(void **state)
{
	struct fixture *f = *state;
	struct core_dos_stats st;
	char out[512];

	packets(f, 0x0a000102, 100000, at_window(f, 0));
	st = stats(f);
	assert_int_equal(st.src_pps, 0);
	assert_int_equal(st.syn_pps, 0);
	assert_int_equal(st.events, 0);
	assert_int_equal(st.offenders, 0);
	assert_int_equal(st.list_full, 0);
	assert_int_equal(cmd(f, "list", out, sizeof(out)), 0);
	assert_string_equal(out, "src_pps 0\nsyn_pps 0\n");
}

static void
test_listed_once_over_the_limit(void **state)
{
	struct fixture *f = *state;
	char out[512];

	assert_int_equal(cmd(f, "set src_pps 1000", out, sizeof(out)), 0);
	assert_string_equal(out, "src_pps 1000 (over 100 packets from a source in 100 ms)\n");
	packets(f, 0x0a000102, 100, at_window(f, 1));
	assert_int_equal(stats(f).offenders, 0); /* at the limit: 1000/s, not over */
	packets(f, 0x0a000102, 1, at_window(f, 1));
	assert_int_equal(stats(f).offenders, 1);
	assert_int_equal(stats(f).events, 1);
	packets(f, 0x0a000102, 5000, at_window(f, 1));
	assert_int_equal(stats(f).events, 1); /* listed once */
	/* 100 in each of two windows: never over 100 in one */
	packets(f, 0x0a000103, 100, at_window(f, 2));
	packets(f, 0x0a000103, 100, at_window(f, 3));
	assert_int_equal(stats(f).offenders, 1);
	/* over again in a later window: the same entry, not a new event */
	packets(f, 0x0a000102, 101, at_window(f, 4));
	assert_int_equal(stats(f).offenders, 1);
	assert_int_equal(stats(f).events, 1);
	assert_int_equal(cmd(f, "list", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "src_pps 1000\nsyn_pps 0\noffender 10.0.1.2 since_ms "));
	assert_null(strstr(out, "10.0.1.3"));
	/* non-IPv4 keys are not counted */
	{
		struct cls_key k = { .ipv4 = 0, .src_ip = htonl(0x0a000109) };
		const struct cls_key *kp[1] = { &k };
		unsigned int i;

		for (i = 0; i < 1000; i++)
			core_dos_count(f->d, kp, 1, at_window(f, 5));
	}
	assert_int_equal(stats(f).offenders, 1);
}

static void
test_list_holds_64(void **state)
{
	struct fixture *f = *state;
	struct core_dos_stats st;
	char out[8192], *p;
	unsigned int i, n = 0;

	set(f, "set src_pps 100"); /* over 10 packets per window */
	/* one new heavy source per window: 70 sources */
	for (i = 0; i < 70; i++)
		packets(f, 0xc0a80000 + i, 11, at_window(f, 1 + i));
	st = stats(f);
	assert_int_equal(st.offenders, CORE_DOS_MAX_OFFENDERS);
	assert_int_equal(st.events, CORE_DOS_MAX_OFFENDERS);
	assert_int_equal(st.list_full, 70 - CORE_DOS_MAX_OFFENDERS);
	assert_int_equal(cmd(f, "list", out, sizeof(out)), 0);
	for (p = out; (p = strstr(p, "\noffender ")) != NULL; p++)
		n++;
	assert_int_equal(n, CORE_DOS_MAX_OFFENDERS);
	assert_non_null(strstr(out, "offender 192.168.0.0 "));
	assert_non_null(strstr(out, "offender 192.168.0.63 "));
	assert_null(strstr(out, "offender 192.168.0.64 "));
	/* a listed source over again: refreshed, not counted as full */
	packets(f, 0xc0a80000, 11, at_window(f, 80));
	assert_int_equal(stats(f).list_full, 70 - CORE_DOS_MAX_OFFENDERS);
	/* one more unlisted source over the limit: counted again */
	packets(f, 0xc0a80045, 11, at_window(f, 81));
	assert_int_equal(stats(f).list_full, 70 - CORE_DOS_MAX_OFFENDERS + 1);
	/* clear: the lists emptied, the counters since start kept, room again */
	assert_int_equal(cmd(f, "clear", out, sizeof(out)), 0);
	assert_string_equal(out, "offenders cleared\n");
	st = stats(f);
	assert_int_equal(st.offenders, 0);
	assert_int_equal(st.events, CORE_DOS_MAX_OFFENDERS);
	assert_int_equal(st.list_full, 70 - CORE_DOS_MAX_OFFENDERS + 1);
	packets(f, 0xc0a80045, 11, at_window(f, 82));
	assert_int_equal(stats(f).offenders, 1);
	assert_int_equal(stats(f).events, CORE_DOS_MAX_OFFENDERS + 1);
	/* off again: nothing counted */
	set(f, "set src_pps 0");
	packets(f, 0xc0a80046, 1000, at_window(f, 83));
	assert_int_equal(stats(f).offenders, 1);
	assert_int_equal(stats(f).src_pps, 0);
}

/* An Ethernet + IPv4 + TCP frame with TCP flags @flags, IPv4 fragment field
 * @frag (host order); 54 bytes. */
static uint32_t
tcp_frame(uint8_t *b, uint8_t flags, uint16_t frag)
{
	memset(b, 0, 64);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = 0;
	b[17] = 40;
	b[20] = (uint8_t)(frag >> 8);
	b[21] = (uint8_t)frag;
	b[22] = 64;
	b[23] = 6;
	b[34 + 12] = 0x50;
	b[34 + 13] = flags;
	return 54;
}

static void
test_syn_per_role(void **state)
{
	struct fixture *f = *state;
	struct cls_key k = { .proto = 6, .ipv4 = 1, .src_ip = htonl(0x0a000102) };
	uint8_t syn[64], synack[64], frag[64], ack[64];
	uint32_t len = tcp_frame(syn, 0x02, 0);
	struct core_dos_stats st;
	char out[1024];
	unsigned int i;

	tcp_frame(synack, 0x12, 0);
	tcp_frame(ack, 0x10, 0);
	tcp_frame(frag, 0x02, 0x0003); /* offset 24 bytes: a later fragment */
	/* off by default */
	for (i = 0; i < 1000; i++)
		core_dos_syn(f->d, &k, syn, len, 3, at_window(f, 1));
	assert_int_equal(stats(f).syn_roles, 0);
	assert_int_equal(cmd(f, "set syn_pps 100", out, sizeof(out)), 0);
	assert_string_equal(out, "syn_pps 100 (over 10 SYNs into a role in 100 ms)\n");
	/* what is not a SYN, any number of times */
	for (i = 0; i < 1000; i++) {
		core_dos_syn(f->d, &k, synack, len, 3, at_window(f, 2));
		core_dos_syn(f->d, &k, ack, len, 3, at_window(f, 2));
		core_dos_syn(f->d, &k, frag, len, 3, at_window(f, 2));
		core_dos_syn(f->d, &k, syn, 14 + 20 + 13, 3, at_window(f, 2)); /* no flags byte */
		core_dos_syn(f->d, &k, syn, len, CFG_MAX_ROLES, at_window(f, 2)); /* no such role */
	}
	assert_int_equal(stats(f).syn_roles, 0);
	/* 10 SYNs (the limit, not over it) in each of two windows; then 11 in one */
	for (i = 0; i < 10; i++) {
		core_dos_syn(f->d, &k, syn, len, 3, at_window(f, 3));
		core_dos_syn(f->d, &k, syn, len, 3, at_window(f, 4));
	}
	assert_int_equal(stats(f).syn_roles, 0);
	for (i = 0; i < 11; i++)
		core_dos_syn(f->d, &k, syn, len, 3, at_window(f, 5));
	st = stats(f);
	assert_int_equal(st.syn_roles, 1);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.offenders, 0); /* a role, not a source */
	for (i = 0; i < 100; i++)
		core_dos_syn(f->d, &k, syn, len, 3, at_window(f, 6));
	assert_int_equal(stats(f).events, 1);
	assert_int_equal(cmd(f, "list", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "syn_pps 100\nsyn_role 3 since_ms "));
	assert_int_equal(cmd(f, "clear", out, sizeof(out)), 0);
	assert_int_equal(stats(f).syn_roles, 0);
	assert_int_equal(cmd(f, "list", out, sizeof(out)), 0);
	assert_null(strstr(out, "syn_role"));
}

/*
 * An Ethernet + IPv6 frame carrying TCP flags @flags: with @hbh a hop-by-hop
 * header first, with @frag_off >= 0 a fragment header of that offset (8-byte
 * units) before TCP, whose header (20 bytes) is there unless the offset is
 * not 0. Its key into @k6 (cls_key_extract() must take it); its length.
 */
static uint32_t
tcp6_frame(uint8_t *b, uint8_t flags, int hbh, int frag_off, struct cls_key6 *k6)
{
	uint8_t *ip = b + 14, *p = ip + 40, *nh = ip + 6;
	struct cls_key k;
	uint32_t len;

	memset(b, 0, 128);
	b[12] = 0x86;
	b[13] = 0xdd;
	ip[0] = 0x60;
	ip[7] = 64;
	ip[8] = 0x20;
	ip[23] = 1;
	ip[24] = 0x20;
	ip[39] = 2;
	if (hbh) {
		*nh = 0;
		nh = p;
		p += 8;
	}
	if (frag_off >= 0) {
		*nh = 44;
		nh = p;
		p[2] = (uint8_t)(frag_off >> 5);
		p[3] = (uint8_t)(frag_off << 3 | 1);
		p += 8;
	}
	*nh = 6;
	p[1] = 80;
	p[12] = 0x50;
	p[13] = flags;
	p += 20;
	len = (uint32_t)(p - b);
	ip[5] = (uint8_t)(len - 54);
	assert_true(cls_key_extract(b, len, 0, &k, k6) >= 0);
	assert_int_equal(k6->proto, 6);
	return len;
}

/* IPv6 SYNs count as IPv4 ones, behind extension headers too; a SYN-ACK, an
 * ACK and a later fragment do not. */
static void
test_syn6_per_role(void **state)
{
	struct fixture *f = *state;
	uint8_t syn[128], hbh[128], first[128], synack[128], ack[128], later[128];
	struct cls_key6 k_syn, k_hbh, k_first, k_synack, k_ack, k_later;
	unsigned int i;

	tcp6_frame(syn, 0x02, 0, -1, &k_syn);
	tcp6_frame(hbh, 0x02, 1, -1, &k_hbh);
	tcp6_frame(first, 0x02, 1, 0, &k_first);
	tcp6_frame(synack, 0x12, 1, -1, &k_synack);
	tcp6_frame(ack, 0x10, 0, -1, &k_ack);
	tcp6_frame(later, 0x02, 1, 3, &k_later); /* its "flags" are data */
	/* off by default */
	for (i = 0; i < 100; i++)
		core_dos_syn6(f->d, &k_syn, syn, 3, at_window(f, 1));
	assert_int_equal(stats(f).syn_roles, 0);
	set(f, "set syn_pps 100");
	for (i = 0; i < 1000; i++) {
		core_dos_syn6(f->d, &k_synack, synack, 3, at_window(f, 2));
		core_dos_syn6(f->d, &k_ack, ack, 3, at_window(f, 2));
		core_dos_syn6(f->d, &k_later, later, 3, at_window(f, 2));
		core_dos_syn6(f->d, &k_syn, syn, CFG_MAX_ROLES, at_window(f, 2));
	}
	assert_int_equal(stats(f).syn_roles, 0);
	/* 10 SYNs in one window, of the three kinds: the limit, not over it */
	for (i = 0; i < 10; i++)
		core_dos_syn6(f->d, i % 3 == 0 ? &k_syn : i % 3 == 1 ? &k_hbh : &k_first,
			      i % 3 == 0 ? syn : i % 3 == 1 ? hbh : first, 4, at_window(f, 3));
	assert_int_equal(stats(f).syn_roles, 0);
	/* 11 behind a hop-by-hop header: over */
	for (i = 0; i < 11; i++)
		core_dos_syn6(f->d, &k_hbh, hbh, 4, at_window(f, 4));
	assert_int_equal(stats(f).syn_roles, 1);
	/* and 11 as first fragments, into another role */
	for (i = 0; i < 11; i++)
		core_dos_syn6(f->d, &k_first, first, 5, at_window(f, 4));
	assert_int_equal(stats(f).syn_roles, 2);
}

/* @n packets from IPv6 source @src at @now, in bursts of up to 32. */
static void
packets6(struct fixture *f, const char *src, unsigned int n, uint64_t now)
{
	struct cls_key6 k = { .proto = 17 };
	const struct cls_key6 *kp[32];
	unsigned int i;

	assert_int_equal(inet_pton(AF_INET6, src, k.src), 1);
	for (i = 0; i < 32; i++)
		kp[i] = &k;
	while (n > 0) {
		unsigned int b = n < 32 ? n : 32;

		core_dos_count6(f->d, kp, b, now);
		n -= b;
	}
}

/* IPv6 sources are counted per /64: the addresses of one /64 together,
 * listed as the prefix; another /64, and an IPv4 source whose address is
 * the /64's first bytes, apart. */
static void
test_v6_per_64(void **state)
{
	struct fixture *f = *state;
	char out[1024];

	set(f, "set src_pps 100"); /* over 10 in a window */
	/* 6 + 5 from two addresses of one /64: 11, over */
	packets6(f, "2001:db8:1:2::1", 6, at_window(f, 1));
	packets6(f, "2001:db8:1:2:ffff:ffff:ffff:ffff", 5, at_window(f, 1));
	/* 10 from each of two other /64s, and 10 from IPv4 32.1.13.184
	 * (0x20010db8, the first bytes of 2001:db8::/64) */
	packets6(f, "2001:db8:1:3::1", 10, at_window(f, 1));
	packets6(f, "2001:db8:1:1::1", 10, at_window(f, 1));
	packets(f, 0x20010db8, 10, at_window(f, 1));
	packets6(f, "2001:db8::", 10, at_window(f, 1));
	assert_int_equal(stats(f).offenders, 1);
	assert_int_equal(cmd(f, "list", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "offender 2001:db8:1:2::/64 since_ms "));
	assert_null(strstr(out, "offender 2001:db8:1:3"));
	assert_null(strstr(out, "offender 32.1.13.184"));
	/* the IPv4 source over by itself: listed as an address */
	packets(f, 0x20010db8, 11, at_window(f, 2));
	assert_int_equal(cmd(f, "list", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "offender 32.1.13.184 since_ms "));
	assert_null(strstr(out, "offender 2001:db8::/64"));
	assert_int_equal(stats(f).offenders, 2);
}

static void
test_bad_commands(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"set src_pps -1", "set src_pps 100000001", "set src_pps 12x", "set src_pps",
		"set foo 10", "set syn_pps 1 2", "list now", "clear all", "", "stop",
	};
	char out[512];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cmd(f, bad[i], out, sizeof(out)), -EINVAL);
		assert_true(strstr(out, "dos ") != NULL);
	}
	assert_int_equal(stats(f).src_pps, 0);
	assert_int_equal(stats(f).syn_pps, 0);
	/* the largest rate, and a rate below one packet per window */
	assert_int_equal(cmd(f, "set src_pps 100000000", out, sizeof(out)), 0);
	assert_string_equal(out,
			    "src_pps 100000000 (over 10000000 packets from a source in 100 ms)\n");
	/* 0 turns a detector off: the answer says so, not "over 0 packets" */
	assert_int_equal(cmd(f, "set src_pps 0", out, sizeof(out)), 0);
	assert_string_equal(out, "src_pps 0 (off)\n");
	assert_int_equal(cmd(f, "set syn_pps 0", out, sizeof(out)), 0);
	assert_string_equal(out, "syn_pps 0 (off)\n");
}

/* The limits at small rates: over src_pps / 10 packets in a window, the
 * tenths kept (10/s: over 1 packet, so 2; 15/s: over 1.5, so 2; 3/s: over
 * 0.3, so 1), for sources and SYNs alike. */
static void
test_small_rates(void **state)
{
	struct fixture *f = *state;
	struct cls_key k = { .proto = 6, .ipv4 = 1, .src_ip = htonl(0x0a000102) };
	uint8_t syn[64];
	uint32_t len = tcp_frame(syn, 0x02, 0);
	char out[512];

	assert_int_equal(cmd(f, "set src_pps 10", out, sizeof(out)), 0);
	assert_string_equal(out, "src_pps 10 (over 1 packets from a source in 100 ms)\n");
	packets(f, 0x0a000101, 1, at_window(f, 1));
	packets(f, 0x0a000101, 1, at_window(f, 2));
	assert_int_equal(stats(f).offenders, 0); /* one a window: 10/s, not over */
	packets(f, 0x0a000101, 2, at_window(f, 3));
	assert_int_equal(stats(f).offenders, 1);
	assert_int_equal(cmd(f, "set src_pps 15", out, sizeof(out)), 0);
	assert_string_equal(out, "src_pps 15 (over 1.5 packets from a source in 100 ms)\n");
	packets(f, 0x0a000102, 1, at_window(f, 4));
	assert_int_equal(stats(f).offenders, 1);
	packets(f, 0x0a000102, 1, at_window(f, 4));
	assert_int_equal(stats(f).offenders, 2);
	assert_int_equal(cmd(f, "set src_pps 3", out, sizeof(out)), 0);
	assert_string_equal(out, "src_pps 3 (over 0.3 packets from a source in 100 ms)\n");
	packets(f, 0x0a000103, 1, at_window(f, 5));
	assert_int_equal(stats(f).offenders, 3);
	assert_int_equal(cmd(f, "set syn_pps 10", out, sizeof(out)), 0);
	assert_string_equal(out, "syn_pps 10 (over 1 SYNs into a role in 100 ms)\n");
	core_dos_syn(f->d, &k, syn, len, 2, at_window(f, 6));
	core_dos_syn(f->d, &k, syn, len, 2, at_window(f, 7));
	assert_int_equal(stats(f).syn_roles, 0);
	core_dos_syn(f->d, &k, syn, len, 2, at_window(f, 8));
	core_dos_syn(f->d, &k, syn, len, 2, at_window(f, 8));
	assert_int_equal(stats(f).syn_roles, 1);
}

static int
eal_setup(void **state)
{
	char a0[] = "test_dos", a1[] = "--no-huge", a2[] = "--no-pci", a3[] = "-m", a4[] = "64",
	     a5[] = "--no-shconf", a6[] = "--no-telemetry", a7[] = "--log-level=3";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, NULL };

	(void)state;
	return rte_eal_init(8, argv) < 0 ? -1 : 0;
}

static int
eal_teardown(void **state)
{
	(void)state;
	return rte_eal_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off_by_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listed_once_over_the_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_holds_64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_per_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn6_per_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_per_64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_rates, setup, teardown),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
