/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_router.h — the router's private state (ck_run.c, ck_handlers.c); not
 * for elements, which use ck_rt.h.
 */
#ifndef CK_ROUTER_H
#define CK_ROUTER_H

#include "ck_rt.h"

#define CK_MAX_PORTS 256

/* An element watching a signal (Script TYPE SIGNAL; ck_signal.c). */
struct ck_sigwatch {
	struct ck_element *e;
	int signo;
	uint32_t seen;  /* the signal's count when last looked at */
	bool armed;     /* its signal runs the element's signal hook */
	bool busy;      /* that hook is running */
};

struct ck_addr {
	char *name;
	char kind;        /* 'i' IPv4, 'e' Ethernet */
	uint8_t val[6];
	uint32_t mask;    /* IPv4 mask, network order */
};

struct ck_router {
	const struct ck_platform *plat;
	FILE *errf, *chatter, *out;
	struct ck_element *elems;
	uint32_t n;
	struct ck_element **tasks;  /* configuration order */
	uint32_t ntasks;
	struct ck_timer *timers;    /* every registered timer */
	int runcount;
	bool stopped, initialized;
	struct ck_element *driver;  /* the DriverManager, or NULL */
	bool simtime;
	uint64_t simnow;
	uint64_t *simclock; /* &simnow: ck_now() moves it on through a const router */
	struct ck_addr *addrs;
	uint32_t naddrs;
	struct ck_element *rx[CK_MAX_PORTS]; /* FromDevice of each port */
	uint64_t unbound_drops;
	uint64_t cyc_nested;  /* cycles of the elements called inside the timed one */
	char *config;         /* the configuration text (the `config` handler), or NULL */
	char *requires;       /* the packages require() names, space-separated, or NULL */
	struct ck_sigwatch *sigw; /* the signals elements watch */
	uint32_t nsigw;
	uint32_t sig_gen;     /* the signal generation the watchers were last looked at in */
};

/* ck_signal.c: run the watchers whose signal came (returns whether any ran);
 * whether one is armed; sleep @ns (UINT64_MAX: no limit) or until a signal an
 * armed one waits for; let go of every signal on the way out. */
bool ck_router_signals(struct ck_router *r);
bool ck_router_signal_armed(const struct ck_router *r);
void ck_router_wait(const struct ck_router *r, uint64_t ns);
void ck_router_signals_free(struct ck_router *r);

#endif /* CK_ROUTER_H */
