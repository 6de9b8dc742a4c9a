/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvm_uio_probe — look at the ivshmem devices a guest sees through netvm_uio.
 *
 * For every /sys/class/uio/uioN, in order: print its name, map sizes,
 * IVPosition register and whether it has an interrupt, map UIO map 1 (the
 * shared memory) and print its first 16 bytes; then run the requested actions
 * on it. Linked statically: it runs in a busybox initramfs with no libc.
 *
 * Usage: nvm_uio_probe [action]...
 *   --dump OFF               print the 16 bytes at OFF of map 1
 *   --write [TAG@]OFF=HEX    write the bytes HEX at OFF of map 1; with TAG (hex),
 *                            only on devices whose map 1 starts with those bytes
 *   --ring PEER:VECTOR       write the doorbell register (devices with an interrupt)
 *   --irq on|off             unmask or mask the interrupt (on when the probe starts)
 *   --wait-irq MS            wait up to MS ms for an interrupt; an error when none
 *                            comes, or, while masked, when one does
 *
 * Output, one line per fact (docs/guest.md; tests/vm parses it):
 *   uio0: name=netvm_ivshmem version=1 map0=0x1000 map1=0x400000 ivpos=0 irq=no head=<hex> kind=pool
 *   uio0: dump 0x200000 <hex>
 *   uio0: wrote 16 bytes at 0x300000      (or: skipped write at 0x300000: tag differs)
 *   uio0: rang peer 1 vector 0
 *   uio0: irq off                         (or: irq on)
 *   uio0: irq count=1                     (or: irq none after 5000 ms)
 *   nvm_uio_probe: 2 devices, 0 errors
 * Exit status: 0 when at least one device was seen and nothing failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "netvm_abi.h"

#define PROBE_NAME "nvm_uio_probe"
#define PROBE_MAX_DEVS 32
#define PROBE_MAX_ACTIONS 32
#define PROBE_MAX_BYTES 256
#define PROBE_HEAD 16

/* BAR0 registers of ivshmem (docs/guest.md). */
#define IVSHMEM_IVPOSITION 0x08
#define IVSHMEM_DOORBELL 0x0c

enum probe_kind { ACT_DUMP, ACT_WRITE, ACT_RING, ACT_IRQ, ACT_WAIT };

struct probe_action {
	enum probe_kind kind;
	uint64_t off;                  /* DUMP, WRITE */
	uint8_t bytes[PROBE_MAX_BYTES]; /* WRITE */
	size_t len;
	uint8_t tag[PROBE_MAX_BYTES];  /* WRITE: map 1 must start with these */
	size_t tag_len;
	uint32_t value;                /* RING: doorbell; IRQ: 1 on, 0 off; WAIT: ms */
};

struct probe_dev {
	int num;             /* N of uioN */
	int fd;
	volatile uint8_t *regs;
	size_t regs_size;
	volatile uint8_t *shm;
	size_t shm_size;
	int has_irq;
	int irq_on;
};

