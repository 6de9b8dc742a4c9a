/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_qemu.c — the "qemu" launcher: the manager runs QEMU itself.
 *
 *   qemu-system-x86_64 -name netvm-<name> -accel kvm|tcg -machine pc
 *     -m <memory> -smp <vcpus> -nographic -nodefaults -no-user-config
 *     -no-reboot -monitor none -serial file:<state_dir>/<name>.console
 *     -qmp unix:<state_dir>/<name>.qmp,server=on,wait=off
 *     -object memory-backend-file,id=netvm-pool,mem-path=/proc/self/fd/4,size=<size>,share=on
 *     -device ivshmem-plain,memdev=netvm-pool,addr=0x10[,x-shared-no-migrate=on]
 *     -chardev socket,path=<state_dir>/<name>.sock,id=netvm-bell
 *     -device ivshmem-doorbell,chardev=netvm-bell,vectors=1,addr=0x11[,x-shared-no-migrate=on]
 *     -kernel K [-initrd I]
 *     -append 'console=ttyS0 panic=-1 quiet netvm.run="<nf>" [netvm.file=/PATH:BASE64]...'
 *   or, for a disk image:
 *     -drive file=<disk>,if=virtio,format=qcow2|raw [-fw_cfg name=opt/netvm/run,string=<nf>]
 *     [-fw_cfg name=opt/netvm/file<N>,file=<state_dir>/<name>.file<N>]...
 *
 * QEMU is a child of the manager in its own session, stdout/stderr to
 * <state_dir>/<name>.log, its pid in <state_dir>/<name>.pid. The pool region
 * is a sealed hugetlb memfd with no name in any directory: QEMU inherits the
 * fd the core gave the manager as fd 4 and opens it as /proc/self/fd/4. KVM or TCG as
 * manager.accel says (mgr_accel_kvm()).
 *
 * x-shared-no-migrate=on when manager.qemu has it (NetVM's patched QEMU,
 * docs/qemu-patches.md): the VM can then migrate (mgr_migrate.c). The
 * destination of a migration is the same command line with
 * -incoming unix:<state_dir>/<name>.mig, its QMP socket at
 * <name>.qmpd<source pid> and the console appended to (-chardev
 * file,...,append=on).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mgr.h"
#include "mgr_launcher.h"
#include "mgr_migrate.h"

#define QEMU_MAX_ARGS 64
#define QEMU_STOP_WAIT_MS 3000
#define QEMU_POOL_FD 4 /* the pool region's fd in QEMU: it has no file name */

struct qemu_argv {
	char *v[QEMU_MAX_ARGS + 1];
	unsigned int n;
	bool oom;
};

static void __attribute__((format(printf, 2, 3)))
qemu_arg(struct qemu_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->n == QEMU_MAX_ARGS) {
		a->oom = true;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		a->oom = true;
		s = NULL;
	}
	va_end(ap);
	if (s != NULL)
		a->v[a->n++] = s;
}

static void
qemu_argv_free(struct qemu_argv *a)
{
	while (a->n > 0)
		free(a->v[--a->n]);
}

int
mgr_accel_kvm(const struct mgr_cfg *c, char *err, size_t errlen)
{
	int fd;

	if (c->accel == MGR_ACCEL_TCG)
		return 0;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (c->accel == MGR_ACCEL_AUTO)
		return 0;
	fd = -errno;
	snprintf(err, errlen, "manager.accel is \"kvm\" but /dev/kvm: %s", strerror(-fd));
	return fd;
}

/* @incoming: the destination of a migration from this unix socket (or
 * MIG_INCOMING_DEFER: the address comes later, by QMP), or NULL. */
