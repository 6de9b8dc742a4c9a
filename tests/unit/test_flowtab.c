/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_flowtab — the 5-tuple table: add/lookup/del, the full-table rule
 * (-ENOSPC, no overwrite), the CRC32-C hash against the check values of
 * RFC 3720 §B.4, and a long random sequence of operations against a
 * reference that is a plain array indexed by key number.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nl_flowtab.h"

static struct nl_flow_key
key(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
	return (struct nl_flow_key){ .src_ip = src, .dst_ip = dst, .proto = proto,
				     .sport = sport, .dport = dport };
}

static void
test_crc32c_vectors(void **st)
{
	static const char check[] = "123456789";
	uint8_t zeros[32] = { 0 }, ones[32], inc[32], dec[32];
	int i;

	(void)st;
	for (i = 0; i < 32; i++) {
		ones[i] = 0xff;
		inc[i] = (uint8_t)i;
		dec[i] = (uint8_t)(31 - i);
	}
	/* The CRC-32C check value, then RFC 3720 B.4 (bytes there are little-endian). */
	assert_int_equal(~nl_crc32c_sw(check, 9, 0xffffffff), 0xe3069283);
	assert_int_equal(~nl_crc32c(check, 9, 0xffffffff), 0xe3069283);
	assert_int_equal(~nl_crc32c(zeros, 32, 0xffffffff), 0x8a9136aa);
	assert_int_equal(~nl_crc32c(ones, 32, 0xffffffff), 0x62a8ab43);
	assert_int_equal(~nl_crc32c(inc, 32, 0xffffffff), 0x46dd794e);
	assert_int_equal(~nl_crc32c(dec, 32, 0xffffffff), 0x113fdb5c);
	assert_int_equal(~nl_crc32c_sw(dec, 32, 0xffffffff), 0x113fdb5c);
	/* Every length and alignment: the SSE4.2 path (when present) agrees with software. */
	for (i = 0; i <= 31; i++)
		assert_int_equal(nl_crc32c(inc + (i & 3), (size_t)(31 - i), 0x12345678),
				 nl_crc32c_sw(inc + (i & 3), (size_t)(31 - i), 0x12345678));
}

/* CRC32-C one bit at a time, straight from the definition (reflected 0x1edc6f41). */
static uint32_t
ref_crc32c(const uint8_t *p, size_t len, uint32_t crc)
{
	int b;

	while (len--) {
		crc ^= *p++;
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78u : 0);
	}
	return crc;
}

static void
test_crc32c_vs_bitwise(void **st)
{
	uint8_t buf[4096];
	size_t i, len;

	(void)st;
	srand(11);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (len = 0; len <= sizeof(buf); len = len * 2 + 1) {
		size_t odd = len - (len > 0); /* from an odd address */

		assert_int_equal(nl_crc32c_sw(buf, len, ~0u), ref_crc32c(buf, len, ~0u));
		assert_int_equal(nl_crc32c(buf + 1, odd, 7), ref_crc32c(buf + 1, odd, 7));
	}
}

static void
test_flow_hash(void **st)
{
	struct nl_flow_key a = key(0x0a000102, 0x0a000202, 6, 1234, 80), b = a;
	uint8_t bytes[13];

	(void)st;
	/* The first 13 bytes of the key in memory, pad excluded. */
	memcpy(bytes, &a, 13);
	assert_int_equal(nl_flow_hash(&a), nl_crc32c_sw(bytes, 13, 0xffffffff));
	memset(b.pad, 0xa5, sizeof(b.pad));
	assert_int_equal(nl_flow_hash(&a), nl_flow_hash(&b));
	b.proto = 17;
	assert_int_not_equal(nl_flow_hash(&a), nl_flow_hash(&b));
}

/*
 * Two keys with the same hash (found offline by solving the CRC's linear
 * system for the destination address, given a one-bit change of the source):
 * the table must keep them apart by comparing keys.
 */
