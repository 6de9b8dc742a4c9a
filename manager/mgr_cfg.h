/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_cfg.h — the manager's configuration file (libconfig syntax).
 *
 * One schema per object (manager, core, one VM), one parser: the file is
 * read into a struct mgr_cfg that holds everything already checked, so the
 * rest of the manager never re-validates. docs/manager.md is the reference.
 *
 * Errors: functions returning int give 0 or a negative errno, with a message
 * "FILE:LINE: KEY: what is wrong" in the caller's buffer. Nothing here logs,
 * exits or touches a VM.
 */
#ifndef NETVM_MGR_CFG_H
#define NETVM_MGR_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MGR_CFG_NAME_LEN 32   /* VM names, with the NUL */
#define MGR_CFG_PATH_LEN 256  /* file paths, with the NUL */
#define MGR_CFG_SOCK_LEN 108  /* unix socket paths: sizeof(sun_path) */
#define MGR_CFG_NF_LEN 1024   /* the NF command line, with the NUL */
#define MGR_CFG_MAX_VMS 64    /* the core engine attaches at most 64 NFs */
#define MGR_CFG_MAX_FILES 8   /* files written into a guest at boot */
#define MGR_CFG_GUEST_PATH_LEN 128
#define MGR_CFG_HOST_LEN 256  /* a host name or address, with the NUL */

/* Defaults (docs/manager.md). */
#define MGR_CFG_DEF_SOCKET "/run/netvm/manager.sock"
#define MGR_CFG_DEF_STATE_DIR "/run/netvm/vms"
#define MGR_CFG_DEF_CORE_SOCKET "/run/netvm/core.sock"
#define MGR_CFG_DEF_FILE_PREFIX "netvm"
#define MGR_CFG_DEF_QEMU "qemu-system-x86_64"
#define MGR_CFG_DEF_LIBVIRT_URI "qemu:///system"
#define MGR_CFG_DEF_BACKOFF_MS 1000
#define MGR_CFG_DEF_BACKOFF_MAX_MS 30000
#define MGR_CFG_DEF_RESTART_LIMIT 5
#define MGR_CFG_DEF_STABLE_S 60
#define MGR_CFG_DEF_CONNECT_S 30
#define MGR_CFG_DEF_BOOT_S 300
#define MGR_CFG_DEF_IDLE_TIMEOUT_MS 10000
#define MGR_CFG_DEF_MIGRATE_PORT_LO 49152 /* QEMU's incoming streams (migrate_ports) */
#define MGR_CFG_DEF_MIGRATE_PORT_HI 49215

enum mgr_launcher_kind {
	MGR_LAUNCH_QEMU = 0,
	MGR_LAUNCH_LIBVIRT = 1,
};

enum mgr_accel {
	MGR_ACCEL_AUTO = 0, /* KVM when /dev/kvm opens, TCG otherwise */
	MGR_ACCEL_KVM = 1,  /* KVM or the VM does not start */
	MGR_ACCEL_TCG = 2,  /* always TCG (emulation) */
};

enum mgr_restart {
	MGR_RESTART_NEVER = 0,      /* a VM that goes down stays down */
	MGR_RESTART_ON_FAILURE = 1, /* restarted unless the guest powered off cleanly */
	MGR_RESTART_ALWAYS = 2,     /* restarted whenever it goes down by itself */
};

