/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_main.c — netvm-click's command line.
 *
 *   netvm-click --offline [-f FILE | -e EXPR | FILE] [NAME=VALUE...] [-h ELEM.HANDLER]
 *               [-q] [--simtime] [--from-pcap DEV=FILE] [--to-pcap DEV=FILE] [--help]
 *       runs the configuration like Click's userlevel driver, without the core
 *       engine (FromDump/FromIPSummaryDump/InfiniteSource ... ToDump/Print/Discard),
 *       devices bound to pcap files (ck_offdev.c).
 *   netvm-click [netlib options] -- [-f FILE | -e EXPR] [--port NAME=N...] [-h ...]
 *       runs it as an NF on netlib (ck_nf.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ck_cli.h"
#include "ck_offdev.h"
#include "elements/ck_elem.h"

/* Store option @opt's value @v (-f, -e or -h; a second configuration is
 * refused). Returns 0 or -EINVAL. */
static int
cli_value(struct ck_cli *c, char opt, const char *v)
{
	switch (opt) {
	case 'f':
	case 'e':
		if (c->file || c->expr) { /* as Click's driver */
			fprintf(stderr, "netvm-click: router configuration specified twice\n");
			return -EINVAL;
		}
		*(opt == 'f' ? &c->file : &c->expr) = v;
		return 0;
	default:
		if (c->nb_handlers == CK_CLI_MAX) {
			fprintf(stderr, "netvm-click: more than %d of one option\n", CK_CLI_MAX);
			return -EINVAL;
		}
		c->handlers[c->nb_handlers++] = v;
		return 0;
	}
}

/*
 * Short options as Click's driver takes them: bundled (-qh c.count, -qe
 * CONFIG) and with the value attached (-hc.count); long ones also as
 * --file=F, --expression=E, --handler=H. Returns 0 or -EINVAL with the
 * option named. @i is moved past a value taken from the next argument.
 */
static int
cli_short(struct ck_cli *c, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	for (const char *p = a + 1; *p; p++) {
		if (*p == 'q') {
			c->quit = true;
		} else if (strchr("feh", *p)) {
			if (p[1])
				return cli_value(c, *p, p + 1);
			if (*i + 1 >= argc)
				break;
			return cli_value(c, *p, argv[++*i]);
		} else {
			break;
		}
	}
	if (a[1] == '\0' || strspn(a + 1, "q") != strlen(a + 1)) {
		fprintf(stderr, "netvm-click: unknown or incomplete option '%s'\n", a);
		return -EINVAL;
	}
	return 0;
}

/* Parse click-style arguments. Returns 0 or -EINVAL. */
int
ck_cli_parse(struct ck_cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		char opt;
	} longs[] = { { "--file=", 'f' }, { "--expression=", 'e' }, { "--handler=", 'h' } };

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t k;

		for (k = 0; k < sizeof(longs) / sizeof(longs[0]); k++)
			if (strncmp(a, longs[k].name, strlen(longs[k].name)) == 0)
				break;
		if (k < sizeof(longs) / sizeof(longs[0])) {
			if (cli_value(c, longs[k].opt, a + strlen(longs[k].name)) < 0)
				return -EINVAL;
		} else if (strcmp(a, "--offline") == 0) {
			continue;
		} else if (strcmp(a, "--quit") == 0) {
			c->quit = true;
		} else if (strcmp(a, "--simtime") == 0) {
			c->simtime = true;
		} else if ((strcmp(a, "--file") == 0 || strcmp(a, "--expression") == 0 ||
			    strcmp(a, "--handler") == 0) && v) {
			if (cli_value(c, a[2] == 'f' ? 'f' : a[2] == 'e' ? 'e' : 'h', v) < 0)
				return -EINVAL;
			i++;
		} else if (strcmp(a, "--port") == 0 && v) {
			if (c->nb_ports == CK_CLI_MAX)
				goto many;
			c->ports[c->nb_ports++] = v, i++;
		} else if (strcmp(a, "--from-pcap") == 0 && v) {
			if (c->nb_from == CK_CLI_MAX)
				goto many;
			c->from_pcap[c->nb_from++] = v, i++;
		} else if (strcmp(a, "--to-pcap") == 0 && v) {
			if (c->nb_to == CK_CLI_MAX)
				goto many;
			c->to_pcap[c->nb_to++] = v, i++;
		} else if (strcmp(a, "-") == 0) {
			if (cli_value(c, 'f', a) < 0) /* standard input */
				return -EINVAL;
		} else if (a[0] == '-' && a[1] != '-') {
			if (cli_short(c, argc, argv, &i) < 0)
				return -EINVAL;
		} else if (a[0] != '-' && strchr(a, '=')) {
			if (c->nb_defs == CK_CLI_MAX)
				goto many;
			c->defs[c->nb_defs++] = a;
		} else if (a[0] != '-') {
			if (cli_value(c, 'f', a) < 0)
				return -EINVAL;
		} else {
			fprintf(stderr, "netvm-click: unknown or incomplete option '%s'\n", a);
			return -EINVAL;
		}
	}
	return 0;
many:
	fprintf(stderr, "netvm-click: more than %d of one option\n", CK_CLI_MAX);
	return -EINVAL;
}

