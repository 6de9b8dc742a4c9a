/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_nf.c — netvm-click as an NF on netlib (docs/click.md, "The runtime").
 *
 * Each queue thread has its own router (made from the same graph on the
 * queue's first call, netlib's idle hook before any packet), so elements
 * never share state across threads. A burst is
 * delivered to the FromDevice/PollDevice of each packet's input port, then
 * the tasks run (ToDevice pulls its Queue) until nothing moves. Every input
 * packet gets exactly one action in actions[]: ToDevice(port) → OUT,
 * ToRole(r) → TO_ROLE, ToChain → NEXT, killed → DROP. A packet an element
 * still holds when the callback returns (in a Queue) is copied into a buffer
 * from nl_pkt_alloc() and its original dropped; packets made by elements
 * (clones, replies) come from nl_pkt_alloc() and leave with nl_pkt_emit().
 * Between packets, netlib's idle hook runs the due timers and the tasks
 * (sources, Unqueue, reap timers), so they need no traffic.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ck_cli.h"
#include "ck_rt.h"
#include "netlib.h"

#define NF_MAX_QUEUES 64
#define NF_NB_DESC 8192      /* ck_pkt descriptors per queue (held + in flight) */
#define NF_HEADROOM 64       /* data offset in fresh buffers */
#define NF_BURST 256
#define NF_HANDLERS_WAIT_MS 300 /* a queue thread's time to print its handlers */

struct nfq;

struct click_nf {
	struct ck_cli cli;
	struct ck_graph *g;
	struct nl_ctx *ctx;
	pthread_mutex_t lock;
	struct nfq *q[NF_MAX_QUEUES];
	unsigned int nq;
	bool broken;          /* a router could not be initialised (said once) */
	uint64_t no_router;
	unsigned int nstopped; /* queues whose router's run ended (atomic) */
};

struct nfq {
	struct click_nf *nf;
	struct nl_queue *q;
	struct ck_router *r;
	struct ck_platform plat;
	struct ck_pkt desc[NF_NB_DESC];
	struct ck_pkt *free[NF_NB_DESC];
	unsigned int nfree;
	struct ck_pkt *in[NF_BURST];   /* this burst's input packets, by slot */
	struct nl_pkt **pkts;
	uint8_t *actions;
	uint64_t spilled, spill_fail, emit_fail, desc_fail;
	uint64_t after_stop;  /* input packets dropped once the router's run ended */
	bool stopped;         /* its run ended: counted in nf->nstopped */
	/* The -h handlers while the queue runs: only this queue's thread touches
	 * its router, so the main thread (stats, the counters' publication) asks
	 * (h_asked), the thread prints them into h_mem at its next burst or
	 * idle round and says so (h_done = h_asked). */
	uint32_t h_asked, h_done; /* atomic */
	FILE *h_mem;
	char *h_text;
	size_t h_len;
};

static struct ck_pkt *
get_desc(struct nfq *x)
{
	if (x->nfree == 0) {
		x->desc_fail++;
		return NULL;
	}
	return x->free[--x->nfree];
}

static void
put_desc(struct nfq *x, struct ck_pkt *p)
{
	p->plat = NULL;
	x->free[x->nfree++] = p;
}

