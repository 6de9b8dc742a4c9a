/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_main(): the ceremony every NF shares — options, attach, one thread per
 * queue, signals, statistics, detach — so an NF is only its callback.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nl_priv.h"

#define NL_MAIN_POLL_MS 20 /* the main thread's round: signals, commands, the core */
#define NL_CTL_BUSY_MS 1   /* its round while a command or an answer is in transit */

static volatile sig_atomic_t nl_signalled;
static volatile sig_atomic_t nl_hangup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		nl_hangup = 1;
	else
		nl_signalled = 1;
}

/* Wait until every queue thread has begun a new round since the call, or
 * has left the NF's code for the round it is in (it waits for room on the
 * ring to the core, or sleeps: it holds nothing the NF read). */
int
nl_quiesce(struct nl_ctx *ctx)
{
	struct timespec ts = { 0, 200000 };
	uint64_t seen[NVM_MAX_QUEUES];
	unsigned int q;

	/* what the caller published is visible before the rounds we wait for */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!ctx->queues_up)
		return 0; /* parked: no queue thread holds anything */
	for (q = 0; q < ctx->nb_queues; q++)
		seen[q] = __atomic_load_n(&ctx->queues[q].seq, __ATOMIC_RELAXED);
	for (q = 0; q < ctx->nb_queues; q++)
		while (!ctx->stop && __atomic_load_n(&ctx->queues[q].seq, __ATOMIC_ACQUIRE) == seen[q] &&
		       !__atomic_load_n(&ctx->queues[q].outside, __ATOMIC_ACQUIRE))
			nanosleep(&ts, NULL);
	return 0;
}

/* SIGHUP or the `reload` command (@why): hand it to the NF's reload hook, or
 * say there is none; never stop. Returns 0 or a negative errno. */
int
nl_reload(struct nl_ctx *ctx, const char *why)
{
	int r;

	if (ctx->nf->reload == NULL) {
		ctx->reload_failed++;
		fprintf(stderr, "%s: %s: %s has no reload hook; running on unchanged\n",
			ctx->nf->name, why, ctx->nf->name);
		return -ENOTSUP;
	}
	r = ctx->nf->reload(ctx, ctx->state);
	if (r < 0) {
		ctx->reload_failed++;
		fprintf(stderr, "%s: %s: reload failed (%s); running on with what it had\n",
			ctx->nf->name, why, strerror(-r));
		return r;
	}
	ctx->reloads++;
	fprintf(stderr, "%s: %s: reloaded\n", ctx->nf->name, why);
	return 0;
}

/* Number of ports the core engine has. */
unsigned int
nl_nb_ports(const struct nl_ctx *ctx)
{
	return ctx->pool_hdr.nb_ports;
}

/* Copy port @port's MAC to @mac. Returns 0 or -EINVAL for no such port. */
int
nl_port_mac(const struct nl_ctx *ctx, unsigned int port, uint8_t mac[6])
{
	if (port >= ctx->pool_hdr.nb_ports)
		return -EINVAL;
	memcpy(mac, ctx->pool_hdr.ports[port].mac, 6);
	return 0;
}

/* Role this instance serves. */
unsigned int
nl_role(const struct nl_ctx *ctx)
{
	return ctx->priv_hdr.role;
}

/* Queue threads of this instance. */
unsigned int
nl_nb_queues(const struct nl_ctx *ctx)
{
	return ctx->nb_queues;
}

/* Whether the queue threads run, are paused or are gone (main thread). */
enum nl_run_state
nl_run_state(const struct nl_ctx *ctx)
{
	if (ctx->exiting)
		return NL_RUN_OVER;
	return ctx->queues_up ? NL_RUN_LIVE : NL_RUN_PAUSED;
}

/* End the run as SIGINT does (the main thread sees it within its round). */
void
nl_stop(struct nl_ctx *ctx)
{
	__atomic_store_n(&ctx->stop_asked, 1, __ATOMIC_RELEASE);
}

void
nl_stats_print(const struct nl_ctx *ctx, FILE *f)
{
	struct nl_queue_stats t = { 0 };
	unsigned int q;

	for (q = 0; q < ctx->nb_queues; q++) {
		const struct nl_queue_stats *s = &ctx->queues[q].st;

		t.rx += s->rx;
		t.tx += s->tx;
		t.bad_desc += s->bad_desc;
		t.bad_len += s->bad_len;
		t.alloc_ok += s->alloc_ok;
		t.alloc_fail += s->alloc_fail;
		t.sleeps += s->sleeps;
		t.cycles_app += s->cycles_app;
		t.cycles_io += s->cycles_io;
		t.wakeups += s->wakeups;
		t.missed_wakeups += s->missed_wakeups;
	}
	fprintf(f, "rx %llu\ntx %llu\nbad_desc %llu\nbad_len %llu\nalloc_ok %llu\nalloc_fail %llu\n",
		(unsigned long long)t.rx, (unsigned long long)t.tx,
		(unsigned long long)t.bad_desc, (unsigned long long)t.bad_len,
		(unsigned long long)t.alloc_ok, (unsigned long long)t.alloc_fail);
	fprintf(f, "sleeps %llu\nwakeups %llu\nmissed_wakeups %llu\n",
		(unsigned long long)t.sleeps, (unsigned long long)t.wakeups,
		(unsigned long long)t.missed_wakeups);
	fprintf(f, "reloads %llu\nreload_failed %llu\n", (unsigned long long)ctx->reloads,
		(unsigned long long)ctx->reload_failed);
	fprintf(f, "commands %llu\ncommand_failed %llu\n", (unsigned long long)ctx->ctl.commands,
		(unsigned long long)ctx->ctl.failed);
	/* TSC cycles per packet received, in hundredths, as the core counts. */
	fprintf(f, "cycles_app_x100 %llu\ncycles_io_x100 %llu\n",
		(unsigned long long)(t.rx ? t.cycles_app * 100 / t.rx : 0),
		(unsigned long long)(t.rx ? t.cycles_io * 100 / t.rx : 0));
	if (ctx->nf->stats != NULL)
		ctx->nf->stats(ctx->state, f);
	fflush(f);
}

