/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ScheduleInfo(ELEMENT PARAM, ...) — Click's task tickets per element. The
 * runtime's scheduler is round-robin with equal shares (docs/click.md,
 * "Tasks"), so the arguments are checked for form ('NAME NUMBER') and
 * otherwise have no effect.
 */
#include "ck_elem.h"

static int
scheduleinfo_configure(struct ck_element *e)
{
	char **args, **w;
	int n = ck_args_split(e->config ? e->config : "", &args), nw, rc = 0;
	double v;
	char *end;

	if (n < 0)
		return ck_error(e, "out of memory");
	for (int i = 0; i < n && rc == 0; i++) {
		nw = ck_args_words(args[i], &w);
		if (nw < 0) {
			rc = ck_error(e, "out of memory");
			break;
		}
		if (nw == 2)
			v = strtod(w[1], &end);
		if (nw != 2 || end == w[1] || *end || v < 0)
			rc = ck_error(e, "argument %d: expected 'ELEMENT PARAM'", i + 1);
		ck_args_free(w, nw);
	}
	ck_args_free(args, n);
	return rc;
}

const struct ck_element_class ck_class_ScheduleInfo = {
	.name = "ScheduleInfo", .ports = "0/0", .processing = "a/a",
	.configure = scheduleinfo_configure,
};
