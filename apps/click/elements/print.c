/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Print([LABEL, MAXLENGTH], TIMESTAMP, CONTENTS, ACTIVE, PRINTANNO) — one
 * line per packet on the chatter stream:
 *   "LABEL: " (no label: nothing), "SEC.USEC: " with TIMESTAMP true, the
 *   length as %4d, then " | " and up to MAXLENGTH (24) bytes in hex, in
 *   4-byte groups separated by a space (CONTENTS ASCII: printable chars,
 *   '.' for others, a space before each group of 8, the first too, as
 *   Click; CONTENTS NONE or false: no bytes). Handler active (rw).
 */
#include <ctype.h>
#include <inttypes.h>

#include "ck_elem.h"

struct print {
	struct ck_bytes label, contents;
	int64_t maxlength;
	bool timestamp, active;
	int mode; /* 0 none, 1 hex, 2 ascii */
};

static int
print_configure(struct ck_element *e)
{
	struct print *pr = CK_PRIV(e, struct print);
	bool anno = false, cpu = false, headroom = false;
	const struct ck_argdesc a[] = {
		{ "LABEL", CK_A_STRING, &pr->label, CK_POS, NULL },
		{ "MAXLENGTH", CK_A_INT, &pr->maxlength, CK_POS, NULL },
		{ "LENGTH", CK_A_INT, &pr->maxlength, 0, NULL },
		{ "NBYTES", CK_A_INT, &pr->maxlength, 0, NULL },
		{ "TIMESTAMP", CK_A_BOOL, &pr->timestamp, 0, NULL },
		{ "CONTENTS", CK_A_WORD, &pr->contents, 0, NULL },
		{ "ACTIVE", CK_A_BOOL, &pr->active, 0, NULL },
		{ "PRINTANNO", CK_A_BOOL, &anno, 0, NULL },
		{ "CPU", CK_A_BOOL, &cpu, 0, NULL },
		{ "HEADROOM", CK_A_BOOL, &headroom, 0, NULL }, /* Click's: a boolean */
	};

	pr->maxlength = 24;
	pr->active = true;
	pr->mode = 1;
	if (ck_args_parse(e, a, 10) < 0)
		return -EINVAL;
	if (pr->contents.p) {
		const char *c = pr->contents.p;
		bool b;

		if (strcasecmp(c, "none") == 0)
			pr->mode = 0;
		else if (strcasecmp(c, "hex") == 0)
			pr->mode = 1;
		else if (strcasecmp(c, "ascii") == 0)
			pr->mode = 2;
		else if (ck_parse_bool(c, &b) == 0)
			pr->mode = b ? 1 : 0;
		else {
			for (char *u = pr->contents.p; *u; u++)
				*u = (char)toupper((unsigned char)*u);
			return ck_error(e, "bad contents value '%s'; should be 'NONE', 'HEX', or "
					"'ASCII'", c);
		}
	}
	return 0;
}

static struct ck_pkt *
print_action(struct ck_element *e, struct ck_pkt *p)
{
	struct print *pr = CK_PRIV(e, struct print);
	FILE *f = ck_chatter(e->r);
	char buf[1024];
	size_t n = 0;
	uint32_t bytes = p->len;

	if (!pr->active)
		return p;
	/* Written straight to the stream: a label or MAXLENGTH of any size is
	 * printed whole, as Click's line grows as needed. */
	if (pr->label.p && pr->label.len)
		fprintf(f, "%s: ", pr->label.p);
	if (pr->timestamp)
		fprintf(f, "%" PRId64 ".%06u: ", p->a.ts_sec, p->a.ts_usec);
	fprintf(f, "%4u", p->len);
	if (pr->maxlength >= 0 && bytes > (uint64_t)pr->maxlength)
		bytes = (uint32_t)pr->maxlength;
	if (pr->mode && bytes > 0) {
		fputs(" | ", f);
		for (uint32_t i = 0; i < bytes; i++) {
			if (n + 4 > sizeof(buf)) {
				fwrite(buf, 1, n, f);
				n = 0;
			}
			if (pr->mode == 1) {
				static const char hexd[] = "0123456789abcdef";

				if (i > 0 && i % 4 == 0)
					buf[n++] = ' ';
				buf[n++] = hexd[p->data[i] >> 4];
				buf[n++] = hexd[p->data[i] & 15];
			} else {
				if (i % 8 == 0) /* as Click: before the first group too */
					buf[n++] = ' ';
				buf[n++] = p->data[i] >= 32 && p->data[i] < 127 ? (char)p->data[i] : '.';
			}
		}
	}
	buf[n++] = '\n';
	fwrite(buf, 1, n, f);
	return p;
}

static void
print_cleanup(struct ck_element *e)
{
	struct print *pr = CK_PRIV(e, struct print);

	free(pr->label.p);
	free(pr->contents.p);
}

static const struct ck_handler print_handlers[] = {
	{ "active", CK_H_READ | CK_H_WRITE, ck_h_read_bool, ck_h_write_bool,
	  offsetof(struct print, active), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_Print = {
	.name = "Print",
	.ports = "1/1",
	.processing = "a/a",
	.priv_size = sizeof(struct print),
	.configure = print_configure,
	.action = print_action,
	.cleanup = print_cleanup,
	.handlers = print_handlers,
};
