/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_idle.c — the idle VM pool: booted VMs with no NF, into which an NF is
 * started on demand (mgr_idle_start_nf()), and from which it is stopped
 * again (mgr_idle_stop_nf()). docs/manager.md §11.
 *
 * An idle VM is a QEMU without ivshmem devices:
 *
 *   qemu-system-x86_64 -name netvm-idle<N> -accel kvm|tcg -machine pc -m M -smp C
 *     -nographic -nodefaults -no-user-config -no-reboot -monitor none
 *     -qmp unix:<state_dir>/idle<N>.qmp,server=on,wait=off
 *     -serial file:<state_dir>/idle<N>.console
 *     -chardev socket,id=netvm-agent,path=<state_dir>/idle<N>.agent,server=on,wait=off
 *     -serial chardev:netvm-agent
 *     -kernel K [-initrd I] -append 'console=ttyS0 panic=-1 quiet netvm.agent'
 *
 * whose guest /init runs netvm-agent on ttyS1, its pid in
 * <state_dir>/idle<N>.idle-pid and its NF's core lease in idle<N>.idle-lease
 * for the next manager, which stops it (mgr_idle_orphans()) should this one
 * die without stopping it. Starting an NF in it, each
 * step bounded by idle.timeout_ms:
 *   1. a fresh core lease on the NF's behalf (role, queues): pool fd,
 *      private region fd, doorbell eventfd;
 *   2. a fresh ivshmem server on <state_dir>/idle<N>.sock serving that
 *      private region and doorbell to one peer (one attach per NF);
 *   3. QMP: add-fd (the pool fd), object-add memory-backend-file
 *      id=netvm-pool mem-path=/proc/self/fd/<fd> share=on, device_add
 *      ivshmem-plain id=netvm-pool-dev addr=0x10, chardev-add netvm-bell
 *      (a socket client of step 2's server), device_add ivshmem-doorbell
 *      id=netvm-bell-dev vectors=1 addr=0x11: the devices, ids and slots of
 *      the qemu launcher's command line (mgr_qemu.c);
 *   4. the agent: "run SEQ 2 CMDLINE" (it waits for both UIO devices);
 *   5. the core's telemetry says the instance is live.
 * A failure at any step ends the lease, stops the server and destroys the
 * VM (its state is unknown); the next tick boots a replacement. Stopping:
 * the agent stops the NF; by default (idle.reuse false) the VM is then
 * retired (killed, lease ended, a fresh VM fills the slot: stock QEMU 7.2
 * crashes on a second hot-plug after device_del; qemu-patches/0003 fixes
 * it, and nothing tells a fixed binary from another). With reuse it
 * reverses the start: device_del (one device at a time, waiting for
 * DEVICE_DELETED), chardev-remove, object-del, remove-fd, server stopped,
 * lease ended; a VM that went through all of it cleanly and answers a ping
 * goes back to the pool, any other is destroyed and replaced.
 *
 * It all runs in the manager's loop and blocks it while it lasts (well
 * under a second normally, idle.timeout_ms per step at most).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr_idle.h"
#include "mgr_launcher.h"

#define IDLE_PING_MS 200     /* a booting VM is pinged this often */
#define IDLE_CHECK_MS 1000   /* a busy VM's NF is checked this often */
#define IDLE_BOOT_LINES 64   /* lines of a booting VM's agent read per tick */
#define IDLE_UIO_DEVICES "2" /* pool + private region */
#define IDLE_MAX_ARGS 40
/* The pidfile of an idle VM's QEMU and the lease file of its NF, for the
 * next manager (mgr_idle_orphans()): names no VM of `vms` has (theirs end
 * in .pid and .lease), so that step 1 of a manager's start never takes an
 * idle VM for a VM that left the configuration. */
#define IDLE_PID_EXT "idle-pid"
#define IDLE_LEASE_EXT "idle-lease"

extern char **environ;

static const char *const idle_states[] = {
	[MGR_IDLE_EMPTY] = "empty", [MGR_IDLE_BOOTING] = "booting",
	[MGR_IDLE_READY] = "idle", [MGR_IDLE_BUSY] = "busy",
};

static int
idle_path(char *dst, size_t len, const struct mgr *m, const char *name, const char *ext)
{
	int n = snprintf(dst, len, "%s/%s.%s", m->cfg.state_dir, name, ext);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Set up manager @m's idle pool from its configuration (idle.count slots,
 * none booted yet: mgr_idle_tick() boots them). Returns 0, or a negative
 * errno with a message in @err.
 */
int
mgr_idle_init(struct mgr *m, char *err, size_t errlen)
{
	const struct mgr_idle_cfg *c = &m->cfg.idle;
	struct mgr_idle *p = calloc(1, sizeof(*p));
	unsigned int i;

	if (p == NULL)
		return -ENOMEM;
	p->m = m;
	p->nb = c->count;
	p->vms = calloc(c->count ? c->count : 1, sizeof(*p->vms));
	if (p->vms == NULL) {
		free(p);
		return -ENOMEM;
	}
	m->idle = p;
	for (i = 0; i <= p->nb; i++) {
		struct mgr_idle_vm *v = i < p->nb ? &p->vms[i] : &p->tpl.vm;
		char name[16];

		snprintf(name, sizeof(name), i < p->nb ? "idle%u" : "idle-tpl", i);
		if (mgr_idle_vm_init(v, m, name) < 0 ||
		    idle_path(p->tpl.path, sizeof(p->tpl.path), m, "idle", "template") < 0) {
			snprintf(err, errlen, "%s:%u: idle: %s/%s.agent is longer than a unix socket "
				 "path: shorten manager.state_dir", m->cfg_path, c->line,
				 m->cfg.state_dir, name);
			return -ENAMETOOLONG;
		}
	}
	p->tpl.vm.template = true;
	return 0;
}

