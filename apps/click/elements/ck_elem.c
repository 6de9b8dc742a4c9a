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

/* Print an int of the element's state. Returns 0. */
int
ck_h_read_int(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	int v;

	memcpy(&v, (const char *)e->priv + h->arg, sizeof(v));
	fprintf(f, "%d\n", v);
	return 0;
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
	if (f != stdin)
		fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}
