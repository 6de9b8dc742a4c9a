/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netlib's side of the control channel (nl_ctl.c): what the core gets back
 * for what an NF's command hook returns and writes. The test plays the core
 * on a private region in ordinary memory: it writes a request into the
 * request pipe, runs netlib's main-thread round (nl_ctl_poll()) and reads the
 * answer from the answer pipe.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nl_priv.h"
#include "nvm_ctl.h"

#define PIPE (64u << 10)
#define SLOTS 64

struct ctl_env {
	struct nl_ctx ctx;
	struct nl_nf nf;
	uint8_t *priv;
	struct nvm_pipe_end req, ans; /* the core's ends */
	uint32_t seq;
};

static struct ctl_env *
env_new(int (*command)(struct nl_ctx *, void *, struct nl_cmd *))
{
	struct ctl_env *env = calloc(1, sizeof(*env));
	uint64_t ctl_off = 4096, stats_off = ctl_off + 2 * NVM_PIPE_BYTES(PIPE);
	size_t size = stats_off + sizeof(struct nvm_stats) + SLOTS * sizeof(struct nvm_stat);
	struct nvm_priv_hdr *h;

	assert_non_null(env);
	assert_int_equal(posix_memalign((void **)&env->priv, 64, size), 0);
	memset(env->priv, 0, size);
	h = (struct nvm_priv_hdr *)env->priv;
	h->ctl_size = PIPE;
	h->ctl_off = ctl_off;
	h->stats_off = stats_off;
	h->stats_slots = SLOTS;
	nvm_pipe_init((struct nvm_pipe *)(env->priv + ctl_off), PIPE);
	nvm_pipe_init((struct nvm_pipe *)(env->priv + ctl_off + NVM_PIPE_BYTES(PIPE)), PIPE);
	nvm_pipe_attach(&env->req, (struct nvm_pipe *)(env->priv + ctl_off), PIPE, 0);
	nvm_pipe_attach(&env->ans, (struct nvm_pipe *)(env->priv + ctl_off + NVM_PIPE_BYTES(PIPE)),
			PIPE, 0);
	env->nf = (struct nl_nf){ .name = "test", .command = command };
	env->ctx.nf = &env->nf;
	env->ctx.state = env;
	env->ctx.priv = env->priv;
	env->ctx.priv_hdr = *h;
	nl_ctl_init(&env->ctx);
	return env;
}

static void
env_free(struct ctl_env *env)
{
	nl_ctl_fini(&env->ctx);
	free(env->priv);
	free(env);
}

/* Send @text as a request; run netlib's rounds until its answer is whole.
 * Returns the answer (@m: status, text, len); nvm_ctl_recv_reset() it. */
static void
ask(struct ctl_env *env, const char *text, struct nvm_ctl_msg *m)
{
	struct nvm_ctl_msg out = { 0 };
	int r = 0, rounds = 0;

	memset(m, 0, sizeof(*m));
	nvm_ctl_send_start(&out, ++env->seq, 0, text, (uint32_t)strlen(text));
	while (r == 0) {
		assert_true(++rounds < 100000);
		if (out.active)
			assert_true(nvm_ctl_send(&env->req, &out) >= 0);
		nl_ctl_poll(&env->ctx, "test");
		r = nvm_ctl_recv(&env->ans, m);
		assert_true(r >= 0);
	}
	assert_int_equal(m->hdr.seq, env->seq);
}

static int
cmd_count(struct nl_ctx *ctx, void *state, struct nl_cmd *cmd)
{
	(void)ctx;
	(void)state;
	if (strcmp(cmd->argv[0], "count") == 0) {
		fprintf(cmd->out, "3 entries\n");
		return 3; /* a count, as netlib.h's convention has it */
	}
	if (strcmp(cmd->argv[0], "big") == 0) {
		size_t n = strtoul(cmd->argv[1], NULL, 10);

		for (size_t i = 0; i < n; i++)
			fputc('x', cmd->out);
		return cmd->argc > 2 ? -EINVAL : 0;
	}
	if (strcmp(cmd->argv[0], "fail") == 0) {
		fprintf(cmd->out, "no such table\n");
		return -ENOENT;
	}
	if (strcmp(cmd->argv[0], "intmin") == 0)
		return INT_MIN; /* no errno: a bug in the NF */
	return -ENOTSUP;
}

