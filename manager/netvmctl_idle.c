/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvmctl_idle.c — netvmctl's commands of the idle VM pool:
 *
 *   netvmctl nf start --role R [--queues Q] -- CMDLINE...   an NF in an idle VM
 *   netvmctl nf stop ID                                     stop it
 *   netvmctl nf move ID [--state SAVE LOAD]                 to another idle VM, the
 *                                                           state handed over by two
 *                                                           of the NF's commands
 *   netvmctl idle list                                      the idle VMs
 *
 * The request lines are mgr_idle_ctl.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "netvmctl.h"

static long
idle_num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end != '\0' || v < lo || v > hi ? -1 : v;
}

/*
 * The request line of "nf start", "nf stop" or "idle list" in @argv (@n
 * words) into @req. Returns 1 when it was one of them, 0 when it is another
 * command, -EINVAL on a usage error (said on stderr).
 */
int
ctl_idle_request(int n, char **argv, char *req, size_t len)
{
	long role = -1, queues = 1;
	size_t used;
	int i;

	if (n == 2 && strcmp(argv[0], "idle") == 0 && strcmp(argv[1], "list") == 0) {
		snprintf(req, len, "idle list\n");
		return 1;
	}
	if (n < 2 || strcmp(argv[0], "nf") != 0)
		return 0;
	if (strcmp(argv[1], "stop") == 0) {
		if (n != 3 || ctl_nf_id(argv[2]) < 0) {
			fprintf(stderr, "netvmctl: usage: nf stop ID (an NF instance id, 0..65535)\n");
			return -EINVAL;
		}
		snprintf(req, len, "nf stop %s\n", argv[2]);
		return 1;
	}
	if (strcmp(argv[1], "move") == 0) {
		if ((n != 3 && n != 6) || ctl_nf_id(argv[2]) < 0 ||
		    (n == 6 && (strcmp(argv[3], "--state") != 0 || argv[4][0] == '\0' ||
				argv[5][0] == '\0' || strpbrk(argv[4], "\r\n|") != NULL ||
				strpbrk(argv[5], "\r\n") != NULL))) {
			fprintf(stderr, "netvmctl: usage: nf move ID [--state SAVE-COMMAND "
				"LOAD-COMMAND] (ID an NF instance id, 0..65535; each command one "
				"argument, SAVE without '|')\n");
			return -EINVAL;
		}
		if ((size_t)snprintf(req, len, "nf move %s%s%s%s%s\n", argv[2], n == 6 ? " " : "",
				     n == 6 ? argv[4] : "", n == 6 ? " | " : "",
				     n == 6 ? argv[5] : "") >= len) {
			fprintf(stderr, "netvmctl: nf move: the commands are too long\n");
			return -EINVAL;
		}
		return 1;
	}
	if (strcmp(argv[1], "start") != 0)
		return 0;
	for (i = 2; i < n && strcmp(argv[i], "--") != 0; i += 2) {
		if (strcmp(argv[i], "--role") == 0)
			role = idle_num(i + 1 < n ? argv[i + 1] : NULL, 0, 255);
		else if (strcmp(argv[i], "--queues") == 0)
			queues = idle_num(i + 1 < n ? argv[i + 1] : NULL, 1, 8);
		else
			break;
		if (role < 0 || queues < 0)
			break;
	}
	if (i >= n || strcmp(argv[i], "--") != 0 || i + 1 >= n || role < 0 || queues < 0) {
		fprintf(stderr, "netvmctl: usage: nf start --role R(0..255) [--queues Q(1..8)] "
			"-- CMDLINE...\n");
		return -EINVAL;
	}
	used = (size_t)snprintf(req, len, "nf start %ld %ld", role, queues);
	for (i++; i < n && used < len; i++) {
		if (strpbrk(argv[i], "\r\n") != NULL) {
			fprintf(stderr, "netvmctl: nf start: the command line holds a line break\n");
			return -EINVAL;
		}
		used += (size_t)snprintf(req + used, len - used, " %s", argv[i]);
	}
	if (used + 1 >= len) {
		fprintf(stderr, "netvmctl: nf start: the command line is too long\n");
		return -EINVAL;
	}
	snprintf(req + used, len - used, "\n");
	return 1;
}

