/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_idle_move.c — moving an NF from its idle VM to another one, with its
 * state handed over through the control channel (docs/manager.md §11
 * "Moving an NF"):
 *
 *   1. save   the old NF answers the SAVE command (e.g. "routes list")
 *   2. start  the same command line, role and queues in another idle VM,
 *             attached afresh (mgr_idle_start_nf())
 *   3. load   the new NF gets the LOAD command with step 1's answer as its
 *             data (e.g. "routes load": what netvmctl -f FILE sends)
 *   4. stop   the old NF, its devices unplugged, its lease ended
 *             (mgr_idle_stop_nf()); its VM idle again
 *
 * The new NF starts before the old one stops (make before break): both are
 * instances of the role for the time of step 3. A failure before step 4
 * leaves the old NF running and stops the new one; nothing is half-moved.
 * Which commands save and load an NF's state is the caller's to say (an NF
 * has its own: docs/control.md); with none, only the command line moves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr_idle.h"

/* Command @cmd (+ @data, @dlen bytes) to NF @id; 0, or a negative errno
 * with the NF's or the exchange's reason in @err. The answer in *@answer
 * when not NULL (the caller frees it). */
static int
move_cmd(struct mgr *m, uint32_t id, const char *cmd, const char *data, size_t dlen,
	 char **answer, char *err, size_t errlen)
{
	size_t clen = strlen(cmd);
	char *req = malloc(clen + 1 + dlen), *ans = NULL;
	int status = 0, r;

	if (req == NULL)
		return -ENOMEM;
	memcpy(req, cmd, clen);
	req[clen] = '\n';
	if (dlen > 0)
		memcpy(req + clen + 1, data, dlen);
	r = mgr_nf_cmd(m->cfg.core_socket, id, req, clen + 1 + dlen, m->cfg.idle.timeout_ms,
		       &status, &ans, err, errlen);
	free(req);
	if (r == 0 && status != 0) {
		snprintf(err, errlen, "nf %u refused '%s': %s: %.300s", id, cmd, strerror(-status),
			 ans);
		r = status < 0 ? status : -EIO;
	}
	if (r == 0 && answer != NULL)
		*answer = ans;
	else
		free(ans);
	return r;
}

/*
 * Move the NF of instance handle @from (a busy idle VM) to another idle VM
 * of manager @m: its state saved with command @save, the NF started there
 * afresh, the state loaded with command @load, then the old one stopped
 * (@save and @load both NULL: no state handed over). Returns the new
 * instance handle with the steps' times in @t (ms: save, start, load, stop),
 * or NULL with a message in @err; the old NF then still runs.
 */
struct mgr_idle_vm *
mgr_idle_move_nf(struct mgr_idle_vm *from, const char *save, const char *load,
		 unsigned int t[4], char *err, size_t errlen)
{
	struct mgr *m = from->m;
	struct mgr_idle_vm *to;
	char msg[MGR_ERR_LEN], *state = NULL;
	uint32_t old = from->att.nf_id;
	uint64_t t0 = mgr_now_ms();
	int r;

	if (from->state != MGR_IDLE_BUSY || (save == NULL) != (load == NULL)) {
		snprintf(err, errlen, from->state != MGR_IDLE_BUSY ? "idle vm %s runs no NF" :
			 "a state is saved and loaded by two commands, or by none", from->name);
		return NULL;
	}
	if (save != NULL && (r = move_cmd(m, old, save, NULL, 0, &state, msg, sizeof(msg))) < 0) {
		snprintf(err, errlen, "saving the state of nf id %u: %.400s; it runs on", old, msg);
		return NULL;
	}
	t[0] = (unsigned int)(mgr_now_ms() - t0);
	t0 = mgr_now_ms();
	to = mgr_idle_start_nf(m, from->role, from->queues, from->cmdline, msg, sizeof(msg));
	if (to == NULL) {
		free(state);
		snprintf(err, errlen, "starting nf id %u again: %.400s; it runs on where it was",
			 old, msg);
		return NULL;
	}
	t[1] = (unsigned int)(mgr_now_ms() - t0);
	t0 = mgr_now_ms();
	if (load != NULL) {
		r = move_cmd(m, to->att.nf_id, load, state, strlen(state), NULL, msg, sizeof(msg));
		free(state);
		if (r < 0) {
			snprintf(err, errlen, "loading the state of nf id %u into nf id %u: %.400s; "
				 "nf id %u stopped, nf id %u runs on", old, to->att.nf_id, msg,
				 to->att.nf_id, old);
			mgr_idle_stop_nf(to, msg, sizeof(msg));
			return NULL;
		}
	}
	t[2] = (unsigned int)(mgr_now_ms() - t0);
	t0 = mgr_now_ms();
	mgr_idle_stop_nf(from, msg, sizeof(msg));
	t[3] = (unsigned int)(mgr_now_ms() - t0);
	mgr_log("idle vm %s: nf id %u moved here from %s as nf id %u (save %u ms, start %u, load "
		"%u, stop %u): %s", to->name, old, from->name, to->att.nf_id, t[0], t[1], t[2],
		t[3], msg);
	return to;
}
