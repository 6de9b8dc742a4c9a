/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * validate.h — what the core checks on every descriptor an NF returns, and
 * the list of reasons a packet is dropped (one X-macro: the counters, their
 * names in telemetry and in the docs come from this list).
 */
#ifndef CORE_VALIDATE_H
#define CORE_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "netvm_abi.h"

#define CORE_DROP_REASONS(X)                                                  \
	X(malformed)    /* truncated or malformed IPv4/IPv6 frame at RX */   \
	X(frame_room)   /* received frame longer than one buffer's room */   \
	X(no_rule)      /* matched no rule, default is drop */               \
	X(rule_drop)    /* a rule says drop */                               \
	X(no_instance)  /* no NF attached for the role */                    \
	X(nf_ring_full) /* the NF's rx ring is full */                       \
	X(bad_buf)      /* buffer index outside the pool */                  \
	X(not_owned)    /* buffer not held by that NF */                     \
	X(bad_offset)   /* data_off/len outside the buffer, or empty */      \
	X(frame_short)  /* shorter than an Ethernet header */                \
	X(bad_action)   /* unknown action */                                 \
	X(bad_port)     /* OUT to a port that does not exist */              \
	X(bad_role)     /* TO_ROLE a role nothing serves or names */         \
	X(chain_end)    /* NEXT after the last role of the chain */          \
	X(hop_limit)    /* TO_ROLE once more than NVM_TO_ROLE_MAX allows */  \
	X(nf_drop)      /* the NF returned DROP */                           \
	X(tx_full)      /* the port did not take the packet */               \
	X(frame_mtu)    /* over the port's MTU, cannot be fragmented */      \
	X(frag_needed)  /* IPv4 over the port's MTU with DF set */           \
	X(ring_corrupt) /* an NF ring index was impossible */                \
	X(no_buffer)    /* no free buffer for a cross-pool copy or fragment */ \
	X(nf_budget)    /* the NF or its trust group holds its budget */

enum core_drop {
#define CORE_DROP_ENUM(n) CORE_DROP_##n,
	CORE_DROP_REASONS(CORE_DROP_ENUM)
#undef CORE_DROP_ENUM
	CORE_DROP_MAX
};

/* Name of drop reason @r ("bad_buf"), or "?" . */
const char *core_drop_name(unsigned int r);

#define CORE_OWNER_CORE 0xffffu
#define CORE_FRAME_MIN 14 /* bytes: an Ethernet header */

/* What the validator needs to know, all from the core's private memory. */
struct core_vctx {
	uint32_t buf_count;           /* buffers in the NF's pool */
	uint32_t buf_stride;          /* bytes per buffer */
	uint16_t nb_ports;
	uint16_t nf_id;               /* the NF the descriptor came from */
	const uint16_t *owner;        /* buffer index → owning NF id */
	const uint8_t *role_known;    /* role → nonzero if it may be named */
	/* core_validate_out() only: all 256 values of a descriptor's port
	 * byte → how many frame lengths from CORE_FRAME_MIN up it sends whole
	 * (its MTU + Ethernet header - CORE_FRAME_MIN + 1; 0: no such port) */
	const uint32_t *out_lim;
};

/* The verdict on one returned descriptor. */
struct core_verdict {
	uint8_t reason; /* CORE_DROP_MAX: accepted */
	uint8_t owned;  /* the buffer belongs to the NF: the core takes it back */
};

/*
 * Check descriptor @d returned by NF v->nf_id. The descriptor is a private
 * copy: nothing the NF writes afterwards can change the verdict.
 * reason is CORE_DROP_MAX when the descriptor may be acted on; otherwise the
 * drop reason, and owned says whether the buffer must still be taken back.
 */
static inline struct core_verdict
core_validate(const struct core_vctx *v, const struct nvm_desc *d)
{
	struct core_verdict r = { CORE_DROP_MAX, 0 };

	if (d->buf >= v->buf_count) {
		r.reason = CORE_DROP_bad_buf;
		return r;
	}
	/* Another lcore writes owner entries (it hands buffers out). */
	if (__atomic_load_n(&v->owner[d->buf], __ATOMIC_ACQUIRE) != v->nf_id) {
		r.reason = CORE_DROP_not_owned;
		return r;
	}
	r.owned = 1;
	/* the common case, accepted at once: OUT to a port that exists, a frame
	 * within its buffer (what the checks below accept for OUT) */
	if (__builtin_expect(d->action == NVM_ACT_OUT && d->port < v->nb_ports &&
			     d->len >= CORE_FRAME_MIN &&
			     (uint32_t)d->data_off + d->len <= v->buf_stride, 1))
		return r;
	switch (d->action) {
	case NVM_ACT_DROP:
		return r;
	case NVM_ACT_OUT:
		if (d->port >= v->nb_ports)
			r.reason = CORE_DROP_bad_port;
		break;
	case NVM_ACT_TO_ROLE:
		if (d->arg >= 256 || !v->role_known[d->arg])
			r.reason = CORE_DROP_bad_role;
		break;
	case NVM_ACT_NEXT:
		break;
	default:
		r.reason = CORE_DROP_bad_action;
		return r;
	}
	if (r.reason != CORE_DROP_MAX)
		return r;
	if (d->len == 0 || (uint32_t)d->data_off + d->len > v->buf_stride)
		r.reason = CORE_DROP_bad_offset;
	else if (d->len < CORE_FRAME_MIN)
		r.reason = CORE_DROP_frame_short;
	return r;
}

/*
 * The return path's common case, decided with one test per field and no
 * reason: true when core_validate() accepts @d as OUT (the NF holds the
 * buffer, the port exists, the frame lies within its buffer and holds an
 * Ethernet header) and the port sends the frame whole (v->out_lim). False
 * says nothing: core_validate() and the MTU check then decide.
 */
static inline bool
core_validate_out(const struct core_vctx *v, const struct nvm_desc *d)
{
	return d->buf < v->buf_count && d->action == NVM_ACT_OUT &&
	       /* the port exists, and CORE_FRAME_MIN <= len <= its frame_max */
	       (uint32_t)d->len - CORE_FRAME_MIN < v->out_lim[d->port] &&
	       (uint32_t)d->data_off + d->len <= v->buf_stride &&
	       __atomic_load_n(&v->owner[d->buf], __ATOMIC_ACQUIRE) == v->nf_id;
}

#endif /* CORE_VALIDATE_H */
