/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvm-manager — runs NetVM's VMs: attaches each to the core engine on its
 * behalf, serves its QEMU's ivshmem chardev, starts QEMU (directly or through
 * libvirt), restarts it by policy, answers netvmctl. docs/manager.md.
 *
 *   netvm-manager [-c FILE] [--check]
 *
 * Start-up: configuration, state directory, QEMUs a previous manager left
 * (adopted with their core leases, or stopped: see mgr_vm_adopt(); idle VMs
 * are stopped, mgr_idle_orphans()), control socket, then every VM with
 * autostart not adopted. SIGINT/SIGTERM stop
 * every VM and exit (or leave them running: manager.keep_vms_on_exit).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cfg_syslog.h"
#include "mgr.h"
#include "mgr_idle.h"
#include "mgr_launcher.h"
#include "mgr_ops.h"

#define MGR_DEF_CONFIG "/etc/netvm/netvm.conf"

/* Milliseconds on the monotonic clock; cannot fail. */
uint64_t
mgr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Print one line of the manager's log to stdout, with a time stamp; cannot fail. */
void
mgr_log(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	printf("%02d:%02d:%02d.%03ld netvm-manager: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
	       ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Add @fd to the loop, readable events reported with @tag. Returns 0 or a negative errno. */
int
mgr_watch(struct mgr *m, int fd, struct mgr_tag *tag)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = tag };

	return epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Remove @fd from the loop (before closing it); cannot fail. */
void
mgr_unwatch(struct mgr *m, int fd)
{
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* The VM called @name, or NULL. */
struct mgr_vm *
mgr_find_vm(struct mgr *m, const char *name)
{
	unsigned int i;

	for (i = 0; i < m->nb_vms; i++)
		if (strcmp(m->vms[i].cfg->name, name) == 0)
			return &m->vms[i];
	return NULL;
}

/* The launcher of kind @kind, or NULL when it was not built in. */
const struct mgr_launcher *
mgr_launcher_get(int kind)
{
	switch (kind) {
	case MGR_LAUNCH_QEMU:
		return &mgr_launcher_qemu;
	case MGR_LAUNCH_LIBVIRT:
#ifdef MGR_HAVE_LIBVIRT
		return &mgr_launcher_libvirt;
#else
		return NULL;
#endif
	default:
		return NULL;
	}
}

static void
usage(const char *prog)
{
	printf("usage: %s [-c FILE] [--check] [--syslog]\n"
	       "  -c, --config FILE  configuration (default %s; docs/manager.md)\n"
	       "      --check        check the configuration and exit\n"
	       "      --syslog       messages to syslog (daemon facility), not stdout/stderr\n"
	       "  -h, --help         this text\n", prog, MGR_DEF_CONFIG);
}

static int
mgr_setup_loop(struct mgr *m, char *err, size_t errlen)
{
	struct itimerspec its = {
		.it_interval = { 0, MGR_TICK_MS * 1000000L },
		.it_value = { 0, MGR_TICK_MS * 1000000L },
	};
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	signal(SIGPIPE, SIG_IGN);
	/* Blocked before any thread starts, so every thread inherits the mask. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (m->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    timerfd_settime(m->timer_fd, 0, &its, NULL) < 0 ||
	    (m->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		r = -errno;
		snprintf(err, errlen, "event loop: %s", strerror(-r));
		return r;
	}
	m->sig_tag = (struct mgr_tag){ MGR_TAG_SIGNAL, NULL };
	m->timer_tag = (struct mgr_tag){ MGR_TAG_TIMER, NULL };
	m->ctl_tag = (struct mgr_tag){ MGR_TAG_CTL, NULL };
	if ((r = mgr_watch(m, m->sig_fd, &m->sig_tag)) < 0 ||
	    (r = mgr_watch(m, m->timer_fd, &m->timer_tag)) < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* Everything before the loop: configuration, VMs, state, sockets. */
static int
mgr_setup(struct mgr *m, bool check_only, char *err, size_t errlen)
{
	struct group *g;
	unsigned int i;
	int r;

	r = mgr_cfg_load(m->cfg_path, &m->cfg, err, errlen);
	if (r < 0)
		return r;
	m->vms = calloc(m->cfg.nb_vms ? m->cfg.nb_vms : 1, sizeof(*m->vms));
	if (m->vms == NULL)
		return -ENOMEM;
	for (i = 0; i < m->cfg.nb_vms; i++) {
		r = mgr_vm_init(m, &m->vms[i], &m->cfg.vms[i], err, errlen);
		if (r < 0)
			return r;
		m->nb_vms = i + 1;
	}
	if (check_only)
		return 0;
	/* before anything else: a manager that runs already owns the state
	 * directory, its VMs and their leases */
	if ((r = mgr_ctl_busy(m->cfg.socket_path, err, errlen)) < 0)
		return r;
	if ((r = mgr_scale_init(m, err, errlen)) < 0 || (r = mgr_dos_init(m, err, errlen)) < 0)
		return r;
	mgr_tel_path(&m->cfg, m->tel_path, sizeof(m->tel_path));
	g = getgrnam("kvm");
	m->kvm_gid = g != NULL ? g->gr_gid : (gid_t)-1;
	if ((r = mgr_idle_init(m, err, errlen)) < 0 ||
	    (r = mgr_state_dir_open(&m->cfg, err, errlen)) < 0 ||
	    (r = mgr_setup_loop(m, err, errlen)) < 0 || (r = mgr_ctl_open(m, err, errlen)) < 0)
		return r;
	if ((r = mgr_watch(m, m->ctl_fd, &m->ctl_tag)) < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(-r));
		return r;
	}
	return mgr_migl_open(m, err, errlen);
}

static void
mgr_signal(struct mgr *m)
{
	struct signalfd_siginfo si;
	unsigned int i;

	while (read(m->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			for (i = 0; i < m->nb_vms; i++)
				mgr_vm_tick(&m->vms[i], mgr_now_ms());
		} else if (si.ssi_signo != SIGHUP) {
			mgr_log("signal %u: stopping every VM", si.ssi_signo);
			m->quit = true;
		}
	}
}

static void
mgr_loop(struct mgr *m)
{
	struct epoll_event evs[32];
	uint64_t ticks;
	unsigned int i;
	int n, k;

	while (!m->quit) {
		n = epoll_wait(m->epfd, evs, 32, -1);
		if (n < 0 && errno != EINTR) {
			mgr_log("epoll_wait: %s", strerror(errno));
			break;
		}
		for (k = 0; k < n && !m->quit; k++) {
			struct mgr_tag *t = evs[k].data.ptr;

			switch (t->kind) {
			case MGR_TAG_SIGNAL:
				mgr_signal(m);
				break;
			case MGR_TAG_TIMER:
				if (read(m->timer_fd, &ticks, sizeof(ticks)) < 0)
					break;
				for (i = 0; i < m->nb_vms; i++)
					mgr_vm_tick(&m->vms[i], mgr_now_ms());
				mgr_ops_tick(m, mgr_now_ms());
				mgr_idle_tick(m, mgr_now_ms());
				mgr_migl_tick(m, mgr_now_ms());
				mgr_ctl_tick(m, mgr_now_ms());
				break;
			case MGR_TAG_CTL:
				mgr_ctl_serve(m);
				break;
			case MGR_TAG_CTLC:
				mgr_ctl_event(m, t);
				break;
			case MGR_TAG_MIGL:
			case MGR_TAG_MIGC:
				mgr_migl_event(m, t);
				break;
			case MGR_TAG_CORE:
			case MGR_TAG_IVS:
				/* Safe after the VM went down in this batch: its
				 * events are then ignored (see mgr_vm_event()). */
				mgr_vm_event(t->vm, t->kind);
				break;
			}
		}
	}
}

static void
mgr_shutdown(struct mgr *m)
{
	unsigned int i;

	mgr_dos_stop(m);
	/* with keep_vms_on_exit, the running VMs of "vm" policies are left
	 * below like any VM, for the next manager to adopt */
	mgr_scale_stop(m, m->cfg.keep_vms);
	/* only VMs this manager runs: one down (or never started, as when the
	 * setup failed) was torn down already, and a stop would still remove
	 * its lease file, or destroy a libvirt domain of that name */
	for (i = 0; i < m->nb_vms; i++) {
		if (!mgr_vm_up(&m->vms[i]))
			continue;
		if (m->cfg.keep_vms)
			mgr_vm_leave(&m->vms[i]);
		else
			mgr_vm_stop(&m->vms[i]);
	}
	mgr_idle_shutdown(m);
	mgr_migl_close(m);
	mgr_ctl_close(m);
	free(m->vms);
	mgr_cfg_free(&m->cfg);
}

/* Say once how the guests will run (manager.accel). */
static void
mgr_log_accel(const struct mgr_cfg *c)
{
	char err[256] = "";
	int kvm = mgr_accel_kvm(c, err, sizeof(err));

	if (kvm < 0)
		mgr_log("%s: no VM can start", err);
	else
		mgr_log("guests run under %s (manager.accel = \"%s\")", kvm ? "KVM" : "TCG",
			mgr_cfg_accel_name(c->accel));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "syslog", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mgr m = { .cfg_path = MGR_DEF_CONFIG, .epfd = -1, .sig_fd = -1, .timer_fd = -1,
			 .ctl_fd = -1 };
	char err[MGR_ERR_LEN] = "";
	bool check_only = false;
	unsigned int i;
	int opt;

	/* Whatever the caller's umask, what the manager and its QEMUs create
	 * (pidfiles, chardev and QMP sockets: a QMP socket anyone can write to
	 * is a root QEMU anyone controls) is writable by its owner only. */
	umask(umask(0) | 022);
	for (i = 0; i < MGR_CTL_CONNS; i++)
		m.ctl_conns[i].fd = -1;

	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			m.cfg_path = optarg;
			break;
		case 'k':
			check_only = true;
			break;
		case 'y':
			opt = cfg_syslog_redirect("netvm-manager");
			if (opt < 0) {
				fprintf(stderr, "netvm-manager: --syslog: %s\n", strerror(-opt));
				return 1;
			}
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "netvm-manager: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (mgr_setup(&m, check_only, err, sizeof(err)) < 0) {
		fprintf(stderr, "netvm-manager: %s\n", err[0] ? err : strerror(ENOMEM));
		mgr_shutdown(&m);
		return 1;
	}
	if (check_only) {
		for (i = 0; mgr_cfg_warning(&m.cfg, i, err, sizeof(err)) == 0; i++)
			fprintf(stderr, "netvm-manager: %s: warning: %s\n", m.cfg_path, err);
		printf("%s: %u VM(s), configuration valid\n", m.cfg_path, m.nb_vms);
		mgr_shutdown(&m);
		return 0;
	}
	mgr_log("%s: %u VM(s); control socket %s; core %s, telemetry %s", m.cfg_path, m.nb_vms,
		m.cfg.socket_path, m.cfg.core_socket, m.tel_path);
	for (i = 0; mgr_cfg_warning(&m.cfg, i, err, sizeof(err)) == 0; i++)
		mgr_log("warning: %s", err);
	mgr_log_accel(&m.cfg);
	mgr_state_orphans(&m.cfg);
	mgr_idle_orphans(&m);
	for (i = 0; i < m.nb_vms; i++)
		mgr_vm_adopt(&m.vms[i]);
	for (i = 0; i < m.nb_vms; i++)
		if (m.vms[i].cfg->autostart && m.vms[i].state == MGR_VM_STOPPED)
			mgr_vm_autostart(&m.vms[i]);
	mgr_loop(&m);
	mgr_shutdown(&m);
	mgr_log("stopped");
	return 0;
}
