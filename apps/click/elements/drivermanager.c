/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DriverManager(INSTRUCTION, ...) — a script stepped by the router's stop
 * events instead of the run count (CLICK-SCOPE §e.3):
 *   wait_stop [N], pause [N]   wait for N (1) stop events
 *   wait TIME                  wait that long
 *   stop                       end the run
 *   print [>FILE | >>FILE] TEXT  write TEXT to stdout or FILE; $(ELEM.HANDLER) is
 *                              replaced by the handler's value
 *   read ELEM.HANDLER          write "ELEM.HANDLER:\nVALUE\n" to stdout
 *   write ELEM.HANDLER [VALUE] call a write handler ($(...) expanded)
 * The run ends after the last instruction. No instructions: "wait_stop, stop".
 */
#include <ctype.h>

#include "ck_elem.h"

enum dm_op { DM_WAIT_STOP, DM_WAIT, DM_STOP, DM_PRINT, DM_READ, DM_WRITE };

struct dm_insn {
	enum dm_op op;
	int64_t n;
	double t;
	char *arg;   /* handler, text */
	char *file;  /* print >FILE */
	bool append;
};

struct dm {
	struct dm_insn *in;
	unsigned int n, ip;
	int64_t waiting;     /* stop events still awaited */
	uint64_t stops;      /* stop events not yet consumed */
	bool waiting_time;
	struct ck_timer timer;
};

static int
dm_parse(struct ck_element *e, const char *s, struct dm_insn *in)
{
	size_t wl = strcspn(s, " \t");
	const char *rest = s + wl;

	while (isspace((unsigned char)*rest))
		rest++;
	memset(in, 0, sizeof(*in));
	in->n = 1;
	if ((wl == 9 && strncmp(s, "wait_stop", 9) == 0) || (wl == 5 && strncmp(s, "pause", 5) == 0)) {
		in->op = DM_WAIT_STOP;
		if (*rest && (ck_parse_int(rest, &in->n) < 0 || in->n < 0))
			return ck_error(e, "bad count '%s'", rest);
	} else if ((wl == 4 && strncmp(s, "wait", 4) == 0) ||
		   (wl == 9 && strncmp(s, "wait_time", 9) == 0)) {
		in->op = DM_WAIT;
		if (ck_parse_time(rest, &in->t) < 0)
			return ck_error(e, "bad time '%s'", rest);
	} else if (wl == 4 && strncmp(s, "stop", 4) == 0) {
		in->op = DM_STOP;
	} else if (wl == 5 && strncmp(s, "print", 5) == 0) {
		in->op = DM_PRINT;
		if (*rest == '>') {
			size_t fl;

			in->append = rest[1] == '>';
			rest += in->append ? 2 : 1;
			fl = strcspn(rest, " \t");
			in->file = strndup(rest, fl);
			rest += fl;
			while (isspace((unsigned char)*rest))
				rest++;
		}
		in->arg = strdup(rest);
	} else if (wl == 4 && strncmp(s, "read", 4) == 0) {
		in->op = DM_READ;
		in->arg = strdup(rest);
	} else if (wl == 5 && strncmp(s, "write", 5) == 0) {
		in->op = DM_WRITE;
		in->arg = strdup(rest);
	} else {
		return ck_error(e, "unknown instruction '%.*s'", (int)wl, s);
	}
	return 0;
}

static int
dm_configure(struct ck_element *e)
{
	struct dm *d = CK_PRIV(e, struct dm);
	char **args;
	int n = ck_args_split(e->config, &args), rc = 0;

	if (n < 0)
		return ck_error(e, "out of memory");
	d->in = calloc((size_t)n + 2, sizeof(*d->in));
	if (!d->in) {
		ck_args_free(args, n);
		return ck_error(e, "out of memory");
	}
	for (int i = 0; i < n && rc == 0; i++, d->n++)
		rc = dm_parse(e, args[i], &d->in[i]);
	if (n == 0) {
		d->in[0] = (struct dm_insn){ .op = DM_WAIT_STOP, .n = 1 };
		d->in[1] = (struct dm_insn){ .op = DM_STOP };
		d->n = 2;
	}
	ck_args_free(args, n);
	return rc;
}

