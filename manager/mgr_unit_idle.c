/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_unit_idle.c — method "idle": an instance of a scaled role (or the DoS
 * filter) is an NF provisioned into one of the manager's idle VMs
 * (mgr_idle_start_nf(), docs/manager.md §11) and stopped through the idle
 * stop path (mgr_idle_stop_nf(): the VM is idle again). The start returns
 * once the core has the instance live, so u->nf_id is known at once.
 *
 * The idle pool may stop the NF by itself (it exited, the VM died): the
 * unit then finds its VM idle, empty or running another NF, and is gone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mgr.h"
#include "mgr_idle.h"
#include "mgr_ops.h"

/* Whether @u's VM still runs the NF it was started with. */
static bool
idle_unit_ours(const struct mgr_unit *u)
{
	return u->idle != NULL && u->idle->state == MGR_IDLE_BUSY && u->nf_id >= 0 &&
	       u->idle->att.nf_id == (uint32_t)u->nf_id;
}

/* Start @cmd (the guest's command line, as "nf start" takes it) for role
 * @role in an idle VM, one ring set. 0, or -EAGAIN with the reason in @err
 * (no VM idle, or a provisioning step failed). */
static int
idle_unit_start(struct mgr *m, struct mgr_unit *u, uint16_t role, const char *cmd, char *err,
		size_t errlen)
{
	struct mgr_idle_vm *v = mgr_idle_start_nf(m, role, 1, cmd, err, errlen);

	u->nf_id = -1;
	u->pid = 0;
	u->idle = v;
	if (v == NULL)
		return -EAGAIN;
	u->nf_id = (int)v->att.nf_id;
	snprintf(u->log_path, sizeof(u->log_path), "%s", v->console_path);
	return 0;
}

static int
idle_unit_poll(struct mgr_unit *u, struct json_object *stats, char *err, size_t errlen)
{
	(void)stats;
	if (idle_unit_ours(u))
		return 1;
	snprintf(err, errlen, "its NF in idle vm %s ended%s%.300s",
		 u->idle != NULL ? u->idle->name : "?",
		 u->idle != NULL && u->idle->last_error[0] ? ": " : "",
		 u->idle != NULL ? u->idle->last_error : "");
	u->idle = NULL;
	u->nf_id = -1;
	return 0;
}

static void
idle_unit_stop(struct mgr_unit *u)
{
	char err[MGR_ERR_LEN];

	if (idle_unit_ours(u) && mgr_idle_stop_nf(u->idle, err, sizeof(err)) < 0)
		mgr_log("%s: %s", u->name, err);
	u->idle = NULL;
	u->nf_id = -1;
}

const struct mgr_inst_method mgr_method_idle = {
	.name = "idle", .start = idle_unit_start, .poll = idle_unit_poll, .stop = idle_unit_stop,
};
