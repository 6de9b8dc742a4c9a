/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * click_graph.h — builds a struct ck_graph by hand for the runtime's tests,
 * the way the front end would hand one over (flat, kinds resolved).
 */
#ifndef CLICK_GRAPH_H
#define CLICK_GRAPH_H

#include <stdlib.h>
#include <string.h>

#include "ck_graph.h"

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

#endif /* CLICK_GRAPH_H */
