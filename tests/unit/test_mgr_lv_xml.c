/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mgr_lv_xml.c — the libvirt launcher's domain XML (mgr_lv_xml.c),
 * built for a few VMs without libvirt: a kernel-booted one, a disk-booted
 * one with an NF command and files, one without either, with names and paths
 * holding every character XML escapes. Each must pass libvirt's own schema
 * (virt-xml-validate FILE domain, package libvirt-clients; the program
 * exits 77, skipped, when all else passed but that is not installed) and
 * keep its values as written: a tab or a line break in a path is a
 * character reference, not a blank an XML parser would make of it. A value
 * the XML cannot hold (another control character, bytes not UTF-8, a line
 * break in a path, which libvirt's schema does not allow) is refused, named;
 * an XML too long for its buffer too, not cut short.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mgr.h"
#include "mgr_launcher.h"

static struct mgr m;
static struct mgr_vm vm;
static struct mgr_vm_cfg v;
static struct mgr_lv_xml x;
static char err[256];
static bool have_validator;
static unsigned int validated;

static void
setup_vm(const char *state_dir, const char *name)
{
	unsigned int i;

	memset(&m, 0, sizeof(m));
	memset(&vm, 0, sizeof(vm));
	memset(&v, 0, sizeof(v));
	memset(&x, 0, sizeof(x));
	snprintf(m.cfg.state_dir, sizeof(m.cfg.state_dir), "%s", state_dir);
	snprintf(m.cfg.qemu, sizeof(m.cfg.qemu), "qemu-system-x86_64");
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.vcpus = 1;
	v.memory_mib = 256;
	vm.m = &m;
	vm.cfg = &v;
	snprintf(vm.sock_path, sizeof(vm.sock_path), "%s/%s.sock", state_dir, name);
	snprintf(vm.console_path, sizeof(vm.console_path), "%s/%s.console", state_dir, name);
	for (i = 0; i < MGR_CFG_MAX_FILES; i++)
		snprintf(x.fw_file[i], sizeof(x.fw_file[i]), "%s/%s.file%u", state_dir, name, i);
}

/* x.buf passes libvirt's schema of a domain (when the validator is there). */
static void
validate(void)
{
	char path[64], cmd[128];
	int fd, rc;

	if (!have_validator)
		return;
	/* a mkstemp(3) template: the X are replaced by a unique name */
	snprintf(path, sizeof(path), "%s/netvm-lv-xml-XXXXXX", P_tmpdir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, x.buf, x.len), (ssize_t)x.len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "virt-xml-validate %s domain >/dev/null 2>&1", path);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "not valid:\n%s", x.buf);
	unlink(path);
	assert_int_equal(rc, 0);
	validated++;
}

static void
test_kernel(void **state)
{
	(void)state;
	setup_vm("/srv/net&vm <'\">", "fw-1.a_b");
	snprintf(v.kernel, sizeof(v.kernel), "/boot/vmlinuz & co");
	snprintf(v.initrd, sizeof(v.initrd), "/boot/initrd<1>");
	snprintf(x.cmdline, sizeof(x.cmdline), "console=ttyS0 netvm.run=\"a & 'b' <c>\"");
	assert_int_equal(mgr_lv_xml_build(&vm, true, &x, err, sizeof(err)), 0);
	assert_non_null(strstr(x.buf, "<domain type='kvm'"));
	assert_non_null(strstr(x.buf, "<name>netvm-fw-1.a_b</name>"));
	assert_non_null(strstr(x.buf, "<kernel>/boot/vmlinuz &amp; co</kernel>"));
	assert_non_null(strstr(x.buf, "<initrd>/boot/initrd&lt;1&gt;</initrd>"));
	assert_non_null(strstr(x.buf, "netvm.run=&quot;a &amp; &apos;b&apos; &lt;c&gt;&quot;"));
	assert_non_null(strstr(x.buf, "<server path='/srv/net&amp;vm &lt;&apos;&quot;&gt;/"
				      "fw-1.a_b.sock'/>"));
	assert_null(strstr(x.buf, "qemu:commandline"));
	validate();
}

