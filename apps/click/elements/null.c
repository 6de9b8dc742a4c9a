/* SPDX-License-Identifier: BSD-3-Clause */
/* Null and Align — pass packets on unchanged (Align: the platform's buffers
 * are already aligned, so its MODULUS/OFFSET are checked as Click's and then
 * ignored). */
#include "ck_elem.h"

static struct ck_pkt *
null_action(struct ck_element *e, struct ck_pkt *p)
{
	(void)e;
	return p;
}

static int
align_configure(struct ck_element *e)
{
	int64_t mod = 4, off = 0;
	const struct ck_argdesc a[] = {
		{ "MODULUS", CK_A_INT, &mod, CK_POS | CK_MAND, NULL },
		{ "OFFSET", CK_A_INT, &off, CK_POS | CK_MAND, NULL },
	};

	if (ck_args_parse(e, a, 2) < 0)
		return -EINVAL;
	if (mod != 2 && mod != 4 && mod != 8)
		return ck_error(e, "align modulus must be 2, 4, or 8");
	if (off < 0 || off >= mod)
		return ck_error(e, "align offset must be smaller than modulus");
	return 0;
}

const struct ck_element_class ck_class_Null = {
	.name = "Null",
	.ports = "1/1",
	.processing = "a/a",
	.action = null_action,
};

const struct ck_element_class ck_class_Align = {
	.name = "Align",
	.ports = "1/1",
	.processing = "a/a",
	.configure = align_configure,
	.action = null_action,
};
