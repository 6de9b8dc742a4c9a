/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_rt.h — the runtime of netvm-click, as elements see it (docs/click.md,
 * "Writing an element").
 *
 *   ck_graph (front end) --ck_router_new()--> ck_router
 *        elements[]  one struct ck_element per graph element, in configuration order
 *        tasks       elements whose class has run_task, run round-robin in that order
 *        timers      one-shot timers, earliest first
 *        runcount    starts at 1; every please_stop subtracts 1; <= 0 ends the run
 *
 * A packet (struct ck_pkt) is a window [data, data + len) into a buffer
 * [head, end). The buffer is a netlib pool buffer on the platform and a
 * malloc'ed one offline; the platform (struct ck_platform) allocates fresh
 * packets and gives every packet leaving the graph its final action, so the
 * elements have one code path for both.
 *
 * Error convention (CONTRIBUTING.md): constructors return a pointer or NULL,
 * other functions 0 (or a count) or a negative errno.
 */
#ifndef CK_RT_H
#define CK_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ck_graph.h"

struct ck_router;
struct ck_element;
struct ck_pkt;

/* Packet type annotation (Click's PACKET_TYPE values). */
enum ck_ptype {
	CK_PT_HOST = 0,
	CK_PT_BROADCAST = 1,
	CK_PT_MULTICAST = 2,
	CK_PT_OTHERHOST = 3,
	CK_PT_OUTGOING = 4,
};

/* Annotations an element may read and set (CLICK-SCOPE §e.5). Header
 * pointers point into the packet's buffer; clones translate them. */
struct ck_anno {
	int64_t ts_sec;       /* timestamp; 0.0 when unset */
	uint32_t ts_usec;
	uint32_t dst_ip;      /* destination-IP annotation, network order */
	uint8_t *mac;         /* MAC header, or NULL */
	uint8_t *ip;          /* IP header, or NULL */
	uint32_t extra_len;   /* bytes cut off by Truncate */
	uint8_t paint;
	uint8_t ptype;        /* enum ck_ptype */
	uint8_t fix_ip_src;
	uint8_t param_off;
	uint32_t aggregate;   /* AGGREGATE annotation (ToIPSummaryDump's aggregate) */
	int64_t first_ts_sec; /* FIRST_TIMESTAMP annotation; 0.0 when unset */
	uint32_t first_ts_usec;
};

/* Where a packet came from: it decides how it is released. */
enum ck_pkt_kind {
	CK_PK_HEAP,   /* offline: malloc'ed with its buffer */
	CK_PK_INPUT,  /* platform: a packet of the NF callback (one action, set on return) */
	CK_PK_ALLOC,  /* platform: from nl_pkt_alloc(), leaves through nl_pkt_emit() */
};

struct ck_pkt {
	uint8_t *data;
	uint32_t len;
	uint8_t *head, *end;   /* the buffer */
	struct ck_pkt *next;   /* batch or queue link */
	void *plat;            /* the platform's packet (struct nl_pkt), NULL offline */
	uint8_t kind;          /* enum ck_pkt_kind */
	uint8_t in_port;       /* device port it arrived on (platform) */
	uint16_t slot;         /* platform: index of its action slot */
	struct ck_anno a;
};

/* How a packet leaves the graph (the NetVM actions). */
enum ck_action {
	CK_ACT_DROP,
	CK_ACT_OUT,     /* arg: port */
	CK_ACT_TO_ROLE, /* arg: role */
	CK_ACT_NEXT,
};

/*
 * What the runtime needs from where it runs: netlib (apps/click/ck_nf.c) or
 * the offline driver (ck_pkt.c). Every pointer is called from the thread
 * running the router.
 */
