/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_migrate.c — `netvmctl vm migrate NAME`: live migration of a VM's QEMU
 * to a new QEMU on the same host (a QEMU upgrade, moving a VM to other CPUs).
 *
 * It needs QEMU's ivshmem property x-shared-no-migrate (NetVM's patch
 * series, docs/qemu-patches.md): with it the migration stream carries
 * neither the pool nor the private region, and the destination maps them
 * itself: the pool through the same inherited fd, the private region from
 * the manager's ivshmem server, which greets the destination as it greeted
 * the source (same peer id, same doorbell eventfd). The core never sees a
 * change: the attachment is the manager's, the regions are the same, the
 * guest's NF keeps its rings, and packets queue in them while the guest is
 * stopped for the switch-over.
 *
 *   1. the source's QMP (<state_dir>/<name>.qmp) says it runs; the chardev
 *      server lets one more QEMU in
 *   2. the destination: the same command line with -incoming
 *      unix:<state_dir>/<name>.mig, QMP at <name>.qmpd; it answers
 *      query-status with "inmigrate"
 *   3. migrate on the source, query-migrate until "completed"
 *   4. the destination runs; the chardev server hands the VM's connection
 *      over to it; the source quits (removing <name>.qmp); <name>.qmpd
 *      becomes <name>.qmp; the VM's record (pid, pidfile) names the
 *      destination
 * Any failure before step 4 kills the destination and leaves the VM in its
 * source QEMU, which QEMU resumes after a failed migration.
 *
 * The request blocks the manager's loop for the migration's time (about a
 * second for a 256 MiB guest under TCG); the chardev server runs in its own
 * thread, so QEMU's handshake does not wait on the loop. *
 * `vm migrate NAME --to unix:MANAGER` (mgr_migrate_vm_to()) moves the VM to
 * another manager and its core engine: there `vm receive NAME`
 * (mgr_migrate_receive()) attaches it and starts its QEMU waiting for the
 * stream; here the NF parks (netlib's `park` through the core's control
 * channel), the source migrates, and once that manager shows the VM running
 * (its NF re-attached to the new private region) this side stops as vm stop
 * does. Steps and limits: docs/qemu-patches.md section 4.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr.h"
#include "mgr_idle.h"
#include "mgr_launcher.h"
#include "mgr_migrate.h"
#include "mgr_qmp.h"

#define MIG_PROPERTY "x-shared-no-migrate"
#define MIG_QMP_START_MS 30000 /* destination started until its QMP answers */
#define MIG_QMP_REPLY_MS 10000 /* one QMP command */
#define MIG_STREAM_MS 120000   /* the migration itself */
#define MIG_RUN_MS 10000       /* migration completed until the destination runs */
#define MIG_QUIT_MS 5000       /* the source's quit */
#define MIG_POLL_MS 20
#define MIG_PROBE_MAX 65536

/* ---- the capability: does manager.qemu have x-shared-no-migrate? ---- */

