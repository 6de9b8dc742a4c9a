/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_handlers.c — read and write handlers by "ELEMENT.HANDLER": every
 * element's generic ones (name, class, config, ports, handlers), its class's
 * own, and the router's (stop, version, list, config, requirements,
 * handlers, classes); `-h` printing like click.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ck_router.h"

static int
h_name(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%s\n", e->name);
	return 0;
}

static int
h_class(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%s\n", e->cls->name);
	return 0;
}

static int
h_config(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%s\n", e->config);
	return 0;
}

/* Whether port @port of side @side (0 in, 1 out) of @e is agnostic ('a' in
 * the class's processing code; the last letter of a side repeats). */
static bool
port_agnostic(const struct ck_element *e, int side, uint32_t port)
{
	const char *s = e->cls->processing, *slash;
	size_t n;

	if (!s)
		return true;
	slash = strchr(s, '/');
	if (slash && side == 1)
		s = slash + 1;
	n = side == 0 && slash ? (size_t)(slash - s) : strlen(s);
	return n == 0 || s[port < n ? port : n - 1] == 'a';
}

/* One port line of Click's `ports`: KIND[~] TAB - TAB connections, listed in
 * element order ("NAME [P]" for an input's sources, "[P] NAME" for an
 * output's destinations). */
static void
port_line(const struct ck_element *e, int side, uint32_t port, FILE *f)
{
	const struct ck_router *r = e->r;
	uint8_t kind = side == 0 ? e->in_kind[port] : e->out_kind[port];
	const char *sep = "";

	fprintf(f, "%s%s\t-\t", kind == CK_PULL ? "pull" : "push",
		port_agnostic(e, side, port) ? "~" : "");
	if (side == 0 && kind == CK_PULL && e->in[port].e) {
		fprintf(f, "%s [%u]", e->in[port].e->name, e->in[port].port);
	} else if (side == 1 && kind != CK_PULL && e->out[port].e) {
		fprintf(f, "[%u] %s", e->out[port].port, e->out[port].e->name);
	} else {
		/* a push input's sources or a pull output's pullers */
		for (uint32_t i = 0; i < r->n; i++) {
			const struct ck_element *o = &r->elems[i];
			uint32_t np = side == 0 ? o->nout : o->nin;

			for (uint32_t q = 0; q < np; q++) {
				const struct ck_peer *pe = side == 0 ? &o->out[q] : &o->in[q];

				if (pe->e != e || pe->port != port ||
				    (side == 0 ? o->out_kind[q] : o->in_kind[q]) != kind)
					continue;
				if (side == 0)
					fprintf(f, "%s%s [%u]", sep, o->name, q);
				else
					fprintf(f, "%s[%u] %s", sep, q, o->name);
				sep = ", ";
			}
		}
	}
	fputc('\n', f);
}

static int
h_ports(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%u input%s\n", e->nin, e->nin == 1 ? "" : "s");
	for (uint32_t i = 0; i < e->nin; i++)
		port_line(e, 0, i, f);
	fprintf(f, "%u output%s\n", e->nout, e->nout == 1 ? "" : "s");
	for (uint32_t i = 0; i < e->nout; i++)
		port_line(e, 1, i, f);
	return 0;
}

/* Cycles per packet of the element's own push/action work, x100 like the
 * core's counters (0 when stage_cycles is off or no packet was timed). */
static int
h_cycles(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%llu\n", e->cycle_pkts ?
		(unsigned long long)(e->cycles * 100 / e->cycle_pkts) : 0ull);
	return 0;
}

static int
h_scheduled(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%s\n", e->scheduled ? "true" : "false");
	return 0;
}

static int
h_task_runs(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%llu\n", (unsigned long long)e->task_runs);
	return 0;
}

static int h_handlers(struct ck_element *e, const struct ck_handler *h, FILE *f);

/* Whether @e has generic handler @h: `scheduled` and `task_runs` only on
 * elements with a task. */