struct ck_platform {
	const char *name;       /* "offline", "netlib" */
	void *ctx;
	/* A fresh packet of @len bytes (data uninitialised) with headroom; NULL
	 * when no buffer is free (the caller counts a drop). */
	struct ck_pkt *(*alloc)(void *ctx, uint32_t len);
	/* Give @p its final @action (arg: port or role) and release it. */
	void (*finish)(void *ctx, struct ck_pkt *p, enum ck_action action, unsigned int arg);
	/* Port number of device @name, or -1 when unknown. May be NULL. */
	int (*port)(void *ctx, const char *name);
	/* Wall-clock time in nanoseconds. */
	uint64_t (*now)(void *ctx);
	/* Run on Click's simulated clock from the start (--simtime): timers
	 * armed while initialising are on it too. */
	bool simtime;
};

/* The offline platform: malloc'ed packets, the real clock; it cannot fail. */
const struct ck_platform *ck_offline_platform(void);

/* ---- handlers ---- */

#define CK_H_READ 1
#define CK_H_WRITE 2
#define CK_H_READ_PARAM 4 /* a read handler that takes a parameter (read_param) */
#define CK_H_LINES 8 /* the value is a list of lines (a table), each ending in a newline */
/* reading it changes the element (Script's run and shift, a PROXY script's
 * handlers): read by -h at the end of a run only, never by the prints made
 * while the router runs */
#define CK_H_SIDE_EFFECT 16

struct ck_handler {
	const char *name;
	unsigned int flags; /* CK_H_READ | CK_H_WRITE */
	/* Write the value (ending in '\n' when non-empty) to @f. */
	int (*read)(struct ck_element *e, const struct ck_handler *h, FILE *f);
	/* Apply @value; return 0 or a negative errno after writing why to @errf. */
	int (*write)(struct ck_element *e, const struct ck_handler *h, const char *value, FILE *errf);
	intptr_t arg;
	/* CK_H_READ_PARAM: read with @param ("" when none was given) into @f;
	 * return 0 or a negative errno after writing why to @errf (may be NULL). */
	int (*read_param)(struct ck_element *e, const struct ck_handler *h, const char *param,
			  FILE *f, FILE *errf);
};

/* ---- notifiers (Click's empty notification) ---- */

#define CK_NOTIFIER_LISTENERS 4

/* An element's "has packets" signal on a pull output (a Queue's); the
 * tasks that pull from it listen and sleep while it is empty. */
struct ck_notifier {
	bool nonempty;
	uint8_t nlisteners;
	struct ck_element *listeners[CK_NOTIFIER_LISTENERS];
};

/* ---- element classes ---- */

struct ck_element_class {
	const char *name;
	const char *ports;       /* same strings as the front end's ck_classes[] */
	const char *processing;
	const char *flow;
	size_t priv_size;        /* zeroed private state, e->priv */
	int configure_phase;     /* lower first (AddressInfo: -1) */
	/* Parse e->config. Return 0 or -EINVAL after ck_error(). */
	int (*configure)(struct ck_element *e);
	/* After every element is configured. Return 0 or a negative errno after ck_error(). */
	int (*initialize)(struct ck_element *e);
	/* Push @p into input @port; the element owns it from here. */
	void (*push)(struct ck_element *e, unsigned int port, struct ck_pkt *p);
	/* Push a batch (linked by ->next); NULL: the runtime loops over push. */
	void (*push_batch)(struct ck_element *e, unsigned int port, struct ck_pkt *head);
	/* Pull a packet from output @port, or NULL. */
	struct ck_pkt *(*pull)(struct ck_element *e, unsigned int port);
	/* Agnostic one-in one-out elements: transform @p, return it for output 0
	 * or NULL when it was consumed (killed or sent elsewhere). The runtime
	 * builds push, pull and batch paths from it (Click's simple_action). */
	struct ck_pkt *(*action)(struct ck_element *e, struct ck_pkt *p);
	/* Scheduled task; return true when it did work. */
	bool (*run_task)(struct ck_element *e);
	/* The router stopped; called once per DriverManager stop event (DriverManager only). */
	void (*stop_event)(struct ck_element *e);
	/* Signal @signo, which the element watches (ck_signal_watch()), came:
	 * called from the router's loop, the watcher disarmed. Return 0 when it
	 * was handled, a negative errno when not (the signal then goes to the
	 * action the process had without the element, once nothing else
	 * watches it). May be NULL. */
	int (*signal)(struct ck_element *e, int signo);
	const struct ck_handler *handlers; /* terminated by a NULL name; may be NULL */
	/* A handler not in @handlers (Script's exported variables, PROXY), or
	 * NULL; the result may be used until the next call. May be NULL. */
	const struct ck_handler *(*lookup_handler)(struct ck_element *e, const char *name);
	/* Writes a "NAME<TAB>FLAGS" line for each handler lookup_handler finds,
	 * for the handlers handler. May be NULL. */
	void (*list_handlers)(struct ck_element *e, FILE *f);
	/* The empty notifier of pull output @port, or NULL (pullers then poll). */
	struct ck_notifier *(*notifier)(struct ck_element *e, unsigned int port);
	/* The nonfull notifier of push input @port (a Queue's: active while it
	 * has room), or NULL. Sources pushing into it sleep while it is full. */
	struct ck_notifier *(*full_notifier)(struct ck_element *e, unsigned int port);
	void (*cleanup)(struct ck_element *e);
};

