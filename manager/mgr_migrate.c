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
 *      unix:<state_dir>/<name>.mig, QMP at <name>.qmpd<source pid>; it
 *      answers query-status with "inmigrate"
 *   3. migrate on the source, query-migrate until "completed"
 *   4. the destination runs; the chardev server hands the VM's connection
 *      over to it; the source quits, removing the path its QMP socket was
 *      bound to (<name>.qmp, or the <name>.qmpd<pid> of the migration it
 *      came in by: never the destination's, which is named after the
 *      source's pid); <name>.qmpd<source pid> becomes <name>.qmp; the VM's
 *      record (pid, pidfile) names the destination
 * Any failure before step 4 kills the destination and leaves the VM in its
 * source QEMU, which QEMU resumes after a failed migration.
 *
 * The request blocks the manager's loop for the migration's time (about a
 * second for a 256 MiB guest under TCG); the chardev server runs in its own
 * thread, so QEMU's handshake does not wait on the loop. *
 * `vm migrate NAME --to unix:MANAGER`, to another manager and its core:
 * mgr_migrate_to.c, which shares this file's QMP and checking helpers
 * (mgr_mig_*).
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
#include "mgr_mig_auth.h"
#include "mgr_migrate.h"
#include "mgr_qmp.h"

#define MIG_STREAM_MS 120000   /* the migration itself */
#define MIG_RUN_MS 10000       /* migration completed until the destination runs */
#define MIG_QUIT_MS 5000       /* the source's quit */
#define MIG_POLL_MS 20
#define MIG_PROBE_MAX 65536
#define MIG_PROBE_MS 5000      /* the capability probe's whole run */

/* ---- the capability: does manager.qemu have x-shared-no-migrate? ---- */

/* Run `@qemu -device ivshmem-plain,help`: 1 when it lists the property.
 * Bounded by MIG_PROBE_MS: a binary that does not end (or leaves its output
 * open) is killed and taken for one without it, rather than hold the loop. */
static int
mig_probe(const char *qemu)
{
	char *out = malloc(MIG_PROBE_MAX);
	uint64_t deadline = mgr_now_ms() + MIG_PROBE_MS;
	int pfd[2], status, found = 0, timed_out = 0;
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
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		uint64_t now = mgr_now_ms();
		int r;

		if (now >= deadline) {
			timed_out = 1;
			break;
		}
		r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0)
			continue;
		n = read(pfd[0], out + len, MIG_PROBE_MAX - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	if (pid > 0) {
		out[len] = '\0';
		found = strstr(out, MIG_PROPERTY) != NULL;
		if (timed_out)
			kill(pid, SIGKILL);
		if (timed_out && !found)
			mgr_log("manager.qemu %s: '-device ivshmem-plain,help' did not end within "
				"%d ms: killed, taken for a QEMU without %s", qemu, MIG_PROBE_MS,
				MIG_PROPERTY);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	free(out);
	return found;
}

/* The file execlp() runs for @qemu (a name without '/' is looked up in
 * PATH, glibc's default when it is unset), into *@st; -1 when there is none. */
static int
qemu_stat(const char *qemu, struct stat *st)
{
	const char *p = getenv("PATH"), *end;
	char file[MGR_CFG_PATH_LEN * 2];

	if (strchr(qemu, '/') != NULL)
		return stat(qemu, st);
	for (p = p ? p : "/bin:/usr/bin";; p = end + 1) {
		int n;

		end = strchrnul(p, ':');
		if (end == p) /* an empty element: the current directory */
			n = snprintf(file, sizeof(file), "%s", qemu);
		else
			n = snprintf(file, sizeof(file), "%.*s/%s", (int)(end - p), p, qemu);
		if (n > 0 && (size_t)n < sizeof(file) && stat(file, st) == 0 &&
		    S_ISREG(st->st_mode) && access(file, X_OK) == 0)
			return 0;
		if (*end == '\0')
			return -1;
	}
}

int
mgr_migrate_capable(const char *qemu)
{
	static char known[MGR_CFG_PATH_LEN];
	static struct stat known_st;
	static int answer;
	struct stat st;

	/* a binary replaced under the same name (the patched QEMU built while
	 * the manager runs) is asked again: the file's identity and time */
	memset(&st, 0, sizeof(st));
	if (qemu_stat(qemu, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (strcmp(known, qemu) != 0 || st.st_dev != known_st.st_dev ||
	    st.st_ino != known_st.st_ino || st.st_size != known_st.st_size ||
	    st.st_mtim.tv_sec != known_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != known_st.st_mtim.tv_nsec) {
		answer = mig_probe(qemu);
		snprintf(known, sizeof(known), "%s", qemu);
		known_st = st;
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

void
mgr_mig_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* QMP command @name (@args consumed, may be NULL) bounded by MIG_QMP_REPLY_MS. */
int
mgr_mig_qmp(struct mgr_qmp *q, const char *name, struct json_object *args, struct json_object **ret,
	 char *err, size_t errlen)
{
	return mgr_qmp_exec(q, name, args, -1, MIG_QMP_REPLY_MS, ret, err, errlen);
}

int
mgr_mig_tls(struct mgr_qmp *q, const char *dir, bool server, char *err, size_t errlen)
{
	char why[MGR_ERR_LEN] = "", dh[MGR_CFG_PATH_LEN + 16];
	struct json_object *args;
	int r;

	r = mgr_mig_tls_check(dir, server ? MGR_TLS_SERVER : MGR_TLS_CLIENT, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "manager.migrate_tls: %s", why);
		return r;
	}
	/* without Diffie-Hellman parameters in the directory, QEMU's server
	 * end generates 2048-bit ones at every object-add (1 s and more) */
	snprintf(dh, sizeof(dh), "%s/dh-params.pem", dir);
	if (server && access(dh, R_OK) < 0)
		mgr_log("manager.migrate_tls: %s has no dh-params.pem: QEMU generates "
			"Diffie-Hellman parameters for every incoming move (a second or more); "
			"give it the RFC 7919 group once: openssl genpkey -genparam -algorithm DH "
			"-pkeyopt dh_param:ffdhe2048 -out %s", dir, dh);
	/* a failed move leaves the object of its attempt: the files may have
	 * changed since, so it is made again from them */
	args = json_object_new_object();
	json_object_object_add(args, "id", json_object_new_string(MIG_TLS_ID));
	mgr_mig_qmp(q, "object-del", args, NULL, why, sizeof(why));
	args = json_object_new_object();
	json_object_object_add(args, "qom-type", json_object_new_string("tls-creds-x509"));
	json_object_object_add(args, "id", json_object_new_string(MIG_TLS_ID));
	json_object_object_add(args, "dir", json_object_new_string(dir));
	json_object_object_add(args, "endpoint", json_object_new_string(server ? "server" :
									"client"));
	json_object_object_add(args, "verify-peer", json_object_new_boolean(true));
	r = mgr_mig_qmp(q, "object-add", args, NULL, why, sizeof(why));
	if (r == 0) {
		args = json_object_new_object();
		json_object_object_add(args, "tls-creds", json_object_new_string(MIG_TLS_ID));
		r = mgr_mig_qmp(q, "migrate-set-parameters", args, NULL, why, sizeof(why));
	}
	if (r < 0)
		snprintf(err, errlen, "its QEMU refused the TLS credentials of %s "
			 "(manager.migrate_tls): %s%s", dir, why,
			 strstr(why, "tls-creds-x509") != NULL ? " (a QEMU without GnuTLS: "
			 "scripts/build-qemu.sh builds it in)" : "");
	return r;
}

int
mgr_mig_status(struct mgr_qmp *q, char *buf, size_t len, char *err, size_t errlen)
{
	return mgr_qmp_status(q, MIG_QMP_REPLY_MS, buf, len, err, errlen);
}

/* Integer member @key of @o, 0 when absent. */
uint64_t
mgr_mig_u64(struct json_object *o, const char *key)
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
int
mgr_mig_check(struct mgr_vm *vm, char *err, size_t errlen)
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
		mgr_mig_sleep_ms(MIG_POLL_MS);
	}
	kill(pid, SIGKILL);
	if (child)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
}

/* A QMP client, not connected (malloc'd: its buffer is large); NULL with a
 * message when out of memory. */
struct mgr_qmp *
mgr_mig_qmp_new(char *err, size_t errlen)
{
	struct mgr_qmp *q = malloc(sizeof(*q));

	if (q == NULL)
		snprintf(err, errlen, "out of memory");
	else
		mgr_qmp_init(q);
	return q;
}

/* Connect to the QMP socket @qmp of @vm's QEMU, which must be running. */
int
mgr_mig_source_open(struct mgr_vm *vm, struct mgr_qmp *src, const char *qmp, char *err,
		size_t errlen)
{
	struct json_object *args;
	char st[32];
	int r = mgr_qmp_connect_pid(src, qmp, vm->pid, MIG_QMP_REPLY_MS, err, errlen);

	if (r == 0)
		r = mgr_mig_status(src, st, sizeof(st), err, errlen);
	if (r == 0 && strcmp(st, "running") != 0) {
		snprintf(err, errlen, "the VM's QEMU is \"%s\", not running", st);
		r = -EINVAL;
	}
	/* the stream in clear unless this move sets TLS up (mgr_mig_tls()): a
	 * QEMU that came in by a move in TLS, or whose move in TLS failed,
	 * still has that move's credentials */
	if (r == 0) {
		args = json_object_new_object();
		json_object_object_add(args, "tls-creds", json_object_new_string(""));
		r = mgr_mig_qmp(src, "migrate-set-parameters", args, NULL, err, errlen);
	}
	return r;
}

/* After a failed migration: a source that completed its side and lost the
 * destination is resumed (QEMU leaves it stopped, "postmigrate"). */
void
mgr_mig_source_resume(struct mgr_qmp *src, char *err, size_t errlen)
{
	char st[32];

	if (src->fd >= 0 && mgr_mig_status(src, st, sizeof(st), err, errlen) == 0 &&
	    strcmp(st, "postmigrate") == 0)
		mgr_mig_qmp(src, "cont", NULL, NULL, err, errlen);
}

/* Poll the source's query-migrate until the end; its "return" on success. */
int
mgr_mig_wait_stream(struct mgr_qmp *src, struct json_object **info, char *err, size_t errlen)
{
	uint64_t deadline = mgr_now_ms() + MIG_STREAM_MS;
	struct json_object *r, *s;
	const char *st;
	int rc;

	for (;;) {
		rc = mgr_mig_qmp(src, "query-migrate", NULL, &r, err, errlen);
		if (rc < 0)
			return rc;
		st = json_object_object_get_ex(r, "status", &s) &&
				     json_object_is_type(s, json_type_string)
			     ? json_object_get_string(s)
			     : "";
		if (strcmp(st, "completed") == 0) {
			*info = r;
			return 0;
		}
		if (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0) {
			snprintf(err, errlen, "the migration %s: %s", st,
				 mgr_json_str(r, "error-desc", "QEMU gave no reason"));
			json_object_put(r);
			return -EIO;
		}
		json_object_put(r);
		if (mgr_now_ms() >= deadline) {
			mgr_mig_qmp(src, "migrate_cancel", NULL, NULL, err, errlen);
			snprintf(err, errlen, "the migration did not complete within %d s; cancelled",
				 MIG_STREAM_MS / 1000);
			return -ETIMEDOUT;
		}
		mgr_mig_sleep_ms(MIG_POLL_MS);
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
		rc = mgr_mig_status(dst, st, sizeof(st), err, errlen);
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
		mgr_mig_sleep_ms(MIG_POLL_MS);
	}
}

int
mgr_migrate_vm(struct mgr_vm *vm, struct mgr_migrate_report *rep, char *err, size_t errlen)
{
	char qmp[MGR_CFG_SOCK_LEN], qmpd[MGR_CFG_SOCK_LEN], mig[MGR_CFG_SOCK_LEN];
	char cmd[MGR_CFG_SOCK_LEN + 64], st[32], why[MGR_ERR_LEN], said[256], dsuffix[24];
	struct mgr_qmp *src = NULL, *dst = NULL;
	struct json_object *info = NULL, *args;
	uint64_t t0 = mgr_now_ms(), t1;
	off_t log0 = 0;
	pid_t dpid = 0;
	int r;

	memset(rep, 0, sizeof(*rep));
	r = mgr_mig_check(vm, err, errlen);
	if (r < 0)
		return r;
	snprintf(dsuffix, sizeof(dsuffix), "qmpd%d", (int)vm->pid);
	if (mgr_migrate_path(vm, "qmp", qmp, sizeof(qmp)) < 0 ||
	    mgr_migrate_path(vm, dsuffix, qmpd, sizeof(qmpd)) < 0 ||
	    mgr_migrate_path(vm, "mig", mig, sizeof(mig)) < 0) {
		snprintf(err, errlen, "vm %s: %s/%s.%s is longer than a unix socket path: "
			 "shorten manager.state_dir", vm->cfg->name, vm->m->cfg.state_dir,
			 vm->cfg->name, dsuffix);
		return -ENAMETOOLONG;
	}
	src = mgr_mig_qmp_new(err, errlen);
	dst = src != NULL ? mgr_mig_qmp_new(err, errlen) : NULL;
	if (dst == NULL) {
		free(src);
		return -ENOMEM;
	}

	/* 1. the source */
	r = mgr_mig_source_open(vm, src, qmp, why, sizeof(why));
	if (r < 0)
		goto fail;
	mgr_ivs_allow_successor(&vm->ivs);
	unlink(qmpd);
	unlink(mig);

	/* 2. the destination */
	log0 = mig_file_size(vm->log_path);
	r = mgr_qemu_spawn(vm, mig, dsuffix, &dpid, why, sizeof(why));
	if (r < 0) {
		dpid = 0;
		goto fail;
	}
	r = mgr_qmp_connect_pid(dst, qmpd, dpid, MIG_QMP_START_MS, why, sizeof(why));
	if (r == 0)
		r = mgr_mig_status(dst, st, sizeof(st), why, sizeof(why));
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
	r = mgr_mig_qmp(src, "migrate", args, NULL, why, sizeof(why));
	if (r == 0)
		r = mgr_mig_wait_stream(src, &info, why, sizeof(why));
	if (r == 0)
		r = mig_wait_running(dst, why, sizeof(why));
	if (r < 0)
		goto fail;

	/* 4. the switch: from here on the VM is the destination's */
	mgr_ivs_handover(&vm->ivs, true);
	rep->old_pid = vm->pid;
	rep->new_pid = dpid;
	mgr_mig_qmp(src, "quit", NULL, NULL, why, sizeof(why));
	mgr_qmp_close(src);
	mig_reap(vm->pid, vm->pid_is_child, MIG_QUIT_MS);
	/* only now: the source removes the file its QMP socket was bound to as
	 * it quits (QEMU unlinks the path it bound, not the one renamed to) */
	if (rename(qmpd, qmp) < 0)
		mgr_log("vm %s: cannot rename %s to %s: %s (a later migration cannot reach "
			"QEMU)", vm->cfg->name, qmpd, qmp, strerror(errno));
	vm->pid = dpid;
	vm->pid_is_child = true;
	if (mgr_state_pid_write(vm->pid_path, dpid) < 0)
		mgr_log("vm %s: cannot write %s: %s", vm->cfg->name, vm->pid_path,
			strerror(errno));
	unlink(mig);
	rep->migrate_ms = mgr_mig_u64(info, "total-time");
	rep->downtime_ms = mgr_mig_u64(info, "downtime");
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
	mgr_mig_source_resume(src, err, errlen);
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
