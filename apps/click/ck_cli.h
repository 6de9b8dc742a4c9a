/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_cli.h — the command line shared by netvm-click's two modes (ck_main.c
 * offline, ck_nf.c on netlib): which configuration, definitions, handlers
 * to print, device names.
 */
#ifndef CK_CLI_H
#define CK_CLI_H

#include <stdbool.h>

#include "ck_rt.h"

#define CK_CLI_MAX 64

struct ck_cli {
	const char *file;       /* -f FILE (or a bare FILE); NULL: stdin */
	const char *expr;       /* -e EXPR */
	const char *defs[CK_CLI_MAX];
	unsigned int nb_defs;
	const char *handlers[CK_CLI_MAX]; /* -h ELEMENT.HANDLER */
	unsigned int nb_handlers;
	const char *ports[CK_CLI_MAX];    /* --port NAME=N */
	unsigned int nb_ports;
	const char *from_pcap[CK_CLI_MAX]; /* offline: --from-pcap DEV=FILE */
	unsigned int nb_from;
	const char *to_pcap[CK_CLI_MAX];   /* offline: --to-pcap DEV=FILE */
	unsigned int nb_to;
	bool quit;              /* -q: initialise only */
	bool simtime;           /* --simtime */
};

/* Parse click-style arguments into @c. Returns 0, or -EINVAL after a message on stderr. */
int ck_cli_parse(struct ck_cli *c, int argc, char **argv);

/* Read the configuration and parse it with the front end. Returns the graph,
 * or NULL after messages on @errf. */
struct ck_graph *ck_cli_graph(const struct ck_cli *c, FILE *errf);

/* Port number for device @name from --port NAME=N or a plain number; -1 if none. */
int ck_cli_port(const struct ck_cli *c, const char *name);

/* Print the -h handlers of @r to @out. @live: the router runs on (a periodic or
 * `stats` print): handlers whose read changes the element are left out and a
 * handler with no match is not said again. Returns 0, or -ENOENT if one had
 * no match. */
int ck_cli_print_handlers(const struct ck_cli *c, struct ck_router *r, FILE *out, bool live);

/* Run as an NF on netlib (ck_nf.c). Returns the process exit status. */
int ck_nf_main(int argc, char **argv);

#endif /* CK_CLI_H */
