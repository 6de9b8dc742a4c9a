/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_migrate.h — live migration of a VM's QEMU to a new QEMU on the same
 * host (`netvmctl vm migrate NAME`, mgr_migrate.c), and what the QEMU
 * launcher (mgr_qemu.c) offers it.
 */
#ifndef NETVM_MGR_MIGRATE_H
#define NETVM_MGR_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mgr_cfg.h"

struct json_object;
struct mgr_vm;

/* What a migration took, for the operator. */
struct mgr_migrate_report {
	pid_t old_pid, new_pid;
	uint64_t setup_ms;    /* destination started until it listened for the stream */
	uint64_t park_ms;     /* to another host: the NF's `park` answered */
	uint64_t migrate_ms;  /* QEMU's total time of the migration */
	uint64_t downtime_ms; /* QEMU's downtime: the guest stopped on neither side */
	uint64_t total_ms;    /* the whole request */
	uint32_t nf_id;       /* to another host: the instance at the destination's core */
};

/* What a destination manager set up for an incoming VM (`vm receive`). */
struct mgr_migrate_incoming {
	char path[MGR_CFG_SOCK_LEN]; /* the unix socket its QEMU listens on, or
				      * "tcp:ADDR:PORT" (a request over TCP) */
	uint16_t port;               /* TCP: the port its QEMU listens on */
	pid_t pid;
	uint32_t nf_id;
	uint64_t pool_size, priv_size;
	bool tls;                    /* TCP: the stream must come with TLS */
};

/*
 * Whether QEMU binary @qemu has the ivshmem property x-shared-no-migrate
 * (docs/qemu-patches.md): 1 yes, 0 no (or it cannot be run). Asked once
 * per binary and remembered: asked again when @qemu names another file, or
 * the file it names was replaced or changed (device, inode, size, mtime).
 */
int mgr_migrate_capable(const char *qemu);

/* <state_dir>/<name>.<suffix> of @vm into @buf; -ENAMETOOLONG when it does
 * not fit a unix socket path. */
int mgr_migrate_path(const struct mgr_vm *vm, const char *suffix, char *buf, size_t len);

/*
 * Migrate @vm's QEMU to a new QEMU on this host: the pool and the private
 * region stay where they are, the core keeps delivering to the guest's NF.
 * Returns 0 with @rep filled, or a negative errno with the reason in @err
 * (the VM then runs on in its old QEMU).
 */
int mgr_migrate_vm(struct mgr_vm *vm, struct mgr_migrate_report *rep, char *err, size_t errlen);

/*
 * Move @vm to the netvm-manager at @uri ("unix:PATH" its control socket,
 * "tcp:HOST:PORT" its migration port), which
 * serves another core engine (another host): that manager starts the VM as
 * the destination of a migration on its core's regions, the NF parks, the
 * VM migrates without the pool, this manager stops its side (the core takes
 * every buffer back) and the NF re-attaches to the destination's core.
 * Returns 0 with @rep filled, or a negative errno with the reason in @err
 * (the VM then runs on here, its NF resumed).
 */
int mgr_migrate_vm_to(struct mgr_vm *vm, const char *uri, struct mgr_migrate_report *rep,
		      char *err, size_t errlen);

/*
 * The destination's side (`vm receive NAME`): start stopped VM @vm attached
 * to this manager's core, its QEMU waiting for the stream (on a unix socket
 * in the state directory, or with @tcp on manager.migrate_listen's address
 * and the first free port of manager.migrate_ports); @in says where.
 * Returns 0, or a negative errno with the reason in @err (nothing runs).
 */
int mgr_migrate_receive(struct mgr_vm *vm, bool tcp, struct mgr_migrate_incoming *in,
			char *err, size_t errlen);

/* ---- mgr_mig_peer.c: requests to the destination manager ---- */

