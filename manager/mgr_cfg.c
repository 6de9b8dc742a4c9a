/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_cfg.c — parse and check the manager's configuration file.
 *
 * libconfig reads the syntax; each object (manager, core, a VM) is then
 * checked against its own declarative schema, in one generic pass: unknown
 * keys, wrong types, out-of-range values and missing required keys are
 * errors naming the file, line and key. Rules between keys of one VM
 * (kernel or disk, initrd only with a kernel) follow the schema pass.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "cfg.h"
#include "cfg_report.h"
#include "mgr_cfg.h"
#include "mgr_cfg_priv.h"
#include "mgr_mig_auth.h"

static const char *const mgr_launcher_names[] = { "qemu", "libvirt", NULL };
static const char *const mgr_restart_names[] = { "never", "on-failure", "always", NULL };
static const char *const mgr_accel_names[] = { "auto", "kvm", "tcg", NULL };

/* manager = { ... } */
static const struct mgr_field mgr_manager_schema[] = {
	F_STR("socket", struct mgr_cfg, socket_path, K_PATH, false),
	F_STR("state_dir", struct mgr_cfg, state_dir, K_PATH, false),
	F_STR("qemu", struct mgr_cfg, qemu, K_PROG, false),
	F_STR("libvirt_uri", struct mgr_cfg, libvirt_uri, K_STR, false),
	F_ENUM("accel", struct mgr_cfg, accel, mgr_accel_names),
	F_U32("restart_backoff_ms", struct mgr_cfg, backoff_ms, 10, 3600000, false),
	F_U32("restart_backoff_max_ms", struct mgr_cfg, backoff_max_ms, 10, 3600000, false),
	F_U32("restart_limit", struct mgr_cfg, restart_limit, 0, 1000000, false),
	F_U32("stable_after_s", struct mgr_cfg, stable_s, 1, 86400, false),
	F_U32("connect_timeout_s", struct mgr_cfg, connect_s, 1, 3600, false),
	F_U32("boot_timeout_s", struct mgr_cfg, boot_s, 1, 86400, false),
	F_BOOL("keep_vms_on_exit", struct mgr_cfg, keep_vms),
	F_STR("migrate_listen", struct mgr_cfg, migrate_listen, K_STR, false),
	{ "migrate_ports", K_OWN, 0, 0, 0, 0, NULL, false },
	F_STR("migrate_key", struct mgr_cfg, migrate_key, K_PATH, false),
	F_STR("migrate_tls", struct mgr_cfg, migrate_tls, K_PATH, false),
	{ NULL, K_STR, 0, 0, 0, 0, NULL, false },
};

/* core = { ... } */
static const struct mgr_field mgr_core_schema[] = {
	F_STR("socket", struct mgr_cfg, core_socket, K_PATH, false),
	F_STR("file_prefix", struct mgr_cfg, file_prefix, K_NAME, false),
	/* The core engine's own keys, when one file serves both. */
	{ "hugepage_dir", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "pool_buffers", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "buffer_size", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "mtu", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "ring_size", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "alloc_ring_size", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "queues", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "single_lcore", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "stats_interval", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "lease_s", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "nf_buffers", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "group_buffers", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "placement", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "rx_parse", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "flow_table_size", K_CORE, 0, 0, 0, 0, NULL, false },
	{ "flow_idle_ms", K_CORE, 0, 0, 0, 0, NULL, false },
	{ NULL, K_STR, 0, 0, 0, 0, NULL, false },
};

/* vms = ( { ... }, ... ) */
static const struct mgr_field mgr_vm_schema[] = {
	F_STR("name", struct mgr_vm_cfg, name, K_NAME, true),
	F_U32("role", struct mgr_vm_cfg, role, 0, 255, true),
	F_U32("queues", struct mgr_vm_cfg, queues, 1, 8, false),
	F_U32("vcpus", struct mgr_vm_cfg, vcpus, 1, 64, false),
	F_U32("memory", struct mgr_vm_cfg, memory_mib, 32, 1048576, false),
	F_STR("kernel", struct mgr_vm_cfg, kernel, K_FILE, false),
	F_STR("initrd", struct mgr_vm_cfg, initrd, K_FILE, false),
	F_STR("disk", struct mgr_vm_cfg, disk, K_FILE, false),
	F_STR("nf", struct mgr_vm_cfg, nf, K_CMD, false),
	{ "files", K_FILES, 0, 0, 0, 0, NULL, false },
	F_ENUM("launcher", struct mgr_vm_cfg, launcher, mgr_launcher_names),
	F_ENUM("restart", struct mgr_vm_cfg, restart, mgr_restart_names),
	F_BOOL("autostart", struct mgr_vm_cfg, autostart),
	{ NULL, K_STR, 0, 0, 0, 0, NULL, false },
};

