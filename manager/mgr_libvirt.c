/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_libvirt.c — the "libvirt" launcher: libvirtd runs QEMU.
 *
 * The VM is a persistent domain "netvm-<name>" (manager.libvirt_uri),
 * defined and started by the manager, destroyed and undefined when it goes
 * down; persistent so that its state reason (shutdown, crashed, destroyed)
 * can still be read after QEMU is gone. The private region is libvirt's own
 * <shmem> ivshmem-doorbell with <server path=<state_dir>/<name>.sock/>.
 *
 * The pool is a sealed hugetlb memfd with no name in any directory, which
 * no domain XML can describe: the domain is started paused, the manager
 * hands the pool fd to that domain's QEMU over libvirt's monitor (QMP
 * add-fd), adds memory-backend-file mem-path=/proc/self/fd/<that fd> and an
 * ivshmem-plain device on it, and resumes the domain. A QEMU thus maps the
 * pool of its own VM's trust group and no other: there is no pool file for
 * it to open.
 *
 * QEMU runs as libvirt-qemu:kvm: the manager gives the chardev socket to
 * group kvm with mode 0660, and turns libvirt's relabelling off for the
 * domain (<seclabel type='none'/>) so that it does not chown the kernel,
 * initrd or disk image. Starting libvirtd/virtlogd is the system's job, not
 * this file's.
 *
 * The domain's XML is mgr_lv_xml.c's. Its <metadata> holds <netvm:owner
 * state_dir=DIR vm=NAME/> (in namespace LV_NS, DIR the state directory's
 * real path; mgr_lv_mark.c reads it), and it is kept as
 * <state_dir>/<name>.xml: a manager started without the VM in its
 * configuration finds that file, and destroys and
 * undefines the domain only when it is marked as that state directory's and
 * that VM's. A domain not so marked (defined by hand, by another manager, or
 * by a netvm-manager older than the mark) is left as it is, whether its VM
 * is configured or not: never adopted, stopped, redefined or undefined.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "mgr.h"
#include "mgr_launcher.h"

#define LV_LOG_DIR "/var/log/libvirt/qemu" /* libvirt's, for qemu:///system */
#define LV_NS "urn:netvm:manager"           /* the namespace of the domain's mark */

static void
lv_error(char *err, size_t errlen, const char *what)
{
	const char *msg = virGetLastErrorMessage();

	snprintf(err, errlen, "libvirt: %s: %s", what, msg != NULL ? msg : "unknown error");
}

/* libvirt prints every error to stderr by default; the manager reports them itself. */
static void
lv_quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

/* A new connection to libvirtd at @c's manager.libvirt_uri (NULL: see @err). */
static virConnectPtr
lv_open(const struct mgr_cfg *c, char *err, size_t errlen)
{
	virConnectPtr conn;

	virSetErrorFunc(NULL, lv_quiet);
	conn = virConnectOpen(c->libvirt_uri);
	if (conn == NULL) {
		char what[MGR_CFG_PATH_LEN + 64];

		snprintf(what, sizeof(what), "cannot connect to %s (is libvirtd running? "
			 "manager.libvirt_uri)", c->libvirt_uri);
		lv_error(err, errlen, what);
	}
	return conn;
}

/* The VM's connection to libvirtd, opened when needed (NULL: see @err). */
static virConnectPtr
lv_conn(struct mgr_vm *vm, char *err, size_t errlen)
{
	virConnectPtr conn = vm->lpriv;

	if (conn != NULL && virConnectIsAlive(conn) == 1)
		return conn;
	if (conn != NULL)
		virConnectClose(conn);
	conn = lv_open(&vm->m->cfg, err, errlen);
	vm->lpriv = conn;
	return conn;
}

/* The domain netvm-<@name> on @conn, or NULL. */
static virDomainPtr
lv_domain_named(virConnectPtr conn, const char *name)
{
	char dom[MGR_CFG_NAME_LEN + 8];

	snprintf(dom, sizeof(dom), "netvm-%s", name);
	return virDomainLookupByName(conn, dom);
}

static virDomainPtr
lv_domain(struct mgr_vm *vm, virConnectPtr conn)
{
	return lv_domain_named(conn, vm->cfg->name);
}

/* Whether domain @dom carries the mark of VM @name of @c's state directory. */
static bool
lv_is_ours(virDomainPtr dom, const struct mgr_cfg *c, const char *name)
{
	char *meta = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, LV_NS, 0);
	char dir[PATH_MAX];
	bool ours = mgr_lv_mark_is(meta, mgr_lv_state_dir(c, dir, sizeof(dir)), name);

	free(meta);
	return ours;
}

