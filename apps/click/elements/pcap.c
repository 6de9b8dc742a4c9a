/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FromDump(FILENAME, STOP, FORCE_IP, ACTIVE, ...) — reads a pcap file (either
 * byte order, micro- or nanosecond timestamps, or Kuznetzov's modified pcap
 * with its longer record headers; link types Ethernet (1) and
 * raw IPv4 (12, 101, 228)): one packet per task run or pull, with the
 * timestamp, MAC and IP header annotations (IPv4 only) and the cut-off length
 * as extra length. A record over 65535 bytes or cut short ends the file, said
 * on the chatter stream. FORCE_IP: non-IPv4 packets go to output 1 or are dropped.
 * At the end STOP true stops the driver, or END_CALL HANDLER [VALUE] writes
 * the handler. SAMPLE P: each record is emitted with probability P (in
 * 28-bit fixed point, as Click's; the others are skipped unread and not
 * counted). START (absolute) or START_AFTER (after the first record's time):
 * earlier records skipped; END, END_AFTER or INTERVAL (after the start):
 * the first record at or after it ends the file. TIMING (also the second
 * positional): the first packet at once, each later one when as much time
 * has passed as between their timestamps. MMAP is ignored. Handlers count,
 * active (rw), stop (w), encap, filename, filesize, filepos, sampling_prob.
 * ToDump(FILENAME, SNAPLEN, ENCAP, EXTRA_LENGTH, NANO, UNBUFFERED,
 * USE_ENCAP_FROM) — writes a pcap file (host byte order; micro- or, with
 * NANO, nanosecond timestamps; SNAPLEN 0: no limit; a packet without a
 * timestamp gets the router's time; UNBUFFERED: each write goes to the file
 * at once; USE_ENCAP_FROM: the link type the named elements' encap handlers
 * agree on); with output 0 connected packets go on. A failed write is said
 * on the chatter stream and ends the writing, as Click's. Handlers
 * filename, count, reset_counts.
 */
#include <inttypes.h>
#include <sys/stat.h>

#include "ck_elem.h"

struct pcap {
	struct ck_bytes file, encap;
	struct ck_bytes use_from; /* ToDump's USE_ENCAP_FROM: element names */
	struct ck_call end_call; /* FromDump's END_CALL HANDLER [VALUE] */
	bool stop, force_ip, active, extra, swap, nano, done, unbuf;
	int64_t snaplen;
	uint32_t linktype;
	uint32_t hdr_extra; /* bytes after each record header (modified pcap: 8) */
	uint32_t sample;    /* FromDump's SAMPLE, × 2^SAMPLE_SHIFT */
	/* FromDump's time window (ns, the records' clock), set at the first
	 * record from START/START_AFTER and END/END_AFTER/INTERVAL (s; < 0: not
	 * given) */
	double start, start_after, end, end_after, interval;
	bool window_set, skip_early;
	uint64_t first_ns, last_ns;
	/* TIMING: the packet read but not yet due, the record clock's offset
	 * from the router's, and the timer that wakes the task when it is due */
	bool timing, timing_set, pending_ip;
	struct ck_pkt *pending;
	int64_t clock_off;
	struct ck_timer due;
	FILE *f;
	uint64_t count;
};

#define SAMPLE_SHIFT 28 /* Click's fixed point for SAMPLE */
#define SAMPLE_ONE (1u << SAMPLE_SHIFT)

static uint32_t
rd32(const uint8_t *b, bool swap)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* TIMING: the next packet is due (timing_due()): a push FromDump's task
 * runs again. */
static void
timing_fire(struct ck_element *e, struct ck_timer *t)
{
	(void)t;
	if (CK_PRIV(e, struct pcap)->active && e->out_kind[0] == CK_PUSH)
		ck_task_reschedule(e);
}

static int
fromdump_configure(struct ck_element *e)
{
	struct pcap *x = CK_PRIV(e, struct pcap);
	struct ck_bytes mmap = { 0 }, endcall = { 0 };
	double sample = 1;
	const struct ck_argdesc a[] = {
		{ "FILENAME", CK_A_STRING, &x->file, CK_POS | CK_MAND, NULL },
		{ "TIMING", CK_A_BOOL, &x->timing, CK_POS, NULL },
		{ "STOP", CK_A_BOOL, &x->stop, 0, NULL },
		{ "FORCE_IP", CK_A_BOOL, &x->force_ip, 0, NULL },
		{ "ACTIVE", CK_A_BOOL, &x->active, 0, NULL },
		{ "END_CALL", CK_A_WORD, &endcall, 0, NULL },
		{ "START", CK_A_TIME, &x->start, 0, NULL },
		{ "START_AFTER", CK_A_TIME, &x->start_after, 0, NULL },
		{ "END", CK_A_TIME, &x->end, 0, NULL },
		{ "END_AFTER", CK_A_TIME, &x->end_after, 0, NULL },
		{ "INTERVAL", CK_A_TIME, &x->interval, 0, NULL },
		{ "SAMPLE", CK_A_REAL, &sample, 0, NULL },
		{ "MMAP", CK_A_WORD, &mmap, 0, NULL },
	};
	int rc;

	x->active = true;
	x->start = x->start_after = x->end = x->end_after = x->interval = -1;
	rc = ck_args_parse(e, a, 13);
	free(mmap.p);
	if (rc == 0 && x->start >= 0 && x->start_after >= 0)
		rc = ck_error(e, "'START' and 'START_AFTER' are mutually exclusive");
	else if (rc == 0 && (x->end >= 0) + (x->end_after >= 0) + (x->interval >= 0) > 1)
		rc = ck_error(e, "'END', 'END_AFTER', and 'INTERVAL' are mutually exclusive");
	if (rc == 0 && !(sample >= 0)) {
		rc = ck_error(e, "SAMPLE: expected a probability between 0 and 1");
	} else if (rc == 0 && sample > 1) {
		ck_warning(e, "SAMPLE probability reduced to 1");
		x->sample = SAMPLE_ONE;
	} else if (rc == 0) {
		x->sample = (uint32_t)(sample * SAMPLE_ONE + 0.5);
		if (x->sample == 0)
			ck_warning(e, "SAMPLE probability is 0; emitting no packets");
	}
	if (rc == 0 && endcall.p && x->stop)
		rc = ck_error(e, "END_CALL and STOP are mutually exclusive");
	else if (rc == 0 && endcall.p)
		rc = ck_call_parse(e, "END_CALL", endcall.p, &x->end_call);
	free(endcall.p);
	return rc;
}

static int
fromdump_initialize(struct ck_element *e)
{
	struct pcap *x = CK_PRIV(e, struct pcap);
	uint8_t h[24];
	uint32_t magic;

	if (ck_call_check(e, "END_CALL", &x->end_call) < 0)
		return -EINVAL;
	if (x->timing)
		ck_timer_init(e, &x->due, timing_fire);
	x->f = strcmp(x->file.p, "-") == 0 ? stdin : fopen(x->file.p, "rb");
	if (!x->f)
		return ck_error(e, "%s: %s", x->file.p, strerror(errno));
	if (fread(h, 1, 24, x->f) != 24)
		return ck_error(e, "%s: not a pcap file (too short)", x->file.p);
	memcpy(&magic, h, 4);
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du || magic == 0xa1b2cd34u) {
		x->swap = false;
	} else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u || magic == 0x34cdb2a1u) {
		x->swap = true;
		magic = __builtin_bswap32(magic);
	} else {
		return ck_error(e, "%s: not a pcap file (bad magic)", x->file.p);
	}
	x->nano = magic == 0xa1b23c4du;
	/* Kuznetzov's modified pcap: interface index, protocol, packet type and
	 * padding after each record header, skipped as Click's */
	x->hdr_extra = magic == 0xa1b2cd34u ? 8 : 0;
	x->linktype = rd32(h + 20, x->swap);
	if (x->linktype != 1 && x->linktype != 12 && x->linktype != 101 && x->linktype != 228)
		return ck_error(e, "%s: link type %u is not supported", x->file.p, x->linktype);
	if (e->out_kind[0] != CK_PUSH || !x->active)
		ck_task_unschedule(e);
	return 0;
}

