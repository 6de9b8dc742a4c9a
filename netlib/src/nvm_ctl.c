/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvm_ctl.c — control channel messages over byte pipes (nvm_ctl.h), shared
 * by the core engine and netlib. The receiver grows its buffer as the text
 * arrives, so a peer that announces a long message without writing it costs
 * nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvm_ctl.h"

#define HDR ((uint32_t)sizeof(struct nvm_ctl_hdr))
#define FIRST_CAP 4096u

void
nvm_ctl_send_start(struct nvm_ctl_msg *m, uint32_t seq, int32_t status, const char *text,
		   uint32_t len)
{
	m->hdr = (struct nvm_ctl_hdr){ .magic = NVM_CTL_MAGIC, .seq = seq, .status = status,
				       .len = len };
	m->text = (char *)(uintptr_t)text;
	m->done = 0;
	m->active = 1;
}

int
nvm_ctl_send(struct nvm_pipe_end *e, struct nvm_ctl_msg *m)
{
	while (m->active) {
		const uint8_t *src;
		uint32_t left;
		int64_t n;

		if (m->done < HDR) {
			src = (const uint8_t *)&m->hdr + m->done;
			left = HDR - m->done;
		} else {
			src = (const uint8_t *)m->text + (m->done - HDR);
			left = m->hdr.len - (m->done - HDR);
		}
		if (left == 0) {
			m->active = 0;
			return 1;
		}
		n = nvm_pipe_write(e, src, left);
		if (n < 0)
			return -EPIPE;
		if (n == 0)
			return 0;
		m->done += (uint32_t)n;
	}
	return 1;
}

/* Make room for @need bytes of text and its NUL. */
static int
grow(struct nvm_ctl_msg *m, uint32_t need)
{
	uint32_t cap = m->cap ? m->cap : FIRST_CAP;
	char *t;

	if (need + 1 <= m->cap)
		return 0;
	while (cap < need + 1)
		cap = cap > (NVM_CTL_MAX_LEN + 1) / 2 ? NVM_CTL_MAX_LEN + 1 : 2 * cap;
	t = realloc(m->text, cap);
	if (t == NULL)
		return -ENOMEM;
	m->text = t;
	m->cap = cap;
	return 0;
}

int
nvm_ctl_recv(struct nvm_pipe_end *e, struct nvm_ctl_msg *m)
{
	for (;;) {
		int64_t n;

		if (m->done < HDR) {
			n = nvm_pipe_read(e, (uint8_t *)&m->hdr + m->done, HDR - m->done);
			if (n < 0)
				return -EPIPE;
			if (n == 0)
				return 0;
			m->done += (uint32_t)n;
			if (m->done < HDR)
				continue;
			if (m->hdr.magic != NVM_CTL_MAGIC || m->hdr.len > NVM_CTL_MAX_LEN)
				return -EPROTO;
		}
		if (m->done - HDR == m->hdr.len) {
			if (grow(m, m->hdr.len) < 0)
				return -ENOMEM;
			m->text[m->hdr.len] = '\0';
			return 1;
		}
		n = nvm_pipe_avail(e);
		if (n < 0)
			return -EPIPE;
		if (n == 0)
			return 0;
		if (n > m->hdr.len - (m->done - HDR))
			n = m->hdr.len - (m->done - HDR);
		if (grow(m, m->done - HDR + (uint32_t)n) < 0)
			return -ENOMEM;
		n = nvm_pipe_read(e, m->text + (m->done - HDR), (uint32_t)n);
		if (n < 0)
			return -EPIPE;
		m->done += (uint32_t)n;
	}
}

void
nvm_ctl_recv_reset(struct nvm_ctl_msg *m)
{
	free(m->text);
	*m = (struct nvm_ctl_msg){ 0 };
}