/* Read and parse the configuration. Returns the graph or NULL. */
struct ck_graph *
ck_cli_graph(const struct ck_cli *c, FILE *errf)
{
	struct ck_graph *g;
	char *text;
	size_t len;
	const char *name = c->file ? c->file : "<stdin>";

	if (c->expr)
		return ck_graph_parse(c->expr, "config", c->defs, c->nb_defs, errf);
	text = ck_read_file(c->file ? c->file : "-", &len);
	if (!text) {
		fprintf(errf, "%s: %s\n", name, strerror(errno));
		return NULL;
	}
	g = ck_graph_parse_len(text, len, name, c->defs, c->nb_defs, errf);
	free(text);
	return g;
}

/* Map a device name to a port. Returns the port or -1. */
int
ck_cli_port(const struct ck_cli *c, const char *name)
{
	size_t l = strlen(name);
	char *end;
	long v;

	for (unsigned int i = 0; i < c->nb_ports; i++) {
		const char *eq = strchr(c->ports[i], '=');

		if (eq && (size_t)(eq - c->ports[i]) == l && strncmp(c->ports[i], name, l) == 0) {
			v = strtol(eq + 1, &end, 10);
			return *end || v < 0 ? -1 : (int)v;
		}
	}
	v = strtol(name, &end, 10);
	return *name && !*end && v >= 0 && v < 256 ? (int)v : -1;
}

/* Print the requested handlers. Returns 0 or -ENOENT. */
int
ck_cli_print_handlers(const struct ck_cli *c, struct ck_router *r, FILE *out, bool live)
{
	int rc = 0;
	bool names = c->nb_handlers > 1;

	for (unsigned int i = 0; i < c->nb_handlers; i++) {
		bool glob = strpbrk(c->handlers[i], "*?[") != NULL;

		if (ck_router_print_handler(r, c->handlers[i], names || glob, live, out,
					    live ? NULL : stderr) < 0)
			rc = -ENOENT;
	}
	fflush(out);
	return rc;
}

struct offline_ports {
	const struct ck_cli *cli;
	char *names[CK_CLI_MAX];
	unsigned int n;
};

/* Offline, a device name without --port gets a port of its own (from 128 up). */
static int
offline_port(void *ctx, const char *name)
{
	struct offline_ports *o = ctx;
	int p = ck_cli_port(o->cli, name);

	if (p >= 0)
		return p;
	for (unsigned int i = 0; i < o->n; i++)
		if (strcmp(o->names[i], name) == 0)
			return 128 + (int)i;
	if (o->n == CK_CLI_MAX || !(o->names[o->n] = strdup(name)))
		return -1;
	return 128 + (int)o->n++;
}

static const char offline_usage[] =
	"usage: netvm-click --offline [-f FILE | -e EXPR | FILE] [NAME=VALUE ...]\n"
	"                   [-h ELEMENT.HANDLER ...] [-q] [--simtime] [--port NAME=N ...]\n"
	"                   [--from-pcap DEV=FILE ...] [--to-pcap DEV=FILE ...]\n"
	"Runs a Click configuration without the core engine, as Click's userlevel driver.\n"
	"  -f, --file FILE        the configuration (FILE or '-': standard input, the default)\n"
	"  -e, --expression EXPR  the configuration as text\n"
	"  NAME=VALUE             define a configuration parameter\n"
	"  -h, --handler ELEMENT.HANDLER\n"
	"                         print a read handler when the run ends\n"
	"  -q, --quit             initialise the router only, do not run it\n"
	"      --simtime          run on Click's simulated clock\n"
	"      --port NAME=N      device NAME is port N\n"
	"      --from-pcap DEV=FILE  device DEV receives FILE's packets\n"
	"      --to-pcap DEV=FILE    what ToDevice(DEV) sends is written to FILE\n"
	"      --help             this text\n"
	"As an NF on the core engine: netvm-click --help.\n";

static int
offline_main(int argc, char **argv)
{
	struct ck_cli cli = { 0 };
	struct offline_ports ports = { &cli, { NULL }, 0 };
	struct ck_platform plat = *ck_offline_platform(), devplat;
	struct ck_offdev dev;
	struct ck_graph *g;
	struct ck_router *r = NULL;
	int rc = 0;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0) {
			fputs(offline_usage, stdout);
			return 0;
		}
	if (ck_cli_parse(&cli, argc - 1, argv + 1) < 0)
		return 1;
	g = ck_cli_graph(&cli, stderr);
	if (!g)
		return 1;
	plat.ctx = &ports;
	plat.port = offline_port;
	if (ck_offdev_open(&dev, &cli, &plat, stderr) == 0) {
		devplat = ck_offdev_platform(&dev);
		devplat.simtime = cli.simtime;
		r = ck_router_new(g, &devplat, stderr);
		if (r && ck_offdev_check(&dev, stderr) < 0) {
			ck_router_free(r);
			r = NULL;
		}
	}
	if (r) {
		/* with input traces, the run ends when they do */
		if (!cli.quit && cli.nb_from)
			rc = ck_offdev_run(&dev, r, stderr);
		else if (!cli.quit)
			ck_router_run(r);
		if (ck_cli_print_handlers(&cli, r, stdout, false) < 0)
			rc = -ENOENT;
		ck_router_free(r);
	} else {
		rc = -EINVAL;
	}
	ck_offdev_close(&dev);
	ck_graph_free(g);
	for (unsigned int i = 0; i < ports.n; i++)
		free(ports.names[i]);
	return rc < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--offline") == 0)
			return offline_main(argc, argv);
	return ck_nf_main(argc, argv);
}