/* idle = { ... } */
static const struct mgr_field mgr_idle_schema[] = {
	F_U32("count", struct mgr_idle_cfg, count, 0, 16, false),
	F_U32("vcpus", struct mgr_idle_cfg, vcpus, 1, 64, false),
	F_U32("memory", struct mgr_idle_cfg, memory_mib, 32, 1048576, false),
	F_STR("kernel", struct mgr_idle_cfg, kernel, K_FILE, false),
	F_STR("initrd", struct mgr_idle_cfg, initrd, K_FILE, false),
	F_U32("timeout_ms", struct mgr_idle_cfg, timeout_ms, 100, 600000, false),
	F_BOOL("template", struct mgr_idle_cfg, template),
	F_BOOL("reuse", struct mgr_idle_cfg, reuse),
	{ NULL, K_STR, 0, 0, 0, 0, NULL, false },
};

/* Write "FILE:LINE: KEY: message" for setting @s and return -EINVAL. */
int
mgr_fail(struct mgr_cfg_ctx *x, const config_setting_t *s, const char *key, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = cfg_report(x->name, x->err, x->errlen, s, key, fmt, ap);
	va_end(ap);
	return r;
}

static int
mgr_get_string(struct mgr_cfg_ctx *x, const config_setting_t *s, const char *key, size_t size,
	       const char **out)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return mgr_fail(x, s, key, "expected a string, got %s", cfg_type_name(s));
	v = config_setting_get_string(s);
	if (v[0] == '\0')
		return mgr_fail(x, s, key, "must not be empty");
	if (strlen(v) >= size)
		return mgr_fail(x, s, key, "longer than %zu characters", size - 1);
	*out = v;
	return 0;
}

/* Store @v in @dst (of @size bytes), made absolute against the file's directory. */
static int
mgr_get_path(struct mgr_cfg_ctx *x, const config_setting_t *s, const char *key, const char *v,
	     char *dst, size_t size)
{
	int n;

	if (v[0] == '/')
		n = snprintf(dst, size, "%s", v);
	else
		n = snprintf(dst, size, "%s/%s", x->dir, v);
	if (n < 0 || (size_t)n >= size)
		return mgr_fail(x, s, key, "'%s' in %s is longer than %zu characters", v, x->dir,
				size - 1);
	return 0;
}

/* File @path (setting @s) can be read, and is not a directory. */
static int
mgr_check_file(struct mgr_cfg_ctx *x, const config_setting_t *s, const char *key,
	       const char *path)
{
	struct stat st;

	if (access(path, R_OK) < 0 || stat(path, &st) < 0)
		return mgr_fail(x, s, key, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return mgr_fail(x, s, key, "%s: %s", path, strerror(EISDIR));
	return 0;
}

/* files = [ "/etc/routes:routes.txt", ... ]: what the guest's /init writes. */
static int
mgr_parse_files(struct mgr_cfg_ctx *x, const config_setting_t *s, const char *key,
		struct mgr_vm_cfg *vm)
{
	char ekey[MGR_KEY_LEN + 16];
	unsigned int i, n;
	size_t k;
	int rc;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return mgr_fail(x, s, key, "expected an array [ \"GUEST_PATH:HOST_FILE\", ... ], "
				"got %s", cfg_type_name(s));
	n = (unsigned int)config_setting_length(s);
	if (n > MGR_CFG_MAX_FILES)
		return mgr_fail(x, s, key, "%u files, at most %u", n, MGR_CFG_MAX_FILES);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v, *colon;
		size_t glen;

		snprintf(ekey, sizeof(ekey), "%s[%u]", key, i);
		rc = mgr_get_string(x, e, ekey, MGR_CFG_PATH_LEN, &v);
		if (rc < 0)
			return rc;
		colon = strchr(v, ':');
		glen = colon != NULL ? (size_t)(colon - v) : 0;
		/* the guest path is a word of the kernel command line, which any
		 * white space (a line break too) would end: the rest another parameter */
		for (k = 0; k < glen && (unsigned char)v[k] > ' ' && v[k] != '"' && v[k] != 0x7f;
		     k++)
			;
		if (v[0] != '/' || colon == NULL || colon[1] == '\0' || k < glen ||
		    glen >= MGR_CFG_GUEST_PATH_LEN)
			return mgr_fail(x, e, ekey, "'%s' is not \"/GUEST/PATH:HOST_FILE\" (an "
					"absolute guest path without white space, control characters "
					"or '\"', at most %u characters)", v,
					MGR_CFG_GUEST_PATH_LEN - 1);
		memcpy(vm->files[i].guest, v, glen);
		vm->files[i].guest[glen] = '\0';
		rc = mgr_get_path(x, e, ekey, colon + 1, vm->files[i].host,
				  sizeof(vm->files[i].host));
		if (rc < 0)
			return rc;
		rc = mgr_check_file(x, e, ekey, vm->files[i].host);
		if (rc < 0)
			return rc;
	}
	vm->nb_files = n;
	return 0;
}