struct mgr_mig_peer {
	char uri[MGR_CFG_HOST_LEN + 16];
	bool tcp;
	char path[MGR_CFG_SOCK_LEN];   /* unix: its control socket */
	char host[MGR_CFG_HOST_LEN];   /* tcp: its address or name, no brackets */
	uint16_t port;
	const char *key_path;          /* tcp: manager.migrate_key */
};

/* @uri ("unix:PATH" or "tcp:HOST:PORT") into @p, for this manager's
 * configuration @c. Returns 0, or -EINVAL with the reason in @err. */
int mgr_mig_peer_parse(struct mgr_mig_peer *p, const char *uri, const struct mgr_cfg *c,
		       char *err, size_t errlen);

/*
 * Send request @req (one line, no newline) to destination @p and parse its
 * JSON answer into *@reply within @timeout_ms; over TCP, authenticated
 * both ways (mgr_mig_auth.h). Returns 0; -EACCES when the destination
 * refused our key, -ETIMEDOUT, -EPROTO, or another negative errno; the
 * reason in @err.
 */
int mgr_mig_peer_ask(const struct mgr_mig_peer *p, const char *req, int timeout_ms,
		     struct json_object **reply, char *err, size_t errlen);

/* ---- inside mgr_migrate*.c only ---- */

struct mgr_qmp;

#define MIG_PROPERTY "x-shared-no-migrate"
#define MIG_QMP_START_MS 30000 /* destination started until its QMP answers */
#define MIG_QMP_REPLY_MS 10000 /* one QMP command */

void mgr_mig_sleep_ms(unsigned int ms);
/* QMP command @name (@args consumed, may be NULL) bounded by MIG_QMP_REPLY_MS. */
int mgr_mig_qmp(struct mgr_qmp *q, const char *name, struct json_object *args,
		struct json_object **ret, char *err, size_t errlen);
int mgr_mig_status(struct mgr_qmp *q, char *buf, size_t len, char *err, size_t errlen);
uint64_t mgr_mig_u64(struct json_object *o, const char *key);
int mgr_mig_check(struct mgr_vm *vm, char *err, size_t errlen);
struct mgr_qmp *mgr_mig_qmp_new(char *err, size_t errlen);
int mgr_mig_source_open(struct mgr_vm *vm, struct mgr_qmp *src, const char *qmp, char *err,
			size_t errlen);
void mgr_mig_source_resume(struct mgr_qmp *src, char *err, size_t errlen);
int mgr_mig_wait_stream(struct mgr_qmp *src, struct json_object **info, char *err,
			size_t errlen);
/* Have QEMU @q encrypt its migration stream with TLS (manager.migrate_tls
 * @dir): its x509 credentials as object MIG_TLS_ID, the server's side
 * (the destination) with @server, else the client's. Returns 0, or a
 * negative errno with the reason in @err. */
int mgr_mig_tls(struct mgr_qmp *q, const char *dir, bool server, char *err, size_t errlen);

#define MIG_TLS_ID "netvm-mig-tls"

#define MIG_INCOMING_DEFER "defer" /* @incoming: -incoming defer, then migrate-incoming */

/* mgr_qemu.c: run QEMU for @vm, as the destination of a migration from unix socket
 * @incoming (or MIG_INCOMING_DEFER) when not NULL, QMP at <state_dir>/<name>.<qmp_suffix>; its pid in @pid. */
int mgr_qemu_spawn(struct mgr_vm *vm, const char *incoming, const char *qmp_suffix, pid_t *pid,
		   char *err, size_t errlen);
/* mgr_qemu.c: the launcher's start, the destination of a migration from
 * @incoming when not NULL (vm->pid and the pidfile set). */
int mgr_qemu_start(struct mgr_vm *vm, const char *incoming, char *err, size_t errlen);
/* mgr_vm.c: mgr_vm_start() with the qemu launcher's QEMU waiting for a
 * migration stream on unix socket @incoming (the destination of a move). */
int mgr_vm_start_incoming(struct mgr_vm *vm, const char *incoming, char *err, size_t errlen);

#endif /* NETVM_MGR_MIGRATE_H */