static void
test_hash_collision(void **st)
{
	struct nl_flow_key a = key(0x0a000001, 0x0a000002, 6, 1234, 80);
	struct nl_flow_key b = key(0x0a000000, 0xd745aaba, 6, 1234, 80);
	struct nl_flowtab *ft = nl_flowtab_create(4);
	uint32_t v;

	(void)st;
	assert_non_null(ft);
	assert_int_equal(nl_flow_hash(&a), 0xbc404047); /* the premise of this test */
	assert_int_equal(nl_flow_hash(&b), 0xbc404047);
	assert_int_equal(nl_flowtab_add(ft, &a, 1), 0);
	assert_int_equal(nl_flowtab_lookup(ft, &b, &v), -ENOENT);
	assert_int_equal(nl_flowtab_add(ft, &b, 2), 0);
	assert_int_equal(nl_flowtab_lookup(ft, &a, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(nl_flowtab_lookup(ft, &b, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(nl_flowtab_del(ft, &a), 0);
	assert_int_equal(nl_flowtab_lookup(ft, &a, &v), -ENOENT);
	assert_int_equal(nl_flowtab_lookup(ft, &b, &v), 0);
	assert_int_equal(v, 2);
	nl_flowtab_free(ft);
}

static void
test_basic(void **st)
{
	struct nl_flowtab *ft = nl_flowtab_create(8);
	struct nl_flow_key a = key(0x0a000102, 0x0a000202, 6, 1234, 80);
	struct nl_flow_key swapped = key(0x0a000202, 0x0a000102, 6, 80, 1234);
	struct nl_flow_key other_proto = key(0x0a000102, 0x0a000202, 17, 1234, 80);
	struct nl_flow_key other_ports = key(0x0a000102, 0x0a000202, 6, 80, 1234);
	struct nl_flow_key padded = a;
	uint32_t v = 0;

	(void)st;
	assert_non_null(ft);
	assert_int_equal(nl_flowtab_lookup(ft, &a, &v), -ENOENT);
	assert_int_equal(nl_flowtab_add(ft, &a, 7), 0);
	assert_int_equal(nl_flowtab_lookup(ft, &a, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(nl_flowtab_lookup(ft, &swapped, &v), -ENOENT);
	assert_int_equal(nl_flowtab_lookup(ft, &other_proto, &v), -ENOENT);
	assert_int_equal(nl_flowtab_lookup(ft, &other_ports, &v), -ENOENT);
	/* pad is not part of the key. */
	memset(padded.pad, 0xff, sizeof(padded.pad));
	assert_int_equal(nl_flowtab_lookup(ft, &padded, &v), 0);
	assert_int_equal(nl_flowtab_add(ft, &padded, 8), -EEXIST);
	assert_int_equal(nl_flowtab_lookup(ft, &a, &v), 0);
	assert_int_equal(v, 7); /* not overwritten */
	assert_int_equal(nl_flowtab_add(ft, &swapped, 0xffffffff), 0);
	assert_int_equal(nl_flowtab_lookup(ft, &swapped, &v), 0);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(nl_flowtab_count(ft), 2);
	assert_int_equal(nl_flowtab_del(ft, &a), 0);
	assert_int_equal(nl_flowtab_del(ft, &a), -ENOENT);
	assert_int_equal(nl_flowtab_lookup(ft, &a, &v), -ENOENT);
	assert_int_equal(nl_flowtab_lookup(ft, &swapped, &v), 0);
	assert_int_equal(nl_flowtab_count(ft), 1);
	nl_flowtab_free(ft);
	nl_flowtab_free(NULL);

	errno = 0;
	assert_null(nl_flowtab_create(0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(nl_flowtab_create(NL_FLOWTAB_MAX + 1));
	assert_int_equal(errno, EINVAL);
}

static void
test_full_table(void **st)
{
	enum { CAP = 100 };
	struct nl_flowtab *ft = nl_flowtab_create(CAP);
	struct nl_flow_key k;
	uint32_t v, i;

	(void)st;
	assert_non_null(ft);
	for (i = 0; i < CAP; i++) {
		k = key(0xc0a80000 + i, 0x08080808, 17, (uint16_t)(1000 + i), 53);
		assert_int_equal(nl_flowtab_add(ft, &k, i * 3), 0);
	}
	k = key(0xc0a80000 + CAP, 0x08080808, 17, 1000 + CAP, 53);
	assert_int_equal(nl_flowtab_add(ft, &k, 1), -ENOSPC);
	assert_int_equal(nl_flowtab_lookup(ft, &k, &v), -ENOENT);
	/* A present key is still reported as such, and nothing was replaced. */
	k = key(0xc0a80000, 0x08080808, 17, 1000, 53);
	assert_int_equal(nl_flowtab_add(ft, &k, 1), -EEXIST);
	assert_int_equal(nl_flowtab_count(ft), CAP);
	for (i = 0; i < CAP; i++) {
		k = key(0xc0a80000 + i, 0x08080808, 17, (uint16_t)(1000 + i), 53);
		assert_int_equal(nl_flowtab_lookup(ft, &k, &v), 0);
		assert_int_equal(v, i * 3);
	}
	/* One out, one in. */
	k = key(0xc0a80000 + 5, 0x08080808, 17, 1005, 53);
	assert_int_equal(nl_flowtab_del(ft, &k), 0);
	k = key(0xc0a80000 + CAP, 0x08080808, 17, 1000 + CAP, 53);
	assert_int_equal(nl_flowtab_add(ft, &k, 42), 0);
	assert_int_equal(nl_flowtab_lookup(ft, &k, &v), 0);
	assert_int_equal(v, 42);
	nl_flowtab_free(ft);

	ft = nl_flowtab_create(1);
	assert_non_null(ft);
	assert_int_equal(nl_flowtab_add(ft, &k, 1), 0);
	k.dport++;
	assert_int_equal(nl_flowtab_add(ft, &k, 2), -ENOSPC);
	nl_flowtab_free(ft);
}

static uint32_t
rnd32(void)
{
	return (uint32_t)rand() << 16 ^ (uint32_t)rand();
}

/* Random add/del/lookup over a universe of keys, reference = arrays by key number. */
static void
test_random_vs_reference(void **st)
{
	enum { U = 40000, CAP = 16384, OPS = 400000 };
	struct nl_flow_key *keys = calloc(U, sizeof(*keys));
	uint32_t *val = calloc(U, sizeof(uint32_t));
	uint8_t *present = calloc(U, 1);
	struct nl_flowtab *ft = nl_flowtab_create(CAP);
	struct nl_flow_key bk[NL_FLOWTAB_BURST_MAX];
	uint32_t bv[NL_FLOWTAB_BURST_MAX], bu[NL_FLOWTAB_BURST_MAX], v, count = 0;
	unsigned int i, j, u;
	uint64_t hit;
	int rc;

	(void)st;
	assert_non_null(keys);
	assert_non_null(val);
	assert_non_null(present);
	assert_non_null(ft);
	srand(2024);
	for (u = 0; u < U; u++) {
		/* Distinct by construction: u is spread over the source address and port. */
		keys[u] = key(0x0a000000 | (u >> 4), rnd32(), (uint8_t)(rand() % 2 ? 6 : 17),
			      (uint16_t)(u & 0xf), (uint16_t)rnd32());
	}
	for (i = 0; i < OPS; i++) {
		u = (unsigned int)rand() % U;
		switch (rand() % 4) {
		case 0:
		case 1: /* add: while the table fills, this tests -ENOSPC a lot */
			v = rnd32();
			rc = nl_flowtab_add(ft, &keys[u], v);
			if (present[u]) {
				assert_int_equal(rc, -EEXIST);
			} else if (count == CAP) {
				assert_int_equal(rc, -ENOSPC);
			} else {
				assert_int_equal(rc, 0);
				present[u] = 1;
				val[u] = v;
				count++;
			}
			break;
		case 2:
			rc = nl_flowtab_del(ft, &keys[u]);
			assert_int_equal(rc, present[u] ? 0 : -ENOENT);
			count -= present[u];
			present[u] = 0;
			break;
		default:
			rc = nl_flowtab_lookup(ft, &keys[u], &v);
			if (!present[u])
				assert_int_equal(rc, -ENOENT);
			else if (rc != 0 || v != val[u])
				fail_msg("op %u: key %u: rc %d value %u, want %u", i, u, rc, v,
					 val[u]);
			break;
		}
		if (i % 1000 == 0) {
			int want = 0;

			for (j = 0; j < NL_FLOWTAB_BURST_MAX; j++) {
				bu[j] = (uint32_t)rand() % U;
				bk[j] = keys[bu[j]];
				want += present[bu[j]];
			}
			rc = nl_flowtab_lookup_burst(ft, bk, bv, NL_FLOWTAB_BURST_MAX, &hit);
			assert_int_equal(rc, want);
			for (j = 0; j < NL_FLOWTAB_BURST_MAX; j++) {
				assert_int_equal(hit >> j & 1, present[bu[j]]);
				if (present[bu[j]])
					assert_int_equal(bv[j], val[bu[j]]);
			}
		}
	}
	assert_int_equal(nl_flowtab_count(ft), count);
	for (u = 0; u < U; u++) {
		rc = nl_flowtab_lookup(ft, &keys[u], &v);
		assert_int_equal(rc, present[u] ? 0 : -ENOENT);
		if (present[u])
			assert_int_equal(v, val[u]);
	}
	assert_int_equal(nl_flowtab_lookup_burst(ft, bk, bv, NL_FLOWTAB_BURST_MAX + 1, &hit),
			 -EINVAL);
	nl_flowtab_free(ft);
	free(keys);
	free(val);
	free(present);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_crc32c_vs_bitwise),
		cmocka_unit_test(test_flow_hash),
		cmocka_unit_test(test_hash_collision),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_random_vs_reference),
	};

	return cmocka_run_group_tests_name("flowtab", tests, NULL, NULL);
}