/* Set up slot @v named @name of manager @m (no QEMU); 0 or -ENAMETOOLONG
 * when a path under manager.state_dir does not fit. */
int
mgr_idle_vm_init(struct mgr_idle_vm *v, struct mgr *m, const char *name)
{
	v->m = m;
	snprintf(v->name, sizeof(v->name), "%s", name);
	mgr_qmp_init(&v->qmp);
	mgr_agent_init(&v->agent);
	nvm_attach_init(&v->att);
	mgr_ivs_init(&v->ivs);
	v->fdset = -1;
	if (idle_path(v->qmp_path, sizeof(v->qmp_path), m, v->name, "qmp") < 0 ||
	    idle_path(v->agent_path, sizeof(v->agent_path), m, v->name, "agent") < 0 ||
	    idle_path(v->bell_path, sizeof(v->bell_path), m, v->name, "sock") < 0 ||
	    idle_path(v->console_path, sizeof(v->console_path), m, v->name, "console") < 0 ||
	    idle_path(v->log_path, sizeof(v->log_path), m, v->name, "log") < 0 ||
	    idle_path(v->pid_path, sizeof(v->pid_path), m, v->name, IDLE_PID_EXT) < 0 ||
	    idle_path(v->lease_path, sizeof(v->lease_path), m, v->name, IDLE_LEASE_EXT) < 0)
		return -ENAMETOOLONG;
	return 0;
}

/* Start @v's QEMU (no ivshmem device), waiting for a migration stream
 * (-incoming defer: mgr_idle_tpl_restore()) when @incoming; 0 or a negative
 * errno with a message. */
int
mgr_idle_boot(struct mgr_idle_vm *v, bool incoming, char *err, size_t errlen)
{
	const struct mgr_cfg *c = &v->m->cfg;
	char a[IDLE_MAX_ARGS][MGR_CFG_PATH_LEN + 64];
	char e[2 * MGR_CFG_PATH_LEN], *argv[IDLE_MAX_ARGS + 1];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	unsigned int n = 0, i;
	int kvm, r;
	pid_t pid;

	kvm = mgr_accel_kvm(c, err, errlen);
	if (kvm < 0)
		return kvm;
#define ARG(...) snprintf(a[n++], sizeof(a[0]), __VA_ARGS__)
	ARG("%s", c->qemu);
	ARG("-name"), ARG("netvm-%s", v->name);
	ARG("-accel"), ARG("%s", kvm ? "kvm" : "tcg");
	ARG("-machine"), ARG("pc");
	ARG("-m"), ARG("%u", c->idle.memory_mib);
	ARG("-smp"), ARG("%u", c->idle.vcpus);
	ARG("-nographic"), ARG("-nodefaults"), ARG("-no-user-config"), ARG("-no-reboot");
	ARG("-monitor"), ARG("none");
	ARG("-qmp"), ARG("unix:%s,server=on,wait=off", mgr_qemu_esc(v->qmp_path, e, sizeof(e)));
	ARG("-serial"), ARG("file:%s", v->console_path); /* taken whole, commas included */
	ARG("-chardev");
	ARG("socket,id=netvm-agent,path=%s,server=on,wait=off",
	    mgr_qemu_esc(v->agent_path, e, sizeof(e)));
	ARG("-serial"), ARG("chardev:netvm-agent");
	ARG("-kernel"), ARG("%s", c->idle.kernel);
	if (c->idle.initrd[0] != '\0')
		ARG("-initrd"), ARG("%s", c->idle.initrd);
	ARG("-append"), ARG("console=ttyS0 panic=-1 quiet netvm.agent");
	if (incoming)
		ARG("-incoming"), ARG("defer");
#undef ARG
	for (i = 0; i < n; i++)
		argv[i] = a[i];
	argv[n] = NULL;
	unlink(v->qmp_path);
	unlink(v->agent_path);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, v->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
	r = -posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (r < 0) {
		snprintf(err, errlen, "cannot run %s: %s (manager.qemu)", argv[0], strerror(-r));
		return r;
	}
	v->pid = pid;
	mgr_state_pid_write(v->pid_path, pid);
	v->state = MGR_IDLE_BOOTING;
	v->booted_ms = mgr_now_ms();
	v->ping_ms = 0;
	v->restored = incoming;
	mgr_log("idle vm %s: %s (pid %d)", v->name, incoming ? "restoring" : "booting", (int)pid);
	return 0;
}

/* Undo whatever part of an NF's start was done; cannot fail. Leaves the
 * QMP objects to the caller (a VM being destroyed needs no device_del). */
