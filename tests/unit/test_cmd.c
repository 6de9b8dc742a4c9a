/* SPDX-License-Identifier: BSD-3-Clause */
/* The core's side of an NF's control channel (core/cmd.c) against an NF
 * that lies: answers nobody waits for, written as fast as the core reads
 * them, short or long. The NF is played synchronously: every free() the core
 * makes (one per answer it skips) lets it refill its answer pipe once the
 * core has read it all, so the flood never ends while a round keeps reading. */
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

static struct core core;
static struct core_nf *nf;
static struct nvm_pipe *ans;  /* the NF's answer pipe */
static int flooding;          /* the NF refills ans when it is empty */
static unsigned int refills, refills_max;
static char dir[] = "/tmp/test_cmd.XXXXXX";

void __real_free(void *p);
void __wrap_free(void *p);

/* free(), then the NF's turn: a full pipe again once the core read it all. */
void
__wrap_free(void *p)
{
	__real_free(p);
	if (flooding && refills < refills_max &&
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

/* A command socket, an NF whose answer pipe is full of answers to no
 * request, each of @len bytes of text (16 + len divides the pipe's size),
 * refilled up to @max times, and a command under way (so the core reads the
 * pipe). */
static void
flood_start(uint32_t len, unsigned int max)
{
	uint64_t off = RTE_ALIGN_CEIL(sizeof(struct nvm_priv_hdr), NVM_CACHE_LINE);
	size_t size = off + core_cmd_bytes();
	struct nvm_ctl_hdr hdr = { .magic = NVM_CTL_MAGIC, .seq = STALE_SEQ, .len = len };
	char err[256];
	uint32_t i;

	memset(&core, 0, sizeof(core));
	strcpy(dir, "/tmp/test_cmd.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(core.cfg.socket_path, sizeof(core.cfg.socket_path), "%s/core.sock", dir);
	assert_int_equal(core_cmd_open(&core, err, sizeof(err)), 0);
	nf = calloc(1, sizeof(*nf));
	assert_non_null(nf);
	assert_int_equal(posix_memalign((void **)&nf->priv, NVM_CACHE_LINE, size), 0);
	memset(nf->priv, 0, size);
	nf->priv_size = size;
	core_cmd_nf_init(nf, off);
	core.nfs[0] = nf;
	ans = (struct nvm_pipe *)(nf->priv + off + NVM_PIPE_BYTES(CORE_CTL_PIPE));
	for (i = 0; i < CORE_CTL_PIPE; i += (uint32_t)sizeof(hdr) + len)
		memcpy(ans->data + i, &hdr, sizeof(hdr));
	ans->prod = CORE_CTL_PIPE;
	nf->cmd.seq = 1;
	nvm_ctl_send_start(&nf->cmd.out, nf->cmd.seq, 0, "x", 1);
	refills = 0;
	refills_max = max;
	flooding = 1;
}

/* The NF stops: later rounds skip the rest, a part each; then all goes. */
static void
flood_end(uint64_t answers)
{
	unsigned int rounds;

	flooding = 0;
	for (rounds = 0; rounds < 10000 && ans->cons != ans->prod; rounds++) {
		nf->cmd.out.active = 1; /* keeps the core reading */
		nf->cmd.out.done = nf->cmd.out.hdr.len + (uint32_t)sizeof(struct nvm_ctl_hdr);
		core_cmd_round(&core, 100);
	}
	assert_int_equal(ans->cons, ans->prod);
	assert_int_equal(core.cmd_st.stale, answers);
	assert_null(nf->cmd.broken);
	core.nfs[0] = NULL;
	core_cmd_nf_gone(&core, nf);
	core_cmd_close(&core);
	free(nf->priv);
	free(nf);
	rmdir(dir);
}

/* Answers of 16 bytes: one round reads part of a pipe and returns, the
 * control thread goes on with its other work. */
static void
test_stale_flood(void **state)
{
	const uint64_t per_pipe = CORE_CTL_PIPE / sizeof(struct nvm_ctl_hdr);

	(void)state;
	flood_start(0, 16);
	core_cmd_round(&core, 100);
	assert_int_equal(refills, 0);
	assert_true(core.cmd_st.stale > 0);
	assert_true(core.cmd_st.stale < per_pipe);
	assert_null(nf->cmd.broken);
	flood_end(per_pipe);
}

/* Answers a pipe long each: one round reads about a MiB of them. */
static void
test_stale_flood_long(void **state)
{
	(void)state;
	flood_start(CORE_CTL_PIPE - sizeof(struct nvm_ctl_hdr), 200);
	core_cmd_round(&core, 100);
	assert_true(core.cmd_st.stale > 0);
	assert_true(core.cmd_st.stale <= (1u << 20) / CORE_CTL_PIPE);
	assert_true(refills <= (1u << 20) / CORE_CTL_PIPE);
	flood_end(1 + refills);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale_flood),
		cmocka_unit_test(test_stale_flood_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