/* The message for domain netvm-<@name> of @c's libvirt not marked as VM
 * @name's of @c's state directory, into @err: it is left as it is. */
static void
lv_foreign(const struct mgr_cfg *c, const char *name, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	snprintf(err, errlen, "libvirt domain netvm-%s is not marked as this VM's of state "
		 "directory %s (defined by hand, by another or by an older netvm-manager): left "
		 "as it is (if it is the VM's, virsh destroy and virsh undefine netvm-%s; if not, "
		 "rename the VM)", name, mgr_lv_state_dir(c, dir, sizeof(dir)), name);
}

/* -EEXIST with lv_foreign()'s message in @err when domain netvm-<name> of
 * @vm exists and is not marked as the VM's, else 0 (none, or ours, or
 * libvirtd not reached: the caller's next call says so). */
static int
lv_check_foreign(struct mgr_vm *vm, virConnectPtr conn, char *err, size_t errlen)
{
	virDomainPtr dom = lv_domain(vm, conn);
	bool ours;

	if (dom == NULL)
		return 0;
	ours = lv_is_ours(dom, &vm->m->cfg, vm->cfg->name);
	virDomainFree(dom);
	if (ours)
		return 0;
	lv_foreign(&vm->m->cfg, vm->cfg->name, err, errlen);
	return -EEXIST;
}

static int
lv_claim(struct mgr_vm *vm, char *err, size_t errlen)
{
	char why[MGR_ERR_LEN];
	virConnectPtr conn = lv_conn(vm, why, sizeof(why));

	return conn == NULL ? 0 : lv_check_foreign(vm, conn, err, errlen);
}

/* Run QMP command @cmd in domain @dom's QEMU, passing @fd with it when it is
 * not -1; store the "return" member's integer @key in @val when @key is not
 * NULL. Returns 0, or a negative errno with a message in @err. */
static int
lv_qmp(virDomainPtr dom, const char *cmd, int fd, const char *key, int64_t *val, char *err,
       size_t errlen)
{
	struct json_object *reply, *ret, *v;
	char *result = NULL;
	int r;

	r = virDomainQemuMonitorCommandWithFiles(dom, cmd, fd >= 0 ? 1 : 0, fd >= 0 ? &fd : NULL,
						 NULL, NULL, &result, 0);
	if (r < 0) {
		lv_error(err, errlen, "QEMU monitor");
		return -EIO;
	}
	reply = json_tokener_parse(result);
	r = 0;
	if (reply == NULL || !json_object_object_get_ex(reply, "return", &ret) ||
	    (key != NULL && (!json_object_object_get_ex(ret, key, &v) ||
			     !json_object_is_type(v, json_type_int)))) {
		snprintf(err, errlen, "QEMU monitor: %s answered %.300s", cmd, result);
		r = -EPROTO;
	} else if (key != NULL) {
		*val = json_object_get_int64(v);
	}
	json_object_put(reply);
	free(result);
	return r;
}

/* Give paused domain @dom's QEMU the pool region: its fd (QMP add-fd), a
 * memory backend on /proc/self/fd/<fd> and an ivshmem-plain device in the
 * last PCI slot (libvirt places its own devices from the first one up). */
static int
lv_pool(struct mgr_vm *vm, virDomainPtr dom, char *err, size_t errlen)
{
	char cmd[512];
	int64_t fd = -1;
	int r;

	r = lv_qmp(dom, "{\"execute\":\"add-fd\"}", vm->att.pool_fd, "fd", &fd, err, errlen);
	if (r < 0)
		return r;
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":"
		 "\"memory-backend-file\",\"id\":\"netvm-pool\",\"mem-path\":"
		 "\"/proc/self/fd/%lld\",\"size\":%llu,\"share\":true}}",
		 (long long)fd, (unsigned long long)vm->pool.size);
	r = lv_qmp(dom, cmd, -1, NULL, NULL, err, errlen);
	if (r < 0)
		return r;
	return lv_qmp(dom, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":"
		      "\"ivshmem-plain\",\"id\":\"netvm-pool-dev\",\"memdev\":\"netvm-pool\","
		      "\"addr\":\"0x1f\"}}", -1, NULL, NULL, err, errlen);
}

/* The QEMU pid of VM @name's domain from libvirt's pidfile, 0 when unknown
 * (for messages only). */
static pid_t
lv_pid(const char *name)
{
	char path[MGR_CFG_NAME_LEN + 64];

	snprintf(path, sizeof(path), "/run/libvirt/qemu/netvm-%s.pid", name);
	return mgr_state_pid_read(path);
}

