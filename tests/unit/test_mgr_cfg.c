/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the manager's configuration parser (manager/mgr_cfg.c):
 * defaults, a file using every key, one mistake of each kind (also of the
 * operations' sections: scale, dos, idle) (the message
 * must name the file, the line — counted here, independently of the parser —
 * and the key), files that cannot be opened, and the example files.
 *
 * Usage: test_mgr_cfg [SOURCE_ROOT]   (configs/vm-*.conf are read from there)
 */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mgr_cfg.h"

#ifndef NETVM_SOURCE_ROOT
#define NETVM_SOURCE_ROOT "."
#endif

static const char *source_root = NETVM_SOURCE_ROOT;
static char dir[256]; /* a scratch directory with the files VMs boot */

/* Line (1-based) of the first occurrence of @needle in @text. */
static unsigned int
line_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	unsigned int line = 1;

	assert_non_null(at);
	for (; text < at; text++)
		if (*text == '\n')
			line++;
	return line;
}

/* Write @text to <dir>/@name; the path goes to @path. */
static void
write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int
setup_dir(void **state)
{
	char path[512];
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test_mgr_cfg.XXXXXX", tmp != NULL && tmp[0] ? tmp : P_tmpdir);
	if (mkdtemp(dir) == NULL)
		return -1;
	write_file("vmlinux", "kernel", path, sizeof(path));
	write_file("initrd.img", "initrd", path, sizeof(path));
	write_file("disk.qcow2", "disk", path, sizeof(path));
	return 0;
}

