/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NF's side of the control channel (docs/abi.md §6, docs/control.md):
 * commands from the core's request pipe, answers into the answer pipe, and
 * the counters published for the core's telemetry. All of it runs in the
 * main thread, between its waits (nl_main), so a command never runs beside
 * another or beside a reload; the queue threads go on meanwhile.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nl_priv.h"

#define CMD_MAX_WORDS 64
#define NL_ERRNO_MAX 4095 /* the largest errno a status may carry */
#define PUBLISH_MS 200 /* counters published at most this often */

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Take the NF's ends of the pipes and its counter table (regions checked by
 * nl_regions_check()). A restarted NF goes on from where the pipes stand. */
void
nl_ctl_init(struct nl_ctx *ctx)
{
	const struct nvm_priv_hdr *h = &ctx->priv_hdr;
	struct nl_ctl *cl = &ctx->ctl;
	struct nvm_pipe *req = (struct nvm_pipe *)(ctx->priv + h->ctl_off);
	struct nvm_pipe *ans = (struct nvm_pipe *)(ctx->priv + h->ctl_off +
						   NVM_PIPE_BYTES(h->ctl_size));

	nvm_pipe_attach(&cl->req, req, h->ctl_size, __atomic_load_n(&req->cons, __ATOMIC_ACQUIRE));
	nvm_pipe_attach(&cl->ans, ans, h->ctl_size, __atomic_load_n(&ans->prod, __ATOMIC_ACQUIRE));
	cl->stats = (struct nvm_stats *)(ctx->priv + h->stats_off);
	cl->slots = h->stats_slots;
	cl->ready = 1;
}

/* Split the first line of @text into words (in place); *rest: what follows. */
static int
split(char *text, char **argv, char **rest)
{
	char *nl = strchr(text, '\n'), *p = text;
	int argc = 0;

	*rest = nl != NULL ? nl + 1 : text + strlen(text);
	if (nl != NULL)
		*nl = '\0';
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			*p++ = '\0';
		if (*p == '\0')
			return argc;
		if (argc == CMD_MAX_WORDS)
			return -E2BIG;
		argv[argc++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
	}
}

static void
help(const struct nl_ctx *ctx, FILE *out)
{
	fprintf(out, "help      this list\n"
		     "stats     netlib's counters and the NF's, NAME VALUE per line\n"
		     "park      stop the queues, every buffer on the rings (before a move)\n"
		     "resume    run the parked queues again\n"
		     "reload    what SIGHUP does: %s\n",
		ctx->nf->reload != NULL ? "the NF re-reads its files" : "nothing (no reload hook)");
	if (ctx->nf->commands != NULL)
		fprintf(out, "%s%s", ctx->nf->commands,
			ctx->nf->commands[0] != '\0' &&
					ctx->nf->commands[strlen(ctx->nf->commands) - 1] != '\n' ?
				"\n" : "");
}

/* Whether @word is one of netlib's own commands (which take no words). */
static bool
is_own(const char *word)
{
	static const char *const own[] = { "help", "stats", "park", "resume", "reload" };
	unsigned int i;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(word, own[i]) == 0)
			return true;
	return false;
}

/* Whether the @len bytes of @data hold more than blanks. */
static bool
has_data(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' && data[i] != '\n')
			return true;
	return false;
}

/* Run the command @text (its first line the words, the rest its data).
 * Returns the status; the answer is in @out. */
