/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Paint(COLOR), PaintSwitch, PaintTee(COLOR) — the PAINT annotation. Only
 * the PAINT annotation itself is supported (the ANNO argument must be
 * absent or PAINT).
 */
#include "ck_elem.h"

struct paint {
	int64_t color;
};

static int
paint_configure(struct ck_element *e)
{
	struct paint *pt = CK_PRIV(e, struct paint);
	struct ck_bytes anno = { 0 };
	const struct ck_argdesc a[] = {
		{ "COLOR", CK_A_INT, &pt->color, CK_POS | CK_MAND, NULL },
		{ "ANNO", CK_A_WORD, &anno, CK_POS, NULL },
	};
	int rc = ck_args_parse(e, a, 2);

	if (rc == 0 && anno.p && strcmp(anno.p, "PAINT") != 0 && strcmp(anno.p, "16") != 0)
		rc = ck_error(e, "only the PAINT annotation is supported");
	if (rc == 0 && (pt->color < 0 || pt->color > 255))
		rc = ck_error(e, "COLOR must be 0..255");
	free(anno.p);
	return rc;
}

static struct ck_pkt *
paint_action(struct ck_element *e, struct ck_pkt *p)
{
	p->a.paint = (uint8_t)CK_PRIV(e, struct paint)->color;
	return p;
}

static int
paint_read_color(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%d\n", (int)CK_PRIV(e, struct paint)->color);
	return 0;
}

static int
paint_write_color(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	int64_t c;

	(void)h;
	if (ck_parse_int(v, &c) < 0 || c < 0 || c > 255) {
		if (errf)
			fprintf(errf, "color: expected 0..255\n");
		return -EINVAL;
	}
	CK_PRIV(e, struct paint)->color = c;
	return 0;
}

static const struct ck_handler paint_handlers[] = {
	{ "color", CK_H_READ | CK_H_WRITE, paint_read_color, paint_write_color, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

/* PaintTee: a copy without a free buffer is counted in drops. */
static const struct ck_handler painttee_handlers[] = {
	{ "color", CK_H_READ | CK_H_WRITE, paint_read_color, paint_write_color, 0, NULL },
	{ "drops", CK_H_READ, ck_h_read_drops, NULL, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

/* PaintSwitch: a paint naming no output, or a copy without a free buffer. */
static const struct ck_handler paintswitch_handlers[] = {
	{ "drops", CK_H_READ, ck_h_read_drops, NULL, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_Paint = {
	.name = "Paint",
	.ports = "1/1",
	.processing = "a/a",
	.priv_size = sizeof(struct paint),
	.configure = paint_configure,
	.action = paint_action,
	.handlers = paint_handlers,
};

static int
paintswitch_configure(struct ck_element *e)
{
	struct ck_bytes anno = { 0 };
	const struct ck_argdesc a[] = {
		{ "ANNO", CK_A_WORD, &anno, CK_POS, NULL },
	};
	int rc = ck_args_parse(e, a, 1);

	if (rc == 0 && anno.p && strcmp(anno.p, "PAINT") != 0 && strcmp(anno.p, "16") != 0)
		rc = ck_error(e, "only the PAINT annotation is supported");
	free(anno.p);
	return rc;
}

static void
paintswitch_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	unsigned int c = p->a.paint;

	(void)port;
	if (c == 255 && e->nout > 0) {
		/* every output: clones to all but the last */
		for (unsigned int i = 0; i + 1 < e->nout; i++) {
			struct ck_pkt *q = ck_pkt_clone(e, p);

			if (q)
				ck_push_out(e, i, q);
		}
		ck_push_out(e, e->nout - 1, p);
		return;
	}
	ck_push_out(e, c, p); /* a missing output kills it */
}

const struct ck_element_class ck_class_PaintSwitch = {
	.name = "PaintSwitch",
	.ports = "1/-",
	.processing = "h/h",
	.configure = paintswitch_configure,
	.push = paintswitch_push,
	.handlers = paintswitch_handlers,
};

static struct ck_pkt *
painttee_action(struct ck_element *e, struct ck_pkt *p)
{
	if (p->a.paint == CK_PRIV(e, struct paint)->color) {
		struct ck_pkt *q = ck_pkt_clone(e, p);

		if (q)
			ck_push_out(e, 1, q);
	}
	return p;
}

const struct ck_element_class ck_class_PaintTee = {
	.name = "PaintTee",
	.ports = "1/2",
	.processing = "a/ah",
	.priv_size = sizeof(struct paint),
	.configure = paint_configure,
	.action = painttee_action,
	.handlers = painttee_handlers,
};