/* Skip @n bytes of the file (a pipe too). Returns whether they were there. */
static bool
skip_bytes(FILE *f, uint32_t n)
{
	char buf[512];

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		if (fread(buf, 1, k, f) != k)
			return false;
		n -= (uint32_t)k;
	}
	return true;
}

/* A record FromDump gives up on, said on the chatter stream as Click's. */
static void
record_error(struct ck_element *e, struct pcap *x, const char *what)
{
	fprintf(ck_chatter(e->r), "%s: %s\n", strcmp(x->file.p, "-") ? x->file.p : "<stdin>",
		what);
}

/* The time of the record whose header is @h, in ns. */
static uint64_t
record_ns(const struct pcap *x, const uint8_t *h)
{
	return (uint64_t)rd32(h, x->swap) * CK_NS_PER_SEC +
	       (uint64_t)rd32(h + 4, x->swap) * (x->nano ? 1u : 1000u);
}

static uint64_t
ns_of(double sec)
{
	return (uint64_t)(sec * CK_NS_PER_SEC + 0.5);
}

/* The time window, from the first record's time @ts, as Click's: START or
 * START_AFTER after @ts; END, END_AFTER after @ts, or INTERVAL after the
 * window's start. */
static void
window_set(struct pcap *x, uint64_t ts)
{
	x->first_ns = x->start >= 0 ? ns_of(x->start) :
		      ts + (x->start_after >= 0 ? ns_of(x->start_after) : 0);
	x->skip_early = x->start >= 0 || x->start_after >= 0;
	x->last_ns = x->end >= 0 ? ns_of(x->end) :
		     x->end_after >= 0 ? ts + ns_of(x->end_after) :
		     x->interval >= 0 ? x->first_ns + ns_of(x->interval) : UINT64_MAX;
	x->window_set = true;
}

