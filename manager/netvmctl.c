/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvmctl — the operator's command line for netvm-manager.
 *
 *   netvmctl [-s SOCKET] [-t SECONDS] [--json] vm list | vm start NAME | vm stop NAME |
 *            vm migrate NAME [--to unix:MANAGER_SOCKET | --to tcp:HOST:PORT]
 *   netvmctl [-s SOCKET] [-t SECONDS] [--json] nf list | nf counters ID | stats | metrics
 *   netvmctl [-s SOCKET] [-t SECONDS] [--json] nf start --role R [--queues Q] -- CMDLINE... |
 *            nf stop ID | nf move ID [--state SAVE LOAD] | idle list
 *   netvmctl [-c CORE_SOCKET] [-f FILE] [-t SECONDS] [--json] nf cmd ID WORD...
 *   netvmctl [-s SOCKET] [-f FILE] [-t SECONDS] [--json] vm cmd NAME WORD...
 *   netvmctl [-c CORE_SOCKET] [-f FILE] [-t SECONDS] [--json] rule list|add|del ... |
 *            default set ... | chain list|set|del ... | role list|name ... |
 *            core reload FILE | core help
 *
 * "nf cmd" and "vm cmd" go to the NF through the core engine's command
 * socket (netvmctl_nf.c), rule/default/chain/role/core reload to the core
 * itself through the same socket; the rest
 * sends the command as one line to the manager's control socket
 * (manager.socket; mgr_ctl.c has the protocol), reads its JSON answer and
 * prints it as tables, or as JSON with --json. Exit status: 0 done, 1 the
 * manager refused or could not be reached, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr_cfg.h"
#include "netvmctl.h"

#define CTL_MAX_REPLY (4u << 20)
/* -t's default; the manager's commands that do their work before they
 * answer (a migration, an NF provisioned into an idle VM) get the most -t
 * allows instead */
#define CTL_DEF_TIMEOUT_S 10
#define CTL_MAX_TIMEOUT_S 600
#define CTL_NAME_MAX 1024 /* a VM name sent to the manager, with the NUL */

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [-s SOCKET] [-c SOCKET] [-f FILE] [-t SECONDS] [--json] COMMAND\n"
		"  vm list          the configured VMs and their state\n"
		"  vm start NAME    start a VM (again)\n"
		"  vm stop NAME     stop a VM; it stays stopped\n"
		"  vm migrate NAME  live-migrate a VM to a new QEMU on this host (needs the\n"
		"                   patched QEMU: docs/qemu-patches.md)\n"
		"  vm migrate NAME --to tcp:HOST:PORT | --to unix:MANAGER_SOCKET\n"
		"                   move it to the netvm-manager of that migration port\n"
		"                   (manager.migrate_listen, another host) or control socket\n"
		"                   (this machine) and its core engine; its NF re-attaches there\n"
		"  nf list          NFs attached to the core engine, with their VM\n"
		"  nf counters ID   the counters NF instance ID publishes (its drop reasons\n"
		"                   among them), through the core's telemetry\n"
		"  nf start --role R [--queues Q] -- CMDLINE...\n"
		"                   start an NF in an idle VM; prints its instance id\n"
		"  nf stop ID       stop NF instance ID started so; its VM is retired (with\n"
		"                   idle.reuse, idle again)\n"
		"  nf move ID [--state SAVE LOAD]  move it to another idle VM; its state\n"
		"                   saved by NF command SAVE, loaded by LOAD\n"
		"  idle list        the idle VMs and the NFs they run\n"
		"  stats            the core engine's counters: ports, NFs, pools, drops\n"
		"  metrics          the core's and every NF's counters, Prometheus text format\n"
		"  nf cmd ID WORD...    a command for NF instance ID (try 'help'), through the\n"
		"                       core engine; prints the NF's answer\n"
		"  vm cmd NAME WORD...  the same for the NF of VM NAME\n"
		"core engine (through its command socket; docs/control.md):\n"
		"  rule list | rule add [N] '{ KEY = VALUE; ... }' | rule del N\n"
		"  default set '{ role = N; }'   (or chain = \"NAME\", action = \"drop\")\n"
		"  chain list | chain set NAME ROLE[,ROLE...] | chain del NAME\n"
		"  role list | role name ID NAME|-\n"
		"  core reload FILE     put a whole configuration file in force\n"
		"  core help            the core's own list of its commands\n"
		"  instance drain|handover|undrain ID  no new flow on instance ID (handover: its\n"
		"                   flows move once it is empty) / place again\n"
		"  dos list | dos set src_pps|syn_pps N | dos clear   the core's attack detector\n"
		"manager operations (docs/operations.md):\n"
		"  scale list       scaling policies: instances, load, last decisions\n"
		"  dos              the DoS response: sources blocked, the filter, times\n"
		"options:\n"
		"  -s, --socket SOCKET  the manager's control socket (default %s)\n"
		"  -c, --core SOCKET    the core engine's attach socket, for nf cmd and the core's\n"
		"                       commands (default %s; vm cmd asks the manager)\n"
		"  -f, --file FILE      send FILE's bytes after the command's words ('-': stdin)\n"
		"  -t, --timeout SECONDS  how long the manager, the NF, or the core for its own\n"
		"                       commands, may take to answer (default 10; for vm migrate,\n"
		"                       nf start, nf stop and nf move, 600)\n"
		"  -j, --json           print the answer as JSON\n"
		"  -h, --help           this text\n",
		prog, MGR_CFG_DEF_SOCKET, MGR_CFG_DEF_CORE_SOCKET);
}

