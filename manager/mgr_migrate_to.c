/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_migrate_to.c — `netvmctl vm migrate NAME --to tcp:HOST:PORT` (or
 * `--to unix:MANAGER` on one machine): a VM moves to another netvm-manager
 * and its core engine (another host; on one machine a second core with its
 * own file prefix and a second manager). The requests to the destination
 * manager go through mgr_mig_peer.c (over TCP authenticated, mgr_mig_auth.h).
 *
 * Source (mgr_migrate_vm_to())              destination (mgr_migrate_receive())
 *   vm receive NAME  ───────────────────────>  attach to its core, QEMU -incoming
 *   nf cmd park (the source core's channel)    (answers socket, pid, nf id, sizes)
 *   QMP migrate ─── the stream, no pools ───>  the guest's netlib re-attaches
 *   vm list until "running" <───────────────   the core's instance goes live
 *   vm stop (the source core takes every buffer back)
 *
 * A failure before the stop: `vm stop NAME` to the destination, `cont` to a
 * source QEMU that completed its side, `resume` to the NF: the VM runs on
 * at the source. Steps and limits: docs/qemu-patches.md section 4.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr.h"
#include "mgr_corecmd.h"
#include "mgr_idle.h"
#include "mgr_launcher.h"
#include "mgr_mig_auth.h"
#include "mgr_migrate.h"
#include "mgr_qmp.h"

/* ---- to another host: a second netvm-manager and its core ---- */

#define MIG_PEER_MS 60000  /* one request to the destination manager */
#define MIG_PARK_MS 10000  /* the NF's park or resume command */
#define MIG_PEER_RUN_MS 30000 /* the stream sent until the destination says "running" */
#define MIG_PEER_POLL_MS 50

/* The destination manager's error of @reply (its "error"), when not "ok". */
static bool
mig_peer_ok(struct json_object *reply, char *err, size_t errlen)
{
	struct json_object *o;

	if (json_object_object_get_ex(reply, "ok", &o) && json_object_get_boolean(o))
		return true;
	snprintf(err, errlen, "the destination manager: %s",
		 mgr_json_str(reply, "error", "refused without a reason"));
	return false;
}

/* Ask destination manager @peer to stop VM @name again (a failed move);
 * what it says is only logged. */
static void
mig_peer_stop(const struct mgr_mig_peer *peer, const char *name)
{
	char req[MGR_CFG_NAME_LEN + 16], err[MGR_ERR_LEN];
	struct json_object *reply;

	snprintf(req, sizeof(req), "vm stop %s", name);
	if (mgr_mig_peer_ask(peer, req, MIG_PEER_MS, &reply, err, sizeof(err)) < 0 ||
	    !mig_peer_ok(reply, err, sizeof(err)))
		mgr_log("vm %s: could not stop it at the destination %s: %s", name, peer->uri,
			err);
	json_object_put(reply);
}

/*
 * Wait until destination manager @peer shows VM @name "running" (its NF
 * re-attached and live at its core). Returns 0, or -EIO when it shows it in
 * another state than starting or booting, -ETIMEDOUT, or
 * mgr_mig_peer_ask()'s errors; the reason in @err.
 */
static int
mig_peer_wait_running(const struct mgr_mig_peer *peer, const char *name, char *err,
		      size_t errlen)
{
	uint64_t deadline = mgr_now_ms() + MIG_PEER_RUN_MS;
	struct json_object *reply, *vms, *vm, *o;
	char st[32] = "";
	size_t i;
	int r;

	for (;;) {
		r = mgr_mig_peer_ask(peer, "vm list", MIG_PEER_MS, &reply, err, errlen);
		if (r < 0)
			return r;
		st[0] = '\0';
		if (json_object_object_get_ex(reply, "vms", &vms) &&
		    json_object_is_type(vms, json_type_array))
			for (i = 0; i < json_object_array_length(vms); i++) {
				vm = json_object_array_get_idx(vms, i);
				if (json_object_object_get_ex(vm, "name", &o) &&
				    json_object_is_type(o, json_type_string) &&
				    strcmp(json_object_get_string(o), name) == 0 &&
				    json_object_object_get_ex(vm, "state", &o))
					snprintf(st, sizeof(st), "%s", json_object_get_string(o));
			}
		json_object_put(reply);
		if (strcmp(st, "running") == 0)
			return 0;
		if (strcmp(st, "starting") != 0 && strcmp(st, "booting") != 0) {
			snprintf(err, errlen, "after the stream the destination manager shows vm %s "
				 "\"%s\", not running (its log says why)", name, st);
			return -EIO;
		}
		if (mgr_now_ms() >= deadline) {
			snprintf(err, errlen, "the destination manager still shows vm %s \"%s\" %d s "
				 "after the stream: its NF did not re-attach", name, st,
				 MIG_PEER_RUN_MS / 1000);
			return -ETIMEDOUT;
		}
		mgr_mig_sleep_ms(MIG_PEER_POLL_MS);
	}
}

/* Command @word ("park" or "resume") for @vm's NF through the core's
 * control channel; 0 or a negative errno with the NF's answer in @err. */
static int
mig_nf_cmd(struct mgr_vm *vm, const char *word, char *err, size_t errlen)
{
	return mgr_nf_ask(vm->m->cfg.core_socket, (int)vm->att.nf_id, word, NULL, 0, MIG_PARK_MS,
			  NULL, err, errlen);
}

/* Integer member @key of @o into *@v; false when absent or not an integer. */
static bool
mig_json_u64(struct json_object *o, const char *key, uint64_t *v)
{
	struct json_object *m;

	if (!json_object_object_get_ex(o, key, &m) || !json_object_is_type(m, json_type_int))
		return false;
	*v = (uint64_t)json_object_get_int64(m);
	return true;
}

/* @reply of `vm receive` from @peer into @in; false when a member is
 * missing (over TCP: "port", the port the destination QEMU listens on). */
static bool
mig_incoming_parse(const struct mgr_mig_peer *peer, struct json_object *reply,
		   struct mgr_migrate_incoming *in)
{
	struct json_object *o;
	uint64_t pid, id, port = 0;

	if (!json_object_object_get_ex(reply, "incoming", &o) ||
	    !json_object_is_type(o, json_type_string) ||
	    strlen(json_object_get_string(o)) >= sizeof(in->path) ||
	    !mig_json_u64(reply, "pid", &pid) || !mig_json_u64(reply, "nf_id", &id) ||
	    !mig_json_u64(reply, "pool_size", &in->pool_size) ||
	    !mig_json_u64(reply, "priv_size", &in->priv_size) ||
	    (peer->tcp && (!mig_json_u64(reply, "port", &port) || port == 0 || port > 65535)))
		return false;
	snprintf(in->path, sizeof(in->path), "%s", json_object_get_string(o));
	in->port = (uint16_t)port;
	in->tls = json_object_object_get_ex(reply, "tls", &o) && json_object_get_boolean(o);
	in->pid = (pid_t)pid;
	in->nf_id = (uint32_t)id;
	return true;
}

int
mgr_migrate_vm_to(struct mgr_vm *vm, const char *uri, struct mgr_migrate_report *rep,
		  char *err, size_t errlen)
{
	const char *name = vm->cfg->name, *tls = vm->m->cfg.migrate_tls;
	char qmp[MGR_CFG_SOCK_LEN], req[MGR_CFG_NAME_LEN + 16], why[MGR_ERR_LEN];
	char stream[MGR_CFG_HOST_LEN + 16];
	struct mgr_mig_peer peer;
	struct mgr_migrate_incoming in = { .pid = 0 };
	struct json_object *reply = NULL, *info = NULL, *args;
	struct mgr_qmp *src = NULL;
	bool received = false, parked = false;
	uint64_t t0 = mgr_now_ms(), t1;
	int r;

	memset(rep, 0, sizeof(*rep));
	r = mgr_mig_peer_parse(&peer, uri, &vm->m->cfg, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "vm %s: %s", name, why);
		return r;
	}
	if (peer.tcp && tls[0] != '\0' &&
	    (r = mgr_mig_tls_check(tls, MGR_TLS_CLIENT, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "vm %s: manager.migrate_tls: %s", name, why);
		return r;
	}
	r = mgr_mig_check(vm, err, errlen);
	if (r < 0)
		return r;
	if (mgr_migrate_path(vm, "qmp", qmp, sizeof(qmp)) < 0) {
		snprintf(err, errlen, "vm %s: its QMP socket path is too long", name);
		return -ENAMETOOLONG;
	}
	src = mgr_mig_qmp_new(err, errlen);
	if (src == NULL)
		return -ENOMEM;

	/* 1. the source runs */
	r = mgr_mig_source_open(vm, src, qmp, why, sizeof(why));
	if (r < 0)
		goto fail;

	/* 2. the destination manager attaches the VM to its core, QEMU waits */
	snprintf(req, sizeof(req), "vm receive %s", name);
	r = mgr_mig_peer_ask(&peer, req, MIG_PEER_MS, &reply, why, sizeof(why));
	if (r == 0 && !mig_peer_ok(reply, why, sizeof(why)))
		r = -EIO;
	if (r == 0 && !mig_incoming_parse(&peer, reply, &in)) {
		snprintf(why, sizeof(why), "the destination manager's answer to vm receive lacks "
			 "incoming, pid, nf_id, pool_size, priv_size or (over TCP) port");
		r = -EPROTO;
	}
	json_object_put(reply);
	if (r < 0)
		goto fail;
	received = true;
	if (peer.tcp && in.tls != (tls[0] != '\0')) {
		snprintf(why, sizeof(why), in.tls ? "the destination takes streams with TLS only "
			 "(its manager.migrate_tls): set manager.migrate_tls here too" :
			 "the destination takes streams in clear (no manager.migrate_tls there) "
			 "and this manager sends them with TLS only: set it on both or neither");
		r = -EPROTO;
		goto fail;
	}
	if (in.pool_size != vm->pool.size || in.priv_size != vm->att.priv_size) {
		snprintf(why, sizeof(why), "the destination's regions differ: pool %llu bytes "
			 "(here %llu), private region %llu (here %llu); the guest's PCI BARs "
			 "cannot change size: give both cores the same pool_buffers and "
			 "buffer_size and the VM the same queues",
			 (unsigned long long)in.pool_size, (unsigned long long)vm->pool.size,
			 (unsigned long long)in.priv_size, (unsigned long long)vm->att.priv_size);
		r = -EINVAL;
		goto fail;
	}
	/* the source's credentials before the NF parks: QEMU checks them here */
	if (in.tls && (r = mgr_mig_tls(src, tls, false, why, sizeof(why))) < 0)
		goto fail;
	t1 = mgr_now_ms();
	rep->setup_ms = t1 - t0;

	/* 3. the NF parks: its queues stop, every buffer on the rings */
	r = mig_nf_cmd(vm, "park", why, sizeof(why));
	if (r < 0)
		goto fail;
	parked = true;
	rep->park_ms = mgr_now_ms() - t1;

	/* 4. the stream, without the pool and the private region: to the host
	 * this manager reached the destination manager at */
	args = json_object_new_object();
	if (peer.tcp) {
		memcpy(stream, "tcp:", 4);
		mgr_auth_hostport_fmt(peer.host, in.port, stream + 4, sizeof(stream) - 4);
	} else {
		snprintf(stream, sizeof(stream), "unix:%s", in.path);
	}
	json_object_object_add(args, "uri", json_object_new_string(stream));
	r = mgr_mig_qmp(src, "migrate", args, NULL, why, sizeof(why));
	if (r == 0)
		r = mgr_mig_wait_stream(src, &info, why, sizeof(why));
	/* 5. the destination runs it: its NF re-attached to the destination's
	 * core (a destination that could not load the stream goes down) */
	if (r == 0)
		r = mig_peer_wait_running(&peer, name, why, sizeof(why));
	if (r < 0)
		goto fail;

	/* 6. the VM is the destination's: this side stops, the core takes
	 * every buffer back with the attachment */
	mgr_qmp_close(src);
	free(src);
	rep->old_pid = vm->pid;
	rep->new_pid = in.pid;
	rep->nf_id = in.nf_id;
	rep->migrate_ms = mgr_mig_u64(info, "total-time");
	rep->downtime_ms = mgr_mig_u64(info, "downtime");
	json_object_put(info);
	mgr_vm_stop(vm);
	snprintf(vm->last_down, sizeof(vm->last_down), "moved to %s (its nf id %u)", uri,
		 in.nf_id);
	rep->total_ms = mgr_now_ms() - t0;
	mgr_log("vm %s: moved to %s (QEMU pid %d, nf id %u there): %llu ms, downtime %llu ms",
		name, uri, (int)in.pid, in.nf_id, (unsigned long long)rep->total_ms,
		(unsigned long long)rep->downtime_ms);
	return 0;

fail:
	json_object_put(info);
	if (received)
		mig_peer_stop(&peer, name);
	mgr_mig_source_resume(src, err, errlen);
	mgr_qmp_close(src);
	free(src);
	if (parked && mig_nf_cmd(vm, "resume", err, errlen) < 0)
		mgr_log("vm %s: its NF did not resume after the failed move: %s", name, err);
	snprintf(err, errlen, "vm %s: the move to %s failed, the VM runs on here in QEMU pid %d: "
		 "%s", name, uri, (int)vm->pid, why);
	mgr_log("%s", err);
	return r < 0 ? r : -EIO;
}

/*
 * QMP migrate-incoming on @q at manager.migrate_listen's address and the
 * first port of manager.migrate_ports QEMU can bind; the port in @in.
 * Returns 0, or the last port's error (-EADDRINUSE when every one is taken).
 */
static int
mig_listen_tcp(struct mgr_vm *vm, struct mgr_qmp *q, struct mgr_migrate_incoming *in, char *err,
	       size_t errlen)
{
	const struct mgr_cfg *c = &vm->m->cfg;
	char uri[MGR_CFG_HOST_LEN + 16], why[MGR_ERR_LEN] = "";
	struct json_object *args;
	unsigned int port;

	if (c->migrate_tls[0] != '\0') {
		if (mgr_mig_tls(q, c->migrate_tls, true, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "vm %s: %s", vm->cfg->name, why);
			return -EINVAL;
		}
		in->tls = true;
	}
	for (port = c->migrate_ports[0]; port <= c->migrate_ports[1]; port++) {
		memcpy(uri, "tcp:", 4);
		mgr_auth_hostport_fmt(c->migrate_addr, (uint16_t)port, uri + 4, sizeof(uri) - 4);
		args = json_object_new_object();
		json_object_object_add(args, "uri", json_object_new_string(uri));
		if (mgr_mig_qmp(q, "migrate-incoming", args, NULL, why, sizeof(why)) == 0) {
			snprintf(in->path, sizeof(in->path), "%s", uri);
			in->port = (uint16_t)port;
			return 0;
		}
	}
	snprintf(err, errlen, "vm %s: its QEMU cannot listen on any port %u..%u of %s "
		 "(manager.migrate_ports): %s", vm->cfg->name, c->migrate_ports[0],
		 c->migrate_ports[1], c->migrate_addr, why);
	return -EADDRINUSE;
}

int
mgr_migrate_receive(struct mgr_vm *vm, bool tcp, struct mgr_migrate_incoming *in, char *err,
		    size_t errlen)
{
	const char *name = vm->cfg->name;
	char qmp[MGR_CFG_SOCK_LEN], st[32];
	struct mgr_qmp *q;
	int r;

	memset(in, 0, sizeof(*in));
	if (vm->launcher != &mgr_launcher_qemu) {
		snprintf(err, errlen, "vm %s runs under the %s launcher here: only launcher "
			 "\"qemu\" receives a migration", name, vm->launcher->name);
		return -ENOTSUP;
	}
	if (mgr_vm_up(vm)) {
		snprintf(err, errlen, "vm %s is %s here already: stop it first (vm stop %s)", name,
			 mgr_vm_state_name(vm->state), name);
		return -EALREADY;
	}
	if (mgr_migrate_capable(vm->m->cfg.qemu) != 1) {
		snprintf(err, errlen, "manager.qemu \"%s\" here has no ivshmem property "
			 MIG_PROPERTY ": build the patched QEMU (scripts/build-qemu.sh)",
			 vm->m->cfg.qemu);
		return -ENOTSUP;
	}
	if (mgr_migrate_path(vm, "mig", in->path, sizeof(in->path)) < 0 ||
	    mgr_migrate_path(vm, "qmp", qmp, sizeof(qmp)) < 0) {
		snprintf(err, errlen, "vm %s: the state directory's paths are too long for a unix "
			 "socket", name);
		return -ENAMETOOLONG;
	}
	q = mgr_mig_qmp_new(err, errlen);
	if (q == NULL)
		return -ENOMEM;
	unlink(in->path);
	unlink(qmp);
	vm->restarts = 0;
	r = mgr_vm_start_incoming(vm, tcp ? MIG_INCOMING_DEFER : in->path, err, errlen);
	if (r < 0) {
		free(q);
		return r;
	}
	r = mgr_qmp_connect_pid(q, qmp, vm->pid, MIG_QMP_START_MS, err, errlen);
	if (r == 0)
		r = mgr_mig_status(q, st, sizeof(st), err, errlen);
	if (r == 0 && strcmp(st, "inmigrate") != 0) {
		snprintf(err, errlen, "vm %s: its QEMU is \"%s\", not waiting for the stream", name,
			 st);
		r = -EIO;
	}
	if (r == 0 && tcp)
		r = mig_listen_tcp(vm, q, in, err, errlen);
	mgr_qmp_close(q);
	free(q);
	if (r < 0) {
		mgr_vm_stop(vm);
		return r;
	}
	in->pid = vm->pid;
	in->nf_id = vm->att.nf_id;
	in->pool_size = vm->pool.size;
	in->priv_size = vm->att.priv_size;
	mgr_log("vm %s: waiting for a migration on %s (QEMU pid %d, nf id %u)", name, in->path,
		(int)vm->pid, vm->att.nf_id);
	return 0;
}