/* Run `@qemu -device ivshmem-plain,help`: 1 when it lists the property. */
static int
mig_probe(const char *qemu)
{
	char *out = malloc(MIG_PROBE_MAX);
	int pfd[2], status, found = 0;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (out == NULL || pipe2(pfd, O_CLOEXEC) < 0) {
		free(out);
		return 0;
	}
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(pfd[1], 1) < 0 ||
		    dup2(pfd[1], 2) < 0)
			_exit(127);
		execlp(qemu, qemu, "-device", "ivshmem-plain,help", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (pid > 0 && len + 1 < MIG_PROBE_MAX) {
		n = read(pfd[0], out + len, MIG_PROBE_MAX - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		out[len] = '\0';
		found = strstr(out, MIG_PROPERTY) != NULL;
	}
	free(out);
	return found;
}

int
mgr_migrate_capable(const char *qemu)
{
	static char known[MGR_CFG_PATH_LEN];
	static int answer;

	if (strcmp(known, qemu) != 0) {
		answer = mig_probe(qemu);
		snprintf(known, sizeof(known), "%s", qemu);
	}
	return answer;
}

int
mgr_migrate_path(const struct mgr_vm *vm, const char *suffix, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.%s", vm->m->cfg.state_dir, vm->cfg->name, suffix);

	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static void
mig_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* QMP command @name (@args consumed, may be NULL) bounded by MIG_QMP_REPLY_MS. */
static int
qmp_exec(struct mgr_qmp *q, const char *name, struct json_object *args, struct json_object **ret,
	 char *err, size_t errlen)
{
	return mgr_qmp_exec(q, name, args, -1, MIG_QMP_REPLY_MS, ret, err, errlen);
}

static int
qmp_status(struct mgr_qmp *q, char *buf, size_t len, char *err, size_t errlen)
{
	return mgr_qmp_status(q, MIG_QMP_REPLY_MS, buf, len, err, errlen);
}

/* Integer member @key of @o, 0 when absent. */
static uint64_t
mig_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

/* ---- the migration ---- */

/* Whether QEMU @pid was started with the property (its command line says so). */
static bool
mig_pid_migratable(pid_t pid)
{
	char path[64], buf[8192];
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, MIG_PROPERTY "=on") != NULL;
}

/* Why @vm cannot migrate now, into @err; 0 when it can. */
static int
mig_check(struct mgr_vm *vm, char *err, size_t errlen)
{
	const char *name = vm->cfg->name;

	if (vm->launcher != &mgr_launcher_qemu) {
		snprintf(err, errlen, "vm %s runs under the %s launcher: only launcher \"qemu\" "
			 "migrates (libvirt cannot give ivshmem devices x-shared-no-migrate)", name,
			 vm->launcher->name);
		return -ENOTSUP;
	}
	if (vm->state != MGR_VM_RUNNING && vm->state != MGR_VM_BOOTING) {
		snprintf(err, errlen, "vm %s is not running (%s)", name,
			 mgr_vm_state_name(vm->state));
		return -EINVAL;
	}
	if (!vm->ivs.running) {
		snprintf(err, errlen, "vm %s was adopted from a previous netvm-manager: no chardev "
			 "server can greet a destination QEMU; vm stop and vm start it first",
			 name);
		return -ENOTSUP;
	}
	if (!mig_pid_migratable(vm->pid)) {
		snprintf(err, errlen, "vm %s: its QEMU (pid %d, manager.qemu \"%s\") has no "
			 "ivshmem property " MIG_PROPERTY ": stock QEMU cannot migrate ivshmem "
			 "devices without copying the shared pool over live packets. Build the "
			 "patched QEMU (scripts/build-qemu.sh, docs/qemu-patches.md), set "
			 "manager.qemu to it and restart the VM", name, (int)vm->pid,
			 vm->m->cfg.qemu);
		return -ENOTSUP;
	}
	return 0;
}

/* Size of file @path, 0 when it cannot be read. */
static off_t
mig_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* The first line QEMU wrote to log @path after offset @off, into @buf ("" when none). */
static void
mig_log_since(const char *path, off_t off, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, buf, len - 1, off) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* Wait until QEMU @pid (a child when @child) is gone; SIGKILL after @ms. */
static void
mig_reap(pid_t pid, bool child, unsigned int ms)
{
	unsigned int waited;
	int status;

	for (waited = 0; waited < ms; waited += MIG_POLL_MS) {
		if (child ? waitpid(pid, &status, WNOHANG) != 0 : kill(pid, 0) != 0)
			return;
		mig_sleep_ms(MIG_POLL_MS);
	}
	kill(pid, SIGKILL);
	if (child)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
}

/* A QMP client, not connected (malloc'd: its buffer is large); NULL with a
 * message when out of memory. */
static struct mgr_qmp *
mig_qmp_new(char *err, size_t errlen)
{
	struct mgr_qmp *q = malloc(sizeof(*q));

	if (q == NULL)
		snprintf(err, errlen, "out of memory");
	else
		mgr_qmp_init(q);
	return q;
}

/* Connect to the QMP socket @qmp of @vm's QEMU, which must be running. */
static int
mig_source_open(struct mgr_vm *vm, struct mgr_qmp *src, const char *qmp, char *err,
		size_t errlen)
{
	char st[32];
	int r = mgr_qmp_connect_pid(src, qmp, vm->pid, MIG_QMP_REPLY_MS, err, errlen);

	if (r == 0)
		r = qmp_status(src, st, sizeof(st), err, errlen);
	if (r == 0 && strcmp(st, "running") != 0) {
		snprintf(err, errlen, "the VM's QEMU is \"%s\", not running", st);
		r = -EINVAL;
	}
	return r;
}

/* After a failed migration: a source that completed its side and lost the
 * destination is resumed (QEMU leaves it stopped, "postmigrate"). */
static void
mig_source_resume(struct mgr_qmp *src, char *err, size_t errlen)
{
	char st[32];

	if (src->fd >= 0 && qmp_status(src, st, sizeof(st), err, errlen) == 0 &&
	    strcmp(st, "postmigrate") == 0)
		qmp_exec(src, "cont", NULL, NULL, err, errlen);
}

/* Poll the source's query-migrate until the end; its "return" on success. */
static int
mig_wait_stream(struct mgr_qmp *src, struct json_object **info, char *err, size_t errlen)
{
	uint64_t deadline = mgr_now_ms() + MIG_STREAM_MS;
	struct json_object *r, *s, *e;
	const char *st;
	int rc;

	for (;;) {
		rc = qmp_exec(src, "query-migrate", NULL, &r, err, errlen);
		if (rc < 0)
			return rc;
		st = json_object_object_get_ex(r, "status", &s) ? json_object_get_string(s) : "";
		if (strcmp(st, "completed") == 0) {
			*info = r;
			return 0;
		}
		if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0) {
			snprintf(err, errlen, "the migration %s: %s", st,
				 json_object_object_get_ex(r, "error-desc", &e) ?
				 json_object_get_string(e) : "QEMU gave no reason");
			json_object_put(r);
			return -EIO;
		}
		json_object_put(r);
		if (mgr_now_ms() >= deadline) {
			qmp_exec(src, "migrate_cancel", NULL, NULL, err, errlen);
			snprintf(err, errlen, "the migration did not complete within %d s; cancelled",
				 MIG_STREAM_MS / 1000);
			return -ETIMEDOUT;
		}
		mig_sleep_ms(MIG_POLL_MS);
	}
}

