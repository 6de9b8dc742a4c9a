/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvmctl.h — the operator CLI's pieces: netvmctl.c asks the manager,
 * netvmctl_show.c prints its JSON answers as tables.
 */
#ifndef NETVM_NETVMCTL_H
#define NETVM_NETVMCTL_H

#include <stdbool.h>
#include <stdio.h>

struct json_object;

/* Print the "vms" of a "vm list" answer as a table to @f. Returns 0, or
 * -EPROTO when the answer does not have that shape. */
int ctl_show_vms(struct json_object *reply, FILE *f);

/* Print the "nfs" of an "nf list" answer as a table to @f. Returns 0 or -EPROTO. */
int ctl_show_nfs(struct json_object *reply, FILE *f);

/* Print the "stats" of a "stats" answer as tables (ports, NFs, pools, drop
 * reasons, the rest) to @f. Returns 0 or -EPROTO. */
int ctl_show_stats(struct json_object *reply, FILE *f);

/* Print the "counters" of an "nf counters ID" answer as a table (name,
 * value, in the NF's order) to @f. Returns 0 or -EPROTO. */
int ctl_show_nf_counters(struct json_object *reply, FILE *f);

/* A column of ctl_show_table(): the member @key of each object (@alt when
 * @key is absent or null; @none when both are: NULL prints "-"), headed @hdr,
 * right-aligned when @num. */
struct ctl_col {
	const char *key, *alt, *hdr, *none;
	bool num;
};

/* Print JSON array @a, one row per object, with columns @cols, as every
 * table of netvmctl (docs/manager.md §7), each line after @indent. Returns
 * 0, -EPROTO when @a is no array, or -ENOMEM. */
int ctl_show_table(struct json_object *a, const struct ctl_col *cols, size_t ncols,
		   const char *indent, FILE *f);

/* netvmctl_metrics.c: print a "metrics" answer in the Prometheus text
 * exposition format (docs/operations-basics.md). Returns 0 or -EPROTO. */
int ctl_show_metrics(struct json_object *reply, FILE *f);
/* The answer of "vm migrate NAME": old and new QEMU pid, time, downtime. */
int ctl_show_migrate(struct json_object *reply, const char *name, FILE *f);

/* netvmctl_ops.c: print a "scale list" answer (policies, instances, last
 * decisions) or a "dos" answer to @f. Return 0 or -EPROTO. */
int ctl_show_scale(struct json_object *reply, FILE *f);
int ctl_show_dos(struct json_object *reply, FILE *f);

/* netvmctl_nf.c: commands for NFs, and for the core itself (id CTL_CORE),
 * through the core's command socket. */
#define CTL_CORE (-1)
/* NF instance id @s (decimal digits only, 0..65535), or -1: what nf cmd,
 * nf counters, nf stop and nf move take (anything else is a usage error). */
long ctl_nf_id(const char *s);
int ctl_vm_nf_id(struct json_object *reply, const char *name, const char **core_sock);
int ctl_nf_cmd(const char *core_sock, int id, int n, char **words, const char *file,
	       unsigned int timeout_s, bool json);

/* netvmctl_idle.c: nf start, nf stop, idle list (the idle VM pool). */
int ctl_idle_request(int n, char **argv, char *req, size_t len);
int ctl_show_idle(const char *req, struct json_object *reply, FILE *f);

/* netvmctl_json.c: --json output. ctl_json_begin() once --json is known
 * (stderr is then also kept), ctl_json_print() for every JSON answer,
 * ctl_json_end(STATUS) before exiting: a failure that printed no answer
 * prints {"ok": false, "error": FIRST LINE OF STDERR}. */
void ctl_json_begin(void);
void ctl_json_print(struct json_object *o);
void ctl_json_end(int status);

#endif /* NETVM_NETVMCTL_H */
