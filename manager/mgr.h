/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr.h — netvm-manager internals (never installed).
 *
 * The manager is one single-threaded epoll loop (mgr_main.c) over: signals,
 * a 200 ms tick, the control socket (mgr_ctl.c), and per VM its core
 * connection and the events of its ivshmem server thread (mgr_ivshmem.c).
 * A VM (mgr_vm.c) is: an attachment to the core made on its behalf
 * (netlib's nvm_attach.h), the chardev socket QEMU's ivshmem-doorbell connects to,
 * and a QEMU started by a launcher (mgr_launcher.h).
 *
 *   netvm-core  <--attach socket-->  manager  <--chardev socket-->  QEMU
 *       |  pool fd, private fd, doorbell       private fd, doorbell    |
 *       +----------- pool hugetlbfs file (memory-backend-file) --------+
 *
 * Error convention: 0 or a negative errno; messages for the operator in a
 * caller's buffer (char *err, size_t errlen). Nothing here calls exit().
 */
#ifndef NETVM_MGR_H
#define NETVM_MGR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mgr_cfg.h"
#include "nvm_attach.h"

struct json_object;
struct mgr_idle;
struct mgr_launcher;
struct mgr_pol;
struct mgr_dos;

#define MGR_ERR_LEN 512
#define MGR_TICK_MS 200
#define MGR_CMDLINE_MAX 2047 /* x86 guest kernel: COMMAND_LINE_SIZE - 1 */

/* The core connection held on a VM's behalf is netlib's attach client
 * (nvm_attach.h), under a lease: closing the socket without
 * nvm_attach_close() leaves it orphaned for the next manager. */
#define MGR_ATTACH_TIMEOUT_MS 5000

/* ---- mgr_ivshmem.c: the ivshmem server of one VM's chardev socket ---- */

enum mgr_ivs_event {
	MGR_IVS_CONNECTED = 'C',    /* QEMU connected and got its regions */
	MGR_IVS_DISCONNECTED = 'D', /* QEMU's connection closed */
	MGR_IVS_REFUSED = 'R',      /* another peer tried to connect */
	MGR_IVS_FAILED = 'F',       /* the handshake with QEMU failed */
	MGR_IVS_SUCCESSOR = 'S',    /* a migration's destination QEMU connected */
};

struct mgr_ivs {
	char path[MGR_CFG_SOCK_LEN];
	int listen_fd;
	int conn_fd;
	int stop_fd;      /* eventfd: wakes the thread, to stop (stopping) or for a request */
	int notify[2];    /* pipe: one enum mgr_ivs_event byte per event (refusals:
			   * one byte until the loop takes their count) */
	int64_t peer_id;
	int shm_fd;
	int doorbell_fd;
	bool served;      /* one peer per server: later ones are refused */
	bool running;
	pthread_t thread;
	/* live migration (mgr_migrate.c): the destination QEMU connects while
	 * the source still holds conn_fd; it becomes the peer on a handover */
	pthread_mutex_t lock; /* guards what follows, between the thread and the loop */
	pthread_cond_t done;  /* signalled when a request has been carried out */
	bool stopping;
	bool successor_ok;    /* one more peer may connect: the destination */
	int next_fd;          /* the destination's connection, greeted, or -1 */
	int request;          /* MGR_IVS_REQ_*, 0 when none is pending */
	unsigned long refused; /* peers refused that the loop has not counted yet */
};

enum { MGR_IVS_REQ_HANDOVER = 1, MGR_IVS_REQ_CANCEL = 2 };

void mgr_ivs_init(struct mgr_ivs *s);
int mgr_ivs_start(struct mgr_ivs *s, const char *path, int64_t peer_id, int shm_fd,
		  int doorbell_fd, gid_t gid, char *err, size_t errlen);
int mgr_ivs_event(struct mgr_ivs *s);
unsigned long mgr_ivs_refused(struct mgr_ivs *s);
void mgr_ivs_stop(struct mgr_ivs *s);
void mgr_ivs_allow_successor(struct mgr_ivs *s);
void mgr_ivs_handover(struct mgr_ivs *s, bool commit);

/* ---- mgr_tel.c: the core's DPDK telemetry ---- */

/* The pool region the core gave on attach (a sealed hugetlb memfd: no file
 * in any directory; QEMU gets the fd itself). */
struct mgr_pool_info {
	char name[MGR_CFG_PATH_LEN]; /* as /proc/self/fd shows it, for messages */
	uint64_t size;
};

void mgr_tel_path(const struct mgr_cfg *c, char *path, size_t len);
int mgr_tel_query(const char *path, const char *cmd, struct json_object **out, char *err,
		  size_t errlen);
int mgr_tel_stats(const char *path, struct json_object **out, char *err, size_t errlen);
int mgr_tel_nf_live(const char *path, uint32_t nf_id, char *err, size_t errlen);
/* The string @key of object @o, or @dflt when absent, JSON null or not a string. */
const char *mgr_json_str(struct json_object *o, const char *key, const char *dflt);

/* ---- mgr_vm.c: one VM's life ---- */

enum mgr_vm_state {
	MGR_VM_STOPPED,  /* not started, or stopped by the operator */
	MGR_VM_STARTING, /* QEMU started, its chardev not connected yet */
	MGR_VM_BOOTING,  /* QEMU holds its regions, the guest's NF does not run yet */
	MGR_VM_RUNNING,  /* the core delivers to the guest's NF */
	MGR_VM_BACKOFF,  /* went down; restarts at restart_at_ms */
	MGR_VM_FAILED,   /* went down and stays down (policy or restart limit) */
};

struct mgr;

/* epoll tags: what a ready fd belongs to. */
enum mgr_tag_kind {
	MGR_TAG_SIGNAL, MGR_TAG_TIMER, MGR_TAG_CTL, MGR_TAG_CORE, MGR_TAG_IVS,
	MGR_TAG_MIGL, /* the migration port's listening socket */
	MGR_TAG_MIGC, /* one connection to it (mgr_mig_listen.c) */
	MGR_TAG_CTLC, /* one connection to the control socket (mgr_ctl.c) */
};

struct mgr_tag {
	enum mgr_tag_kind kind;
	struct mgr_vm *vm;
};

struct mgr_vm {
	struct mgr *m;
	const struct mgr_vm_cfg *cfg;
	const struct mgr_launcher *launcher;
	enum mgr_vm_state state;
	struct nvm_attach att;
	struct mgr_ivs ivs;
	struct mgr_pool_info pool;
	struct mgr_tag core_tag, ivs_tag;
	char sock_path[MGR_CFG_SOCK_LEN];     /* <state_dir>/<name>.sock */
	char pid_path[MGR_CFG_PATH_LEN];      /* <state_dir>/<name>.pid */
	char console_path[MGR_CFG_PATH_LEN];  /* <state_dir>/<name>.console */
	char log_path[MGR_CFG_PATH_LEN];      /* <state_dir>/<name>.log: QEMU's stderr */
	char lease_path[MGR_CFG_PATH_LEN];    /* <state_dir>/<name>.lease: its core lease */
	/* launcher state */
	pid_t pid;            /* QEMU's pid, 0 when none */
	bool pid_is_child;    /* started by this manager (waitpid works) */
	void *lpriv;          /* launcher-private */
	bool exit_clean;      /* set by is_running() == 0: the guest powered off */
	char exit_how[128];   /* "exit status 0", "killed by signal 9", ... */
	/* restart policy */
	unsigned int restarts; /* restarts in a row (reset after stable_s running) */
	unsigned int starts;   /* starts since the manager started */
	uint64_t started_ms;   /* when it was (re)started */
	uint64_t booting_ms;   /* when its chardev connected */
	uint64_t running_ms;   /* when its NF started running */
	bool adopted;          /* taken over from a previous manager */
	bool incoming;         /* started as a migration's destination, not yet running:
				* never restarted (the VM runs at its source) */
	uint64_t restart_at_ms;
	char last_down[1024];  /* why it last went down */
	char error[MGR_ERR_LEN]; /* the last start error */
};

int mgr_vm_init(struct mgr *m, struct mgr_vm *vm, const struct mgr_vm_cfg *cfg, char *err,
		size_t errlen);
int mgr_vm_start(struct mgr_vm *vm, char *err, size_t errlen);
int mgr_vm_cmdline(const struct mgr_vm *vm, char *buf, size_t len, char *err, size_t errlen);
int mgr_vm_fw_file(const struct mgr_vm *vm, unsigned int i, char *path, size_t len, char *err,
		   size_t errlen);
int mgr_vm_stop(struct mgr_vm *vm);
void mgr_vm_event(struct mgr_vm *vm, enum mgr_tag_kind kind);
void mgr_vm_autostart(struct mgr_vm *vm);
void mgr_vm_tick(struct mgr_vm *vm, uint64_t now_ms);
void mgr_vm_adopt(struct mgr_vm *vm);
void mgr_vm_leave(struct mgr_vm *vm);
bool mgr_vm_up(const struct mgr_vm *vm);
const char *mgr_vm_state_name(enum mgr_vm_state s);

/* ---- mgr_state.c: the state directory ---- */

int mgr_state_dir_open(const struct mgr_cfg *c, char *err, size_t errlen);
int mgr_state_pid_write(const char *path, pid_t pid);
pid_t mgr_state_pid_read(const char *path);
int mgr_state_lease_write(const char *path, uint32_t nf_id, uint64_t token);
int mgr_state_lease_read(const char *path, uint32_t *nf_id, uint64_t *token);
void mgr_state_lease_end(const struct mgr_cfg *c, const char *path);
bool mgr_state_pid_is_vm(pid_t pid, const char *sock_path);
pid_t mgr_state_find_vm(const char *sock_path);
pid_t mgr_state_vm_pid(const char *pidfile, const char *sock_path, const char *what);
void mgr_state_kill(pid_t pid);
void mgr_state_orphans(const struct mgr_cfg *c);

/* ---- mgr_ctl.c: the control socket of netvmctl ---- */

int mgr_ctl_busy(const char *path, char *err, size_t errlen);
int mgr_ctl_open(struct mgr *m, char *err, size_t errlen);
void mgr_ctl_serve(struct mgr *m);
void mgr_ctl_event(struct mgr *m, struct mgr_tag *t);
void mgr_ctl_tick(struct mgr *m, uint64_t now_ms);
void mgr_ctl_close(struct mgr *m);
struct json_object *mgr_ctl_peer(struct mgr *m, char *req);

/* ---- mgr_mig_listen.c: the migration port (manager.migrate_listen) ---- */

struct mgr_migl;

int mgr_migl_open(struct mgr *m, char *err, size_t errlen);
void mgr_migl_event(struct mgr *m, struct mgr_tag *t);
void mgr_migl_tick(struct mgr *m, uint64_t now_ms);
void mgr_migl_close(struct mgr *m);

/* ---- mgr_lv_xml.c: the libvirt launcher's domain XML ---- */

#define MGR_LV_XML_LEN 16384

struct mgr_lv_xml {
	char cmdline[MGR_CMDLINE_MAX + 1]; /* a kernel-booted guest's, set by the caller */
	/* a disk-booted guest's files, for QEMU's firmware config (mgr_vm_fw_file()) */
	char fw_file[MGR_CFG_MAX_FILES][MGR_CFG_PATH_LEN + MGR_CFG_NAME_LEN + 16];
	char buf[MGR_LV_XML_LEN]; /* the XML */
	size_t len;
	bool overflow;
	const char *bad; /* the setting whose value no XML can carry, or NULL */
};

/* The real path of @c's state directory into @buf (as configured when it
 * cannot be resolved): what a domain's mark names. Returns @buf. */
const char *mgr_lv_state_dir(const struct mgr_cfg *c, char *buf, size_t len);
/* The domain XML of @vm (under KVM when @kvm) into x->buf, from x->cmdline
 * and x->fw_file. Returns 0, -EINVAL when a value holds a character no XML
 * can carry (a control character but tab, line feed and carriage return, or
 * bytes that are not UTF-8) or -E2BIG when it is too long, with a message in
 * @err. */
int mgr_lv_xml_build(const struct mgr_vm *vm, bool kvm, struct mgr_lv_xml *x, char *err,
		     size_t errlen);

/* ---- mgr_main.c: the manager ---- */

#define MGR_CTL_CONNS 16     /* control connections waiting for their request line */
#define MGR_CTL_REQ_LEN 2048 /* a request line with its NUL (nf start carries a command) */

/* One control connection whose request line is not whole yet (mgr_ctl.c). */
struct mgr_ctl_conn {
	struct mgr_tag tag;
	int fd;            /* -1: a free slot */
	uint64_t deadline; /* the line must be whole by then */
	size_t len;
	char line[MGR_CTL_REQ_LEN];
};

struct mgr {
	struct mgr_cfg cfg;
	const char *cfg_path;
	char tel_path[MGR_CFG_PATH_LEN]; /* the core's telemetry socket */
	int epfd;
	int sig_fd;
	int timer_fd;
	int ctl_fd;
	gid_t kvm_gid;         /* group QEMU runs as under libvirt, or -1 */
	struct mgr_tag sig_tag, timer_tag, ctl_tag;
	struct mgr_ctl_conn ctl_conns[MGR_CTL_CONNS];
	unsigned int nb_vms;
	struct mgr_vm *vms;
	struct mgr_pol *pols;      /* one per m->cfg.scale (mgr_scale.c) */
	struct mgr_dos *dos;       /* m->cfg.dos's state (mgr_dos.c), or NULL */
	struct mgr_idle *idle;  /* the idle VM pool (mgr_idle.h), NULL when none */
	struct mgr_migl *migl;  /* the migration port (mgr_mig_listen.c), NULL when none */
	bool quit;
};

uint64_t mgr_now_ms(void);
int mgr_watch(struct mgr *m, int fd, struct mgr_tag *tag);
void mgr_unwatch(struct mgr *m, int fd);
struct mgr_vm *mgr_find_vm(struct mgr *m, const char *name);
void mgr_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* NETVM_MGR_H */
