/* SPDX-License-Identifier: BSD-3-Clause */
/* netlib's command line: the options every NF has, so no app parses them. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "nl_priv.h"

#define NL_DEFAULT_SOCKET "/run/netvm/core.sock"
#define NL_STATS_MAX_S 86400            /* --stats: a day */
#define NL_SLEEP_AFTER_MAX_US 10000000  /* --sleep-after-us: 10 s */

/* Print the options netlib understands, then the app's own. */
void
nl_usage(FILE *f, const char *prog, const struct nl_nf *nf)
{
	fprintf(f,
		"usage: %s [netlib options] [-- app options]\n"
		"netlib options:\n"
		"  -s, --socket PATH      core engine attach socket (default %s)\n"
		"  -r, --role N           role this instance serves (0..255, required)\n"
		"  -q, --queues N         ring pairs = threads (1..%u, default 1)\n"
		"      --stats SECONDS    print counters every SECONDS (0..%u, default 0:\n"
		"                         only at exit)\n"
		"      --sleep-after-us N after N us with no packets, block on the doorbell\n"
		"                         until the core rings it (0..%u, default 0:\n"
		"                         always poll)\n"
		"      --transport NAME   how to reach the core: host (the attach socket,\n"
		"                         default) or uio (inside a VM: the ivshmem devices)\n"
		"  -h, --help             this text\n",
		prog, NL_DEFAULT_SOCKET, NVM_MAX_QUEUES, NL_STATS_MAX_S, NL_SLEEP_AFTER_MAX_US);
	if (nf->usage != NULL)
		fprintf(f, "%s options:\n%s", nf->name, nf->usage);
}

/* Parse a whole decimal number in [lo, hi] into *out; -EINVAL otherwise. */
static int
parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL; /* strtoul() would take a blank, a sign */
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * Parse netlib's options from argv up to "--"; what follows goes to the app
 * with argv[0] set to the NF's name. Returns 0, 1 for --help, or -EINVAL
 * after printing what is wrong.
 */
int
nl_args_parse(int argc, char **argv, const struct nl_nf *nf, struct nl_opts *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "role", required_argument, NULL, 'r' },
		{ "queues", required_argument, NULL, 'q' },
		{ "stats", required_argument, NULL, 'S' },
		{ "sleep-after-us", required_argument, NULL, 'I' },
		{ "transport", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = argv[0];
	const char *why = "";
	char range[48];
	unsigned long v, lo = 0, hi = 0;
	int opt, i, li;

	memset(o, 0, sizeof(*o));
	o->socket_path = NL_DEFAULT_SOCKET;
	o->role = -1;
	o->nb_queues = 1;
	o->transport = "host";

	/* Split at "--" ourselves so getopt never sees the app's options. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			break;
	if (i < argc) {
		o->app_argc = argc - i;
		o->app_argv = &argv[i];
		argv[i] = (char *)nf->name;
	} else {
		static char *noargs[2];

		noargs[0] = (char *)nf->name;
		o->app_argc = 1;
		o->app_argv = noargs;
	}
	argc = i;

	optind = 1;
	li = -1; /* the long option given, for a message; -1: a short one */
	while ((opt = getopt_long(argc, argv, "s:r:q:h", longopts, &li)) != -1) {
		switch (opt) {
		case 's':
			if (optarg[0] == '\0') {
				why = ": the path is empty";
				goto bad;
			}
			o->socket_path = optarg;
			break;
		case 'r':
			lo = 0;
			hi = 255;
			if (parse_uint(optarg, lo, hi, &v) < 0)
				goto bad_number;
			o->role = (int)v;
			break;
		case 'q':
			lo = 1;
			hi = NVM_MAX_QUEUES;
			if (parse_uint(optarg, lo, hi, &v) < 0)
				goto bad_number;
			o->nb_queues = (unsigned int)v;
			break;
		case 'S':
			lo = 0;
			hi = NL_STATS_MAX_S;
			if (parse_uint(optarg, lo, hi, &v) < 0)
				goto bad_number;
			o->stats_interval = (unsigned int)v;
			break;
		case 'I':
			lo = 0;
			hi = NL_SLEEP_AFTER_MAX_US;
			if (parse_uint(optarg, lo, hi, &v) < 0)
				goto bad_number;
			o->sleep_after_us = (unsigned int)v;
			break;
		case 'T':
			o->transport = optarg;
			break;
		case 'h':
			nl_usage(stdout, prog, nf);
			return 1;
		default:
			nl_usage(stderr, prog, nf);
			return -EINVAL;
		}
		li = -1;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (app options go after --)\n",
			prog, argv[optind]);
		return -EINVAL;
	}
	if (o->role < 0) {
		fprintf(stderr, "%s: --role is required\n", prog);
		return -EINVAL;
	}
	return 0;
bad_number:
	snprintf(range, sizeof(range), " (a decimal number, %lu..%lu)", lo, hi);
	why = range;
bad:
	/* argv[optind - 1] is the value when it came as a word of its own */
	if (li >= 0)
		fprintf(stderr, "%s: bad value '%s' for option --%s%s\n", prog, optarg,
			longopts[li].name, why);
	else
		fprintf(stderr, "%s: bad value '%s' for option -%c%s\n", prog, optarg, opt, why);
	return -EINVAL;
}