static const char *
idle_str(struct json_object *o, const char *key, const char *none)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v != NULL ? json_object_get_string(v) :
	       none;
}

/* The four step times of array @key of @reply into @ms; 0 or -EPROTO. */
static int
idle_times(struct json_object *reply, const char *key, int ms[4])
{
	struct json_object *t;
	size_t i;

	if (!json_object_object_get_ex(reply, key, &t) || !json_object_is_type(t, json_type_array) ||
	    json_object_array_length(t) != 4)
		return -EPROTO;
	for (i = 0; i < 4; i++)
		ms[i] = json_object_get_int(json_object_array_get_idx(t, i));
	return 0;
}

/* Print the answer @reply of idle request @req to @f. Returns 0 or -EPROTO. */
int
ctl_show_idle(const char *req, struct json_object *reply, FILE *f)
{
	static const struct ctl_col cols[] = {
		{ .key = "name", .hdr = "NAME", .none = "?" },
		{ .key = "state", .hdr = "STATE", .none = "?" },
		{ .key = "pid", .hdr = "PID", .num = true },
		{ .key = "nf_id", .hdr = "NF", .num = true },
		{ .key = "role", .hdr = "ROLE", .num = true },
		{ .key = "nfs_run", .hdr = "NFS", .none = "0", .num = true },
		{ .key = "nf", .alt = "last_error", .hdr = "COMMAND / LAST ERROR" },
	};
	struct json_object *a, *t;
	int ms[4];

	if (strncmp(req, "nf stop", 7) == 0) {
		fprintf(f, "%s\n", idle_str(reply, "message", "stopped"));
		return 0;
	}
	if (strncmp(req, "nf move", 7) == 0) {
		if (idle_times(reply, "move_ms", ms) < 0)
			return -EPROTO;
		fprintf(f, "nf id %s moved to idle VM %s as nf id %s: save %d ms, start %d ms, "
			"load %d ms, stop %d ms\n", idle_str(reply, "from", "?"),
			idle_str(reply, "vm", "?"), idle_str(reply, "nf_id", "?"), ms[0], ms[1],
			ms[2], ms[3]);
		return 0;
	}
	if (strncmp(req, "nf start", 8) == 0) {
		if (idle_times(reply, "start_ms", ms) < 0)
			return -EPROTO;
		fprintf(f, "nf id %s runs in idle VM %s (role %s): attach %d ms, hot-plug %d ms, "
			"agent %d ms, live %d ms\n", idle_str(reply, "nf_id", "?"),
			idle_str(reply, "vm", "?"), idle_str(reply, "role", "?"), ms[0], ms[1], ms[2],
			ms[3]);
		return 0;
	}
	if (!json_object_object_get_ex(reply, "idle", &a) ||
	    ctl_show_table(a, cols, sizeof(cols) / sizeof(cols[0]), "", f) < 0)
		return -EPROTO;
	fprintf(f, "provisioned %s, replaced %s, retired %s\n", idle_str(reply, "provisioned", "0"),
		idle_str(reply, "replaced", "0"), idle_str(reply, "retired", "0"));
	if (json_object_object_get_ex(reply, "template", &t) && t != NULL)
		fprintf(f, "template %s: %s KiB, saved in %s ms, %s restore(s)%s%s\n",
			idle_str(t, "state", "?"), idle_str(t, "bytes", "0"),
			idle_str(t, "save_ms", "0"), idle_str(t, "restores", "0"),
			json_object_object_get_ex(t, "error", &a) && a != NULL ? "; last error: " : "",
			a != NULL ? json_object_get_string(a) : "");
	return 0;
}