static void
idle_nf_release(struct mgr_idle_vm *v)
{
	mgr_ivs_stop(&v->ivs);
	nvm_attach_close(&v->att);
	unlink(v->lease_path);
	v->fdset = -1;
	v->guest_pid = 0;
	v->status_out = false;
	v->cmdline[0] = '\0';
}

/* Kill @v's QEMU, whatever it was doing, and free everything it held; the
 * slot is empty (the next tick boots a new one); @why becomes its
 * last_error; cannot fail. */
static void
idle_kill(struct mgr_idle_vm *v, const char *why)
{
	char prev[MGR_CFG_PATH_LEN + 8];
	int status;

	if (v->pid > 0) {
		kill(v->pid, SIGKILL);
		while (waitpid(v->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	mgr_qmp_close(&v->qmp);
	mgr_agent_close(&v->agent);
	idle_nf_release(v);
	unlink(v->qmp_path);
	unlink(v->agent_path);
	unlink(v->pid_path);
	/* the destroyed VM's console and QEMU's output stay for a look:
	 * <name>.console.prev, <name>.log.prev */
	if (snprintf(prev, sizeof(prev), "%s.prev", v->console_path) < (int)sizeof(prev))
		rename(v->console_path, prev);
	if (snprintf(prev, sizeof(prev), "%s.prev", v->log_path) < (int)sizeof(prev))
		rename(v->log_path, prev);
	if (v->pid > 0)
		mgr_log("idle vm %s: destroyed (pid %d): %s", v->name, (int)v->pid, why);
	snprintf(v->last_error, sizeof(v->last_error), "%s", why);
	v->pid = 0;
	v->state = MGR_IDLE_EMPTY;
	v->restored = false;
}

/* idle_kill() for a failure: counted as replaced. */
void
mgr_idle_destroy(struct mgr_idle_vm *v, const char *why)
{
	idle_kill(v, why);
	if (!v->template)
		v->m->idle->replaced++;
}

/* Booting VM @v at @now: connect to its agent, ping it; ready at the first
 * pong (a restored VM's clock set then); cannot fail (a VM that does not
 * get there in manager.boot_timeout_s is destroyed). */
void
mgr_idle_tick_booting(struct mgr_idle_vm *v, uint64_t now)
{
	char err[MGR_ERR_LEN];
	int r;

	if (now - v->booted_ms > (uint64_t)v->m->cfg.boot_s * 1000) {
		snprintf(err, sizeof(err), "its agent did not answer within %u s "
			 "(manager.boot_timeout_s; see %s)", v->m->cfg.boot_s, v->console_path);
		mgr_idle_destroy(v, err);
		return;
	}
	if (v->agent.fd < 0 && mgr_agent_connect(&v->agent, v->agent_path, err, sizeof(err)) < 0)
		return; /* QEMU is not listening yet */
	/* Before the guest's agent runs, the serial port may carry anything
	 * (the agent's own start): only a pong to our last ping counts, and
	 * at most IDLE_BOOT_LINES lines are read per tick. */
	r = mgr_agent_pong(&v->agent, IDLE_BOOT_LINES, err, sizeof(err));
	if (r < 0) {
		mgr_agent_close(&v->agent);
		return;
	}
	if (r == 1) {
		r = v->qmp.fd >= 0 ? 0 : mgr_qmp_connect(&v->qmp, v->qmp_path,
							  (int)v->m->cfg.idle.timeout_ms, err,
							  sizeof(err));
		if (r == 0 && v->restored)
			r = mgr_idle_tpl_clock(v, err, sizeof(err));
		if (r < 0) {
			mgr_idle_destroy(v, err);
			return;
		}
		v->state = MGR_IDLE_READY;
		v->ready_ms = now;
		mgr_log("idle vm %s: idle, its agent answers (%llu ms after QEMU started%s)",
			v->name, (unsigned long long)(now - v->booted_ms),
			v->restored ? ", restored from the template" : "");
		return;
	}
	/* one ping at a time while the guest does not read its port */
	if (now - v->ping_ms >= IDLE_PING_MS && v->agent.out_len == 0) {
		v->ping_ms = now;
		if (mgr_agent_send(&v->agent, "ping", NULL, err, sizeof(err)) < 0)
			mgr_agent_close(&v->agent);
	}
}

/* Whether the core closed the attachment of @v's NF (the core stopped). */
static bool
idle_core_gone(const struct mgr_idle_vm *v)
{
	struct pollfd p = { .fd = v->att.sock, .events = POLLIN | POLLRDHUP };

	return v->att.sock >= 0 && poll(&p, 1, 0) > 0 && p.revents != 0;
}

/*
 * A busy VM: is its NF still running, its core attachment still there? The
 * agent's answer to "status" is read at the ticks after the request (at
 * most idle.timeout_ms after it), and the request itself sent as the socket
 * takes it, so a guest that answers slowly or not at all, or does not read
 * its port, never holds up the manager's loop.
 */
static void
idle_tick_busy(struct mgr_idle_vm *v, uint64_t now)
{
	struct mgr_agent_answer a;
	char err[MGR_ERR_LEN], why[MGR_ERR_LEN + 64];
	int r;

	if (v->status_out) {
		r = mgr_agent_reply(&v->agent, 0, &a, err, sizeof(err));
		if (r == 0 && now - v->checked_ms < v->m->cfg.idle.timeout_ms)
			return;
		v->status_out = false;
		if (r == 0) {
			mgr_agent_timeout(&v->agent, "status", v->m->cfg.idle.timeout_ms, err,
					  sizeof(err));
			r = -ETIMEDOUT;
		}
		if (r < 0) {
			snprintf(why, sizeof(why), "while it ran nf id %u: %s", v->att.nf_id, err);
			mgr_idle_destroy(v, why);
			return;
		}
		if (a.verb == MGR_AGENT_RUNNING)
			return;
		snprintf(why, sizeof(why), "its NF (nf id %u) %s %u", v->att.nf_id,
			 a.verb == MGR_AGENT_EXITED ? "exited with status" : "is gone, status",
			 a.value);
	} else {
		if (now - v->checked_ms < IDLE_CHECK_MS)
			return;
		v->checked_ms = now;
		if (!idle_core_gone(v)) {
			r = mgr_agent_ask(&v->agent, "status", NULL, err, sizeof(err));
			if (r < 0) {
				snprintf(why, sizeof(why), "while it ran nf id %u: %s", v->att.nf_id,
					 err);
				mgr_idle_destroy(v, why);
				return;
			}
			v->status_out = true;
			return;
		}
		snprintf(why, sizeof(why), "the core engine closed the attachment of nf id %u",
			 v->att.nf_id);
	}
	mgr_log("idle vm %s: %s; stopping it", v->name, why);
	if (mgr_idle_stop_nf(v, err, sizeof(err)) < 0)
		mgr_log("idle vm %s: %s", v->name, err);
}

/* The answer to a status check of @v still awaited (idle_tick_busy()), read
 * before another request: at most idle.timeout_ms after the check. 0, or a
 * negative errno with a message in @err. */
static int
idle_status_settle(struct mgr_idle_vm *v, char *err, size_t errlen)
{
	uint64_t end = v->checked_ms + v->m->cfg.idle.timeout_ms, now = mgr_now_ms();
	struct mgr_agent_answer a;
	int r;

	if (!v->status_out)
		return 0;
	v->status_out = false;
	r = mgr_agent_reply(&v->agent, now < end ? (int)(end - now) : 0, &a, err, errlen);
	if (r == 0) {
		mgr_agent_timeout(&v->agent, "status", v->m->cfg.idle.timeout_ms, err, errlen);
		return -ETIMEDOUT;
	}
	return r < 0 ? r : 0;
}

/* Whether @v's QEMU exited; it is then destroyed (the slot empty, the
 * reason in its last_error). Cannot fail. */
bool
mgr_idle_reap(struct mgr_idle_vm *v)
{
	char why[64];
	int status;

	if (v->pid <= 0 || waitpid(v->pid, &status, WNOHANG) != v->pid)
		return false;
	snprintf(why, sizeof(why), "QEMU exited (%s %d)", WIFSIGNALED(status) ? "signal" : "status",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	v->pid = 0;
	mgr_log("idle vm %s: %s", v->name, why);
	mgr_idle_destroy(v, why);
	return true;
}

/*
 * Periodic work of the idle pool at @now_ms: reap QEMUs that exited, boot
 * empty slots (the refill), notice booting VMs whose agent answers, check
 * busy VMs' NFs; cannot fail (problems destroy the VM, which is replaced).
 */
void
mgr_idle_tick(struct mgr *m, uint64_t now_ms)
{
	struct mgr_idle *p = m->idle;
	char err[MGR_ERR_LEN];
	unsigned int i;

	if (p != NULL && p->nb > 0 && m->cfg.idle.template)
		mgr_idle_tpl_tick(m, now_ms);
	for (i = 0; p != NULL && i < p->nb; i++) {
		struct mgr_idle_vm *v = &p->vms[i];

		mgr_idle_reap(v);
		switch (v->state) {
		case MGR_IDLE_EMPTY:
			if (now_ms < v->booted_ms + m->cfg.backoff_ms)
				break; /* a failed boot is retried after restart_backoff_ms */
			if (m->cfg.idle.template) {
				if (!mgr_idle_tpl_ready(m))
					break; /* no cold boot instead: it waits for the template */
				v->booted_ms = now_ms;
				if (mgr_idle_tpl_restore(v, err, sizeof(err)) < 0)
					mgr_log("idle vm %s: cannot restore it: %s", v->name, err);
				break;
			}
			v->booted_ms = now_ms;
			if (mgr_idle_boot(v, false, err, sizeof(err)) < 0)
				mgr_log("idle vm %s: cannot boot: %s", v->name, err);
			break;
		case MGR_IDLE_BOOTING:
			mgr_idle_tick_booting(v, now_ms);
			break;
		case MGR_IDLE_BUSY:
			idle_tick_busy(v, now_ms);
			break;
		default:
			break;
		}
	}
}

/* QMP command { "execute": @name, "arguments": @args } (@args consumed) to
 * @v's QEMU with @fd attached when >= 0, bounded by idle.timeout_ms: 0 with
 * the "return" value in *@ret (when not NULL), or mgr_qmp_cmd()'s errors. */
int
mgr_idle_qmp(struct mgr_idle_vm *v, const char *name, struct json_object *args, int fd,
	 struct json_object **ret, char *err, size_t errlen)
{
	return mgr_qmp_exec(&v->qmp, name, args, fd, (int)v->m->cfg.idle.timeout_ms, ret, err,
			    errlen);
}

static struct json_object *
idle_args(const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, k1, json_object_new_string(v1));
	if (k2 != NULL)
		json_object_object_add(o, k2, json_object_new_string(v2));
	return o;
}

/* Step 3: the pool and the doorbell hot-plugged, as mgr_qemu.c's command line. */
static int
idle_plug(struct mgr_idle_vm *v, char *err, size_t errlen)
{
	struct json_object *ret = NULL, *o, *be, *addr;
	char path[64];
	int64_t fd;
	int r;

	r = mgr_idle_qmp(v, "add-fd", NULL, v->att.pool_fd, &ret, err, errlen);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(ret, "fd", &o) || !json_object_is_type(o, json_type_int) ||
	    (fd = json_object_get_int64(o)) < 0 || fd > 1 << 20 ||
	    !json_object_object_get_ex(ret, "fdset-id", &o) ||
	    !json_object_is_type(o, json_type_int)) {
		json_object_put(ret);
		snprintf(err, errlen, "QMP add-fd: an answer without fd and fdset-id");
		return -EPROTO;
	}
	v->fdset = json_object_get_int64(o);
	json_object_put(ret);
	snprintf(path, sizeof(path), "/proc/self/fd/%lld", (long long)fd);
	o = idle_args("qom-type", "memory-backend-file", "id", "netvm-pool");
	json_object_object_add(o, "mem-path", json_object_new_string(path));
	json_object_object_add(o, "size", json_object_new_uint64(v->att.pool_size));
	json_object_object_add(o, "share", json_object_new_boolean(1));
	if ((r = mgr_idle_qmp(v, "object-add", o, -1, NULL, err, errlen)) < 0)
		return r;
	o = idle_args("driver", "ivshmem-plain", "id", "netvm-pool-dev");
	json_object_object_add(o, "memdev", json_object_new_string("netvm-pool"));
	json_object_object_add(o, "addr", json_object_new_string("0x10"));
	if ((r = mgr_idle_qmp(v, "device_add", o, -1, NULL, err, errlen)) < 0)
		return r;
	addr = json_object_new_object();
	json_object_object_add(addr, "type", json_object_new_string("unix"));
	json_object_object_add(addr, "data", idle_args("path", v->bell_path, NULL, NULL));
	be = json_object_new_object();
	json_object_object_add(be, "addr", addr);
	json_object_object_add(be, "server", json_object_new_boolean(0));
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("socket"));
	json_object_object_add(o, "data", be);
	be = idle_args("id", "netvm-bell", NULL, NULL);
	json_object_object_add(be, "backend", o);
	if ((r = mgr_idle_qmp(v, "chardev-add", be, -1, NULL, err, errlen)) < 0)
		return r;
	o = idle_args("driver", "ivshmem-doorbell", "id", "netvm-bell-dev");
	json_object_object_add(o, "chardev", json_object_new_string("netvm-bell"));
	json_object_object_add(o, "vectors", json_object_new_int(1));
	json_object_object_add(o, "addr", json_object_new_string("0x11"));
	return mgr_idle_qmp(v, "device_add", o, -1, NULL, err, errlen);
}

static bool
idle_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* Whether @v's QEMU has exited, how in @how; it is left unreaped (for
 * idle_kill(), which the failed step's caller runs). */
static bool
idle_qemu_exited(const struct mgr_idle_vm *v, char *how, size_t len)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (v->pid <= 0 || waitid(P_PID, (id_t)v->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
	    si.si_pid != v->pid)
		return false;
	snprintf(how, len, "QEMU exited (%s %d)", si.si_code == CLD_EXITED ? "status" : "signal",
		 si.si_status);
	return true;
}

/* Steps 1-5 in ready VM @v; 0 or a negative errno with the step in @err. */
static int
idle_provision(struct mgr_idle_vm *v, uint16_t role, uint16_t queues, const char *cmdline,
	       char *err, size_t errlen)
{
	const struct mgr_cfg *c = &v->m->cfg;
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	struct mgr_agent_answer a;
	char msg[MGR_ERR_LEN], args[MGR_CFG_NF_LEN + 8];
	uint64_t t0 = mgr_now_ms(), t;
	int r, n;

	v->fdset = -1;
	r = nvm_attach_lease(&v->att, c->core_socket, role, queues, MGR_ATTACH_TIMEOUT_MS, msg,
			     sizeof(msg));
	if (r < 0)
		goto fail_attach;
	/* for the next manager, should this one die: it ends the lease */
	r = mgr_state_lease_write(v->lease_path, v->att.nf_id, v->att.token);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot write %s: %s", v->lease_path, strerror(-r));
		goto fail_attach;
	}
	if (!idle_pow2(v->att.pool_size) || !idle_pow2(v->att.priv_size)) {
		snprintf(msg, sizeof(msg), "the core's pool (%llu bytes) or private region (%llu) "
			 "is not a power of two: ivshmem cannot map it",
			 (unsigned long long)v->att.pool_size,
			 (unsigned long long)v->att.priv_size);
		r = -EINVAL;
		goto fail_attach;
	}
	r = mgr_ivs_start(&v->ivs, v->bell_path, v->att.nf_id, v->att.priv_fd,
			  v->att.doorbell_fd, (gid_t)-1, msg, sizeof(msg));
	if (r < 0)
		goto fail_attach;
	t = mgr_now_ms();
	v->timing_ms[0] = (unsigned int)(t - t0);
	r = idle_plug(v, msg, sizeof(msg));
	if (r < 0) {
		snprintf(err, errlen, "hot-plugging its devices: %.400s", msg);
		return r;
	}
	v->timing_ms[1] = (unsigned int)(mgr_now_ms() - t);
	t = mgr_now_ms();
	/* the arguments apart from msg: a command line may be longer than a message */
	n = snprintf(args, sizeof(args), IDLE_UIO_DEVICES " %s", cmdline);
	if (n < 0 || (size_t)n >= sizeof(args)) {
		snprintf(msg, sizeof(msg), "the NF command line is too long for the agent");
		r = -E2BIG;
	} else {
		r = mgr_agent_request(&v->agent, "run", args, (int)c->idle.timeout_ms + 10000, &a,
				      msg, sizeof(msg));
	}
	if (r == 0 && a.verb != MGR_AGENT_STARTED) {
		snprintf(msg, sizeof(msg), "agent: answered run with something else than started");
		r = -EPROTO;
	}
	if (r < 0) {
		snprintf(err, errlen, "starting the NF: %.400s", msg);
		return r;
	}
	v->guest_pid = a.value;
	v->timing_ms[2] = (unsigned int)(mgr_now_ms() - t);
	t = mgr_now_ms();
	while ((r = mgr_tel_nf_live(v->m->tel_path, v->att.nf_id, msg, sizeof(msg))) != 1) {
		/* a VM that died meanwhile runs no NF: said now, not at timeout_ms */
		if (idle_qemu_exited(v, msg, sizeof(msg))) {
			snprintf(err, errlen, "waiting for the NF to attach: %.400s", msg);
			return -ECHILD;
		}
		if (mgr_now_ms() - t > c->idle.timeout_ms) {
			snprintf(err, errlen, "the NF did not attach (the core's nf%u_live) within "
				 "%u ms (idle.timeout_ms; see %s)", v->att.nf_id, c->idle.timeout_ms,
				 v->console_path);
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
	v->timing_ms[3] = (unsigned int)(mgr_now_ms() - t);
	return 0;
fail_attach:
	snprintf(err, errlen, "attaching to the core: %.400s", msg);
	return r;
}

/*
 * Start NF @cmdline (the guest's command line, no line break) for role
 * @role with @queues ring sets in an idle VM of manager @m: a fresh core
 * attach, its pool and doorbell hot-plugged, the NF run by the guest's
 * agent. Returns once the core says the NF's instance is live: the
 * instance handle (its nf id is handle->att.nf_id), to stop with
 * mgr_idle_stop_nf(). NULL with a message in @err when no VM is idle or a
 * step failed (that VM is destroyed and replaced; nothing is left attached).
 */
struct mgr_idle_vm *
mgr_idle_start_nf(struct mgr *m, uint16_t role, uint16_t queues, const char *cmdline,
		  char *err, size_t errlen)
{
	struct mgr_idle *p = m->idle;
	struct mgr_idle_vm *v = NULL;
	unsigned int i, booting = 0;
	char msg[MGR_ERR_LEN];
	uint64_t t0 = mgr_now_ms();

	if (strpbrk(cmdline, "\n\r") != NULL || cmdline[0] == '\0' ||
	    strlen(cmdline) >= MGR_CFG_NF_LEN) {
		snprintf(err, errlen, "the NF command line is empty, too long (at most %d "
			 "characters) or holds a line break", MGR_CFG_NF_LEN - 1);
		return NULL;
	}
	for (i = 0; p != NULL && i < p->nb && v == NULL; i++) {
		if (p->vms[i].state == MGR_IDLE_READY && !mgr_idle_reap(&p->vms[i]))
			v = &p->vms[i];
		booting += p->vms[i].state == MGR_IDLE_BOOTING;
	}
	if (v == NULL) {
		snprintf(err, errlen, "no idle VM is ready (%u booting; idle.count = %u%s%.300s)",
			 booting, p != NULL ? p->nb : 0,
			 p != NULL && p->tpl.error[0] ? "; idle template: " : "",
			 p != NULL ? p->tpl.error : "");
		return NULL;
	}
	if (idle_provision(v, role, queues, cmdline, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "idle vm %s: %.400s; the VM is destroyed and replaced", v->name,
			 msg);
		mgr_idle_destroy(v, msg);
		snprintf(v->last_error, sizeof(v->last_error), "%s", err);
		return NULL;
	}
	v->state = MGR_IDLE_BUSY;
	v->role = role;
	v->queues = queues;
	snprintf(v->cmdline, sizeof(v->cmdline), "%s", cmdline);
	v->nf_started_ms = v->checked_ms = mgr_now_ms();
	v->nfs++;
	p->provisioned++;
	mgr_log("idle vm %s: runs nf id %u, role %u, in %llu ms (attach %u, hot-plug %u, agent "
		"%u, live %u): %s", v->name, v->att.nf_id, role,
		(unsigned long long)(v->nf_started_ms - t0), v->timing_ms[0], v->timing_ms[1],
		v->timing_ms[2], v->timing_ms[3], cmdline);
	return v;
}

/* device_del @id and wait for the guest to let it go. */
static int
idle_unplug(struct mgr_idle_vm *v, const char *id, char *err, size_t errlen)
{
	int r = mgr_idle_qmp(v, "device_del", idle_args("id", id, NULL, NULL), -1, NULL, err, errlen);

	return r < 0 ? r : mgr_qmp_wait_deleted(&v->qmp, &id, 1, (int)v->m->cfg.idle.timeout_ms,
						err, errlen);
}

/*
 * Stop the NF of instance handle @v (mgr_idle_start_nf()): the agent stops
 * it, its devices are unplugged, its core lease ended (the core reclaims its
 * buffers). The VM goes back to the idle pool when all of that went cleanly
 * and its agent still answers; otherwise it is destroyed and replaced.
 * Returns 0 (the NF is gone either way), or -EINVAL when @v runs no NF; a
 * message in @err says what became of the VM.
 */
int
mgr_idle_stop_nf(struct mgr_idle_vm *v, char *err, size_t errlen)
{
	struct mgr_agent_answer a;
	char msg[MGR_ERR_LEN];
	uint32_t id = v->att.nf_id;
	int r, timeout = (int)v->m->cfg.idle.timeout_ms;

	if (v->state != MGR_IDLE_BUSY) {
		snprintf(err, errlen, "idle vm %s runs no NF", v->name);
		return -EINVAL;
	}
	r = idle_status_settle(v, msg, sizeof(msg));
	if (r == 0)
		r = mgr_agent_request(&v->agent, "stop", NULL, timeout, &a, msg, sizeof(msg));
	if (r == 0 && a.verb != MGR_AGENT_STOPPED) {
		snprintf(msg, sizeof(msg), "agent: answered stop with something else than stopped");
		r = -EPROTO;
	}
	if (r == 0 && !v->m->cfg.idle.reuse) {
		/* One NF per VM: stock QEMU 7.2 crashes when ivshmem devices are
		 * plugged into a VM a second time after device_del (the unplugged
		 * doorbell's eventfd stays watched; qemu-patches/0003), so the VM
		 * is retired and a fresh one takes its slot (idle.reuse = true,
		 * for the patched QEMU, keeps it; docs/manager.md section 11). */
		snprintf(err, errlen, "nf id %u stopped; idle vm %s retired, a fresh VM takes its "
			 "slot", id, v->name);
		mgr_log("idle vm %s: %s", v->name, err);
		idle_kill(v, err);
		v->m->idle->retired++;
		return 0;
	}
	if (r == 0)
		r = idle_unplug(v, "netvm-bell-dev", msg, sizeof(msg));
	if (r == 0)
		r = idle_unplug(v, "netvm-pool-dev", msg, sizeof(msg));
	if (r == 0)
		r = mgr_idle_qmp(v, "chardev-remove", idle_args("id", "netvm-bell", NULL, NULL), -1,
			     NULL, msg, sizeof(msg));
	if (r == 0)
		r = mgr_idle_qmp(v, "object-del", idle_args("id", "netvm-pool", NULL, NULL), -1, NULL,
			     msg, sizeof(msg));
	if (r == 0 && v->fdset >= 0) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "fdset-id", json_object_new_int64(v->fdset));
		r = mgr_idle_qmp(v, "remove-fd", o, -1, NULL, msg, sizeof(msg));
	}
	if (r == 0)
		r = mgr_agent_request(&v->agent, "ping", NULL, timeout, &a, msg, sizeof(msg));
	if (r < 0) {
		snprintf(err, errlen, "nf id %u stopped; idle vm %s destroyed and replaced: %.400s", id,
			 v->name, msg);
		mgr_idle_destroy(v, msg);
		snprintf(v->last_error, sizeof(v->last_error), "%s", err);
		return 0;
	}
	idle_nf_release(v);
	v->state = MGR_IDLE_READY;
	snprintf(err, errlen, "nf id %u stopped; idle vm %s is idle again", id, v->name);
	mgr_log("idle vm %s: %s", v->name, err);
	return 0;
}

