/* SPDX-License-Identifier: BSD-3-Clause */
/* Descriptor validation (validate.h): every rejection reason, the buffer
 * being taken back exactly when it is the NF's; and O(1) translation between
 * buffer index, region offset and mbuf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"

#define NBUF 64
#define STRIDE 2048

#define FRAME_MAX 1514 /* both ports: MTU 1500 */

static uint16_t owner[NBUF];
static uint8_t role_known[256];
static uint32_t out_lim[256]; /* ports 0 and 1 exist */

static struct core_vctx
vctx(uint16_t nf)
{
	struct core_vctx v = {
		.buf_count = NBUF, .buf_stride = STRIDE, .nb_ports = 2,
		.nf_id = nf, .owner = owner, .role_known = role_known, .out_lim = out_lim,
	};
	return v;
}

static void
reset(void)
{
	unsigned int i;

	for (i = 0; i < NBUF; i++)
		owner[i] = CORE_OWNER_CORE;
	memset(role_known, 0, sizeof(role_known));
	memset(out_lim, 0, sizeof(out_lim));
	out_lim[0] = out_lim[1] = FRAME_MAX - CORE_FRAME_MIN + 1;
	owner[5] = 3;  /* NF 3 holds buffer 5 */
	owner[6] = 4;  /* NF 4 holds buffer 6 */
	role_known[7] = 1;
}

static struct nvm_desc
desc(uint32_t buf, uint8_t action)
{
	struct nvm_desc d = { .buf = buf, .data_off = 128, .len = 60, .action = action };

	return d;
}

#define VERDICT(d, reason_, owned_)                                  \
	do {                                                         \
		struct core_vctx v_ = vctx(3);                       \
		struct core_verdict r_ = core_validate(&v_, &(d));   \
		assert_int_equal(r_.reason, (reason_));              \
		assert_int_equal(r_.owned, (owned_));                \
	} while (0)

static void
test_accepts_good(void **state)
{
	struct nvm_desc d;

	(void)state;
	reset();
	d = desc(5, NVM_ACT_OUT);
	d.port = 1;
	VERDICT(d, CORE_DROP_MAX, 1);
	d = desc(5, NVM_ACT_TO_ROLE);
	d.arg = 7;
	VERDICT(d, CORE_DROP_MAX, 1);
	d = desc(5, NVM_ACT_NEXT);
	VERDICT(d, CORE_DROP_MAX, 1);
	d = desc(5, NVM_ACT_DROP);
	d.len = 0; /* a returned buffer needs no contents */
	VERDICT(d, CORE_DROP_MAX, 1);
	d = desc(5, NVM_ACT_OUT);
	d.data_off = 0;
	d.len = STRIDE; /* exactly the whole buffer */
	VERDICT(d, CORE_DROP_MAX, 1);
}

static void
test_rejects(void **state)
{
	struct nvm_desc d;

	(void)state;
	reset();
	d = desc(NBUF, NVM_ACT_OUT);
	VERDICT(d, CORE_DROP_bad_buf, 0);
	d = desc(0xffffffffu, NVM_ACT_DROP);
	VERDICT(d, CORE_DROP_bad_buf, 0);
	d = desc(6, NVM_ACT_OUT); /* NF 4's buffer */
	VERDICT(d, CORE_DROP_not_owned, 0);
	d = desc(0, NVM_ACT_OUT); /* the core's own buffer */
	VERDICT(d, CORE_DROP_not_owned, 0);
	d = desc(5, NVM_ACT_MAX);
	VERDICT(d, CORE_DROP_bad_action, 1);
	d = desc(5, 0xff);
	VERDICT(d, CORE_DROP_bad_action, 1);
	d = desc(5, NVM_ACT_OUT);
	d.port = 2;
	VERDICT(d, CORE_DROP_bad_port, 1);
	d = desc(5, NVM_ACT_TO_ROLE);
	d.arg = 8;
	VERDICT(d, CORE_DROP_bad_role, 1);
	d.arg = 0xffff;
	VERDICT(d, CORE_DROP_bad_role, 1);
	d = desc(5, NVM_ACT_OUT);
	d.data_off = STRIDE - 10;
	d.len = 11;
	VERDICT(d, CORE_DROP_bad_offset, 1);
	d = desc(5, NVM_ACT_NEXT);
	d.data_off = 0xffff;
	d.len = 0xffff; /* must not wrap around */
	VERDICT(d, CORE_DROP_bad_offset, 1);
	d = desc(5, NVM_ACT_NEXT);
	d.len = 0;
	VERDICT(d, CORE_DROP_bad_offset, 1);
}

static void
test_frame_short(void **state)
{
	static const uint8_t actions[] = { NVM_ACT_OUT, NVM_ACT_TO_ROLE, NVM_ACT_NEXT };
	struct nvm_desc d;
	unsigned int i;

	(void)state;
	reset();
	for (i = 0; i < sizeof(actions); i++) {
		d = desc(5, actions[i]);
		d.port = 1;
		d.arg = 7;
		d.len = 1;
		VERDICT(d, CORE_DROP_frame_short, 1);
		d.len = 13; /* one byte short of an Ethernet header */
		VERDICT(d, CORE_DROP_frame_short, 1);
		d.len = 14;
		VERDICT(d, CORE_DROP_MAX, 1);
	}
	d = desc(5, NVM_ACT_DROP);
	d.len = 1; /* a returned buffer needs no frame */
	VERDICT(d, CORE_DROP_MAX, 1);
	d = desc(5, NVM_ACT_OUT);
	d.port = 9; /* the port is judged first */
	d.len = 1;
	VERDICT(d, CORE_DROP_bad_port, 1);
}