/*
 * core reload FILE: the file is the command's data and, when it is a
 * regular file, its directory (absolute) the command's word: the core
 * takes its @include paths from there, as at start-up from the -c file's
 * (docs/config.md). A pipe has no directory: its paths are taken as written.
 */
static int
core_reload(const char *core_sock, const char *file, unsigned int timeout_s, bool json)
{
	char *words[2] = { "reload", NULL }, *path;
	struct stat st;
	int n = 1, rc;

	path = stat(file, &st) == 0 && S_ISREG(st.st_mode) ? realpath(file, NULL) : NULL;
	if (path != NULL) {
		words[1] = dirname(path);
		/* the core splits its line at blanks: such a directory cannot be
		 * sent, its @include paths are taken as they are written */
		if (strpbrk(words[1], " \t\r\n") == NULL)
			n = 2;
		else
			fprintf(stderr, "netvmctl: note: %s's directory holds a blank: an @include "
				"in it is taken from the core engine's working directory\n", file);
	}
	rc = ctl_nf_cmd(core_sock, CTL_CORE, n, words, file, timeout_s, json);
	free(path);
	return rc;
}

/*
 * A command for the core itself (@argv: "rule add ...", "core reload FILE",
 * ...): checked for its shape here, sent through the core's command socket;
 * the core has @timeout_s to answer (a rule change rebuilds the classifier).
 * Returns the exit status: 0, 1 refused, 2 usage.
 */
