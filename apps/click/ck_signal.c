/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_signal.c — signals for Script's TYPE SIGNAL (docs/click.md, "Scripts").
 *
 * The signal handler only counts: ck_sig_count[signo] and ck_sig_gen go up
 * by one (lock-free atomics, async-signal-safe). A router compares the counts
 * with what it saw at the start of each scheduler round (ck_router_run_once())
 * and runs the elements that watch the signal from its own loop.
 *
 * A watcher (element, signal) is armed from its initialisation. An armed
 * watcher whose signal came is disarmed and its element's signal hook runs;
 * a SIGNAL script arms its watchers again when it ends with `end`
 * (ck_signal_rearm()), so a signal that came during the run runs it once more.
 * The process takes a signal (this handler installed, the action it had kept)
 * while some watcher, in any router of the process, is armed or running for
 * it; when the last one lets go, the kept action comes back (the default
 * offline; netlib's handler for SIGINT, SIGTERM and SIGHUP on the platform),
 * and a signal that came during that last run, or that the run did not
 * handle (the hook failed: `error`), is sent again to the process, to that
 * action.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ck_router.h"

_Static_assert(__atomic_always_lock_free(sizeof(uint32_t), 0),
	       "the signal handler's counters must be lock-free");

static uint32_t ck_sig_count[CK_SIG_MAX];
static uint32_t ck_sig_gen;

static struct {
	unsigned int claims;   /* watchers armed or running for the signal */
	struct sigaction kept; /* the action before the first claim */
} ck_sig[CK_SIG_MAX];
static pthread_mutex_t ck_sig_lock = PTHREAD_MUTEX_INITIALIZER;

static void
on_signal(int signo)
{
	if (signo > 0 && signo < CK_SIG_MAX)
		__atomic_fetch_add(&ck_sig_count[signo], 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&ck_sig_gen, 1, __ATOMIC_SEQ_CST);
}

static uint32_t
sig_count(int signo)
{
	return __atomic_load_n(&ck_sig_count[signo], __ATOMIC_SEQ_CST);
}

/* Take @signo for one more watcher. Returns 0 or a negative errno. */
static int
sig_claim(int signo)
{
	struct sigaction sa;
	int rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	pthread_mutex_lock(&ck_sig_lock);
	if (ck_sig[signo].claims == 0 && sigaction(signo, &sa, &ck_sig[signo].kept) < 0)
		rc = -errno;
	else
		ck_sig[signo].claims++;
	pthread_mutex_unlock(&ck_sig_lock);
	return rc;
}

/* One watcher lets go of @signo; the last one puts the kept action back.
 * Returns whether it was the last. */
static bool
sig_release(int signo)
{
	bool last = false;

	pthread_mutex_lock(&ck_sig_lock);
	if (ck_sig[signo].claims > 0 && --ck_sig[signo].claims == 0) {
		sigaction(signo, &ck_sig[signo].kept, NULL);
		last = true;
	}
	pthread_mutex_unlock(&ck_sig_lock);
	return last;
}

static const struct {
	const char *name;
	int signo;
} ck_sig_names[] = {
	{ "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "HUP", SIGHUP }, { "INT", SIGINT },
	{ "IO", SIGIO }, { "PIPE", SIGPIPE }, { "QUIT", SIGQUIT }, { "TERM", SIGTERM },
	{ "TSTP", SIGTSTP }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
	/* named only to be refused by name too */
	{ "KILL", SIGKILL }, { "STOP", SIGSTOP }, { "SEGV", SIGSEGV }, { "BUS", SIGBUS },
	{ "FPE", SIGFPE }, { "ILL", SIGILL },
};

/* The signal @name names: ABRT, ALRM, HUP, INT, IO, PIPE, QUIT, TERM, TSTP,
 * USR1, USR2, each also with SIG before it, or a number from 1 to 31.
 * Returns it, -EINVAL for no such signal, or -EPERM for one a script cannot
 * take (KILL and STOP, which no process can catch; SEGV, BUS, FPE and ILL,
 * which a fault raises). */
int
ck_signal_number(const char *name)
{
	const char *n = strncmp(name, "SIG", 3) == 0 ? name + 3 : name;
	int signo = -1;
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(ck_sig_names) / sizeof(*ck_sig_names); i++)
		if (strcmp(n, ck_sig_names[i].name) == 0)
			signo = ck_sig_names[i].signo;
	if (signo < 0 && n == name && *name >= '0' && *name <= '9') {
		errno = 0;
		v = strtol(name, &end, 10);
		if (!*end && errno == 0 && v >= 1 && v < CK_SIG_MAX)
			signo = (int)v;
	}
	if (signo < 0)
		return -EINVAL;
	if (signo == SIGKILL || signo == SIGSTOP || signo == SIGSEGV || signo == SIGBUS ||
	    signo == SIGFPE || signo == SIGILL)
		return -EPERM;
	return signo;
}

/* Watch @signo for @e, armed at once. Returns 0, -ENOMEM, or sigaction()'s
 * negative errno. */
int
ck_signal_watch(struct ck_element *e, int signo)
{
	struct ck_router *r = e->r;
	struct ck_sigwatch *w;
	int rc;

	if (signo <= 0 || signo >= CK_SIG_MAX)
		return -EINVAL;
	w = realloc(r->sigw, (r->nsigw + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	r->sigw = w;
	w = &r->sigw[r->nsigw];
	*w = (struct ck_sigwatch){ .e = e, .signo = signo, .seen = sig_count(signo) };
	rc = sig_claim(signo);
	if (rc < 0)
		return rc;
	w->armed = true;
	r->nsigw++;
	return 0;
}

/* Arm every watcher of @e again (a SIGNAL script's `end`): one running
 * now keeps the signals that came since it started, one armed later sees
 * only the signals from then on. */
void
ck_signal_rearm(struct ck_element *e)
{
	struct ck_router *r = e->r;

	for (uint32_t i = 0; i < r->nsigw; i++) {
		struct ck_sigwatch *w = &r->sigw[i];

		if (w->e != e || w->armed)
			continue;
		if (w->busy) {
			w->armed = true; /* its claim was kept through the run */
		} else if (sig_claim(w->signo) == 0) {
			w->seen = sig_count(w->signo);
			w->armed = true;
		}
	}
}

/* Run the watchers whose signal came since they last looked; once @r has
 * stopped, disarm them all instead. Returns whether any ran. */
bool
ck_router_signals(struct ck_router *r)
{
	uint32_t gen;
	bool ran = false;

	if (r->nsigw == 0)
		return false;
	if (r->stopped) {
		/* nothing will run the scripts: the signals go back to their
		 * kept actions, with one that came and was not run for */
		for (uint32_t i = 0; i < r->nsigw; i++) {
			struct ck_sigwatch *w = &r->sigw[i];

			if (!w->armed)
				continue;
			w->armed = false;
			if (sig_release(w->signo) && sig_count(w->signo) != w->seen)
				kill(getpid(), w->signo);
		}
		return false;
	}
	gen = __atomic_load_n(&ck_sig_gen, __ATOMIC_SEQ_CST);
	if (gen == r->sig_gen)
		return false;
	r->sig_gen = gen;
	for (uint32_t i = 0; i < r->nsigw && !r->stopped; i++) {
		struct ck_sigwatch *w = &r->sigw[i];
		uint32_t c = sig_count(w->signo);
		int rc;

		if (!w->armed || c == w->seen)
			continue;
		w->seen = c;
		w->armed = false;
		w->busy = true;
		rc = w->e->cls->signal ? w->e->cls->signal(w->e, w->signo) : -ENOTSUP;
		w->busy = false;
		ran = true;
		if (w->armed)
			continue; /* ended with `end`: a signal since c runs it again */
		/* the kept action is back before the count is looked at, so a
		 * signal is either counted here or goes to that action */
		if (sig_release(w->signo) ? sig_count(w->signo) != c || rc < 0 : rc < 0)
			kill(getpid(), w->signo);
	}
	return ran;
}

/* Whether a watcher of @r is armed (a signal can still give it work). */
bool
ck_router_signal_armed(const struct ck_router *r)
{
	for (uint32_t i = 0; i < r->nsigw; i++)
		if (r->sigw[i].armed)
			return true;
	return false;
}

/* Sleep until @ns nanoseconds have passed (UINT64_MAX: no limit) or a signal
 * an armed watcher of @r waits for comes; it cannot fail (an interrupted
 * sleep just returns early). */
void
ck_router_wait(const struct ck_router *r, uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	sigset_t set, old;
	bool pending = false;

	sigemptyset(&set);
	for (uint32_t i = 0; i < r->nsigw; i++)
		if (r->sigw[i].armed)
			sigaddset(&set, r->sigw[i].signo);
	/* blocked while looking, unblocked by ppoll() as it sleeps: a signal
	 * cannot slip in between */
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (uint32_t i = 0; i < r->nsigw; i++)
		if (r->sigw[i].armed && sig_count(r->sigw[i].signo) != r->sigw[i].seen)
			pending = true;
	if (!pending)
		ppoll(NULL, 0, ns == UINT64_MAX ? NULL : &ts, &old);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Let go of every signal @r's watchers hold; it cannot fail. */
void
ck_router_signals_free(struct ck_router *r)
{
	for (uint32_t i = 0; i < r->nsigw; i++)
		if (r->sigw[i].armed || r->sigw[i].busy)
			sig_release(r->sigw[i].signo);
	free(r->sigw);
	r->sigw = NULL;
	r->nsigw = 0;
}
