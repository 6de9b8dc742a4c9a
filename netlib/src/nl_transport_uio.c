/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest transport (--transport uio). Inside a VM the core engine's
 * regions are ivshmem PCI devices (1af4:1110) bound to netvm_uio, the guest
 * UIO driver (docs/guest.md): UIO map 1 of each is its BAR2, the shared
 * memory. Every such device is mapped and told apart by the magic at its
 * offset 0 (never by slot or probe order): NVM_PRIV_MAGIC is this NF's
 * private region, NVM_POOL_MAGIC a pool region. The private region's
 * /dev/uioN stays open: its interrupt (MSI-X vector 0, raised when the core
 * writes the doorbell eventfd QEMU was given) is the doorbell, and an
 * exclusive flock() on it keeps a second NF process off the same rings.
 *
 * The private region decides the role (its manager chose it when attaching
 * the VM); --role must agree. A guest cannot see the core's socket, so the
 * core is never reported gone: the VM's manager stops the VM instead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "nl_priv.h"

#define UIO_SYSFS "/sys/class/uio"
#define UIO_MAX_DEVS 16
#define IVSHMEM_VENDOR 0x1af4
#define IVSHMEM_DEVICE 0x1110
#define UIO_HELP "load uio.ko and netvm_uio.ko (guest-uio-driver/)"

/* One ivshmem device with its BAR2 mapped. */
struct uio_dev {
	int num;         /* N of uioN */
	char pci[32];    /* PCI address, for messages */
	int fd;          /* /dev/uioN */
	uint8_t *shm;    /* UIO map 1 = BAR2 */
	size_t size;
	uint32_t magic;  /* first 4 bytes of BAR2 */
};

struct uio_scan {
	struct uio_dev devs[UIO_MAX_DEVS];
	unsigned int nb_devs;
	unsigned int nb_ivshmem; /* 1af4:1110 devices seen, mapped or not */
	char skipped[160];       /* why the first device that could not be mapped was not */
};

/* Read /sys/class/uio/uio@num/@attr as a number; 0 or -errno. */
static int
sysfs_u64(int num, const char *attr, uint64_t *v)
{
	char path[128], buf[64], *end;
	FILE *f;

	snprintf(path, sizeof(path), UIO_SYSFS "/uio%d/%s", num, attr);
	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	errno = 0;
	*v = strtoull(buf, &end, 0);
	return errno != 0 || end == buf ? -EINVAL : 0;
}

/* The PCI address of uio@num (the last part of its device link), or "?". */
static void
pci_addr(int num, char *out, size_t len)
{
	char path[128], target[256];
	ssize_t n;
	const char *slash;

	snprintf(path, sizeof(path), UIO_SYSFS "/uio%d/device", num);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0) {
		snprintf(out, len, "?");
		return;
	}
	target[n] = '\0';
	slash = strrchr(target, '/');
	slash = slash != NULL ? slash + 1 : target;
	n = (ssize_t)strnlen(slash, len - 1);
	memcpy(out, slash, (size_t)n);
	out[n] = '\0';
}

/* Map BAR2 of ivshmem device uio@num into @d. 0, or -errno with a message. */
static int
dev_map(int num, struct uio_dev *d, char *err, size_t errlen)
{
	char node[32];
	uint64_t size;
	void *p;
	int r;

	d->num = num;
	d->fd = -1;
	pci_addr(num, d->pci, sizeof(d->pci));
	r = sysfs_u64(num, "maps/map1/size", &size);
	if (r < 0 || size < sizeof(struct nvm_priv_hdr) || size < sizeof(struct nvm_pool_hdr)) {
		snprintf(err, errlen, "uio%d (%s): no UIO map 1 (BAR2): is it bound to netvm_uio? "
			 "(uio_pci_generic exposes no BAR2; %s)", num, d->pci, UIO_HELP);
		return r < 0 ? r : -ENODEV;
	}
	snprintf(node, sizeof(node), "/dev/uio%d", num);
	d->fd = open(node, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "uio%d (%s): cannot open %s: %s (is devtmpfs mounted on /dev?)",
			 num, d->pci, node, strerror(-r));
		return r;
	}
	/* UIO map N is at mmap offset N pages. */
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		 1 * sysconf(_SC_PAGESIZE));
	if (p == MAP_FAILED) {
		r = -errno;
		snprintf(err, errlen, "uio%d (%s): cannot map BAR2 (%llu bytes): %s", num, d->pci,
			 (unsigned long long)size, strerror(-r));
		close(d->fd);
		d->fd = -1;
		return r;
	}
	d->shm = p;
	d->size = (size_t)size;
	memcpy(&d->magic, d->shm, sizeof(d->magic));
	return 0;
}

