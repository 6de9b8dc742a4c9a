/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_corecmd.h — a client of the core engine's command socket
 * (<core.socket>.ctl, docs/control.md): one request, one answer. netvmctl
 * and netvm-manager both use it.
 */
#ifndef NETVM_MGR_CORECMD_H
#define NETVM_MGR_CORECMD_H

#include <stddef.h>

#define MGR_CORE_SELF (-1) /* a command for the core itself ("core LEN") */

/*
 * Send @req (@len bytes) for NF instance @id, or for the core itself when
 * @id is MGR_CORE_SELF, to the command socket of the core whose attach
 * socket is @core_sock; an NF has @timeout_ms to answer. The answer's
 * status (0 or a negative errno) in *status, its text (malloc'd,
 * NUL-terminated) in *answer. Returns 0, or a negative errno with the
 * reason in @err (the core unreachable, no answer).
 */
int mgr_core_ask(const char *core_sock, int id, const char *req, size_t len,
		 unsigned int timeout_ms, int *status, char **answer, char *err, size_t errlen);

/*
 * Command @cmd (its first line, no line break) with @data (@dlen bytes,
 * may be 0) for NF instance @id, through mgr_core_ask(). Returns 0 with the
 * answer in *@answer when @answer is not NULL (malloc'd; the caller frees
 * it), or a negative errno with the reason in @err: the exchange failed,
 * or the NF refused (its status, and its answer quoted).
 */
int mgr_nf_ask(const char *core_sock, int id, const char *cmd, const char *data, size_t dlen,
	       unsigned int timeout_ms, char **answer, char *err, size_t errlen);

#endif /* NETVM_MGR_CORECMD_H */