static void
test_disk(void **state)
{
	(void)state;
	setup_vm("/var/lib/netvm", "l3fwd");
	snprintf(m.cfg.qemu, sizeof(m.cfg.qemu), "/usr/bin/qemu-system-x86_64");
	snprintf(v.disk, sizeof(v.disk), "/var/lib/netvm/guest's.qcow2");
	snprintf(v.nf, sizeof(v.nf), "netvm-l3fwd --routes /etc/a,b.txt 'x' \"y\" &");
	v.nb_files = 2;
	assert_int_equal(mgr_lv_xml_build(&vm, false, &x, err, sizeof(err)), 0);
	assert_non_null(strstr(x.buf, "<domain type='qemu'"));
	assert_non_null(strstr(x.buf, "<emulator>/usr/bin/qemu-system-x86_64</emulator>"));
	assert_non_null(strstr(x.buf, "type='qcow2'/><source file='/var/lib/netvm/guest&apos;s."
				      "qcow2'/>"));
	/* QEMU's commas doubled, then XML's escapes */
	assert_non_null(strstr(x.buf, "<qemu:arg value='name=opt/netvm/run,string=netvm-l3fwd "
				      "--routes /etc/a,,b.txt &apos;x&apos; &quot;y&quot; &amp;'/>"));
	assert_non_null(strstr(x.buf, "name=opt/netvm/file1,file=/var/lib/netvm/l3fwd.file1"));
	assert_null(strstr(x.buf, "file2"));
	validate();
	/* a disk, no NF and no files: no QEMU arguments */
	v.nf[0] = '\0';
	v.nb_files = 0;
	snprintf(v.disk, sizeof(v.disk), "/img.raw");
	assert_int_equal(mgr_lv_xml_build(&vm, false, &x, err, sizeof(err)), 0);
	assert_non_null(strstr(x.buf, "type='raw'/><source file='/img.raw'/>"));
	assert_null(strstr(x.buf, "qemu:commandline"));
	validate();
}

/* A tab, a line feed or a carriage return is kept: an XML parser makes a
 * blank of each in an attribute (a disk "/img<TAB>a.raw" read as "/img a.raw",
 * another file) and a line feed of a carriage return in text. */
static void
test_blanks_kept(void **state)
{
	(void)state;
	setup_vm("/srv/a\tb", "v");
	snprintf(v.disk, sizeof(v.disk), "/img\ta.raw");
	snprintf(v.nf, sizeof(v.nf), "netvm-bridge\tx\ry");
	assert_int_equal(mgr_lv_xml_build(&vm, false, &x, err, sizeof(err)), 0);
	assert_non_null(strstr(x.buf, "<source file='/img&#9;a.raw'/>"));
	assert_non_null(strstr(x.buf, "string=netvm-bridge&#9;x&#13;y'/>"));
	assert_non_null(strstr(x.buf, "state_dir='/srv/a&#9;b'"));
	assert_null(strpbrk(x.buf, "\t\r"));
	validate();
	/* and the mark reads back as libvirt gives it */
	assert_true(mgr_lv_mark_is("<netvm:owner xmlns:netvm=\"urn:netvm:manager\" "
				   "state_dir=\"/srv/a&#9;b\" vm=\"v\"/>", "/srv/a\tb", "v"));
	/* a kernel command line: text, where a carriage return is a line feed */
	setup_vm("/var/lib/netvm", "v");
	snprintf(v.kernel, sizeof(v.kernel), "/boot/vmlinuz");
	snprintf(x.cmdline, sizeof(x.cmdline), "console=ttyS0 a=\tb\r");
	assert_int_equal(mgr_lv_xml_build(&vm, false, &x, err, sizeof(err)), 0);
	assert_non_null(strstr(x.buf, "<cmdline>console=ttyS0 a=&#9;b&#13;</cmdline>"));
	validate();
}

