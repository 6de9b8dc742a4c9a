/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvmctl metrics: the core's counters and the NFs' published counters in
 * the Prometheus text exposition format (version 0.0.4), for node
 * exporter's textfile collector or any scraper:
 *
 *   # HELP netvm_port_rx_packets_total Packets received by the port.
 *   # TYPE netvm_port_rx_packets_total counter
 *   netvm_port_rx_packets_total{port="0"} 1234
 *
 * Every family is printed whole, once, with its HELP and TYPE lines. The
 * names are the dashboard's (packaging/grafana/netvm.json) and are listed
 * in docs/operations-basics.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "netvmctl.h"

enum fam_kind { FAM_PORT, FAM_POOL, FAM_DROP, FAM_NF, FAM_ROLE, FAM_ONE };

struct fam {
	enum fam_kind kind;
	const char *field; /* port<P>_FIELD, nf<I>_FIELD, role<R>_FIELD, the key (FAM_ONE) */
	const char *metric;
	const char *type;
	const char *help;
};

static const struct fam fams[] = {
	{ FAM_PORT, "rx", "netvm_port_rx_packets_total", "counter", "Packets received by the port." },
	{ FAM_PORT, "rx_bursts", "netvm_port_rx_bursts_total", "counter",
	  "Receive bursts that brought at least one packet (at most 64 each)." },
	{ FAM_PORT, "tx", "netvm_port_tx_packets_total", "counter", "Packets sent by the port." },
	{ FAM_PORT, "tx_drop", "netvm_port_tx_dropped_total", "counter",
	  "Packets the port's device refused to send." },
	{ FAM_PORT, "rx_missed", "netvm_port_rx_missed_total", "counter",
	  "Packets lost before the core read them (device imissed, af_packet ring drops)." },
	{ FAM_POOL, "total", "netvm_pool_buffers", "gauge", "Buffers of the pool." },
	{ FAM_POOL, "free", "netvm_pool_free_buffers", "gauge", "Buffers of the pool free now." },
	{ FAM_DROP, NULL, "netvm_drops_total", "counter", "Packets the core dropped, by reason." },
	{ FAM_NF, "rx", "netvm_nf_rx_packets_total", "counter", "Packets given to the NF." },
	{ FAM_NF, "tx", "netvm_nf_tx_packets_total", "counter",
	  "Descriptors the NF returned." },
	{ FAM_NF, "tx_bursts", "netvm_nf_tx_bursts_total", "counter",
	  "Reads of the NF's tx rings that took at least one descriptor (at most 64 each)." },
	{ FAM_NF, "allocs", "netvm_nf_allocs_total", "counter", "Fresh buffers given to the NF." },
	{ FAM_NF, "doorbells", "netvm_nf_doorbells_total", "counter",
	  "Wake-ups rung for the NF." },
	{ FAM_NF, "alloc_capped", "netvm_nf_alloc_capped_total", "counter",
	  "Refills refused or cut short at the NF's buffer budget." },
	{ FAM_NF, "held", "netvm_nf_held_buffers", "gauge", "Buffers the NF holds now." },
	{ FAM_NF, "live", "netvm_nf_live", "gauge", "1 once the NF runs and receives." },
	{ FAM_NF, "orphaned", "netvm_nf_orphaned", "gauge",
	  "1 while the NF's manager lease is orphaned." },
	{ FAM_NF, "placed", "netvm_nf_placed_flows_total", "counter",
	  "Flows the flow table placed on the NF since it attached." },
	{ FAM_NF, "flows", "netvm_nf_flows", "gauge", "Flows on the NF now (in the flow table)." },
	{ FAM_NF, "load", "netvm_nf_load", "gauge",
	  "Descriptors waiting on the NF's rx rings now." },
	{ FAM_NF, "draining", "netvm_nf_draining", "gauge",
	  "1 while instance drain keeps new flows off the NF, 2 after instance handover." },
	{ FAM_NF, "pid", "netvm_nf_pid", "gauge",
	  "The pid of the process that attached the NF (for a VM, its manager's)." },
	{ FAM_ROLE, "no_instance", "netvm_role_no_instance_total", "counter",
	  "Packets for the role dropped as no_instance (no live instance of it)." },
	{ FAM_ONE, "nfs_attached", "netvm_nfs_attached", "gauge", "NF instances attached." },
	{ FAM_ONE, "placement_load", "netvm_placement_load", "gauge",
	  "1 with core.placement \"load\" (a flow table), 0 with \"hash\"." },
	{ FAM_ONE, "flows_active", "netvm_flows_active", "gauge", "Flows in the flow table now." },
	{ FAM_ONE, "dos_src_pps", "netvm_dos_src_pps", "gauge",
	  "The attack detector's per-source limit, packets/s (0: off)." },
	{ FAM_ONE, "dos_syn_pps", "netvm_dos_syn_pps", "gauge",
	  "The attack detector's per-role SYN limit, SYNs/s (0: off)." },
	{ FAM_ONE, "dos_offenders", "netvm_dos_offenders", "gauge", "Sources listed now." },
	{ FAM_ONE, "dos_syn_roles", "netvm_dos_syn_roles", "gauge",
	  "Roles listed as SYN-flooded now." },
	{ FAM_ONE, "cycles_rx_x100", "netvm_cycles_rx_per_packet_x100", "gauge",
	  "TSC cycles per packet of the core's RX side, times 100." },
	{ FAM_ONE, "cycles_tx_x100", "netvm_cycles_tx_per_packet_x100", "gauge",
	  "TSC cycles per packet of the core's TX side, times 100." },
};

