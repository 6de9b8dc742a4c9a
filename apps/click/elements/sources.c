/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet sources (all: DATA, LIMIT (-1 = no limit), STOP, ACTIVE, LENGTH):
 *   InfiniteSource([DATA, LIMIT, BURST, ACTIVE], TIMESTAMP) — BURST packets per
 *     task run in push mode; in pull mode a packet per pull.
 *   RatedSource([DATA, RATE, LIMIT, ACTIVE], BANDWIDTH) — RATE packets per second
 *     (default 10), timer-driven; in pull mode a packet per pull when due.
 *   TimedSource([INTERVAL, DATA], LIMIT) — a packet every INTERVAL (0.5 s).
 * A push InfiniteSource sleeps while the Queue it feeds (through one-in
 * one-out elements) is full, as Click's does on its nonfull notifier.
 * When LIMIT packets have gone, STOP true stops the driver and END_CALL
 * HANDLER [VALUE] writes VALUE to the handler. The default DATA is Click's
 * 69-byte text; LENGTH (or DATASIZE, Click's older name, but for
 * TimedSource) cuts DATA or repeats it up to LENGTH bytes.
 * Handlers as Click's: count, reset, active, data, limit (all); burst and
 * length (InfiniteSource), rate and length (RatedSource); a write changes the
 * packets sent after it.
 */
#include <math.h>

#include "ck_elem.h"

/* Click's default packet data (InfiniteSource, RatedSource, TimedSource). */
static const char default_data[] =
	"Random bullshit in a packet, at least 64 bytes long. Well, now it is.";

struct source {
	struct ck_bytes data; /* DATA as given (the data handler) */
	struct ck_bytes pkt;  /* the packet sent: DATA cut or repeated to LENGTH */
	int64_t limit, burst, length; /* length -1: DATA's own */
	double rate, interval, bandwidth;
	bool stop, active, timestamp;
	uint64_t count;
	uint64_t start_ns, base_count; /* timing: packet N due at start + (N - base) periods */
	struct ck_timer timer;
	bool done;
	struct ck_notifier *nonfull; /* InfiniteSource: the Queue's it pushes into */
	struct ck_call end_call;     /* END_CALL HANDLER [VALUE] */
};

/* Builds the packet data from DATA and @length (-1: DATA as it is) as Click's
 * setup_packet: DATA cut, or repeated to fill @length (zeros if DATA is empty). */
static int
setup_packet(struct source *s, int64_t length)
{
	size_t n = length < 0 ? s->data.len : (size_t)length;
	char *d = calloc(1, n + 1);

	if (!d)
		return -ENOMEM;
	for (size_t at = 0; s->data.len && at < n; at += s->data.len)
		memcpy(d + at, s->data.p, s->data.len < n - at ? s->data.len : n - at);
	free(s->pkt.p);
	s->pkt.p = d;
	s->pkt.len = n;
	return 0;
}