/* Read the next record. Returns a packet, or NULL at the end (or no buffer). */
static struct ck_pkt *
read_packet(struct ck_element *e, struct pcap *x, bool *is_ip)
{
	uint8_t h[16];
	uint32_t caplen, origlen, skip = 0;
	struct ck_pkt *p;
	uint64_t ts;

	*is_ip = false;
next:
	if (x->done || fread(h, 1, 16, x->f) != 16 || !skip_bytes(x->f, x->hdr_extra))
		goto end;
	caplen = rd32(h + 8, x->swap);
	origlen = rd32(h + 12, x->swap);
	if (caplen > 65535) { /* as Click's */
		record_error(e, x, "bad packet header; giving up");
		goto end;
	}
	ts = record_ns(x, h);
	if (!x->window_set)
		window_set(x, ts);
	if (x->skip_early && ts < x->first_ns) { /* before START: skipped */
		if (!skip_bytes(x->f, caplen))
			goto end;
		goto next;
	}
	x->skip_early = false;
	if (ts >= x->last_ns) /* END reached: the end of the file */
		goto end;
	/* not sampled: skipped, as Click's (a record cut short is then the end) */
	if (x->sample < SAMPLE_ONE && ((uint32_t)random() & (SAMPLE_ONE - 1)) >= x->sample) {
		if (!skip_bytes(x->f, caplen))
			goto end;
		goto next;
	}
	skip = 0;
	if (caplen > origlen) { /* as Click's (and tcpdump's): the rest skipped */
		skip = caplen - origlen;
		caplen = origlen;
	}
	p = ck_pkt_new(e, caplen);
	if (!p) {
		skip_bytes(x->f, caplen + skip);
		return NULL;
	}
	if (fread(p->data, 1, caplen, x->f) != caplen) {
		record_error(e, x, "short packet");
		ck_pkt_kill(e, p);
		goto end;
	}
	skip_bytes(x->f, skip);
	p->a.ts_sec = rd32(h, x->swap);
	p->a.ts_usec = rd32(h + 4, x->swap) / (x->nano ? 1000u : 1u);
	p->a.extra_len = origlen > caplen ? origlen - caplen : 0;
	if (x->linktype == 1) {
		p->a.mac = p->data;
		if (caplen >= 34 && p->data[12] == 0x08 && p->data[13] == 0x00 &&
		    (p->data[14] >> 4) == 4) {
			p->a.ip = p->data + 14;
			*is_ip = true;
		}
	} else if (caplen >= 20 && (p->data[0] >> 4) == 4) {
		p->a.ip = p->data;
		*is_ip = true;
	}
	x->count++;
	return p;
end:
	if (!x->done) {
		x->done = true;
		ck_task_unschedule(e);
		if (x->end_call.handler)
			ck_call_write(e, &x->end_call);
		else if (x->stop)
			ck_please_stop(e->r);
	}
	return NULL;
}

