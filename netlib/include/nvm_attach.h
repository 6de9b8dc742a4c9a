/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvm_attach.h — the client side of the attach protocol (docs/abi.md, 3 and
 * 3.1), written once for netlib's host transport and netvm-manager. It maps
 * nothing: the caller gets the connection and the three descriptors. libc
 * only (no DPDK): guests and the manager link it.
 */
#ifndef NVM_ATTACH_H
#define NVM_ATTACH_H

#include <stddef.h>
#include <stdint.h>

/* One attachment to the core engine. */
struct nvm_attach {
	int sock;           /* open while attached; closing it detaches (or orphans a lease) */
	int priv_fd;        /* the private region (a memfd) */
	int pool_fd;        /* the pool region */
	int doorbell_fd;    /* the eventfd the core writes to wake the NF */
	uint32_t nf_id;     /* the instance id */
	uint64_t token;     /* the lease's secret; 0 for a plain NF or when not attached */
	uint64_t priv_size; /* sizes of the region files */
	uint64_t pool_size;
};

void nvm_attach_init(struct nvm_attach *a);
int nvm_attach_nf(struct nvm_attach *a, const char *path, unsigned int role,
		  unsigned int queues, int timeout_ms, char *err, size_t errlen);
int nvm_attach_lease(struct nvm_attach *a, const char *path, unsigned int role,
		     unsigned int queues, int timeout_ms, char *err, size_t errlen);
int nvm_attach_adopt(struct nvm_attach *a, const char *path, uint32_t nf_id, uint64_t token,
		     int timeout_ms, char *err, size_t errlen);
void nvm_attach_drop(struct nvm_attach *a);
void nvm_attach_close(struct nvm_attach *a);

#endif /* NVM_ATTACH_H */
