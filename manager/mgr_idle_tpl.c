/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_idle_tpl.c — idle VMs restored from a template instead of booted
 * (idle.template = true; docs/manager.md §11 "Template").
 *
 *   NONE --boot "idle-tpl"--> MAKING --its agent answers: QMP migrate to
 *    ^                          |        <state_dir>/idle.template, QEMU killed--> READY
 *    +-- failed (logged, -------+                                                   |
 *        remade after restart_backoff_ms) <-- a restore from it failed -------------+
 *
 * The template VM is an idle VM like the others (no ivshmem device: a VM
 * saved with one cannot be restored safely), stopped and saved once its
 * agent answers.
 * A slot of the pool is then filled by a QEMU started with the same
 * command line plus -incoming defer, fed the file through QMP getfd +
 * migrate-incoming fd:, then resumed (cont); its guest runs again where the
 * template stopped, the agent already listening. The guest's clock is set from the host's
 * when its agent first answers (it stood still since the save).
 *
 * There is no fallback: while no template exists, empty slots stay empty
 * and nf start says why; a template that cannot be made is an error in the
 * log and in idle list, retried after manager.restart_backoff_ms.
 *
 * Saving and restoring run in the manager's loop and block it (the save
 * about a second, a restore a few hundred ms here; each bounded).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr_idle.h"

#define TPL_FDNAME "netvm-tpl"
#define TPL_POLL_MS 20

static const char *const tpl_states[] = {
	[MGR_TPL_NONE] = "none", [MGR_TPL_MAKING] = "making", [MGR_TPL_READY] = "ready",
};

/* The template failed: say why, drop its VM and its file; it is made again
 * after manager.restart_backoff_ms. */
