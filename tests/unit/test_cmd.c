/* SPDX-License-Identifier: BSD-3-Clause */
/* The core's side of an NF's control channel (core/cmd.c) against an NF
 * that lies: answers nobody waits for, written as fast as the core reads
 * them. The NF is played synchronously: every free() the core makes (one per
 * answer it skips) lets it refill its answer pipe once the core has read it
 * all, so the flood never ends while a round keeps reading. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"

#define STALE_SEQ 7777u /* no request of the core's has it */
#define REFILLS_MAX 16  /* refills the NF makes at most */

static struct core core;
static struct nvm_pipe *ans; /* the NF's answer pipe */
static int flooding;         /* the NF refills ans when it is empty */
static unsigned int refills;

void __real_free(void *p);
void __wrap_free(void *p);

/* free(), then the NF's turn: a full pipe again once the core read it all. */
void
__wrap_free(void *p)
{
	__real_free(p);
	if (flooding && refills < REFILLS_MAX &&
	    __atomic_load_n(&ans->cons, __ATOMIC_ACQUIRE) == ans->prod) {
		__atomic_store_n(&ans->prod, ans->prod + CORE_CTL_PIPE, __ATOMIC_RELEASE);
		refills++;
	}
}

/* The core's own commands are not under test. */
int
core_cmd_core(struct core *c, const char *text, size_t len, char **out, size_t *out_len)
{
	(void)c;
	(void)text;
	(void)len;
	*out = strdup("");
	*out_len = 0;
	return 0;
}

static void
test_stale_flood(void **state)
{
	uint64_t off = RTE_ALIGN_CEIL(sizeof(struct nvm_priv_hdr), NVM_CACHE_LINE);
	size_t size = off + core_cmd_bytes();
	struct nvm_ctl_hdr hdr = { .magic = NVM_CTL_MAGIC, .seq = STALE_SEQ, .len = 0 };
	char dir[] = "/tmp/test_cmd.XXXXXX", err[256];
	struct core_nf *nf = calloc(1, sizeof(*nf));
	unsigned int i, rounds;

	(void)state;
	assert_non_null(nf);
	assert_non_null(mkdtemp(dir));
	snprintf(core.cfg.socket_path, sizeof(core.cfg.socket_path), "%s/core.sock", dir);
	assert_int_equal(core_cmd_open(&core, err, sizeof(err)), 0);
	assert_int_equal(posix_memalign((void **)&nf->priv, NVM_CACHE_LINE, size), 0);
	memset(nf->priv, 0, size);
	nf->priv_size = size;
	core_cmd_nf_init(nf, off);
	core.nfs[0] = nf;

	/* a pipe full of 16-byte answers to no request, and a command under
	 * way (so the core reads the pipe) */
	ans = (struct nvm_pipe *)(nf->priv + off + NVM_PIPE_BYTES(CORE_CTL_PIPE));
	for (i = 0; i < CORE_CTL_PIPE / sizeof(hdr); i++)
		memcpy(ans->data + i * sizeof(hdr), &hdr, sizeof(hdr));
	ans->prod = CORE_CTL_PIPE;
	nf->cmd.seq = 1;
	nvm_ctl_send_start(&nf->cmd.out, nf->cmd.seq, 0, "x", 1);
	flooding = 1;

	/* one round reads part of the flood and returns: the control thread
	 * goes on with its other work */
	core_cmd_round(&core, 100);
	assert_int_equal(refills, 0);
	assert_true(core.cmd_st.stale > 0);
	assert_true(core.cmd_st.stale < CORE_CTL_PIPE / sizeof(hdr));
	assert_null(nf->cmd.broken);

	/* the NF stops: later rounds skip the rest, a part each */
	flooding = 0;
	for (rounds = 0; rounds < 1000 && ans->cons != ans->prod; rounds++) {
		nf->cmd.out.active = 1; /* keeps the core reading */
		nf->cmd.out.done = nf->cmd.out.hdr.len + sizeof(hdr);
		core_cmd_round(&core, 100);
	}
	assert_int_equal(ans->cons, ans->prod);
	assert_int_equal(core.cmd_st.stale, CORE_CTL_PIPE / sizeof(hdr));
	assert_true(rounds > 1);
	assert_null(nf->cmd.broken);

	core.nfs[0] = NULL;
	core_cmd_nf_gone(&core, nf);
	core_cmd_close(&core);
	free(nf->priv);
	free(nf);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
