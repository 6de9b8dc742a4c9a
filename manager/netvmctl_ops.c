/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvmctl scale list / dos: the manager's operations, as text.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "netvmctl.h"

/* Member @k of @o as text ("-" when absent or null). */
static const char *
str(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return "-";
	return json_object_get_string(v);
}

int
ctl_show_scale(struct json_object *reply, FILE *f)
{
	static const struct ctl_col cols[] = {
		{ .key = "name", .hdr = "INSTANCE" },
		{ .key = "state", .hdr = "STATE" },
		{ .key = "nf_id", .hdr = "NF", .num = true },
		{ .key = "pid", .hdr = "PID", .num = true },
		{ .key = "vm", .hdr = "VM" },
		{ .key = "log", .hdr = "LOG" },
	};
	struct json_object *pols, *us, *log;
	size_t i, k;
	int r = 0;

	if (!json_object_object_get_ex(reply, "policies", &pols) ||
	    !json_object_is_type(pols, json_type_array))
		return -EPROTO;
	if (json_object_array_length(pols) == 0)
		fprintf(f, "no scaling policy (the configuration's scale list is empty)\n");
	for (i = 0; i < json_object_array_length(pols); i++) {
		struct json_object *p = json_object_array_get_idx(pols, i), *none = NULL;

		fprintf(f, "role %s: %s, min %s max %s, running %s, mean load %s "
			"(out above %s, in below %s), scale-outs %s, scale-ins %s, "
			"failed starts %s\n",
			str(p, "role"), str(p, "method"), str(p, "min"), str(p, "max"),
			str(p, "running"), str(p, "mean_load"), str(p, "out_above"),
			str(p, "in_below"), str(p, "scale_outs"), str(p, "scale_ins"),
			str(p, "start_failures"));
		/* a policy with no instance still shows the table's header */
		if (!json_object_object_get_ex(p, "instances", &us) || us == NULL)
			us = none = json_object_new_array();
		r = ctl_show_table(us, cols, sizeof(cols) / sizeof(cols[0]), "  ", f);
		json_object_put(none);
		if (r < 0)
			return r;
		if (json_object_object_get_ex(p, "decisions", &log))
			for (k = 0; k < json_object_array_length(log); k++)
				fprintf(f, "  > %s\n",
					json_object_get_string(json_object_array_get_idx(log, k)));
	}
	return 0;
}

int
ctl_show_dos(struct json_object *reply, FILE *f)
{
	struct json_object *d, *b;
	size_t i;

	if (!json_object_object_get_ex(reply, "dos", &d) || d == NULL)
		return -EPROTO;
	if (!json_object_get_boolean(json_object_object_get(d, "on"))) {
		fprintf(f, "no DoS response (the configuration has no dos group)\n");
		return 0;
	}
	fprintf(f, "limits %s packets/s per source, %s SYNs/s per role (0: off; armed: %s); "
		"filter role %s in front of chain %s; ends after %s ms quiet (0: never)\n",
		str(d, "src_pps"), str(d, "syn_pps"), str(d, "armed"), str(d, "filter_role"),
		str(d, "chain"), str(d, "hold_ms"));
	fprintf(f, "attack: %s, quiet for %s ms; mitigations %s, ended %s; failed steps %s\n",
		json_object_get_boolean(json_object_object_get(d, "active")) ? "on" : "none",
		str(d, "quiet_ms"), str(d, "mitigations"), str(d, "ends"), str(d, "failures"));
	fprintf(f, "filter (%s) nf %s pid %s vm %s; in the chain: %s; mitigation %s ms after "
		"detection\n", str(d, "method"), str(d, "filter_nf_id"), str(d, "filter_pid"),
		str(d, "filter_vm"), str(d, "inserted"), str(d, "mitigation_ms"));
	fprintf(f, "blocked:");
	if (json_object_object_get_ex(d, "blocked", &b))
		for (i = 0; i < json_object_array_length(b); i++)
			fprintf(f, " %s", json_object_get_string(json_object_array_get_idx(b, i)));
	fprintf(f, "\nSYN-flooded roles:");
	if (json_object_object_get_ex(d, "syn_roles", &b))
		for (i = 0; i < json_object_array_length(b); i++)
			fprintf(f, " %s", json_object_get_string(json_object_array_get_idx(b, i)));
	fprintf(f, "\nlast: %s\n", str(d, "last"));
	return 0;
}