static void __attribute__((format(printf, 2, 3)))
tpl_fail(struct mgr_idle_tpl *t, const char *fmt, ...)
{
	char tmp[MGR_CFG_PATH_LEN + 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	mgr_log("idle template: %s; made again in %u ms (manager.restart_backoff_ms)", t->error,
		t->vm.m->cfg.backoff_ms);
	if (t->vm.pid > 0)
		mgr_idle_destroy(&t->vm, "the template failed");
	unlink(t->path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", t->path);
	unlink(tmp);
	t->state = MGR_TPL_NONE;
	t->failed_ms = mgr_now_ms();
}

/* @fd (closed here) handed to @v's QEMU as TPL_FDNAME (QMP getfd), then
 * QMP @cmd ("migrate" or "migrate-incoming") with uri fd:TPL_FDNAME. */
static int
tpl_migrate(struct mgr_idle_vm *v, int fd, const char *cmd, char *err, size_t errlen)
{
	struct json_object *o = json_object_new_object();
	int r;

	json_object_object_add(o, "fdname", json_object_new_string(TPL_FDNAME));
	r = mgr_idle_qmp(v, "getfd", o, fd, NULL, err, errlen);
	close(fd);
	if (r < 0)
		return r;
	o = json_object_new_object();
	json_object_object_add(o, "uri", json_object_new_string("fd:" TPL_FDNAME));
	return mgr_idle_qmp(v, cmd, o, -1, NULL, err, errlen);
}

/* A string member @key of QMP answer @ret, or "". */
static const char *
tpl_str(struct json_object *ret, const char *key)
{
	struct json_object *o;

	return json_object_object_get_ex(ret, key, &o) && json_object_is_type(o, json_type_string) ?
	       json_object_get_string(o) : "";
}

/*
 * Poll @v's QEMU with @query every TPL_POLL_MS until its answer's "status"
 * is @done, at most @timeout_ms. Returns 0, or a negative errno with a
 * message: -EIO when the status is one of @bad ("|a|b|").
 */
static int
tpl_wait_status(struct mgr_idle_vm *v, const char *query, const char *done, const char *bad,
		unsigned int timeout_ms, char *err, size_t errlen)
{
	struct timespec ts = { 0, TPL_POLL_MS * 1000 * 1000 };
	uint64_t deadline = mgr_now_ms() + timeout_ms;
	char status[40], key[48];
	struct json_object *ret;
	int r;

	for (;;) {
		r = mgr_idle_qmp(v, query, NULL, -1, &ret, err, errlen);
		if (r < 0)
			return r;
		snprintf(status, sizeof(status), "%s", tpl_str(ret, "status"));
		snprintf(key, sizeof(key), "|%s|", status);
		if (strcmp(status, done) == 0) {
			json_object_put(ret);
			return 0;
		}
		if (status[0] != '\0' && strstr(bad, key) != NULL) {
			snprintf(err, errlen, "QMP %s: %s %.300s", query, status,
				 tpl_str(ret, "error-desc"));
			json_object_put(ret);
			return -EIO;
		}
		json_object_put(ret);
		if (mgr_now_ms() >= deadline) {
			snprintf(err, errlen, "QMP %s: still '%s' after %u ms", query, status,
				 timeout_ms);
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
}

/* The template VM answers: migrate it into the file, kill it. */
static void
tpl_save(struct mgr_idle_tpl *t)
{
	struct mgr_idle_vm *v = &t->vm;
	char tmp[MGR_CFG_PATH_LEN + 8], err[MGR_ERR_LEN];
	uint64_t t0 = mgr_now_ms();
	struct stat st;
	int fd, r;

	snprintf(tmp, sizeof(tmp), "%s.tmp", t->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		tpl_fail(t, "cannot create %s: %s", tmp, strerror(errno));
		return;
	}
	/* Stopped first: the file is then one consistent picture of the guest.
	 * A live save sends pages while the guest writes them, and a QEMU
	 * that loses some of those writes (7.2 under TCG, qemu-patches/0004)
	 * would put a corrupt guest into every VM restored from it. */
	r = mgr_idle_qmp(v, "stop", NULL, -1, NULL, err, sizeof(err));
	if (r == 0)
		r = tpl_migrate(v, fd, "migrate", err, sizeof(err));
	else
		close(fd);
	if (r == 0)
		r = tpl_wait_status(v, "query-migrate", "completed", "|failed|cancelled|",
				    v->m->cfg.boot_s * 1000, err, sizeof(err));
	if (r == 0 && stat(tmp, &st) < 0)
		r = -errno, snprintf(err, sizeof(err), "%s: %s", tmp, strerror(errno));
	if (r == 0 && rename(tmp, t->path) < 0)
		r = -errno, snprintf(err, sizeof(err), "%s: %s", t->path, strerror(errno));
	if (r < 0) {
		tpl_fail(t, "saving %s: %s", v->name, err);
		return;
	}
	t->bytes = (uint64_t)st.st_size;
	t->save_ms = (unsigned int)(mgr_now_ms() - t0);
	t->made++;
	t->error[0] = '\0';
	t->state = MGR_TPL_READY;
	mgr_idle_destroy(v, "saved as the template");
	mgr_log("idle template: %s saved (%llu KiB in %u ms, %llu ms after its QEMU started)",
		t->path, (unsigned long long)(t->bytes >> 10), t->save_ms,
		(unsigned long long)(t0 - v->booted_ms));
}

/*
 * The template's periodic work for manager @m at @now_ms: boot its VM when
 * there is none, save it once its agent answers; cannot fail (a failure is
 * logged, kept in idle list and retried after restart_backoff_ms).
 */
void
mgr_idle_tpl_tick(struct mgr *m, uint64_t now_ms)
{
	struct mgr_idle_tpl *t = &m->idle->tpl;
	struct mgr_idle_vm *v = &t->vm;
	char err[MGR_ERR_LEN];

	switch (t->state) {
	case MGR_TPL_NONE:
		if (t->failed_ms != 0 && now_ms < t->failed_ms + m->cfg.backoff_ms)
			return;
		if (mgr_idle_boot(v, false, err, sizeof(err)) < 0) {
			tpl_fail(t, "cannot boot its VM: %s", err);
			return;
		}
		t->state = MGR_TPL_MAKING;
		return;
	case MGR_TPL_MAKING:
		if (mgr_idle_reap(v)) {
			tpl_fail(t, "its QEMU exited before it was saved: %s (see %s.prev)",
				 v->last_error, v->log_path);
			return;
		}
		mgr_idle_tick_booting(v, now_ms);
		if (v->state == MGR_IDLE_EMPTY)
			tpl_fail(t, "its VM did not become idle: %s", v->last_error);
		else if (v->state == MGR_IDLE_READY)
			tpl_save(t);
		return;
	default:
		return;
	}
}

/* Whether manager @m's template is saved (VMs can be restored from it). */
bool
mgr_idle_tpl_ready(const struct mgr *m)
{
	return m->idle != NULL && m->idle->tpl.state == MGR_TPL_READY;
}

/*
 * Fill empty slot @v from the template: QEMU with -incoming defer, the file
 * through QMP getfd + migrate-incoming, waited for until the guest runs
 * (idle.timeout_ms). @v is then BOOTING: idle once its agent answers.
 * Returns 0, or a negative errno with a message; then @v is destroyed and
 * the template dropped (made again: a file QEMU cannot load is no template).
 */
int
mgr_idle_tpl_restore(struct mgr_idle_vm *v, char *err, size_t errlen)
{
	struct mgr_idle_tpl *t = &v->m->idle->tpl;
	unsigned int timeout = v->m->cfg.idle.timeout_ms;
	uint64_t t0 = mgr_now_ms();
	char msg[MGR_ERR_LEN];
	int fd, r;

	r = mgr_idle_boot(v, true, msg, sizeof(msg));
	if (r < 0) {
		snprintf(err, errlen, "%.400s", msg);
		return r; /* no QEMU: retried after restart_backoff_ms */
	}
	r = mgr_qmp_connect(&v->qmp, v->qmp_path, (int)timeout, msg, sizeof(msg));
	if (r == 0) {
		fd = open(t->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			snprintf(msg, sizeof(msg), "%s: %s", t->path, strerror(errno));
		} else {
			r = tpl_migrate(v, fd, "migrate-incoming", msg, sizeof(msg));
		}
	}
	/* the template was saved stopped: the guest comes in paused */
	if (r == 0)
		r = tpl_wait_status(v, "query-migrate", "completed", "|failed|cancelled|",
				    timeout, msg, sizeof(msg));
	if (r == 0)
		r = mgr_idle_qmp(v, "cont", NULL, -1, NULL, msg, sizeof(msg));
	if (r == 0)
		r = tpl_wait_status(v, "query-status", "running", "|internal-error|shutdown|",
				    timeout, msg, sizeof(msg));
	if (r < 0) {
		snprintf(err, errlen, "from %s: %.400s (see %s)", t->path, msg, v->log_path);
		mgr_idle_destroy(v, err);
		tpl_fail(t, "restoring %s from it failed: %.400s", v->name, msg);
		return r;
	}
	t->restores++;
	mgr_log("idle vm %s: restored from the template in %llu ms", v->name,
		(unsigned long long)(mgr_now_ms() - t0));
	return 0;
}

/*
 * Set the guest clock of restored VM @v to the host's (agent "clock SEQ
 * SECONDS", answered "pong SEQ"). Returns 0 or a negative errno with a
 * message.
 */
int
mgr_idle_tpl_clock(struct mgr_idle_vm *v, char *err, size_t errlen)
{
	struct mgr_agent_answer a;
	char now[24];
	int r;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	r = mgr_agent_request(&v->agent, "clock", now, (int)v->m->cfg.idle.timeout_ms, &a, err,
			      errlen);
	if (r == 0 && a.verb != MGR_AGENT_PONG) {
		snprintf(err, errlen, "agent: answered clock with something else than pong");
		r = -EPROTO;
	}
	return r;
}

/* Manager @m's template as idle list shows it (a new object, or NULL when
 * idle.template is off). */
struct json_object *
mgr_idle_tpl_json(const struct mgr *m)
{
	const struct mgr_idle_tpl *t = &m->idle->tpl;
	struct json_object *o;

	if (!m->cfg.idle.template)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "state", json_object_new_string(tpl_states[t->state]));
	json_object_object_add(o, "path", json_object_new_string(t->path));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)t->bytes));
	json_object_object_add(o, "save_ms", json_object_new_int((int)t->save_ms));
	json_object_object_add(o, "made", json_object_new_int((int)t->made));
	json_object_object_add(o, "restores", json_object_new_int((int)t->restores));
	json_object_object_add(o, "error", t->error[0] ? json_object_new_string(t->error) : NULL);
	return o;
}

/* At manager exit: kill the template's VM, remove its file; cannot fail. */
void
mgr_idle_tpl_shutdown(struct mgr *m)
{
	struct mgr_idle_tpl *t = &m->idle->tpl;
	char tmp[MGR_CFG_PATH_LEN + 8];

	if (t->vm.pid > 0)
		mgr_idle_destroy(&t->vm, "the manager stops");
	unlink(t->path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", t->path);
	unlink(tmp);
}
