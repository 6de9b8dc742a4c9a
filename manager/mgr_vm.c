/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_vm.c — one VM's life: start, watch, go down, restart.
 *
 *   STOPPED --start--> STARTING --QEMU connects--> BOOTING --the guest's--> RUNNING
 *      ^                  |          its chardev       |      NF runs        |
 *      |  stop            +--- QEMU exits, chardev closes, core closes the --+
 *      |                  |    attachment, connect or boot timeout
 *      |                  v
 *      +-- clean exit -- down --policy--> BACKOFF --delay--> (start again)
 *                         |
 *                         +--never / limit reached--> FAILED
 *
 * Starting a VM: attach to the core on its behalf (a lease, written to
 * <name>.lease; the core gives the regions' fds), serve its
 * chardev socket, then let the launcher run QEMU. The guest's NF runs when
 * the core's telemetry says its instance is live. Going down undoes all of
 * it; ending the lease is what makes the core reclaim the VM's buffers.
 *
 * A manager that dies leaves its VMs running and their leases orphaned in
 * the core, which keeps forwarding through them for core.lease_s; the next
 * manager adopts each QEMU still running with its lease (mgr_vm_adopt()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mgr.h"
#include "mgr_launcher.h"
#include "mgr_migrate.h"

#define MGR_DOWN_WAIT_MS 1000 /* for QEMU to exit by itself once its connection closed */

static const char *const mgr_vm_states[] = {
	[MGR_VM_STOPPED] = "stopped", [MGR_VM_STARTING] = "starting",
	[MGR_VM_BOOTING] = "booting", [MGR_VM_RUNNING] = "running", [MGR_VM_BACKOFF] = "down",
	[MGR_VM_FAILED] = "failed",
};

/* The name netvmctl shows for state @s ("?" for none); cannot fail. */
const char *
mgr_vm_state_name(enum mgr_vm_state s)
{
	return (unsigned int)s < sizeof(mgr_vm_states) / sizeof(mgr_vm_states[0]) ?
	       mgr_vm_states[s] : "?";
}

static int
mgr_vm_path(char *dst, size_t len, const char *dir, const char *name, const char *ext)
{
	int n = snprintf(dst, len, "%s/%s.%s", dir, name, ext);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Set up @vm for VM @cfg of manager @m: its paths and launcher; nothing is
 * started. Returns 0, or a negative errno with a message naming the
 * configuration line in @err (a path too long, a launcher not built in).
 */
int
mgr_vm_init(struct mgr *m, struct mgr_vm *vm, const struct mgr_vm_cfg *cfg, char *err,
	    size_t errlen)
{
	const char *dir = m->cfg.state_dir;

	memset(vm, 0, sizeof(*vm));
	vm->m = m;
	vm->cfg = cfg;
	vm->state = MGR_VM_STOPPED;
	nvm_attach_init(&vm->att);
	mgr_ivs_init(&vm->ivs);
	vm->core_tag = (struct mgr_tag){ MGR_TAG_CORE, vm };
	vm->ivs_tag = (struct mgr_tag){ MGR_TAG_IVS, vm };
	vm->launcher = mgr_launcher_get(cfg->launcher);
	if (vm->launcher == NULL) {
		snprintf(err, errlen, "%s:%u: vm %s: launcher \"%s\": this netvm-manager was built "
			 "without it (install libvirt-dev and rebuild)", m->cfg_path,
			 cfg->launcher_line, cfg->name, mgr_cfg_launcher_name(cfg->launcher));
		return -ENOTSUP;
	}
	if (mgr_vm_path(vm->sock_path, sizeof(vm->sock_path), dir, cfg->name, "sock") < 0 ||
	    mgr_vm_path(vm->pid_path, sizeof(vm->pid_path), dir, cfg->name, "pid") < 0 ||
	    mgr_vm_path(vm->console_path, sizeof(vm->console_path), dir, cfg->name, "console") < 0 ||
	    mgr_vm_path(vm->log_path, sizeof(vm->log_path), dir, cfg->name, "log") < 0 ||
	    mgr_vm_path(vm->lease_path, sizeof(vm->lease_path), dir, cfg->name, "lease") < 0) {
		snprintf(err, errlen, "%s:%u: vm %s: %s/%s.sock is longer than a unix socket path "
			 "(%zu characters): shorten manager.state_dir", m->cfg_path, cfg->line,
			 cfg->name, dir, cfg->name, sizeof(vm->sock_path) - 1);
		return -ENAMETOOLONG;
	}
	if (cfg->kernel[0] != '\0') {
		/* the files as they are now: a line too long could never boot */
		char line[MGR_CMDLINE_MAX + 1], why[MGR_ERR_LEN];
		int r = mgr_vm_cmdline(vm, line, sizeof(line), why, sizeof(why));

		if (r < 0) {
			snprintf(err, errlen, "%s:%u: %s", m->cfg_path, cfg->line, why);
			return r;
		}
	}
	return 0;
}

/* Remove the fw_cfg files of mgr_vm_fw_file(): QEMU read them when it started. */
static void
mgr_vm_fw_files_remove(const struct mgr_vm *vm)
{
	char path[MGR_CFG_PATH_LEN + MGR_CFG_NAME_LEN + 16];
	unsigned int i;

	for (i = 0; vm->cfg->disk[0] != '\0' && i < vm->cfg->nb_files; i++)
		if (snprintf(path, sizeof(path), "%s/%s.file%u", vm->m->cfg.state_dir,
			     vm->cfg->name, i) < (int)sizeof(path))
			unlink(path);
}

/* Undo a start, whatever part of it was done. */
static void
mgr_vm_teardown(struct mgr_vm *vm)
{
	if (vm->att.sock >= 0)
		mgr_unwatch(vm->m, vm->att.sock);
	if (vm->ivs.notify[0] >= 0)
		mgr_unwatch(vm->m, vm->ivs.notify[0]);
	/* QEMU first: it then holds nothing of the attachment when that goes. */
	if (vm->launcher->stop(vm) < 0)
		mgr_log("vm %s: could not stop QEMU (pid %d)", vm->cfg->name, (int)vm->pid);
	mgr_ivs_stop(&vm->ivs);
	nvm_attach_close(&vm->att);
	unlink(vm->lease_path);
	mgr_vm_fw_files_remove(vm);
	vm->adopted = false;
}

/* Whether @vm's QEMU is up (starting, booting or running); cannot fail. */
bool
mgr_vm_up(const struct mgr_vm *vm)
{
	return vm->state == MGR_VM_STARTING || vm->state == MGR_VM_BOOTING ||
	       vm->state == MGR_VM_RUNNING;
}

static bool
mgr_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* What the pool region the core gave is: its size, and its name for messages. */
static void
pool_info(struct mgr_vm *vm)
{
	char link[64];
	ssize_t n;

	vm->pool.size = vm->att.pool_size;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", vm->att.pool_fd);
	n = readlink(link, vm->pool.name, sizeof(vm->pool.name) - 1);
	vm->pool.name[n > 0 ? n : 0] = '\0';
}

/* Attach, take the pool's measure, serve the chardev: everything before QEMU. */
static int
mgr_vm_prepare(struct mgr_vm *vm, char *err, size_t errlen)
{
	const struct mgr_vm_cfg *c = vm->cfg;
	struct mgr *m = vm->m;
	gid_t gid = c->launcher == MGR_LAUNCH_LIBVIRT ? m->kvm_gid : (gid_t)-1;
	int r;

	r = nvm_attach_lease(&vm->att, m->cfg.core_socket, c->role, c->queues,
			     MGR_ATTACH_TIMEOUT_MS, err, errlen);
	if (r < 0)
		return r;
	r = mgr_state_lease_write(vm->lease_path, vm->att.nf_id, vm->att.token);
	if (r < 0) {
		snprintf(err, errlen, "cannot write %s: %s", vm->lease_path, strerror(-r));
		return r;
	}
	pool_info(vm);
	if (!mgr_pow2(vm->pool.size)) {
		snprintf(err, errlen, "pool %s is %llu bytes, not a power of two: QEMU's "
			 "ivshmem-plain cannot map it (choose the core's pool_buffers so that "
			 "(pool_buffers + 1) x buffer_size is a power of two, e.g. 16383 x 2048)",
			 vm->pool.name, (unsigned long long)vm->pool.size);
		return -EINVAL;
	}
	if (!mgr_pow2(vm->att.priv_size)) {
		snprintf(err, errlen, "the core gave a private region of %llu bytes, not a power "
			 "of two: ivshmem-doorbell cannot map it",
			 (unsigned long long)vm->att.priv_size);
		return -EINVAL;
	}
	/* The console shows this boot only. */
	unlink(vm->console_path);
	r = mgr_ivs_start(&vm->ivs, vm->sock_path, vm->att.nf_id, vm->att.priv_fd,
			  vm->att.doorbell_fd, gid, err, errlen);
	if (r < 0)
		return r;
	if ((r = mgr_watch(m, vm->att.sock, &vm->core_tag)) < 0 ||
	    (r = mgr_watch(m, vm->ivs.notify[0], &vm->ivs_tag)) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(-r));
		return r;
	}
	return 0;
}

/*
 * Start VM @vm now: attach it to the core, serve its chardev socket, start
 * QEMU. Returns 0, -EALREADY when it runs, or a negative errno with a
 * message for the operator in @err (nothing is left running then).
 */
int
mgr_vm_start(struct mgr_vm *vm, char *err, size_t errlen)
{
	return mgr_vm_start_incoming(vm, NULL, err, errlen);
}

/* As mgr_vm_start(); with @incoming (launcher qemu only) QEMU waits for a
 * migration stream there instead of booting (mgr_migrate.c). */
int
mgr_vm_start_incoming(struct mgr_vm *vm, const char *incoming, char *err, size_t errlen)
{
	int r;

	if (mgr_vm_up(vm)) {
		snprintf(err, errlen, "vm %s is %s already", vm->cfg->name,
			 mgr_vm_state_name(vm->state));
		return -EALREADY;
	}
	vm->exit_how[0] = '\0';
	vm->exit_clean = false;
	r = mgr_vm_prepare(vm, err, errlen);
	if (r == 0)
		r = incoming != NULL ? mgr_qemu_start(vm, incoming, err, errlen) :
				       vm->launcher->start(vm, err, errlen);
	if (r < 0) {
		mgr_vm_teardown(vm);
		snprintf(vm->error, sizeof(vm->error), "%s", err);
		return r;
	}
	vm->error[0] = '\0';
	vm->state = MGR_VM_STARTING;
	vm->incoming = incoming != NULL;
	vm->started_ms = mgr_now_ms();
	vm->starts++;
	mgr_log("vm %s: starting (%s launcher, pid %d): nf id %u, role %u, pool %s (%llu MiB), "
		"chardev %s", vm->cfg->name, vm->launcher->name, (int)vm->pid, vm->att.nf_id,
		vm->cfg->role, vm->pool.name, (unsigned long long)(vm->pool.size >> 20),
		vm->sock_path);
	return 0;
}

static size_t
mgr_b64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

/*
 * Write the guest kernel's command line of @vm to @buf (at most
 * MGR_CMDLINE_MAX characters): the console, netvm.run="<nf>", and one
 * netvm.file=/PATH:BASE64 per configured file, read now. Returns 0, or a
 * negative errno with a message in @err (a file unreadable, the line too long).
 */
int
mgr_vm_cmdline(const struct mgr_vm *vm, char *buf, size_t len, char *err, size_t errlen)
{
	const struct mgr_vm_cfg *c = vm->cfg;
	uint8_t data[MGR_CMDLINE_MAX];
	char b64[MGR_CMDLINE_MAX * 2];
	size_t n, used;
	unsigned int i;
	FILE *f;

	used = (size_t)snprintf(buf, len, "console=ttyS0 panic=-1 quiet");
	if (c->nf[0] != '\0')
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
					 " netvm.run=\"%s\"", c->nf);
	for (i = 0; i < c->nb_files && used < len; i++) {
		f = fopen(c->files[i].host, "re");
		if (f == NULL) {
			int r = -errno;

			snprintf(err, errlen, "%s (files of vm %s): %s", c->files[i].host, c->name,
				 strerror(-r));
			return r;
		}
		n = fread(data, 1, sizeof(data), f);
		if (ferror(f)) {
			/* a directory opens, and reads as an error: not an empty file */
			int r = errno != 0 ? -errno : -EIO;

			fclose(f);
			snprintf(err, errlen, "%s (files of vm %s): %s", c->files[i].host, c->name,
				 strerror(-r));
			return r;
		}
		fclose(f);
		mgr_b64(data, n, b64);
		used += (size_t)snprintf(buf + used, len - used, " netvm.file=%s:%s",
					 c->files[i].guest, b64);
	}
	if (used >= len || used > MGR_CMDLINE_MAX) {
		snprintf(err, errlen, "vm %s: the kernel command line (nf and files, base64) is "
			 "longer than the guest kernel takes (%d characters): shorten nf or the "
			 "files", c->name, MGR_CMDLINE_MAX);
		return -E2BIG;
	}
	return 0;
}

/*
 * Write file @i of @vm's `files` for a disk-booted guest, whose /init reads it
 * from QEMU's firmware config (opt/netvm/file<i>): "/GUEST/PATH:BASE64", the
 * format of netvm.file=, into <state_dir>/<name>.file<i> (mode 0644: QEMU
 * reads it, also as libvirt's unprivileged user), named in @path. Unlike the
 * kernel command line this bounds no size. Returns 0, or a negative errno with
 * a message in @err (the host file unreadable, the state file not writable).
 */
int
mgr_vm_fw_file(const struct mgr_vm *vm, unsigned int i, char *path, size_t len, char *err,
	       size_t errlen)
{
	const struct mgr_vm_cfg *c = vm->cfg;
	uint8_t data[3 * 1024];
	char b64[4 * 1024 + 1];
	FILE *in, *out;
	size_t n;
	int r = 0;

	if (snprintf(path, len, "%s/%s.file%u", vm->m->cfg.state_dir, c->name, i) >= (int)len) {
		snprintf(err, errlen, "vm %s: %s/%s.file%u: path too long", c->name,
			 vm->m->cfg.state_dir, c->name, i);
		return -ENAMETOOLONG;
	}
	in = fopen(c->files[i].host, "re");
	if (in == NULL) {
		r = -errno;
		snprintf(err, errlen, "%s (files of vm %s): %s", c->files[i].host, c->name,
			 strerror(-r));
		return r;
	}
	unlink(path);
	out = fopen(path, "wxe");
	if (out == NULL) {
		r = -errno;
		snprintf(err, errlen, "vm %s: %s: %s", c->name, path, strerror(-r));
		fclose(in);
		return r;
	}
	fchmod(fileno(out), 0644);
	fprintf(out, "%s:", c->files[i].guest);
	/* Whole chunks are multiples of 3 bytes: padding only at the end. */
	while ((n = fread(data, 1, sizeof(data), in)) > 0) {
		mgr_b64(data, n, b64);
		fputs(b64, out);
	}
	if (ferror(in)) {
		r = errno != 0 ? -errno : -EIO;
		snprintf(err, errlen, "%s (files of vm %s): %s", c->files[i].host, c->name,
			 strerror(-r));
	}
	fclose(in);
	if (fclose(out) != 0 && r == 0) {
		r = -errno;
		snprintf(err, errlen, "vm %s: %s: %s", c->name, path, strerror(-r));
	}
	return r;
}

/* Stop VM @vm at the operator's request; it stays stopped. Returns 0 (a VM
 * that was not running is left as it is). */
int
mgr_vm_stop(struct mgr_vm *vm)
{
	bool was_up = mgr_vm_up(vm);

	mgr_vm_teardown(vm);
	vm->state = MGR_VM_STOPPED;
	vm->incoming = false;
	vm->restarts = 0;
	if (was_up)
		mgr_log("vm %s: stopped", vm->cfg->name);
	return 0;
}

/* Apply the restart policy to a VM that went down (or failed to start). */
static void
mgr_vm_policy(struct mgr_vm *vm, const char *why, bool clean)
{
	const struct mgr_cfg *c = &vm->m->cfg;
	uint64_t delay;
	unsigned int i;

	if (vm->incoming) {
		/* the stream never came or never ran here: the VM still runs at its
		 * source, and a fresh boot here would run it twice */
		vm->incoming = false;
		vm->state = MGR_VM_STOPPED;
		mgr_log("vm %s: down: %s; not restarted: it was waiting for a migration that did "
			"not complete here (the VM runs at its source)", vm->cfg->name, why);
		return;
	}
	if (vm->cfg->restart == MGR_RESTART_NEVER ||
	    (vm->cfg->restart == MGR_RESTART_ON_FAILURE && clean)) {
		vm->state = clean ? MGR_VM_STOPPED : MGR_VM_FAILED;
		mgr_log("vm %s: down: %s; not restarted (restart = \"%s\")", vm->cfg->name, why,
			mgr_cfg_restart_name(vm->cfg->restart));
		return;
	}
	if (vm->restarts >= c->restart_limit) {
		vm->state = MGR_VM_FAILED;
		mgr_log("vm %s: down: %s; not restarted: %u restarts in a row, the limit "
			"(manager.restart_limit); 'netvmctl vm start %s' tries again",
			vm->cfg->name, why, vm->restarts, vm->cfg->name);
		return;
	}
	delay = c->backoff_ms;
	for (i = 0; i < vm->restarts && delay < c->backoff_max_ms; i++)
		delay *= 2;
	if (delay > c->backoff_max_ms)
		delay = c->backoff_max_ms;
	vm->restarts++;
	vm->restart_at_ms = mgr_now_ms() + delay;
	vm->state = MGR_VM_BACKOFF;
	mgr_log("vm %s: down: %s; restart %u of at most %u in %llu ms", vm->cfg->name, why,
		vm->restarts, c->restart_limit, (unsigned long long)delay);
}

/* The last line QEMU wrote to its log, for messages ("" when none). */
static void
mgr_vm_log_tail(const struct mgr_vm *vm, char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen(vm->log_path, "re");

	buf[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (line[0] != '\n')
			snprintf(buf, len, "%s", line);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* VM @vm went down by itself: tear it down, say why, apply the policy. */
static void
mgr_vm_down(struct mgr_vm *vm, const char *why)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	char tail[256];
	bool stopped;
	int waited;

	/* A chardev or core connection that closed usually means QEMU is exiting:
	 * give it a moment, so that how it ended is known. */
	for (waited = 0; waited < MGR_DOWN_WAIT_MS && vm->launcher->is_running(vm) == 1;
	     waited += 50)
		nanosleep(&ts, NULL);
	stopped = vm->launcher->is_running(vm) == 1;
	mgr_vm_teardown(vm);
	if (stopped) {
		/* however QEMU took it, it did not end by itself */
		snprintf(vm->exit_how, sizeof(vm->exit_how), "QEMU stopped by the manager");
		vm->exit_clean = false;
	}
	mgr_vm_log_tail(vm, tail, sizeof(tail));
	snprintf(vm->last_down, sizeof(vm->last_down), "%s (%s)%s%s", why,
		 vm->exit_how[0] ? vm->exit_how : "exit unknown", tail[0] && !vm->exit_clean ?
		 ": " : "", tail[0] && !vm->exit_clean ? tail : "");
	mgr_vm_policy(vm, vm->last_down, vm->exit_clean);
}

/* Handle a ready descriptor of @vm: its core connection or its chardev
 * server's events; cannot fail (problems take the VM down). */
void
mgr_vm_event(struct mgr_vm *vm, enum mgr_tag_kind kind)
{
	unsigned long n;
	int ev;

	if (kind == MGR_TAG_CORE) {
		if (mgr_vm_up(vm))
			mgr_vm_down(vm, "the core engine closed the VM's attachment");
		return;
	}
	while ((ev = mgr_ivs_event(&vm->ivs)) >= 0) {
		switch (ev) {
		case MGR_IVS_CONNECTED:
			vm->state = MGR_VM_BOOTING;
			vm->booting_ms = mgr_now_ms();
			mgr_log("vm %s: booting: QEMU (pid %d) holds its private region, nf id %u",
				vm->cfg->name, (int)vm->pid, vm->att.nf_id);
			break;
		case MGR_IVS_REFUSED:
			n = mgr_ivs_refused(&vm->ivs);
			if (n > 0)
				mgr_log("vm %s: refused %lu connection%s to %s (one QEMU per VM)",
					vm->cfg->name, n, n > 1 ? "s" : "", vm->sock_path);
			break;
		case MGR_IVS_FAILED:
			mgr_vm_down(vm, "the ivshmem handshake with QEMU failed");
			return;
		case MGR_IVS_DISCONNECTED:
			mgr_vm_down(vm, "QEMU closed its chardev connection");
			return;
		}
	}
}

/* Start @vm as the manager starts; a failure is logged and handled by the
 * restart policy like a VM that went down; cannot fail. */
void
mgr_vm_autostart(struct mgr_vm *vm)
{
	char err[MGR_ERR_LEN];

	if (mgr_vm_start(vm, err, sizeof(err)) < 0) {
		snprintf(vm->last_down, sizeof(vm->last_down), "start failed: %s", err);
		mgr_vm_policy(vm, vm->last_down, false);
	}
}

/* @vm is booting: running once the core says its NF is live; down when it
 * is not within manager.boot_timeout_s. */
static void
mgr_vm_tick_booting(struct mgr_vm *vm, uint64_t now_ms)
{
	const struct mgr_cfg *c = &vm->m->cfg;
	char err[MGR_ERR_LEN];
	int r = mgr_tel_nf_live(vm->m->tel_path, vm->att.nf_id, err, sizeof(err));

	if (r == 1) {
		vm->state = MGR_VM_RUNNING;
		vm->incoming = false;
		vm->running_ms = now_ms;
		mgr_log("vm %s: running: the guest's NF runs, the core delivers to nf id %u "
			"(%llu ms after QEMU connected)", vm->cfg->name, vm->att.nf_id,
			(unsigned long long)(now_ms - vm->booting_ms));
		return;
	}
	if (r < 0 && r != -ECONNREFUSED && r != -ENOENT && r != -ECONNRESET)
		mgr_log("vm %s: cannot ask the core whether its NF runs: %s", vm->cfg->name, err);
	if (now_ms - vm->booting_ms > (uint64_t)c->boot_s * 1000) {
		snprintf(err, sizeof(err), "the guest's NF did not start running within %u s of "
			 "QEMU connecting (manager.boot_timeout_s; see %s)", c->boot_s,
			 vm->console_path);
		mgr_vm_down(vm, err);
	}
}

/* Periodic work of @vm at time @now_ms: notice a QEMU that exited, a chardev
 * never connected, a guest NF that started, a restart that is due; cannot fail. */
void
mgr_vm_tick(struct mgr_vm *vm, uint64_t now_ms)
{
	const struct mgr_cfg *c = &vm->m->cfg;
	char err[MGR_ERR_LEN];

	switch (vm->state) {
	case MGR_VM_STARTING:
	case MGR_VM_BOOTING:
	case MGR_VM_RUNNING:
		if (vm->launcher->is_running(vm) == 0) {
			mgr_vm_down(vm, "QEMU exited");
		} else if (vm->state == MGR_VM_STARTING &&
			   now_ms - vm->started_ms > (uint64_t)c->connect_s * 1000) {
			snprintf(err, sizeof(err), "QEMU did not connect to %s within %u s "
				 "(manager.connect_timeout_s)", vm->sock_path, c->connect_s);
			mgr_vm_down(vm, err);
		} else if (vm->state == MGR_VM_BOOTING) {
			mgr_vm_tick_booting(vm, now_ms);
		} else if (vm->state == MGR_VM_RUNNING && vm->restarts > 0 &&
			   now_ms - vm->running_ms > (uint64_t)c->stable_s * 1000) {
			vm->restarts = 0;
		}
		break;
	case MGR_VM_BACKOFF:
		if (now_ms < vm->restart_at_ms)
			break;
		if (mgr_vm_start(vm, err, sizeof(err)) < 0) {
			snprintf(vm->last_down, sizeof(vm->last_down), "restart failed: %s", err);
			mgr_vm_policy(vm, vm->last_down, false);
		}
		break;
	default:
		break;
	}
}

/* Take over @vm's QEMU, running, and its lease from a previous manager.
 * Returns 0, or a negative errno with a message in @err (nothing is kept). */
static int
mgr_vm_adopt_lease(struct mgr_vm *vm, char *err, size_t errlen)
{
	struct mgr *m = vm->m;
	uint64_t token;
	uint32_t id;
	int r;

	r = mgr_state_lease_read(vm->lease_path, &id, &token);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", vm->lease_path,
			 r == -ENOENT ? "none" : "not a lease");
		return r;
	}
	r = nvm_attach_adopt(&vm->att, m->cfg.core_socket, id, token, MGR_ATTACH_TIMEOUT_MS, err,
			     errlen);
	if (r == 0)
		pool_info(vm);
	if (r == 0 && (r = mgr_watch(m, vm->att.sock, &vm->core_tag)) < 0)
		snprintf(err, errlen, "epoll: %s", strerror(-r));
	if (r < 0)
		nvm_attach_drop(&vm->att);
	return r;
}