/* TIMING: whether packet @p is due now: the first at once, a later one once
 * as much time passed as between their timestamps. Not due, the timer is
 * set for when it is, and a push FromDump's task sleeps until then (@push);
 * a pull one is pulled again when the router wakes for the timer. */
static bool
timing_due(struct ck_element *e, struct pcap *x, const struct ck_pkt *p, bool push)
{
	uint64_t now = ck_now(e->r);
	int64_t ts = p->a.ts_sec * (int64_t)CK_NS_PER_SEC + (int64_t)p->a.ts_usec * 1000;

	if (!x->timing_set) {
		x->clock_off = (int64_t)now - ts;
		x->timing_set = true;
		return true;
	}
	if (ts + x->clock_off <= (int64_t)now)
		return true;
	if (push)
		ck_task_unschedule(e);
	ck_timer_schedule_at(&x->due, (uint64_t)(ts + x->clock_off));
	return false;
}

/* The next packet to emit (and whether it is IPv4: *@ip), or NULL: at the
 * end, or (TIMING) not due yet; @push: for the task (push output). */
static struct ck_pkt *
next_packet(struct ck_element *e, struct pcap *x, bool *ip, bool push)
{
	struct ck_pkt *p;

	if (!x->pending)
		x->pending = read_packet(e, x, &x->pending_ip);
	if (!x->pending || (x->timing && !timing_due(e, x, x->pending, push)))
		return NULL;
	p = x->pending;
	*ip = x->pending_ip;
	x->pending = NULL;
	return p;
}

static bool
fromdump_run(struct ck_element *e)
{
	struct pcap *x = CK_PRIV(e, struct pcap);
	bool ip;
	struct ck_pkt *p = next_packet(e, x, &ip, true);

	if (!p)
		return !x->done && !x->pending;
	ck_push_out(e, x->force_ip && !ip ? 1 : 0, p);
	return true;
}

static struct ck_pkt *
fromdump_pull(struct ck_element *e, unsigned int port)
{
	struct pcap *x = CK_PRIV(e, struct pcap);

	(void)port;
	while (x->active && (!x->done || x->pending)) {
		bool ip;
		struct ck_pkt *p = next_packet(e, x, &ip, false);

		if (!p)
			return NULL;
		if (!x->force_ip || ip)
			return p;
		ck_push_out(e, 1, p);
	}
	return NULL;
}

