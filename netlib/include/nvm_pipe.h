/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvm_pipe.h — byte pipes in shared memory (struct nvm_pipe, netvm_abi.h):
 * the control channel between the core engine and an NF, used unchanged by
 * both sides.
 *
 * As with the descriptor rings (nvm_ring.h), each side keeps its own index
 * and its own copy of the size, and reads only the other side's index from
 * the pipe. An impossible index (more bytes than the pipe holds) moves
 * nothing and makes the call return -1: the stream is then broken for good,
 * and the owner stops using it.
 */
#ifndef NVM_PIPE_H
#define NVM_PIPE_H

#include <stdint.h>
#include <string.h>

#include "netvm_abi.h"

/* One side's private view of a pipe: the writer's or the reader's. */
struct nvm_pipe_end {
	struct nvm_pipe *p;
	uint32_t size; /* a power of two, from the creator's records */
	uint32_t pos;  /* bytes written (writer) or read (reader), authoritative */
};

/* Lay out an empty pipe of @size data bytes at @p. */
static inline void
nvm_pipe_init(struct nvm_pipe *p, uint32_t size)
{
	memset(p, 0, sizeof(*p));
	p->size = size;
}

/* Take one end of pipe @p of @size bytes. @pos is where the stream stands:
 * 0 for a fresh pipe; a reader or writer taking over reads its own index
 * from the pipe (the only time it is read from there). */
static inline void
nvm_pipe_attach(struct nvm_pipe_end *e, struct nvm_pipe *p, uint32_t size, uint32_t pos)
{
	e->p = p;
	e->size = size;
	e->pos = pos;
}

/* Copy @n bytes between a linear buffer and the pipe's ring at @pos. */
static inline void
nvm_pipe_copy(struct nvm_pipe_end *e, uint32_t pos, void *buf, uint32_t n, int to_pipe)
{
	uint32_t idx = pos & (e->size - 1), first = e->size - idx;
	uint8_t *b = (uint8_t *)buf;

	if (first > n)
		first = n;
	if (to_pipe) {
		memcpy(e->p->data + idx, b, first);
		memcpy(e->p->data, b + first, n - first);
	} else {
		memcpy(b, e->p->data + idx, first);
		memcpy(b + first, e->p->data, n - first);
	}
}

/* Write up to @n bytes of @buf; returns how many were written (0 when the
 * pipe is full), or -1 if the reader's index is impossible. */
static inline int64_t
nvm_pipe_write(struct nvm_pipe_end *e, const void *buf, uint32_t n)
{
	uint32_t cons = __atomic_load_n(&e->p->cons, __ATOMIC_ACQUIRE);
	uint32_t used = e->pos - cons;

	if (used > e->size)
		return -1;
	if (n > e->size - used)
		n = e->size - used;
	if (n == 0)
		return 0;
	nvm_pipe_copy(e, e->pos, (void *)(uintptr_t)buf, n, 1);
	e->pos += n;
	__atomic_store_n(&e->p->prod, e->pos, __ATOMIC_RELEASE);
	return n;
}

/* Bytes waiting to be read, or -1 if the writer's index is impossible. */
static inline int64_t
nvm_pipe_avail(struct nvm_pipe_end *e)
{
	uint32_t avail = __atomic_load_n(&e->p->prod, __ATOMIC_ACQUIRE) - e->pos;

	return avail > e->size ? -1 : (int64_t)avail;
}

/* Read up to @n bytes into @buf; returns how many were read (0 when the
 * pipe is empty), or -1 if the writer's index is impossible. */
static inline int64_t
nvm_pipe_read(struct nvm_pipe_end *e, void *buf, uint32_t n)
{
	int64_t avail = nvm_pipe_avail(e);

	if (avail < 0)
		return -1;
	if (n > avail)
		n = (uint32_t)avail;
	if (n == 0)
		return 0;
	nvm_pipe_copy(e, e->pos, buf, n, 0);
	e->pos += n;
	__atomic_store_n(&e->p->cons, e->pos, __ATOMIC_RELEASE);
	return n;
}

#endif /* NVM_PIPE_H */