/* Wait until the destination runs. */
static int
mig_wait_running(struct mgr_qmp *dst, char *err, size_t errlen)
{
	uint64_t deadline = mgr_now_ms() + MIG_RUN_MS;
	char st[32];
	int rc;

	for (;;) {
		rc = qmp_status(dst, st, sizeof(st), err, errlen);
		if (rc < 0)
			return rc;
		if (strcmp(st, "running") == 0)
			return 0;
		if (strcmp(st, "inmigrate") != 0 && strcmp(st, "finish-migrate") != 0 &&
		    strcmp(st, "prelaunch") != 0) {
			snprintf(err, errlen, "the destination QEMU is \"%s\", not running", st);
			return -EIO;
		}
		if (mgr_now_ms() >= deadline) {
			snprintf(err, errlen, "the destination QEMU is still \"%s\" after %d s", st,
				 MIG_RUN_MS / 1000);
			return -ETIMEDOUT;
		}
		mig_sleep_ms(MIG_POLL_MS);
	}
}

int
mgr_migrate_vm(struct mgr_vm *vm, struct mgr_migrate_report *rep, char *err, size_t errlen)
{
	char qmp[MGR_CFG_SOCK_LEN], qmpd[MGR_CFG_SOCK_LEN], mig[MGR_CFG_SOCK_LEN];
	char cmd[MGR_CFG_SOCK_LEN + 64], st[32], why[MGR_ERR_LEN], said[256];
	struct mgr_qmp *src = NULL, *dst = NULL;
	struct json_object *info = NULL, *args;
	uint64_t t0 = mgr_now_ms(), t1;
	off_t log0 = 0;
	pid_t dpid = 0;
	int r;

	memset(rep, 0, sizeof(*rep));
	r = mig_check(vm, err, errlen);
	if (r < 0)
		return r;
	if (mgr_migrate_path(vm, "qmp", qmp, sizeof(qmp)) < 0 ||
	    mgr_migrate_path(vm, "qmpd", qmpd, sizeof(qmpd)) < 0 ||
	    mgr_migrate_path(vm, "mig", mig, sizeof(mig)) < 0) {
		snprintf(err, errlen, "vm %s: %s/%s.qmpd is longer than a unix socket path: "
			 "shorten manager.state_dir", vm->cfg->name, vm->m->cfg.state_dir,
			 vm->cfg->name);
		return -ENAMETOOLONG;
	}
	src = mig_qmp_new(err, errlen);
	dst = src != NULL ? mig_qmp_new(err, errlen) : NULL;
	if (dst == NULL) {
		free(src);
		return -ENOMEM;
	}

	/* 1. the source */
	r = mig_source_open(vm, src, qmp, why, sizeof(why));
	if (r < 0)
		goto fail;
	mgr_ivs_allow_successor(&vm->ivs);
	unlink(qmpd);
	unlink(mig);

	/* 2. the destination */
	log0 = mig_file_size(vm->log_path);
	r = mgr_qemu_spawn(vm, mig, "qmpd", &dpid, why, sizeof(why));
	if (r < 0) {
		dpid = 0;
		goto fail;
	}
	r = mgr_qmp_connect_pid(dst, qmpd, dpid, MIG_QMP_START_MS, why, sizeof(why));
	if (r == 0)
		r = qmp_status(dst, st, sizeof(st), why, sizeof(why));
	if (r == 0 && strcmp(st, "inmigrate") != 0) {
		snprintf(why, sizeof(why), "the destination QEMU is \"%s\", not waiting for the "
			 "stream", st);
		r = -EIO;
	}
	if (r < 0)
		goto fail;
	t1 = mgr_now_ms();
	rep->setup_ms = t1 - t0;

	/* 3. the stream */
	snprintf(cmd, sizeof(cmd), "unix:%s", mig);
	args = json_object_new_object();
	json_object_object_add(args, "uri", json_object_new_string(cmd));
	r = qmp_exec(src, "migrate", args, NULL, why, sizeof(why));
	if (r == 0)
		r = mig_wait_stream(src, &info, why, sizeof(why));
	if (r == 0)
		r = mig_wait_running(dst, why, sizeof(why));
	if (r < 0)
		goto fail;

	/* 4. the switch: from here on the VM is the destination's */
	mgr_ivs_handover(&vm->ivs, true);
	rep->old_pid = vm->pid;
	rep->new_pid = dpid;
	qmp_exec(src, "quit", NULL, NULL, why, sizeof(why));
	mgr_qmp_close(src);
	mig_reap(vm->pid, vm->pid_is_child, MIG_QUIT_MS);
	/* only now: the source removes its QMP socket's file as it quits */
	if (rename(qmpd, qmp) < 0)
		mgr_log("vm %s: cannot rename %s to %s: %s (a later migration cannot reach "
			"QEMU)", vm->cfg->name, qmpd, qmp, strerror(errno));
	vm->pid = dpid;
	vm->pid_is_child = true;
	if (mgr_state_pid_write(vm->pid_path, dpid) < 0)
		mgr_log("vm %s: cannot write %s: %s", vm->cfg->name, vm->pid_path,
			strerror(errno));
	unlink(mig);
	rep->migrate_ms = mig_u64(info, "total-time");
	rep->downtime_ms = mig_u64(info, "downtime");
	rep->total_ms = mgr_now_ms() - t0;
	json_object_put(info);
	mgr_qmp_close(dst);
	free(src);
	free(dst);
	mgr_log("vm %s: migrated to QEMU pid %d (was %d): %llu ms, downtime %llu ms",
		vm->cfg->name, (int)rep->new_pid, (int)rep->old_pid,
		(unsigned long long)rep->total_ms, (unsigned long long)rep->downtime_ms);
	return 0;

fail:
	json_object_put(info);
	said[0] = '\0';
	if (dpid > 0) {
		kill(dpid, SIGKILL);
		mig_reap(dpid, true, MIG_QUIT_MS);
		/* what the destination said, if anything: it appended to the log */
		mig_log_since(vm->log_path, log0, said, sizeof(said));
	}
	mgr_ivs_handover(&vm->ivs, false);
	mig_source_resume(src, err, errlen);
	mgr_qmp_close(src);
	mgr_qmp_close(dst);
	free(src);
	free(dst);
	unlink(qmpd);
	unlink(mig);
	snprintf(err, errlen, "vm %s: migration failed, the VM runs on in QEMU pid %d: %s%s%s",
		 vm->cfg->name, (int)vm->pid, why, said[0] ? "; the destination QEMU said: " : "",
		 said);
	mgr_log("%s", err);
	return r < 0 ? r : -EIO;
}

