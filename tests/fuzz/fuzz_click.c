/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_click.c — Click configurations of any content through the language
 * front end (apps/click/ck_*.c, ck_graph_parse).
 *
 * Input: the configuration text, up to its first NUL byte. A refused
 * configuration must come with at least one message, every line of them
 * "FILE:LINE: message". An accepted one must keep the promises of
 * ck_graph.h, checked here from the graph alone: known classes, unique
 * names, connections inside the elements' ports, every used port
 * connected, push and pull resolved and agreeing across each connection,
 * push outputs and pull inputs connected once. Its printed flat form must
 * parse again into the same elements and connections.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_graph.h"
#include "fuzz.h"

static void
check_errors(const char *errs)
{
	const char *line = errs;

	FUZZ_CHECK(errs[0] != '\0', "refused without a message");
	while (*line) {
		const char *nl = strchr(line, '\n'), *c;

		FUZZ_CHECK(nl != NULL, "a message without its newline");
		/* FILE:LINE: with a decimal LINE */
		for (c = nl; c > line; c--)
			if (c[-1] == ':' && c[0] >= '0' && c[0] <= '9')
				break;
		FUZZ_CHECK(c > line, "a message without a landmark: %.*s", (int)(nl - line), line);
		line = nl + 1;
	}
}

/* Whether every configuration string of @g reads back as one: parentheses
 * balanced outside quotes, quotes closed (the lexer's rules, restated). */
static int
configs_balanced(const struct ck_graph *g)
{
	for (uint32_t e = 0; e < g->nb_elems; e++) {
		const char *c = g->elems[e].config;
		int depth = 0;
		char q = 0;

		for (; *c; c++) {
			if (q) {
				if (*c == '\\' && q == '"' && c[1])
					c++;
				else if (*c == q)
					q = 0;
			} else if (*c == '"' || *c == '\'') {
				q = *c;
			} else if (*c == '(') {
				depth++;
			} else if (*c == ')' && --depth < 0) {
				return 0;
			} else if ((*c == '/' && (c[1] == '/' || c[1] == '*')) ||
				   (*c == '\\' && c[1] == '<')) {
				return 0; /* comments and \<...> data: not worth restating */
			}
		}
		if (q || depth != 0)
			return 0;
	}
	return 1;
}

static void
check_graph(const struct ck_graph *g)
{
	uint32_t e, f, c;

	for (e = 0; e < g->nb_elems; e++) {
		const struct ck_elem *el = &g->elems[e];

		FUZZ_CHECK(ck_class_find(el->class_name) != NULL, "unknown class %s", el->class_name);
		FUZZ_CHECK(el->name[0] && el->config && el->landmark, "element %u incomplete", e);
		for (f = 0; f < e; f++)
			FUZZ_CHECK(strcmp(g->elems[f].name, el->name) != 0, "name %s twice", el->name);
		for (c = 0; c < el->nin; c++) {
			uint32_t n = 0, k;

			FUZZ_CHECK(el->in_kind[c] == CK_PUSH || el->in_kind[c] == CK_PULL,
				   "%s input %u unresolved", el->name, c);
			for (k = 0; k < g->nb_conns; k++)
				n += g->conns[k].to == e && g->conns[k].to_port == c;
			FUZZ_CHECK(n >= 1, "%s input %u unconnected", el->name, c);
			FUZZ_CHECK(el->in_kind[c] == CK_PUSH || n == 1, "%s pull input %u reused",
				   el->name, c);
		}
		for (c = 0; c < el->nout; c++) {
			uint32_t n = 0, k;

			FUZZ_CHECK(el->out_kind[c] == CK_PUSH || el->out_kind[c] == CK_PULL,
				   "%s output %u unresolved", el->name, c);
			for (k = 0; k < g->nb_conns; k++)
				n += g->conns[k].from == e && g->conns[k].from_port == c;
			FUZZ_CHECK(n >= 1, "%s output %u unconnected", el->name, c);
			FUZZ_CHECK(el->out_kind[c] == CK_PULL || n == 1, "%s push output %u reused",
				   el->name, c);
		}
	}
	for (c = 0; c < g->nb_conns; c++) {
		const struct ck_conn *k = &g->conns[c];

		FUZZ_CHECK(k->from < g->nb_elems && k->to < g->nb_elems, "connection %u dangles", c);
		FUZZ_CHECK(k->from_port < g->elems[k->from].nout, "connection %u: no such output", c);
		FUZZ_CHECK(k->to_port < g->elems[k->to].nin, "connection %u: no such input", c);
		FUZZ_CHECK(g->elems[k->from].out_kind[k->from_port] ==
				   g->elems[k->to].in_kind[k->to_port],
			   "connection %u joins push and pull", c);
		for (f = 0; f < c; f++)
			FUZZ_CHECK(memcmp(&g->conns[f], k, sizeof(*k)) != 0, "connection %u twice", c);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *errs = NULL, *flat = NULL, *errs2 = NULL;
	size_t elen = 0, flen = 0, elen2 = 0;
	FILE *ef, *ff;
	struct ck_graph *g, *g2;
	const char *defs[] = { "x=1" };

	if (!text || size > 65536) {
		free(text);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	ef = open_memstream(&errs, &elen);
	FUZZ_CHECK(ef != NULL, "open_memstream");
	g = ck_graph_parse(text, "config", defs, 1, ef);
	fclose(ef);
	free(text);
	if (!g) {
		check_errors(errs);
		free(errs);
		return 0;
	}
	FUZZ_CHECK(errs[0] == '\0', "accepted with messages: %s", errs);
	check_graph(g);
	if (!configs_balanced(g)) {
		/* a parameter's value put an unbalanced ')' or quote into a
		 * configuration string: no configuration text can write that
		 * string back (Click's flat form has the same limit) */
		ck_graph_free(g);
		free(errs);
		return 0;
	}
	ff = open_memstream(&flat, &flen);
	FUZZ_CHECK(ff != NULL, "open_memstream");
	ck_graph_print(g, ff);
	fclose(ff);
	ef = open_memstream(&errs2, &elen2);
	FUZZ_CHECK(ef != NULL, "open_memstream");
	g2 = ck_graph_parse(flat, "flat", NULL, 0, ef);
	fclose(ef);
	FUZZ_CHECK(g2 != NULL, "the flat form is refused: %s\n%s", errs2, flat);
	FUZZ_CHECK(g2->nb_elems == g->nb_elems && g2->nb_conns == g->nb_conns,
		   "the flat form changed the graph: %s", flat);
	for (uint32_t e = 0; e < g->nb_elems; e++) {
		FUZZ_CHECK(strcmp(g->elems[e].name, g2->elems[e].name) == 0 &&
				   strcmp(g->elems[e].class_name, g2->elems[e].class_name) == 0,
			   "element %u changed in the flat form", e);
	}
	for (uint32_t c = 0; c < g->nb_conns; c++)
		FUZZ_CHECK(memcmp(&g->conns[c], &g2->conns[c], sizeof(g->conns[c])) == 0,
			   "connection %u changed in the flat form", c);
	ck_graph_free(g2);
	ck_graph_free(g);
	free(errs);
	free(errs2);
	free(flat);
	return 0;
}