struct ck_peer {
	struct ck_element *e;
	unsigned int port;
};

struct ck_element {
	struct ck_router *r;
	const struct ck_element_class *cls;
	const char *name, *config, *landmark;
	uint32_t idx;
	uint32_t nin, nout;
	const uint8_t *in_kind, *out_kind;  /* CK_PUSH / CK_PULL */
	struct ck_peer *out;   /* push outputs: the one input each feeds */
	struct ck_peer *in;    /* pull inputs: the one output each pulls from */
	void *priv;
	bool task;             /* has a task in the scheduler */
	bool scheduled;        /* the task runs (ck_task_unschedule() clears it) */
	uint64_t task_runs;    /* times the scheduler ran the task */
	uint64_t drops;        /* packets killed by the runtime on its behalf */
	uint64_t cycles;       /* TSC cycles in its push/action, nested elements excluded */
	uint64_t cycle_pkts;   /* packets those cycles were spent on */
};

/* ---- timers ---- */

struct ck_timer {
	uint64_t expiry;       /* ns, router clock */
	struct ck_element *e;
	void (*fire)(struct ck_element *e, struct ck_timer *t);
	bool scheduled;
	struct ck_timer *next_all; /* the router's list of every timer */
};

/* ---- the runtime, for elements ---- */

/* Kill @p (the DROP action), counted for @e. */
void ck_pkt_kill(struct ck_element *e, struct ck_pkt *p);
/* Give @p its final action, e.g. ToDevice → CK_ACT_OUT. */
void ck_pkt_finish(struct ck_element *e, struct ck_pkt *p, enum ck_action a, unsigned int arg);
/* A fresh packet of @len bytes; NULL (counted) when none is free. */
struct ck_pkt *ck_pkt_new(struct ck_element *e, uint32_t len);
/* A copy of @p (data and annotations) in a fresh buffer; NULL when none is free. */
struct ck_pkt *ck_pkt_clone(struct ck_element *e, const struct ck_pkt *p);
/* Prepend @n bytes (headroom); returns the new data pointer, or NULL when the
 * buffer has no room (the packet is then unchanged). */
uint8_t *ck_pkt_push(struct ck_pkt *p, uint32_t n);
/* Remove @n bytes from the front (at most len). */
void ck_pkt_pull(struct ck_pkt *p, uint32_t n);
/* Append @n bytes (tailroom); returns a pointer to them or NULL. */
uint8_t *ck_pkt_put(struct ck_pkt *p, uint32_t n);
/* Remove @n bytes from the end (at most len). */
void ck_pkt_take(struct ck_pkt *p, uint32_t n);

