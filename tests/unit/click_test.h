/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * click_test.h — what the netvm-click tests share: a struct ck_graph built
 * by hand, the way the front end would hand one over (flat, kinds resolved),
 * and an offline run whose Print/IPPrint output and errors are captured.
 */
#ifndef CLICK_TEST_H
#define CLICK_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ck_graph.h"
#include "ck_rt.h"

#define TG_MAX 32

struct tg {
	struct ck_graph g;
	struct ck_elem e[TG_MAX];
	struct ck_conn c[TG_MAX * 2];
	uint8_t kinds[TG_MAX][2][16];
};

static inline void
tg_init(struct tg *t)
{
	memset(t, 0, sizeof(*t));
	t->g.elems = t->e;
	t->g.conns = t->c;
}

/* Add element NAME :: CLASS(CONF); @in/@out spell the port kinds, one
 * letter per port: "h" push, "l" pull ("hh" = two push ports). */
static inline uint32_t
tg_add(struct tg *t, const char *name, const char *cls, const char *conf, const char *in,
       const char *out)
{
	uint32_t i = t->g.nb_elems++;
	struct ck_elem *e = &t->e[i];

	e->name = (char *)name;
	e->class_name = (char *)cls;
	e->config = (char *)conf;
	e->landmark = (char *)"test";
	e->nin = (uint32_t)strlen(in);
	e->nout = (uint32_t)strlen(out);
	for (uint32_t k = 0; k < e->nin; k++)
		t->kinds[i][0][k] = in[k] == 'l' ? CK_PULL : CK_PUSH;
	for (uint32_t k = 0; k < e->nout; k++)
		t->kinds[i][1][k] = out[k] == 'l' ? CK_PULL : CK_PUSH;
	e->in_kind = t->kinds[i][0];
	e->out_kind = t->kinds[i][1];
	return i;
}

static inline void
tg_conn(struct tg *t, uint32_t from, uint32_t fport, uint32_t to, uint32_t tport)
{
	t->c[t->g.nb_conns++] = (struct ck_conn){ from, fport, to, tport };
}

struct run {
	struct ck_router *r;
	char *chat, *err;
	size_t chat_len, err_len;
	FILE *chatf, *errf;
};

static inline int
start(struct run *x, struct tg *t)
{
	memset(x, 0, sizeof(*x));
	x->chatf = open_memstream(&x->chat, &x->chat_len);
	x->errf = open_memstream(&x->err, &x->err_len);
	x->r = ck_router_new(&t->g, ck_offline_platform(), x->errf);
	if (!x->r) {
		fflush(x->errf);
		return -1;
	}
	ck_router_set_chatter(x->r, x->chatf);
	ck_router_set_simtime(x->r, true);
	return 0;
}

static inline void
finish(struct run *x)
{
	ck_router_free(x->r);
	fclose(x->chatf);
	fclose(x->errf);
	free(x->chat);
	free(x->err);
}

static inline const char *
chat(struct run *x)
{
	fflush(x->chatf);
	return x->chat ? x->chat : "";
}

static inline long
hread(struct run *x, const char *spec)
{
	char *v = ck_handler_read_str(x->r, spec);
	long n;

	assert_non_null(v);
	n = strtol(v, NULL, 10);
	free(v);
	return n;
}

/* Push @len bytes into input 0 of element @name, as a packet from outside. */
static inline void
inject(struct run *x, const char *name, const void *data, uint32_t len)
{
	struct ck_element *e = ck_router_find(x->r, name);
	struct ck_pkt *p;

	assert_non_null(e);
	p = ck_pkt_new(e, len);
	assert_non_null(p);
	memcpy(p->data, data, len);
	e->cls->push ? e->cls->push(e, 0, p) : (void)0;
	if (!e->cls->push) {
		p = e->cls->action(e, p);
		if (p)
			ck_push_out(e, 0, p);
	}
}

/* 20-byte IPv4 header (UDP, TTL 64, 10.0.0.1 > 10.0.0.2, length 40, checksum
 * 0x66c3 computed by hand), UDP 1234 > 53 length 20, 12 zero bytes. */
static const uint8_t udp40[40] __attribute__((unused));
static const uint8_t udp40[40] = {
	0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x66, 0xc3,
	0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
	0x04, 0xd2, 0x00, 0x35, 0x00, 0x14, 0x00, 0x00,
};

#endif /* CLICK_TEST_H */