static void
pcap_cleanup(struct ck_element *e)
{
	struct pcap *x = CK_PRIV(e, struct pcap);

	if (x->pending)
		ck_pkt_kill(e, x->pending);
	x->pending = NULL;
	if (x->timing)
		ck_timer_unschedule(&x->due);
	if (x->f && x->f != stdin && x->f != stdout)
		fclose(x->f);
	else if (x->f == stdout)
		fflush(x->f);
	free(x->file.p);
	free(x->encap.p);
	free(x->use_from.p);
	ck_call_free(&x->end_call);
}

/* The pcap link type of Click's encapsulation name @name (ETHER, IP), or 0. */
static uint32_t
linktype_of(const char *name)
{
	if (strcasecmp(name, "ETHER") == 0)
		return 1;
	if (strcasecmp(name, "IP") == 0)
		return 12;
	return 0;
}

static int
todump_configure(struct ck_element *e)
{
	struct pcap *x = CK_PRIV(e, struct pcap);
	const struct ck_argdesc a[] = {
		{ "FILENAME", CK_A_STRING, &x->file, CK_POS | CK_MAND, NULL },
		{ "SNAPLEN", CK_A_INT, &x->snaplen, CK_POS, NULL },
		{ "ENCAP", CK_A_WORD, &x->encap, CK_POS, NULL },
		{ "EXTRA_LENGTH", CK_A_BOOL, &x->extra, 0, NULL },
		{ "NANO", CK_A_BOOL, &x->nano, 0, NULL },
		{ "UNBUFFERED", CK_A_BOOL, &x->unbuf, 0, NULL },
		{ "USE_ENCAP_FROM", CK_A_WORD, &x->use_from, 0, NULL },
	};
	int rc;

	x->snaplen = 2000;
	x->extra = true;
	x->linktype = 1;
	rc = ck_args_parse(e, a, 7);
	if (rc == 0 && x->encap.p && x->use_from.p)
		rc = ck_error(e, "specify at most one of 'ENCAP' and 'USE_ENCAP_FROM'");
	else if (rc == 0 && x->encap.p && !(x->linktype = linktype_of(x->encap.p)))
		rc = ck_error(e, "bad encapsulation type");
	return rc;
}

/* USE_ENCAP_FROM: the link type every named element's encap handler gives,
 * read once they are all initialized. */
static int
todump_encap_from(struct ck_element *e)
{
	struct pcap *x = CK_PRIV(e, struct pcap);
	char **w, *v, *spec;
	int nw = ck_args_words(x->use_from.p, &w), rc = 0;
	uint32_t lt;

	if (nw < 0)
		return ck_error(e, "out of memory");
	if (nw == 0)
		rc = ck_error(e, "element names missing after 'USE_ENCAP_FROM'");
	x->linktype = 0;
	for (int i = 0; i < nw && rc == 0; i++) {
		if (!ck_router_find(e->r, w[i])) {
			rc = ck_error(e, "USE_ENCAP_FROM: no element named '%s'", w[i]);
			break;
		}
		if (asprintf(&spec, "%s.encap", w[i]) < 0) {
			rc = ck_error(e, "out of memory");
			break;
		}
		v = ck_handler_read_str(e->r, spec);
		if (!v) {
			rc = ck_error(e, "'%s' has no 'encap' read handler", w[i]);
			free(spec);
			break;
		}
		v[strcspn(v, "\n")] = '\0';
		lt = linktype_of(v);
		if (!lt)
			rc = ck_error(e, "'%s' did not return a valid encapsulation type", spec);
		else if (x->linktype && lt != x->linktype)
			rc = ck_error(e, "source encapsulation types disagree: '%s' has %s, "
				      "'%s' has %s", w[0], x->linktype == 1 ? "ETHER" : "IP",
				      w[i], v);
		else
			x->linktype = lt;
		free(v);
		free(spec);
	}
	ck_args_free(w, nw);
	return rc;
}