static int
source_configure(struct ck_element *e)
{
	struct source *s = CK_PRIV(e, struct source);
	struct ck_bytes endcall = { 0 };
	int64_t headroom = 0; /* accepted, checked and ignored (Click's packet headroom) */
	bool have_len = false, have_dsz = false, have_bw = false;
	char kind = e->cls->name[0]; /* 'I', 'R', 'T' */
	struct ck_argdesc a[12];
	unsigned int n = 0;
	int rc;

	s->limit = -1;
	s->length = -1;
	s->burst = 1;
	s->rate = 10;
	s->interval = 0.5;
	s->active = true;
	s->timestamp = true;
	if (kind == 'T')
		a[n++] = (struct ck_argdesc){ "INTERVAL", CK_A_TIME, &s->interval, CK_POS, NULL };
	a[n++] = (struct ck_argdesc){ "DATA", CK_A_STRING, &s->data, CK_POS, NULL };
	if (kind == 'R')
		a[n++] = (struct ck_argdesc){ "RATE", CK_A_REAL, &s->rate, CK_POS, NULL };
	a[n++] = (struct ck_argdesc){ "LIMIT", CK_A_INT, &s->limit, kind == 'T' ? 0 : CK_POS, NULL };
	if (kind == 'I')
		a[n++] = (struct ck_argdesc){ "BURST", CK_A_INT, &s->burst, CK_POS, NULL };
	a[n++] = (struct ck_argdesc){ "ACTIVE", CK_A_BOOL, &s->active, kind == 'T' ? 0 : CK_POS, NULL };
	a[n++] = (struct ck_argdesc){ "STOP", CK_A_BOOL, &s->stop, 0, NULL };
	/* as Click's: TimedSource has no LENGTH and no END_CALL, only
	 * InfiniteSource a TIMESTAMP */
	if (kind != 'T') {
		a[n++] = (struct ck_argdesc){ "LENGTH", CK_A_INT, &s->length, 0, &have_len };
		/* Click's older name for LENGTH */
		a[n++] = (struct ck_argdesc){ "DATASIZE", CK_A_INT, &s->length, 0, &have_dsz };
		a[n++] = (struct ck_argdesc){ "END_CALL", CK_A_WORD, &endcall, 0, NULL };
	}
	if (kind == 'I')
		a[n++] = (struct ck_argdesc){ "TIMESTAMP", CK_A_BOOL, &s->timestamp, 0, NULL };
	a[n++] = (struct ck_argdesc){ "HEADROOM", CK_A_INT, &headroom, 0, NULL };
	if (kind == 'R')
		a[n++] = (struct ck_argdesc){ "BANDWIDTH", CK_A_BW, &s->bandwidth, 0, &have_bw };
	rc = ck_args_parse(e, a, n);
	if (rc == 0 && kind == 'I' && endcall.p && s->stop)
		rc = ck_error(e, "END_CALL and STOP are mutually exclusive"); /* as Click's */
	if (rc == 0 && endcall.p)
		rc = ck_call_parse(e, "END_CALL", endcall.p, &s->end_call);
	free(endcall.p);
	if (rc < 0)
		return rc;
	if (headroom < 0 || headroom > UINT32_MAX)
		return ck_error(e, "HEADROOM must be 0..4294967295");
	if (!s->data.p) {
		s->data.p = strdup(default_data);
		s->data.len = sizeof(default_data) - 1;
		if (!s->data.p)
			return ck_error(e, "out of memory");
	}
	have_len = have_len || have_dsz;
	if (have_len && (s->length < 0 || s->length > 65535))
		return ck_error(e, "LENGTH must be 0..65535");
	if (!have_len)
		s->length = -1;
	if (setup_packet(s, s->length) < 0)
		return ck_error(e, "out of memory");
	if (have_bw && s->pkt.len)
		s->rate = s->bandwidth / (double)s->pkt.len;
	if (s->burst < 1)
		return ck_error(e, "burst size must be >= 1");
	if ((kind == 'R' && !(s->rate > 0)) || (kind == 'T' && s->interval <= 0))
		return ck_error(e, "the rate must be positive");
	/* as the rate handler: at most 2^32 - 1 packets a second, and at least
	 * one every 2^32 - 1 seconds (the router clock's nanoseconds) */
	if (kind == 'R' && (s->rate > 4294967295.0 || 1.0 / s->rate > 4294967295.0))
		return ck_error(e, "the rate must be between 1/4294967295 and 4294967295 "
			       "packets a second");
	return 0;
}

static struct ck_pkt *
make(struct ck_element *e, struct source *s)
{
	struct ck_pkt *p = ck_pkt_new(e, (uint32_t)s->pkt.len);

	if (!p)
		return NULL;
	memcpy(p->data, s->pkt.p, s->pkt.len);
	if (s->timestamp)
		ck_pkt_stamp(e->r, p);
	s->count++;
	return p;
}

