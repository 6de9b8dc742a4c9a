/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvm_ctl.h — messages of the control channel (docs/abi.md §6) over the
 * byte pipes of nvm_pipe.h: an nvm_ctl_hdr, then `len` bytes of text. Both
 * ends (the core engine and netlib) move them with these functions, a piece
 * at a time, never waiting: a pump call moves what the pipe lets it move and
 * says whether the message is complete.
 */
#ifndef NVM_CTL_H
#define NVM_CTL_H

#include <stdint.h>

#include "nvm_pipe.h"

/* A message being sent or received. */
struct nvm_ctl_msg {
	struct nvm_ctl_hdr hdr;
	char *text;     /* sending: the caller's; received: malloc'ed, NUL-terminated */
	uint32_t cap;   /* receiving: bytes allocated for text */
	uint32_t done;  /* bytes of header and text moved so far */
	int active;     /* sending: a message is under way; receiving: unused */
};

/* Start sending @len bytes of @text as message @seq with @status. @text must
 * stay valid until nvm_ctl_send() returns 1. */
void nvm_ctl_send_start(struct nvm_ctl_msg *m, uint32_t seq, int32_t status, const char *text,
			uint32_t len);

/* Move what fits of the message under way into @e. Returns 1 when all of it
 * is in the pipe (m->active is cleared), 0 when some is left for a later
 * call, -EPIPE if the pipe is broken (the reader's index is impossible). */
int nvm_ctl_send(struct nvm_pipe_end *e, struct nvm_ctl_msg *m);

/* Move what the pipe holds into @m. Returns 1 when a whole message is there
 * (m->hdr, m->text with m->hdr.len bytes and a NUL; take m->text and call
 * nvm_ctl_recv_reset()), 0 when it is not whole yet, -EPIPE if the pipe is
 * broken, -EPROTO if the writer broke the framing (bad magic, len over
 * NVM_CTL_MAX_LEN), -ENOMEM. After a negative return the stream is lost. */
int nvm_ctl_recv(struct nvm_pipe_end *e, struct nvm_ctl_msg *m);

/* Forget the message received (freeing its text unless taken: set
 * m->text = NULL to take it). */
void nvm_ctl_recv_reset(struct nvm_ctl_msg *m);

#endif /* NVM_CTL_H */