/* The busy VM whose NF is instance @nf_id, or NULL. */
struct mgr_idle_vm *
mgr_idle_find_nf(struct mgr *m, uint32_t nf_id)
{
	unsigned int i;

	for (i = 0; m->idle != NULL && i < m->idle->nb; i++)
		if (m->idle->vms[i].state == MGR_IDLE_BUSY && m->idle->vms[i].att.nf_id == nf_id)
			return &m->idle->vms[i];
	return NULL;
}

/* @v as netvmctl's "idle list" shows it (a new object). */
struct json_object *
mgr_idle_json(const struct mgr_idle_vm *v, uint64_t now_ms)
{
	struct json_object *o = json_object_new_object(), *t;
	bool busy = v->state == MGR_IDLE_BUSY;
	unsigned int i;

	json_object_object_add(o, "name", json_object_new_string(v->name));
	json_object_object_add(o, "state", json_object_new_string(idle_states[v->state]));
	json_object_object_add(o, "pid", v->pid > 0 ? json_object_new_int(v->pid) : NULL);
	json_object_object_add(o, "nf_id", busy ? json_object_new_int((int)v->att.nf_id) : NULL);
	json_object_object_add(o, "role", busy ? json_object_new_int(v->role) : NULL);
	json_object_object_add(o, "nf", busy ? json_object_new_string(v->cmdline) : NULL);
	json_object_object_add(o, "nf_uptime_s", busy ?
			       json_object_new_int64((int64_t)(now_ms - v->nf_started_ms) / 1000) :
			       NULL);
	json_object_object_add(o, "nfs_run", json_object_new_int((int)v->nfs));
	t = json_object_new_array();
	for (i = 0; busy && i < 4; i++)
		json_object_array_add(t, json_object_new_int((int)v->timing_ms[i]));
	json_object_object_add(o, "start_ms", busy ? t : NULL);
	if (!busy)
		json_object_put(t);
	json_object_object_add(o, "console", json_object_new_string(v->console_path));
	json_object_object_add(o, "last_error", v->last_error[0] ?
			       json_object_new_string(v->last_error) : NULL);
	return o;
}