static int
mgr_parse_field(struct mgr_cfg_ctx *x, const struct mgr_field *f, const config_setting_t *s,
		const char *key, void *obj)
{
	static const char name_ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_-.";
	char *dst = (char *)obj + f->off;
	const char *str = NULL;
	long long v;
	unsigned int i;
	int rc;

	switch (f->kind) {
	case K_CORE:
	case K_OWN:
		return 0;
	case K_U32:
		if (config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64)
			return mgr_fail(x, s, key, "expected an integer, got %s", cfg_type_name(s));
		v = config_setting_get_int64(s);
		if (v < f->min || v > f->max)
			return mgr_fail(x, s, key, "%lld is out of range %u..%u", v, f->min, f->max);
		if (f->size == sizeof(uint16_t))
			*(uint16_t *)(void *)dst = (uint16_t)v;
		else
			*(uint32_t *)(void *)dst = (uint32_t)v;
		return 0;
	case K_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return mgr_fail(x, s, key, "expected true or false, got %s",
					cfg_type_name(s));
		*(bool *)(void *)dst = config_setting_get_bool(s) != 0;
		return 0;
	case K_ENUM:
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return mgr_fail(x, s, key, "expected a string, got %s", cfg_type_name(s));
		str = config_setting_get_string(s);
		for (i = 0; f->names[i] != NULL; i++)
			if (strcmp(str, f->names[i]) == 0)
				break;
		if (f->names[i] == NULL) {
			char list[128] = "";

			for (i = 0; f->names[i] != NULL; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
					 i ? ", " : "", f->names[i]);
			return mgr_fail(x, s, key, "'%s' is not one of %s", str, list);
		}
		*(int *)(void *)dst = (int)i;
		return 0;
	case K_FILES:
		return mgr_parse_files(x, s, key, obj);
	default:
		break;
	}
	rc = mgr_get_string(x, s, key, f->size, &str);
	if (rc < 0)
		return rc;
	switch (f->kind) {
	case K_NAME:
		if (str[strspn(str, name_ok)] != '\0')
			return mgr_fail(x, s, key, "'%s': use only letters, digits, '_', '-', '.'",
					str);
		break;
	case K_CMD:
		if (strpbrk(str, "\"\n\r") != NULL)
			return mgr_fail(x, s, key, "must not hold a double quote or a line break "
					"(it is passed as netvm.run=\"...\" on the kernel command line)");
		break;
	case K_PATH:
		return mgr_get_path(x, s, key, str, dst, f->size);
	case K_PROG:
		if (strchr(str, '/') != NULL)
			return mgr_get_path(x, s, key, str, dst, f->size);
		break;
	case K_FILE:
		rc = mgr_get_path(x, s, key, str, dst, f->size);
		return rc < 0 ? rc : mgr_check_file(x, s, key, dst);
	default:
		break;
	}
	memcpy(dst, str, strlen(str) + 1);
	return 0;
}

/*
 * Check group @g against @schema and store its values in @obj. @found gets
 * the setting of each schema key (NULL when absent), in schema order.
 */
