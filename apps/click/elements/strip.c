/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strip(LENGTH) — removes LENGTH bytes from the front (the data pointer
 * moves; the bytes stay as headroom). Unstrip(LENGTH) — puts them back
 * (a packet with less headroom is dropped, counted in drops).
 * Truncate(LENGTH [, EXTRA_LENGTH]) — cuts the packet to at most LENGTH
 * bytes, adding what it cut to the extra-length annotation (EXTRA_LENGTH true).
 */
#include "ck_elem.h"

struct strip {
	int64_t len;
	bool extra;
	uint64_t drops; /* Unstrip: packets without the headroom */
};

static int
strip_configure(struct ck_element *e)
{
	struct strip *s = CK_PRIV(e, struct strip);
	const struct ck_argdesc a[] = {
		{ "LENGTH", CK_A_INT, &s->len, CK_POS | CK_MAND, NULL },
		{ "EXTRA_LENGTH", CK_A_BOOL, &s->extra, 0, NULL },
	};

	s->extra = true;
	if (ck_args_parse(e, a, strcmp(e->cls->name, "Truncate") == 0 ? 2 : 1) < 0)
		return -EINVAL;
	if (s->len < 0 || s->len > 65535)
		return ck_error(e, "LENGTH must be 0..65535");
	return 0;
}

static struct ck_pkt *
strip_action(struct ck_element *e, struct ck_pkt *p)
{
	ck_pkt_pull(p, (uint32_t)CK_PRIV(e, struct strip)->len);
	return p;
}

static struct ck_pkt *
unstrip_action(struct ck_element *e, struct ck_pkt *p)
{
	struct strip *s = CK_PRIV(e, struct strip);

	if (!ck_pkt_push(p, (uint32_t)s->len)) {
		s->drops++; /* more than the headroom: never reallocated */
		ck_pkt_kill(e, p);
		return NULL;
	}
	return p;
}

static struct ck_pkt *
truncate_action(struct ck_element *e, struct ck_pkt *p)
{
	struct strip *s = CK_PRIV(e, struct strip);

	if (p->len > (uint64_t)s->len) {
		uint32_t cut = p->len - (uint32_t)s->len;

		if (s->extra)
			p->a.extra_len += cut;
		ck_pkt_take(p, cut);
	}
	return p;
}

static const struct ck_handler strip_handlers[] = {
	{ "length", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct strip, len), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_Strip = {
	.name = "Strip",
	.ports = "1/1",
	.processing = "a/a",
	.priv_size = sizeof(struct strip),
	.configure = strip_configure,
	.action = strip_action,
	.handlers = strip_handlers,
};

static const struct ck_handler unstrip_handlers[] = {
	{ "length", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct strip, len), NULL },
	{ "drops", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct strip, drops), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_Unstrip = {
	.name = "Unstrip",
	.ports = "1/1",
	.processing = "a/a",
	.priv_size = sizeof(struct strip),
	.configure = strip_configure,
	.action = unstrip_action,
	.handlers = unstrip_handlers,
};

const struct ck_element_class ck_class_Truncate = {
	.name = "Truncate",
	.ports = "1/1",
	.processing = "a/a",
	.priv_size = sizeof(struct strip),
	.configure = strip_configure,
	.action = truncate_action,
	.handlers = strip_handlers,
};