/*
 * At manager start: take over the QEMU a previous manager left running for
 * @vm, with its core lease; the VM is then booting (running once the core
 * says its NF is live, at the next tick) and watched through its pid. A
 * QEMU whose lease cannot be adopted (it expired: the core has reclaimed its
 * buffers, and a running guest cannot be given new regions) is stopped.
 * Files of a VM not running are removed. What the launcher does not claim
 * as the VM's (a libvirt domain of its name not marked as its) is left as
 * it is, with the VM's lease file; cannot fail.
 */
void
mgr_vm_adopt(struct mgr_vm *vm)
{
	char err[MGR_ERR_LEN];

	if (vm->launcher->claim != NULL && vm->launcher->claim(vm, err, sizeof(err)) < 0) {
		/* not the VM's: its lease is left to expire, as what holds it is unknown */
		mgr_log("vm %s: not adopted: %s", vm->cfg->name, err);
		return;
	}
	/* a pidfile that does not name the QEMU (truncated, overwritten): the
	 * QEMU is found by its chardev socket, rather than left running on
	 * regions whose lease is ended below */
	snprintf(err, sizeof(err), "vm %s", vm->cfg->name);
	vm->pid = vm->cfg->launcher == MGR_LAUNCH_QEMU ?
		  mgr_state_vm_pid(vm->pid_path, vm->sock_path, err) :
		  mgr_state_pid_read(vm->pid_path);
	vm->pid_is_child = false;
	if (vm->launcher->is_running(vm) == 1) {
		if (mgr_vm_adopt_lease(vm, err, sizeof(err)) == 0) {
			vm->state = MGR_VM_BOOTING;
			vm->adopted = true;
			vm->started_ms = vm->booting_ms = mgr_now_ms();
			vm->starts++;
			/* QEMU's chardev connection ended with the old manager; it
			 * does not reconnect, and needs nothing more from it. */
			unlink(vm->sock_path);
			if (vm->cfg->launcher == MGR_LAUNCH_QEMU &&
			    mgr_state_pid_read(vm->pid_path) != vm->pid &&
			    mgr_state_pid_write(vm->pid_path, vm->pid) < 0)
				mgr_log("vm %s: cannot write %s", vm->cfg->name, vm->pid_path);
			mgr_log("vm %s: adopted QEMU (%s launcher, pid %d) left running by a "
				"previous netvm-manager, with its core lease: nf id %u",
				vm->cfg->name, vm->launcher->name, (int)vm->pid, vm->att.nf_id);
			return;
		}
		mgr_log("vm %s: QEMU (%s launcher, pid %d) left running by a previous "
			"netvm-manager cannot be adopted (its core lease: %s); it is stopped "
			"(autostart starts it anew)", vm->cfg->name, vm->launcher->name,
			(int)vm->pid, err);
		vm->launcher->stop(vm);
	}
	vm->pid = 0;
	unlink(vm->pid_path);
	unlink(vm->sock_path);
	mgr_state_lease_end(&vm->m->cfg, vm->lease_path);
}

/* At manager exit with manager.keep_vms_on_exit: leave @vm's QEMU running
 * and its lease to the next manager (pidfile and lease file stay); cannot fail. */
void
mgr_vm_leave(struct mgr_vm *vm)
{
	if (!mgr_vm_up(vm))
		return;
	if (vm->att.sock >= 0)
		mgr_unwatch(vm->m, vm->att.sock);
	if (vm->ivs.notify[0] >= 0)
		mgr_unwatch(vm->m, vm->ivs.notify[0]);
	mgr_ivs_stop(&vm->ivs);
	nvm_attach_drop(&vm->att);
	mgr_log("vm %s: left running (pid %d) for the next netvm-manager "
		"(manager.keep_vms_on_exit)", vm->cfg->name, (int)vm->pid);
}