static int
dispatch(struct nl_ctx *ctx, char *text, size_t len, FILE *out)
{
	char *argv[CMD_MAX_WORDS + 1], *rest;
	struct nl_cmd cmd = { .argv = argv, .out = out };
	int r;

	const char *eol = memchr(text, '\n', len);

	if (memchr(text, '\0', eol != NULL ? (size_t)(eol - text) : len) != NULL) {
		fprintf(out, "a NUL byte in the command line\n");
		return -EINVAL;
	}
	r = split(text, argv, &rest);
	if (r < 0) {
		fprintf(out, "more than %d words\n", CMD_MAX_WORDS);
		return r;
	}
	if (r == 0) {
		fprintf(out, "empty command; try 'help'\n");
		return -EINVAL;
	}
	argv[r] = NULL;
	cmd.argc = r;
	cmd.data = rest;
	cmd.len = len - (size_t)(rest - text);
	if (is_own(argv[0]) && r == 1 && has_data(cmd.data, cmd.len)) {
		/* netlib's own commands read no data: run, they would leave it
		 * unread (a reload reads the NF's own files, not the data) */
		fprintf(out, "%s: '%s' takes no data after its line\n", ctx->nf->name, argv[0]);
		return -EINVAL;
	}
	if (strcmp(argv[0], "help") == 0 && r == 1) {
		help(ctx, out);
		return 0;
	}
	if (strcmp(argv[0], "stats") == 0 && r == 1) {
		nl_stats_print(ctx, out);
		return 0;
	}
	if (strcmp(argv[0], "park") == 0 && r == 1)
		return nl_park(ctx, out);
	if (strcmp(argv[0], "resume") == 0 && r == 1)
		return nl_resume(ctx, out);
	if (strcmp(argv[0], "reload") == 0 && r == 1) {
		r = nl_reload(ctx, "control channel");
		fprintf(out, "%s\n", r == 0 ? "reloaded" : ctx->nf->reload == NULL ?
			"no reload hook: running on unchanged" : "reload failed: running on with "
			"what it had (the NF's log says why)");
		return r;
	}
	r = ctx->nf->command != NULL ? ctx->nf->command(ctx, ctx->state, &cmd) : -ENOTSUP;
	if (r > 0)
		r = 0; /* a count: a success (the channel's status is 0 or -errno) */
	if (r < -NL_ERRNO_MAX) {
		/* no errno: -r might not even be an int (INT_MIN) */
		fprintf(out, "%s: the command hook returned %d for '%s', not a negative errno\n",
			ctx->nf->name, r, argv[0]);
		r = -EIO;
	}
	if (r == -ENOTSUP && is_own(argv[0])) {
		/* netlib's own, given words it does not take (the NF's hook had
		 * them): a reload reads the NF's own files, never a file named */
		fprintf(out, "%s: '%s' takes no words after it\n", ctx->nf->name, argv[0]);
		return -EINVAL;
	}
	if (r == -ENOTSUP)
		fprintf(out, "%s: unknown command '%s'; try 'help'\n", ctx->nf->name, argv[0]);
	return r;
}

/* Serve request @m: run it, start sending its answer. */
static void
serve(struct nl_ctx *ctx, const char *prog, struct nvm_ctl_msg *m)
{
	struct nl_ctl *cl = &ctx->ctl;
	char *answer = NULL, first[81];
	size_t alen = 0;
	FILE *out = open_memstream(&answer, &alen);
	int status;

	snprintf(first, sizeof(first), "%.*s", (int)strcspn(m->text, "\n"), m->text);
	if (out == NULL) {
		status = -ENOMEM;
	} else {
		status = dispatch(ctx, m->text, m->hdr.len, out);
		fclose(out);
	}
	if (alen > NVM_CTL_MAX_LEN || answer == NULL) {
		size_t over = answer != NULL ? alen : 0;

		free(answer);
		answer = NULL;
		alen = 0;
		if (status == 0)
			status = out == NULL ? -ENOMEM : -EMSGSIZE;
		/* say why the answer is missing: the status alone does not */
		if (over > 0 && (out = open_memstream(&answer, &alen)) != NULL) {
			fprintf(out, "%s: the answer (%zu bytes) is longer than %u bytes\n",
				ctx->nf->name, over, NVM_CTL_MAX_LEN);
			fclose(out);
		}
	}
	cl->commands++;
	if (status < 0)
		cl->failed++;
	fprintf(stderr, "%s: command '%s': %s\n", prog, first,
		status == 0 ? "done" : strerror(-status));
	cl->answer = answer;
	nvm_ctl_send_start(&cl->out, m->hdr.seq, status, answer != NULL ? answer : "",
			   (uint32_t)alen);
}

