// SPDX-License-Identifier: GPL-2.0
/*
 * netvm_uio.c — a UIO driver for QEMU's ivshmem PCI device (1af4:1110).
 *
 * A NetVM guest reaches the core engine's memory through ivshmem devices: the
 * packet pool through an ivshmem-plain device, its own rings through an
 * ivshmem-doorbell device. This driver hands both BARs to user space, where
 * netlib maps them, and turns the doorbell device's interrupt into UIO events.
 *
 *   UIO map 0  BAR0, the 256-byte register block, rounded up to a page so it
 *              can be mmapped (mmap offset 0, uncached)
 *   UIO map 1  BAR2, the shared memory, whole (mmap offset 1 * page size,
 *              cached: it is RAM on the host)
 *   interrupt  MSI-X vector 0 when the device has MSI-X (ivshmem-doorbell,
 *              vectors >= 1); none otherwise (ivshmem-plain has no interrupt)
 *
 * Reading /dev/uioN blocks until the next interrupt; writing a 32-bit 1 or 0
 * to it unmasks or masks the interrupt (an interrupt that comes while masked
 * is delivered on unmask). The INTx mode of the old "ivshmem" device (msi=off,
 * status and mask registers) is not supported: QEMU removed that device in
 * 4.0, and ivshmem-doorbell always has MSI-X. docs/guest.md is the
 * guest-visible specification.
 */
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/uio_driver.h>

#define NETVM_UIO_NAME "netvm_ivshmem"
#define NETVM_UIO_VERSION "1"

#define IVSHMEM_VENDOR_ID 0x1af4
#define IVSHMEM_DEVICE_ID 0x1110

/* BAR0 registers (QEMU docs/specs/ivshmem-spec.rst); user space rings the doorbell. */
#define IVSHMEM_REG_BAR 0
#define IVSHMEM_SHM_BAR 2
#define IVSHMEM_REG_SIZE 0x100
#define IVSHMEM_IVPOSITION 0x08

#define NETVM_UIO_MAP_REGS 0
#define NETVM_UIO_MAP_SHM 1

/*
 * Cached mappings of BAR2 need UIO_MEM_IOVA (mapped like UIO_MEM_PHYS but
 * without pgprot_noncached); kernels without it map BAR2 uncached.
 */
#ifdef UIO_MEM_IOVA
#define NETVM_UIO_SHM_MEMTYPE UIO_MEM_IOVA
#else
#define NETVM_UIO_SHM_MEMTYPE UIO_MEM_PHYS
#endif

struct netvm_uio {
	struct uio_info info;
	struct pci_dev *pdev;
	void __iomem *regs;
	spinlock_t lock; /* serialises irqcontrol calls */
	bool masked;     /* the vector is disabled by irqcontrol */
};

/* MSI-X is edge-triggered and never shared: every call is ours. */
static irqreturn_t netvm_uio_handler(int irq, struct uio_info *info)
{
	return IRQ_HANDLED;
}

/* Masks with a lazy disable: an interrupt that comes meanwhile is resent on unmask. */
static int netvm_uio_irqcontrol(struct uio_info *info, s32 irq_on)
{
	struct netvm_uio *nu = info->priv;
	unsigned long flags;

	spin_lock_irqsave(&nu->lock, flags);
	if (irq_on && nu->masked) {
		nu->masked = false;
		enable_irq(info->irq);
	} else if (!irq_on && !nu->masked) {
		nu->masked = true;
		disable_irq_nosync(info->irq);
	}
	spin_unlock_irqrestore(&nu->lock, flags);
	return 0;
}

static void netvm_uio_free_vectors(void *data)
{
	pci_free_irq_vectors(data);
}

/* Takes MSI-X vector 0 as the UIO interrupt, or none without MSI-X. */
static int netvm_uio_setup_irq(struct netvm_uio *nu)
{
	struct pci_dev *pdev = nu->pdev;
	int ret;

	if (!pdev->msix_cap) {
		nu->info.irq = UIO_IRQ_NONE;
		return 0;
	}
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "cannot enable MSI-X vector 0: %d\n", ret);
		return ret;
	}
	ret = devm_add_action_or_reset(&pdev->dev, netvm_uio_free_vectors, pdev);
	if (ret)
		return ret;
	/* MSI-X messages are memory writes: the device must master. */
	pci_set_master(pdev);
	nu->info.irq = pci_irq_vector(pdev, 0);
	nu->info.irq_flags = 0;
	nu->info.handler = netvm_uio_handler;
	nu->info.irqcontrol = netvm_uio_irqcontrol;
	return 0;
}