static int
todump_initialize(struct ck_element *e)
{
	struct pcap *x = CK_PRIV(e, struct pcap);
	uint32_t h[6] = { x->nano ? 0xa1b23c4du : 0xa1b2c3d4u, 2 | 4u << 16, 0, 0,
			  (uint32_t)x->snaplen, 0 };

	if (x->use_from.p && todump_encap_from(e) < 0)
		return -EINVAL;
	h[5] = x->linktype;
	if (x->snaplen == 0) /* no limit, as Click's */
		h[4] = x->snaplen = 0xffffffffu;

	x->f = strcmp(x->file.p, "-") == 0 ? stdout : fopen(x->file.p, "wb");
	if (!x->f)
		return ck_error(e, "%s: %s", x->file.p, strerror(errno));
	if (x->unbuf) {
		fflush(x->f);
		setvbuf(x->f, NULL, _IONBF, 0);
	}
	if (fwrite(h, 4, 6, x->f) != 6)
		return ck_error(e, "%s: unable to write file header", x->file.p);
	x->active = true;
	if (e->in_kind[0] != CK_PULL)
		ck_task_unschedule(e);
	return 0;
}

static struct ck_pkt *
todump_action(struct ck_element *e, struct ck_pkt *p)
{
	struct pcap *x = CK_PRIV(e, struct pcap);
	uint32_t cap = p->len < (uint64_t)x->snaplen ? p->len : (uint32_t)x->snaplen;
	uint32_t r[4] = { (uint32_t)p->a.ts_sec, p->a.ts_usec * (x->nano ? 1000u : 1u), cap,
			  p->len + (x->extra ? p->a.extra_len : 0) };

	if (p->a.ts_sec == 0 && p->a.ts_usec == 0) { /* no timestamp: now, as Click */
		uint64_t now = ck_now(e->r);

		r[0] = (uint32_t)(now / CK_NS_PER_SEC);
		r[1] = (uint32_t)(now % CK_NS_PER_SEC / (x->nano ? 1u : 1000u));
	}
	if (!x->active) {
		/* a write failed: nothing more is written */
	} else if (fwrite(r, 4, 4, x->f) != 4 || (cap && fwrite(p->data, 1, cap, x->f) != cap)) {
		if (errno != EAGAIN) {
			x->active = false;
			fprintf(ck_chatter(e->r), "ToDump(%s): %s\n",
				strcmp(x->file.p, "-") ? x->file.p : "<stdout>", strerror(errno));
		}
	} else {
		x->count++;
	}
	if (e->nout == 0) {
		ck_pkt_kill(e, p);
		return NULL;
	}
	return p;
}

static bool
todump_run(struct ck_element *e)
{
	struct ck_pkt *p;

	if (!CK_PRIV(e, struct pcap)->active) { /* a write failed: pull no more, as Click's */
		ck_task_unschedule(e);
		return false;
	}
	p = ck_pull_in(e, 0);
	if (!p)
		return false;
	p = todump_action(e, p);
	if (p)
		ck_push_out(e, 0, p);
	return true;
}

static int
fromdump_write_active(struct ck_element *e, const struct ck_handler *h, const char *v,
		      FILE *errf)
{
	struct pcap *x = CK_PRIV(e, struct pcap);

	(void)h;
	if (ck_parse_bool(v, &x->active) < 0) {
		if (errf)
			fprintf(errf, "'active' should be Boolean\n");
		return -EINVAL;
	}
	if (x->active && !x->done && e->out_kind[0] == CK_PUSH)
		ck_task_reschedule(e);
	return 0;
}

static int
fromdump_stop(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	(void)h, (void)v, (void)errf;
	CK_PRIV(e, struct pcap)->active = false;
	ck_task_unschedule(e);
	ck_please_stop(e->r);
	return 0;
}

/* encap: Click's name of the file's link type. */
static int
fromdump_encap(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	uint32_t lt = CK_PRIV(e, struct pcap)->linktype;

	(void)h;
	/* 0: the file is not read yet (the element is not initialized) */
	fprintf(f, "%s\n", lt == 1 ? "ETHER" : lt ? "IP" : "UNKNOWN");
	return 0;
}

