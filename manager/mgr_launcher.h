/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_launcher.h — how a VM's QEMU is started and watched, behind one table
 * of function pointers: QEMU run directly (mgr_qemu.c) or through libvirt
 * (mgr_libvirt.c). The manager's VM logic (mgr_vm.c) calls only these.
 *
 * Before start() the manager has attached to the core on the VM's behalf and
 * is serving the VM's chardev socket; a launcher only has to make QEMU run
 * with the two ivshmem devices of struct mgr_vm_boot and keep its own state
 * in struct mgr_vm (pid, launcher-private pointer).
 */
#ifndef NETVM_MGR_LAUNCHER_H
#define NETVM_MGR_LAUNCHER_H

#include <stdbool.h>
#include <stddef.h>

struct mgr_cfg;
struct mgr_vm;

struct mgr_launcher {
	/* "qemu", "libvirt": the spelling of the configuration's launcher key. */
	const char *name;

	/*
	 * Start the VM's QEMU without waiting for the guest. Returns 0, or a
	 * negative errno with a message for the operator in @err (QEMU is not
	 * left running then).
	 */
	int (*start)(struct mgr_vm *vm, char *err, size_t errlen);

	/*
	 * Stop the VM's QEMU: ask it to quit, kill it when it has not after a
	 * few seconds, and forget it. Safe when it is not running. Returns 0
	 * or a negative errno when it could not be stopped.
	 */
	int (*stop)(struct mgr_vm *vm);

	/*
	 * Whether the VM's QEMU runs: 1 yes, 0 no (then vm->exit_clean and
	 * vm->exit_how say how it ended, when known), or a negative errno when
	 * it cannot be told.
	 */
	int (*is_running)(struct mgr_vm *vm);

	/*
	 * At manager start, for VM @name of no VM of @c whose record this
	 * launcher left in the state directory: stop and forget what a previous
	 * manager of that state directory left running for it, and only that;
	 * logs what it did or left. Returns 0 when nothing of the VM is left
	 * (its lease may end and its files go), or a negative errno when
	 * something was left as it is (they stay). NULL: no such record.
	 */
	int (*orphan)(const struct mgr_cfg *c, const char *name);

	/*
	 * At manager start, before VM @vm's QEMU is looked for to be adopted or
	 * stopped: 0 when what runs under the VM's name may be taken for it
	 * (or nothing does), or a negative errno with a message for the
	 * operator in @err when it is not the VM's of this state directory
	 * (it is then neither adopted nor stopped). NULL: always 0.
	 */
	int (*claim)(struct mgr_vm *vm, char *err, size_t errlen);
};

extern const struct mgr_launcher mgr_launcher_qemu;
extern const struct mgr_launcher mgr_launcher_libvirt;

/* The launcher of kind @kind (enum mgr_launcher_kind), or NULL when this
 * netvm-manager was built without it. */
const struct mgr_launcher *mgr_launcher_get(int kind);

/* Shared by the launchers and idle VMs (mgr_lv_xml.c): @s with every ','
 * doubled, as QEMU's option syntax wants, into @buf (cut short if @len is
 * too small); returns @buf. */
const char *mgr_qemu_esc(const char *s, char *buf, size_t len);

/* Whether @meta, a domain's metadata element in namespace urn:netvm:manager
 * as libvirt gives it (NULL: none), marks the domain as VM @name's of the
 * state directory whose real path is @state_dir; false when it cannot be
 * read (mgr_lv_mark.c). */
bool mgr_lv_mark_is(const char *meta, const char *state_dir, const char *name);

/*
 * Whether QEMU runs the guests under KVM, by manager.accel: 1 KVM, 0 TCG, or
 * a negative errno with the reason in @err when accel = "kvm" and /dev/kvm
 * cannot be opened. "auto" is KVM when /dev/kvm opens: it cannot tell a host
 * whose KVM opens but fails to run guests (accel = "tcg" is for those).
 */
int mgr_accel_kvm(const struct mgr_cfg *c, char *err, size_t errlen);

#endif /* NETVM_MGR_LAUNCHER_H */
