/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_ops.h — netvm-manager's operations on a running system (never
 * installed): instances of a role started and stopped by a scaling policy
 * (mgr_scale.c), host-process NFs (mgr_proc.c), the DoS response
 * (mgr_dos.c). docs/operations.md is the reference.
 *
 * "Start an instance of role R" is one call, mgr_inst_method.start,
 * whatever runs it: a host process, a configured VM cold-booted by the VM
 * code, or an NF provisioned into an idle VM (mgr_idle.h).
 */
#ifndef NETVM_MGR_OPS_H
#define NETVM_MGR_OPS_H

#include <stdint.h>
#include <sys/types.h>

#include "mgr_cfg.h"

struct json_object;
struct mgr;
struct mgr_vm;
struct mgr_idle_vm;
struct mgr_pol;

enum mgr_unit_state {
	MGR_UNIT_STOPPED,  /* not running */
	MGR_UNIT_STARTING, /* started; its instance is not live in the core yet */
	MGR_UNIT_RUNNING,  /* its instance takes flows */
	MGR_UNIT_DRAINING, /* takes no new flow; stopped when its flows are gone */
};

/* One NF instance the manager started for a policy (or the DoS filter). */
struct mgr_unit {
	char name[MGR_CFG_NAME_LEN];
	enum mgr_unit_state state;
	pid_t pid;             /* method process */
	struct mgr_vm *vm;     /* method vm */
	struct mgr_idle_vm *idle; /* method idle: the VM that runs it */
	int nf_id;             /* the core's instance id, -1 until live */
	uint64_t started_ms;
	uint64_t live_ms;      /* when the core first showed it live */
	uint64_t drain_ms;     /* when its drain began */
	uint64_t handover_ms;  /* when its flows were handed over, 0: not */
	char log_path[MGR_CFG_PATH_LEN];
};

/* How an instance is started: one table per method (enum mgr_method). */
struct mgr_inst_method {
	const char *name; /* the configuration's spelling */
	/* Start @u as an instance of role @role running @cmd (method vm: the
	 * VM named u->name, @cmd unused). 0 once started (method idle: once
	 * live, u->nf_id set), or a negative errno with the reason in @err. */
	int (*start)(struct mgr *m, struct mgr_unit *u, uint16_t role, const char *cmd, char *err,
		     size_t errlen);
	/* Whether @u runs: 1 (u->nf_id set once live in @stats, the core's
	 * counters or NULL), 0 gone (why in @err). */
	int (*poll)(struct mgr_unit *u, struct json_object *stats, char *err, size_t errlen);
	/* Stop @u and forget it; cannot fail. */
	void (*stop)(struct mgr_unit *u);
};

/* The table of @method (enum mgr_method). */
const struct mgr_inst_method *mgr_inst_method(int method);

/* mgr_proc.c: method "process" */
extern const struct mgr_inst_method mgr_method_process;
int mgr_proc_start(struct mgr *m, struct mgr_unit *u, uint16_t role, const char *cmd, char *err,
		   size_t errlen);
int mgr_proc_poll(struct mgr_unit *u, struct json_object *stats, char *err, size_t errlen);
void mgr_proc_stop(struct mgr_unit *u);

/* mgr_unit_idle.c: method "idle", an NF provisioned into an idle VM */
extern const struct mgr_inst_method mgr_method_idle;

/* mgr_scale.c: the policies of m->cfg.scale. */
int mgr_scale_init(struct mgr *m, char *err, size_t errlen);
void mgr_scale_tick(struct mgr *m, struct json_object *stats, uint64_t now);
void mgr_scale_stop(struct mgr *m, bool keep_vms);
struct json_object *mgr_scale_json(struct mgr *m);
/* The unit (any policy's, or the DoS filter) that is NF instance @nf_id, or NULL. */
const struct mgr_unit *mgr_ops_unit_of(struct mgr *m, int nf_id);

/* mgr_dos.c: the response of m->cfg.dos. */
int mgr_dos_init(struct mgr *m, char *err, size_t errlen);
void mgr_dos_tick(struct mgr *m, struct json_object *stats, uint64_t now);
void mgr_dos_stop(struct mgr *m);
struct json_object *mgr_dos_json(struct mgr *m);
const struct mgr_unit *mgr_dos_unit(struct mgr *m);

/* mgr_scale.c: one tick of everything above (the core's counters read once). */
void mgr_ops_tick(struct mgr *m, uint64_t now);

/* A command for the core itself (@fmt: its first line), the answer in
 * *answer (malloc'd, may be NULL). 0, or a negative errno with the reason
 * in @err. */
int mgr_core_cmd(struct mgr *m, char **answer, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif /* NETVM_MGR_OPS_H */
