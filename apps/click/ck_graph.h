/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_graph.h — the boundary between the Click language front end and the
 * runtime of netvm-click (docs/click.md).
 *
 * The front end (ck_lex.c, ck_parse.c, ck_graph.c) reads a configuration,
 * expands compounds, defines and variables, and checks the graph against
 * each class's port counts and processing (CLICK-SCOPE §a.3). What it
 * hands over is flat: elements with their final names ("c/a"), class names
 * (always a primitive class the runtime has), configuration strings with
 * parameters already expanded, landmarks, and connections; every port's
 * push or pull kind is resolved.
 *
 * The runtime (ck_run.c and elements/) instantiates the classes by name,
 * configures them from their strings, and runs.
 */
#ifndef CK_GRAPH_H
#define CK_GRAPH_H

#include <stdint.h>
#include <stdio.h>

#define CK_PUSH 1
#define CK_PULL 2

/* What the front end knows of a primitive class: enough to check a graph. */
struct ck_class_info {
	const char *name;       /* "Queue" */
	const char *ports;      /* Click's port_count() string: "1/1-2", "-/-", "1-/=" */
	const char *processing; /* Click's processing() string: "h/lh", "a/ah" */
	const char *flow;       /* Click's flow_code(), NULL for "x/x" (every input to every output) */
};

/* The classes the runtime implements, NULL-terminated (the runtime's table). */
extern const struct ck_class_info *const ck_classes[];

/* Find @name in ck_classes, or NULL. */
const struct ck_class_info *ck_class_find(const char *name);

struct ck_elem {
	char *name;        /* flattened: "foo/a", "Counter@3" */
	char *class_name;  /* a primitive class of ck_classes */
	char *config;      /* the configuration string, parameters expanded; "" when none */
	char *landmark;    /* "FILE:LINE" where it was declared */
	uint32_t nin, nout;     /* ports used (highest connected + 1), within the class's counts */
	uint8_t *in_kind;       /* CK_PUSH or CK_PULL per input port, resolved */
	uint8_t *out_kind;      /* per output port */
};

struct ck_conn {
	uint32_t from, from_port; /* element index, output port */
	uint32_t to, to_port;     /* element index, input port */
};

/* A checked, flat router graph. Elements are in configuration order (the
 * order Click initialises them: tasks are scheduled in that order). */
struct ck_graph {
	struct ck_elem *elems;
	uint32_t nb_elems;
	struct ck_conn *conns;
	uint32_t nb_conns;
	char *requires;         /* the packages named by require(), space-separated (informative) */
	char *text;             /* the configuration text as given (the `config` handler) */
};

/*
 * Parse @text (named @file in landmarks) with command-line definitions
 * @defs ("NAME=value", @nb_defs of them) and check it. Returns the graph, or
 * NULL after writing every error to @errf as "FILE:LINE: message" (Click's
 * wording where Click has one). @errf may be NULL.
 */
struct ck_graph *ck_graph_parse(const char *text, const char *file, const char *const *defs,
				unsigned int nb_defs, FILE *errf);

/* The same for the @len bytes of @text (a file's): a NUL byte among them is
 * an error, where ck_graph_parse would stop at it. */
struct ck_graph *ck_graph_parse_len(const char *text, size_t len, const char *file,
				    const char *const *defs, unsigned int nb_defs, FILE *errf);

/* Write @g as a flat Click configuration (`click -qo-`): declarations, then
 * connections, to @f. */
void ck_graph_print(const struct ck_graph *g, FILE *f);

void ck_graph_free(struct ck_graph *g);

#endif /* CK_GRAPH_H */
