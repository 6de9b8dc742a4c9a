/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_mgr_cfg.c — the manager's configuration parser (manager/mgr_cfg.c)
 * on any file: refused with a message naming the file and the defaults
 * left, or read into a struct mgr_cfg that keeps the promises of mgr_cfg.h.
 * The file is written into a private directory that also holds a few small
 * files ("vmlinux", "initrd", "disk.img", "routes"), so that relative paths
 * in it name files that exist and VMs can be accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "mgr_cfg.h"

static int
has_nul(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void
check_loaded(const struct mgr_cfg *c)
{
	unsigned int i, j;

	FUZZ_CHECK(c->nb_vms <= MGR_CFG_MAX_VMS, "%u VMs", c->nb_vms);
	FUZZ_CHECK(c->nb_vms == 0 || c->vms != NULL, "VMs missing");
	FUZZ_CHECK(has_nul(c->socket_path, sizeof(c->socket_path)) &&
		   has_nul(c->core_socket, sizeof(c->core_socket)) &&
		   has_nul(c->state_dir, sizeof(c->state_dir)) &&
		   has_nul(c->qemu, sizeof(c->qemu)), "a string without its NUL");
	FUZZ_CHECK(strcmp(mgr_cfg_accel_name(c->accel), "?") != 0, "accel %d", (int)c->accel);
	for (i = 0; i < c->nb_vms; i++) {
		const struct mgr_vm_cfg *v = &c->vms[i];

		FUZZ_CHECK(v->name[0] != '\0' && has_nul(v->name, sizeof(v->name)), "VM %u name", i);
		FUZZ_CHECK(mgr_cfg_vm(c, v->name) == &c->vms[i], "VM name '%s' twice", v->name);
		FUZZ_CHECK(v->role < 256, "VM %u role %u", i, v->role);
		FUZZ_CHECK(v->queues >= 1 && v->queues <= 8, "VM %u queues %u", i, v->queues);
		FUZZ_CHECK((v->kernel[0] != '\0') != (v->disk[0] != '\0'),
			   "VM %u: kernel '%s' disk '%s'", i, v->kernel, v->disk);
		FUZZ_CHECK(v->kernel[0] != '\0' || v->initrd[0] == '\0', "VM %u: initrd, no kernel", i);
		FUZZ_CHECK(has_nul(v->nf, sizeof(v->nf)), "VM %u nf", i);
		FUZZ_CHECK(v->nb_files <= MGR_CFG_MAX_FILES, "VM %u: %u files", i, v->nb_files);
		for (j = 0; j < v->nb_files; j++)
			FUZZ_CHECK(v->files[j].guest[0] == '/' && v->files[j].host[0] == '/',
				   "VM %u file %u not absolute", i, j);
		FUZZ_CHECK(strcmp(mgr_cfg_launcher_name(v->launcher), "?") != 0 &&
			   strcmp(mgr_cfg_restart_name(v->restart), "?") != 0,
			   "VM %u enum out of range", i);
	}
}

static char fz_dir[64];
static const char *const fz_files[] = { "vmlinux", "initrd", "disk.img", "routes" };

static void
fz_dir_remove(void)
{
	char p[128];
	size_t i;

	for (i = 0; i < sizeof(fz_files) / sizeof(fz_files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fz_dir, fz_files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/fuzz.conf", fz_dir);
	unlink(p);
	rmdir(fz_dir);
}

/* The private directory, made on first use; NULL if it cannot be. */
static const char *
fz_dir_get(void)
{
	const char *base = getenv("TMPDIR");
	struct stat st;
	char p[128];
	size_t i;

	if (fz_dir[0] != '\0')
		return fz_dir;
	/* memory, not a disk: a file is written per input */
	if (base == NULL)
		base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
	/* a mkdtemp(3) template: a private directory for the files a VM names */
	snprintf(fz_dir, sizeof(fz_dir), "%s/fuzz_mgr_cfg.XXXXXX", base);
	if (mkdtemp(fz_dir) == NULL) {
		fz_dir[0] = '\0';
		return NULL;
	}
	atexit(fz_dir_remove);
	for (i = 0; i < sizeof(fz_files) / sizeof(fz_files[0]); i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/%s", fz_dir, fz_files[i]);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, "x\n", 2) != 2) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		close(fd);
	}
	return fz_dir;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgr_cfg *c = malloc(sizeof(*c)), *def = malloc(sizeof(*def));
	const char *dir = fz_dir_get();
	char path[128], err[512];
	int fd = -1, rc;

	if (c == NULL || def == NULL || dir == NULL || size > 65536)
		goto out;
	snprintf(path, sizeof(path), "%s/fuzz.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		goto out;
	close(fd);
	fd = -1;
	err[0] = '\0';
	rc = mgr_cfg_load(path, c, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "returned %d (%s)", rc, err);
	if (rc < 0) {
		mgr_cfg_defaults(def);
		FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0,
			   "refused without naming the file: '%s'", err);
		FUZZ_CHECK(memcmp(c, def, sizeof(*c)) == 0, "a refused file left more than defaults");
	} else {
		check_loaded(c);
		mgr_cfg_free(c);
	}
out:
	if (fd >= 0)
		close(fd);
	free(c);
	free(def);
	return 0;
}
