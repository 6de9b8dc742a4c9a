/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_idle.h — idle VMs and NFs provisioned into them (never installed).
 *
 * An idle VM (mgr_idle.c) is a QEMU booted without ivshmem devices, with a
 * QMP socket (mgr_qmp.c) and an agent on its second serial port
 * (mgr_agent.c, the guest's netvm-agent). Starting an NF in one: a fresh
 * core attach on the NF's behalf, a fresh ivshmem server for its doorbell,
 * the pool and the doorbell hot-plugged through QMP as the qemu launcher
 * lays them out on its command line, then the agent runs the NF.
 *
 *   idle VM:   BOOTING --agent answers--> IDLE --mgr_idle_start_nf()--> BUSY
 *                 ^                         ^                            |
 *                 |  refill (a new QEMU)    +-- mgr_idle_stop_nf(): -----+
 *                 +--- died, failed, or ---     NF stopped, devices gone,
 *                      could not be cleaned     detached
 *
 * The guest is not trusted: every answer of the agent and of QMP is read
 * with a bounded buffer and a deadline and parsed strictly, every request
 * written without waiting past that deadline; an answer that does not
 * parse, or a request not read in time, is an error that destroys the VM
 * (and a new one is booted).
 *
 * Errors: 0 or a negative errno, a message in the caller's buffer.
 */
#ifndef NETVM_MGR_IDLE_H
#define NETVM_MGR_IDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mgr.h"
#include "mgr_qmp.h"

struct json_object;

/* ---- mgr_agent.c: the guest agent's line protocol ---- */

#define MGR_AGENT_LINE 160 /* an answer longer than this is garbage */

enum mgr_agent_verb {
	MGR_AGENT_PONG,
	MGR_AGENT_STARTED, /* value: the NF's pid in the guest */
	MGR_AGENT_STOPPED, /* value: its exit status */
	MGR_AGENT_RUNNING, /* value: its pid */
	MGR_AGENT_EXITED,  /* value: its exit status */
	MGR_AGENT_NONE,
	MGR_AGENT_ERROR,   /* text: why */
};

struct mgr_agent_answer {
	enum mgr_agent_verb verb;
	uint32_t seq;
	uint32_t value;
	char text[MGR_AGENT_LINE];
};

/* The agent socket's send buffer (SO_SNDBUF): requests go one at a time,
 * so a guest that stops reading its port fills it within a few of them. */
#define MGR_AGENT_SNDBUF 4096

struct mgr_agent {
	int fd;
	uint32_t seq;
	size_t len;
	char buf[MGR_AGENT_LINE + 2];
	/* requests the socket has not taken yet (the guest is not reading):
	 * sent as it takes them, never waited for */
	size_t out_len;
	char out[2 * (MGR_CFG_NF_LEN + 64)];
	char asked[8]; /* the verb of the last request: what its answer may be */
};

int mgr_agent_parse(const char *line, struct mgr_agent_answer *a);
void mgr_agent_init(struct mgr_agent *ag);
int mgr_agent_connect(struct mgr_agent *ag, const char *path, char *err, size_t errlen);
int mgr_agent_send(struct mgr_agent *ag, const char *verb, const char *args, char *err,
		   size_t errlen);
int mgr_agent_poll(struct mgr_agent *ag, int timeout_ms, struct mgr_agent_answer *a, char *err,
		   size_t errlen);
int mgr_agent_pong(struct mgr_agent *ag, unsigned int max_lines, char *err, size_t errlen);
int mgr_agent_ask(struct mgr_agent *ag, const char *verb, const char *args, char *err,
		  size_t errlen);
int mgr_agent_reply(struct mgr_agent *ag, int timeout_ms, struct mgr_agent_answer *a, char *err,
		    size_t errlen);
int mgr_agent_request(struct mgr_agent *ag, const char *verb, const char *args, int timeout_ms,
		      struct mgr_agent_answer *a, char *err, size_t errlen);
void mgr_agent_timeout(const struct mgr_agent *ag, const char *verb, unsigned int timeout_ms,
		       char *err, size_t errlen);
void mgr_agent_close(struct mgr_agent *ag);

/* ---- mgr_idle.c: the idle VM pool ---- */

enum mgr_idle_state {
	MGR_IDLE_EMPTY,   /* no QEMU: booted by the next refill */
	MGR_IDLE_BOOTING, /* QEMU started, the agent has not answered yet */
	MGR_IDLE_READY,   /* idle: an NF can be started in it */
	MGR_IDLE_BUSY,    /* runs an NF */
};

/* One idle VM, and the NF it runs when busy: the instance handle of
 * mgr_idle_start_nf(). */
struct mgr_idle_vm {
	struct mgr *m;
	char name[MGR_CFG_NAME_LEN];      /* "idle<N>" */
	enum mgr_idle_state state;
	pid_t pid;
	struct mgr_qmp qmp;
	struct mgr_agent agent;
	char qmp_path[MGR_CFG_SOCK_LEN];   /* <state_dir>/idle<N>.qmp */
	char agent_path[MGR_CFG_SOCK_LEN]; /* <state_dir>/idle<N>.agent */
	char bell_path[MGR_CFG_SOCK_LEN];  /* <state_dir>/idle<N>.sock: per NF */
	char console_path[MGR_CFG_PATH_LEN];
	char log_path[MGR_CFG_PATH_LEN];
	char pid_path[MGR_CFG_PATH_LEN];   /* <state_dir>/idle<N>.idle-pid: QEMU's pid */
	char lease_path[MGR_CFG_PATH_LEN]; /* <state_dir>/idle<N>.idle-lease: its NF's lease */
	uint64_t booted_ms;   /* when QEMU started */
	uint64_t ready_ms;    /* when the agent first answered */
	uint64_t ping_ms;     /* last ping sent while booting */
	uint64_t checked_ms;  /* last NF status check while busy */
	bool status_out;      /* that check's answer is awaited (not read yet) */
	unsigned int nfs;     /* NFs it has run */
	/* the NF, while busy */
	struct nvm_attach att;
	struct mgr_ivs ivs;
	int64_t fdset;        /* QEMU's fd set holding the pool fd, -1 when none */
	uint16_t role, queues;
	char cmdline[MGR_CFG_NF_LEN];
	uint64_t nf_started_ms;
	uint32_t guest_pid;
	unsigned int timing_ms[4]; /* attach, hot-plug, agent start, NF live */
	bool template;        /* the VM the template is saved from (mgr_idle_tpl.c) */
	bool restored;        /* started from the template: its clock is set when idle */
	char last_error[MGR_ERR_LEN];
};

/* The template (idle.template = true): one idle VM saved to a file with its
 * RAM and devices, from which the pool's VMs are restored. */
enum mgr_idle_tpl_state {
	MGR_TPL_NONE,   /* none yet (or it failed: remade after restart_backoff_ms) */
	MGR_TPL_MAKING, /* its VM boots: saved once its agent answers */
	MGR_TPL_READY,  /* saved: VMs are restored from it */
};

struct mgr_idle_tpl {
	enum mgr_idle_tpl_state state;
	struct mgr_idle_vm vm;         /* "idle-tpl", while MAKING */
	char path[MGR_CFG_PATH_LEN];   /* <state_dir>/idle.template */
	uint64_t failed_ms;            /* when it last failed */
	uint64_t bytes;                /* its size */
	unsigned int save_ms, made, restores;
	char error[MGR_ERR_LEN];       /* why it last failed */
};

struct mgr_idle {
	struct mgr *m;
	unsigned int nb;
	struct mgr_idle_vm *vms;
	unsigned int provisioned, replaced, retired;
	struct mgr_idle_tpl tpl;
};

int mgr_idle_init(struct mgr *m, char *err, size_t errlen);
void mgr_idle_tick(struct mgr *m, uint64_t now_ms);
struct mgr_idle_vm *mgr_idle_start_nf(struct mgr *m, uint16_t role, uint16_t queues,
				      const char *cmdline, char *err, size_t errlen);
int mgr_idle_stop_nf(struct mgr_idle_vm *v, char *err, size_t errlen);
struct mgr_idle_vm *mgr_idle_find_nf(struct mgr *m, uint32_t nf_id);
struct json_object *mgr_idle_json(const struct mgr_idle_vm *v, uint64_t now_ms);
void mgr_idle_shutdown(struct mgr *m);
void mgr_idle_orphans(struct mgr *m);

/* inside mgr_idle*.c only */
int mgr_idle_vm_init(struct mgr_idle_vm *v, struct mgr *m, const char *name);
int mgr_idle_boot(struct mgr_idle_vm *v, bool incoming, char *err, size_t errlen);
void mgr_idle_destroy(struct mgr_idle_vm *v, const char *why);
bool mgr_idle_reap(struct mgr_idle_vm *v);
void mgr_idle_tick_booting(struct mgr_idle_vm *v, uint64_t now_ms);
int mgr_idle_qmp(struct mgr_idle_vm *v, const char *name, struct json_object *args, int fd,
		 struct json_object **ret, char *err, size_t errlen);

/* mgr_idle_tpl.c: the template */
void mgr_idle_tpl_tick(struct mgr *m, uint64_t now_ms);
bool mgr_idle_tpl_ready(const struct mgr *m);
int mgr_idle_tpl_restore(struct mgr_idle_vm *v, char *err, size_t errlen);
int mgr_idle_tpl_clock(struct mgr_idle_vm *v, char *err, size_t errlen);
struct json_object *mgr_idle_tpl_json(const struct mgr *m);
void mgr_idle_tpl_shutdown(struct mgr *m);

/* mgr_idle_move.c: an NF moved to another idle VM, its state handed over */
struct mgr_idle_vm *mgr_idle_move_nf(struct mgr_idle_vm *from, const char *save,
				     const char *load, unsigned int t[4], char *err,
				     size_t errlen);

/* mgr_idle_ctl.c */
struct json_object *mgr_idle_ctl(struct mgr *m, const char *req);

#endif /* NETVM_MGR_IDLE_H */