#define FAST(d, want)                                                        \
	do {                                                                 \
		struct core_vctx v_ = vctx(3);                               \
		assert_int_equal(core_validate_out(&v_, &(d)), (want));      \
	} while (0)

/* core_validate_out(), the return path's common case: an OUT the port
 * sends whole, from a buffer the NF holds; everything else is false. */
static void
test_out_fast(void **state)
{
	struct nvm_desc d;

	(void)state;
	reset();
	d = desc(5, NVM_ACT_OUT);
	d.port = 1;
	FAST(d, true);
	d.len = 14;
	FAST(d, true);
	d.len = 13;
	FAST(d, false);
	d.len = 0;
	FAST(d, false);
	d.len = FRAME_MAX;
	FAST(d, true);
	d.len = FRAME_MAX + 1; /* over the MTU: the slow path fragments it */
	FAST(d, false);
	d = desc(5, NVM_ACT_OUT);
	d.port = 2; /* no such port */
	FAST(d, false);
	d.port = 255;
	FAST(d, false);
	d = desc(5, NVM_ACT_OUT);
	d.data_off = STRIDE - 59; /* one byte past the buffer */
	FAST(d, false);
	d.data_off = 0xffff;
	d.len = 0xffff;
	FAST(d, false);
	d = desc(6, NVM_ACT_OUT); /* NF 4's buffer */
	FAST(d, false);
	d = desc(NBUF, NVM_ACT_OUT);
	FAST(d, false);
	d = desc(5, NVM_ACT_DROP);
	FAST(d, false);
	d = desc(5, NVM_ACT_NEXT);
	FAST(d, false);
	d = desc(5, NVM_ACT_TO_ROLE);
	d.arg = 7;
	FAST(d, false);
}

/* core_validate_out() is true exactly when core_validate() accepts an OUT
 * whose frame the port sends whole, over a grid of descriptors. */
static void
test_out_fast_agrees(void **state)
{
	static const uint32_t bufs[] = { 0, 5, 6, NBUF - 1, NBUF, 0xffffffffu };
	static const uint16_t offs[] = { 0, 128, STRIDE - 1515, STRIDE - 14, STRIDE, 0xffff };
	static const uint16_t lens[] = { 0, 1, 13, 14, 60, FRAME_MAX, FRAME_MAX + 1, 0xffff };
	static const uint8_t ports[] = { 0, 1, 2, 31, 255 };
	struct core_vctx v;
	struct nvm_desc d;
	unsigned int b, o, l, pt, a, hits = 0;

	(void)state;
	reset();
	owner[NBUF - 1] = 3;
	v = vctx(3);
	for (b = 0; b < sizeof(bufs) / sizeof(bufs[0]); b++)
		for (o = 0; o < sizeof(offs) / sizeof(offs[0]); o++)
			for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
				for (pt = 0; pt < sizeof(ports); pt++)
					for (a = 0; a <= NVM_ACT_MAX; a++) {
						struct core_verdict r;
						bool want;

						d = desc(bufs[b], (uint8_t)a);
						d.data_off = offs[o];
						d.len = lens[l];
						d.port = ports[pt];
						d.arg = 7;
						r = core_validate(&v, &d);
						want = r.reason == CORE_DROP_MAX &&
						       a == NVM_ACT_OUT && d.len <= FRAME_MAX;
						assert_int_equal(core_validate_out(&v, &d), want);
						hits += want;
					}
	assert_true(hits > 0);
}

static void
test_drop_names(void **state)
{
	(void)state;
	assert_string_equal(core_drop_name(CORE_DROP_bad_buf), "bad_buf");
	assert_string_equal(core_drop_name(CORE_DROP_ring_corrupt), "ring_corrupt");
	assert_string_equal(core_drop_name(CORE_DROP_MAX), "?");
}

static void
test_translation(void **state)
{
	static uint8_t region[1 << 16] __attribute__((aligned(4096)));
	struct nvm_pool_hdr h = { .bufs_off = 2048, .buf_stride = 2048, .buf_count = 31 };
	struct core_pool p = {
		.base = region, .bufs_off = 2048, .stride = 2048, .stride_shift = 11, .count = 31,
	};
	struct rte_mbuf m;
	uint32_t i;

	(void)state;
	for (i = 0; i < h.buf_count; i++) {
		memset(&m, 0, sizeof(m));
		m.buf_addr = region + nvm_buf_offset(&h, i);
		/* offset → address and address → index agree, both ways */
		assert_int_equal(nvm_buf_offset(&h, i), 2048 + (uint64_t)i * 2048);
		assert_int_equal(core_pool_idx(&p, &m), i);
	}
	h.buf_stride = 4096;
	assert_int_equal(nvm_buf_offset(&h, 0xffffffffu), 2048 + 0xffffffffull * 4096);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_good),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_frame_short),
		cmocka_unit_test(test_out_fast),
		cmocka_unit_test(test_out_fast_agrees),
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_translation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