static bool
has_generic(const struct ck_element *e, const struct ck_handler *h)
{
	return e->task || (h->read != h_scheduled && h->read != h_task_runs);
}
static const struct ck_handler generic[] = {
	{ "name", CK_H_READ, h_name, NULL, 0, NULL },
	{ "class", CK_H_READ, h_class, NULL, 0, NULL },
	{ "config", CK_H_READ, h_config, NULL, 0, NULL },
	{ "ports", CK_H_READ | CK_H_LINES, h_ports, NULL, 0, NULL },
	{ "handlers", CK_H_READ | CK_H_LINES, h_handlers, NULL, 0, NULL },
	{ "cycles", CK_H_READ, h_cycles, NULL, 0, NULL },
	{ "scheduled", CK_H_READ, h_scheduled, NULL, 0, NULL },
	{ "task_runs", CK_H_READ, h_task_runs, NULL, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static void
list_handlers(const struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	for (; h && h->name; h++)
		if (h->read == NULL || has_generic(e, h))
			fprintf(f, "%s\t%s%s\n", h->name, h->flags & CK_H_READ ? "r" : "",
				h->flags & CK_H_WRITE ? "w" : "");
}

static int
h_handlers(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	list_handlers(e, generic, f);
	list_handlers(e, e->cls->handlers, f);
	if (e->cls->list_handlers)
		e->cls->list_handlers(e, f);
	return 0;
}

static const struct ck_handler *
find_handler(const struct ck_element *e, const char *name)
{
	for (const struct ck_handler *h = e->cls->handlers; h && h->name; h++)
		if (strcmp(h->name, name) == 0)
			return h;
	for (const struct ck_handler *h = generic; h->name; h++)
		if (strcmp(h->name, name) == 0 && has_generic(e, h))
			return h;
	return e->cls->lookup_handler ? e->cls->lookup_handler((struct ck_element *)e, name) : NULL;
}

/* Split "ELEMENT.HANDLER" at its last dot: *@elem gets ELEMENT in a malloc'ed
 * string of any length (an element's name has no limit), "" for a router
 * handler. Returns 0, or -ENOMEM after saying so on @errf (if not NULL). */
static int
split_spec(const char *spec, char **elem, const char **handler, FILE *errf)
{
	const char *dot = strrchr(spec, '.');

	*elem = dot ? strndup(spec, (size_t)(dot - spec)) : strdup("");
	*handler = dot ? dot + 1 : spec;
	if (*elem == NULL && errf != NULL)
		fprintf(errf, "out of memory\n");
	return *elem ? 0 : -ENOMEM;
}

static int
router_read(struct ck_router *r, const char *h, FILE *f)
{
	if (strcmp(h, "version") == 0) {
		fprintf(f, "2.1 (netvm-click)\n");
		return 0;
	}
	if (strcmp(h, "list") == 0) {
		fprintf(f, "%u\n", r->n);
		for (uint32_t i = 0; i < r->n; i++)
			fprintf(f, "%s\n", r->elems[i].name);
		return 0;
	}
	if (strcmp(h, "config") == 0) {
		/* as Click: the configuration text as it was given */
		size_t n = r->config ? strlen(r->config) : 0;

		if (n)
			fputs(r->config, f);
		if (n && r->config[n - 1] != '\n')
			fputc('\n', f);
		return 0;
	}
	if (strcmp(h, "requirements") == 0) {
		/* as Click: each requirement's type and value, a line each */
		for (const char *p = r->requires; p && *p;) {
			size_t n = strcspn(p, " ");

			if (n)
				fprintf(f, "package\n%.*s\n", (int)n, p);
			p += n + (p[n] == ' ');
		}
		return 0;
	}
	if (strcmp(h, "classes") == 0) {
		for (const struct ck_element_class *const *c = ck_element_classes(); *c; c++)
			fprintf(f, "%s\n", (*c)->name);
		return 0;
	}
	if (strcmp(h, "handlers") == 0) {
		/* Click's global handlers, in Click's order, as an element's handlers */
		fputs("version\tr\nconfig\tr\nrequirements\tr\nhandlers\tr\nlist\tr\nstop\tw\n"
		      "classes\tr\n", f);
		return 0;
	}
	return -ENOENT;
}

/* Call read handler @h of @e with @param (NULL: none) into @f. */
static int
call_read(struct ck_element *e, const struct ck_handler *h, const char *param, FILE *f,
	  FILE *errf)
{
	if (h->read_param && (h->flags & CK_H_READ_PARAM))
		return h->read_param(e, h, param ? param : "", f, errf);
	if (param && *param) {
		if (errf)
			fprintf(errf, "read handler '%s.%s' does not take parameters\n", e->name,
				h->name);
		return -EINVAL;
	}
	return h->read(e, h, f);
}

/* Whether @h can be read. */
static bool
readable(const struct ck_handler *h)
{
	return (h->flags & CK_H_READ) &&
	       (h->read || (h->read_param && (h->flags & CK_H_READ_PARAM)));
}

/* Read handler @hname of element @ename ("": a global one), as @spec names
 * it, with a parameter into @f. Returns 0, -ENOENT, -EPERM or -EINVAL after
 * a message on @errf. */
static int
read_param(struct ck_router *r, const char *spec, const char *ename, const char *hname,
	   const char *param, FILE *f, FILE *errf)
{
	struct ck_element *e;
	const struct ck_handler *h;

	if (!ename[0]) {
		if (param && *param) {
			if (errf)
				fprintf(errf, "read handler '%s' does not take parameters\n",
					hname);
			return -EINVAL;
		}
		if (router_read(r, hname, f) == 0)
			return 0;
		if (errf)
			fprintf(errf, "no global handler named '%s'\n", hname);
		return -ENOENT;
	}
	e = ck_router_find(r, ename);
	if (!e) {
		if (errf)
			fprintf(errf, "no element named '%s'\n", ename);
		return -ENOENT;
	}
	h = find_handler(e, hname);
	if (!h) {
		if (errf)
			fprintf(errf, "no '%s' handler for element '%s'\n", hname, ename);
		return -ENOENT;
	}
	if (!readable(h)) {
		if (errf)
			fprintf(errf, "'%s' is not a read handler\n", spec);
		return -EPERM;
	}
	return call_read(e, h, param, f, errf);
}

int
ck_handler_read_param(struct ck_router *r, const char *spec, const char *param, FILE *f,
		      FILE *errf)
{
	const char *hname;
	char *ename;
	int rc;

	if (split_spec(spec, &ename, &hname, errf) < 0)
		return -ENOMEM;
	rc = read_param(r, spec, ename, hname, param, f, errf);
	free(ename);
	return rc;
}

/* Whether a handler's value is a list of lines: the global list, requirements,
 * classes and handlers, and the element handlers marked CK_H_LINES. */
bool
ck_handler_reads_lines(struct ck_router *r, const char *spec)
{
	static const char *const global[] = { "list", "requirements", "classes", "handlers" };
	const char *hname;
	const struct ck_element *e;
	const struct ck_handler *h;
	bool lines = false;
	char *ename;

	if (split_spec(spec, &ename, &hname, NULL) < 0)
		return false;
	if (!ename[0]) {
		for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++)
			if (strcmp(hname, global[i]) == 0)
				lines = true;
	} else {
		e = ck_router_find(r, ename);
		h = e ? find_handler(e, hname) : NULL;
		lines = h && (h->flags & CK_H_LINES);
	}
	free(ename);
	return lines;
}

/* Read a handler into @f. Returns 0, -ENOENT, -EPERM or -ENOMEM after a message on @errf. */
int
ck_handler_read(struct ck_router *r, const char *spec, FILE *f, FILE *errf)
{
	return ck_handler_read_param(r, spec, NULL, f, errf);
}

/* Read a handler with a parameter into a malloc'ed string. Returns it, or NULL. */
char *
ck_handler_read_param_str(struct ck_router *r, const char *spec, const char *param,
			  FILE *errf)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return NULL;
	rc = ck_handler_read_param(r, spec, param, f, errf);
	fclose(f);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Read a handler into a malloc'ed string. Returns it, or NULL. */
char *
ck_handler_read_str(struct ck_router *r, const char *spec)
{
	return ck_handler_read_param_str(r, spec, NULL, NULL);
}

/* find_write() of @spec split into @ename and @hname. */
static int
find_write_in(struct ck_router *r, const char *spec, const char *ename, const char *hname,
	      FILE *errf, struct ck_element **ep, const struct ck_handler **hp)
{
	struct ck_element *e;
	const struct ck_handler *h;

	if (!ename[0]) {
		if (strcmp(hname, "stop") == 0)
			return 0;
		if (errf)
			fprintf(errf, "no global handler named '%s'\n", hname);
		return -ENOENT;
	}
	e = ck_router_find(r, ename);
	if (!e) {
		if (errf)
			fprintf(errf, "no element named '%s'\n", ename);
		return -ENOENT;
	}
	h = find_handler(e, hname);
	if (!h) {
		if (errf)
			fprintf(errf, "no '%s' handler for element '%s'\n", hname, ename);
		return -ENOENT;
	}
	if (!(h->flags & CK_H_WRITE) || !h->write) {
		if (errf)
			fprintf(errf, "'%s' is not a write handler\n", spec);
		return -EPERM;
	}
	*ep = e;
	*hp = h;
	return 0;
}

/* The write handler @spec names, in *@ep and *@hp (both NULL for the global
 * "stop"). Returns 0, -ENOENT, -EPERM or -ENOMEM after a message on @errf. */
static int
find_write(struct ck_router *r, const char *spec, FILE *errf, struct ck_element **ep,
	   const struct ck_handler **hp)
{
	const char *hname;
	char *ename;
	int rc;

	*ep = NULL;
	*hp = NULL;
	if (split_spec(spec, &ename, &hname, errf) < 0)
		return -ENOMEM;
	rc = find_write_in(r, spec, ename, hname, errf, ep, hp);
	free(ename);
	return rc;
}

int
ck_handler_writable(struct ck_router *r, const char *spec, FILE *errf)
{
	struct ck_element *e;
	const struct ck_handler *h;

	return find_write(r, spec, errf, &e, &h);
}

/* Write a handler. Returns 0 or a negative errno after a message on @errf. */
int
ck_handler_write(struct ck_router *r, const char *spec, const char *value, FILE *errf)
{
	struct ck_element *e;
	const struct ck_handler *h;
	int rc = find_write(r, spec, errf, &e, &h);

	if (rc < 0)
		return rc;
	if (!h) {
		ck_router_stop(r);
		return 0;
	}
	return h->write(e, h, value ? value : "", errf);
}

static void
print_one(struct ck_router *r, struct ck_element *e, const struct ck_handler *h, bool names,
	  FILE *out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	call_read(e, h, NULL, f, NULL);
	fclose(f);
	(void)r;
	if (names)
		fprintf(out, "%s.%s:\n", e->name, h->name);
	fputs(buf, out);
	if (len > 0 && buf[len - 1] != '\n')
		fputc('\n', out);
	if (names)
		fputc('\n', out);
	free(buf);
}

static int
print_handler(struct ck_router *r, const char *spec, const char *ename, const char *hname,
	      bool names, bool live, FILE *out, FILE *errf)
{
	int found = 0;

	if (!ename[0]) {
		/* read first: an unknown handler prints no header */
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		int rc;

		if (!f)
			return -ENOMEM;
		rc = router_read(r, hname, f);
		fclose(f);
		if (rc < 0) {
			free(buf);
			if (errf)
				fprintf(errf, "no global handler named '%s'\n", hname);
			return -ENOENT;
		}
		if (names)
			fprintf(out, "%s:\n", hname);
		fputs(buf, out);
		if (names)
			fputc('\n', out);
		free(buf);
		return 0;
	}
	if (!names) {
		/* not an element's name (a class's, or a glob): values get headers */
		names = true;
		for (uint32_t i = 0; i < r->n && names; i++)
			names = strcmp(r->elems[i].name, ename) != 0;
	}
	for (uint32_t i = 0; i < r->n; i++) {
		struct ck_element *e = &r->elems[i];
		const struct ck_handler *h;

		if (fnmatch(ename, e->name, 0) != 0 && strcmp(ename, e->cls->name) != 0)
			continue;
		h = find_handler(e, hname);
		if (!h || !readable(h))
			continue;
		found++;
		if (live && (h->flags & CK_H_SIDE_EFFECT))
			continue;
		print_one(r, e, h, names, out);
	}
	if (!found) {
		if (errf)
			fprintf(errf, "no read handler matches '%s'\n", spec);
		return -ENOENT;
	}
	return 0;
}

/* Print matching read handlers like click -h. Returns 0, -ENOENT or -ENOMEM
 * after a message on @errf. */
int
ck_router_print_handler(struct ck_router *r, const char *spec, bool names, bool live,
			FILE *out, FILE *errf)
{
	const char *hname;
	char *ename;
	int rc;

	if (split_spec(spec, &ename, &hname, errf) < 0)
		return -ENOMEM;
	rc = print_handler(r, spec, ename, hname, names, live, out, errf);
	free(ename);
	return rc;
}
