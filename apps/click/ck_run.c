/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_run.c — the router: instantiation from a ck_graph, push and pull calls,
 * the task scheduler, timers and driver stop counting (docs/click.md, "The
 * runtime"). Handlers are in ck_handlers.c, packets in ck_pkt.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ck_args.h"
#include "ck_router.h"

/*
 * Per-element cycle counts (meson option stage_cycles, like the core's and
 * netlib's stage counters): the TSC around each push, push_batch and action
 * call of the push path, minus the cycles of the elements that call made in
 * turn (r->cyc_nested), so each element is charged its own work only. A
 * batch through an action element is one timed call for all its packets.
 * Pull calls and tasks are not timed.
 */
#ifndef NETVM_STAGE_CYCLES
#define NETVM_STAGE_CYCLES 1
#endif
#if NETVM_STAGE_CYCLES && defined(__x86_64__)
#include <x86intrin.h>
#define CK_CYCLES 1
#define CK_CYC_NOW() __rdtsc()
#else
#define CK_CYCLES 0
#define CK_CYC_NOW() 0
#endif

struct cyc_span {
	uint64_t t0, outer;
};

static inline void
cyc_begin(struct ck_router *r, struct cyc_span *c)
{
	if (!CK_CYCLES)
		return;
	c->outer = r->cyc_nested;
	r->cyc_nested = 0;
	c->t0 = CK_CYC_NOW();
}

static inline void
cyc_end(struct ck_router *r, struct ck_element *e, const struct cyc_span *c, uint32_t npkts)
{
	uint64_t dt;

	if (!CK_CYCLES)
		return;
	dt = CK_CYC_NOW() - c->t0;
	e->cycles += dt - r->cyc_nested;
	e->cycle_pkts += npkts;
	r->cyc_nested = c->outer + dt;
}

/* Return whether per-element cycles are counted in this build. */
bool
ck_cycles_enabled(void)
{
	return CK_CYCLES;
}

/* Write a configuration error for @e. Returns -EINVAL. */
int
ck_error(const struct ck_element *e, const char *fmt, ...)
{
	FILE *f = ck_errf(e->r);
	va_list ap;

	fprintf(f, "%s: While configuring '%s :: %s': ", e->landmark, e->name, e->cls->name);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	return -EINVAL;
}

/* Write a configuration warning for @e (the configuration goes on). */
void
ck_warning(const struct ck_element *e, const char *fmt, ...)
{
	FILE *f = ck_errf(e->r);
	va_list ap;

	fprintf(f, "%s: While configuring '%s :: %s': warning: ", e->landmark, e->name,
		e->cls->name);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

/* Return the error stream. */
FILE *
ck_errf(const struct ck_router *r)
{
	return r->errf ? r->errf : stderr;
}

/* Return the stream Print and IPPrint write to. */
FILE *
ck_chatter(const struct ck_router *r)
{
	return r->chatter ? r->chatter : ck_errf(r);
}

/* Return the platform the router runs on. */
const struct ck_platform *
ck_router_platform(const struct ck_router *r)
{
	return r->plat;
}

/* Return the router clock in ns. On the simulated clock, as Click's, every
 * request of the time moves it on by 1 µs, so no two requests get the same
 * time (the clock is the router's own state, hence the pointer). */
uint64_t
ck_now(const struct ck_router *r)
{
	if (r->simtime) {
		uint64_t t = *r->simclock;

		*r->simclock = t + 1000;
		return t;
	}
	return r->plat->now(r->plat->ctx);
}

/* Stamp @p with the router clock; it cannot fail. */
void
ck_pkt_stamp(const struct ck_router *r, struct ck_pkt *p)
{
	uint64_t t = ck_now(r);

	p->a.ts_sec = (int64_t)(t / 1000000000u);
	p->a.ts_usec = (uint32_t)(t % 1000000000u / 1000u);
}

/* A source is done: count the stop, or tell the DriverManager. */
void
ck_please_stop(struct ck_router *r)
{
	if (r->driver && r->driver->cls->stop_event) {
		r->driver->cls->stop_event(r->driver);
		return;
	}
	if (--r->runcount <= 0)
		r->stopped = true;
}

/* Make @e the driver. Returns 0 or -EEXIST. */
int
ck_router_claim_driver(struct ck_element *e)
{
	if (e->r->driver && e->r->driver != e)
		return -EEXIST;
	e->r->driver = e;
	return 0;
}

/* End the run now. */
void
ck_router_stop(struct ck_router *r)
{
	r->stopped = true;
}

/* Whether the run has ended. */
bool
ck_router_stopped(const struct ck_router *r)
{
	return r->stopped;
}

/* ---- push and pull ---- */

/* Push @p into @d's input @port, through its simple action when it has one. */
static void
push_into(struct ck_element *d, unsigned int port, struct ck_pkt *p)
{
	struct ck_router *r = d->r;
	struct cyc_span c;

	while (!d->cls->push) {
		cyc_begin(r, &c);
		p = d->cls->action(d, p);
		cyc_end(r, d, &c, 1);
		if (!p)
			return;
		if (d->nout == 0 || !d->out[0].e) {
			ck_pkt_kill(d, p);
			return;
		}
		port = d->out[0].port;
		d = d->out[0].e;
	}
	cyc_begin(r, &c);
	d->cls->push(d, port, p);
	cyc_end(r, d, &c, 1);
}

/* Push @p out of @e's output @port; it cannot fail (unconnected: killed). */
void
ck_push_out(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	if (port >= e->nout || !e->out[port].e) {
		ck_pkt_kill(e, p);
		return;
	}
	push_into(e->out[port].e, e->out[port].port, p);
}

/* Push the batch @head out of @e's output @port; it cannot fail. */
void
ck_push_out_batch(struct ck_element *e, unsigned int port, struct ck_pkt *head)
{
	struct ck_element *d;
	unsigned int dport;
	struct cyc_span c;
	uint32_t n = 0;

	if (!head)
		return;
	if (port >= e->nout || !e->out[port].e) {
		while (head) {
			struct ck_pkt *n = head->next;

			ck_pkt_kill(e, head);
			head = n;
		}
		return;
	}
	d = e->out[port].e;
	dport = e->out[port].port;
	if (d->cls->push_batch) {
		if (CK_CYCLES)
			for (const struct ck_pkt *q = head; q; q = q->next)
				n++;
		cyc_begin(e->r, &c);
		d->cls->push_batch(d, dport, head);
		cyc_end(e->r, d, &c, n);
	} else if (!d->cls->push && d->cls->action) {
		struct ck_pkt *out = NULL, **tail = &out;

		cyc_begin(e->r, &c);
		while (head) {
			struct ck_pkt *nx = head->next, *q;

			head->next = NULL;
			q = d->cls->action(d, head);
			if (q) {
				q->next = NULL;
				*tail = q;
				tail = &q->next;
			}
			head = nx;
			n++;
		}
		cyc_end(e->r, d, &c, n);
		ck_push_out_batch(d, 0, out);
	} else {
		while (head) {
			struct ck_pkt *nx = head->next;

			head->next = NULL;
			cyc_begin(e->r, &c);
			d->cls->push(d, dport, head);
			cyc_end(e->r, d, &c, 1);
			head = nx;
		}
	}
}

/* The element (and its output, *@sport) that @e's pull input @port pulls
 * from, or NULL when it is not connected. */
static struct ck_element *
pull_peer(const struct ck_element *e, unsigned int port, unsigned int *sport)
{
	if (port >= e->nin || !e->in[port].e)
		return NULL;
	*sport = e->in[port].port;
	return e->in[port].e;
}

/* Pull from @e's input @port. Returns a packet or NULL. */
struct ck_pkt *
ck_pull_in(struct ck_element *e, unsigned int port)
{
	unsigned int sport;
	struct ck_element *s = pull_peer(e, port, &sport);

	if (!s)
		return NULL;
	if (s->cls->pull)
		return s->cls->pull(s, sport);
	if (s->cls->action) {
		struct ck_pkt *p = ck_pull_in(s, 0);

		return p ? s->cls->action(s, p) : NULL;
	}
	return NULL;
}

/* ---- tasks and timers ---- */

/* Stop running @e's task. */
void
ck_task_unschedule(struct ck_element *e)
{
	e->scheduled = false;
}

/* Run @e's task again. */
void
ck_task_reschedule(struct ck_element *e)
{
	if (e->task)
		e->scheduled = true;
}

/* The notifier upstream of @e's pull input @port, or NULL. */
struct ck_notifier *
ck_pull_notifier(struct ck_element *e, unsigned int port)
{
	unsigned int sport;
	struct ck_element *s = pull_peer(e, port, &sport);

	/* at most one hop per element: a pull path has no cycle, but be sure */
	for (uint32_t hops = 0; s && hops <= e->r->n; hops++) {
		if (s->cls->notifier)
			return s->cls->notifier(s, sport);
		if (s->cls->pull || !s->cls->action)
			return NULL;
		s = pull_peer(s, 0, &sport);
	}
	return NULL;
}

/* Add @e to @n's listeners. Returns 0 or -ENOSPC. */
int
ck_notifier_listen(struct ck_notifier *n, struct ck_element *e)
{
	if (n->nlisteners >= CK_NOTIFIER_LISTENERS)
		return -ENOSPC;
	n->listeners[n->nlisteners++] = e;
	return 0;
}

struct ck_notifier *
ck_pull_listen(struct ck_element *e, unsigned int port)
{
	struct ck_notifier *n = ck_pull_notifier(e, port);

	return n && ck_notifier_listen(n, e) == 0 ? n : NULL;
}

struct ck_notifier *
ck_push_listen(struct ck_element *e, unsigned int port)
{
	struct ck_element *d = port < e->nout ? e->out[port].e : NULL;
	unsigned int dport = port < e->nout ? e->out[port].port : 0;
	struct ck_notifier *n = NULL;

	for (uint32_t hops = 0; d && hops <= e->r->n; hops++) {
		if (d->cls->full_notifier) {
			n = d->cls->full_notifier(d, dport);
			break;
		}
		if (d->cls->push || !d->cls->action || d->nout == 0)
			break;
		dport = d->out[0].port;
		d = d->out[0].e;
	}
	return n && ck_notifier_listen(n, e) == 0 ? n : NULL;
}

/* Set @n; nonempty wakes its listeners. */
void
ck_notifier_set(struct ck_notifier *n, bool nonempty)
{
	if (nonempty && !n->nonempty)
		for (unsigned int i = 0; i < n->nlisteners; i++)
			ck_task_reschedule(n->listeners[i]);
	n->nonempty = nonempty;
}

/* Register timer @t of @e; it cannot fail. */
void
ck_timer_init(struct ck_element *e, struct ck_timer *t,
	      void (*fire)(struct ck_element *, struct ck_timer *))
{
	t->e = e;
	t->fire = fire;
	t->scheduled = false;
	t->next_all = e->r->timers;
	e->r->timers = t;
}

/* Schedule @t at @when_ns (router clock). */
void
ck_timer_schedule_at(struct ck_timer *t, uint64_t when_ns)
{
	t->expiry = when_ns;
	t->scheduled = true;
}

/* Schedule @t @delta_ns from now. */
void
ck_timer_schedule_after(struct ck_timer *t, uint64_t delta_ns)
{
	ck_timer_schedule_at(t, ck_now(t->e->r) + delta_ns);
}

/* Cancel @t. */
void
ck_timer_unschedule(struct ck_timer *t)
{
	t->scheduled = false;
}

static struct ck_timer *
first_timer(const struct ck_router *r)
{
	struct ck_timer *best = NULL;

	for (struct ck_timer *t = r->timers; t; t = t->next_all)
		if (t->scheduled && (!best || t->expiry < best->expiry))
			best = t;
	return best;
}

static bool
run_timers(struct ck_router *r)
{
	uint64_t now = ck_now(r);
	bool ran = false;

	/* Fire each expired timer once per round, earliest first. */
	for (unsigned int k = 0; k < 1024 && !r->stopped; k++) {
		struct ck_timer *t = first_timer(r);

		if (!t || t->expiry > now)
			break;
		t->scheduled = false;
		t->fire(t->e, t);
		ran = true;
	}
	return ran;
}

/* Run the scripts of the signals that came, every scheduled task once, then
 * the expired timers. Returns whether anything ran. */
bool
ck_router_run_once(struct ck_router *r)
{
	bool worked = false;

	if (ck_router_signals(r))
		worked = true;
	for (uint32_t i = 0; i < r->ntasks && !r->stopped; i++) {
		struct ck_element *e = r->tasks[i];

		if (!e->scheduled)
			continue;
		e->task_runs++;
		if (e->cls->run_task(e))
			worked = true;
	}
	if (!r->stopped && run_timers(r))
		worked = true;
	return worked;
}

/* Expiry of the earliest scheduled timer (ns, router clock), or UINT64_MAX. */
uint64_t
ck_router_next_timer(const struct ck_router *r)
{
	const struct ck_timer *t = first_timer(r);

	return t ? t->expiry : UINT64_MAX;
}

/* Run until stopped or idle (no timer, and no signal a script waits for).
 * Returns 0. */
int
ck_router_run(struct ck_router *r)
{
	while (!r->stopped) {
		struct ck_timer *t;
		bool sig;

		if (ck_router_run_once(r))
			continue;
		if (r->stopped)
			break;
		t = first_timer(r);
		sig = ck_router_signal_armed(r);
		if (!t && !sig) {
			r->stopped = true; /* nothing can happen any more */
			break;
		}
		if (!t) {
			ck_router_wait(r, UINT64_MAX); /* a signal's script will run */
		} else if (r->simtime) {
			if (t->expiry > *r->simclock)
				*r->simclock = t->expiry;
		} else {
			uint64_t now = ck_now(r);

			if (t->expiry > now && sig) {
				ck_router_wait(r, t->expiry - now);
			} else if (t->expiry > now) {
				uint64_t d = t->expiry - now;
				struct timespec ts = { (time_t)(d / 1000000000u),
						       (long)(d % 1000000000u) };

				nanosleep(&ts, NULL);
			}
		}
	}
	return 0;
}

/* Script output stream. */
FILE *
ck_output(const struct ck_router *r)
{
	return r->out ? r->out : stdout;
}

/* Send Script output to @f. */
void
ck_router_set_output(struct ck_router *r, FILE *f)
{
	r->out = f;
}

/* Use the simulated clock. */
void
ck_router_set_simtime(struct ck_router *r, bool on)
{
	r->simtime = on;
	r->simclock = &r->simnow;
	r->simnow = 1000000000ull * 1000000000ull;
}

/* Redirect Print/IPPrint output. */
void
ck_router_set_chatter(struct ck_router *r, FILE *f)
{
	r->chatter = f;
}

/* Bind @e as the reader of device port @port. Returns 0 or -EEXIST. */
int
ck_router_bind_rx(struct ck_router *r, unsigned int port, struct ck_element *e)
{
	if (port >= CK_MAX_PORTS)
		return -EINVAL;
	if (r->rx[port])
		return -EEXIST;
	r->rx[port] = e;
	return 0;
}

/* Push a received batch into the reader of @port. Returns how many were delivered. */
unsigned int
ck_router_input(struct ck_router *r, unsigned int port, struct ck_pkt *head)
{
	struct ck_element *e = port < CK_MAX_PORTS ? r->rx[port] : NULL;
	unsigned int n = 0;

	for (struct ck_pkt *p = head; p; p = p->next)
		n++;
	if (!e) {
		while (head) {
			struct ck_pkt *nx = head->next;

			r->unbound_drops++;
			r->plat->finish(r->plat->ctx, head, CK_ACT_DROP, 0);
			head = nx;
		}
		return 0;
	}
	/* the device element annotates and counts them, then pushes them on */
	if (e->cls->push_batch)
		e->cls->push_batch(e, 0, head);
	else
		ck_push_out_batch(e, 0, head);
	return n;
}

/* ---- AddressInfo names ---- */

/* Define an address name. Returns 0 or -ENOMEM. */
int
ck_addr_define(struct ck_router *r, const char *name, char kind, const uint8_t *val,
	       uint32_t mask)
{
	const bool host = kind == 'i' && mask == 0xffffffffu;
	int conflict = CK_ADDR_SAME;
	struct ck_addr *a, *same = NULL;
	uint32_t v4 = 0;

	if (kind == 'i')
		memcpy(&v4, val, 4);
	for (uint32_t i = 0; i < r->naddrs; i++) {
		uint32_t old;

		a = &r->addrs[i];
		if (a->kind != kind || strcmp(a->name, name) != 0)
			continue;
		if (kind == 'e') {
			same = a;
			conflict = memcmp(a->val, val, 6) != 0 ? CK_ADDR_ETHERS : conflict;
			continue;
		}
		memcpy(&old, a->val, 4);
		if ((a->mask == 0xffffffffu) == host)
			same = a;
		if (host && a->mask == 0xffffffffu && old != v4)
			conflict = CK_ADDR_IPS;
		else if (host && conflict == CK_ADDR_SAME && (v4 & a->mask) != (old & a->mask))
			conflict = CK_ADDR_IP_PREFIX; /* the address is outside the prefix */
		else if (!host && (v4 & mask) != (old & mask))
			conflict = CK_ADDR_IP_PREFIX;
		else if (!host && a->mask != 0xffffffffu && a->mask != mask &&
			 conflict == CK_ADDR_SAME)
			conflict = CK_ADDR_PREFIXES;
	}
	if (same) {
		memcpy(same->val, val, kind == 'e' ? 6 : 4);
		same->mask = mask;
		return conflict;
	}
	a = realloc(r->addrs, (r->naddrs + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	r->addrs = a;
	a = &r->addrs[r->naddrs];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	if (!a->name)
		return -ENOMEM;
	a->kind = kind;
	memcpy(a->val, val, kind == 'e' ? 6 : 4);
	a->mask = mask;
	r->naddrs++;
	return conflict;
}

/* Look up an address name. Returns 0 or -ENOENT. */
int
ck_addr_lookup(const struct ck_router *r, const char *name, char kind, uint8_t *val,
	       uint32_t *mask)
{
	const bool addr = kind == 'i';

	/* 'p': the name's prefix (an IPv4 entry not /32) when it has one */
	for (uint32_t i = 0; kind == 'p' && i < r->naddrs; i++) {
		const struct ck_addr *a = &r->addrs[i];

		if (a->kind == 'i' && a->mask != 0xffffffffu && strcmp(a->name, name) == 0) {
			memcpy(val, a->val, 4);
			*mask = a->mask;
			return 0;
		}
	}
	if (kind == 'p')
		kind = 'i';
	/* 'i': the name's address, as Click's: the one given, else a prefix's
	 * when it has host bits (1.2.3.4/20); a bare network (10.0.0.0/8) is
	 * no address */
	for (uint32_t i = 0; kind == 'i' && i < r->naddrs; i++) {
		const struct ck_addr *a = &r->addrs[i];

		if (a->kind == 'i' && a->mask == 0xffffffffu && strcmp(a->name, name) == 0) {
			memcpy(val, a->val, 4);
			*mask = a->mask;
			return 0;
		}
	}
	for (uint32_t i = 0; i < r->naddrs; i++) {
		const struct ck_addr *a = &r->addrs[i];
		uint32_t v;

		memcpy(&v, a->val, 4);
		if (a->kind == kind && strcmp(a->name, name) == 0 && (!addr || (v & ~a->mask) != 0)) {
			memcpy(val, a->val, kind == 'e' ? 6 : 4);
			*mask = a->mask;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- instantiation ---- */

/* Find an element by name. Returns it or NULL. */
struct ck_element *
ck_router_find(const struct ck_router *r, const char *name)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (strcmp(r->elems[i].name, name) == 0)
			return &r->elems[i];
	return NULL;
}

/* Return the number of elements. */
uint32_t
ck_router_nb_elements(const struct ck_router *r)
{
	return r->n;
}

/* Return element @i, or NULL. */
struct ck_element *
ck_router_element(const struct ck_router *r, uint32_t i)
{
	return i < r->n ? &r->elems[i] : NULL;
}

static int
build_elements(struct ck_router *r, const struct ck_graph *g)
{
	int rc = 0;

	for (uint32_t i = 0; i < g->nb_elems; i++) {
		const struct ck_elem *ge = &g->elems[i];
		struct ck_element *e = &r->elems[i];

		e->r = r;
		e->idx = i;
		e->name = ge->name;
		e->config = ge->config ? ge->config : "";
		e->landmark = ge->landmark ? ge->landmark : "config";
		e->nin = ge->nin;
		e->nout = ge->nout;
		e->in_kind = ge->in_kind;
		e->out_kind = ge->out_kind;
		e->cls = ck_element_class_find(ge->class_name);
		if (!e->cls) {
			fprintf(ck_errf(r), "%s: unknown element class '%s'\n", e->landmark,
				ge->class_name);
			rc = -ENOENT;
			continue;
		}
		e->out = calloc(e->nout + 1, sizeof(*e->out));
		e->in = calloc(e->nin + 1, sizeof(*e->in));
		e->priv = calloc(1, e->cls->priv_size ? e->cls->priv_size : 1);
		if (!e->out || !e->in || !e->priv)
			return -ENOMEM;
	}
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < g->nb_conns; i++) {
		const struct ck_conn *c = &g->conns[i];
		struct ck_element *f, *t;

		if (c->from >= r->n || c->to >= r->n)
			return -EINVAL;
		f = &r->elems[c->from];
		t = &r->elems[c->to];
		if (c->from_port >= f->nout || c->to_port >= t->nin)
			return -EINVAL;
		if (f->out_kind && f->out_kind[c->from_port] == CK_PUSH)
			f->out[c->from_port] = (struct ck_peer){ t, c->to_port };
		if (t->in_kind && t->in_kind[c->to_port] == CK_PULL)
			t->in[c->to_port] = (struct ck_peer){ f, c->from_port };
	}
	return 0;
}

/* Instantiate @g. Returns the router, or NULL after messages on @errf. */
struct ck_router *
ck_router_new(const struct ck_graph *g, const struct ck_platform *p, FILE *errf)
{
	struct ck_router *r = calloc(1, sizeof(*r));
	int rc = 0;

	if (!r)
		return NULL;
	r->plat = p;
	r->errf = errf;
	r->runcount = 1;
	r->config = g->text ? strdup(g->text) : NULL;
	r->requires = g->requires ? strdup(g->requires) : NULL;
	if (p->simtime)
		ck_router_set_simtime(r, true);
	r->n = g->nb_elems;
	r->elems = calloc(r->n + 1, sizeof(*r->elems));
	r->tasks = calloc(r->n + 1, sizeof(*r->tasks));
	if (!r->elems || !r->tasks) {
		free(r->elems);
		free(r->tasks);
		free(r);
		return NULL;
	}
	rc = build_elements(r, g);
	for (int phase = -1; phase <= 1 && rc == 0; phase++) {
		for (uint32_t i = 0; i < r->n; i++) {
			struct ck_element *e = &r->elems[i];

			if (e->cls->configure_phase != phase)
				continue;
			/* a class without configure takes no arguments, as
			 * Click's Element::configure ("too many arguments") */
			if (e->cls->configure ? e->cls->configure(e) < 0 :
			    ck_args_parse(e, NULL, 0) < 0)
				rc = -EINVAL;
		}
	}
	for (uint32_t i = 0; i < r->n && rc == 0; i++) {
		struct ck_element *e = &r->elems[i];

		if (e->cls->run_task) {
			e->task = true;
			e->scheduled = true;
			r->tasks[r->ntasks++] = e;
		}
	}
	for (uint32_t i = 0; i < r->n && rc == 0; i++) {
		struct ck_element *e = &r->elems[i];

		if (e->cls->initialize && e->cls->initialize(e) < 0)
			rc = -EINVAL;
	}
	if (rc < 0) {
		fprintf(ck_errf(r), "Router could not be initialized!\n");
		ck_router_free(r);
		return NULL;
	}
	r->initialized = true;
	return r;
}

/* Clean up and free @r; it cannot fail. */
void
ck_router_free(struct ck_router *r)
{
	if (!r)
		return;
	ck_router_signals_free(r);
	for (uint32_t i = 0; i < r->n; i++) {
		struct ck_element *e = &r->elems[i];

		if (e->cls && e->cls->cleanup && e->priv)
			e->cls->cleanup(e);
		free(e->out);
		free(e->in);
		free(e->priv);
	}
	for (uint32_t i = 0; i < r->naddrs; i++)
		free(r->addrs[i].name);
	free(r->addrs);
	free(r->elems);
	free(r->tasks);
	free(r->config);
	free(r->requires);
	free(r);
}