/* One VM: an NF instance the manager attaches on the VM's behalf. */
struct mgr_vm_cfg {
	char name[MGR_CFG_NAME_LEN];
	unsigned int line;    /* line of the VM's group in the file */
	uint16_t role;        /* 0..255 */
	uint16_t queues;      /* 1..8 ring sets */
	uint32_t vcpus;
	uint32_t memory_mib;
	char kernel[MGR_CFG_PATH_LEN]; /* absolute; "" when booting a disk */
	char initrd[MGR_CFG_PATH_LEN]; /* absolute or "" */
	char disk[MGR_CFG_PATH_LEN];   /* absolute; "" when booting a kernel */
	char nf[MGR_CFG_NF_LEN];       /* the guest's NF command, may be "" */
	unsigned int nb_files;         /* files the guest's /init writes (cmdline or fw_cfg) */
	struct {
		char guest[MGR_CFG_GUEST_PATH_LEN]; /* absolute path in the guest */
		char host[MGR_CFG_PATH_LEN];        /* absolute path of the content */
	} files[MGR_CFG_MAX_FILES];
	enum mgr_launcher_kind launcher;
	unsigned int launcher_line;
	enum mgr_restart restart;
	bool autostart;
};

/* How an instance of a scaled role is started (mgr_scale.c's methods). */
enum mgr_method {
	MGR_METHOD_PROCESS = 0, /* a host process the manager runs (mgr_proc.c) */
	MGR_METHOD_VM = 1,      /* one of the configuration's VMs, cold-booted */
	MGR_METHOD_IDLE = 2,    /* an NF provisioned into an idle VM (idle = {...}) */
};

#define MGR_CFG_MAX_UNITS 16 /* instances of one role: the core's limit */
#define MGR_CFG_MAX_SCALE 16 /* scaled roles */
#define MGR_CFG_CHAIN_LEN 32

/* scale = ( { role = N; ... } ): the instances of one role and when to
 * start and stop them (docs/operations.md "Scaling"). */
struct mgr_scale_cfg {
	unsigned int line;
	uint16_t role;
	int method;                   /* enum mgr_method */
	int metric;                   /* 0: "load", the only one */
	char command[MGR_CFG_NF_LEN]; /* process: the NF without -s/-r; idle: the
				       * guest's command line, as nf start takes it */
	unsigned int nb_vms;          /* method vm: the VMs, started in order */
	char vms[MGR_CFG_MAX_UNITS][MGR_CFG_NAME_LEN];
	uint32_t min, max;
	uint32_t out_above, in_below; /* mean rx-ring load per instance */
	uint32_t out_hold_ms, in_hold_ms, cooldown_ms, drain_ms;
};

/* Where the DoS filter runs. */
enum mgr_dos_method {
	MGR_DOS_PROCESS = 0, /* a host process of the manager */
	MGR_DOS_IDLE = 1,    /* provisioned into an idle VM (idle = {...}) */
};

/* dos = { ... }: the response to an attack the core detects. */
struct mgr_dos_cfg {
	bool on;
	unsigned int line;
	uint32_t src_pps;                  /* the core's per-source limit; 0: off */
	uint32_t syn_pps;                  /* its per-role TCP SYN limit; 0: off */
	uint32_t hold_ms;                  /* quiet this long: the filter goes; 0: stays */
	char chain[MGR_CFG_CHAIN_LEN];     /* the victim's chain */
	uint16_t filter_role;              /* the role the filter serves */
	int method;                        /* enum mgr_dos_method */
	char filter[MGR_CFG_NF_LEN];       /* process: the filter NF's command without
					    * -s/-r; idle: its guest command line */
};

/* idle = { ... }: booted VMs without an NF, into which NFs are provisioned
 * (mgr_idle.c). count = 0 (the default): no idle VM. */
struct mgr_idle_cfg {
	uint32_t count;      /* idle VMs kept booted, 0..16 */
	uint32_t vcpus;
	uint32_t memory_mib;
	char kernel[MGR_CFG_PATH_LEN]; /* absolute; its /init runs netvm-agent */
	char initrd[MGR_CFG_PATH_LEN]; /* absolute or "" */
	uint32_t timeout_ms; /* a provisioning step (QMP, agent, NF live) waits at most this */
	bool template;       /* restored from a saved idle VM instead of booted */
	bool reuse;          /* a VM takes another NF after one stopped (see mgr_idle.c) */
	unsigned int line;   /* line of the group, 0 when absent */
};