static int
ctl_core_words(const char *core_sock, int argc, char **argv, const char *file,
	       unsigned int timeout_s, bool json)
{
	static const struct { const char *obj, *verb; int min, max; } forms[] = {
		{ "rule", "list", 2, 2 }, { "rule", "add", 2, 64 }, { "rule", "del", 3, 3 },
		{ "default", "set", 3, 64 }, { "chain", "list", 2, 2 }, { "chain", "set", 4, 64 },
		{ "chain", "del", 3, 3 }, { "role", "list", 2, 2 }, { "role", "name", 4, 4 },
		{ "core", "reload", 3, 3 }, { "core", "help", 2, 2 }, { "instance", "drain", 3, 3 },
		{ "instance", "handover", 3, 3 }, { "instance", "undrain", 3, 3 },
		{ "dos", "list", 2, 2 }, { "dos", "set", 4, 4 }, { "dos", "clear", 2, 2 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (argc >= 2 && strcmp(argv[0], forms[i].obj) == 0 &&
		    strcmp(argv[1], forms[i].verb) == 0)
			break;
	/* "rule add" with no words after it appends the rules of --file */
	if (i == sizeof(forms) / sizeof(forms[0]) || argc < forms[i].min || argc > forms[i].max ||
	    (strcmp(argv[0], "rule") == 0 && strcmp(argv[1], "add") == 0 && argc == 2 &&
	     file == NULL)) {
		fprintf(stderr, "netvmctl: %s: see 'netvmctl --help' for the core's commands\n",
			argv[0]);
		return 2;
	}
	/* the core splits the line at blanks again: a value that must be one
	 * word (a number, a name) and is empty or holds a blank would be read
	 * as other words, another command ("chain set 'fw 1' 2": chain fw =
	 * 1,2); rule text, default set's target and chain set's roles are free */
	for (int k = 2; k < argc; k++) {
		bool free_text = strcmp(argv[0], "default") == 0 ||
				 (strcmp(argv[0], "rule") == 0 && strcmp(argv[1], "add") == 0) ||
				 (strcmp(argv[0], "chain") == 0 && strcmp(argv[1], "set") == 0 &&
				  k > 2) ||
				 strcmp(argv[0], "core") == 0;

		if (!free_text && (argv[k][0] == '\0' || strpbrk(argv[k], " \t") != NULL)) {
			fprintf(stderr, "netvmctl: %s %s: '%.80s' is not one word (it is empty or "
				"holds a blank)\n", argv[0], argv[1], argv[k]);
			return 2;
		}
	}
	if (strcmp(argv[0], "core") == 0) {
		if (file != NULL) {
			fprintf(stderr, "netvmctl: core %s takes no --file\n",
				argc == 3 ? "reload FILE" : "help");
			return 2;
		}
		if (argc == 3)
			return core_reload(core_sock, argv[2], timeout_s, json);
		/* the core's own words: "help" */
		return ctl_nf_cmd(core_sock, CTL_CORE, 1, argv + 1, NULL, timeout_s, json);
	}
	return ctl_nf_cmd(core_sock, CTL_CORE, argc, argv, file, timeout_s, json);
}

/* Milliseconds left until @deadline (CLOCK_MONOTONIC), 0 once past it. */
static int
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/* Send @req to the manager at @path; the whole answer in a malloc'd string.
 * With @timeout_s (0: none) the manager has that long to take the request
 * and answer (a stopped or busy manager holds netvmctl no longer). */
static char *
ctl_ask(const char *path, const char *req, unsigned int timeout_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_s };
	struct timespec deadline;
	size_t len = 0, cap = 65536;
	char *buf;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "netvmctl: socket path too long: %s\n", path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* the send time-out also bounds connect() to a full backlog */
	if (fd >= 0 && timeout_s > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		fprintf(stderr, "netvmctl: cannot reach netvm-manager at %s: %s (%s)\n", path,
			strerror(e), e == EACCES || e == EPERM ?
			"it is mode 0600, the user's of netvm-manager: run as root" :
			"is it running? -s gives another socket");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "netvmctl: %s: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	shutdown(fd, SHUT_WR);
	buf = malloc(cap);
	while (buf != NULL) {
		if (len + 1 == cap) {
			char *bigger = cap < CTL_MAX_REPLY ? realloc(buf, cap * 2) : NULL;

			if (bigger == NULL) {
				free(buf);
				buf = NULL;
				fprintf(stderr, "netvmctl: the answer is too large\n");
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		if (timeout_s > 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int left = ms_left(&deadline), p = left > 0 ? poll(&pfd, 1, left) : 0;

			if (p < 0 && errno == EINTR)
				continue;
			if (p == 0) {
				fprintf(stderr, "netvmctl: netvm-manager at %s did not answer within "
					"%u s (is it stopped or busy? -t gives it longer)\n", path,
					timeout_s);
				free(buf);
				buf = NULL;
				break;
			}
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "netvmctl: %s: %s\n", path, strerror(errno));
			free(buf);
			buf = NULL;
			break;
		}
		if (n == 0) {
			buf[len] = '\0';
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	return buf;
}

/* The request line of command @argv; -EINVAL when it is not a command. */
static int
ctl_request(int n, char **argv, char *req, size_t len)
{
	if (n == 2 && strcmp(argv[0], "vm") == 0 && strcmp(argv[1], "list") == 0)
		snprintf(req, len, "vm list\n");
	else if (n == 3 && strcmp(argv[0], "vm") == 0 &&
		 (strcmp(argv[1], "start") == 0 || strcmp(argv[1], "stop") == 0 ||
		  strcmp(argv[1], "migrate") == 0) &&
		 argv[2][0] != '\0' && argv[2][strcspn(argv[2], " \t\r\n")] == '\0' &&
		 strlen(argv[2]) < CTL_NAME_MAX)
		/* a name no VM has, too long ones included, is the manager's refusal */
		snprintf(req, len, "vm %s %s\n", argv[1], argv[2]);
	else if (n == 5 && strcmp(argv[0], "vm") == 0 && strcmp(argv[1], "migrate") == 0 &&
		 strcmp(argv[3], "--to") == 0 && argv[2][0] != '\0' &&
		 argv[2][strcspn(argv[2], " \t\r\n")] == '\0' &&
		 strlen(argv[2]) < CTL_NAME_MAX && argv[4][0] != '\0' &&
		 argv[4][strcspn(argv[4], " \t\r\n")] == '\0' && strlen(argv[4]) < MGR_CFG_SOCK_LEN + 8)
		snprintf(req, len, "vm migrate %s %s\n", argv[2], argv[4]);
	else if (n == 2 && strcmp(argv[0], "nf") == 0 && strcmp(argv[1], "list") == 0)
		snprintf(req, len, "nf list\n");
	else if (n == 3 && strcmp(argv[0], "nf") == 0 && strcmp(argv[1], "counters") == 0 &&
		 ctl_nf_id(argv[2]) >= 0)
		snprintf(req, len, "nf counters %s\n", argv[2]);
	else if (n == 1 && strcmp(argv[0], "stats") == 0)
		snprintf(req, len, "stats\n");
	else if (n == 1 && strcmp(argv[0], "metrics") == 0)
		snprintf(req, len, "metrics\n");
	else if (n == 2 && strcmp(argv[0], "scale") == 0 && strcmp(argv[1], "list") == 0)
		snprintf(req, len, "scale list\n");
	else if (n == 1 && strcmp(argv[0], "dos") == 0)
		snprintf(req, len, "dos\n");
	else
		return -EINVAL;
	return 0;
}

/* Does @argv ask for --json? Looked for before the options are parsed, so
 * that an option error is printed as JSON too (the options before the
 * command; those that take an argument skip it). */
static bool
ctl_wants_json(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t n = strlen(a);

		if (a[0] != '-' || n == 1 || strcmp(a, "--") == 0)
			return false;
		if (a[1] == '-') {
			/* a long option, maybe shortened as getopt_long allows */
			if (n > 2 && strncmp(a, "--json", n) == 0)
				return true;
			if (strchr(a, '=') == NULL && n > 2 &&
			    (strncmp(a, "--socket", n) == 0 || strncmp(a, "--core", n) == 0 ||
			     strncmp(a, "--file", n) == 0 || strncmp(a, "--timeout", n) == 0))
				i++;
			continue;
		}
		for (a++; *a != '\0'; a++) {
			if (*a == 'j')
				return true;
			if (strchr("scft", *a) != NULL) {
				if (a[1] == '\0')
					i++;
				break;
			}
		}
	}
	return false;
}

static int
ctl_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "core", required_argument, NULL, 'c' },
		{ "file", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = MGR_CFG_DEF_SOCKET, *core = NULL, *file = NULL;
	struct json_object *reply, *ok, *err;
	unsigned long timeout_s = CTL_DEF_TIMEOUT_S;
	bool json = false, timeout_given = false;
	char req[2048], *text, *end;
	int opt, r = 0;

	if (ctl_wants_json(argc, argv))
		ctl_json_begin();
	opterr = 0; /* said here, so that --json has the message too */
	while ((opt = getopt_long(argc, argv, "+:s:c:f:t:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'c':
			core = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 't':
			/* decimal digits only: strtoul would take a blank or a sign */
			timeout_s = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || timeout_s == 0 ||
			    timeout_s > CTL_MAX_TIMEOUT_S) {
				fprintf(stderr, "netvmctl: --timeout: 1..%d seconds\n",
					CTL_MAX_TIMEOUT_S);
				return 2;
			}
			timeout_given = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		case ':':
		case '?':
			/* a long option is named as written, a short one by its letter */
			if (strncmp(argv[optind - 1], "--", 2) == 0 && (opt == ':' || optopt == 0))
				fprintf(stderr, "netvmctl: option %s %s\n", argv[optind - 1],
					opt == ':' ? "needs an argument" : "is unknown");
			else
				fprintf(stderr, "netvmctl: option -%c %s\n", optopt,
					opt == ':' ? "needs an argument" : "is unknown");
			usage(stderr, argv[0]);
			return 2;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	/* a command is one line: a word with a line break would cut it short */
	for (r = 0; r < argc; r++)
		if (strpbrk(argv[r], "\r\n") != NULL) {
			fprintf(stderr, "netvmctl: argument %d holds a line break (a command is "
				"one line; send text with -f FILE)\n", r + 1);
			return 2;
		}
	if (argc >= 1 && (strcmp(argv[0], "rule") == 0 || strcmp(argv[0], "chain") == 0 ||
			  strcmp(argv[0], "role") == 0 || strcmp(argv[0], "default") == 0 ||
			  strcmp(argv[0], "core") == 0 || strcmp(argv[0], "instance") == 0 ||
			  (strcmp(argv[0], "dos") == 0 && argc > 1)))
		return ctl_core_words(core ? core : MGR_CFG_DEF_CORE_SOCKET, argc, argv, file,
				      (unsigned int)timeout_s, json);
	if (argc >= 4 && strcmp(argv[1], "cmd") == 0 && strcmp(argv[0], "nf") == 0) {
		long id = ctl_nf_id(argv[2]);

		if (id < 0) {
			fprintf(stderr, "netvmctl: nf cmd: '%s' is not an NF instance id "
				"(0..65535)\n", argv[2]);
			return 2;
		}
		return ctl_nf_cmd(core ? core : MGR_CFG_DEF_CORE_SOCKET, (int)id,
				  argc - 3, argv + 3, file, (unsigned int)timeout_s, json);
	}
	if (argc >= 4 && strcmp(argv[1], "cmd") == 0 && strcmp(argv[0], "vm") == 0) {
		const char *core_sock = MGR_CFG_DEF_CORE_SOCKET;
		int id;

		text = ctl_ask(path, "vm list\n", (unsigned int)timeout_s);
		if (text == NULL)
			return 1;
		reply = json_tokener_parse(text);
		free(text);
		id = reply != NULL ? ctl_vm_nf_id(reply, argv[2], &core_sock) : -1;
		if (reply == NULL)
			fprintf(stderr, "netvmctl: the manager's answer is not JSON\n");
		r = id < 0 ? 1 : ctl_nf_cmd(core ? core : core_sock, id, argc - 3,
					    argv + 3, file, (unsigned int)timeout_s, json);
		json_object_put(reply);
		return r;
	}
	if (file != NULL) {
		fprintf(stderr, "netvmctl: --file goes with nf cmd, vm cmd and the core's "
			"commands only\n");
		return 2;
	}
	if (argc == 3 && strcmp(argv[0], "nf") == 0 && strcmp(argv[1], "counters") == 0 &&
	    ctl_nf_id(argv[2]) < 0) {
		fprintf(stderr, "netvmctl: nf counters: '%s' is not an NF instance id "
			"(0..65535)\n", argv[2]);
		return 2;
	}
	/* a VM name or a migration URI is one word: say which argument is wrong */
	if (argc >= 3 && strcmp(argv[0], "vm") == 0 &&
	    (strcmp(argv[1], "start") == 0 || strcmp(argv[1], "stop") == 0 ||
	     strcmp(argv[1], "migrate") == 0)) {
		const char *bad = NULL, *what = "a VM name";
		size_t max = CTL_NAME_MAX - 1, umax = MGR_CFG_SOCK_LEN + 7;

		if (argv[2][0] == '\0' || argv[2][strcspn(argv[2], " \t")] != '\0' ||
		    strlen(argv[2]) > max) {
			bad = argv[2];
		} else if (argc == 5 && strcmp(argv[1], "migrate") == 0 &&
			   strcmp(argv[3], "--to") == 0 &&
			   (argv[4][0] == '\0' || argv[4][strcspn(argv[4], " \t")] != '\0' ||
			    strlen(argv[4]) > umax)) {
			bad = argv[4];
			what = "a migration URI";
			max = umax;
		}
		if (bad != NULL) {
			fprintf(stderr, "netvmctl: vm %s: '%.80s%s' is not %s (one word, 1..%zu "
				"bytes, no blank)\n", argv[1], bad, strlen(bad) > 80 ? "..." : "",
				what, max);
			return 2;
		}
	}
	r = ctl_idle_request(argc, argv, req, sizeof(req));
	if (r < 0)
		return 2;
	if (r == 0 && ctl_request(argc, argv, req, sizeof(req)) < 0) {
		usage(stderr, "netvmctl");
		return 2;
	}
	if (!timeout_given && (strncmp(req, "vm migrate ", 11) == 0 ||
			       strncmp(req, "nf start ", 9) == 0 ||
			       strncmp(req, "nf stop ", 8) == 0 || strncmp(req, "nf move ", 8) == 0))
		timeout_s = CTL_MAX_TIMEOUT_S;
	text = ctl_ask(path, req, (unsigned int)timeout_s);
	if (text == NULL)
		return 1;
	reply = json_tokener_parse(text);
	if (reply == NULL || !json_object_object_get_ex(reply, "ok", &ok)) {
		fprintf(stderr, "netvmctl: the manager's answer is not JSON: %.200s\n", text);
		free(text);
		json_object_put(reply);
		return 1;
	}
	free(text);
	if (json) {
		ctl_json_print(reply);
	} else if (!json_object_get_boolean(ok)) {
		json_object_object_get_ex(reply, "error", &err);
		fprintf(stderr, "netvmctl: %s\n", err ? json_object_get_string(err) : "failed");
	} else if (strcmp(req, "vm list\n") == 0) {
		r = ctl_show_vms(reply, stdout);
	} else if (strcmp(req, "nf list\n") == 0) {
		r = ctl_show_nfs(reply, stdout);
	} else if (strncmp(req, "nf counters ", 12) == 0) {
		r = ctl_show_nf_counters(reply, stdout);
	} else if (strcmp(req, "stats\n") == 0) {
		r = ctl_show_stats(reply, stdout);
	} else if (strcmp(req, "metrics\n") == 0) {
		r = ctl_show_metrics(reply, stdout);
	} else if (strcmp(req, "scale list\n") == 0) {
		r = ctl_show_scale(reply, stdout);
	} else if (strcmp(req, "dos\n") == 0) {
		r = ctl_show_dos(reply, stdout);
	} else if (strncmp(req, "vm start ", 9) == 0) {
		printf("vm %.*s started\n", (int)strcspn(req + 9, "\n"), req + 9);
	} else if (strncmp(req, "vm stop ", 8) == 0) {
		printf("vm %.*s stopped\n", (int)strcspn(req + 8, "\n"), req + 8);
	} else if (strncmp(req, "vm migrate ", 11) == 0) {
		r = ctl_show_migrate(reply, req + 11, stdout);
	} else {
		r = ctl_show_idle(req, reply, stdout);
	}
	if (r < 0)
		fprintf(stderr, "netvmctl: unexpected answer from the manager\n");
	r = r < 0 || !json_object_get_boolean(ok) ? 1 : 0;
	json_object_put(reply);
	return r;
}

int
main(int argc, char **argv)
{
	int status = ctl_main(argc, argv);

	ctl_json_end(status);
	/* the answer must reach stdout whole: `netvmctl metrics > F && mv F ...`
	 * must not put a file cut short by a full disk in place */
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "netvmctl: cannot write the answer to stdout: %s\n",
			errno != 0 ? strerror(errno) : "write error");
		if (status == 0)
			status = 1;
	}
	return status;
}