static void
qemu_build(const struct mgr_vm *vm, const struct mgr_cfg *c, const char *cmdline, bool kvm,
	   const char *incoming, const char *qmp_suffix, struct qemu_argv *a)
{
	const struct mgr_vm_cfg *v = vm->cfg;
	char e1[2 * MGR_CFG_PATH_LEN], e2[2 * MGR_CFG_NF_LEN], qmp[MGR_CFG_SOCK_LEN];
	const char *shared = mgr_migrate_capable(c->qemu) == 1 ? ",x-shared-no-migrate=on" : "";
	size_t dl = strlen(v->disk);

	qemu_arg(a, "%s", c->qemu);
	qemu_arg(a, "-name");
	qemu_arg(a, "netvm-%s", v->name);
	qemu_arg(a, "-accel");
	qemu_arg(a, "%s", kvm ? "kvm" : "tcg");
	qemu_arg(a, "-machine");
	qemu_arg(a, "pc");
	qemu_arg(a, "-m");
	qemu_arg(a, "%u", v->memory_mib);
	qemu_arg(a, "-smp");
	qemu_arg(a, "%u", v->vcpus);
	qemu_arg(a, "-nographic");
	qemu_arg(a, "-nodefaults");
	qemu_arg(a, "-no-user-config");
	qemu_arg(a, "-no-reboot");
	qemu_arg(a, "-monitor");
	qemu_arg(a, "none");
	if (incoming == NULL) {
		/* QEMU takes what follows file: whole, commas included */
		qemu_arg(a, "-serial");
		qemu_arg(a, "file:%s", vm->console_path);
	} else {
		/* the source still writes the console: append to it */
		qemu_arg(a, "-chardev");
		qemu_arg(a, "file,id=netvm-console,path=%s,append=on",
			 mgr_qemu_esc(vm->console_path, e1, sizeof(e1)));
		qemu_arg(a, "-serial");
		qemu_arg(a, "chardev:netvm-console");
		qemu_arg(a, "-incoming");
		if (strcmp(incoming, MIG_INCOMING_DEFER) == 0)
			qemu_arg(a, "%s", incoming);
		else
			qemu_arg(a, "unix:%s", mgr_qemu_esc(incoming, e1, sizeof(e1)));
	}
	if (mgr_migrate_path(vm, qmp_suffix, qmp, sizeof(qmp)) == 0) {
		qemu_arg(a, "-qmp");
		qemu_arg(a, "unix:%s,server=on,wait=off", mgr_qemu_esc(qmp, e1, sizeof(e1)));
	}
	qemu_arg(a, "-object");
	/* The pool region has no file: QEMU inherits its fd (qemu_child()). */
	qemu_arg(a, "memory-backend-file,id=netvm-pool,mem-path=/proc/self/fd/%d,size=%llu,"
		 "share=on", QEMU_POOL_FD, (unsigned long long)vm->pool.size);
	qemu_arg(a, "-device");
	qemu_arg(a, "ivshmem-plain,memdev=netvm-pool,addr=0x10%s", shared);
	qemu_arg(a, "-chardev");
	qemu_arg(a, "socket,path=%s,id=netvm-bell", mgr_qemu_esc(vm->sock_path, e1, sizeof(e1)));
	qemu_arg(a, "-device");
	qemu_arg(a, "ivshmem-doorbell,chardev=netvm-bell,vectors=1,addr=0x11%s", shared);
	if (v->kernel[0] != '\0') {
		qemu_arg(a, "-kernel");
		qemu_arg(a, "%s", v->kernel);
		if (v->initrd[0] != '\0') {
			qemu_arg(a, "-initrd");
			qemu_arg(a, "%s", v->initrd);
		}
		qemu_arg(a, "-append");
		qemu_arg(a, "%s", cmdline);
	} else {
		qemu_arg(a, "-drive");
		qemu_arg(a, "file=%s,if=virtio,format=%s", mgr_qemu_esc(v->disk, e1, sizeof(e1)),
			 dl > 6 && strcmp(v->disk + dl - 6, ".qcow2") == 0 ? "qcow2" : "raw");
		if (v->nf[0] != '\0') {
			qemu_arg(a, "-fw_cfg");
			qemu_arg(a, "name=opt/netvm/run,string=%s", mgr_qemu_esc(v->nf, e2, sizeof(e2)));
		}
	}
}