static struct ck_pkt *
nf_alloc(void *ctx, uint32_t len)
{
	struct nfq *x = ctx;
	struct nl_pkt *nl = nl_pkt_alloc(x->q);
	struct ck_pkt *p;

	if (!nl)
		return NULL;
	p = get_desc(x);
	if (!p || nl_pkt_room(nl) < NF_HEADROOM + len) {
		if (p)
			put_desc(x, p);
		nl_pkt_emit(x->q, nl, NL_DROP);
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->head = nl->data;
	p->end = nl->data + nl_pkt_room(nl);
	p->data = p->head + NF_HEADROOM;
	p->len = len;
	p->plat = nl;
	p->kind = CK_PK_ALLOC;
	return p;
}

static int
nl_action(struct nl_pkt *nl, enum ck_action a, unsigned int arg)
{
	switch (a) {
	case CK_ACT_OUT:
		return nl_out(nl, arg);
	case CK_ACT_TO_ROLE:
		return nl_to_role(nl, arg);
	case CK_ACT_NEXT:
		return NL_NEXT;
	default:
		return NL_DROP;
	}
}

static void
nf_finish(void *ctx, struct ck_pkt *p, enum ck_action a, unsigned int arg)
{
	struct nfq *x = ctx;
	struct nl_pkt *nl = p->plat;

	if (nl) {
		nl->data = p->data;
		nl->len = (uint16_t)p->len;
		if (p->kind == CK_PK_INPUT) {
			x->actions[p->slot] = (uint8_t)nl_action(nl, a, arg);
			x->in[p->slot] = NULL;
		} else {
			/* a full ring is waited on: a packet given up would hold
			 * one of the queue's 64 allocations for good */
			int rc = nl_pkt_emit_wait(x->q, nl, nl_action(nl, a, arg));

			if (rc < 0)
				x->emit_fail++;
			if (rc == -EINVAL) /* its data left the buffer: give it back */
				nl_pkt_emit_wait(x->q, nl, NL_DROP);
		}
	}
	put_desc(x, p);
}

static uint64_t
nf_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
nf_port(void *ctx, const char *name)
{
	struct nfq *x = ctx;

	return ck_cli_port(&x->nf->cli, name);
}

static uint8_t *
move_ptr(uint8_t *ptr, const uint8_t *from, uint8_t *to)
{
	return ptr ? to + (ptr - from) : NULL;
}

/* An input packet still held after the graph ran: copy it into a fresh buffer. */
static void
spill(struct nfq *x, struct ck_pkt *p)
{
	struct nl_pkt *old = p->plat, *nl = nl_pkt_alloc(x->q);
	uint32_t front = (uint32_t)(p->data - p->head);

	x->actions[p->slot] = NL_DROP;
	x->in[p->slot] = NULL;
	if (front > NF_HEADROOM)
		front = NF_HEADROOM;
	if (!nl || nl_pkt_room(nl) < NF_HEADROOM + p->len) {
		if (nl)
			nl_pkt_emit(x->q, nl, NL_DROP);
		x->spill_fail++;
		p->plat = NULL; /* dropped when it leaves the graph */
		p->kind = CK_PK_ALLOC;
		p->len = 0;
		return;
	}
	(void)old;
	memcpy(nl->data + NF_HEADROOM - front, p->data - front, p->len + front);
	p->a.mac = move_ptr(p->a.mac, p->data, nl->data + NF_HEADROOM);
	p->a.ip = move_ptr(p->a.ip, p->data, nl->data + NF_HEADROOM);
	p->head = nl->data;
	p->end = nl->data + nl_pkt_room(nl);
	p->data = nl->data + NF_HEADROOM;
	p->plat = nl;
	p->kind = CK_PK_ALLOC;
	x->spilled++;
}

static struct nfq *
queue_state(struct click_nf *nf, struct nl_queue *q)
{
	struct nfq *x = NULL;

	unsigned int nq = __atomic_load_n(&nf->nq, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < nq; i++)
		if (nf->q[i]->q == q)
			return nf->q[i];
	/* First call on this queue: build its router (once per thread). */
	pthread_mutex_lock(&nf->lock);
	if (nf->nq < NF_MAX_QUEUES && !nf->broken)
		x = calloc(1, sizeof(*x));
	if (x) {
		x->nf = nf;
		x->q = q;
		for (unsigned int i = 0; i < NF_NB_DESC; i++)
			x->free[x->nfree++] = &x->desc[NF_NB_DESC - 1 - i];
		x->plat = (struct ck_platform){ "netlib", x, nf_alloc, nf_finish, nf_port, nf_now, false };
		x->r = ck_router_new(nf->g, &x->plat, stderr);
		if (!x->r) {
			free(x);
			x = NULL;
			nf->broken = true;
		} else {
			nf->q[nf->nq] = x;
			__atomic_store_n(&nf->nq, nf->nq + 1, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&nf->lock);
	return x;
}

/* The main thread asked for the handlers: print them here, where the
 * router runs, into h_mem (kept open and rewound: nothing allocated once
 * it has grown), and say it is done. */
static void
answer_handlers(struct nfq *x)
{
	uint32_t asked = __atomic_load_n(&x->h_asked, __ATOMIC_ACQUIRE);

	if (asked == x->h_done)
		return;
	if (!x->h_mem)
		x->h_mem = open_memstream(&x->h_text, &x->h_len);
	if (x->h_mem) {
		rewind(x->h_mem);
		ck_cli_print_handlers(&x->nf->cli, x->r, x->h_mem, true);
		if (fflush(x->h_mem) != 0) {
			fclose(x->h_mem); /* out of memory: nothing this time */
			free(x->h_text);
			x->h_mem = NULL;
			x->h_text = NULL;
			x->h_len = 0;
		}
	}
	__atomic_store_n(&x->h_done, asked, __ATOMIC_RELEASE);
}

/*
 * The router of @x ended its run (`stop` from a Script or DriverManager,
 * the last source with STOP true): as Click's driver ends the process, the
 * NF stops once every queue's router has (nl_stop(): exit status 0, the -h
 * handlers printed). Its input meanwhile is dropped, counted after_stop.
 */
static void
check_stopped(struct nfq *x)
{
	struct click_nf *nf = x->nf;

	if (x->stopped || !ck_router_stopped(x->r))
		return;
	x->stopped = true;
	if (__atomic_add_fetch(&nf->nstopped, 1, __ATOMIC_ACQ_REL) == nl_nb_queues(nf->ctx)) {
		fprintf(stderr, "netvm-click: the router's run ended (stop): the NF stops\n");
		nl_stop(nf->ctx);
	}
}

static void
click_burst(struct nl_pkt **pkts, uint16_t n, uint8_t *actions, void *state)
{
	struct click_nf *nf = state;
	struct nfq *x = n ? queue_state(nf, pkts[0]->q) : NULL;
	uint16_t i = 0;

	if (!x) {
		for (i = 0; i < n; i++)
			actions[i] = NL_DROP;
		nf->no_router += n;
		return;
	}
	answer_handlers(x);
	if (x->stopped) {
		for (i = 0; i < n; i++)
			actions[i] = NL_DROP;
		x->after_stop += n;
		return;
	}
	x->pkts = pkts;
	x->actions = actions;
	for (i = NF_BURST; i < n; i++)
		actions[i] = NL_DROP; /* netlib's bursts are smaller; never taken */
	if (n > NF_BURST)
		n = NF_BURST;
	i = 0;
	while (i < n) {
		struct ck_pkt *head = NULL, **tail = &head;
		uint8_t port = pkts[i]->in_port;

		/* a run of packets from one port is one batch */
		for (; i < n && pkts[i]->in_port == port; i++) {
			struct nl_pkt *nl = pkts[i];
			struct ck_pkt *p = get_desc(x);

			actions[i] = NL_DROP;
			if (!p)
				continue;
			memset(p, 0, sizeof(*p));
			p->head = nl->data - nl->desc.data_off;
			p->data = nl->data;
			p->len = nl->len;
			p->end = nl->data + nl_pkt_room(nl);
			p->plat = nl;
			p->kind = CK_PK_INPUT;
			p->slot = i;
			p->in_port = port;
			x->in[i] = p;
			*tail = p;
			tail = &p->next;
		}
		ck_router_input(x->r, port, head);
	}
	for (int k = 0; k < 64 && ck_router_run_once(x->r); k++)
		;
	for (i = 0; i < n; i++)
		if (x->in[i])
			spill(x, x->in[i]);
	check_stopped(x);
}

/* netlib's idle hook: no packet waits; run due timers and the tasks once.
 * Returns 0 after work, else the microseconds to the next timer. */
static uint64_t
click_idle(struct nl_queue *q, void *state)
{
	struct nfq *x = queue_state(state, q);
	uint64_t next, now;

	if (!x)
		return NL_IDLE_NEVER;
	answer_handlers(x);
	if (ck_router_run_once(x->r))
		return 0;
	check_stopped(x);
	if (x->stopped)
		return NL_IDLE_NEVER;
	next = ck_router_next_timer(x->r);
	if (next == UINT64_MAX)
		return NL_IDLE_NEVER;
	now = ck_now(x->r);
	return next > now ? (next - now) / 1000 + 1 : 0;
}

static int
click_init(struct nl_ctx *ctx, int argc, char **argv, void **state)
{
	struct click_nf *nf = calloc(1, sizeof(*nf));

	if (!nf)
		return -ENOMEM;
	/* argv[0] is the NF's name, not a configuration file */
	if (ck_cli_parse(&nf->cli, argc - 1, argv + 1) < 0) {
		free(nf);
		return -EINVAL;
	}
	nf->ctx = ctx;
	pthread_mutex_init(&nf->lock, NULL);
	nf->g = ck_cli_graph(&nf->cli, stderr);
	if (!nf->g) {
		free(nf);
		return -EINVAL;
	}
	*state = nf;
	return 0;
}

/*
 * The queues' -h handlers, while they run: each thread is asked to print
 * its own router's (a router is never touched by two threads), and waited
 * for up to NF_HANDLERS_WAIT_MS.
 */
static void
ask_handlers(struct click_nf *nf, unsigned int nq)
{
	struct timespec ms = { 0, 1000000 };
	bool all;

	for (unsigned int i = 0; i < nq; i++)
		__atomic_add_fetch(&nf->q[i]->h_asked, 1, __ATOMIC_RELEASE);
	for (unsigned int t = 0; t < NF_HANDLERS_WAIT_MS; t++) {
		all = true;
		for (unsigned int i = 0; i < nq && all; i++)
			all = __atomic_load_n(&nf->q[i]->h_done, __ATOMIC_ACQUIRE) ==
				  __atomic_load_n(&nf->q[i]->h_asked, __ATOMIC_RELAXED);
		if (all)
			return;
		nanosleep(&ms, NULL);
	}
}

/* The counters of each queue and its -h handlers: while the queues run, as
 * their threads print them (handlers whose read changes the element left
 * out); at exit (NL_RUN_OVER) or parked, read here, every one. */
static void
click_stats(void *state, FILE *f)
{
	struct click_nf *nf = state;
	unsigned int nq = __atomic_load_n(&nf->nq, __ATOMIC_ACQUIRE);
	enum nl_run_state run = nl_run_state(nf->ctx);

	if (run == NL_RUN_LIVE && nf->cli.nb_handlers > 0)
		ask_handlers(nf, nq);
	for (unsigned int i = 0; i < nq; i++) {
		struct nfq *x = nf->q[i];

		fprintf(f, "click queue %u: spilled %llu spill_fail %llu emit_fail %llu desc_fail %llu "
			"after_stop %llu\n",
			i, (unsigned long long)x->spilled, (unsigned long long)x->spill_fail,
			(unsigned long long)x->emit_fail, (unsigned long long)x->desc_fail,
			(unsigned long long)x->after_stop);
		if (run != NL_RUN_LIVE)
			ck_cli_print_handlers(&nf->cli, x->r, f, run != NL_RUN_OVER);
		else if (__atomic_load_n(&x->h_done, __ATOMIC_ACQUIRE) != x->h_asked)
			fprintf(f, "click queue %u: handlers not read (its thread did not answer "
				"within %d ms)\n", i, NF_HANDLERS_WAIT_MS);
		else if (x->h_text)
			fwrite(x->h_text, 1, x->h_len, f);
	}
}

static void
click_fini(void *state)
{
	struct click_nf *nf = state;

	for (unsigned int i = 0; i < nf->nq; i++) {
		ck_router_free(nf->q[i]->r);
		if (nf->q[i]->h_mem)
			fclose(nf->q[i]->h_mem);
		free(nf->q[i]->h_text);
		free(nf->q[i]);
	}
	ck_graph_free(nf->g);
	free(nf);
}

static const struct nl_nf click_nf_def = {
	.name = "click",
	.usage = "  -f FILE | -e EXPR      the Click configuration\n"
		 "  NAME=VALUE             define a configuration parameter\n"
		 "  --port NAME=N          device NAME is core port N (numbers need no mapping)\n"
		 "  -h ELEMENT.HANDLER     print a read handler at exit\n"
		 "netvm-click --offline --help: running without the core engine\n",
	.init = click_init,
	.burst = click_burst,
	.idle = click_idle,
	.stats = click_stats,
	.fini = click_fini,
};

/* Run as an NF. Returns the process exit status. */
int
ck_nf_main(int argc, char **argv)
{
	return nl_main(argc, argv, &click_nf_def);
}
