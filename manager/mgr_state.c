/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_state.c — the state directory: what a manager leaves for the next one.
 *
 * Per VM, <state_dir>/<name>.sock (the chardev socket), <name>.pid (QEMU's
 * pid, for the qemu launcher), <name>.lease (its core lease: instance id and
 * token, mode 0600), <name>.console (the guest's serial port) and
 * <name>.log (QEMU's own messages); for the libvirt launcher, <name>.xml
 * (the domain's XML) instead of <name>.pid. A QEMU is recognised as one of
 * ours only when its pid is in a pidfile AND its command line names the VM's
 * chardev socket, so a recycled pid is never killed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mgr.h"
#include "mgr_launcher.h"

#define MGR_STATE_KILL_WAIT_MS 3000

/* mkdir of @path with mode 0755 whatever the umask; an existing directory
 * is left as it is. Returns 0 or a negative errno. */
static int
mgr_mkdir_0755(const char *path)
{
	if (mkdir(path, 0755) < 0)
		return errno == EEXIST ? 0 : -errno;
	return chmod(path, 0755) < 0 ? -errno : 0;
}

/* mkdir -p of @path, each directory created with mode 0755. */
static int
mgr_mkdir_p(const char *path)
{
	char buf[MGR_CFG_PATH_LEN];
	char *p;
	int r;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if ((r = mgr_mkdir_0755(buf)) < 0)
			return r;
		*p = '/';
	}
	return mgr_mkdir_0755(buf);
}

/*
 * Create the state directory of @c (and its parents) if missing, mode 0755
 * so QEMU running as another user (libvirt) can reach the sockets in it.
 * An existing one must be this process's user's and writable by it only:
 * whoever else may write to it could put their own socket where the
 * manager connects to a QEMU's QMP or agent socket (and hand it the core's
 * pool with add-fd), or their pidfiles and links where it writes.
 * Returns 0 or a negative errno with a message in @err.
 */
int
mgr_state_dir_open(const struct mgr_cfg *c, char *err, size_t errlen)
{
	struct stat st;
	int r = mgr_mkdir_p(c->state_dir);

	if (r == 0 && stat(c->state_dir, &st) < 0)
		r = -errno;
	else if (r == 0 && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	if (r < 0) {
		snprintf(err, errlen, "state directory %s: %s (manager.state_dir)", c->state_dir,
			 strerror(-r));
		return r;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "state directory %s: owned by uid %u, not by this manager's "
			 "user (uid %u): give it to that user or choose another "
			 "(manager.state_dir)", c->state_dir, (unsigned int)st.st_uid,
			 (unsigned int)geteuid());
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "state directory %s: writable by group or others (mode "
			 "%04o): they could replace its sockets; chmod go-w it or choose "
			 "another (manager.state_dir)", c->state_dir,
			 (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* Write @text to @path (replaced atomically). Returns 0 or a negative errno. */
static int
mgr_state_write(const char *path, const char *text)
{
	char tmp[MGR_CFG_PATH_LEN + 8];
	FILE *f;
	int r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (f == NULL)
		return -errno;
	if (fputs(text, f) < 0)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* Write @pid to the pidfile @path (replaced atomically). Returns 0 or a negative errno. */
int
mgr_state_pid_write(const char *path, pid_t pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%d\n", (int)pid);
	return mgr_state_write(path, text);
}

/* The pid in pidfile @path, or 0 when there is none or it is not a pid. */
pid_t
mgr_state_pid_read(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &v) != 1 || v <= 1 || v > INT_MAX)
		v = 0;
	fclose(f);
	return (pid_t)v;
}

/* Write the core lease of a VM (instance @nf_id, @token) to @path, mode
 * 0600: what the next manager adopts it with. Returns 0 or a negative errno. */
int
mgr_state_lease_write(const char *path, uint32_t nf_id, uint64_t token)
{
	char text[64];
	mode_t old = umask(077);
	int r;

	snprintf(text, sizeof(text), "%u %" PRIx64 "\n", nf_id, token);
	r = mgr_state_write(path, text);
	umask(old);
	return r;
}

/* Read the lease file @path. Returns 0, or -ENOENT when there is none, or
 * -EINVAL when it does not hold a lease. */
int
mgr_state_lease_read(const char *path, uint32_t *nf_id, uint64_t *token)
{
	FILE *f = fopen(path, "re");
	int n;

	if (f == NULL)
		return -ENOENT;
	n = fscanf(f, "%" SCNu32 " %" SCNx64, nf_id, token);
	fclose(f);
	return n == 2 && *token != 0 ? 0 : -EINVAL;
}

/* Whether process @pid runs and its command line names @sock_path, as QEMU's
 * option syntax writes it (commas doubled), after @prefix; false when it
 * cannot be read. */
static bool
pid_names(pid_t pid, const char *prefix, const char *sock_path)
{
	char path[64], buf[8192], esc[2 * MGR_CFG_PATH_LEN + 8];
	size_t n, i, len, pre = strlen(prefix);
	FILE *f;

	if (pid <= 1 || pre >= 8)
		return false;
	memcpy(esc, prefix, pre);
	len = pre + strlen(mgr_qemu_esc(sock_path, esc + pre, sizeof(esc) - pre));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	/* Arguments are NUL-separated; the path is inside one of them. */
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = '\n';
	buf[n] = '\0';
	for (i = 0; len > 0 && i + len <= n; i++)
		if (memcmp(buf + i, esc, len) == 0 &&
		    (i + len == n || strchr(",\n", buf[i + len]) != NULL))
			return true;
	return false;
}

/* Whether process @pid runs and its command line names @sock_path, as QEMU's
 * option syntax writes it (commas doubled); false when it cannot be read. */
bool
mgr_state_pid_is_vm(pid_t pid, const char *sock_path)
{
	return pid_names(pid, "", sock_path);
}

/*
 * The QEMU of @sock_path (a VM's chardev socket, an idle VM's agent socket)
 * when its pidfile does not name it (truncated, overwritten, gone): the
 * first process whose command line has "path=" and that socket, as a QEMU
 * chardev option says it. 0 when none runs. Cannot fail.
 */
pid_t
mgr_state_find_vm(const char *sock_path)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t pid = 0, self = getpid();

	if (d == NULL)
		return 0;
	while (pid == 0 && (e = readdir(d)) != NULL) {
		char *end;
		long v = strtol(e->d_name, &end, 10);

		if (e->d_name[0] < '1' || e->d_name[0] > '9' || *end != '\0' || v > INT_MAX ||
		    (pid_t)v == self)
			continue;
		if (pid_names((pid_t)v, "path=", sock_path))
			pid = (pid_t)v;
	}
	closedir(d);
	return pid;
}

/* The QEMU of pidfile @pidfile whose command line names @sock_path, or, when
 * the file exists but does not name one, the one mgr_state_find_vm() finds
 * (logged for @what); 0 when none runs. Cannot fail. */
pid_t
mgr_state_vm_pid(const char *pidfile, const char *sock_path, const char *what)
{
	pid_t pid = mgr_state_pid_read(pidfile), found;

	if (pid > 0 && mgr_state_pid_is_vm(pid, sock_path))
		return pid;
	if (access(pidfile, F_OK) < 0)
		return 0;
	found = mgr_state_find_vm(sock_path);
	if (found > 0)
		mgr_log("%s: %s does not hold its QEMU's pid (%s); QEMU pid %d found by its "
			"socket %s", what, pidfile, pid > 0 ? "another process's" : "no pid",
			(int)found, sock_path);
	return found;
}

/* Stop process @pid, not a child of ours (no waitpid): SIGTERM, then SIGKILL
 * when it still runs after a few seconds; cannot fail. */
void
mgr_state_kill(pid_t pid)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int waited;

	kill(pid, SIGTERM);
	for (waited = 0; waited < MGR_STATE_KILL_WAIT_MS && kill(pid, 0) == 0; waited += 50)
		nanosleep(&ts, NULL);
	if (kill(pid, 0) == 0)
		kill(pid, SIGKILL);
}

/* End the core lease in lease file @path, if the core still holds it, so
 * that it reclaims the buffers now rather than when the lease expires; remove
 * the file; cannot fail. */
void
mgr_state_lease_end(const struct mgr_cfg *c, const char *path)
{
	struct nvm_attach a;
	char err[MGR_ERR_LEN];
	uint64_t token;
	uint32_t id;

	if (mgr_state_lease_read(path, &id, &token) == 0 &&
	    nvm_attach_adopt(&a, c->core_socket, id, token, MGR_ATTACH_TIMEOUT_MS, err,
			     sizeof(err)) == 0)
		nvm_attach_close(&a);
	unlink(path);
}

/* Stop what a previous manager left for VM @name of its state directory,
 * now not in @c, end its lease and remove its files (mgr_state_orphans()). */
static void
mgr_state_orphan(const struct mgr_cfg *c, const char *name)
{
	/* what else a VM leaves: its log, its console, the QMP socket of a QEMU
	 * that could not remove it, the libvirt launcher's domain XML */
	static const char *const gone[] = { "log", "console", "qmp", "xml" };
	const struct mgr_launcher *lv = mgr_launcher_get(MGR_LAUNCH_LIBVIRT);
	char file[MGR_CFG_PATH_LEN + MGR_CFG_NAME_LEN + 16];
	char sock[MGR_CFG_PATH_LEN + MGR_CFG_NAME_LEN + 16], what[MGR_CFG_NAME_LEN + 8];
	unsigned int i;
	pid_t pid;

	snprintf(file, sizeof(file), "%s/%s.xml", c->state_dir, name);
	if (access(file, F_OK) == 0) {
		if (lv == NULL) {
			mgr_log("vm %s: not configured any more; its libvirt domain netvm-%s cannot "
				"be looked up: this netvm-manager was built without libvirt (its "
				"lease and files stay)", name, name);
			return;
		}
		if (lv->orphan(c, name) < 0)
			return;
	}
	snprintf(file, sizeof(file), "%s/%s.pid", c->state_dir, name);
	snprintf(sock, sizeof(sock), "%s/%s.sock", c->state_dir, name);
	snprintf(what, sizeof(what), "vm %s", name);
	pid = mgr_state_vm_pid(file, sock, what);
	if (pid > 0) {
		mgr_log("vm %s: not configured any more; stopping QEMU pid %d left by a "
			"previous netvm-manager", name, (int)pid);
		mgr_state_kill(pid);
	}
	unlink(file);
	unlink(sock);
	for (i = 0; i < MGR_CFG_MAX_FILES; i++) { /* its fw_cfg files (mgr_vm_fw_file) */
		snprintf(file, sizeof(file), "%s/%s.file%u", c->state_dir, name, i);
		unlink(file);
	}
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		snprintf(file, sizeof(file), "%s/%s.%s", c->state_dir, name, gone[i]);
		unlink(file);
	}
	snprintf(file, sizeof(file), "%s/%s.lease", c->state_dir, name);
	mgr_state_lease_end(c, file);
}

/*
 * Stop what a previous manager started for VMs that are no longer in @c:
 * the QEMUs of pidfiles (qemu launcher) and the libvirt domains of domain
 * XML files (libvirt launcher, only a domain marked as this state
 * directory's), end their leases and remove their files (.pid, .sock,
 * .file<N>, .log, .console, .qmp, .xml, .lease); cannot fail (what cannot
 * be removed, or a domain not marked as ours, is left).
 */
void
mgr_state_orphans(const struct mgr_cfg *c)
{
	char (*names)[MGR_CFG_NAME_LEN] = NULL;
	size_t n = 0, cap = 0, i;
	DIR *d = opendir(c->state_dir);
	struct dirent *e;

	if (d == NULL)
		return;
	/* the names first: the directory changes as they are handled */
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char name[MGR_CFG_NAME_LEN];

		if (len <= 4 || len - 4 >= sizeof(name) || (strcmp(e->d_name + len - 4, ".pid") != 0 &&
							     strcmp(e->d_name + len - 4, ".xml") != 0))
			continue;
		memcpy(name, e->d_name, len - 4);
		name[len - 4] = '\0';
		if (mgr_cfg_vm(c, name) != NULL)
			continue;
		for (i = 0; i < n && strcmp(names[i], name) != 0; i++)
			;
		if (i < n)
			continue;
		if (n == cap) {
			size_t ncap = cap != 0 ? 2 * cap : 8;
			void *p = realloc(names, ncap * sizeof(*names));

			if (p == NULL)
				break;
			names = p;
			cap = ncap;
		}
		memcpy(names[n++], name, sizeof(name));
	}
	closedir(d);
	for (i = 0; i < n; i++)
		mgr_state_orphan(c, names[i]);
	free(names);
}