/* Copy @s with every $(ELEM.HANDLER) replaced by its value (last newline cut). */
static char *
expand(struct ck_router *r, const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	while (*s) {
		const char *end;

		if (s[0] == '$' && s[1] == '(' && (end = strchr(s, ')')) != NULL) {
			char *name = strndup(s + 2, (size_t)(end - s - 2));
			char *v = name ? ck_handler_read_str(r, name) : NULL;

			if (v) {
				size_t vl = strlen(v);

				if (vl && v[vl - 1] == '\n')
					v[vl - 1] = 0;
				fputs(v, f);
			}
			free(v);
			free(name);
			s = end + 1;
		} else {
			fputc(*s++, f);
		}
	}
	fclose(f);
	return out;
}

static char *
unquote(char *s)
{
	char *v;
	size_t l;

	if (s && (s[0] == '"' || s[0] == '\'') && ck_parse_string(s, &v, &l) == 0) {
		free(s);
		return v;
	}
	return s;
}

static void
dm_step(struct ck_element *e)
{
	struct dm *d = CK_PRIV(e, struct dm);
	struct ck_router *r = e->r;

	while (!ck_router_stopped(r)) {
		struct dm_insn *in;

		if (d->ip >= d->n) {
			ck_router_stop(r);
			return;
		}
		in = &d->in[d->ip];
		switch (in->op) {
		case DM_WAIT_STOP:
			if (d->waiting == 0)
				d->waiting = in->n;
			while (d->waiting > 0 && d->stops > 0)
				d->waiting--, d->stops--;
			if (d->waiting > 0)
				return;
			break;
		case DM_WAIT:
			if (!d->waiting_time) {
				d->waiting_time = true;
				ck_timer_schedule_after(&d->timer, (uint64_t)(in->t * 1e9));
				return;
			}
			d->waiting_time = false;
			break;
		case DM_STOP:
			ck_router_stop(r);
			return;
		case DM_PRINT: {
			char *t = unquote(expand(r, in->arg));
			FILE *f = in->file ? fopen(in->file, in->append ? "a" : "w") : stdout;

			if (f && t)
				fprintf(f, "%s\n", t);
			if (f && f != stdout)
				fclose(f);
			fflush(stdout);
			free(t);
			break;
		}
		case DM_READ: {
			char *v = ck_handler_read_str(r, in->arg);
			size_t l = v ? strlen(v) : 0;

			fprintf(stdout, "%s:\n%s%s", in->arg, v ? v : "",
				l && v[l - 1] != '\n' ? "\n" : "");
			fflush(stdout);
			free(v);
			break;
		}
		case DM_WRITE: {
			size_t hl = strcspn(in->arg, " \t");
			char *h = strndup(in->arg, hl);
			const char *vs = in->arg + hl;
			char *v;

			while (isspace((unsigned char)*vs))
				vs++;
			v = unquote(expand(r, vs));
			if (h && v)
				ck_handler_write(r, h, v, ck_errf(r));
			free(h);
			free(v);
			break;
		}
		}
		d->ip++;
	}
}

static void
dm_timer(struct ck_element *e, struct ck_timer *t)
{
	(void)t;
	dm_step(e);
}

static int
dm_initialize(struct ck_element *e)
{
	struct dm *d = CK_PRIV(e, struct dm);

	ck_timer_init(e, &d->timer, dm_timer);
	d->waiting_time = false;
	/* start once every element is ready: a timer due now */
	d->ip = 0;
	ck_timer_schedule_after(&d->timer, 0);
	d->waiting_time = false;
	return 0;
}

static void
dm_stop_event(struct ck_element *e)
{
	struct dm *d = CK_PRIV(e, struct dm);

	d->stops++;
	if (d->waiting > 0 && !d->waiting_time)
		dm_step(e);
}

static void
dm_cleanup(struct ck_element *e)
{
	struct dm *d = CK_PRIV(e, struct dm);

	for (unsigned int i = 0; d->in && i < d->n; i++) {
		free(d->in[i].arg);
		free(d->in[i].file);
	}
	free(d->in);
}

const struct ck_element_class ck_class_DriverManager = {
	.name = "DriverManager", .ports = "-/-", .processing = "ah/ah",
	.priv_size = sizeof(struct dm), .configure = dm_configure,
	.initialize = dm_initialize, .stop_event = dm_stop_event, .cleanup = dm_cleanup,
};