/* "port3_rx" with @group "port": 3 and "rx"; false when @key is not so. */
static bool
split_key(const char *key, const char *group, long *id, const char **field)
{
	size_t n = strlen(group);
	char *end;

	if (strncmp(key, group, n) != 0 || key[n] < '0' || key[n] > '9')
		return false;
	*id = strtol(key + n, &end, 10);
	if (*end != '_' || end[1] == '\0')
		return false;
	*field = end + 1;
	return true;
}

static void
head(FILE *f, const char *metric, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
}

/* Is @key printed by a family of the table, or left out (an NF's role is
 * a label)? */
static bool
known_key(const char *key)
{
	const char *field;
	unsigned int i;
	long id;

	if (split_key(key, "port", &id, &field) || split_key(key, "pool", &id, &field) ||
	    split_key(key, "nf", &id, &field) || split_key(key, "role", &id, &field) ||
	    strncmp(key, "drop_", 5) == 0)
		return true;
	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
		if (fams[i].kind == FAM_ONE && strcmp(fams[i].field, key) == 0)
			return true;
	return false;
}

/* A label value with \, " and newline escaped. */
static void
label(FILE *f, const char *name, const char *value, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *value != '\0'; value++) {
		if (*value == '\\' || *value == '"')
			fputc('\\', f);
		if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
	fputc('"', f);
}

/* Print integer @val and a newline: as its JSON text, since
 * json_object_get_int64() would cap a counter past INT64_MAX. */