static void
dev_unmap(struct uio_dev *d)
{
	if (d->shm != NULL)
		munmap(d->shm, d->size);
	if (d->fd >= 0)
		close(d->fd);
	d->shm = NULL;
	d->fd = -1;
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * Map every ivshmem UIO device, in uioN order. One that cannot be mapped (an
 * ivshmem of something else, bound to another UIO driver) is skipped, and
 * only named if a region turns out to be missing. 0, or -errno with a message.
 */
static int
scan(struct uio_scan *s, char *err, size_t errlen)
{
	int nums[UIO_MAX_DEVS * 4];
	unsigned int n = 0, i;
	struct dirent *e;
	DIR *dir = opendir(UIO_SYSFS);
	char scratch[160];

	if (dir == NULL) {
		snprintf(err, errlen, "no %s: the UIO core is not loaded (%s)", UIO_SYSFS, UIO_HELP);
		return -ENODEV;
	}
	while ((e = readdir(dir)) != NULL && n < sizeof(nums) / sizeof(nums[0]))
		if (strncmp(e->d_name, "uio", 3) == 0 && e->d_name[3] >= '0' && e->d_name[3] <= '9')
			nums[n++] = atoi(e->d_name + 3);
	closedir(dir);
	qsort(nums, n, sizeof(nums[0]), cmp_int);

	for (i = 0; i < n; i++) {
		uint64_t vendor, device;

		if (sysfs_u64(nums[i], "device/vendor", &vendor) < 0 ||
		    sysfs_u64(nums[i], "device/device", &device) < 0 ||
		    vendor != IVSHMEM_VENDOR || device != IVSHMEM_DEVICE)
			continue;
		s->nb_ivshmem++;
		if (s->nb_devs == UIO_MAX_DEVS) {
			snprintf(err, errlen, "more than %d ivshmem devices", UIO_MAX_DEVS);
			return -E2BIG;
		}
		/* Keep the first reason a device was skipped. */
		if (dev_map(nums[i], &s->devs[s->nb_devs], s->skipped[0] ? scratch : s->skipped,
			    s->skipped[0] ? sizeof(scratch) : sizeof(s->skipped)) < 0)
			continue;
		s->nb_devs++;
	}
	if (s->nb_ivshmem == 0) {
		snprintf(err, errlen, "no ivshmem device (PCI 1af4:1110) under %s: give the VM "
			 "the pool (ivshmem-plain) and its private region (ivshmem-doorbell), and %s",
			 UIO_SYSFS, UIO_HELP);
		return -ENODEV;
	}
	if (s->nb_devs == 0) {
		snprintf(err, errlen, "%s", s->skipped);
		return -ENODEV;
	}
	return 0;
}

/* Describe the devices seen, for a message saying a region is missing. */
static void
describe(const struct uio_scan *s, char *out, size_t len)
{
	size_t used = 0;
	unsigned int i;

	out[0] = '\0';
	for (i = 0; i < s->nb_devs && used < len; i++) {
		const struct uio_dev *d = &s->devs[i];
		const char *kind = "no NetVM magic at BAR2";
		int k;

		if (d->magic == NVM_POOL_MAGIC)
			kind = "a pool region";
		else if (d->magic == NVM_PRIV_MAGIC)
			kind = "a private region";
		k = snprintf(out + used, len - used, "%suio%d (%s): %s", i ? "; " : "", d->num,
			     d->pci, kind);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	if (s->skipped[0] != '\0' && used < len)
		snprintf(out + used, len - used, "; skipped %s", s->skipped);
}

/*
 * Choose this NF's private region: the one of its role (the only one in the
 * usual VM) that no other NF process has locked. Returns its index, or
 * -errno with a message.
 */
static int
pick_priv(struct uio_scan *s, int role, char *err, size_t errlen)
{
	const struct uio_dev *other = NULL;
	int found = 0, busy = -1;
	unsigned int i;

	for (i = 0; i < s->nb_devs; i++) {
		struct uio_dev *d = &s->devs[i];
		const struct nvm_priv_hdr *h = (const struct nvm_priv_hdr *)d->shm;

		if (d->magic != NVM_PRIV_MAGIC)
			continue;
		found++;
		if (h->role != role) {
			other = d;
			continue;
		}
		if (flock(d->fd, LOCK_EX | LOCK_NB) < 0) {
			busy = (int)i;
			continue;
		}
		return (int)i;
	}
	if (busy >= 0) {
		snprintf(err, errlen, "uio%d (%s): the private region of role %d is in use by "
			 "another NF process in this VM", s->devs[busy].num, s->devs[busy].pci, role);
		return -EBUSY;
	}
	if (found == 1 && other != NULL) {
		snprintf(err, errlen, "uio%d (%s): this VM's private region serves role %u, not "
			 "role %d given with --role (its manager chose the role: pass -r %u)",
			 other->num, other->pci, ((const struct nvm_priv_hdr *)other->shm)->role,
			 role, ((const struct nvm_priv_hdr *)other->shm)->role);
		return -EINVAL;
	}
	if (found > 1) {
		snprintf(err, errlen, "none of the %d NetVM private regions of this VM serves "
			 "role %d (--role)", found, role);
		return -EINVAL;
	}
	snprintf(err, errlen, "no NetVM private region (magic %#x) among the ivshmem devices: ",
		 NVM_PRIV_MAGIC);
	describe(s, err + strlen(err), errlen - strlen(err));
	return -ENODEV;
}

/* The pool region the private region's descriptors refer to; index or -errno. */
static int
pick_pool(const struct uio_scan *s, uint32_t pool_id, char *err, size_t errlen)
{
	unsigned int i;

	for (i = 0; i < s->nb_devs; i++) {
		const struct uio_dev *d = &s->devs[i];

		if (d->magic == NVM_POOL_MAGIC &&
		    ((const struct nvm_pool_hdr *)d->shm)->pool_id == pool_id)
			return (int)i;
	}
	snprintf(err, errlen, "no NetVM pool region %u (magic %#x) among the ivshmem devices: ",
		 pool_id, NVM_POOL_MAGIC);
	describe(s, err + strlen(err), errlen - strlen(err));
	return -ENODEV;
}

/* Unmask the doorbell interrupt. 1 if the device has one, 0 if not, or -errno. */
static int
irq_unmask(int fd)
{
	int32_t on = 1;

	if (write(fd, &on, sizeof(on)) == (ssize_t)sizeof(on))
		return 1;
	return errno == EIO ? 0 : -errno;
}

static int
uio_attach(struct nl_ctx *ctx, char *err, size_t errlen)
{
	struct uio_scan s = { .nb_devs = 0 };
	const struct nvm_priv_hdr *h;
	struct uio_dev *priv, *pool;
	unsigned int i;
	uint32_t state;
	int ip, ipool, r;

	r = scan(&s, err, errlen);
	if (r < 0)
		goto out;
	r = ip = pick_priv(&s, ctx->opts.role, err, errlen);
	if (r < 0)
		goto out;
	priv = &s.devs[ip];
	h = (const struct nvm_priv_hdr *)priv->shm;
	r = ipool = pick_pool(&s, h->pool_id, err, errlen);
	if (r < 0)
		goto out;
	pool = &s.devs[ipool];
	state = h->nf_state; /* read once: the header is shared memory */
	if (state != NVM_NF_ATTACHING) {
		snprintf(err, errlen, "uio%d (%s): the private region was used by an earlier NF "
			 "run (state %s), its rings are not fresh: restart the VM", priv->num,
			 priv->pci, state == NVM_NF_RUNNING ? "running" :
				    state == NVM_NF_STOPPING ? "stopping" :
				    state == NVM_NF_PARKED ? "parked" : "unknown");
		r = -EBUSY;
		goto out;
	}
	r = irq_unmask(priv->fd);
	if (r < 0) {
		snprintf(err, errlen, "uio%d (%s): unmasking the doorbell interrupt: %s", priv->num,
			 priv->pci, strerror(-r));
		goto out;
	}
	if (r == 0 && ctx->opts.sleep_after_us > 0) {
		snprintf(err, errlen, "uio%d (%s): the private region's device has no interrupt, so "
			 "the NF could not be woken: serve it with ivshmem-doorbell (vectors=1), or "
			 "run without --sleep-after-us", priv->num, priv->pci);
		r = -ENOTSUP;
		goto out;
	}
	ctx->priv = priv->shm;
	ctx->priv_size = priv->size;
	ctx->pool = pool->shm;
	ctx->pool_size = pool->size;
	ctx->nf_id = h->nf_id;
	ctx->doorbell_fd = priv->fd; /* also holds the flock */
	priv->shm = pool->shm = NULL;
	priv->fd = -1;
	r = nl_regions_check(ctx, err, errlen);
out:
	for (i = 0; i < s.nb_devs; i++)
		dev_unmap(&s.devs[i]);
	return r;
}

static int
uio_wait(struct nl_ctx *ctx, int ms)
{
	/* UIO reads exactly 4 bytes: the interrupt count. */
	return nl_doorbell_wait(ctx->doorbell_fd, ms, sizeof(uint32_t));
}

static int
uio_core_gone(struct nl_ctx *ctx, int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	(void)ctx;
	nanosleep(&ts, NULL); /* a signal ends it early: nl_main looks at it */
	return 0;
}

static void
uio_detach(struct nl_ctx *ctx)
{
	if (ctx->pool != NULL)
		munmap(ctx->pool, ctx->pool_size);
	if (ctx->priv != NULL)
		munmap(ctx->priv, ctx->priv_size);
	if (ctx->doorbell_fd >= 0)
		close(ctx->doorbell_fd);
	ctx->pool = ctx->priv = NULL;
	ctx->doorbell_fd = -1;
}

const struct nl_transport nl_transport_uio = {
	.name = "uio",
	.attach = uio_attach,
	.wait = uio_wait,
	.core_gone = uio_core_gone,
	.detach = uio_detach,
};