/* Reads a sysfs value of uioN as a string; returns 0 or -errno. */
static int probe_sysfs(int num, const char *attr, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/uio/uio%d/%s", num, attr);
	f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	if (fgets(buf, (int)len, f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int probe_sysfs_u64(int num, const char *attr, uint64_t *val)
{
	char buf[64], *end;
	int ret = probe_sysfs(num, attr, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	return (errno || end == buf) ? -EINVAL : 0;
}

/* Parses an even-length hex string into @out; returns its length or -1. */
static long probe_parse_hex(const char *s, size_t n, uint8_t *out)
{
	size_t i;
	char pair[3] = "";

	if (n == 0 || n % 2 || n / 2 > PROBE_MAX_BYTES)
		return -1;
	for (i = 0; i < n; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return -1;
	for (i = 0; i < n / 2; i++) {
		pair[0] = s[2 * i];
		pair[1] = s[2 * i + 1];
		out[i] = (uint8_t)strtoul(pair, NULL, 16);
	}
	return (long)(n / 2);
}

static int probe_parse_u64(const char *s, uint64_t *val)
{
	char *end;

	errno = 0;
	*val = strtoull(s, &end, 0);
	return (errno || end == s || *end) ? -1 : 0;
}

static int probe_parse_write(const char *arg, struct probe_action *a)
{
	const char *at = strchr(arg, '@'), *eq = strchr(arg, '=');
	char off[32];
	long n;

	if (eq == NULL)
		return -1;
	if (at != NULL && at < eq) {
		n = probe_parse_hex(arg, (size_t)(at - arg), a->tag);
		if (n < 0)
			return -1;
		a->tag_len = (size_t)n;
		arg = at + 1;
	}
	if ((size_t)(eq - arg) >= sizeof(off))
		return -1;
	memcpy(off, arg, (size_t)(eq - arg));
	off[eq - arg] = '\0';
	if (probe_parse_u64(off, &a->off) < 0)
		return -1;
	n = probe_parse_hex(eq + 1, strlen(eq + 1), a->bytes);
	if (n < 0)
		return -1;
	a->len = (size_t)n;
	return 0;
}

static int probe_parse_action(const char *opt, const char *arg, struct probe_action *a)
{
	unsigned int peer, vector;
	uint64_t v;
	char extra;

	memset(a, 0, sizeof(*a));
	if (strcmp(opt, "--dump") == 0) {
		a->kind = ACT_DUMP;
		a->len = PROBE_HEAD;
		return probe_parse_u64(arg, &a->off);
	}
	if (strcmp(opt, "--write") == 0) {
		a->kind = ACT_WRITE;
		return probe_parse_write(arg, a);
	}
	if (strcmp(opt, "--ring") == 0) {
		a->kind = ACT_RING;
		if (sscanf(arg, "%u:%u%c", &peer, &vector, &extra) != 2 ||
		    peer > 0xffff || vector > 0xffff)
			return -1;
		a->value = peer << 16 | vector;
		return 0;
	}
	if (strcmp(opt, "--irq") == 0) {
		a->kind = ACT_IRQ;
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
			return -1;
		a->value = strcmp(arg, "on") == 0;
		return 0;
	}
	if (strcmp(opt, "--wait-irq") == 0) {
		a->kind = ACT_WAIT;
		if (probe_parse_u64(arg, &v) < 0 || v > 3600000)
			return -1;
		a->value = (uint32_t)v;
		return 0;
	}
	return -1;
}

static void probe_hex(const volatile uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static const char *probe_kind_name(const volatile uint8_t *shm, size_t size)
{
	uint32_t magic;

	if (size < sizeof(magic))
		return "other";
	magic = (uint32_t)shm[0] | (uint32_t)shm[1] << 8 |
		(uint32_t)shm[2] << 16 | (uint32_t)shm[3] << 24;
	if (magic == NVM_POOL_MAGIC)
		return "pool";
	if (magic == NVM_PRIV_MAGIC)
		return "priv";
	return "other";
}

/* Opens uioN and maps its two maps; returns 0 or -1 after printing why. */
static int probe_open(struct probe_dev *d)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t size0, size1, offs0;
	char path[32];
	int one = 1;

	if (probe_sysfs_u64(d->num, "maps/map0/size", &size0) < 0 ||
	    probe_sysfs_u64(d->num, "maps/map0/offset", &offs0) < 0 ||
	    probe_sysfs_u64(d->num, "maps/map1/size", &size1) < 0) {
		fprintf(stderr, "uio%d: no map 0 and map 1 in sysfs: not a netvm_uio device\n",
			d->num);
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/uio%d", d->num);
	d->fd = open(path, O_RDWR);
	if (d->fd < 0) {
		fprintf(stderr, "uio%d: open %s: %s\n", d->num, path, strerror(errno));
		return -1;
	}
	d->regs_size = size0;
	d->regs = mmap(NULL, size0, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
	d->shm_size = size1;
	d->shm = mmap(NULL, size1, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, page);
	if (d->regs == MAP_FAILED || d->shm == MAP_FAILED) {
		fprintf(stderr, "uio%d: mmap of map %d failed: %s\n", d->num,
			d->regs == MAP_FAILED ? 0 : 1, strerror(errno));
		return -1;
	}
	d->regs += offs0;
	/* Unmasking is refused (EIO) exactly when the device has no interrupt. */
	d->has_irq = write(d->fd, &one, sizeof(one)) == (ssize_t)sizeof(one);
	d->irq_on = d->has_irq;
	return 0;
}

static int probe_act(struct probe_dev *d, const struct probe_action *a)
{
	char hex[2 * PROBE_MAX_BYTES + 1];
	struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
	int32_t on;
	uint32_t count;
	size_t i;

	if ((a->kind == ACT_DUMP || a->kind == ACT_WRITE) &&
	    (a->off > d->shm_size || a->len > d->shm_size - a->off)) {
		fprintf(stderr, "uio%d: offset 0x%llx + %zu is past map 1 (0x%zx bytes)\n",
			d->num, (unsigned long long)a->off, a->len, d->shm_size);
		return -1;
	}
	switch (a->kind) {
	case ACT_DUMP:
		probe_hex(d->shm + a->off, a->len, hex);
		printf("uio%d: dump 0x%llx %s\n", d->num, (unsigned long long)a->off, hex);
		return 0;
	case ACT_WRITE:
		for (i = 0; i < a->tag_len; i++) {
			if (i >= d->shm_size || d->shm[i] != a->tag[i]) {
				printf("uio%d: skipped write at 0x%llx: tag differs\n",
				       d->num, (unsigned long long)a->off);
				return 0;
			}
		}
		for (i = 0; i < a->len; i++)
			d->shm[a->off + i] = a->bytes[i];
		printf("uio%d: wrote %zu bytes at 0x%llx\n", d->num, a->len,
		       (unsigned long long)a->off);
		return 0;
	case ACT_RING:
		if (!d->has_irq)
			return 0;
		*(volatile uint32_t *)(d->regs + IVSHMEM_DOORBELL) = a->value;
		printf("uio%d: rang peer %u vector %u\n", d->num, a->value >> 16,
		       a->value & 0xffff);
		return 0;
	case ACT_IRQ:
		if (!d->has_irq)
			return 0;
		on = (int32_t)a->value;
		if (write(d->fd, &on, sizeof(on)) != (ssize_t)sizeof(on)) {
			fprintf(stderr, "uio%d: irq %s: %s\n", d->num, on ? "on" : "off",
				strerror(errno));
			return -1;
		}
		d->irq_on = on;
		printf("uio%d: irq %s\n", d->num, on ? "on" : "off");
		return 0;
	case ACT_WAIT:
		if (!d->has_irq)
			return 0;
		if (poll(&pfd, 1, (int)a->value) != 1 ||
		    read(d->fd, &count, sizeof(count)) != (ssize_t)sizeof(count)) {
			printf("uio%d: irq none after %u ms\n", d->num, a->value);
			return d->irq_on ? -1 : 0;
		}
		printf("uio%d: irq count=%u\n", d->num, count);
		return d->irq_on ? 0 : -1;
	}
	return -1;
}

static int probe_dev(int num, const struct probe_action *acts, int nb_acts)
{
	struct probe_dev d = { .num = num, .fd = -1 };
	char name[64] = "?", version[64] = "?", hex[2 * PROBE_HEAD + 1];
	int i, errors = 0;

	probe_sysfs(num, "name", name, sizeof(name));
	probe_sysfs(num, "version", version, sizeof(version));
	if (probe_open(&d) < 0) {
		printf("uio%d: name=%s unusable\n", num, name);
		errors = 1;
		goto out;
	}
	probe_hex(d.shm, d.shm_size < PROBE_HEAD ? d.shm_size : PROBE_HEAD, hex);
	printf("uio%d: name=%s version=%s map0=0x%zx map1=0x%zx ivpos=%d irq=%s head=%s kind=%s\n",
	       num, name, version, d.regs_size, d.shm_size,
	       (int)*(volatile uint32_t *)(d.regs + IVSHMEM_IVPOSITION),
	       d.has_irq ? "yes" : "no", hex, probe_kind_name(d.shm, d.shm_size));
	for (i = 0; i < nb_acts; i++)
		if (probe_act(&d, &acts[i]) < 0)
			errors++;
out:
	if (d.fd >= 0)
		close(d.fd);
	return errors;
}

static int probe_cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void probe_usage(FILE *f)
{
	fprintf(f, "usage: %s [--dump OFF] [--write [TAG@]OFF=HEX] [--ring PEER:VECTOR]"
		" [--irq on|off] [--wait-irq MS]...\n", PROBE_NAME);
}

/* Lists and exercises every UIO device; exits 1 on any error or when none is found. */
int main(int argc, char **argv)
{
	static struct probe_action acts[PROBE_MAX_ACTIONS];
	int nums[PROBE_MAX_DEVS], nb_devs = 0, nb_acts = 0, errors = 0, i;
	struct dirent *de;
	DIR *dir;

	for (i = 1; i < argc; i += 2) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			probe_usage(stdout);
			return 0;
		}
		if (i + 1 >= argc || nb_acts == PROBE_MAX_ACTIONS ||
		    probe_parse_action(argv[i], argv[i + 1], &acts[nb_acts]) < 0) {
			fprintf(stderr, "%s: bad or incomplete action '%s%s%s'\n", PROBE_NAME,
				argv[i], i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "");
			probe_usage(stderr);
			return 2;
		}
		nb_acts++;
	}

	dir = opendir("/sys/class/uio");
	if (dir == NULL) {
		fprintf(stderr, "%s: /sys/class/uio: %s (is the uio module loaded?)\n",
			PROBE_NAME, strerror(errno));
		return 1;
	}
	while ((de = readdir(dir)) != NULL && nb_devs < PROBE_MAX_DEVS)
		if (sscanf(de->d_name, "uio%d", &nums[nb_devs]) == 1)
			nb_devs++;
	closedir(dir);
	qsort(nums, (size_t)nb_devs, sizeof(nums[0]), probe_cmp_int);

	for (i = 0; i < nb_devs; i++)
		errors += probe_dev(nums[i], acts, nb_acts);
	printf("%s: %d devices, %d errors\n", PROBE_NAME, nb_devs, errors);
	fflush(stdout);
	return (nb_devs == 0 || errors) ? 1 : 0;
}