/*
 * A hook that returns a positive number (a count) answered that number as
 * the status, which the core refuses as no answer at all: the client got
 * -ETIMEDOUT after its whole time-out. It is a success, with its text.
 */
static void
test_positive_return(void **state)
{
	struct ctl_env *env = env_new(cmd_count);
	struct nvm_ctl_msg m;

	(void)state;
	ask(env, "count", &m);
	assert_int_equal(m.hdr.status, 0);
	assert_string_equal(m.text, "3 entries\n");
	nvm_ctl_recv_reset(&m);
	ask(env, "fail", &m);
	assert_int_equal(m.hdr.status, -ENOENT);
	assert_string_equal(m.text, "no such table\n");
	nvm_ctl_recv_reset(&m);
	ask(env, "other", &m);
	assert_int_equal(m.hdr.status, -ENOTSUP);
	nvm_ctl_recv_reset(&m);
	/* a negative number that is no errno (-INT_MIN is no int): -EIO, said */
	ask(env, "intmin", &m);
	assert_int_equal(m.hdr.status, -EIO);
	assert_string_equal(m.text, "test: the command hook returned -2147483648 for 'intmin', "
			    "not a negative errno\n");
	nvm_ctl_recv_reset(&m);
	assert_int_equal(env->ctx.ctl.commands, 4);
	assert_int_equal(env->ctx.ctl.failed, 3);
	env_free(env);
}

/*
 * An answer of 16 MiB is sent; a longer one cannot be: the command answers
 * -EMSGSIZE saying so (it answered nothing but the status), or its own
 * error with the same words.
 */
static void
test_answer_too_long(void **state)
{
	struct ctl_env *env = env_new(cmd_count);
	struct nvm_ctl_msg m;
	char want[128];

	(void)state;
	ask(env, "big 16777216", &m);
	assert_int_equal(m.hdr.status, 0);
	assert_int_equal(m.hdr.len, NVM_CTL_MAX_LEN);
	nvm_ctl_recv_reset(&m);
	snprintf(want, sizeof(want), "test: the answer (16777217 bytes) is longer than %u bytes\n",
		 NVM_CTL_MAX_LEN);
	ask(env, "big 16777217", &m);
	assert_int_equal(m.hdr.status, -EMSGSIZE);
	assert_string_equal(m.text, want);
	nvm_ctl_recv_reset(&m);
	ask(env, "big 16777217 fail", &m);
	assert_int_equal(m.hdr.status, -EINVAL);
	assert_string_equal(m.text, want);
	nvm_ctl_recv_reset(&m);
	env_free(env);
}

static int
reload_ok(struct nl_ctx *ctx, void *state)
{
	(void)ctx;
	(void)state;
	return 0;
}

/*
 * `reload` re-reads the NF's own files: with words after it (a file name,
 * as `netvmctl core reload FILE` takes) it did that and answered
 * "reloaded", the words unread. It is refused as park and resume are,
 * unless the NF's own hook takes the words.
 */
static void
test_reload_words(void **state)
{
	struct ctl_env *env = env_new(cmd_count);
	struct nvm_ctl_msg m;

	(void)state;
	env->nf.reload = reload_ok;
	ask(env, "reload new.rules", &m);
	assert_int_equal(m.hdr.status, -EINVAL);
	assert_string_equal(m.text, "test: 'reload' takes no words after it\n");
	nvm_ctl_recv_reset(&m);
	assert_int_equal(env->ctx.reloads, 0);
	ask(env, "reload", &m);
	assert_int_equal(m.hdr.status, 0);
	assert_string_equal(m.text, "reloaded\n");
	nvm_ctl_recv_reset(&m);
	assert_int_equal(env->ctx.reloads, 1);
	env->nf.reload = NULL;
	ask(env, "reload", &m);
	assert_int_equal(m.hdr.status, -ENOTSUP);
	nvm_ctl_recv_reset(&m);
	env_free(env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positive_return),
		cmocka_unit_test(test_answer_too_long),
		cmocka_unit_test(test_reload_words),
	};

	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
