/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvm-click-check — the front half of Click's command line: read a
 * configuration, expand and check it, and with -o print the flat form.
 *
 *   netvm-click-check [-q] [-o FILE | -qo-] [-f FILE | -e EXPR | FILE] [NAME=VALUE...]
 *
 * Exits 0 when the configuration checks, 1 after errors (on stderr as
 * FILE:LINE: message), 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_graph.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: netvm-click-check [-q] [-o FILE | -qo-] [-f FILE | -e EXPR | FILE] "
		   "[NAME=VALUE...]\n");
}

/* The whole of @f, NUL-terminated, its length in *@lenp, or NULL. */
static char *
slurp(FILE *f, size_t *lenp)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL;

	do {
		if (cap - len < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* Does @s look like NAME=VALUE (a variable for the configuration)? */
static int
is_define(const char *s)
{
	const char *eq = strchr(s, '=');
	const char *p;

	if (!eq || eq == s)
		return 0;
	for (p = s; p < eq; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

int
main(int argc, char **argv)
{
	const char *file = NULL, *expr = NULL, *out = NULL, *name;
	const char **defs = calloc((size_t)argc + 1, sizeof(char *));
	unsigned int nb_defs = 0;
	struct ck_graph *g;
	char *text;
	size_t len = 0;
	int i;

	if (!defs)
		return 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] && strcmp(a, "--help") != 0) {
			const char *c;

			for (c = a + 1; *c; c++) {
				const char **dst;

				if (*c == 'q')
					continue;
				if (*c == 'h') {
					usage(stdout);
					free(defs);
					return 0;
				}
				dst = *c == 'o' ? &out : *c == 'f' ? &file : *c == 'e' ? &expr : NULL;
				if (!dst) {
					fprintf(stderr, "netvm-click-check: unknown option '-%c'\n", *c);
					usage(stderr);
					free(defs);
					return 2;
				}
				if (c[1]) {
					*dst = c + 1;
				} else if (i + 1 < argc) {
					*dst = argv[++i];
				} else {
					fprintf(stderr, "netvm-click-check: '-%c' needs an argument\n", *c);
					free(defs);
					return 2;
				}
				break;
			}
		} else if (strcmp(a, "--help") == 0) {
			usage(stdout);
			free(defs);
			return 0;
		} else if (is_define(a)) {
			defs[nb_defs++] = a;
		} else if (!file && !expr) {
			file = a;
		} else {
			usage(stderr);
			free(defs);
			return 2;
		}
	}
	if (expr) {
		text = strdup(expr);
		len = text ? strlen(text) : 0;
		name = "config";
	} else if (file && strcmp(file, "-") != 0) {
		FILE *f = fopen(file, "r");

		if (!f) {
			fprintf(stderr, "%s: %s\n", file, strerror(errno));
			free(defs);
			return 1;
		}
		text = slurp(f, &len);
		fclose(f);
		name = file;
	} else {
		text = slurp(stdin, &len);
		name = "<stdin>";
	}
	if (!text) {
		fprintf(stderr, "%s: cannot read\n", name);
		free(defs);
		return 1;
	}
	g = ck_graph_parse_len(text, len, name, defs, nb_defs, stderr);
	free(text);
	free(defs);
	if (!g)
		return 1;
	if (out) {
		FILE *f = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");

		if (!f) {
			fprintf(stderr, "%s: %s\n", out, strerror(errno));
			ck_graph_free(g);
			return 1;
		}
		ck_graph_print(g, f);
		if (f != stdout)
			fclose(f);
	}
	ck_graph_free(g);
	return 0;
}