/* sampling_prob: SAMPLE as kept (28-bit fixed point), in the fewest digits
 * that read back to it, as Click writes it. */
static int
fromdump_sampling_prob(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	uint32_t v = CK_PRIV(e, struct pcap)->sample;
	char b[32];

	(void)h;
	for (int digits = 1; digits <= 12; digits++) {
		snprintf(b, sizeof(b), "%.*f", digits, (double)v / SAMPLE_ONE);
		if ((uint32_t)(strtod(b, NULL) * SAMPLE_ONE + 0.5) == v)
			break;
	}
	/* no trailing zeros: 0.5, 1 */
	if (strchr(b, '.')) {
		char *z = b + strlen(b) - 1;

		while (*z == '0')
			*z-- = '\0';
		if (*z == '.')
			*z = '\0';
	}
	fprintf(f, "%s\n", b);
	return 0;
}

/* filesize / filepos: the file's size and the offset read so far ("-" for a pipe). */
static int
fromdump_filepos(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	struct pcap *x = CK_PRIV(e, struct pcap);
	struct stat st;
	long pos;

	if (h->arg == 0) {
		if (x->f && fstat(fileno(x->f), &st) == 0 && S_ISREG(st.st_mode))
			fprintf(f, "%lld\n", (long long)st.st_size);
		else
			fprintf(f, "-\n");
		return 0;
	}
	pos = x->f ? ftell(x->f) : -1;
	if (pos >= 0)
		fprintf(f, "%ld\n", pos);
	else
		fprintf(f, "-\n");
	return 0;
}

static int
pcap_filename(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	const char *name = CK_PRIV(e, struct pcap)->file.p;

	fprintf(f, "%s\n", strcmp(name, "-") ? name : h->arg ? "<stdout>" : "<stdin>");
	return 0;
}

static const struct ck_handler pcap_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct pcap, count), NULL },
	{ "active", CK_H_READ | CK_H_WRITE, ck_h_read_bool, fromdump_write_active,
	  offsetof(struct pcap, active), NULL },
	{ "stop", CK_H_WRITE, NULL, fromdump_stop, 0, NULL },
	{ "encap", CK_H_READ, fromdump_encap, NULL, 0, NULL },
	{ "filename", CK_H_READ, pcap_filename, NULL, 0, NULL },
	{ "filesize", CK_H_READ, fromdump_filepos, NULL, 0, NULL },
	{ "filepos", CK_H_READ, fromdump_filepos, NULL, 1, NULL },
	{ "sampling_prob", CK_H_READ, fromdump_sampling_prob, NULL, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

static int
todump_reset(struct ck_element *e, const struct ck_handler *h, const char *v, FILE *errf)
{
	(void)h, (void)v, (void)errf;
	CK_PRIV(e, struct pcap)->count = 0;
	return 0;
}

static const struct ck_handler todump_handlers[] = {
	{ "filename", CK_H_READ, pcap_filename, NULL, 1, NULL },
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct pcap, count), NULL },
	{ "reset_counts", CK_H_WRITE, NULL, todump_reset, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

const struct ck_element_class ck_class_FromDump = {
	.name = "FromDump", .ports = "0/1-2", .processing = "a/ah",
	.priv_size = sizeof(struct pcap), .configure = fromdump_configure,
	.initialize = fromdump_initialize, .run_task = fromdump_run, .pull = fromdump_pull,
	.cleanup = pcap_cleanup, .handlers = pcap_handlers,
};

const struct ck_element_class ck_class_ToDump = {
	.name = "ToDump", .ports = "1/0-1", .processing = "a/a",
	.priv_size = sizeof(struct pcap), .configure = todump_configure,
	.initialize = todump_initialize, .action = todump_action, .run_task = todump_run,
	.cleanup = pcap_cleanup, .handlers = todump_handlers,
};