static int
lv_start(struct mgr_vm *vm, char *err, size_t errlen)
{
	struct mgr_lv_xml *x = calloc(1, sizeof(*x));
	char path[MGR_CFG_PATH_LEN + MGR_CFG_NAME_LEN + 8];
	virConnectPtr conn;
	virDomainPtr dom;
	unsigned int i;
	FILE *f;
	int r, kvm;

	if (x == NULL)
		return -ENOMEM;
	kvm = mgr_accel_kvm(&vm->m->cfg, err, errlen);
	if (kvm < 0) {
		free(x);
		return kvm;
	}
	if (vm->cfg->kernel[0] != '\0' &&
	    (r = mgr_vm_cmdline(vm, x->cmdline, sizeof(x->cmdline), err, errlen)) < 0) {
		free(x);
		return r;
	}
	for (i = 0; vm->cfg->disk[0] != '\0' && i < vm->cfg->nb_files; i++) {
		r = mgr_vm_fw_file(vm, i, x->fw_file[i], sizeof(x->fw_file[i]), err, errlen);
		if (r < 0) {
			free(x);
			return r;
		}
	}
	r = mgr_lv_xml_build(vm, kvm != 0, x, err, errlen);
	if (r < 0) {
		free(x);
		return r;
	}
	conn = lv_conn(vm, err, errlen);
	if (conn == NULL) {
		free(x);
		return -ECONNREFUSED;
	}
	/* a domain of that name not marked as the VM's is not touched */
	r = lv_check_foreign(vm, conn, err, errlen);
	if (r < 0) {
		free(x);
		return r;
	}
	/* The XML is kept beside the other files, for the operator, and tells
	 * a manager without the VM in its configuration to look for the domain. */
	snprintf(path, sizeof(path), "%s/%s.xml", vm->m->cfg.state_dir, vm->cfg->name);
	f = fopen(path, "we");
	r = f == NULL ? -errno : fputs(x->buf, f) < 0 ? -EIO : 0;
	if (f != NULL && fclose(f) != 0 && r == 0)
		r = -errno;
	if (r < 0) {
		free(x);
		snprintf(err, errlen, "cannot write %s: %s (manager.state_dir)", path,
			 strerror(-r));
		return r;
	}
	dom = virDomainDefineXML(conn, x->buf);
	free(x);
	if (dom == NULL) {
		lv_error(err, errlen, "defining the domain");
		return -EINVAL;
	}
	if (virDomainCreateWithFlags(dom, VIR_DOMAIN_START_PAUSED) < 0) {
		lv_error(err, errlen, "starting the domain");
		virDomainUndefine(dom);
		virDomainFree(dom);
		return -EIO;
	}
	r = lv_pool(vm, dom, err, errlen);
	if (r == 0 && virDomainResume(dom) < 0) {
		lv_error(err, errlen, "resuming the domain");
		r = -EIO;
	}
	if (r < 0) {
		virDomainDestroy(dom);
		virDomainUndefine(dom);
		virDomainFree(dom);
		return r;
	}
	virDomainFree(dom);
	vm->pid = lv_pid(vm->cfg->name);
	vm->pid_is_child = false;
	/* QEMU's messages go to libvirt's log, not the state directory. */
	snprintf(vm->log_path, sizeof(vm->log_path), "%s/netvm-%s.log", LV_LOG_DIR, vm->cfg->name);
	return 0;
}

static int
lv_is_running(struct mgr_vm *vm)
{
	static const char *const reasons[] = {
		[VIR_DOMAIN_SHUTOFF_UNKNOWN] = "unknown", [VIR_DOMAIN_SHUTOFF_SHUTDOWN] = "shutdown",
		[VIR_DOMAIN_SHUTOFF_DESTROYED] = "destroyed", [VIR_DOMAIN_SHUTOFF_CRASHED] = "crashed",
		[VIR_DOMAIN_SHUTOFF_MIGRATED] = "migrated", [VIR_DOMAIN_SHUTOFF_SAVED] = "saved",
		[VIR_DOMAIN_SHUTOFF_FAILED] = "failed", [VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT] = "snapshot",
	};
	char err[MGR_ERR_LEN];
	virConnectPtr conn = lv_conn(vm, err, sizeof(err));
	virDomainPtr dom;
	int state, reason, r;

	if (conn == NULL)
		return -ECONNREFUSED;
	dom = lv_domain(vm, conn);
	if (dom == NULL) {
		snprintf(vm->exit_how, sizeof(vm->exit_how), "libvirt: domain netvm-%s is gone",
			 vm->cfg->name);
		vm->exit_clean = false;
		vm->pid = 0;
		return 0;
	}
	r = virDomainGetState(dom, &state, &reason, 0);
	virDomainFree(dom);
	if (r < 0)
		return -EIO;
	if (state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_CRASHED) {
		if (vm->pid <= 0)
			vm->pid = lv_pid(vm->cfg->name);
		return 1;
	}
	snprintf(vm->exit_how, sizeof(vm->exit_how), "libvirt: domain shut off (%s)",
		 state == VIR_DOMAIN_CRASHED ? "crashed" :
		 (unsigned int)reason < sizeof(reasons) / sizeof(reasons[0]) &&
		 reasons[reason] != NULL ? reasons[reason] : "unknown");
	vm->exit_clean = state == VIR_DOMAIN_SHUTOFF && reason == VIR_DOMAIN_SHUTOFF_SHUTDOWN;
	vm->pid = 0;
	return 0;
}

