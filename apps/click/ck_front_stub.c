/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_front_stub.c — stands in for the configuration language front end
 * (ck_lex.c, ck_parse.c, ck_graph.c) until it is built into this program:
 * it parses nothing. Replace it by the front end's sources in meson.build.
 */
#include <stdlib.h>

#include "ck_graph.h"

/* Parse a configuration: always fails here. Returns NULL after a message. */
struct ck_graph *
ck_graph_parse(const char *text, const char *file, const char *const *defs,
	       unsigned int nb_defs, FILE *errf)
{
	(void)text, (void)defs, (void)nb_defs;
	if (errf)
		fprintf(errf, "%s: configuration parser not built in\n", file ? file : "config");
	return NULL;
}

/* Print a graph: nothing to print without the front end. */
void
ck_graph_print(const struct ck_graph *g, FILE *f)
{
	(void)g, (void)f;
}

/* Free a graph; it cannot fail. */
void
ck_graph_free(struct ck_graph *g)
{
	free(g);
}