/* Publish netlib's counters and the NF's (what `stats` prints) in the
 * table the core's telemetry reads. The text goes to one memory stream kept
 * open and rewound: once its buffer has grown, a publication allocates
 * nothing (an NF's heap stays flat however long it runs). */
static void
publish(struct nl_ctx *ctx)
{
	struct nl_ctl *cl = &ctx->ctl;
	char *line, *save = NULL;
	uint32_t n = 0, seq;

	if (cl->pub == NULL && (cl->pub = open_memstream(&cl->pub_text, &cl->pub_len)) == NULL)
		return;
	rewind(cl->pub);
	nl_stats_print(ctx, cl->pub);
	/* the flush ends the text with a NUL at pub_len */
	if (fflush(cl->pub) != 0 || ferror(cl->pub) || cl->pub_text == NULL) {
		fclose(cl->pub); /* out of memory: start afresh next time */
		free(cl->pub_text);
		cl->pub = NULL;
		cl->pub_text = NULL;
		return;
	}
	seq = __atomic_load_n(&cl->stats->seq, __ATOMIC_RELAXED) | 1;
	__atomic_store_n(&cl->stats->seq, seq, __ATOMIC_RELAXED); /* odd: being written */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (line = strtok_r(cl->pub_text, "\n", &save); line != NULL && n < cl->slots;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[NVM_STAT_NAME];
		unsigned long long v;
		int used = 0;

		if (sscanf(line, "%23s %llu%n", name, &v, &used) != 2 || line[used] != '\0')
			continue;
		memset(cl->stats->slots[n].name, 0, NVM_STAT_NAME);
		memcpy(cl->stats->slots[n].name, name, strlen(name));
		cl->stats->slots[n].value = v;
		n++;
	}
	cl->stats->count = n;
	__atomic_store_n(&cl->stats->seq, seq + 1, __ATOMIC_RELEASE);
}

/* One main-thread round: move the answer under way, serve a whole request,
 * publish the counters when due. */
void
nl_ctl_poll(struct nl_ctx *ctx, const char *prog)
{
	struct nl_ctl *cl = &ctx->ctl;
	uint64_t now = mono_ms();
	int r;

	if (cl->stats == NULL)
		return; /* before nl_ctl_init() */
	if (now - cl->published_ms >= PUBLISH_MS) {
		publish(ctx); /* also after the pipes broke: the table is apart */
		cl->published_ms = now;
	}
	if (!cl->ready)
		return;
	while (!cl->broken) {
		if (cl->out.active) {
			r = nvm_ctl_send(&cl->ans, &cl->out);
			if (r == 0)
				return; /* the core reads it; more next round */
			free(cl->answer);
			cl->answer = NULL;
			if (r < 0) {
				cl->broken = 1;
				break;
			}
		}
		r = nvm_ctl_recv(&cl->req, &cl->in);
		if (r == 0)
			return;
		if (r < 0) {
			cl->broken = 1;
			break;
		}
		serve(ctx, prog, &cl->in);
		nvm_ctl_recv_reset(&cl->in);
	}
	fprintf(stderr, "%s: control channel closed: the core's pipe broke its framing; "
		"commands go unanswered from now on\n", prog);
	cl->ready = 0;
}

/* Whether a request is arriving or an answer leaving: the main thread then
 * polls every NL_CTL_BUSY_MS, so a file of megabytes crosses the 64 KiB
 * pipes in tens of rounds of the core, not of 20 ms main-thread rounds. */
int
nl_ctl_busy(const struct nl_ctx *ctx)
{
	const struct nl_ctl *cl = &ctx->ctl;

	return cl->ready && !cl->broken && (cl->in.done > 0 || cl->out.active);
}

/* Free what the channel holds (at exit). */
void
nl_ctl_fini(struct nl_ctx *ctx)
{
	struct nl_ctl *cl = &ctx->ctl;

	free(cl->answer);
	cl->answer = NULL;
	nvm_ctl_recv_reset(&cl->in);
	if (cl->pub != NULL)
		fclose(cl->pub);
	free(cl->pub_text);
	cl->pub = NULL;
	cl->pub_text = NULL;
}