/* In the child: the exec, or its errno written to @errfd. QEMU inherits the
 * pool region @poolfd as QEMU_POOL_FD. */
static void __attribute__((noreturn))
qemu_child(struct qemu_argv *a, int logfd, int errfd, int poolfd)
{
	int devnull = open("/dev/null", O_RDONLY);
	int pool = fcntl(poolfd, F_DUPFD_CLOEXEC, QEMU_POOL_FD + 1);
	int e;

	setsid();
	/* fd 3 reports a failed exec, fd 4 is the pool; every other descriptor
	 * of the manager is closed. */
	if (devnull < 0 || pool < 0 || dup2(devnull, 0) < 0 || dup2(logfd, 1) < 0 ||
	    dup2(logfd, 2) < 0 || dup2(errfd, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0 ||
	    dup2(pool, QEMU_POOL_FD) < 0) {
		e = errno;
		if (write(errfd, &e, sizeof(e)) < 0)
			_exit(126);
		_exit(126);
	}
	closefrom(QEMU_POOL_FD + 1);
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(a->v[0], a->v);
	e = errno;
	if (write(3, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* A disk-booted guest's files: one firmware config file each, written now. */
static int
qemu_fw_files(const struct mgr_vm *vm, struct qemu_argv *a, char *err, size_t errlen)
{
	char path[MGR_CFG_PATH_LEN + MGR_CFG_NAME_LEN + 16], e[2 * sizeof(path)];
	unsigned int i;
	int r;

	for (i = 0; vm->cfg->disk[0] != '\0' && i < vm->cfg->nb_files; i++) {
		r = mgr_vm_fw_file(vm, i, path, sizeof(path), err, errlen);
		if (r < 0)
			return r;
		qemu_arg(a, "-fw_cfg");
		qemu_arg(a, "name=opt/netvm/file%u,file=%s", i, mgr_qemu_esc(path, e, sizeof(e)));
	}
	return 0;
}

/*
 * Run QEMU for @vm (the destination of a migration from the unix socket
 * @incoming, when not NULL), its QMP socket <state_dir>/<name>.<qmp_suffix>,
 * without waiting for the guest; its pid in @pid.
 * Returns 0, or a negative errno with a message in @err.
 */
int
mgr_qemu_spawn(struct mgr_vm *vm, const char *incoming, const char *qmp_suffix, pid_t *pidp,
	       char *err, size_t errlen)
{
	struct qemu_argv a = { .n = 0 };
	char cmdline[MGR_CMDLINE_MAX + 1] = "";
	int logfd, pfd[2], e = 0, r, kvm;
	ssize_t n;
	pid_t pid;

	kvm = mgr_accel_kvm(&vm->m->cfg, err, errlen);
	if (kvm < 0)
		return kvm;
	if (vm->cfg->kernel[0] != '\0') {
		r = mgr_vm_cmdline(vm, cmdline, sizeof(cmdline), err, errlen);
		if (r < 0)
			return r;
	}
	qemu_build(vm, &vm->m->cfg, cmdline, kvm != 0, incoming, qmp_suffix, &a);
	r = qemu_fw_files(vm, &a, err, errlen);
	if (r < 0) {
		qemu_argv_free(&a);
		return r;
	}
	if (a.oom) {
		qemu_argv_free(&a);
		snprintf(err, errlen, "out of memory building QEMU's command line");
		return -ENOMEM;
	}
	a.v[a.n] = NULL;
	/* a migration's destination appends to the source's log */
	logfd = open(vm->log_path, O_WRONLY | O_CREAT | O_CLOEXEC |
		     (incoming == NULL ? O_TRUNC : O_APPEND), 0644);
	if (logfd < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", vm->log_path, strerror(-r));
		if (logfd >= 0)
			close(logfd);
		qemu_argv_free(&a);
		return r;
	}
	pid = fork();
	if (pid == 0)
		qemu_child(&a, logfd, pfd[1], vm->att.pool_fd);
	r = pid < 0 ? -errno : 0;
	close(pfd[1]);
	close(logfd);
	if (pid > 0) {
		do
			n = read(pfd[0], &e, sizeof(e));
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)sizeof(e)) {
			/* exec failed: the child has exited */
			waitpid(pid, NULL, 0);
			r = -e;
		}
	}
	close(pfd[0]);
	if (r < 0) {
		snprintf(err, errlen, "cannot run %s: %s (manager.qemu)", a.v[0], strerror(-r));
		qemu_argv_free(&a);
		return r;
	}
	qemu_argv_free(&a);
	*pidp = pid;
	return 0;
}

/* Start QEMU for @vm, the destination of a migration from unix socket
 * @incoming when not NULL (its QMP socket then <name>.qmp too: no source
 * QEMU of this VM runs on this host). */
int
mgr_qemu_start(struct mgr_vm *vm, const char *incoming, char *err, size_t errlen)
{
	pid_t pid;
	int r = mgr_qemu_spawn(vm, incoming, "qmp", &pid, err, errlen);

	if (r < 0)
		return r;
	vm->pid = pid;
	vm->pid_is_child = true;
	if (mgr_state_pid_write(vm->pid_path, pid) < 0)
		mgr_log("vm %s: cannot write %s: %s (a restarted manager will not find QEMU "
			"pid %d)", vm->cfg->name, vm->pid_path, strerror(errno), (int)pid);
	return 0;
}

static int
qemu_start(struct mgr_vm *vm, char *err, size_t errlen)
{
	return mgr_qemu_start(vm, NULL, err, errlen);
}

static void
qemu_gone(struct mgr_vm *vm, int status)
{
	if (WIFEXITED(status)) {
		snprintf(vm->exit_how, sizeof(vm->exit_how), "QEMU exited with status %d",
			 WEXITSTATUS(status));
		vm->exit_clean = WEXITSTATUS(status) == 0;
	} else if (WIFSIGNALED(status)) {
		snprintf(vm->exit_how, sizeof(vm->exit_how), "QEMU killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		vm->exit_clean = false;
	}
	unlink(vm->pid_path);
	vm->pid = 0;
}

static int
qemu_is_running(struct mgr_vm *vm)
{
	int status;
	pid_t r;

	if (vm->pid <= 0)
		return 0;
	if (vm->pid_is_child) {
		do
			r = waitpid(vm->pid, &status, WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			return 1;
		if (r == vm->pid) {
			qemu_gone(vm, status);
			return 0;
		}
		vm->pid_is_child = false; /* ECHILD: someone reaped it; fall back to /proc */
	}
	if (mgr_state_pid_is_vm(vm->pid, vm->sock_path))
		return 1;
	snprintf(vm->exit_how, sizeof(vm->exit_how), "QEMU pid %d is gone", (int)vm->pid);
	vm->exit_clean = false;
	unlink(vm->pid_path);
	vm->pid = 0;
	return 0;
}

static int
qemu_stop(struct mgr_vm *vm)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int waited, status;

	if (vm->pid <= 0 || qemu_is_running(vm) == 0)
		return 0;
	if (!vm->pid_is_child) {
		mgr_state_kill(vm->pid);
		unlink(vm->pid_path);
		vm->pid = 0;
		return 0;
	}
	kill(vm->pid, SIGTERM); /* QEMU quits cleanly on SIGTERM */
	for (waited = 0; waited < QEMU_STOP_WAIT_MS; waited += 50) {
		if (qemu_is_running(vm) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	kill(vm->pid, SIGKILL);
	if (waitpid(vm->pid, &status, 0) == vm->pid)
		qemu_gone(vm, status);
	else
		vm->pid = 0;
	return 0;
}

const struct mgr_launcher mgr_launcher_qemu = {
	.name = "qemu",
	.start = qemu_start,
	.stop = qemu_stop,
	.is_running = qemu_is_running,
};