static bool
at_limit(struct ck_element *e, struct source *s)
{
	if (s->limit < 0 || s->count < (uint64_t)s->limit)
		return false;
	if (!s->done) {
		s->done = true;
		ck_task_unschedule(e);
		if (s->stop)
			ck_please_stop(e->r);
		ck_call_write(e, &s->end_call);
	}
	return true;
}

static void
source_timer(struct ck_element *e, struct ck_timer *t)
{
	struct source *s = CK_PRIV(e, struct source);
	struct ck_pkt *p;
	double period = e->cls->name[0] == 'R' ? 1.0 / s->rate : s->interval;

	if (!s->active || at_limit(e, s))
		return;
	p = make(e, s);
	if (p)
		ck_push_out(e, 0, p);
	if (!at_limit(e, s))
		ck_timer_schedule_at(t, s->start_ns +
					(uint64_t)((double)(s->count - s->base_count) * period * 1e9));
}

static int
source_initialize(struct ck_element *e)
{
	struct source *s = CK_PRIV(e, struct source);
	char kind = e->cls->name[0];

	if (ck_call_check(e, "END_CALL", &s->end_call) < 0)
		return -EINVAL;
	ck_timer_init(e, &s->timer, source_timer);
	s->start_ns = ck_now(e->r);
	if (kind == 'I' && e->out_kind[0] == CK_PUSH)
		s->nonfull = ck_push_listen(e, 0);
	if (kind != 'I' || e->out_kind[0] != CK_PUSH || !s->active)
		ck_task_unschedule(e);
	if (kind != 'I' && e->out_kind[0] == CK_PUSH && s->active) {
		if (kind == 'T')
			s->start_ns += (uint64_t)(s->interval * 1e9);
		ck_timer_schedule_at(&s->timer, s->start_ns);
	}
	if (s->limit == 0)
		at_limit(e, s);
	return 0;
}

static bool
infinite_run(struct ck_element *e)
{
	struct source *s = CK_PRIV(e, struct source);

	if (s->nonfull && !s->nonfull->nonempty) {
		/* the Queue downstream is full: sleep until it has room */
		ck_task_unschedule(e);
		return false;
	}
	for (int64_t i = 0; i < s->burst; i++) {
		struct ck_pkt *p;

		if (at_limit(e, s))
			return i > 0;
		p = make(e, s);
		if (p)
			ck_push_out(e, 0, p);
	}
	/* Like Click, the stop comes on the run after the last packet. */
	return true;
}

/* As Click's token bucket (a burst of 2 below 200 packets a second, else
 * rate / 100): a pull RatedSource saves up at most that many packets while
 * nothing pulls; the spacing moves on past the rest. */
static void
rated_cap_backlog(struct ck_element *e, struct source *s)
{
	uint64_t now = ck_now(e->r);
	double burst = s->rate < 200 ? 2 : floor(s->rate / 100);
	double due = now > s->start_ns ? floor((double)(now - s->start_ns) / 1e9 * s->rate) + 1 : 0;

	if (due - (double)(s->count - s->base_count) > burst) {
		s->base_count = s->count;
		s->start_ns = now - (uint64_t)((burst - 1) / s->rate * 1e9);
	}
}

static struct ck_pkt *
source_pull(struct ck_element *e, unsigned int port)
{
	struct source *s = CK_PRIV(e, struct source);

	(void)port;
	if (!s->active || at_limit(e, s))
		return NULL;
	if (e->cls->name[0] == 'R')
		rated_cap_backlog(e, s);
	if (e->cls->name[0] == 'R' &&
	    ck_now(e->r) < s->start_ns +
				   (uint64_t)((double)(s->count - s->base_count) / s->rate * 1e9))
		return NULL;
	return make(e, s);
}

