/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_migrate.h — live migration of a VM's QEMU to a new QEMU on the same
 * host (`netvmctl vm migrate NAME`, mgr_migrate.c), and what the QEMU
 * launcher (mgr_qemu.c) offers it.
 */
#ifndef NETVM_MGR_MIGRATE_H
#define NETVM_MGR_MIGRATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mgr_vm;

/* What a migration took, for the operator. */
struct mgr_migrate_report {
	pid_t old_pid, new_pid;
	uint64_t setup_ms;    /* destination started until it listened for the stream */
	uint64_t migrate_ms;  /* QEMU's total time of the migration */
	uint64_t downtime_ms; /* QEMU's downtime: the guest stopped on neither side */
	uint64_t total_ms;    /* the whole request */
};

/*
 * Whether QEMU binary @qemu has the ivshmem property x-shared-no-migrate
 * (docs/qemu-patches.md): 1 yes, 0 no (or it cannot be run). Asked once
 * per binary name and remembered.
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

/* mgr_qemu.c: run QEMU for @vm, as the destination of a migration from
 * unix socket @incoming when not NULL; its pid in @pid. */
int mgr_qemu_spawn(struct mgr_vm *vm, const char *incoming, pid_t *pid, char *err,
		   size_t errlen);

#endif /* NETVM_MGR_MIGRATE_H */