int
mgr_parse_object(struct mgr_cfg_ctx *x, const config_setting_t *g, const char *key,
		 const struct mgr_field *schema, void *obj, const config_setting_t **found)
{
	char mkey[MGR_KEY_LEN];
	unsigned int i, j;
	int rc;

	for (j = 0; schema[j].key != NULL; j++)
		;
	if (j > MGR_MAX_FIELDS) { /* a schema grew past @found's size: a programming error */
		fprintf(stderr, "netvm-manager: schema of '%s' has %u keys, MGR_MAX_FIELDS is %d\n",
			key, j, MGR_MAX_FIELDS);
		abort();
	}
	if (!config_setting_is_group(g))
		return mgr_fail(x, g, key, "expected a group { ... }, got %s", cfg_type_name(g));
	for (j = 0; schema[j].key != NULL; j++)
		found[j] = NULL;
	for (i = 0; i < (unsigned int)config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, i);
		const char *name = config_setting_name(m);

		snprintf(mkey, sizeof(mkey), "%s.%s", key, name);
		for (j = 0; schema[j].key != NULL && strcmp(name, schema[j].key) != 0; j++)
			;
		if (schema[j].key == NULL)
			return mgr_fail(x, m, mkey, "unknown key");
		found[j] = m;
		rc = mgr_parse_field(x, &schema[j], m, mkey, obj);
		if (rc < 0)
			return rc;
	}
	for (j = 0; schema[j].key != NULL; j++)
		if (schema[j].required && found[j] == NULL)
			return mgr_fail(x, g, key, "missing key '%s'", schema[j].key);
	return 0;
}

/* Index of @key in @schema; the key is always there (a programming error otherwise). */
unsigned int
mgr_field_idx(const struct mgr_field *schema, const char *key)
{
	unsigned int j;

	for (j = 0; schema[j].key != NULL && strcmp(schema[j].key, key) != 0; j++)
		;
	return j;
}

static void
mgr_vm_defaults(struct mgr_vm_cfg *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->queues = 1;
	vm->vcpus = 1;
	vm->memory_mib = 256;
	vm->launcher = MGR_LAUNCH_QEMU;
	vm->restart = MGR_RESTART_ON_FAILURE;
	vm->autostart = true;
}

static int
mgr_parse_vm(struct mgr_cfg_ctx *x, const config_setting_t *g, const char *key,
	     struct mgr_vm_cfg *vm)
{
	const config_setting_t *found[MGR_MAX_FIELDS];
	const config_setting_t *kernel, *disk, *initrd, *launcher;
	int rc;

	mgr_vm_defaults(vm);
	vm->line = config_setting_source_line(g);
	rc = mgr_parse_object(x, g, key, mgr_vm_schema, vm, found);
	if (rc < 0)
		return rc;
	kernel = found[mgr_field_idx(mgr_vm_schema, "kernel")];
	disk = found[mgr_field_idx(mgr_vm_schema, "disk")];
	initrd = found[mgr_field_idx(mgr_vm_schema, "initrd")];
	launcher = found[mgr_field_idx(mgr_vm_schema, "launcher")];
	vm->launcher_line = launcher != NULL ? config_setting_source_line(launcher) : vm->line;
	if (kernel == NULL && disk == NULL)
		return mgr_fail(x, g, key, "missing key 'kernel' or 'disk' (what the VM boots)");
	if (kernel != NULL && disk != NULL)
		return mgr_fail(x, disk, key, "give 'kernel' or 'disk', not both");
	if (initrd != NULL && kernel == NULL)
		return mgr_fail(x, initrd, key, "'initrd' needs 'kernel'");
	return 0;
}

