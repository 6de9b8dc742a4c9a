/* SPDX-License-Identifier: BSD-3-Clause */
/* ck_elem.c — helpers shared by the element files (ck_elem.h). */
#include <inttypes.h>

#include "ck_elem.h"

/* Print a uint64_t counter of the element's state. Returns 0. */
int
ck_h_read_u64(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	uint64_t v;

	memcpy(&v, (const char *)e->priv + h->arg, sizeof(v));
	fprintf(f, "%" PRIu64 "\n", v);
	return 0;
}

/* Print the packets the runtime killed or could not make on the element's
 * behalf (a copy without a free buffer, a missing output). Returns 0. */
int
ck_h_read_drops(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%" PRIu64 "\n", e->drops);
	return 0;
}

/* Print an int of the element's state. Returns 0. */
int
ck_h_read_int(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	int v;

	memcpy(&v, (const char *)e->priv + h->arg, sizeof(v));
	fprintf(f, "%d\n", v);
	return 0;
}

/* Print a bool of the element's state as "true" or "false". Returns 0. */
int
ck_h_read_bool(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	bool v;

	memcpy(&v, (const char *)e->priv + h->arg, sizeof(v));
	fprintf(f, "%s\n", v ? "true" : "false");
	return 0;
}

/* Set a bool of the element's state. Returns 0 or -EINVAL for a value that
 * is no boolean. */
int
ck_h_write_bool(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	bool b;

	if (ck_parse_bool(v, &b) < 0) {
		if (errf)
			fprintf(errf, "%s: expected boolean\n", h->name);
		return -EINVAL;
	}
	memcpy((char *)e->priv + h->arg, &b, sizeof(b));
	return 0;
}

/* Print one "COUNT\tREASON" line per drop reason. Returns 0. */
static int
drop_details_read(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	const struct ck_drop_details *d =
		(const struct ck_drop_details *)((const char *)e->priv + h->arg);

	for (unsigned int i = 0; i < d->n; i++)
		fprintf(f, "%" PRIu64 "\t%s\n", d->counts[i], d->texts[i]);
	return 0;
}

/* Write "drop_details<TAB>r" when the handler is on. */
void
ck_drop_details_list(struct ck_element *e, size_t off, FILE *f)
{
	const struct ck_drop_details *d =
		(const struct ck_drop_details *)((const char *)e->priv + off);

	if (d->on)
		fprintf(f, "drop_details\tr\n");
}

/* Return the drop_details handler, or NULL when off or another name. */
const struct ck_handler *
ck_drop_details_lookup(struct ck_element *e, const char *name, size_t off)
{
	struct ck_drop_details *d = (struct ck_drop_details *)((char *)e->priv + off);

	if (!d->on || strcmp(name, "drop_details") != 0)
		return NULL;
	d->h = (struct ck_handler){ "drop_details", CK_H_READ, drop_details_read, NULL,
				    (intptr_t)off, NULL };
	return &d->h;
}

/* A read handler's parameter that must be one IP address: 0 or -EINVAL. */
int
ck_param_ip(struct ck_element *e, const char *param, uint32_t *ip, FILE *errf)
{
	char **w;
	int n = ck_args_words(param, &w), rc = 0;

	if (n != 1 || ck_parse_ip(e->r, w[0], ip) < 0)
		rc = -EINVAL;
	if (n >= 0)
		ck_args_free(w, n);
	if (rc < 0 && errf)
		fprintf(errf, "expected IP address\n");
	return rc;
}

/* Return the checked IP header annotation or NULL. */
struct nl_ipv4_hdr *
ck_ip_hdr(const struct ck_pkt *p)
{
	if (!p->a.ip || ck_pkt_avail(p, p->a.ip) < NL_IPV4_HDR_MIN)
		return NULL;
	return (struct nl_ipv4_hdr *)p->a.ip;
}

/* Kill a batch; it cannot fail. */
void
ck_kill_batch(struct ck_element *e, struct ck_pkt *head)
{
	while (head) {
		struct ck_pkt *n = head->next;

		ck_pkt_kill(e, head);
		head = n;
	}
}

/* Read a file. Returns the buffer or NULL with errno set. */
char *
ck_read_file(const char *name, size_t *len)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t k;

		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (cap ? cap * 2 : 8192));

			if (!nb) {
				free(buf);
				if (f != stdin)
					fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
		if (k == 0)
			break;
	}
	/* a directory opens and reads nothing: an error, not an empty file */
	if (ferror(f)) {
		int err = errno ? errno : EIO;

		free(buf);
		if (f != stdin)
			fclose(f);
		errno = err;
		return NULL;
	}
	if (f != stdin)
		fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

int
ck_call_parse(struct ck_element *e, const char *kw, const char *text, struct ck_call *c)
{
	size_t l;

	while (*text == ' ' || *text == '\t')
		text++;
	l = strcspn(text, " \t");
	if (l == 0)
		return ck_error(e, "%s: expected 'HANDLER [VALUE]'", kw);
	c->handler = strndup(text, l);
	text += l;
	while (*text == ' ' || *text == '\t')
		text++;
	c->value = strdup(text);
	if (!c->handler || !c->value) {
		ck_call_free(c);
		return ck_error(e, "out of memory");
	}
	return 0;
}

int
ck_call_check(struct ck_element *e, const char *kw, const struct ck_call *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (!c->handler)
		return 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return ck_error(e, "out of memory");
	rc = ck_handler_writable(e->r, c->handler, f);
	fclose(f);
	if (rc < 0) {
		len = strlen(buf);
		if (len && buf[len - 1] == '\n')
			buf[len - 1] = '\0';
		rc = ck_error(e, "%s: %s", kw, buf);
	}
	free(buf);
	return rc;
}

void
ck_call_write(struct ck_element *e, const struct ck_call *c)
{
	if (c->handler)
		ck_handler_write(e->r, c->handler, c->value, ck_errf(e->r));
}

void
ck_call_free(struct ck_call *c)
{
	free(c->handler);
	free(c->value);
	c->handler = c->value = NULL;
}
