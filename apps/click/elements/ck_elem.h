/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_elem.h — what every element file includes: the runtime (ck_rt.h), the
 * argument parsers (ck_args.h), netlib's headers and checksums (nl_hdr.h),
 * and a few helpers shared by the element files.
 */
#ifndef CK_ELEM_H
#define CK_ELEM_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../ck_args.h"
#include "../ck_rt.h"
#include "nl_hdr.h"

#define CK_PRIV(e, type) ((type *)(e)->priv)
#define CK_NS_PER_SEC 1000000000ull

/* A read handler printing the uint64_t at byte offset h->arg of e->priv. */
int ck_h_read_u64(struct ck_element *e, const struct ck_handler *h, FILE *f);
/* A read handler printing e->drops: the packets the runtime killed or could
 * not make on the element's behalf (a copy without a free buffer). */
int ck_h_read_drops(struct ck_element *e, const struct ck_handler *h, FILE *f);
/* A read handler printing the int at byte offset h->arg of e->priv. */
int ck_h_read_int(struct ck_element *e, const struct ck_handler *h, FILE *f);
/* A read handler printing the bool at byte offset h->arg of e->priv as
 * "true" or "false". */
int ck_h_read_bool(struct ck_element *e, const struct ck_handler *h, FILE *f);
/* A write handler setting the bool at byte offset h->arg of e->priv from a
 * boolean ("true", "false", 1, 0, ...). */
int ck_h_write_bool(struct ck_element *e, const struct ck_handler *h, const char *v,
		   FILE *errf);

/* The most drop reasons a checking element (CheckIPHeader, Check*Header) has. */
#define CK_DROP_REASONS 8

/* A checking element's drops counted by reason and its drop_details handler
 * (DETAILS true): one line "COUNT<TAB>REASON" per reason, in texts' order.
 * The element sets texts and n at configure and counts[why]++ per drop. */
struct ck_drop_details {
	bool on;
	unsigned int n;
	const char *texts[CK_DROP_REASONS];
	uint64_t counts[CK_DROP_REASONS];
	struct ck_handler h;
};

/* The drop_details handler of the struct ck_drop_details at byte offset
 * @off of e->priv when @name is "drop_details" and it is on; else NULL. */
/* The handlers handler's line for the drop_details handler at byte offset
 * @off of e->priv, when it is on. */
void ck_drop_details_list(struct ck_element *e, size_t off, FILE *f);
const struct ck_handler *ck_drop_details_lookup(struct ck_element *e, const char *name,
						size_t off);

/* A read handler's parameter that must be one IP address (or an
 * AddressInfo name): 0 and *@ip, or -EINVAL after "expected IP address"
 * on @errf (may be NULL). */
int ck_param_ip(struct ck_element *e, const char *param, uint32_t *ip, FILE *errf);

/* The IP header annotation if at least a minimal, in-packet IPv4 header sits
 * there, else NULL. */
struct nl_ipv4_hdr *ck_ip_hdr(const struct ck_pkt *p);

/* Kill every packet of a batch on behalf of @e; it cannot fail. */
void ck_kill_batch(struct ck_element *e, struct ck_pkt *head);

/* A write handler call an element makes ("HANDLER [VALUE]": COUNT_CALL,
 * END_CALL). */
struct ck_call {
	char *handler, *value;
};

/* Parse "HANDLER [VALUE]" (VALUE as written) of keyword @kw into @c.
 * Returns 0 or -EINVAL after a message. */
int ck_call_parse(struct ck_element *e, const char *kw, const char *text, struct ck_call *c);
/* At initialize: the handler must be writable. Returns 0 or -EINVAL after
 * "KW: why". Nothing to check when @c names none. */
int ck_call_check(struct ck_element *e, const char *kw, const struct ck_call *c);
/* Make the call (a failure is reported on the error stream). */
void ck_call_write(struct ck_element *e, const struct ck_call *c);
void ck_call_free(struct ck_call *c);

/* Read a whole file ("-" = stdin) into a malloc'ed, NUL-terminated buffer.
 * Returns it (length in *@len) or NULL with errno set. */
char *ck_read_file(const char *name, size_t *len);

#endif /* CK_ELEM_H */
