/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_validate.c — core_validate() (core/validate.h) on descriptors an NF
 * writes, against the rules of docs/abi.md restated here.
 *
 * Input: a 16-byte descriptor, then the validator's context (buffer count
 * 1..64, stride, port count, NF id), then one byte per buffer for its owner,
 * 32 bytes of role bitmap and two bytes per possible port for its MTU.
 * Missing bytes read as 0. core_validate_out(), the return path's common
 * case, is checked against the same rules.
 */
#include <string.h>

#include "fuzz.h"
#include "validate.h"

#define FZ_MAX_BUFS 64

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static uint8_t
fz_u8(struct fz_in *in)
{
	uint8_t v = 0;

	if (in->n > 0) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static uint16_t
fz_u16(struct fz_in *in)
{
	return (uint16_t)(fz_u8(in) | fz_u8(in) << 8);
}

/* The verdict docs/abi.md gives: 1 when the core may act on @d. */
static int
spec_accepts(const struct core_vctx *v, const struct nvm_desc *d)
{
	if (d->buf >= v->buf_count || v->owner[d->buf] != v->nf_id)
		return 0;
	if (d->action == NVM_ACT_DROP)
		return 1; /* the NF gives the buffer back: nothing else matters */
	if (d->action == NVM_ACT_OUT && d->port >= v->nb_ports)
		return 0;
	if (d->action == NVM_ACT_TO_ROLE && (d->arg > 255 || !v->role_known[d->arg]))
		return 0;
	if (d->action > NVM_ACT_NEXT)
		return 0;
	/* a frame that leaves the NF holds at least an Ethernet header */
	return d->len >= 14 && (uint64_t)d->data_off + d->len <= v->buf_stride;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint16_t owner[FZ_MAX_BUFS];
	uint8_t roles[256];
	uint32_t frame_max[NVM_MAX_PORTS], out_lim[256];
	struct core_vctx v;
	struct nvm_desc d;
	struct core_verdict r;
	unsigned int i;
	int want;

	memset(&d, 0, sizeof(d));
	d.buf = (uint32_t)fz_u16(&in) | (uint32_t)fz_u16(&in) << 16;
	d.data_off = fz_u16(&in);
	d.len = fz_u16(&in);
	d.action = fz_u8(&in);
	d.port = fz_u8(&in);
	d.arg = fz_u16(&in);
	d.hash = (uint32_t)fz_u16(&in) | (uint32_t)fz_u16(&in) << 16;

	memset(&v, 0, sizeof(v));
	v.buf_count = 1 + fz_u8(&in) % FZ_MAX_BUFS;
	v.buf_stride = fz_u16(&in);
	v.nb_ports = fz_u8(&in) % (NVM_MAX_PORTS + 1);
	v.nf_id = fz_u8(&in) % 4;
	for (i = 0; i < FZ_MAX_BUFS; i++) {
		uint8_t o = fz_u8(&in);

		owner[i] = o == 0xff ? CORE_OWNER_CORE : o % 4;
	}
	for (i = 0; i < 256; i += 8) {
		uint8_t bits = fz_u8(&in);
		unsigned int b;

		for (b = 0; b < 8; b++)
			roles[i + b] = (bits >> b) & 1;
	}
	memset(out_lim, 0, sizeof(out_lim));
	for (i = 0; i < NVM_MAX_PORTS; i++) {
		/* an MTU from RTE_ETHER_MIN_MTU (68) up, as the core allows */
		frame_max[i] = 68 + fz_u16(&in) % 9500 + 14;
		if (i < v.nb_ports)
			out_lim[i] = frame_max[i] - CORE_FRAME_MIN + 1;
	}
	v.owner = owner;
	v.role_known = roles;
	v.out_lim = out_lim;

	r = core_validate(&v, &d);
	want = spec_accepts(&v, &d);
	FUZZ_CHECK((r.reason == CORE_DROP_MAX) == want,
		   "buf %u/%u owner %u nf %u off %u len %u stride %u act %u port %u/%u arg %u: "
		   "verdict %s, the ABI says %s", d.buf, v.buf_count,
		   d.buf < v.buf_count ? owner[d.buf] : 0, v.nf_id, d.data_off, d.len,
		   v.buf_stride, d.action, d.port, v.nb_ports, d.arg,
		   r.reason == CORE_DROP_MAX ? "accept" : core_drop_name(r.reason),
		   want ? "accept" : "drop");
	/* The buffer goes back to the core exactly when the NF held it. */
	FUZZ_CHECK(r.owned == (d.buf < v.buf_count && owner[d.buf] == v.nf_id),
		   "buf %u: owned %u", d.buf, r.owned);
	/* the common case: an OUT the port sends whole, nothing else */
	want = want && d.action == NVM_ACT_OUT && d.len <= frame_max[d.port % NVM_MAX_PORTS];
	FUZZ_CHECK(core_validate_out(&v, &d) == want,
		   "buf %u/%u off %u len %u stride %u act %u port %u/%u: the fast check says "
		   "%d, the ABI and the MTU %d", d.buf, v.buf_count, d.data_off, d.len,
		   v.buf_stride, d.action, d.port, v.nb_ports, !want, want);
	FUZZ_CHECK(r.reason <= CORE_DROP_MAX, "reason %u", r.reason);
	if (r.reason != CORE_DROP_MAX)
		FUZZ_CHECK(strcmp(core_drop_name(r.reason), "?") != 0, "reason %u has no name",
			   r.reason);
	return 0;
}