struct mgr_cfg {
	char socket_path[MGR_CFG_SOCK_LEN]; /* control socket of netvmctl */
	char state_dir[MGR_CFG_PATH_LEN];   /* chardev sockets, pidfiles, consoles */
	char qemu[MGR_CFG_PATH_LEN];        /* QEMU binary, a path or a name on $PATH */
	char libvirt_uri[MGR_CFG_PATH_LEN];
	enum mgr_accel accel;    /* how QEMU runs the guests */
	uint32_t backoff_ms;     /* first restart delay */
	uint32_t backoff_max_ms; /* the delay doubles up to this */
	uint32_t restart_limit;  /* restarts in a row before giving up */
	uint32_t stable_s;       /* running this long resets the restart count */
	uint32_t connect_s;      /* QEMU must connect its chardev within this */
	uint32_t boot_s;         /* ... and the guest's NF run within this after */
	bool keep_vms;           /* on SIGTERM, leave the VMs running (adopted later) */
	char core_socket[MGR_CFG_SOCK_LEN];
	char file_prefix[64];    /* the core's EAL --file-prefix (telemetry) */
	/* migrations over TCP (docs/manager.md section 12) */
	char migrate_listen[MGR_CFG_HOST_LEN + 8]; /* "ADDR:PORT", "" when not listening */
	char migrate_addr[MGR_CFG_HOST_LEN];       /* its numeric address, no brackets */
	uint16_t migrate_port;                     /* its port */
	uint16_t migrate_ports[2];                 /* QEMU's incoming ports: first, last */
	char migrate_key[MGR_CFG_PATH_LEN];        /* the shared key file, "" when none */
	char migrate_tls[MGR_CFG_PATH_LEN];        /* x509 credentials of TLS streams, "" for
						    * streams in clear */
	unsigned int nb_vms;
	struct mgr_vm_cfg *vms;
	unsigned int nb_scale;
	struct mgr_scale_cfg *scale;
	struct mgr_dos_cfg dos;
	struct mgr_idle_cfg idle;
};

/* Fill @c with the defaults of an empty file (no VMs); cannot fail. */
void mgr_cfg_defaults(struct mgr_cfg *c);

/*
 * Read the file at @path into @c (overwritten; release with mgr_cfg_free()).
 * Relative paths in it are taken from the file's directory. Returns 0;
 * -ENOENT, -EACCES... when it cannot be opened ("FILE: cannot open: REASON"
 * in @err); -ENOMEM; or -EINVAL for any mistake ("FILE:LINE: KEY: what is
 * wrong"). On failure @c holds the defaults, owning no memory.
 */
int mgr_cfg_load(const char *path, struct mgr_cfg *c, char *err, size_t errlen);

/*
 * Warning @i (from 0) about configuration @c: a setting that loads but can
 * never be met (the manager runs with it and says so at start and with
 * --check). Returns 0 with one line in @buf, or -ENOENT past the last.
 */
int mgr_cfg_warning(const struct mgr_cfg *c, unsigned int i, char *buf, size_t len);

/* Free what mgr_cfg_load() allocated and reset @c to the defaults; cannot fail. */
void mgr_cfg_free(struct mgr_cfg *c);

/* The VM called @name in @c, or NULL when there is none. */
const struct mgr_vm_cfg *mgr_cfg_vm(const struct mgr_cfg *c, const char *name);

/* The configuration's spelling of launcher @k ("qemu", "libvirt"), or "?" for
 * a value that is none of them. */
const char *mgr_cfg_launcher_name(enum mgr_launcher_kind k);

/* The configuration's spelling of accelerator choice @a ("auto", "kvm",
 * "tcg"), or "?" for a value that is none of them. */
const char *mgr_cfg_accel_name(enum mgr_accel a);

/* The configuration's spelling of policy @r ("never", "on-failure", "always"),
 * or "?" for a value that is none of them. */
const char *mgr_cfg_restart_name(enum mgr_restart r);

#endif /* NETVM_MGR_CFG_H */