/* A value no XML 1.0 document can carry is refused, its setting named. */
static void
test_refused(void **state)
{
	static const struct {
		const char *disk, *nf, *kernel, *what;
	} cases[] = {
		{ "/img\x01.raw", "netvm-bridge", NULL, "disk" },
		{ "/img\x1b[0m.raw", "", NULL, "disk" },
		{ "/img\xe9.raw", "", NULL, "disk" },           /* Latin-1, not UTF-8 */
		{ "/img\xc3.raw", "", NULL, "disk" },           /* cut short */
		{ "/img\xc0\xae.raw", "", NULL, "disk" },       /* overlong */
		{ "/img\xed\xa0\x80.raw", "", NULL, "disk" },   /* a surrogate */
		{ "/img\xef\xbf\xbe.raw", "", NULL, "disk" },   /* U+FFFE */
		{ "/img.raw", "netvm-bridge \x7f\x02", NULL, "nf" },
		{ "/img\na.raw", "", NULL, "disk" },             /* no line break in a path */
		{ "/img\ra.raw", "", NULL, "disk" },
		{ "", "", "/boot/vmlinuz\x10", "kernel" },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup_vm("/var/lib/netvm", "v");
		snprintf(v.disk, sizeof(v.disk), "%s", cases[i].disk);
		snprintf(v.nf, sizeof(v.nf), "%s", cases[i].nf);
		if (cases[i].kernel != NULL)
			snprintf(v.kernel, sizeof(v.kernel), "%s", cases[i].kernel);
		err[0] = '\0';
		assert_int_equal(mgr_lv_xml_build(&vm, false, &x, err, sizeof(err)), -EINVAL);
		assert_int_equal(strncmp(err, cases[i].what, strlen(cases[i].what)), 0);
		assert_non_null(strstr(err, "control character"));
	}
	/* UTF-8 is written as it is */
	setup_vm("/var/lib/netvm", "v");
	snprintf(v.disk, sizeof(v.disk), "%s",
		 "/images/gu\xc3\xa9st \xe2\x82\xac \xf0\x9f\x90\xa7.raw");
	assert_int_equal(mgr_lv_xml_build(&vm, false, &x, err, sizeof(err)), 0);
	assert_non_null(strstr(x.buf, "/images/gu\xc3\xa9st \xe2\x82\xac \xf0\x9f\x90\xa7.raw"));
	validate();
}

/* The longest kernel command line is written whole, each character
 * escaped; an XML past its buffer is refused, not cut short. */
static void
test_too_long(void **state)
{
	const char *p;
	unsigned int n = 0;

	(void)state;
	setup_vm("/var/lib/netvm", "v");
	snprintf(v.kernel, sizeof(v.kernel), "/boot/vmlinuz");
	memset(x.cmdline, '\'', MGR_CMDLINE_MAX);
	x.cmdline[MGR_CMDLINE_MAX] = '\0';
	assert_int_equal(mgr_lv_xml_build(&vm, false, &x, err, sizeof(err)), 0);
	for (p = strstr(x.buf, "<cmdline>"); p != NULL && (p = strstr(p, "&apos;")) != NULL;
	     p += 6)
		n++;
	assert_int_equal(n, MGR_CMDLINE_MAX);
	assert_non_null(strstr(x.buf, "&apos;</cmdline>"));
	validate();
	memset(v.kernel + 1, '"', sizeof(v.kernel) - 2);
	memset(v.initrd, '\'', sizeof(v.initrd) - 1);
	v.initrd[0] = '/';
	memset(m.cfg.qemu, '&', sizeof(m.cfg.qemu) - 1);
	m.cfg.qemu[0] = '/';
	assert_int_equal(mgr_lv_xml_build(&vm, false, &x, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "longer than"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel),
		cmocka_unit_test(test_disk),
		cmocka_unit_test(test_blanks_kept),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_too_long),
	};
	int rc;

	have_validator = system("command -v virt-xml-validate >/dev/null 2>&1") == 0;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (rc == 0 && !have_validator) {
		printf("virt-xml-validate (package libvirt-clients) is not installed: "
		       "the XML was not checked against libvirt's schema\n");
		return 77;
	}
	if (rc == 0)
		printf("%u XML documents pass libvirt's schema\n", validated);
	return rc;
}