/* At manager exit: stop every NF (ending its lease) and every idle VM;
 * cannot fail. */
void
mgr_idle_shutdown(struct mgr *m)
{
	struct mgr_idle *p = m->idle;
	unsigned int i;

	if (p == NULL)
		return;
	mgr_idle_tpl_shutdown(m);
	for (i = 0; i < p->nb; i++) {
		struct mgr_idle_vm *v = &p->vms[i];

		unlink(v->bell_path);
		if (v->pid > 0 || v->att.sock >= 0)
			mgr_idle_destroy(v, "the manager stops");
	}
	free(p->vms);
	free(p);
	m->idle = NULL;
}

/* Whether @name is one the pool gives its VMs: idle<N> or idle-tpl. */
static bool
idle_name_ours(const char *name)
{
	size_t n = strncmp(name, "idle", 4) == 0 ? strspn(name + 4, "0123456789") : 0;

	return strcmp(name, "idle-tpl") == 0 || (n > 0 && name[4 + n] == '\0');
}

/* Stop idle VM @name's QEMU of pidfile @pidfile left by a previous manager
 * (a process taken for it only if its command line names the VM's agent
 * socket), end its NF's lease, remove its files; cannot fail. */
static void
idle_orphan(struct mgr *m, const char *name, const char *pidfile)
{
	static const char *const gone[] = { "agent", "qmp", "sock", "console", "log" };
	char path[MGR_CFG_PATH_LEN], nf[48] = "", what[MGR_CFG_NAME_LEN + 16];
	uint64_t token;
	uint32_t id;
	unsigned int i;
	pid_t pid = 0;

	if (idle_path(path, sizeof(path), m, name, IDLE_LEASE_EXT) == 0 &&
	    mgr_state_lease_read(path, &id, &token) == 0)
		snprintf(nf, sizeof(nf), "; ending the lease of its nf id %u", id);
	snprintf(what, sizeof(what), "idle vm %s", name);
	if (idle_path(path, sizeof(path), m, name, "agent") == 0)
		pid = mgr_state_vm_pid(pidfile, path, what);
	if (pid > 0) {
		mgr_log("idle vm %s: stopping QEMU pid %d left by a previous netvm-manager%s",
			name, (int)pid, nf);
		mgr_state_kill(pid);
	} else if (nf[0] != '\0') {
		mgr_log("idle vm %s: no QEMU of a previous netvm-manager runs%s", name, nf);
	}
	unlink(pidfile);
	if (idle_path(path, sizeof(path), m, name, IDLE_LEASE_EXT) == 0)
		mgr_state_lease_end(&m->cfg, path);
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		if (idle_path(path, sizeof(path), m, name, gone[i]) == 0)
			unlink(path);
}