/* The IP header annotation's transport header, or NULL. */
static inline uint8_t *
ck_pkt_transport(const struct ck_pkt *p)
{
	return p->a.ip ? p->a.ip + ((p->a.ip[0] & 0x0f) << 2) : NULL;
}

/* Bytes of the packet from @ptr to its end (0 when @ptr is outside). */
static inline uint32_t
ck_pkt_avail(const struct ck_pkt *p, const uint8_t *ptr)
{
	if (ptr == NULL || ptr < p->data || ptr > p->data + p->len)
		return 0;
	return (uint32_t)(p->data + p->len - ptr);
}

/* Push @p out of output @port of @e (killed when that output is not connected). */
void ck_push_out(struct ck_element *e, unsigned int port, struct ck_pkt *p);
/* Push a batch out of @port. */
void ck_push_out_batch(struct ck_element *e, unsigned int port, struct ck_pkt *head);
/* Pull a packet from input @port of @e, or NULL. */
struct ck_pkt *ck_pull_in(struct ck_element *e, unsigned int port);

/* Take the task off the scheduler / put it back. */
void ck_task_unschedule(struct ck_element *e);
void ck_task_reschedule(struct ck_element *e);

/* The empty notifier of what @e's pull input @port pulls from, looking
 * upstream through action (one-in one-out) elements; NULL when there is
 * none (a puller then polls every round). */
struct ck_notifier *ck_pull_notifier(struct ck_element *e, unsigned int port);
/* Make @e's task a listener of @n: it is rescheduled when @n turns nonempty.
 * Returns 0, or -ENOSPC (the caller then polls). */
int ck_notifier_listen(struct ck_notifier *n, struct ck_element *e);
/* ck_pull_notifier() and ck_notifier_listen() in one: the notifier @e's
 * task now sleeps on, or NULL (none upstream, or no room: @e polls). */
struct ck_notifier *ck_pull_listen(struct ck_element *e, unsigned int port);
/* The nonfull notifier of what @e's push output @port feeds, looking
 * downstream through action (one-in one-out) elements, made @e's task's to
 * sleep on; NULL when there is none (or no room: @e then pushes regardless). */
struct ck_notifier *ck_push_listen(struct ck_element *e, unsigned int port);
/* Set @n's state; turning nonempty reschedules its listeners. */
void ck_notifier_set(struct ck_notifier *n, bool nonempty);

/* Register @t (owned by the element) with the router; it cannot fail. */
void ck_timer_init(struct ck_element *e, struct ck_timer *t,
		   void (*fire)(struct ck_element *, struct ck_timer *));
void ck_timer_schedule_at(struct ck_timer *t, uint64_t when_ns);
void ck_timer_schedule_after(struct ck_timer *t, uint64_t delta_ns);
void ck_timer_unschedule(struct ck_timer *t);

/* The router's clock, in nanoseconds. */
uint64_t ck_now(const struct ck_router *r);
/* Set @p's timestamp annotation to now. */
void ck_pkt_stamp(const struct ck_router *r, struct ck_pkt *p);

/* A source finished (Click's please_stop_driver): subtract 1 from the run count. */
void ck_please_stop(struct ck_router *r);
/* End the run at once. */
void ck_router_stop(struct ck_router *r);
/* Whether the run is over. */
bool ck_router_stopped(const struct ck_router *r);
/* Whether elements' cycles (the `cycles` handler) are counted: meson option
 * stage_cycles on an x86-64 build; it cannot fail. */
bool ck_cycles_enabled(void);
/* The router's diagnostic stream (stderr unless redirected); never NULL. */
FILE *ck_errf(const struct ck_router *r);
/* The stream Print/IPPrint write to (stderr by default); never NULL. */
FILE *ck_chatter(const struct ck_router *r);
/* The stream Script/DriverManager `print` and `read` write to (stdout by
 * default); never NULL. */