static int
mgr_parse_vms(struct mgr_cfg_ctx *x, const config_setting_t *list, struct mgr_cfg *c)
{
	char key[MGR_KEY_LEN];
	unsigned int i, j, n;
	int rc;

	if (config_setting_type(list) != CONFIG_TYPE_LIST &&
	    !(config_setting_type(list) == CONFIG_TYPE_ARRAY && config_setting_length(list) == 0))
		return mgr_fail(x, list, "vms", "expected a list ( { ... }, ... ), got %s",
				cfg_type_name(list));
	n = (unsigned int)config_setting_length(list);
	if (n > MGR_CFG_MAX_VMS)
		return mgr_fail(x, list, "vms", "%u VMs, at most %u (the core attaches %u NFs)", n,
				MGR_CFG_MAX_VMS, MGR_CFG_MAX_VMS);
	if (n == 0)
		return 0;
	c->vms = calloc(n, sizeof(*c->vms));
	if (c->vms == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);

		snprintf(key, sizeof(key), "vms[%u]", i);
		rc = mgr_parse_vm(x, g, key, &c->vms[i]);
		if (rc < 0)
			return rc;
		c->nb_vms = i + 1;
		for (j = 0; j < i; j++)
			if (strcmp(c->vms[j].name, c->vms[i].name) == 0) {
				snprintf(key, sizeof(key), "vms[%u].name", i);
				return mgr_fail(x, config_setting_get_member(g, "name"), key,
						"duplicate VM name '%s' (vms[%u], line %u)",
						c->vms[i].name, j, c->vms[j].line);
			}
	}
	return 0;
}

static int
mgr_parse_idle(struct mgr_cfg_ctx *x, const config_setting_t *g, struct mgr_idle_cfg *idle)
{
	const config_setting_t *found[MGR_MAX_FIELDS];
	int rc;

	idle->line = config_setting_source_line(g);
	rc = mgr_parse_object(x, g, "idle", mgr_idle_schema, idle, found);
	if (rc == 0 && idle->count > 0 && idle->kernel[0] == '\0')
		rc = mgr_fail(x, g, "idle", "missing key 'kernel' (what the idle VMs boot; its "
			      "/init must run netvm-agent)");
	return rc;
}

/* migrate_ports = [ FIRST, LAST ]: QEMU's incoming ports, into c->migrate_ports. */
static int
mgr_parse_ports(struct mgr_cfg_ctx *x, const config_setting_t *s, struct mgr_cfg *c)
{
	const char *key = "manager.migrate_ports";
	long long v[2];
	unsigned int i;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY || config_setting_length(s) != 2)
		return mgr_fail(x, s, key, "expected [ FIRST, LAST ], got %s", cfg_type_name(s));
	for (i = 0; i < 2; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (config_setting_type(e) != CONFIG_TYPE_INT &&
		    config_setting_type(e) != CONFIG_TYPE_INT64)
			return mgr_fail(x, s, key, "expected two integers, got %s",
					cfg_type_name(e));
		v[i] = config_setting_get_int64(e);
		if (v[i] < 1 || v[i] > 65535)
			return mgr_fail(x, s, key, "%lld is not a port (1..65535)", v[i]);
	}
	if (v[0] > v[1])
		return mgr_fail(x, s, key, "the first port %lld is above the last %lld", v[0],
				v[1]);
	c->migrate_ports[0] = (uint16_t)v[0];
	c->migrate_ports[1] = (uint16_t)v[1];
	return 0;
}

/* manager = { ... }: the schema, then the keys of migrations over TCP. */
static int
mgr_parse_manager(struct mgr_cfg_ctx *x, const config_setting_t *g, struct mgr_cfg *c)
{
	const config_setting_t *found[MGR_MAX_FIELDS], *listen, *ports, *key, *tls;
	struct mgr_auth_key *k;
	unsigned char addr[sizeof(struct in6_addr)];
	char msg[MGR_CFG_PATH_LEN + 160];
	int rc = mgr_parse_object(x, g, "manager", mgr_manager_schema, c, found);

	if (rc < 0)
		return rc;
	listen = found[mgr_field_idx(mgr_manager_schema, "migrate_listen")];
	ports = found[mgr_field_idx(mgr_manager_schema, "migrate_ports")];
	key = found[mgr_field_idx(mgr_manager_schema, "migrate_key")];
	tls = found[mgr_field_idx(mgr_manager_schema, "migrate_tls")];
	if (tls != NULL && mgr_mig_tls_check(c->migrate_tls, listen != NULL ? MGR_TLS_SERVER :
					     MGR_TLS_CA, msg, sizeof(msg)) < 0)
		return mgr_fail(x, tls, "manager.migrate_tls", "%s", msg);
	if (listen != NULL) {
		if (mgr_auth_hostport(c->migrate_listen, c->migrate_addr, sizeof(c->migrate_addr),
				      &c->migrate_port, msg, sizeof(msg)) < 0)
			return mgr_fail(x, listen, "manager.migrate_listen", "%s", msg);
		if (inet_pton(AF_INET, c->migrate_addr, addr) != 1 &&
		    inet_pton(AF_INET6, c->migrate_addr, addr) != 1)
			return mgr_fail(x, listen, "manager.migrate_listen", "'%s' is not a numeric "
					"IPv4 or IPv6 address (the address to listen on)",
					c->migrate_addr);
		if (key == NULL)
			return mgr_fail(x, g, "manager", "migrate_listen needs migrate_key (the key "
					"file the managers share: docs/manager.md section 12)");
	}
	if (ports != NULL && listen == NULL)
		return mgr_fail(x, ports, "manager.migrate_ports", "only with migrate_listen "
				"(they are the ports its incoming streams listen on)");
	if (ports != NULL && (rc = mgr_parse_ports(x, ports, c)) < 0)
		return rc;
	if (key != NULL) {
		k = malloc(sizeof(*k));
		if (k == NULL)
			return -ENOMEM;
		rc = mgr_auth_key_load(c->migrate_key, k, msg, sizeof(msg));
		memset(k, 0, sizeof(*k));
		free(k);
		if (rc < 0)
			return mgr_fail(x, key, "manager.migrate_key", "%s", msg);
	}
	return 0;
}