static void
value(FILE *f, struct json_object *val)
{
	fprintf(f, "%s\n", json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
}

/* The labels of NF @id: nf, role, and vm when the manager runs it. */
static void
nf_labels(FILE *f, struct json_object *stats, struct json_object *vms, long id)
{
	struct json_object *v;
	char key[48], s[24];

	snprintf(s, sizeof(s), "%ld", id);
	label(f, "nf", s, true);
	snprintf(key, sizeof(key), "nf%ld_role", id);
	if (json_object_object_get_ex(stats, key, &v)) {
		snprintf(s, sizeof(s), "%" PRId64, json_object_get_int64(v));
		label(f, "role", s, false);
	}
	snprintf(key, sizeof(key), "%ld", id);
	if (vms != NULL && json_object_object_get_ex(vms, key, &v))
		label(f, "vm", json_object_get_string(v), false);
}

static void
print_family(FILE *f, const struct fam *fm, struct json_object *stats, struct json_object *vms)
{
	bool any = false;
	const char *field;
	char s[24];
	long id = 0;

	json_object_object_foreach(stats, key, val) {
		bool match = false;

		if (!json_object_is_type(val, json_type_int))
			continue;
		switch (fm->kind) {
		case FAM_PORT:
			match = split_key(key, "port", &id, &field) && strcmp(field, fm->field) == 0;
			break;
		case FAM_POOL:
			match = split_key(key, "pool", &id, &field) && strcmp(field, fm->field) == 0;
			break;
		case FAM_NF:
			match = split_key(key, "nf", &id, &field) && strcmp(field, fm->field) == 0;
			break;
		case FAM_ROLE:
			match = split_key(key, "role", &id, &field) && strcmp(field, fm->field) == 0;
			break;
		case FAM_DROP:
			match = strncmp(key, "drop_", 5) == 0;
			break;
		case FAM_ONE:
			match = strcmp(key, fm->field) == 0;
			break;
		}
		if (!match)
			continue;
		if (!any)
			head(f, fm->metric, fm->type, fm->help);
		any = true;
		fputs(fm->metric, f);
		snprintf(s, sizeof(s), "%ld", id);
		if (fm->kind == FAM_PORT || fm->kind == FAM_POOL || fm->kind == FAM_ROLE) {
			fputc('{', f);
			label(f, fm->kind == FAM_PORT ? "port" : fm->kind == FAM_POOL ? "pool" : "role",
			      s, true);
			fputc('}', f);
		} else if (fm->kind == FAM_DROP) {
			fputc('{', f);
			label(f, "reason", key + 5, true);
			fputc('}', f);
		} else if (fm->kind == FAM_NF) {
			fputc('{', f);
			nf_labels(f, stats, vms, id);
			fputc('}', f);
		}
		fputc(' ', f);
		value(f, val);
	}
}

/* A metric name from a counter name: [a-zA-Z0-9_] kept, the rest '_'. */
static void
metric_name(char *out, size_t len, const char *prefix, const char *name, const char *suffix)
{
	size_t n = (size_t)snprintf(out, len, "%s", prefix), i;

	for (i = 0; name[i] != '\0' && n + 1 < len; i++, n++) {
		char ch = name[i];

		out[n] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '_' ? ch : '_';
	}
	out[n] = '\0';
	snprintf(out + n, len - n, "%s", suffix);
}

/* Print a "metrics" answer (core counters, NF counters) to @f in the
 * Prometheus text format. Returns 0, or -EPROTO when @reply has no
 * "stats" object. */
int
ctl_show_metrics(struct json_object *reply, FILE *f)
{
	struct json_object *stats, *nfc = NULL, *vms = NULL;
	char metric[160];
	unsigned int i;
	bool any = false;

	if (!json_object_object_get_ex(reply, "stats", &stats) ||
	    !json_object_is_type(stats, json_type_object))
		return -EPROTO;
	json_object_object_get_ex(reply, "nf_counters", &nfc);
	json_object_object_get_ex(reply, "nf_vms", &vms);
	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
		print_family(f, &fams[i], stats, vms);
	/* the core's other counters: events, each its own family; the
	 * per-stage cycles and whether they are measured are levels */
	json_object_object_foreach(stats, key, val) {
		if (known_key(key) || !json_object_is_type(val, json_type_int))
			continue;
		if (strncmp(key, "cycles_", 7) == 0 || strcmp(key, "stage_cycles_on") == 0) {
			metric_name(metric, sizeof(metric), "netvm_", key, "");
			head(f, metric, "gauge", "The core's counter of the same name (docs/core.md).");
		} else {
			metric_name(metric, sizeof(metric), "netvm_", key, "_total");
			head(f, metric, "counter", "The core's counter of the same name (docs/core.md).");
		}
		fprintf(f, "%s ", metric);
		value(f, val);
	}
	/* what each NF publishes: one family, the counter's name a label */
	if (nfc != NULL && json_object_is_type(nfc, json_type_object)) {
		json_object_object_foreach(nfc, id, counters) {
			if (!json_object_is_type(counters, json_type_object))
				continue;
			json_object_object_foreach(counters, name, val) {
				if (!json_object_is_type(val, json_type_int))
					continue;
				if (!any)
					head(f, "netvm_nf_published", "untyped",
					     "A counter the NF publishes (its stats command; docs/control.md).");
				any = true;
				fputs("netvm_nf_published{", f);
				nf_labels(f, stats, vms, strtol(id, NULL, 10));
				label(f, "counter", name, false);
				fputs("} ", f);
				value(f, val);
			}
		}
	}
	return 0;
}