FILE *ck_output(const struct ck_router *r);
/* Make @e the router's driver (DriverManager, Script TYPE DRIVER): stop
 * events go to its class's stop_event. Returns 0, or -EEXIST when another
 * element already is. */
int ck_router_claim_driver(struct ck_element *e);
/* The platform (device port names). */
const struct ck_platform *ck_router_platform(const struct ck_router *r);

/* Signals a script can watch are below this number. */
#define CK_SIG_MAX 32
/* The signal @name names (ABRT, ALRM, HUP, INT, IO, PIPE, QUIT, TERM, TSTP,
 * USR1, USR2, with or without SIG before it, or a number from 1 to 31).
 * Returns it, -EINVAL for no such signal, or -EPERM for one a script cannot
 * take (KILL, STOP, SEGV, BUS, FPE, ILL). */
int ck_signal_number(const char *name);
/* Have @signo run @e's class's signal hook from the router's loop; armed at
 * once: the process takes the signal from now on, the action it had kept
 * for when nothing watches it any more. Returns 0, -ENOMEM, or sigaction()'s
 * negative errno. */
int ck_signal_watch(struct ck_element *e, int signo);
/* Arm @e's watchers again (a SIGNAL script's `end`); it cannot fail (a
 * signal that cannot be taken again stays disarmed). */
void ck_signal_rearm(struct ck_element *e);

/* Write "LANDMARK: While configuring 'NAME :: CLASS': MESSAGE\n" to the
 * router's error stream. Returns -EINVAL, for "return ck_error(...)". */