/* Fills UIO maps 0 (registers) and 1 (shared memory) from BAR0 and BAR2. */
static int netvm_uio_setup_maps(struct netvm_uio *nu)
{
	struct pci_dev *pdev = nu->pdev;
	struct uio_mem *regs = &nu->info.mem[NETVM_UIO_MAP_REGS];
	struct uio_mem *shm = &nu->info.mem[NETVM_UIO_MAP_SHM];
	resource_size_t start;

	if (!(pci_resource_flags(pdev, IVSHMEM_REG_BAR) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, IVSHMEM_REG_BAR) < IVSHMEM_REG_SIZE) {
		dev_err(&pdev->dev, "BAR0 is not a %u-byte memory BAR: not an ivshmem device\n",
			IVSHMEM_REG_SIZE);
		return -ENODEV;
	}
	if (!(pci_resource_flags(pdev, IVSHMEM_SHM_BAR) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, IVSHMEM_SHM_BAR) == 0) {
		dev_err(&pdev->dev, "BAR2 (shared memory) is missing: check the memdev or chardev of the device\n");
		return -ENODEV;
	}

	/* UIO maps whole pages from a page-aligned address: keep the offset. */
	start = pci_resource_start(pdev, IVSHMEM_REG_BAR);
	regs->name = "registers";
	regs->addr = start & PAGE_MASK;
	regs->offs = start & ~PAGE_MASK;
	regs->size = PAGE_ALIGN(regs->offs + pci_resource_len(pdev, IVSHMEM_REG_BAR));
	regs->memtype = UIO_MEM_PHYS;
	regs->internal_addr = nu->regs;

	start = pci_resource_start(pdev, IVSHMEM_SHM_BAR);
	if (start & ~PAGE_MASK) {
		dev_err(&pdev->dev, "BAR2 at %pa is not page aligned: cannot be mmapped\n",
			&start);
		return -ENODEV;
	}
	shm->name = "shmem";
	shm->addr = start;
	shm->size = pci_resource_len(pdev, IVSHMEM_SHM_BAR);
	shm->memtype = NETVM_UIO_SHM_MEMTYPE;
	return 0;
}

static int netvm_uio_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct netvm_uio *nu;
	int ret;

	nu = devm_kzalloc(&pdev->dev, sizeof(*nu), GFP_KERNEL);
	if (!nu)
		return -ENOMEM;
	nu->pdev = pdev;
	spin_lock_init(&nu->lock);

	ret = pcim_enable_device(pdev);
	if (ret) {
		dev_err(&pdev->dev, "cannot enable the device: %d\n", ret);
		return ret;
	}
	ret = pcim_iomap_regions(pdev, BIT(IVSHMEM_REG_BAR), NETVM_UIO_NAME);
	if (ret) {
		dev_err(&pdev->dev, "cannot map BAR0 (in use by another driver?): %d\n", ret);
		return ret;
	}
	nu->regs = pcim_iomap_table(pdev)[IVSHMEM_REG_BAR];
	ret = pci_request_region(pdev, IVSHMEM_SHM_BAR, NETVM_UIO_NAME);
	if (ret) {
		dev_err(&pdev->dev, "cannot claim BAR2: %d\n", ret);
		return ret;
	}

	ret = netvm_uio_setup_maps(nu);
	if (ret)
		return ret;
	ret = netvm_uio_setup_irq(nu);
	if (ret)
		return ret;

	nu->info.name = NETVM_UIO_NAME;
	nu->info.version = NETVM_UIO_VERSION;
	nu->info.priv = nu;
	ret = devm_uio_register_device(&pdev->dev, &nu->info);
	if (ret) {
		dev_err(&pdev->dev, "cannot register the UIO device: %d\n", ret);
		return ret;
	}
	pci_set_drvdata(pdev, nu);

	dev_info(&pdev->dev, "shared memory %llu KiB, IVPosition %d, interrupt %s\n",
		 (unsigned long long)nu->info.mem[NETVM_UIO_MAP_SHM].size >> 10,
		 (int)ioread32(nu->regs + IVSHMEM_IVPOSITION),
		 nu->info.irq == UIO_IRQ_NONE ? "none" : "MSI-X vector 0");
	return 0;
}

static const struct pci_device_id netvm_uio_ids[] = {
	{ PCI_DEVICE(IVSHMEM_VENDOR_ID, IVSHMEM_DEVICE_ID) },
	{ 0 }
};
MODULE_DEVICE_TABLE(pci, netvm_uio_ids);

static struct pci_driver netvm_uio_driver = {
	.name = NETVM_UIO_NAME,
	.id_table = netvm_uio_ids,
	.probe = netvm_uio_probe,
};
module_pci_driver(netvm_uio_driver);

MODULE_DESCRIPTION("NetVM: ivshmem registers, shared memory and doorbell interrupt through UIO");
MODULE_AUTHOR("The NetVM authors");
MODULE_LICENSE("GPL v2");
MODULE_VERSION(NETVM_UIO_VERSION);