/*
 * At start, before the pool boots: stop the idle VMs' QEMUs a previous
 * manager of this state directory left running (it was killed or crashed;
 * idle VMs are not adopted), end the leases of the NFs they ran, remove
 * their files and the template; cannot fail (what cannot be removed is left).
 */
void
mgr_idle_orphans(struct mgr *m)
{
	/* a VM is found by its pidfile, or by its lease file when QEMU was gone */
	static const char *const ext[] = { "." IDLE_PID_EXT, "." IDLE_LEASE_EXT };
	char name[MGR_CFG_NAME_LEN], file[MGR_CFG_PATH_LEN];
	DIR *d = opendir(m->cfg.state_dir);
	struct dirent *e;
	size_t len, elen;
	unsigned int i;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		for (i = 0; i < 2; i++) {
			elen = strlen(ext[i]);
			if (len > elen && len - elen < sizeof(name) &&
			    strcmp(e->d_name + len - elen, ext[i]) == 0)
				break;
		}
		if (i == 2)
			continue;
		memcpy(name, e->d_name, len - elen);
		name[len - elen] = '\0';
		if (idle_name_ours(name) &&
		    idle_path(file, sizeof(file), m, name, IDLE_PID_EXT) == 0)
			idle_orphan(m, name, file);
	}
	closedir(d);
	if (idle_path(file, sizeof(file), m, "idle", "template") == 0)
		unlink(file);
}