int ck_error(const struct ck_element *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with "warning: " before MESSAGE; the configuration goes on. */
void ck_warning(const struct ck_element *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Bind @e (FromDevice) as the reader of device port @port. Returns 0,
 * -EINVAL (port out of range) or -EEXIST (another element reads it). */
int ck_router_bind_rx(struct ck_router *r, unsigned int port, struct ck_element *e);

/* The element named @name, or NULL. */
struct ck_element *ck_router_find(const struct ck_router *r, const char *name);

/* What a name given again says of its earlier values, as Click's AddressInfo
 * warns (the later value replaces the earlier one of its kind). */
enum ck_addr_conflict {
	CK_ADDR_SAME = 0,     /* new, or as before */
	CK_ADDR_IPS,          /* "IP addresses conflict" */
	CK_ADDR_PREFIXES,     /* "IP address prefixes conflict" */
	CK_ADDR_IP_PREFIX,    /* "IP address and IP address prefix conflict" */
	CK_ADDR_ETHERS,       /* "Ethernet addresses conflict" */
};

/* Register an AddressInfo name: kind 'i' IPv4 (ip, mask: an address when
 * /32, else a prefix), 'e' Ethernet. A name keeps one address, one prefix
 * and one Ethernet address: a later one replaces the earlier. Returns an
 * enum ck_addr_conflict, or -ENOMEM. */
int ck_addr_define(struct ck_router *r, const char *name, char kind, const uint8_t *val,
		   uint32_t mask);
/* Look a name up: 0, or -ENOENT. Kind 'p' is an IPv4 name's prefix entry
 * (not /32) when it has one, else its first IPv4 entry. */
int ck_addr_lookup(const struct ck_router *r, const char *name, char kind, uint8_t *val,
		   uint32_t *mask);

/* ---- handlers ---- */

/* Read "ELEMENT.HANDLER" into @f. Returns 0, -ENOENT (no such handler) or
 * -EPERM (not readable), after writing why to @errf (may be NULL). */
int ck_handler_read(struct ck_router *r, const char *spec, FILE *f, FILE *errf);
/* Write @value to "ELEMENT.HANDLER". Returns 0 or a negative errno after
 * writing why to @errf (may be NULL). */
int ck_handler_write(struct ck_router *r, const char *spec, const char *value, FILE *errf);
/* Whether "ELEMENT.HANDLER" can be written: 0, or -ENOENT / -EPERM after
 * writing why to @errf (may be NULL). */
int ck_handler_writable(struct ck_router *r, const char *spec, FILE *errf);
/* Read "ELEMENT.HANDLER" into a malloc'ed string; NULL when there is no such
 * readable handler. */
char *ck_handler_read_str(struct ck_router *r, const char *spec);
/* Read "ELEMENT.HANDLER" with @param (NULL or "": none) into @f, as Click's
 * `read H PARAM`. Returns 0, -ENOENT, -EPERM, -EINVAL (a parameter to a
 * handler that takes none), -ENOMEM or the handler's error, after writing
 * why to @errf (may be NULL). An ELEMENT name may be of any length. */
int ck_handler_read_param(struct ck_router *r, const char *spec, const char *param, FILE *f,
			  FILE *errf);
/* Whether "ELEMENT.HANDLER" (or a global handler) reads a list of lines, each
 * ending in a newline, as Click's tables and statistics do (CK_H_LINES). */
bool ck_handler_reads_lines(struct ck_router *r, const char *spec);
/* As ck_handler_read_param(), into a malloc'ed string; NULL on an error. */
char *ck_handler_read_param_str(struct ck_router *r, const char *spec, const char *param,
				FILE *errf);

/* ---- the router, for its drivers ---- */

/* Instantiate, configure and initialise @g on @p. Returns the router, or NULL
 * after writing every error to @errf and "Router could not be initialized!". */
struct ck_router *ck_router_new(const struct ck_graph *g, const struct ck_platform *p,
				FILE *errf);
/* Use simulated time (Click's --simtime): the clock starts at 1000000000 s and
 * jumps to the next timer when nothing else runs. */
void ck_router_set_simtime(struct ck_router *r, bool on);
/* Send Print/IPPrint output to @f instead of stderr. */
void ck_router_set_chatter(struct ck_router *r, FILE *f);
/* Send Script/DriverManager output to @f instead of stdout. */
void ck_router_set_output(struct ck_router *r, FILE *f);
/* Run tasks and timers until the run count reaches 0, a stop, or (offline)
 * nothing is left to do. Returns 0. */
int ck_router_run(struct ck_router *r);
/* One scheduler round (every scheduled task once, then expired timers).
 * Returns true when anything ran. */
bool ck_router_run_once(struct ck_router *r);
/* When the earliest scheduled timer expires (ns, router clock); UINT64_MAX
 * when none is scheduled. */
uint64_t ck_router_next_timer(const struct ck_router *r);
/* Deliver received packets (a batch) to the FromDevice/PollDevice elements of
 * @port; packets of a port no element reads are killed. Returns the number delivered. */
unsigned int ck_router_input(struct ck_router *r, unsigned int port, struct ck_pkt *head);
/* Print the read handlers matching @spec (globs allowed in the element part)
 * like click -h: "NAME.HANDLER:\nVALUE\n" when @names, else just the value;
 * @live (the router runs on): handlers with CK_H_SIDE_EFFECT left out.
 * Returns 0, -ENOENT or -ENOMEM after a message on @errf (NULL: none). */
int ck_router_print_handler(struct ck_router *r, const char *spec, bool names, bool live,
			    FILE *out, FILE *errf);
/* Number of elements, and element @i. */
uint32_t ck_router_nb_elements(const struct ck_router *r);
struct ck_element *ck_router_element(const struct ck_router *r, uint32_t i);
/* Run every element's cleanup, free every held packet, free @r (NULL allowed). */
void ck_router_free(struct ck_router *r);

/* ---- the element registry (elements/registry.c) ---- */

/* The class named @name, or NULL. */
const struct ck_element_class *ck_element_class_find(const char *name);
/* Every class, NULL-terminated. */
const struct ck_element_class *const *ck_element_classes(void);

#endif /* CK_RT_H */