static int
lv_stop(struct mgr_vm *vm)
{
	char err[MGR_ERR_LEN];
	virConnectPtr conn = lv_conn(vm, err, sizeof(err));
	virDomainPtr dom;
	int r = 0;

	if (conn == NULL) {
		mgr_log("vm %s: %s", vm->cfg->name, err);
		return -ECONNREFUSED;
	}
	dom = lv_domain(vm, conn);
	if (dom != NULL && !lv_is_ours(dom, &vm->m->cfg, vm->cfg->name)) {
		/* not the VM's domain: left as it is */
		virDomainFree(dom);
		dom = NULL;
	}
	if (dom != NULL) {
		/* SIGTERM, then SIGKILL after libvirt's grace period. */
		if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0) {
			lv_error(err, sizeof(err), "destroying the domain");
			mgr_log("vm %s: %s", vm->cfg->name, err);
			r = -EIO;
		}
		virDomainUndefine(dom);
		virDomainFree(dom);
	}
	vm->pid = 0;
	virConnectClose(conn);
	vm->lpriv = NULL;
	return r;
}

static int
lv_orphan(const struct mgr_cfg *c, const char *name)
{
	char err[MGR_ERR_LEN], dir[PATH_MAX];
	virConnectPtr conn = lv_open(c, err, sizeof(err));
	virDomainPtr dom;
	pid_t pid;
	int r = 0;

	if (conn == NULL) {
		mgr_log("vm %s: not configured any more; its libvirt domain netvm-%s cannot be "
			"looked up (%s): its lease and files stay", name, name, err);
		return -ECONNREFUSED;
	}
	dom = lv_domain_named(conn, name);
	if (dom == NULL) {
		r = virGetLastErrorCode() == VIR_ERR_NO_DOMAIN ? 0 : -EIO;
		if (r < 0) {
			lv_error(err, sizeof(err), "looking the domain up");
			mgr_log("vm %s: not configured any more; its libvirt domain netvm-%s: %s: "
				"its lease and files stay", name, name, err);
		}
		virConnectClose(conn);
		return r;
	}
	if (!lv_is_ours(dom, c, name)) {
		mgr_log("vm %s: not configured any more; libvirt domain netvm-%s is not marked as "
			"this VM's of state directory %s (defined by hand, by another or by an "
			"older netvm-manager): left as it is, with the VM's lease and files (if it "
			"is the VM's, virsh destroy and virsh undefine netvm-%s)", name, name,
			mgr_lv_state_dir(c, dir, sizeof(dir)), name);
		r = -EPERM;
	} else if (virDomainIsActive(dom) == 1) {
		pid = lv_pid(name);
		mgr_log("vm %s: not configured any more; destroying and undefining libvirt domain "
			"netvm-%s (QEMU pid %d) left by a previous netvm-manager", name, name,
			(int)pid);
		if (virDomainDestroy(dom) < 0)
			r = -EIO;
	} else {
		mgr_log("vm %s: not configured any more; undefining libvirt domain netvm-%s left "
			"by a previous netvm-manager", name, name);
	}
	if (r == 0 && virDomainUndefine(dom) < 0)
		r = -EIO;
	if (r == -EIO) {
		lv_error(err, sizeof(err), "destroying or undefining the domain");
		mgr_log("vm %s: %s: its lease and files stay", name, err);
	}
	virDomainFree(dom);
	virConnectClose(conn);
	return r;
}

const struct mgr_launcher mgr_launcher_libvirt = {
	.name = "libvirt",
	.start = lv_start,
	.stop = lv_stop,
	.is_running = lv_is_running,
	.orphan = lv_orphan,
	.claim = lv_claim,
};