static const struct nl_transport *
transport_find(const char *name)
{
	if (strcmp(name, nl_transport_host.name) == 0)
		return &nl_transport_host;
	if (strcmp(name, nl_transport_uio.name) == 0)
		return &nl_transport_uio;
	return NULL;
}

static int
start_queues(struct nl_ctx *ctx)
{
	sigset_t all, old;
	unsigned int q;
	int r = 0;

	/* Queue threads never take signals: the main thread does. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (q = 0; q < ctx->nb_queues; q++) {
		r = -pthread_create(&ctx->queues[q].thread, NULL, nl_queue_run, &ctx->queues[q]);
		if (r < 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		ctx->stop = 1;
		while (q-- > 0)
			pthread_join(ctx->queues[q].thread, NULL);
		return r;
	}
	ctx->queues_up = 1;
	return 0;
}

/* End the queue threads after their round (@park) or for good; wait for them. */
static void
join_queues(struct nl_ctx *ctx, bool park)
{
	unsigned int q;

	if (!ctx->queues_up)
		return;
	if (park)
		ctx->parking = 1;
	else
		ctx->stop = 1;
	for (q = 0; q < ctx->nb_queues; q++)
		pthread_join(ctx->queues[q].thread, NULL);
	ctx->parking = 0;
	ctx->queues_up = 0;
}

static void
set_nf_state(struct nl_ctx *ctx, enum nvm_nf_state st)
{
	__atomic_store_n(&((struct nvm_priv_hdr *)ctx->priv)->nf_state, st, __ATOMIC_RELEASE);
}

/*
 * `park` (docs/control.md): every queue thread ends the round it is in and
 * stops, so the NF holds no buffer outside its rings (what it forwarded is
 * on the tx ring, what it did not read is on the rx ring: the core takes
 * both back when the attachment goes); the private header says
 * NVM_NF_PARKED. The main thread goes on serving commands and watching the
 * header: `resume` starts the queues again on the same rings; a header that
 * no longer says PARKED is a new attachment under the same mapping (the VM
 * moved to another core: docs/qemu-patches.md) and nl_main() re-attaches.
 */
int
nl_park(struct nl_ctx *ctx, FILE *out)
{
	if (ctx->parked) {
		fprintf(out, "parked already\n");
		return -EALREADY;
	}
	join_queues(ctx, true);
	ctx->parked = 1;
	set_nf_state(ctx, NVM_NF_PARKED);
	fprintf(out, "parked: %u queue(s) stopped, every buffer on the rings\n", ctx->nb_queues);
	return 0;
}

/* `resume`: the queues of a parked NF run again on the same rings. */
int
nl_resume(struct nl_ctx *ctx, FILE *out)
{
	int r;

	if (!ctx->parked) {
		fprintf(out, "not parked\n");
		return -EINVAL;
	}
	r = start_queues(ctx);
	if (r < 0) {
		fprintf(out, "starting threads: %s; still parked\n", strerror(-r));
		return r;
	}
	ctx->parked = 0;
	set_nf_state(ctx, NVM_NF_RUNNING);
	fprintf(out, "running\n");
	return 0;
}

/*
 * A parked NF whose private region was replaced under its mapping (the
 * header no longer says NVM_NF_PARKED): check the new regions as at attach,
 * take the new rings, control pipes and counter table, keep the counters,
 * start the queues. The role and the number of queues must not change;
 * nl_main() then calls the NF's reload hook, if any.
 * Returns 0, or a negative errno with a message (the NF then exits).
 */
static int
reattach(struct nl_ctx *ctx, char *err, size_t errlen)
{
	uint16_t role = ctx->priv_hdr.role;
	unsigned int nb = ctx->nb_queues;
	uint64_t commands = ctx->ctl.commands, failed = ctx->ctl.failed;
	int r;

	r = nl_regions_check(ctx, err, errlen);
	if (r < 0)
		return r;
	if (ctx->priv_hdr.role != role || ctx->priv_hdr.nb_queues != nb) {
		snprintf(err, errlen, "the new private region serves role %u with %u queue(s), "
			 "this NF role %u with %u", ctx->priv_hdr.role, ctx->priv_hdr.nb_queues,
			 role, nb);
		return -EPROTO;
	}
	/* the same queues, set up again in place: counters and the NF's
	 * pointers to them kept (nothing to allocate) */
	if (nl_queues_setup(ctx) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ctx->nf_id = ctx->priv_hdr.nf_id;
	nl_ctl_fini(ctx);
	memset(&ctx->ctl, 0, sizeof(ctx->ctl));
	nl_ctl_init(ctx);
	ctx->ctl.commands = commands;
	ctx->ctl.failed = failed;
	r = start_queues(ctx);
	if (r < 0) {
		snprintf(err, errlen, "starting threads: %s", strerror(-r));
		return r;
	}
	ctx->parked = 0;
	set_nf_state(ctx, NVM_NF_RUNNING);
	return 0;
}

/* Whether the parked NF's header was replaced (see nl_park()). */
static bool
replaced(const struct nl_ctx *ctx)
{
	return ctx->parked &&
	       __atomic_load_n(&((const struct nvm_priv_hdr *)ctx->priv)->nf_state,
			       __ATOMIC_ACQUIRE) != NVM_NF_PARKED;
}

/* Seconds on the monotonic clock: --stats keeps its period when the
 * wall clock is set back or forth. */
static time_t
mono_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Run NF @nf with the process's arguments; returns the exit status. */
int
nl_main(int argc, char **argv, const struct nl_nf *nf)
{
	struct nl_ctx ctx = { .nf = nf, .sock = -1, .doorbell_fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	const char *prog = argv[0];
	char err[256] = "";
	time_t last = mono_secs();
	int r, status = 0;

	r = nl_args_parse(argc, argv, nf, &ctx.opts);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (nf->pkt == NULL && nf->burst == NULL) {
		fprintf(stderr, "%s: NF defines neither pkt nor burst\n", prog);
		return 2;
	}
	ctx.tp = transport_find(ctx.opts.transport);
	if (ctx.tp == NULL) {
		fprintf(stderr, "%s: unknown transport '%s' (known: host, uio)\n", prog,
			ctx.opts.transport);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = ctx.tp->attach(&ctx, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", prog, err[0] ? err : strerror(-r));
		ctx.tp->detach(&ctx);
		return 1;
	}
	if (nl_queues_setup(&ctx) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		ctx.tp->detach(&ctx);
		return 1;
	}
	if (nf->init != NULL) {
		r = nf->init(&ctx, ctx.opts.app_argc, ctx.opts.app_argv, &ctx.state);
		if (r < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, nf->name, strerror(-r));
			nl_usage(stderr, prog, nf);
			status = 2;
			goto out;
		}
	}
	r = start_queues(&ctx);
	if (r < 0) {
		fprintf(stderr, "%s: starting threads: %s\n", prog, strerror(-r));
		status = 1;
		goto out_fini;
	}
	nl_ctl_init(&ctx);
	set_nf_state(&ctx, NVM_NF_RUNNING);
	fprintf(stderr, "%s: attached as instance %u of role %u, %u queue(s)\n", prog,
		ctx.nf_id, ctx.priv_hdr.role, ctx.nb_queues);

	while (!nl_signalled && !__atomic_load_n(&ctx.stop_asked, __ATOMIC_ACQUIRE)) {
		if (nl_hangup) {
			nl_hangup = 0;
			nl_reload(&ctx, "SIGHUP");
		}
		if (replaced(&ctx)) {
			r = reattach(&ctx, err, sizeof(err));
			if (r < 0) {
				fprintf(stderr, "%s: re-attach: %s\n", prog, err);
				status = 1;
				break;
			}
			fprintf(stderr, "%s: re-attached as instance %u of role %u, %u queue(s)\n",
				prog, ctx.nf_id, ctx.priv_hdr.role, ctx.nb_queues);
			/* what the NF derived from the old core (its ports' MACs) anew */
			if (nf->reload != NULL)
				nl_reload(&ctx, "re-attach");
		}
		if (!replaced(&ctx))
			nl_ctl_poll(&ctx, prog);
		if (ctx.tp->core_gone(&ctx, nl_ctl_busy(&ctx) ? NL_CTL_BUSY_MS : NL_MAIN_POLL_MS)) {
			fprintf(stderr, "%s: the core engine closed the connection\n", prog);
			status = 1;
			break;
		}
		if (ctx.opts.stats_interval > 0 && mono_secs() - last >= ctx.opts.stats_interval) {
			last = mono_secs();
			nl_stats_print(&ctx, stdout);
		}
	}
	join_queues(&ctx, false);
	ctx.exiting = 1;
	set_nf_state(&ctx, NVM_NF_STOPPING);
	nl_stats_print(&ctx, stdout);
out_fini:
	if (nf->fini != NULL)
		nf->fini(ctx.state);
out:
	nl_ctl_fini(&ctx);
	ctx.tp->detach(&ctx);
	free(ctx.queues);
	return status;
}
