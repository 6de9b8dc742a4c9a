/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_lv_xml.c — how the launchers write a configuration's values: for
 * QEMU's options (commas doubled), and the domain XML of the libvirt
 * launcher (mgr_libvirt.c), built without libvirt so that it can be tested
 * (tests/unit/test_mgr_lv_xml.c checks it with libvirt's schema).
 *
 * Every value from the configuration (paths, the NF's command line, the
 * kernel's) is escaped: the five entities, and tab, line feed and carriage
 * return as character references, which an XML parser would otherwise turn
 * into blanks in an attribute (a disk path "a<TAB>b" read back as "a b").
 * A value that the XML cannot hold (another control character, bytes that
 * are not UTF-8, a line break in a path: libvirt's schema has none) is
 * refused, named, rather than handed to libvirt; so is an XML that does not
 * fit its buffer, rather than cut short.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr.h"
#include "mgr_launcher.h"

#define LV_NS "urn:netvm:manager" /* the namespace of the mark (mgr_lv_mark.c) */

const char *
mgr_qemu_esc(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 2 < len; s++) {
		buf[o++] = *s;
		if (*s == ',')
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return buf;
}

static void __attribute__((format(printf, 2, 3)))
lv_put(struct mgr_lv_xml *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(x->buf + x->len, sizeof(x->buf) - x->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(x->buf) - x->len)
		x->overflow = true;
	else
		x->len += (size_t)n;
}

/* The length of the UTF-8 sequence at @s (1..4), or 0 when it is not one
 * (overlong, a surrogate, past U+10FFFF, cut short). */
static size_t
lv_utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) || cp >= 0xfffe)) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* @s escaped for XML text and attribute values, into @buf: a path's (@path)
 * or free text's. Sets x->bad to @what at a character that no XML can carry
 * (libvirt's schema has no line break in a path), and x->overflow when @buf
 * is too small. */
static const char *
lv_esc(struct mgr_lv_xml *x, const char *what, bool path, const char *s, char *buf,
       size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char ref[8];
	size_t o = 0, n;
	const char *out;

	for (; *p != '\0'; p += n) {
		n = 1;
		out = ref;
		switch (*p) {
		case '&': out = "&amp;"; break;
		case '<': out = "&lt;"; break;
		case '>': out = "&gt;"; break;
		case '"': out = "&quot;"; break;
		case '\'': out = "&apos;"; break;
		case '\n': case '\r':
			if (path)
				goto bad;
			/* fall through */
		case '\t':
			snprintf(ref, sizeof(ref), "&#%d;", *p);
			break;
		default:
			n = *p < 0x20 ? 0 : lv_utf8_len(p);
			if (n == 0)
				goto bad;
			memcpy(ref, p, n);
			ref[n] = '\0';
			break;
		}
		if (o + strlen(out) >= len) {
			x->overflow = true;
			break;
		}
		memcpy(buf + o, out, strlen(out));
		o += strlen(out);
	}
	buf[o] = '\0';
	return buf;
bad:
	if (x->bad == NULL)
		x->bad = what;
	buf[o] = '\0';
	return buf;
}

const char *
mgr_lv_state_dir(const struct mgr_cfg *c, char *buf, size_t len)
{
	char real[PATH_MAX];

	snprintf(buf, len, "%s", realpath(c->state_dir, real) != NULL ? real : c->state_dir);
	return buf;
}

int
mgr_lv_xml_build(const struct mgr_vm *vm, bool kvm, struct mgr_lv_xml *x, char *err,
		 size_t errlen)
{
	const struct mgr_vm_cfg *v = vm->cfg;
	const struct mgr_cfg *c = &vm->m->cfg;
	char e[6 * (MGR_CMDLINE_MAX + 1)], q[2 * MGR_CFG_NF_LEN], arg[2 * MGR_CFG_NF_LEN + 128];
	char dir[PATH_MAX];
	size_t dl = strlen(v->disk);
	unsigned int i;

	x->len = 0;
	x->overflow = false;
	x->bad = NULL;
	lv_put(x, "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n",
	       kvm ? "kvm" : "qemu");
	lv_put(x, "  <name>netvm-%s</name>\n", v->name);
	lv_put(x, "  <metadata><netvm:owner xmlns:netvm='%s' state_dir='%s' vm='%s'/></metadata>\n",
	       LV_NS, lv_esc(x, "manager.state_dir", false,
			     mgr_lv_state_dir(c, dir, sizeof(dir)), e, sizeof(e)), v->name);
	lv_put(x, "  <memory unit='MiB'>%u</memory>\n  <vcpu>%u</vcpu>\n", v->memory_mib, v->vcpus);
	lv_put(x, "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n");
	if (v->kernel[0] != '\0') {
		lv_put(x, "    <kernel>%s</kernel>\n",
		       lv_esc(x, "kernel", true, v->kernel, e, sizeof(e)));
		if (v->initrd[0] != '\0')
			lv_put(x, "    <initrd>%s</initrd>\n",
			       lv_esc(x, "initrd", true, v->initrd, e, sizeof(e)));
		lv_put(x, "    <cmdline>%s</cmdline>\n",
		       lv_esc(x, "the kernel command line (nf, files)", false, x->cmdline, e,
			      sizeof(e)));
	}
	lv_put(x, "  </os>\n  <features><acpi/></features>\n");
	lv_put(x, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
	       "  <on_crash>destroy</on_crash>\n  <devices>\n");
	if (c->qemu[0] == '/')
		lv_put(x, "    <emulator>%s</emulator>\n",
		       lv_esc(x, "manager.qemu", true, c->qemu, e, sizeof(e)));
	if (v->disk[0] != '\0')
		lv_put(x, "    <disk type='file' device='disk'><driver name='qemu' type='%s'/>"
		       "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n",
		       dl > 6 && strcmp(v->disk + dl - 6, ".qcow2") == 0 ? "qcow2" : "raw",
		       lv_esc(x, "disk", true, v->disk, e, sizeof(e)));
	lv_put(x, "    <controller type='usb' model='none'/>\n    <memballoon model='none'/>\n");
	lv_put(x, "    <serial type='file'><source path='%s'/><target port='0'/></serial>\n",
	       lv_esc(x, "manager.state_dir", true, vm->console_path, e, sizeof(e)));
	lv_put(x, "    <shmem name='netvm-%s'><model type='ivshmem-doorbell'/>"
	       "<server path='%s'/><msi vectors='1'/></shmem>\n", v->name,
	       lv_esc(x, "manager.state_dir", true, vm->sock_path, e, sizeof(e)));
	lv_put(x, "  </devices>\n  <seclabel type='none'/>\n");
	if (v->disk[0] != '\0' && (v->nf[0] != '\0' || v->nb_files != 0)) {
		lv_put(x, "  <qemu:commandline>\n");
		if (v->nf[0] != '\0') {
			snprintf(arg, sizeof(arg), "name=opt/netvm/run,string=%s",
				 mgr_qemu_esc(v->nf, q, sizeof(q)));
			lv_put(x, "    <qemu:arg value='-fw_cfg'/>\n    <qemu:arg value='%s'/>\n",
			       lv_esc(x, "nf", false, arg, e, sizeof(e)));
		}
		for (i = 0; i < v->nb_files; i++) {
			snprintf(arg, sizeof(arg), "name=opt/netvm/file%u,file=%s", i,
				 mgr_qemu_esc(x->fw_file[i], q, sizeof(q)));
			lv_put(x, "    <qemu:arg value='-fw_cfg'/>\n    <qemu:arg value='%s'/>\n",
			       lv_esc(x, "manager.state_dir", false, arg, e, sizeof(e)));
		}
		lv_put(x, "  </qemu:commandline>\n");
	}
	lv_put(x, "</domain>\n");
	if (x->bad != NULL) {
		snprintf(err, errlen, "%s holds a control character (in a path, also a line "
			 "break) or bytes that are not UTF-8, which the domain XML cannot carry "
			 "(launcher \"libvirt\")", x->bad);
		return -EINVAL;
	}
	if (x->overflow) {
		snprintf(err, errlen, "the domain XML is longer than %d bytes", MGR_LV_XML_LEN);
		return -E2BIG;
	}
	return 0;
}