/* ---- to another host: a second netvm-manager and its core ---- */

#define MIG_PEER_MS 60000  /* one request to the destination manager */
#define MIG_PEER_REPLY 16384
#define MIG_PARK_MS 10000  /* the NF's park or resume command */
#define MIG_PEER_RUN_MS 30000 /* the stream sent until the destination says "running" */
#define MIG_PEER_POLL_MS 50

/*
 * Send request @req (one line) to the netvm-manager listening on unix
 * socket @path and parse its JSON answer into *@reply within @timeout_ms.
 * Returns 0, or a negative errno with a message in @err.
 */
static int
mig_peer(const char *path, const char *req, int timeout_ms, struct json_object **reply,
	 char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t deadline = mgr_now_ms() + (uint64_t)timeout_ms;
	char *buf = malloc(MIG_PEER_REPLY);
	size_t len = 0, off = 0;
	int fd = -1, r = 0;

	*reply = NULL;
	if (buf == NULL)
		return -ENOMEM;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "the destination manager's socket %s: %s", path,
			 strerror(-r));
		goto out;
	}
	while (off < strlen(req)) {
		ssize_t n = send(fd, req + off, strlen(req) - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
			goto out;
		}
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = mgr_now_ms();
		ssize_t n;

		if (now >= deadline) {
			r = -ETIMEDOUT;
			snprintf(err, errlen, "the destination manager (%s) did not answer within "
				 "%d s", path, timeout_ms / 1000);
			goto out;
		}
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		n = recv(fd, buf + len, MIG_PEER_REPLY - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == MIG_PEER_REPLY - 1) {
			r = -EPROTO;
			snprintf(err, errlen, "%s: an answer longer than %d bytes", path,
				 MIG_PEER_REPLY - 1);
			goto out;
		}
	}
	buf[len] = '\0';
	*reply = json_tokener_parse(buf);
	if (*reply == NULL || !json_object_is_type(*reply, json_type_object)) {
		json_object_put(*reply);
		*reply = NULL;
		r = -EPROTO;
		snprintf(err, errlen, "%s: an answer that is not a JSON object", path);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

/* The destination manager's error of @reply (its "error"), when not "ok". */
static bool
mig_peer_ok(struct json_object *reply, char *err, size_t errlen)
{
	struct json_object *o;

	if (json_object_object_get_ex(reply, "ok", &o) && json_object_get_boolean(o))
		return true;
	snprintf(err, errlen, "the destination manager: %s",
		 json_object_object_get_ex(reply, "error", &o) ? json_object_get_string(o) :
		 "refused without a reason");
	return false;
}

/* Ask the destination manager at @path to stop VM @name again (a failed
 * move); what it says is only logged. */
static void
mig_peer_stop(const char *path, const char *name)
{
	char req[MGR_CFG_NAME_LEN + 16], err[MGR_ERR_LEN];
	struct json_object *reply;

	snprintf(req, sizeof(req), "vm stop %s\n", name);
	if (mig_peer(path, req, MIG_PEER_MS, &reply, err, sizeof(err)) < 0 ||
	    !mig_peer_ok(reply, err, sizeof(err)))
		mgr_log("vm %s: could not stop it at the destination %s: %s", name, path, err);
	json_object_put(reply);
}

/*
 * Wait until the destination manager at @path shows VM @name "running" (its
 * NF re-attached and live at its core). Returns 0, or -EIO when it shows it
 * in another state than starting or booting, -ETIMEDOUT, or mig_peer()'s
 * errors; the reason in @err.
 */
static int
mig_peer_wait_running(const char *path, const char *name, char *err, size_t errlen)
{
	uint64_t deadline = mgr_now_ms() + MIG_PEER_RUN_MS;
	struct json_object *reply, *vms, *vm, *o;
	char st[32] = "";
	size_t i;
	int r;

	for (;;) {
		r = mig_peer(path, "vm list\n", MIG_PEER_MS, &reply, err, errlen);
		if (r < 0)
			return r;
		st[0] = '\0';
		if (json_object_object_get_ex(reply, "vms", &vms) &&
		    json_object_is_type(vms, json_type_array))
			for (i = 0; i < json_object_array_length(vms); i++) {
				vm = json_object_array_get_idx(vms, i);
				if (json_object_object_get_ex(vm, "name", &o) &&
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
		mig_sleep_ms(MIG_PEER_POLL_MS);
	}
}

/* Command @word ("park" or "resume") for @vm's NF through the core's
 * control channel; 0 or a negative errno with the NF's answer in @err. */
static int
mig_nf_cmd(struct mgr_vm *vm, const char *word, char *err, size_t errlen)
{
	char *answer = NULL;
	int r, status = 0;

	r = mgr_nf_cmd(vm->m->cfg.core_socket, vm->att.nf_id, word, strlen(word), MIG_PARK_MS,
		       &status, &answer, err, errlen);
	if (r == 0 && status < 0) {
		snprintf(err, errlen, "the NF (instance %u) refused '%s': %s: %.200s",
			 vm->att.nf_id, word, strerror(-status), answer != NULL ? answer : "");
		r = status;
	}
	free(answer);
	return r;
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

/* @reply of `vm receive` into @in; false when a member is missing. */
static bool
mig_incoming_parse(struct json_object *reply, struct mgr_migrate_incoming *in)
{
	struct json_object *o;
	uint64_t pid, id;

	if (!json_object_object_get_ex(reply, "incoming", &o) ||
	    !json_object_is_type(o, json_type_string) ||
	    strlen(json_object_get_string(o)) >= sizeof(in->path) ||
	    !mig_json_u64(reply, "pid", &pid) || !mig_json_u64(reply, "nf_id", &id) ||
	    !mig_json_u64(reply, "pool_size", &in->pool_size) ||
	    !mig_json_u64(reply, "priv_size", &in->priv_size))
		return false;
	snprintf(in->path, sizeof(in->path), "%s", json_object_get_string(o));
	in->pid = (pid_t)pid;
	in->nf_id = (uint32_t)id;
	return true;
}

int
mgr_migrate_vm_to(struct mgr_vm *vm, const char *uri, struct mgr_migrate_report *rep,
		  char *err, size_t errlen)
{
	const char *name = vm->cfg->name, *peer = uri + 5;
	char qmp[MGR_CFG_SOCK_LEN], req[MGR_CFG_NAME_LEN + 16], why[MGR_ERR_LEN];
	struct mgr_migrate_incoming in = { .pid = 0 };
	struct json_object *reply = NULL, *info = NULL, *args;
	struct mgr_qmp *src = NULL;
	bool received = false, parked = false;
	uint64_t t0 = mgr_now_ms(), t1;
	int r;

	memset(rep, 0, sizeof(*rep));
	if (strncmp(uri, "unix:", 5) != 0 || peer[0] != '/' ||
	    strlen(peer) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "vm %s: destination '%s': give unix:PATH, PATH the absolute "
			 "path of the destination netvm-manager's control socket (manager.socket)",
			 name, uri);
		return -EINVAL;
	}
	if (strcmp(peer, vm->m->cfg.socket_path) == 0) {
		snprintf(err, errlen, "vm %s: %s is this manager: without --to, vm migrate moves "
			 "the VM to a new QEMU on this host", name, uri);
		return -EINVAL;
	}
	r = mig_check(vm, err, errlen);
	if (r < 0)
		return r;
	if (mgr_migrate_path(vm, "qmp", qmp, sizeof(qmp)) < 0) {
		snprintf(err, errlen, "vm %s: its QMP socket path is too long", name);
		return -ENAMETOOLONG;
	}
	src = mig_qmp_new(err, errlen);
	if (src == NULL)
		return -ENOMEM;

	/* 1. the source runs */
	r = mig_source_open(vm, src, qmp, why, sizeof(why));
	if (r < 0)
		goto fail;

	/* 2. the destination manager attaches the VM to its core, QEMU waits */
	snprintf(req, sizeof(req), "vm receive %s\n", name);
	r = mig_peer(peer, req, MIG_PEER_MS, &reply, why, sizeof(why));
	if (r == 0 && !mig_peer_ok(reply, why, sizeof(why)))
		r = -EIO;
	if (r == 0 && !mig_incoming_parse(reply, &in)) {
		snprintf(why, sizeof(why), "the destination manager's answer to vm receive lacks "
			 "incoming, pid, nf_id, pool_size or priv_size");
		r = -EPROTO;
	}
	json_object_put(reply);
	if (r < 0)
		goto fail;
	received = true;
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
	t1 = mgr_now_ms();
	rep->setup_ms = t1 - t0;

	/* 3. the NF parks: its queues stop, every buffer on the rings */
	r = mig_nf_cmd(vm, "park", why, sizeof(why));
	if (r < 0)
		goto fail;
	parked = true;
	rep->park_ms = mgr_now_ms() - t1;

	/* 4. the stream, without the pool and the private region */
	args = json_object_new_object();
	snprintf(why, sizeof(why), "unix:%s", in.path);
	json_object_object_add(args, "uri", json_object_new_string(why));
	r = qmp_exec(src, "migrate", args, NULL, why, sizeof(why));
	if (r == 0)
		r = mig_wait_stream(src, &info, why, sizeof(why));
	/* 5. the destination runs it: its NF re-attached to the destination's
	 * core (a destination that could not load the stream goes down) */
	if (r == 0)
		r = mig_peer_wait_running(peer, name, why, sizeof(why));
	if (r < 0)
		goto fail;

	/* 6. the VM is the destination's: this side stops, the core takes
	 * every buffer back with the attachment */
	mgr_qmp_close(src);
	free(src);
	rep->old_pid = vm->pid;
	rep->new_pid = in.pid;
	rep->nf_id = in.nf_id;
	rep->migrate_ms = mig_u64(info, "total-time");
	rep->downtime_ms = mig_u64(info, "downtime");
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
		mig_peer_stop(peer, name);
	mig_source_resume(src, err, errlen);
	mgr_qmp_close(src);
	free(src);
	if (parked && mig_nf_cmd(vm, "resume", err, errlen) < 0)
		mgr_log("vm %s: its NF did not resume after the failed move: %s", name, err);
	snprintf(err, errlen, "vm %s: the move to %s failed, the VM runs on here in QEMU pid %d: "
		 "%s", name, uri, (int)vm->pid, why);
	mgr_log("%s", err);
	return r < 0 ? r : -EIO;
}

int
mgr_migrate_receive(struct mgr_vm *vm, struct mgr_migrate_incoming *in, char *err,
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
	q = mig_qmp_new(err, errlen);
	if (q == NULL)
		return -ENOMEM;
	unlink(in->path);
	unlink(qmp);
	vm->restarts = 0;
	r = mgr_vm_start_incoming(vm, in->path, err, errlen);
	if (r < 0) {
		free(q);
		return r;
	}
	r = mgr_qmp_connect_pid(q, qmp, vm->pid, MIG_QMP_START_MS, err, errlen);
	if (r == 0)
		r = qmp_status(q, st, sizeof(st), err, errlen);
	if (r == 0 && strcmp(st, "inmigrate") != 0) {
		snprintf(err, errlen, "vm %s: its QEMU is \"%s\", not waiting for the stream", name,
			 st);
		r = -EIO;
	}
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