/* Top-level sections of the core engine's configuration (docs/config.md). */
static bool
mgr_is_core_section(const char *name)
{
	static const char *const core_sections[] = {
		"roles", "trust_groups", "chains", "rules", "default",
	};
	unsigned int i;

	for (i = 0; i < sizeof(core_sections) / sizeof(core_sections[0]); i++)
		if (strcmp(name, core_sections[i]) == 0)
			return true;
	return false;
}

/* With an idle pool, a VM of `vms` may not take a name of the pool's VMs
 * (idle<N>, idle-tpl): their files in the state directory would be the
 * same. */
static int
mgr_check_idle_names(struct mgr_cfg_ctx *x, const config_setting_t *root,
		     const struct mgr_cfg *c)
{
	const config_setting_t *list = config_setting_get_member(root, "vms");
	char key[32];
	unsigned int i;

	if (c->idle.count == 0)
		return 0;
	for (i = 0; i < c->nb_vms; i++) {
		const char *n = c->vms[i].name;
		size_t d = strncmp(n, "idle", 4) == 0 ? strspn(n + 4, "0123456789") : 0;

		if (strcmp(n, "idle-tpl") != 0 && (d == 0 || n[4 + d] != '\0'))
			continue;
		snprintf(key, sizeof(key), "vms[%u].name", i);
		return mgr_fail(x, config_setting_get_member(config_setting_get_elem(list, i),
							     "name"),
				key, "'%s' is a name of the idle pool's VMs (idle<N>, idle-tpl; "
				"idle.count is %u): give the VM another name", n, c->idle.count);
	}
	return 0;
}

static int
mgr_parse_root(struct mgr_cfg_ctx *x, const config_setting_t *root, struct mgr_cfg *c)
{
	const config_setting_t *found[MGR_MAX_FIELDS];
	unsigned int i;
	int rc;

	for (i = 0; i < (unsigned int)config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, i);
		const char *name = config_setting_name(s);

		if (strcmp(name, "manager") == 0)
			rc = mgr_parse_manager(x, s, c);
		else if (strcmp(name, "core") == 0)
			rc = mgr_parse_object(x, s, "core", mgr_core_schema, c, found);
		else if (strcmp(name, "vms") == 0)
			rc = mgr_parse_vms(x, s, c);
		else if (strcmp(name, "scale") == 0 || strcmp(name, "dos") == 0)
			rc = mgr_cfg_ops_parse(x, s, c);
		else if (strcmp(name, "idle") == 0)
			rc = mgr_parse_idle(x, s, &c->idle);
		else if (mgr_is_core_section(name))
			rc = 0; /* the core engine's: mgr_cfg_load() has its parser check it */
		else
			rc = mgr_fail(x, s, name, "unknown key (expected manager, core, vms, scale, dos, idle, "
				      "or the "
				      "core engine's roles, trust_groups, chains, rules, default)");
		if (rc < 0)
			return rc;
	}
	rc = mgr_check_idle_names(x, root, c);
	if (rc < 0)
		return rc;
	if (c->backoff_max_ms < c->backoff_ms) {
		const config_setting_t *m = config_setting_get_member(root, "manager");
		const config_setting_t *max = m ? config_setting_get_member(m, "restart_backoff_max_ms")
						: NULL;

		if (max == NULL) /* left out: no less than the first delay */
			c->backoff_max_ms = c->backoff_ms;
		else
			return mgr_fail(x, max, "manager.restart_backoff_max_ms",
					"%u is less than restart_backoff_ms (%u)", c->backoff_max_ms,
					c->backoff_ms);
	}
	return mgr_cfg_ops_check(x, root, c);
}