static int
source_write_active(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct source *s = CK_PRIV(e, struct source);

	bool was = s->active;

	(void)h;
	if (ck_parse_bool(v, &s->active) < 0) {
		if (errf)
			fprintf(errf, "%s\n", e->cls->name[0] == 'I' ? "active parameter must be boolean" :
					      e->cls->name[0] == 'R' ? "syntax error" : "bad active");
		return -EINVAL;
	}
	if (s->active && !was && e->cls->name[0] != 'I') {
		/* as Click's (a token bucket of one, a timer due now): the rate
		 * counts from now on, no packets are made up for the pause */
		s->base_count = s->count;
		s->start_ns = ck_now(e->r);
	}
	if (s->active && !s->done && e->cls->name[0] == 'I' && e->out_kind[0] == CK_PUSH)
		ck_task_reschedule(e);
	/* as Click's, only a push source has a timer to start (a pull one is pulled) */
	if (s->active && !s->done && e->cls->name[0] != 'I' && e->out_kind[0] == CK_PUSH &&
	    !s->timer.scheduled)
		ck_timer_schedule_after(&s->timer, 0);
	return 0;
}

static int
source_read_active(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	(void)h;
	fprintf(f, "%s\n", CK_PRIV(e, struct source)->active ? "true" : "false");
	return 0;
}

static int
source_reset(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct source *s = CK_PRIV(e, struct source);

	(void)h, (void)v, (void)errf;
	s->count = 0;
	s->base_count = 0;
	s->done = false;
	s->start_ns = ck_now(e->r);
	if (e->cls->name[0] == 'I' && e->out_kind[0] == CK_PUSH && s->active)
		ck_task_reschedule(e);
	/* as Click's, a push RatedSource or TimedSource that stopped (at its
	 * LIMIT) starts again */
	if (e->cls->name[0] != 'I' && e->out_kind[0] == CK_PUSH && s->active &&
	    !s->timer.scheduled)
		ck_timer_schedule_after(&s->timer, 0);
	return 0;
}

enum { H_DATA, H_LIMIT, H_BURST, H_LENGTH, H_RATE };

static int
source_read_param(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct source *s = CK_PRIV(e, struct source);

	switch (h->arg) {
	case H_DATA:
		fwrite(s->data.p, 1, s->data.len, f);
		if (s->data.len && s->data.p[s->data.len - 1] != '\n')
			fputc('\n', f);
		break;
	case H_LIMIT:
		fprintf(f, "%lld\n", (long long)s->limit);
		break;
	case H_BURST:
		fprintf(f, "%lld\n", (long long)s->burst);
		break;
	case H_LENGTH:
		fprintf(f, "%lld\n", (long long)s->length);
		break;
	case H_RATE: /* the rate sent at: a fractional RATE (or BANDWIDTH) as it is */
		fprintf(f, "%.15g\n", s->rate);
		break;
	}
	return 0;
}

/* Click's words for a bad value written to handler @arg of class @kind. */
static const char *
param_error(char kind, intptr_t arg)
{
	if (kind != 'I')
		return "syntax error";
	return arg == H_LIMIT ? "limit parameter must be integer" :
	       arg == H_BURST ? "burstsize parameter must be integer >= 1" : "length must be integer";
}

static int
source_write_param(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	struct source *s = CK_PRIV(e, struct source);
	char kind = e->cls->name[0];
	int64_t n = 0;

	if (h->arg == H_DATA) {
		char *d = strdup(v);

		if (!d) {
			if (errf)
				fprintf(errf, "out of memory\n");
			return -ENOMEM;
		}
		free(s->data.p);
		s->data.p = d;
		s->data.len = strlen(d);
		/* as Click: RatedSource's new packet is DATA alone, whatever LENGTH */
		if (setup_packet(s, kind == 'R' ? -1 : s->length) < 0)
			return -ENOMEM;
	} else {
		if (ck_parse_int(v, &n) < 0 || (h->arg == H_BURST && n < 1) ||
		    (h->arg == H_RATE && (n < 1 || n > UINT32_MAX)) ||
		    (h->arg == H_LENGTH && n > 65535)) {
			if (errf)
				fprintf(errf, "%s\n", param_error(kind, h->arg));
			return -EINVAL;
		}
		if (h->arg == H_LIMIT) {
			s->limit = n < 0 ? -1 : n;
		} else if (h->arg == H_BURST) {
			s->burst = n;
		} else if (h->arg == H_LENGTH) {
			s->length = n < 0 ? -1 : n;
			if (setup_packet(s, s->length) < 0)
				return -ENOMEM;
		} else {
			/* the new rate counts from now on */
			s->rate = (double)n;
			s->base_count = s->count;
			s->start_ns = ck_now(e->r);
			if (s->timer.scheduled)
				ck_timer_schedule_at(&s->timer, s->start_ns + (uint64_t)(1e9 / s->rate));
		}
	}
	if (s->limit < 0 || s->count < (uint64_t)s->limit)
		s->done = false;
	/* as Click, InfiniteSource starts again when active and under its limit */
	if (kind == 'I' && e->out_kind[0] == CK_PUSH && s->active && !s->done)
		ck_task_reschedule(e);
	return 0;
}

