/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_ctl.c — the control socket netvmctl talks to.
 *
 * Protocol: a unix stream socket (manager.socket, mode 0600). The client
 * sends one request line; the manager answers one JSON object and closes.
 *
 *   vm list             {"ok": true, "vms": [ {name, state, launcher, ...} ]}
 *   vm start NAME       {"ok": true} or {"ok": false, "error": "..."}
 *   vm stop NAME        {"ok": true}
 *   vm migrate NAME [URI] {"ok": true, "old_pid": P, "pid": P, "setup_ms": N, "migrate_ms": N,
 *                        "downtime_ms": N, "total_ms": N[, "to": URI, "nf_id": I,
 *                        "park_ms": N]} (mgr_migrate.c)
 *   vm receive NAME     {"ok": true, "incoming": PATH, "pid": P, "nf_id": I, "pool_size": N,
 *                        "priv_size": N; over TCP "port": N, "tls": B}: the destination's
 *                        side of vm migrate NAME URI
 *   nf list             {"ok": true, "nfs": [ {id, vm, role, rx, ...} ]}
 *   stats               {"ok": true, "stats": { the core's /netvm/stats }}
 *   metrics             {"ok": true, "stats": {...}, "nf_counters": {"ID": {...}},
 *                        "nf_vms": {"ID": "VM name"}}
 *   scale list          {"ok": true, "policies": [ {role, min, max, instances, ...} ]}
 *   dos                 {"ok": true, "dos": {on, blocked, inserted, mitigation_ms, ...}}
 *   idle list, nf start ROLE QUEUES CMDLINE, nf stop ID: the idle VM pool's
 *                       (mgr_idle_ctl.c)
 *
 * A request line (at most MGR_CTL_REQ_LEN - 1 bytes with its line break) is
 * gathered in the manager's loop as it arrives, MGR_CTL_CONNS connections at
 * a time, each closed unanswered when its line is not whole within
 * MGR_CTL_READ_MS. Requests are then served one at a time; each is short
 * (a telemetry query at most, or stopping one QEMU), but for vm migrate,
 * which holds the loop for the migration's time (about a second). An
 * answer not taken whole within MGR_CTL_SEND_MS is cut short (the client
 * closed), however little at a time the client reads.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr.h"
#include "mgr_idle.h"
#include "mgr_launcher.h"
#include "mgr_ops.h"
#include "mgr_migrate.h"

#define MGR_CTL_REQ_MAX "2047" /* MGR_CTL_REQ_LEN without the NUL, for messages */
#define MGR_CTL_READ_MS 1000    /* a client's whole request line, from its accept */
#define MGR_CTL_SEND_MS 1000    /* a client's whole answer, once it is made */

/*
 * Whether another manager answers on control socket @path: -EADDRINUSE with
 * a message in @err when one does, -EEXIST when a file that is no socket is
 * there (a mistyped path must not delete it), -ENAMETOOLONG, -errno of
 * socket(), or 0.
 */
int
mgr_ctl_busy(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "manager.socket too long (max %zu): %s",
			 sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is no socket (%s): remove it, or give "
			 "another manager.socket", path,
			 S_ISREG(st.st_mode) ? "a regular file" : S_ISDIR(st.st_mode) ?
			 "a directory" : S_ISLNK(st.st_mode) ? "a symbolic link" :
			 S_ISFIFO(st.st_mode) ? "a FIFO" : "a device");
		return -EEXIST;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-r));
		return r;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		snprintf(err, errlen, "%s is in use by a running netvm-manager (stop it, or give "
			 "another manager.socket)", path);
		r = -EADDRINUSE;
	}
	close(fd);
	return r;
}

/*
 * Listen on the configured control socket. A socket where another manager
 * answers is an error; a stale one is replaced. Returns 0 or a negative
 * errno with a message in @err.
 */
int
mgr_ctl_open(struct mgr *m, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = m->cfg.socket_path;
	int fd, r;

	r = mgr_ctl_busy(path, err, errlen);
	if (r < 0)
		return r;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 64) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s (manager.socket)", path,
			 strerror(-r));
		close(fd);
		return r;
	}
	m->ctl_fd = fd;
	return 0;
}

/* Close connection @k unanswered; cannot fail. */
static void
ctl_drop(struct mgr *m, struct mgr_ctl_conn *k)
{
	mgr_unwatch(m, k->fd);
	close(k->fd);
	k->fd = -1;
}