void
mgr_cfg_defaults(struct mgr_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", MGR_CFG_DEF_SOCKET);
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", MGR_CFG_DEF_STATE_DIR);
	snprintf(c->qemu, sizeof(c->qemu), "%s", MGR_CFG_DEF_QEMU);
	snprintf(c->libvirt_uri, sizeof(c->libvirt_uri), "%s", MGR_CFG_DEF_LIBVIRT_URI);
	c->backoff_ms = MGR_CFG_DEF_BACKOFF_MS;
	c->backoff_max_ms = MGR_CFG_DEF_BACKOFF_MAX_MS;
	c->restart_limit = MGR_CFG_DEF_RESTART_LIMIT;
	c->stable_s = MGR_CFG_DEF_STABLE_S;
	c->connect_s = MGR_CFG_DEF_CONNECT_S;
	c->boot_s = MGR_CFG_DEF_BOOT_S;
	snprintf(c->core_socket, sizeof(c->core_socket), "%s", MGR_CFG_DEF_CORE_SOCKET);
	snprintf(c->file_prefix, sizeof(c->file_prefix), "%s", MGR_CFG_DEF_FILE_PREFIX);
	c->idle.vcpus = 1;
	c->idle.memory_mib = 256;
	c->idle.timeout_ms = MGR_CFG_DEF_IDLE_TIMEOUT_MS;
	c->migrate_ports[0] = MGR_CFG_DEF_MIGRATE_PORT_LO;
	c->migrate_ports[1] = MGR_CFG_DEF_MIGRATE_PORT_HI;
}

void
mgr_cfg_free(struct mgr_cfg *c)
{
	free(c->vms);
	free(c->scale);
	mgr_cfg_defaults(c);
}

/* Set x->dir to the absolute directory holding @path. */
static int
mgr_file_dir(struct mgr_cfg_ctx *x, const char *path)
{
	char copy[PATH_MAX];

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	if (realpath(dirname(copy), x->dir) == NULL)
		return -errno;
	return 0;
}

int
mgr_cfg_load(const char *path, struct mgr_cfg *c, char *err, size_t errlen)
{
	struct mgr_cfg_ctx x = { .name = path, .err = err, .errlen = errlen };
	config_t lc;
	int rc;

	mgr_cfg_defaults(c);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = mgr_file_dir(&x, path);
	if (rc < 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	config_init(&lc);
	rc = cfg_read_file(&lc, path, err, errlen);
	if (rc == 0) {
		rc = mgr_parse_root(&x, config_root_setting(&lc), c);
		if (rc == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", path);
	}
	config_destroy(&lc);
	if (rc == 0) {
		/* One file may describe the core engine too: the core's own parser
		 * checks its part, so both programs agree on what the file says. */
		struct cfg core;

		rc = cfg_load(path, &core, err, errlen);
		if (rc == 0)
			cfg_free(&core);
	}
	if (rc < 0)
		mgr_cfg_free(c);
	return rc;
}

const struct mgr_vm_cfg *
mgr_cfg_vm(const struct mgr_cfg *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->nb_vms; i++)
		if (strcmp(c->vms[i].name, name) == 0)
			return &c->vms[i];
	return NULL;
}

const char *
mgr_cfg_launcher_name(enum mgr_launcher_kind k)
{
	return (unsigned int)k < MGR_DIM(mgr_launcher_names) - 1 ? mgr_launcher_names[k] : "?";
}

const char *
mgr_cfg_restart_name(enum mgr_restart r)
{
	return (unsigned int)r < MGR_DIM(mgr_restart_names) - 1 ? mgr_restart_names[r] : "?";
}

const char *
mgr_cfg_accel_name(enum mgr_accel a)
{
	return (unsigned int)a < MGR_DIM(mgr_accel_names) - 1 ? mgr_accel_names[a] : "?";
}