static void
source_cleanup(struct ck_element *e)
{
	free(CK_PRIV(e, struct source)->data.p);
	free(CK_PRIV(e, struct source)->pkt.p);
	ck_call_free(&CK_PRIV(e, struct source)->end_call);
}

#define SOURCE_COMMON_HANDLERS                                                                   \
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct source, count), NULL },       \
	{ "active", CK_H_READ | CK_H_WRITE, source_read_active, source_write_active, 0, NULL },  \
	{ "reset", CK_H_WRITE, NULL, source_reset, 0, NULL },                                    \
	{ "data", CK_H_READ | CK_H_WRITE, source_read_param, source_write_param, H_DATA, NULL }, \
	{ "limit", CK_H_READ | CK_H_WRITE, source_read_param, source_write_param, H_LIMIT, NULL }

static const struct ck_handler infinite_handlers[] = {
	SOURCE_COMMON_HANDLERS,
	{ "burst", CK_H_READ | CK_H_WRITE, source_read_param, source_write_param, H_BURST, NULL },
	{ "burstsize", CK_H_READ | CK_H_WRITE, source_read_param, source_write_param, H_BURST,
	  NULL },
	{ "length", CK_H_READ | CK_H_WRITE, source_read_param, source_write_param, H_LENGTH, NULL },
	{ "datasize", CK_H_READ | CK_H_WRITE, source_read_param, source_write_param, H_LENGTH,
	  NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static const struct ck_handler rated_handlers[] = {
	SOURCE_COMMON_HANDLERS,
	{ "rate", CK_H_READ | CK_H_WRITE, source_read_param, source_write_param, H_RATE, NULL },
	{ "length", CK_H_READ | CK_H_WRITE, source_read_param, source_write_param, H_LENGTH, NULL },
	{ "datasize", CK_H_READ | CK_H_WRITE, source_read_param, source_write_param, H_LENGTH,
	  NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static const struct ck_handler timed_handlers[] = {
	SOURCE_COMMON_HANDLERS,
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_InfiniteSource = {
	.name = "InfiniteSource", .ports = "0/1", .processing = "a/a",
	.priv_size = sizeof(struct source), .configure = source_configure,
	.initialize = source_initialize, .run_task = infinite_run, .pull = source_pull,
	.handlers = infinite_handlers, .cleanup = source_cleanup,
};

const struct ck_element_class ck_class_RatedSource = {
	.name = "RatedSource", .ports = "0/1", .processing = "a/a",
	.priv_size = sizeof(struct source), .configure = source_configure,
	.initialize = source_initialize, .pull = source_pull,
	.handlers = rated_handlers, .cleanup = source_cleanup,
};

const struct ck_element_class ck_class_TimedSource = {
	.name = "TimedSource", .ports = "0/1", .processing = "h/h",
	.priv_size = sizeof(struct source), .configure = source_configure,
	.initialize = source_initialize,
	.handlers = timed_handlers, .cleanup = source_cleanup,
};