static int
teardown_dir(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
assert_defaults(const struct mgr_cfg *c)
{
	assert_string_equal(c->socket_path, "/run/netvm/manager.sock");
	assert_string_equal(c->state_dir, "/run/netvm/vms");
	assert_string_equal(c->qemu, "qemu-system-x86_64");
	assert_string_equal(c->libvirt_uri, "qemu:///system");
	assert_int_equal(c->accel, MGR_ACCEL_AUTO);
	assert_int_equal(c->backoff_ms, 1000);
	assert_int_equal(c->backoff_max_ms, 30000);
	assert_int_equal(c->restart_limit, 5);
	assert_int_equal(c->stable_s, 60);
	assert_int_equal(c->connect_s, 30);
	assert_string_equal(c->core_socket, "/run/netvm/core.sock");
	assert_string_equal(c->file_prefix, "netvm");
	assert_int_equal(c->nb_vms, 0);
	assert_null(c->vms);
}

static void
test_defaults(void **state)
{
	char err[256], path[512];
	struct mgr_cfg c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	mgr_cfg_defaults(&c);
	assert_defaults(&c);
	write_file("empty.conf", "", path, sizeof(path));
	assert_int_equal(mgr_cfg_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_defaults(&c);
	mgr_cfg_free(&c);
}

static const char full_conf[] =
	"manager = { socket = \"/run/x/m.sock\"; state_dir = \"state\";\n"
	"  qemu = \"/usr/bin/qemu-system-x86_64\"; libvirt_uri = \"qemu:///session\";\n"
	"  accel = \"tcg\";\n"
	"  restart_backoff_ms = 250; restart_backoff_max_ms = 4000; restart_limit = 7;\n"
	"  stable_after_s = 9; connect_timeout_s = 11; };\n"
	"core = { socket = \"/run/x/core.sock\"; file_prefix = \"pfx-1\"; };\n"
	"vms = (\n"
	"  { name = \"fw1\"; role = 2; queues = 3; vcpus = 2; memory = 512;\n"
	"    kernel = \"vmlinux\"; initrd = \"initrd.img\";\n"
	"    files = [ \"/etc/routes:initrd.img\", \"/etc/x/k:/dev/null\" ];\n"
	"    nf = \"/bin/netvm-l3fwd -r 2 --transport uio -- --mode lpm\";\n"
	"    launcher = \"libvirt\"; restart = \"always\"; autostart = false; },\n"
	"  { name = \"d.2_x\"; role = 0; disk = \"disk.qcow2\"; },\n"
	"  { name = \"d3\"; role = 1; disk = \"disk.qcow2\"; files = [ \"/etc/r:/dev/null\" ]; }\n"
	");\n";

static void
test_full(void **state)
{
	char err[256], path[512], want[512];
	const struct mgr_vm_cfg *v;
	struct mgr_cfg c;

	(void)state;
	write_file("full.conf", full_conf, path, sizeof(path));
	assert_int_equal(mgr_cfg_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.socket_path, "/run/x/m.sock");
	snprintf(want, sizeof(want), "%s/state", dir); /* relative: from the file's directory */
	assert_string_equal(c.state_dir, want);
	assert_string_equal(c.qemu, "/usr/bin/qemu-system-x86_64");
	assert_string_equal(c.libvirt_uri, "qemu:///session");
	assert_int_equal(c.accel, MGR_ACCEL_TCG);
	assert_int_equal(c.backoff_ms, 250);
	assert_int_equal(c.backoff_max_ms, 4000);
	assert_int_equal(c.restart_limit, 7);
	assert_int_equal(c.stable_s, 9);
	assert_int_equal(c.connect_s, 11);
	assert_string_equal(c.core_socket, "/run/x/core.sock");
	assert_string_equal(c.file_prefix, "pfx-1");
	assert_int_equal(c.nb_vms, 3);

	v = mgr_cfg_vm(&c, "fw1");
	assert_non_null(v);
	assert_ptr_equal(v, &c.vms[0]);
	assert_int_equal(v->line, line_of(full_conf, "{ name = \"fw1\""));
	assert_int_equal(v->role, 2);
	assert_int_equal(v->queues, 3);
	assert_int_equal(v->vcpus, 2);
	assert_int_equal(v->memory_mib, 512);
	snprintf(want, sizeof(want), "%s/vmlinux", dir);
	assert_string_equal(v->kernel, want);
	snprintf(want, sizeof(want), "%s/initrd.img", dir);
	assert_string_equal(v->initrd, want);
	assert_string_equal(v->disk, "");
	assert_int_equal(v->nb_files, 2);
	assert_string_equal(v->files[0].guest, "/etc/routes");
	snprintf(want, sizeof(want), "%s/initrd.img", dir);
	assert_string_equal(v->files[0].host, want);
	assert_string_equal(v->files[1].guest, "/etc/x/k");
	assert_string_equal(v->files[1].host, "/dev/null");
	assert_string_equal(v->nf, "/bin/netvm-l3fwd -r 2 --transport uio -- --mode lpm");
	assert_int_equal(v->launcher, MGR_LAUNCH_LIBVIRT);
	assert_int_equal(v->launcher_line, line_of(full_conf, "launcher = \"libvirt\""));
	assert_int_equal(v->restart, MGR_RESTART_ALWAYS);
	assert_false(v->autostart);

	/* The second VM: only the required keys, the rest defaulted. */
	v = mgr_cfg_vm(&c, "d.2_x");
	assert_ptr_equal(v, &c.vms[1]);
	assert_int_equal(v->role, 0);
	assert_int_equal(v->queues, 1);
	assert_int_equal(v->vcpus, 1);
	assert_int_equal(v->memory_mib, 256);
	assert_string_equal(v->kernel, "");
	snprintf(want, sizeof(want), "%s/disk.qcow2", dir);
	assert_string_equal(v->disk, want);
	assert_string_equal(v->nf, "");
	assert_int_equal(v->nb_files, 0);
	assert_int_equal(v->launcher, MGR_LAUNCH_QEMU);
	assert_int_equal(v->restart, MGR_RESTART_ON_FAILURE);
	assert_true(v->autostart);
	/* The third: files with a disk (they reach the guest through fw_cfg). */
	v = mgr_cfg_vm(&c, "d3");
	assert_non_null(v);
	assert_int_equal(v->nb_files, 1);
	assert_string_equal(v->files[0].guest, "/etc/r");
	assert_string_equal(v->files[0].host, "/dev/null");
	assert_null(mgr_cfg_vm(&c, "fw2"));

	assert_string_equal(mgr_cfg_launcher_name(MGR_LAUNCH_QEMU), "qemu");
	assert_string_equal(mgr_cfg_launcher_name(MGR_LAUNCH_LIBVIRT), "libvirt");
	assert_string_equal(mgr_cfg_restart_name(MGR_RESTART_NEVER), "never");
	assert_string_equal(mgr_cfg_restart_name(MGR_RESTART_ON_FAILURE), "on-failure");
	assert_string_equal(mgr_cfg_restart_name(MGR_RESTART_ALWAYS), "always");
	assert_string_equal(mgr_cfg_accel_name(MGR_ACCEL_AUTO), "auto");
	assert_string_equal(mgr_cfg_accel_name(MGR_ACCEL_KVM), "kvm");
	assert_string_equal(mgr_cfg_accel_name(MGR_ACCEL_TCG), "tcg");
	assert_string_equal(mgr_cfg_accel_name((enum mgr_accel)7), "?");
	mgr_cfg_free(&c);
	assert_defaults(&c);
}

/*
 * One mistake: @text must be refused with -EINVAL and the message
 * "<file>:<line of @at>: @key: ..." containing @phrase; @c stays the defaults.
 */
static void
expect_error(const char *text, const char *at, const char *key, const char *phrase)
{
	char err[512], path[512], head[768];
	struct mgr_cfg c;

	write_file("bad.conf", text, path, sizeof(path));
	memset(&c, 0x5a, sizeof(c));
	if (mgr_cfg_load(path, &c, err, sizeof(err)) != -EINVAL)
		fail_msg("for\n%s\nexpected -EINVAL, got \"%s\"", text, err);
	snprintf(head, sizeof(head), "%s:%u: %s: ", path, line_of(text, at), key);
	if (strncmp(err, head, strlen(head)) != 0 || strstr(err, phrase) == NULL)
		fail_msg("for\n%s\nexpected \"%s...%s...\"\n     got \"%s\"", text, head, phrase,
			 err);
	assert_defaults(&c);
}

#define VM_HEAD "vms = (\n  { name = \"a\"; role = 1; kernel = \"vmlinux\";\n"

/* restart_backoff_ms above the default maximum, the maximum left out: it
 * follows (documented range 10..3600000 for the first delay) */
static void
test_backoff_alone(void **state)
{
	char err[512] = "", path[512];
	struct mgr_cfg c;

	(void)state;
	write_file("backoff.conf", "manager = {\n  restart_backoff_ms = 60000;\n};\n", path,
		   sizeof(path));
	assert_int_equal(mgr_cfg_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.backoff_ms, 60000);
	assert_int_equal(c.backoff_max_ms, 60000);
	mgr_cfg_free(&c);
}

static void
test_errors(void **state)
{
	(void)state;
	/* syntax */
	expect_error("manager = {\n  socket = ;\n};\n", "socket", "syntax", "syntax");
	/* unknown keys, at every level */
	expect_error("manager = {};\ncores = {};\n", "cores", "cores", "unknown key");
	expect_error("manager = {\n  sock = \"/x\";\n};\n", "sock", "manager.sock", "unknown key");
	expect_error("core = {\n  prefix = \"p\";\n};\n", "prefix", "core.prefix", "unknown key");
	expect_error(VM_HEAD "    cpus = 2; }\n);\n", "cpus", "vms[0].cpus", "unknown key");
	/* types */
	expect_error(VM_HEAD "    memory = \"256\"; }\n);\n", "memory", "vms[0].memory",
		     "expected an integer, got a string");
	expect_error("manager = {\n  restart_limit = 1.5; };\n", "restart_limit",
		     "manager.restart_limit", "expected an integer, got a float");
	expect_error(VM_HEAD "    autostart = 1; }\n);\n", "autostart", "vms[0].autostart",
		     "expected true or false");
	expect_error("core = {\n  socket = 5; };\n", "socket", "core.socket", "expected a string");
	expect_error("manager = ( 1 );\n", "manager", "manager", "expected a group");
	expect_error("vms = {\n  name = \"a\"; };\n", "vms", "vms", "expected a list");
	/* ranges */
	expect_error(VM_HEAD "    queues = 9; }\n);\n", "queues", "vms[0].queues",
		     "9 is out of range 1..8");
	expect_error("vms = (\n  { name = \"a\";\n    role = 256; kernel = \"vmlinux\"; }\n);\n",
		     "role", "vms[0].role", "256 is out of range 0..255");
	expect_error("manager = {\n  restart_backoff_ms = 5; };\n", "restart_backoff_ms",
		     "manager.restart_backoff_ms", "out of range");
	/* libconfig keeps the low 32 bits of a larger integer without its L:
	 * 4294968296 would be 1000, in range */
	expect_error("manager = {\n  restart_backoff_ms = 4294968296; };\n", "restart_backoff_ms",
		     "syntax", "the integer 4294968296 does not fit in 32 bits (write 4294968296L");
	expect_error("manager = { socket = \"/x 99999999999\"; # 99999999999\n"
		     "  restart_limit = 0x1000003e8; };\n", "restart_limit", "syntax",
		     "the integer 0x1000003e8 does not fit in 32 bits");
	expect_error("vms = (\n  { name = \"a\"; role = 1; kernel = \"vmlinux\";\n"
		     "    memory = -2147483649; }\n);\n", "memory", "syntax",
		     "the integer -2147483649 does not fit");
	expect_error("manager = {\n  restart_backoff_ms = 4294968296L; };\n",
		     "restart_backoff_ms", "manager.restart_backoff_ms",
		     "4294968296 is out of range 10..3600000");
	expect_error("manager = {\n  restart_backoff_ms = 5000;\n  restart_backoff_max_ms = 100; };\n",
		     "restart_backoff_max_ms", "manager.restart_backoff_max_ms",
		     "less than restart_backoff_ms");
	/* values */
	expect_error("manager = {\n  accel = \"xen\"; };\n", "accel", "manager.accel",
		     "'xen' is not one of \"auto\", \"kvm\", \"tcg\"");
	expect_error(VM_HEAD "    launcher = \"xen\"; }\n);\n", "launcher", "vms[0].launcher",
		     "'xen' is not one of \"qemu\", \"libvirt\"");
	expect_error(VM_HEAD "    restart = \"sometimes\"; }\n);\n", "restart", "vms[0].restart",
		     "\"never\", \"on-failure\", \"always\"");
	expect_error("vms = (\n  { name = \"a b\"; role = 1; kernel = \"vmlinux\"; }\n);\n",
		     "name", "vms[0].name", "use only letters");
	expect_error("core = {\n  file_prefix = \"\"; };\n", "file_prefix", "core.file_prefix",
		     "must not be empty");
	expect_error(VM_HEAD "    nf = \"/bin/sh -c \\\"x\\\"\"; }\n);\n", "nf", "vms[0].nf",
		     "double quote");
	expect_error(VM_HEAD "    initrd = \"no-such-file\"; }\n);\n", "initrd", "vms[0].initrd",
		     "no-such-file: No such file or directory");
	expect_error(VM_HEAD "    files = [ \"etc/routes:vmlinux\" ]; }\n);\n", "files",
		     "vms[0].files[0]", "is not \"/GUEST/PATH:HOST_FILE\"");
	expect_error(VM_HEAD "    files = [ \"/etc/routes\" ]; }\n);\n", "files", "vms[0].files[0]",
		     "is not \"/GUEST/PATH:HOST_FILE\"");
	/* a line break (any white space) would end the guest path's word of the
	 * kernel command line, the rest another parameter */
	expect_error(VM_HEAD "    files = [ \"/etc/a\\nnetvm.run=x:vmlinux\" ]; }\n);\n", "files",
		     "vms[0].files[0]", "without white space, control characters");
	expect_error(VM_HEAD "    files = [ \"/etc/a\\fb:vmlinux\" ]; }\n);\n", "files",
		     "vms[0].files[0]", "is not \"/GUEST/PATH:HOST_FILE\"");
	expect_error(VM_HEAD "    files = [ \"/etc/a\\\"b:vmlinux\" ]; }\n);\n", "files",
		     "vms[0].files[0]", "is not \"/GUEST/PATH:HOST_FILE\"");
	expect_error(VM_HEAD "    files = [ \"/etc/routes:absent.txt\" ]; }\n);\n", "files",
		     "vms[0].files[0]", "absent.txt: No such file or directory");
	/* a directory reads (access) but boots nothing */
	expect_error("vms = (\n  { name = \"a\"; role = 1;\n    kernel = \"/tmp\"; }\n);\n",
		     "kernel", "vms[0].kernel", "/tmp: Is a directory");
	expect_error(VM_HEAD "    files = [ \"/etc/routes:/tmp\" ]; }\n);\n", "files",
		     "vms[0].files[0]", "/tmp: Is a directory");
	expect_error(VM_HEAD "    files = \"/etc/routes:vmlinux\"; }\n);\n", "files", "vms[0].files",
		     "expected an array");
	/* required keys and rules between keys */
	expect_error("vms = (\n  { role = 1; kernel = \"vmlinux\"; }\n);\n", "{ role", "vms[0]",
		     "missing key 'name'");
	expect_error("vms = (\n  { name = \"a\"; role = 1; }\n);\n", "{ name", "vms[0]",
		     "missing key 'kernel' or 'disk'");
	expect_error(VM_HEAD "    disk = \"disk.qcow2\"; }\n);\n", "disk", "vms[0]",
		     "not both");
	expect_error("vms = (\n  { name = \"a\"; role = 1; disk = \"disk.qcow2\";\n"
		     "    initrd = \"initrd.img\"; }\n);\n", "initrd", "vms[0]", "needs 'kernel'");
	expect_error("vms = (\n  { name = \"a\"; role = 1; kernel = \"vmlinux\"; },\n"
		     "  { name = \"a\"; role = 2; kernel = \"vmlinux\"; }\n);\n",
		     "{ name = \"a\"; role = 2", "vms[1].name", "duplicate VM name 'a'");
}

/* One file for the core engine and the manager: each reads its part, and the
 * core's part is checked by the core's own parser. */
static void
test_one_file(void **state)
{
	static const char text[] =
		"core = { socket = \"/run/netvm/one.sock\"; file_prefix = \"one\";\n"
		"  pool_buffers = 4095; buffer_size = 4096; single_lcore = true;\n"
		"  nf_buffers = 512; group_buffers = 1024; placement = \"hash\";\n"
		"  flow_table_size = 4096; flow_idle_ms = 500; };\n"
		"roles = ( { id = 1; name = \"router\"; } );\n"
		"trust_groups = ( { name = \"t\"; roles = [ 2 ]; } );\n"
		"chains = ( { name = \"c\"; roles = [ 1, 2 ]; } );\n"
		"rules = ( { dport = \"53\"; chain = \"c\"; } );\n"
		"default = { role = 1; };\n"
		VM_HEAD "    nf = \"/bin/netvm-l3fwd -r 1 --transport uio\"; } );\n";
	char err[512], path[512];
	struct mgr_cfg c;

	(void)state;
	write_file("one.conf", text, path, sizeof(path));
	if (mgr_cfg_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("one file for both: %s", err);
	assert_string_equal(c.core_socket, "/run/netvm/one.sock");
	assert_string_equal(c.file_prefix, "one");
	assert_int_equal(c.nb_vms, 1);
	mgr_cfg_free(&c);
	/* An error in the core's part is the manager's error too, with its line. */
	expect_error("rules = (\n  { dport = \"70000\"; role = 1; }\n);\n", "dport",
		     "rules[0].dport", "ports are 0..65535");
	expect_error("core = {\n  pool_buffers = 7;\n};\n", "pool_buffers", "core.pool_buffers",
		     "out of range");
	expect_error("trust_groups = (\n  { name = \"t\"; roles = [ 1 ]; },\n"
		     "  { name = \"u\"; roles = [ 1 ]; }\n);\n", "\"u\"",
		     "trust_groups[1].roles[0]", "already in trust group");
}

/* manager.migrate_listen, migrate_ports, migrate_key: migrations over TCP. */
static void
test_migrate(void **state)
{
	char err[512], path[512], key[512], text[1024];
	struct mgr_cfg c;

	(void)state;
	write_file("mig.key", "0123456789abcdef0123456789abcdef", key, sizeof(key));
	assert_int_equal(chmod(key, 0600), 0);
	/* off by default: not listening, the default port range */
	mgr_cfg_defaults(&c);
	assert_string_equal(c.migrate_listen, "");
	assert_string_equal(c.migrate_key, "");
	assert_int_equal(c.migrate_ports[0], 49152);
	assert_int_equal(c.migrate_ports[1], 49215);
	/* every key; the key file relative to the configuration's directory */
	write_file("mig.conf", "manager = { migrate_listen = \"[::1]:7400\";\n"
		   "  migrate_ports = [ 7410, 7419 ]; migrate_key = \"mig.key\"; };\n", path,
		   sizeof(path));
	if (mgr_cfg_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(c.migrate_listen, "[::1]:7400");
	assert_string_equal(c.migrate_addr, "::1");
	assert_int_equal(c.migrate_port, 7400);
	assert_int_equal(c.migrate_ports[0], 7410);
	assert_int_equal(c.migrate_ports[1], 7419);
	assert_string_equal(c.migrate_key, key);
	mgr_cfg_free(&c);
	/* 64-bit integers (an L) are integers too, as for every other key */
	write_file("mig.conf", "manager = { migrate_listen = \"127.0.0.1:7400\";\n"
		   "  migrate_ports = [ 7410L, 7419L ]; migrate_key = \"mig.key\"; };\n", path,
		   sizeof(path));
	if (mgr_cfg_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.migrate_ports[0], 7410);
	assert_int_equal(c.migrate_ports[1], 7419);
	mgr_cfg_free(&c);
	expect_error("manager = { migrate_key = \"mig.key\"; migrate_listen = \"0.0.0.0:1\";\n"
		     "  migrate_ports = [ 7410.0, 7419.0 ]; };\n", "migrate_ports",
		     "manager.migrate_ports", "expected two integers, got a float");
	/* a source only: the key without listening */
	write_file("mig.conf", "manager = { migrate_key = \"mig.key\"; };\n", path, sizeof(path));
	assert_int_equal(mgr_cfg_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.migrate_listen, "");
	assert_string_equal(c.migrate_key, key);
	mgr_cfg_free(&c);

	expect_error("manager = {\n  migrate_listen = \"127.0.0.1:7400\"; };\n", "manager",
		     "manager", "migrate_listen needs migrate_key");
	expect_error("manager = { migrate_key = \"mig.key\";\n  migrate_listen = \"7400\"; };\n",
		     "migrate_listen", "manager.migrate_listen", "'7400' is not HOST:PORT");
	expect_error("manager = { migrate_key = \"mig.key\";\n"
		     "  migrate_listen = \"127.0.0.1:70000\"; };\n", "migrate_listen",
		     "manager.migrate_listen", "'70000' is not a port");
	expect_error("manager = { migrate_key = \"mig.key\";\n"
		     "  migrate_listen = \"host-b:7400\"; };\n", "migrate_listen",
		     "manager.migrate_listen", "'host-b' is not a numeric IPv4 or IPv6 address");
	expect_error("manager = { migrate_key = \"mig.key\"; migrate_listen = \"0.0.0.0:1\";\n"
		     "  migrate_ports = [ 7419, 7410 ]; };\n", "migrate_ports",
		     "manager.migrate_ports", "the first port 7419 is above the last 7410");
	expect_error("manager = { migrate_key = \"mig.key\"; migrate_listen = \"0.0.0.0:1\";\n"
		     "  migrate_ports = [ 0, 7410 ]; };\n", "migrate_ports",
		     "manager.migrate_ports", "0 is not a port");
	expect_error("manager = { migrate_key = \"mig.key\"; migrate_listen = \"0.0.0.0:1\";\n"
		     "  migrate_ports = [ 7410 ]; };\n", "migrate_ports",
		     "manager.migrate_ports", "expected [ FIRST, LAST ]");
	expect_error("manager = { migrate_key = \"mig.key\";\n"
		     "  migrate_ports = [ 7410, 7419 ]; };\n", "migrate_ports",
		     "manager.migrate_ports", "only with migrate_listen");
	expect_error("manager = {\n  migrate_key = \"absent.key\"; };\n", "migrate_key",
		     "manager.migrate_key", "absent.key: No such file or directory");
	/* a key others may read is refused, with what to do */
	assert_int_equal(chmod(key, 0644), 0);
	snprintf(text, sizeof(text), "manager = {\n  migrate_key = \"%s\"; };\n", key);
	expect_error(text, "migrate_key", "manager.migrate_key", "chmod 600");
	assert_int_equal(chmod(key, 0600), 0);
	write_file("short.key", "0123456789", path, sizeof(path));
	assert_int_equal(chmod(path, 0600), 0);
	expect_error("manager = {\n  migrate_key = \"short.key\"; };\n", "migrate_key",
		     "manager.migrate_key", "10 bytes");
}

static void
test_too_many_vms(void **state)
{
	char text[8192] = "vms = (\n";
	unsigned int i;

	(void)state;
	for (i = 0; i <= MGR_CFG_MAX_VMS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "  { name = \"v%u\"; role = 1; kernel = \"vmlinux\"; }%s\n", i,
			 i < MGR_CFG_MAX_VMS ? "," : "");
	strcat(text, ");\n");
	expect_error(text, "vms", "vms", "65 VMs, at most 64");
}

static void
test_cannot_open(void **state)
{
	char err[256], path[512];
	struct mgr_cfg c;

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.conf", dir);
	assert_int_equal(mgr_cfg_load(path, &c, err, sizeof(err)), -ENOENT);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_non_null(strstr(err, "cannot open"));
	assert_defaults(&c);
	assert_int_equal(mgr_cfg_load(dir, &c, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "cannot open"));
}

/* ---- scale, dos and idle (manager/mgr_cfg_ops.c, docs/operations.md) ---- */

#define IDLE_GROUP "idle = { count = 1; kernel = \"vmlinux\"; };\n"
#define DOS_HEAD "dos = {\n  src_pps = 500; chain = \"web\"; filter_role = 9;\n"

/* Keys left out take their documented defaults. */
static void
test_ops_defaults(void **state)
{
	static const char text[] =
		"scale = ( { role = 3; command = \"/bin/nf\"; max = 2; } );\n"
		"dos = { syn_pps = 10; chain = \"web\"; filter_role = 9; filter = \"/bin/fw\"; };\n";
	const struct mgr_scale_cfg *p;
	char err[512], path[512];
	struct mgr_cfg c;

	(void)state;
	mgr_cfg_defaults(&c);
	assert_int_equal(c.nb_scale, 0);
	assert_false(c.dos.on);
	assert_int_equal(c.idle.count, 0);
	assert_int_equal(c.idle.vcpus, 1);
	assert_int_equal(c.idle.memory_mib, 256);
	assert_int_equal(c.idle.timeout_ms, 10000);
	assert_false(c.idle.template);
	write_file("ops-defaults.conf", text, path, sizeof(path));
	if (mgr_cfg_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.nb_scale, 1);
	p = &c.scale[0];
	assert_int_equal(p->line, 1);
	assert_int_equal(p->role, 3);
	assert_int_equal(p->method, MGR_METHOD_PROCESS);
	assert_string_equal(p->command, "/bin/nf");
	assert_int_equal(p->min, 1);
	assert_int_equal(p->max, 2);
	assert_int_equal(p->out_above, 32);
	assert_int_equal(p->in_below, 2);
	assert_int_equal(p->out_hold_ms, 1000);
	assert_int_equal(p->in_hold_ms, 5000);
	assert_int_equal(p->cooldown_ms, 2000);
	assert_int_equal(p->drain_ms, 10000);
	assert_int_equal(p->nb_vms, 0);
	assert_true(c.dos.on);
	assert_int_equal(c.dos.line, 2);
	assert_int_equal(c.dos.src_pps, 0);
	assert_int_equal(c.dos.syn_pps, 10);
	assert_int_equal(c.dos.hold_ms, 5000);
	assert_int_equal(c.dos.method, MGR_DOS_PROCESS);
	assert_string_equal(c.dos.chain, "web");
	assert_int_equal(c.dos.filter_role, 9);
	assert_string_equal(c.dos.filter, "/bin/fw");
	assert_int_equal(c.idle.count, 0);
	assert_int_equal(c.idle.line, 0);
	mgr_cfg_free(&c);
}

/* Every key of the three, with method "idle" for a policy and the filter. */
static void
test_ops_full(void **state)
{
	static const char text[] =
		"idle = { count = 2; vcpus = 2; memory = 128; kernel = \"vmlinux\";\n"
		"  initrd = \"initrd.img\"; timeout_ms = 4000; template = true; };\n"
		"scale = (\n"
		"  { role = 1; method = \"idle\"; command = \"/bin/netvm-bridge -r 1\";\n"
		"    min = 0; max = 2; metric = \"load\"; out_above = 40; in_below = 4;\n"
		"    out_hold_ms = 10; in_hold_ms = 20; cooldown_ms = 30; drain_ms = 40; },\n"
		"  { role = 2; method = \"vm\"; vms = [ \"a\" ]; max = 1; }\n"
		");\n"
		"dos = { src_pps = 7; syn_pps = 8; hold_ms = 0; chain = \"web\"; filter_role = 9;\n"
		"  method = \"idle\"; filter = \"/bin/netvm-firewall --transport uio -r 9\"; };\n"
		"vms = ( { name = \"a\"; role = 2; kernel = \"vmlinux\"; autostart = false; } );\n";
	const struct mgr_scale_cfg *p;
	char err[512], path[512], want[512];
	struct mgr_cfg c;

	(void)state;
	write_file("ops-full.conf", text, path, sizeof(path));
	if (mgr_cfg_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.idle.count, 2);
	assert_int_equal(c.idle.vcpus, 2);
	assert_int_equal(c.idle.memory_mib, 128);
	snprintf(want, sizeof(want), "%s/vmlinux", dir);
	assert_string_equal(c.idle.kernel, want);
	snprintf(want, sizeof(want), "%s/initrd.img", dir);
	assert_string_equal(c.idle.initrd, want);
	assert_int_equal(c.idle.timeout_ms, 4000);
	assert_true(c.idle.template);
	assert_int_equal(c.idle.line, 1);
	assert_int_equal(c.nb_scale, 2);
	p = &c.scale[0];
	assert_int_equal(p->line, line_of(text, "{ role = 1"));
	assert_int_equal(p->method, MGR_METHOD_IDLE);
	assert_string_equal(p->command, "/bin/netvm-bridge -r 1");
	assert_int_equal(p->min, 0);
	assert_int_equal(p->max, 2);
	assert_int_equal(p->metric, 0);
	assert_int_equal(p->out_above, 40);
	assert_int_equal(p->in_below, 4);
	assert_int_equal(p->out_hold_ms, 10);
	assert_int_equal(p->in_hold_ms, 20);
	assert_int_equal(p->cooldown_ms, 30);
	assert_int_equal(p->drain_ms, 40);
	p = &c.scale[1];
	assert_int_equal(p->method, MGR_METHOD_VM);
	assert_int_equal(p->nb_vms, 1);
	assert_string_equal(p->vms[0], "a");
	assert_true(c.dos.on);
	assert_int_equal(c.dos.src_pps, 7);
	assert_int_equal(c.dos.syn_pps, 8);
	assert_int_equal(c.dos.hold_ms, 0);
	assert_int_equal(c.dos.method, MGR_DOS_IDLE);
	assert_string_equal(c.dos.filter, "/bin/netvm-firewall --transport uio -r 9");
	mgr_cfg_free(&c);
}

/* Load @text (file @name) and return warning @i's status, its text in @buf. */
static int
warning_of(const char *name, const char *text, unsigned int i, char *buf, size_t len)
{
	char err[512], path[512];
	struct mgr_cfg c;
	int r;

	write_file(name, text, path, sizeof(path));
	if (mgr_cfg_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	buf[0] = '\0';
	r = mgr_cfg_warning(&c, i, buf, len);
	mgr_cfg_free(&c);
	return r;
}

/* Policies with method "idle" whose min the idle VMs cannot meet load,
 * with a warning naming each policy; none when the VMs suffice. */
static void
test_ops_warnings(void **state)
{
	static const char idle1[] =
		"idle = { count = 1; kernel = \"vmlinux\"; initrd = \"initrd.img\"; };\n";
	static const char idle2[] =
		"idle = { count = 2; kernel = \"vmlinux\"; initrd = \"initrd.img\"; };\n";
	char text[1024], buf[512];

	(void)state;
	/* method "process": no idle VM needed */
	assert_int_equal(warning_of("w0.conf", "scale = ( { role = 1; command = \"x\"; min = 3; "
				    "max = 4; } );\n", 0, buf, sizeof(buf)), -ENOENT);
	snprintf(text, sizeof(text), "%sscale = ( { role = 1; method = \"idle\"; command = "
		 "\"x\"; min = 1; max = 4; } );\n", idle1);
	assert_int_equal(warning_of("w1.conf", text, 0, buf, sizeof(buf)), -ENOENT);
	snprintf(text, sizeof(text), "%sscale = ( { role = 1; method = \"idle\"; command = "
		 "\"x\"; min = 2; max = 2; } );\n", idle1);
	assert_int_equal(warning_of("w2.conf", text, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "the scaling policy with method \"idle\" needs 2 idle VM(s) "
			    "for its min (scale[0] at line 2: min 2) and idle.count = 1: the "
			    "starts beyond it fail and are retried every "
			    "manager.restart_backoff_ms");
	assert_int_equal(warning_of("w2.conf", text, 1, buf, sizeof(buf)), -ENOENT);
	/* two policies, each within the pool, together beyond it; a process
	 * policy between them does not count */
	snprintf(text, sizeof(text), "%sscale = (\n"
		 "  { role = 1; method = \"idle\"; command = \"x\"; min = 1; max = 2; },\n"
		 "  { role = 2; command = \"y\"; min = 5; max = 5; },\n"
		 "  { role = 3; method = \"idle\"; command = \"z\"; min = 2; max = 2; } );\n",
		 idle2);
	assert_int_equal(warning_of("w3.conf", text, 0, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "policies with method \"idle\" need 3 idle VM(s) for their "
			       "min (scale[0] at line 3: min 1, scale[2] at line 5: min 2) and "
			       "idle.count = 2:"));
	/* a short buffer: cut, still a string */
	assert_int_equal(warning_of("w3.conf", text, 0, buf, 40), 0);
	assert_int_equal(strlen(buf), 39);
}

/* A QEMU that cannot be run, with VMs or idle VMs that need it: valid,
 * with a warning; none when nothing runs QEMU or when it is there. */
static void
test_qemu_warning(void **state)
{
	char buf[512];

	(void)state;
	assert_int_equal(warning_of("q0.conf", "manager = { qemu = \"/nonexistent/qemu\"; };\n"
				    "vms = ( { name = \"a\"; role = 1; kernel = \"vmlinux\"; } );\n",
				    0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "manager.qemu: '/nonexistent/qemu' is not an executable file: "
			    "the VMs of launcher \"qemu\" cannot start until it is installed");
	assert_int_equal(warning_of("q1.conf", "manager = { qemu = \"no-such-qemu-here\"; };\n"
				    "idle = { count = 1; kernel = \"vmlinux\"; };\n",
				    0, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "'no-such-qemu-here' is not an executable file on $PATH: "
			       "the idle VMs cannot start"));
	/* a directory is not a program */
	assert_int_equal(warning_of("q2.conf", "manager = { qemu = \"/tmp\"; };\n"
				    "vms = ( { name = \"a\"; role = 1; kernel = \"vmlinux\"; } );\n",
				    0, buf, sizeof(buf)), 0);
	/* nothing runs QEMU */
	assert_int_equal(warning_of("q3.conf", "manager = { qemu = \"/nonexistent/qemu\"; };\n",
				    0, buf, sizeof(buf)), -ENOENT);
	/* there: /bin/sh stands for it */
	assert_int_equal(warning_of("q4.conf", "manager = { qemu = \"/bin/sh\"; };\n"
				    "vms = ( { name = \"a\"; role = 1; kernel = \"vmlinux\"; } );\n",
				    0, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(warning_of("q5.conf", "manager = { qemu = \"sh\"; };\n"
				    "vms = ( { name = \"a\"; role = 1; kernel = \"vmlinux\"; } );\n",
				    0, buf, sizeof(buf)), -ENOENT);
}

/* Each mistake of the three sections: refused, FILE:LINE: KEY: and why. */
static void
test_ops_errors(void **state)
{
	char text[1024];

	(void)state;
	/* scale */
	expect_error("scale = {\n  role = 1; };\n", "scale", "scale", "expected a list");
	expect_error("scale = (\n  { role = 1; command = \"x\"; max = 1;\n    size = 2; }\n);\n",
		     "size", "scale[0].size", "unknown key");
	expect_error("scale = (\n  { command = \"x\"; max = 1; }\n);\n", "{ command", "scale[0]",
		     "missing key 'role'");
	expect_error("scale = (\n  { role = 1; command = \"x\"; }\n);\n", "{ role", "scale[0]",
		     "missing key 'max'");
	expect_error("scale = (\n  { role = 1; command = \"x\";\n    max = 17; }\n);\n", "max",
		     "scale[0].max", "17 is out of range 1..16");
	expect_error("scale = (\n  { role = 1; command = \"x\"; max = 1;\n"
		     "    method = \"container\"; }\n);\n", "method", "scale[0].method",
		     "'container' is not one of \"process\", \"vm\", \"idle\"");
	expect_error("scale = (\n  { role = 1; command = \"x\"; max = 1;\n"
		     "    metric = \"cpu\"; }\n);\n", "metric", "scale[0].metric", "not one of");
	expect_error("scale = (\n  { role = 1; max = 2; }\n);\n", "{ role", "scale[0]",
		     "method \"process\" needs 'command'");
	/* white space only: every start would fail ("empty command") */
	expect_error("scale = (\n  { role = 1; max = 2;\n    command = \" \\t \"; }\n);\n", "command",
		     "scale[0].command", "holds no word");
	/* a line break would end the agent's run request, the rest another request */
	expect_error(IDLE_GROUP "scale = (\n  { role = 1; method = \"idle\"; max = 1;\n"
		     "    command = \"/bin/netvm-bridge -r 1\\nstop 1\"; }\n);\n", "command",
		     "scale[0].command", "cannot hold a line break");
	expect_error(IDLE_GROUP "scale = (\n  { role = 1; method = \"idle\"; max = 1;\n"
		     "    command = \"/bin/netvm-bridge\\r\"; }\n);\n", "command",
		     "scale[0].command", "cannot hold a line break");
	expect_error("scale = (\n  { role = 1; method = \"vm\"; command = \"x\"; max = 1; }\n);\n",
		     "{ role", "scale[0]", "method \"vm\" needs 'vms'");
	expect_error(IDLE_GROUP "scale = (\n  { role = 1; method = \"idle\"; max = 2; }\n);\n",
		     "{ role", "scale[0]", "method \"idle\" needs 'command'");
	expect_error(IDLE_GROUP "scale = (\n  { role = 1; method = \"idle\"; command = \"x\";\n"
		     "    vms = [ \"a\" ]; max = 1; }\n);\n", "{ role", "scale[0]",
		     "and no 'vms'");
	expect_error("scale = (\n  { role = 1; command = \"x\"; max = 1;\n"
		     "    method = \"idle\"; }\n);\n", "method", "scale[0].method",
		     "needs idle VMs: an idle group with count >= 1");
	expect_error("idle = { count = 0; };\nscale = (\n  { role = 1; command = \"x\"; max = 1;\n"
		     "    method = \"idle\"; }\n);\n", "method", "scale[0].method",
		     "needs idle VMs");
	expect_error("scale = (\n  { role = 1; command = \"x\"; min = 3; max = 2; }\n);\n", "{ role",
		     "scale[0]", "min 3 is above max 2");
	expect_error("scale = (\n  { role = 1; command = \"x\"; max = 2;\n"
		     "    in_below = 40; out_above = 40; }\n);\n", "{ role", "scale[0]",
		     "in_below 40 must be below out_above 40");
	expect_error("scale = (\n  { role = 1; command = \"x\"; max = 1; },\n"
		     "  { role = 1; command = \"y\"; max = 1; }\n);\n", "role = 1; command = \"y\"",
		     "scale[1].role", "role 1 has a policy already (scale[0], line 2)");
	expect_error("scale = (\n  { role = 1; method = \"vm\"; vms = [ \"a\" ]; max = 1; }\n);\n",
		     "{ role", "scale[0].vms", "no VM 'a' in the vms list");
	/* a VM named twice would be two instances of one VM */
	expect_error("vms = (\n  { name = \"a\"; role = 1; kernel = \"vmlinux\"; autostart = false; }\n"
		     ");\nscale = (\n  { role = 1; method = \"vm\"; max = 2;\n"
		     "    vms = [ \"a\", \"a\" ]; }\n);\n", "vms = [", "scale[0].vms",
		     "element 1: VM 'a' is named twice");
	/* dos */
	expect_error("dos = {\n  chain = \"web\"; filter_role = 9; filter = \"x\"; };\n", "dos",
		     "dos", "detects nothing");
	expect_error("dos = {\n  src_pps = 5; filter_role = 9; filter = \"x\"; };\n", "dos", "dos",
		     "missing key 'chain'");
	expect_error(DOS_HEAD "  filter = \"x\";\n  hold_ms = 3600001; };\n", "hold_ms",
		     "dos.hold_ms", "out of range 0..3600000");
	/* white space only: each mitigation's start would fail ("empty command") */
	expect_error(DOS_HEAD "  filter = \" \\t \"; };\n", "filter = ", "dos.filter",
		     "holds no word");
	expect_error(DOS_HEAD "  filter = \"x\";\n  method = \"vm\"; };\n", "method", "dos.method",
		     "'vm' is not one of \"process\", \"idle\"");
	expect_error(DOS_HEAD "  filter = \"x\";\n  method = \"idle\"; };\n", "method",
		     "dos.method", "needs idle VMs");
	expect_error(IDLE_GROUP DOS_HEAD "  method = \"idle\";\n  filter = \"sh -c 'x'\"; };\n",
		     "filter = ", "dos.filter", "cannot hold a single quote");
	expect_error(IDLE_GROUP DOS_HEAD "  method = \"idle\";\n"
		     "  filter = \"/bin/netvm-firewall\\nping 3\"; };\n",
		     "filter = ", "dos.filter", "cannot hold a line break");
	expect_error("scale = (\n  { role = 9; command = \"x\"; max = 1; }\n);\n"
		     DOS_HEAD "  filter = \"x\"; };\n", "dos", "dos.filter_role",
		     "role 9 is scaled by scale[0] (line 2)");
	/* idle */
	expect_error("idle = {\n  count = 17; kernel = \"vmlinux\"; };\n", "count", "idle.count",
		     "17 is out of range 0..16");
	expect_error("idle = {\n  count = 1; };\n", "idle", "idle", "missing key 'kernel'");
	expect_error("idle = {\n  count = 1; kernel = \"vmlinux\";\n  timeout_ms = 50; };\n",
		     "timeout_ms", "idle.timeout_ms", "50 is out of range 100..600000");
	expect_error("idle = {\n  count = 1; kernel = \"vmlinux\";\n  spare = 2; };\n", "spare",
		     "idle.spare", "unknown key");
	expect_error("idle = {\n  count = 1; kernel = \"vmlinux\";\n  template = 1; };\n",
		     "template", "idle.template", "expected true or false");
	/* a VM of vms may not take an idle VM's name (their files would be the same) */
	expect_error(IDLE_GROUP "vms = (\n  { name = \"idle3\"; role = 1; kernel = \"vmlinux\"; }\n);\n",
		     "idle3", "vms[0].name", "'idle3' is a name of the idle pool's VMs");
	expect_error(IDLE_GROUP
		     "vms = (\n  { name = \"idle-tpl\"; role = 1; kernel = \"vmlinux\"; }\n);\n",
		     "idle-tpl", "vms[0].name", "'idle-tpl' is a name of the idle pool's VMs");
	{
		/* without an idle pool, or not of that form: taken */
		static const char *const fine[] = {
			"vms = (\n  { name = \"idle0\"; role = 1; kernel = \"vmlinux\"; }\n);\n",
			IDLE_GROUP "vms = (\n  { name = \"idle\"; role = 1; kernel = \"vmlinux\"; },\n"
			"  { name = \"idle0x\"; role = 2; kernel = \"vmlinux\"; }\n);\n",
		};
		char err[512], path[512];
		struct mgr_cfg c;

		for (unsigned int i = 0; i < 2; i++) {
			write_file("fine.conf", fine[i], path, sizeof(path));
			if (mgr_cfg_load(path, &c, err, sizeof(err)) != 0)
				fail_msg("for\n%s\nexpected it loads, got \"%s\"", fine[i], err);
			mgr_cfg_free(&c);
		}
	}
	snprintf(text, sizeof(text), "idle = {\n  count = 1; kernel = \"absent-kernel\"; };\n");
	expect_error(text, "kernel", "idle.kernel", "absent-kernel: No such file or directory");
	/* nor a host process's name: both would write <state_dir>/<name>.log */
	expect_error("scale = (\n  { role = 1; command = \"x\"; max = 2; }\n);\n"
		     "vms = (\n  { name = \"r1-2\"; role = 3; kernel = \"vmlinux\"; }\n);\n",
		     "r1-2", "vms[0].name", "'r1-2' is the name of a host process of scale[0]");
	expect_error("dos = { src_pps = 5; chain = \"web\"; filter_role = 9; filter = \"f\"; };\n"
		     "vms = (\n  { name = \"dos-filter\"; role = 3; kernel = \"vmlinux\"; }\n);\n",
		     "dos-filter", "vms[0].name", "the name of the DoS filter's host process");
	{
		/* another role, beyond max, method vm: taken */
		static const char fine[] =
			"scale = (\n  { role = 1; command = \"x\"; max = 2; },\n"
			"  { role = 3; method = \"vm\"; vms = [ \"r3-1\" ]; max = 1; }\n);\n"
			"vms = (\n  { name = \"r2-1\"; role = 3; kernel = \"vmlinux\"; },\n"
			"  { name = \"r1-3\"; role = 3; kernel = \"vmlinux\"; },\n"
			"  { name = \"r3-1\"; role = 3; kernel = \"vmlinux\"; autostart = false; }\n"
			");\n";
		char err[512], path[512];
		struct mgr_cfg c;

		write_file("fine-proc.conf", fine, path, sizeof(path));
		if (mgr_cfg_load(path, &c, err, sizeof(err)) != 0)
			fail_msg("for\n%s\nexpected it loads, got \"%s\"", fine, err);
		mgr_cfg_free(&c);
	}
}

/* configs/vm-*.conf: valid, but for the guest image when it is not built. */
static void
test_examples(void **state)
{
	char pattern[512], err[512];
	struct mgr_cfg c;
	glob_t g;
	size_t i;

	(void)state;
	snprintf(pattern, sizeof(pattern), "%s/configs/vm-*.conf", source_root);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 1);
	for (i = 0; i < g.gl_pathc; i++) {
		int r = mgr_cfg_load(g.gl_pathv[i], &c, err, sizeof(err));

		if (r == 0) {
			assert_true(c.nb_vms >= 1);
			mgr_cfg_free(&c);
			continue;
		}
		if (strstr(err, "No such file or directory") == NULL ||
		    (strstr(err, ".kernel: ") == NULL && strstr(err, ".initrd: ") == NULL &&
		     strstr(err, ".disk: ") == NULL))
			fail_msg("%s: %s", g.gl_pathv[i], err);
	}
	globfree(&g);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_backoff_alone),
		cmocka_unit_test(test_too_many_vms),
		cmocka_unit_test(test_migrate),
		cmocka_unit_test(test_one_file),
		cmocka_unit_test(test_cannot_open),
		cmocka_unit_test(test_ops_defaults),
		cmocka_unit_test(test_ops_full),
		cmocka_unit_test(test_ops_errors),
		cmocka_unit_test(test_ops_warnings),
		cmocka_unit_test(test_qemu_warning),
		cmocka_unit_test(test_examples),
	};

	if (argc > 1)
		source_root = argv[1];
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