/* Close the control socket and remove its file; cannot fail. */
void
mgr_ctl_close(struct mgr *m)
{
	unsigned int i;

	for (i = 0; i < MGR_CTL_CONNS; i++)
		if (m->ctl_conns[i].fd >= 0)
			ctl_drop(m, &m->ctl_conns[i]);
	if (m->ctl_fd < 0)
		return;
	close(m->ctl_fd);
	unlink(m->cfg.socket_path);
	m->ctl_fd = -1;
}

static struct json_object *
ctl_error(const char *fmt, const char *arg)
{
	struct json_object *o = json_object_new_object();
	char msg[MGR_ERR_LEN];

	snprintf(msg, sizeof(msg), fmt, arg);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static struct json_object *
ctl_ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static struct json_object *
ctl_vm_json(const struct mgr_vm *vm, uint64_t now)
{
	struct json_object *o = json_object_new_object();
	bool up = mgr_vm_up(vm);

	json_object_object_add(o, "name", json_object_new_string(vm->cfg->name));
	json_object_object_add(o, "state", json_object_new_string(mgr_vm_state_name(vm->state)));
	json_object_object_add(o, "launcher", json_object_new_string(vm->launcher->name));
	json_object_object_add(o, "role", json_object_new_int(vm->cfg->role));
	json_object_object_add(o, "nf_id", up ? json_object_new_int((int)vm->att.nf_id) : NULL);
	json_object_object_add(o, "pid", up && vm->pid > 0 ? json_object_new_int(vm->pid) : NULL);
	json_object_object_add(o, "uptime_s", vm->state == MGR_VM_RUNNING ?
			       json_object_new_int64((int64_t)(now - vm->running_ms) / 1000) : NULL);
	json_object_object_add(o, "adopted", json_object_new_boolean(vm->adopted));
	json_object_object_add(o, "starts", json_object_new_int((int)vm->starts));
	json_object_object_add(o, "restarts", json_object_new_int((int)vm->restarts));
	json_object_object_add(o, "restart", json_object_new_string(
				       mgr_cfg_restart_name(vm->cfg->restart)));
	json_object_object_add(o, "restart_in_ms", vm->state == MGR_VM_BACKOFF ?
			       json_object_new_int64(vm->restart_at_ms > now ?
						     (int64_t)(vm->restart_at_ms - now) : 0) : NULL);
	json_object_object_add(o, "chardev", json_object_new_string(vm->sock_path));
	json_object_object_add(o, "console", json_object_new_string(vm->console_path));
	json_object_object_add(o, "last_down", vm->last_down[0] ?
			       json_object_new_string(vm->last_down) : NULL);
	json_object_object_add(o, "error", vm->error[0] ? json_object_new_string(vm->error) : NULL);
	return o;
}

static struct json_object *
ctl_vm_list(struct mgr *m)
{
	struct json_object *o = ctl_ok(), *a = json_object_new_array();
	uint64_t now = mgr_now_ms();
	unsigned int i;

	for (i = 0; i < m->nb_vms; i++)
		json_object_array_add(a, ctl_vm_json(&m->vms[i], now));
	json_object_object_add(o, "vms", a);
	/* netvmctl's "vm cmd" and "nf cmd" talk to the core's command socket */
	json_object_object_add(o, "core_socket", json_object_new_string(m->cfg.core_socket));
	return o;
}

static struct json_object *
ctl_vm_start_stop(struct mgr *m, const char *name, bool start)
{
	struct mgr_vm *vm = mgr_find_vm(m, name);
	char err[MGR_ERR_LEN];

	if (vm == NULL)
		return ctl_error("no VM called '%s' in the manager's configuration", name);
	if (!start) {
		mgr_vm_stop(vm);
		return ctl_ok();
	}
	/* an operator's start gives a fresh restart count; one refused because
	 * the VM is up leaves it as it is */
	if (!mgr_vm_up(vm))
		vm->restarts = 0;
	if (mgr_vm_start(vm, err, sizeof(err)) < 0) {
		if (!mgr_vm_up(vm))
			vm->state = MGR_VM_FAILED;
		return ctl_error("%s", err);
	}
	return ctl_ok();
}

/* vm migrate NAME [URI]: to a new QEMU here, or to the manager at URI. */
static struct json_object *
ctl_vm_migrate(struct mgr *m, const char *name, const char *uri)
{
	struct mgr_vm *vm = mgr_find_vm(m, name);
	struct mgr_migrate_report rep;
	char err[MGR_ERR_LEN];
	struct json_object *o;

	if (vm == NULL)
		return ctl_error("no VM called '%s' in the manager's configuration", name);
	if ((uri == NULL ? mgr_migrate_vm(vm, &rep, err, sizeof(err)) :
			   mgr_migrate_vm_to(vm, uri, &rep, err, sizeof(err))) < 0)
		return ctl_error("%s", err);
	o = ctl_ok();
	if (uri != NULL) {
		json_object_object_add(o, "to", json_object_new_string(uri));
		json_object_object_add(o, "nf_id", json_object_new_int64(rep.nf_id));
		json_object_object_add(o, "park_ms", json_object_new_int64((int64_t)rep.park_ms));
	}
	json_object_object_add(o, "old_pid", json_object_new_int(rep.old_pid));
	json_object_object_add(o, "pid", json_object_new_int(rep.new_pid));
	json_object_object_add(o, "setup_ms", json_object_new_int64((int64_t)rep.setup_ms));
	json_object_object_add(o, "migrate_ms", json_object_new_int64((int64_t)rep.migrate_ms));
	json_object_object_add(o, "downtime_ms", json_object_new_int64((int64_t)rep.downtime_ms));
	json_object_object_add(o, "total_ms", json_object_new_int64((int64_t)rep.total_ms));
	return o;
}

/* vm receive NAME: another manager moves VM NAME here (mgr_migrate_to.c),
 * its stream over TCP when the request came so (@tcp). */
static struct json_object *
ctl_vm_receive(struct mgr *m, const char *name, bool tcp)
{
	struct mgr_vm *vm = mgr_find_vm(m, name);
	struct mgr_migrate_incoming in;
	char err[MGR_ERR_LEN];
	struct json_object *o;

	if (vm == NULL)
		return ctl_error("no VM called '%s' in the manager's configuration", name);
	if (mgr_migrate_receive(vm, tcp, &in, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	o = ctl_ok();
	json_object_object_add(o, "incoming", json_object_new_string(in.path));
	if (tcp) {
		json_object_object_add(o, "port", json_object_new_int(in.port));
		json_object_object_add(o, "tls", json_object_new_boolean(in.tls));
	}
	json_object_object_add(o, "pid", json_object_new_int(in.pid));
	json_object_object_add(o, "nf_id", json_object_new_int64(in.nf_id));
	json_object_object_add(o, "pool_size", json_object_new_int64((int64_t)in.pool_size));
	json_object_object_add(o, "priv_size", json_object_new_int64((int64_t)in.priv_size));
	return o;
}

/* The core's counters, or an error object. */
static struct json_object *
ctl_core_stats(struct mgr *m, struct json_object **stats)
{
	char err[MGR_ERR_LEN];

	if (mgr_tel_stats(m->tel_path, stats, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	return NULL;
}

/* NF id of counter name "nf<ID>_<field>" and its field, or -1. */
static long
ctl_nf_key(const char *key, const char **field)
{
	char *end;
	long id;

	if (strncmp(key, "nf", 2) != 0 || key[2] < '0' || key[2] > '9')
		return -1;
	id = strtol(key + 2, &end, 10);
	if (*end != '_' || end[1] == '\0')
		return -1;
	*field = end + 1;
	return id;
}

/* The name of the VM NF @id runs in, a VM of the vms list or a busy idle
 * VM, or NULL when none of the manager's VMs runs it. */
static const char *
ctl_nf_vm(struct mgr *m, long id)
{
	const struct mgr_idle_vm *v = mgr_idle_find_nf(m, (uint32_t)id);
	unsigned int i;

	for (i = 0; i < m->nb_vms; i++)
		if (mgr_vm_up(&m->vms[i]) && m->vms[i].att.nf_id == (uint32_t)id)
			return m->vms[i].cfg->name;
	return v != NULL ? v->name : NULL;
}

/* The manager's host process behind NF @id, if any: "proc" in @nf. */
static void
ctl_nf_proc(struct mgr *m, struct json_object *nf, int id)
{
	const struct mgr_unit *u = mgr_ops_unit_of(m, id);

	json_object_object_add(nf, "proc", u != NULL && u->pid > 0 ?
			       json_object_new_string(u->name) : NULL);
}

static struct json_object *
ctl_nf_list(struct mgr *m)
{
	struct json_object *stats, *o, *a, *nf, *byid = json_object_new_object();
	const char *field, *vm;
	char idkey[24];
	long id;

	o = ctl_core_stats(m, &stats);
	if (o != NULL) {
		json_object_put(byid);
		return o;
	}
	json_object_object_foreach(stats, key, val) {
		id = ctl_nf_key(key, &field);
		if (id < 0)
			continue;
		snprintf(idkey, sizeof(idkey), "%ld", id);
		if (!json_object_object_get_ex(byid, idkey, &nf)) {
			nf = json_object_new_object();
			json_object_object_add(nf, "id", json_object_new_int((int)id));
			vm = ctl_nf_vm(m, id);
			json_object_object_add(nf, "vm", vm != NULL ?
					       json_object_new_string(vm) : NULL);
			ctl_nf_proc(m, nf, (int)id);
			json_object_object_add(byid, idkey, nf);
		}
		json_object_object_add(nf, field, json_object_get(val));
	}
	a = json_object_new_array();
	json_object_object_foreach(byid, k2, v2) {
		(void)k2;
		json_object_array_add(a, json_object_get(v2));
	}
	json_object_put(byid);
	json_object_put(stats);
	o = ctl_ok();
	json_object_object_add(o, "nfs", a);
	return o;
}

static struct json_object *
ctl_stats(struct mgr *m)
{
	struct json_object *stats, *o = ctl_core_stats(m, &stats);

	if (o != NULL)
		return o;
	o = ctl_ok();
	json_object_object_add(o, "stats", stats);
	return o;
}

/* The core's counters and every attached NF's published counters
 * (/netvm/nf_counters,ID), with the VM each NF runs in: what
 * `netvmctl metrics` prints. An NF whose counters cannot be read is left
 * out of "nf_counters". */
static struct json_object *
ctl_metrics(struct mgr *m)
{
	struct json_object *stats, *o = ctl_core_stats(m, &stats), *nfc, *vms, *one;
	char err[MGR_ERR_LEN], cmd[64], idkey[24];
	const char *field, *vm;
	long id;

	if (o != NULL)
		return o;
	nfc = json_object_new_object();
	vms = json_object_new_object();
	json_object_object_foreach(stats, key, val) {
		(void)val;
		id = ctl_nf_key(key, &field);
		if (id < 0 || strcmp(field, "role") != 0)
			continue;
		snprintf(idkey, sizeof(idkey), "%ld", id);
		snprintf(cmd, sizeof(cmd), "/netvm/nf_counters,%ld", id);
		if (mgr_tel_query(m->tel_path, cmd, &one, err, sizeof(err)) == 0) {
			if (json_object_is_type(one, json_type_object))
				json_object_object_add(nfc, idkey, one);
			else
				json_object_put(one);
		}
		vm = ctl_nf_vm(m, id);
		if (vm != NULL)
			json_object_object_add(vms, idkey, json_object_new_string(vm));
	}
	o = ctl_ok();
	json_object_object_add(o, "stats", stats);
	json_object_object_add(o, "nf_counters", nfc);
	json_object_object_add(o, "nf_vms", vms);
	return o;
}

/* The counters NF @arg publishes (/netvm/nf_counters,ID, drop reasons
 * among them): what `netvmctl nf counters ID` prints. */
static struct json_object *
ctl_nf_counters(struct mgr *m, const char *arg)
{
	char err[MGR_ERR_LEN], cmd[64], *end;
	struct json_object *one, *o, *stats;
	bool known;
	long id;

	errno = 0;
	id = strtol(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 || id > 65535)
		return ctl_error("nf counters: '%s' is not an NF instance id (netvmctl nf list)",
				 arg);
	/* the core's telemetry answers null for an unknown id as for an
	 * unknown command: tell the two apart with its NF list */
	o = ctl_core_stats(m, &stats);
	if (o != NULL)
		return o;
	snprintf(cmd, sizeof(cmd), "nf%ld_role", id);
	known = json_object_object_get_ex(stats, cmd, NULL);
	json_object_put(stats);
	if (!known)
		return ctl_error("nf counters: no NF instance %s is attached to the core "
				 "(netvmctl nf list)", arg);
	snprintf(cmd, sizeof(cmd), "/netvm/nf_counters,%ld", id);
	if (mgr_tel_query(m->tel_path, cmd, &one, err, sizeof(err)) < 0)
		return ctl_error("nf counters: %.480s", err);
	if (!json_object_is_type(one, json_type_object)) {
		json_object_put(one);
		return ctl_error("nf counters: NF instance %s left the core (netvmctl nf list)",
				 arg);
	}
	o = ctl_ok();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "counters", one);
	return o;
}

#define CTL_WORDS 5 /* a request has at most 4: a fifth makes it no request */

/* Split @req into at most CTL_WORDS @words (the rest NULL); their count. */
static unsigned int
ctl_words(char *req, char *words[CTL_WORDS])
{
	char *save = NULL, *w;
	unsigned int n = 0;

	for (w = strtok_r(req, " \t\r\n", &save); w != NULL && n < CTL_WORDS;
	     w = strtok_r(NULL, " \t\r\n", &save))
		words[n++] = w;
	return n;
}

static struct json_object *
ctl_dispatch(struct mgr *m, char *req)
{
	char *words[CTL_WORDS] = { NULL };
	struct json_object *idle = mgr_idle_ctl(m, req);
	unsigned int n;

	if (idle != NULL)
		return idle;
	n = ctl_words(req, words);
	if (n == 2 && strcmp(words[0], "vm") == 0 && strcmp(words[1], "list") == 0)
		return ctl_vm_list(m);
	if (n == 3 && strcmp(words[0], "vm") == 0 && strcmp(words[1], "start") == 0)
		return ctl_vm_start_stop(m, words[2], true);
	if (n == 3 && strcmp(words[0], "vm") == 0 && strcmp(words[1], "stop") == 0)
		return ctl_vm_start_stop(m, words[2], false);
	if ((n == 3 || n == 4) && strcmp(words[0], "vm") == 0 && strcmp(words[1], "migrate") == 0)
		return ctl_vm_migrate(m, words[2], words[3]);
	if (n == 3 && strcmp(words[0], "vm") == 0 && strcmp(words[1], "receive") == 0)
		return ctl_vm_receive(m, words[2], false);
	if (n == 2 && strcmp(words[0], "nf") == 0 && strcmp(words[1], "list") == 0)
		return ctl_nf_list(m);
	if (n == 3 && strcmp(words[0], "nf") == 0 && strcmp(words[1], "counters") == 0)
		return ctl_nf_counters(m, words[2]);
	if (n == 1 && strcmp(words[0], "stats") == 0)
		return ctl_stats(m);
	if (n == 1 && strcmp(words[0], "metrics") == 0)
		return ctl_metrics(m);
	if (n == 2 && strcmp(words[0], "scale") == 0 && strcmp(words[1], "list") == 0) {
		struct json_object *o = ctl_ok();

		json_object_object_add(o, "policies", mgr_scale_json(m));
		return o;
	}
	if (n == 1 && strcmp(words[0], "dos") == 0) {
		struct json_object *o = ctl_ok();

		json_object_object_add(o, "dos", mgr_dos_json(m));
		return o;
	}
	return ctl_error("unknown request '%s' (vm list|start NAME|stop NAME|migrate NAME [URI]|"
			 "receive NAME, nf list|start|stop|move, nf counters ID, idle list, stats, metrics, "
			 "scale list, dos)",
			 n > 0 ? words[0] : "");
}

/*
 * Answer request @req of another manager, authenticated on the migration
 * port (mgr_mig_listen.c): only what a source manager asks during a move
 * (vm receive NAME, vm list, vm stop NAME); anything else is refused.
 * Returns a JSON answer; cannot fail.
 */
struct json_object *
mgr_ctl_peer(struct mgr *m, char *req)
{
	char *words[CTL_WORDS] = { NULL };
	unsigned int n = ctl_words(req, words);

	if (n == 2 && strcmp(words[0], "vm") == 0 && strcmp(words[1], "list") == 0)
		return ctl_vm_list(m);
	if (n == 3 && strcmp(words[0], "vm") == 0 && strcmp(words[1], "stop") == 0)
		return ctl_vm_start_stop(m, words[2], false);
	if (n == 3 && strcmp(words[0], "vm") == 0 && strcmp(words[1], "receive") == 0)
		return ctl_vm_receive(m, words[2], true);
	return ctl_error("request '%s' is not one the migration port takes (vm receive NAME, "
			 "vm list, vm stop NAME)", n > 0 ? words[0] : "");
}

/* Answer the request of connection @k (@too_long: its line did not fit)
 * and close it; cannot fail (a client that does not read is dropped). */
static void
ctl_answer(struct mgr *m, struct mgr_ctl_conn *k, bool too_long)
{
	struct json_object *reply;
	const char *text, *nl;
	uint64_t deadline, now;
	size_t off, len;
	int fd = k->fd;

	mgr_unwatch(m, fd);
	k->fd = -1;
	/* a request cut short, by the buffer or by a NUL, could be another
	 * request: refused whole */
	nl = memchr(k->line, '\n', k->len);
	if (too_long)
		reply = ctl_error("the request line is longer than %s bytes with its line break",
				  MGR_CTL_REQ_MAX);
	else if (memchr(k->line, '\0', nl != NULL ? (size_t)(nl - k->line) : k->len) != NULL)
		reply = ctl_error("%s", "the request line holds a NUL byte");
	else {
		/* the request is its line: what came after it is no word of it
		 * ("vm stop" then "v1" on a line of its own is not vm stop v1) */
		if (nl != NULL)
			k->line[nl - k->line] = '\0';
		reply = ctl_dispatch(m, k->line);
	}
	text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	/* the whole answer within one deadline (the socket is non-blocking): a
	 * client that does not read it, or reads it a few bytes at a time, holds
	 * the manager's loop no longer */
	deadline = mgr_now_ms() + MGR_CTL_SEND_MS;
	for (off = 0; off < len;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			break;
		now = mgr_now_ms();
		if (now >= deadline)
			break;
		if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			break;
	}
	if (off < len && mgr_now_ms() >= deadline)
		mgr_log("control: a client took %zu of its answer's %zu bytes within %d ms: "
			"closed", off, len, MGR_CTL_SEND_MS);
	json_object_put(reply);
	/* what the client sent past its line is dropped, so that it reads the
	 * answer and then the end, not a reset, when the socket closes */
	for (off = 0; off < 16 && recv(fd, k->line, sizeof(k->line), MSG_DONTWAIT) > 0; off++)
		;
	close(fd);
}

/* Accept one netvmctl connection; its request line is gathered in the loop
 * as it arrives (mgr_ctl_event()), so a client that sends nothing, or its line a
 * byte at a time, holds no other up. With every slot taken, the connection
 * waiting longest is closed for the new one; cannot fail. */
void
mgr_ctl_serve(struct mgr *m)
{
	struct mgr_ctl_conn *k = NULL;
	unsigned int i;
	int fd = accept4(m->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (i = 0; i < MGR_CTL_CONNS; i++) {
		struct mgr_ctl_conn *c = &m->ctl_conns[i];

		if (c->fd < 0) {
			k = c;
			break;
		}
		if (k == NULL || c->deadline < k->deadline)
			k = c;
	}
	if (k->fd >= 0)
		ctl_drop(m, k);
	k->tag = (struct mgr_tag){ MGR_TAG_CTLC, NULL };
	k->fd = fd;
	k->len = 0;
	k->deadline = mgr_now_ms() + MGR_CTL_READ_MS;
	if (mgr_watch(m, fd, &k->tag) < 0) {
		close(fd);
		k->fd = -1;
		return;
	}
	/* netvmctl sends its line as it connects: usually there already */
	mgr_ctl_event(m, &k->tag);
}

/* What arrived on control connection @t: the request, once its line is
 * whole (or the client shut its side after it); cannot fail. */
void
mgr_ctl_event(struct mgr *m, struct mgr_tag *t)
{
	struct mgr_ctl_conn *k = (struct mgr_ctl_conn *)(void *)((char *)t -
					offsetof(struct mgr_ctl_conn, tag));
	ssize_t n;

	if (k->fd < 0)
		return;
	n = recv(k->fd, k->line + k->len, sizeof(k->line) - 1 - k->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && k->len == 0)) {
		ctl_drop(m, k);
		return;
	}
	k->len += (size_t)n;
	k->line[k->len] = '\0';
	if (n == 0 || memchr(k->line, '\n', k->len) != NULL)
		ctl_answer(m, k, false);
	else if (k->len + 1 == sizeof(k->line))
		ctl_answer(m, k, true); /* full, and no line break yet */
}

/* Close the control connections whose line is not whole within
 * MGR_CTL_READ_MS of their accept; cannot fail. What came meanwhile is
 * read first: a request that held the loop longer (vm migrate, nf start)
 * does not make the lines sent during it late. */
void
mgr_ctl_tick(struct mgr *m, uint64_t now_ms)
{
	unsigned int i;

	for (i = 0; i < MGR_CTL_CONNS; i++) {
		struct mgr_ctl_conn *k = &m->ctl_conns[i];

		if (k->fd >= 0 && now_ms >= k->deadline)
			mgr_ctl_event(m, &k->tag);
		if (k->fd >= 0 && now_ms >= k->deadline)
			ctl_drop(m, k);
	}
}
