/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Script([TYPE T,] INSTRUCTION, ...) — Click's control language (CLICK-SCOPE
 * §b "Script"). TYPE ACTIVE (default) runs when the router starts; PASSIVE
 * runs on each call of its `run` handler; PROXY also runs when any other
 * handler name of the element is read or written ($0 = that name, $args =
 * the written value); DRIVER steps on the router's stop events like
 * DriverManager and ends the run when it ends; PACKET (PUSH, the default
 * with ports) runs for each packet, $input its input port, and sends it to
 * output 0 after `end`, to N after `return N`, nowhere after `exit`;
 * SIGNAL SIG... runs from the start, from the router's loop, when one of its
 * signals comes, and takes them again after `end` (ck_signal.c).
 * Instructions:
 *   set VAR EXPR, init VAR EXPR (once, at start), export VAR [EXPR] (init,
 *     and VAR becomes a read/write handler)
 *   print [>FILE | >>FILE] TEXT|HANDLER, printn ..., read ELEM.HANDLER (to stderr),
 *     write ELEM.HANDLER [ARGS]
 *   wait TIME (or until a `step` write, as Click's), pause [N] (wait_stop [N]): N
 *     `step` writes (DRIVER: stop events)
 *   label L, goto L [COND] (begin, loop, end, exit, stop, error when no
 *     such label), loop, end, exit, stop, return [VALUE], error [TEXT]
 * Arguments are expanded (script_expr.c) when the instruction runs. As in
 * Click, a run makes at most 1000 jumps (goto taken, loop): then the script
 * says "NAME :: CLASS: too many jumps, giving up" and ends, so `loop`
 * without `wait` never hangs the router.
 */
#include <ctype.h>

#include "script.h"

#define SC_MAX_JUMPS 1000

#define SC_Q 1    /* the q form: setq, initq, returnq unquote their value */
#define SC_SAVE 2 /* save HANDLER [ARGS] FILE: print >FILE HANDLER [ARGS] */
#define SC_APPEND 4
#define SC_UQ_PARAM 8 /* printq, printnq, readq: the handler's parameter unquoted */

static const struct {
	const char *name;
	enum sc_op op;
	unsigned int flags;
} sc_ops[] = {
	{ "set", SC_SET, 0 }, { "init", SC_INIT, 0 }, { "export", SC_EXPORT, 0 },
	{ "print", SC_PRINT, 0 }, { "printn", SC_PRINTN, 0 }, { "read", SC_READ, 0 },
	{ "write", SC_WRITE, 0 }, { "wait", SC_WAIT, 0 }, { "wait_time", SC_WAIT, 0 },
	{ "pause", SC_PAUSE, 0 }, { "wait_stop", SC_PAUSE, 0 }, { "label", SC_LABEL, 0 },
	{ "goto", SC_GOTO, 0 }, { "loop", SC_LOOP, 0 }, { "end", SC_END, 0 },
	{ "exit", SC_EXIT, 0 }, { "stop", SC_STOP, 0 }, { "return", SC_RETURN, 0 },
	{ "error", SC_ERROR, 0 },
	/* Click's quoted forms: print, write and read already take quoted text */
	{ "setq", SC_SET, SC_Q }, { "initq", SC_INIT, SC_Q }, { "returnq", SC_RETURN, SC_Q },
	{ "printq", SC_PRINT, SC_UQ_PARAM }, { "printnq", SC_PRINTN, SC_UQ_PARAM },
	{ "writeq", SC_WRITE, 0 }, { "readq", SC_READ, SC_UQ_PARAM }, { "errorq", SC_ERROR, 0 },
	{ "save", SC_PRINT, SC_SAVE }, { "append", SC_PRINT, SC_SAVE | SC_APPEND },
};

/* Split @s into its first word (*w, malloc'ed, NULL when none) and the rest. */
static const char *
first_word(const char *s, char **w)
{
	size_t l;

	s += strspn(s, " \t\r\n");
	l = strcspn(s, " \t\r\n");
	*w = l ? strndup(s, l) : NULL;
	s += l;
	return s + strspn(s, " \t\r\n");
}

static int
parse_insn(struct ck_element *e, const char *s, struct sc_insn *in)
{
	char *op;
	const char *rest = first_word(s, &op);
	unsigned int k;

	in->n = 1;
	in->target = -1;
	for (k = 0; op && k < sizeof(sc_ops) / sizeof(*sc_ops); k++)
		if (strcmp(op, sc_ops[k].name) == 0)
			break;
	if (!op || k == sizeof(sc_ops) / sizeof(*sc_ops)) {
		int rc = ck_error(e, "unknown instruction '%s'", op ? op : s);

		free(op);
		return rc;
	}
	free(op);
	in->op = sc_ops[k].op;
	in->unquote = sc_ops[k].flags & (SC_Q | SC_UQ_PARAM);
	if (sc_ops[k].flags & SC_SAVE) {
		/* save|append HANDLER [ARGS] FILE: the last word is the file ("-":
		 * standard output) */
		const char *end = rest + strlen(rest), *w;

		while (end > rest && isspace((unsigned char)end[-1]))
			end--;
		for (w = end; w > rest && !isspace((unsigned char)w[-1]); w--)
			;
		if (w == rest || w == end)
			return ck_error(e, "'%s' needs a handler and a file", sc_ops[k].name);
		in->word = strndup(w, (size_t)(end - w));
		in->append = sc_ops[k].flags & SC_APPEND;
		while (w > rest && isspace((unsigned char)w[-1]))
			w--;
		in->rest = strndup(rest, (size_t)(w - rest));
		return in->word && in->rest ? 0 : ck_error(e, "out of memory");
	}
	switch (in->op) {
	case SC_SET: case SC_INIT: case SC_EXPORT: case SC_LABEL: case SC_GOTO:
	case SC_READ: case SC_WRITE:
		rest = first_word(rest, &in->word);
		if (!in->word)
			return ck_error(e, "'%s' needs an argument", sc_ops[k].name);
		if ((in->op == SC_SET || in->op == SC_INIT) && !*rest)
			return ck_error(e, "'%s %s' needs a value", sc_ops[k].name, in->word);
		break;
	case SC_PRINT: case SC_PRINTN:
		if (*rest == '>') {
			in->append = rest[1] == '>';
			rest = first_word(rest + (in->append ? 2 : 1), &in->word);
			if (!in->word)
				return ck_error(e, "'print >' needs a file name");
		}
		break;
	case SC_WAIT:
		if (!*rest && strcmp(sc_ops[k].name, "wait") == 0) {
			/* `wait` alone is `pause`, as Click's */
			in->op = SC_PAUSE;
			break;
		}
		if (ck_parse_time(rest, &in->t) < 0)
			return ck_error(e, "bad time '%s'", rest);
		rest = "";
		break;
	case SC_PAUSE:
		if (*rest && (ck_parse_int(rest, &in->n) < 0 || in->n < 0))
			return ck_error(e, "bad count '%s'", rest);
		rest = "";
		break;
	default:
		break;
	}
	in->rest = strdup(rest);
	return in->rest ? 0 : ck_error(e, "out of memory");
}

/* TYPE SIGNAL's signals, the words of @rest, into s->signos. Returns 0 or
 * -EINVAL after ck_error(). */
static int
parse_signals(struct ck_element *e, const char *rest)
{
	struct script *s = CK_PRIV(e, struct script);
	char *w;

	for (rest = first_word(rest, &w); w; rest = first_word(rest, &w)) {
		int signo = ck_signal_number(w);
		unsigned int i;

		if (signo == -EPERM) {
			ck_error(e, "signal '%s' cannot be taken by a script", w);
		} else if (signo < 0) {
			ck_error(e, "unknown signal '%s' (a name such as INT, SIGTERM or USR1, "
				 "or a number from 1 to %d)", w, CK_SIG_MAX - 1);
		} else {
			for (i = 0; i < s->nsignos && s->signos[i] != signo; i++)
				;
			if (i == s->nsignos)
				s->signos[s->nsignos++] = signo;
			free(w);
			continue;
		}
		free(w);
		return -EINVAL;
	}
	if (s->nsignos == 0)
		return ck_error(e, "TYPE SIGNAL needs a signal");
	return 0;
}

/* Parse the configuration as instructions. Returns 0 or -EINVAL. */
int
sc_configure(struct ck_element *e, bool typed)
{
	struct script *s = CK_PRIV(e, struct script);
	char **args;
	int n = ck_args_split(e->config, &args), first = 0, rc = 0;

	if (n < 0)
		return ck_error(e, "out of memory");
	if (typed && n > 0 && strncmp(args[0], "TYPE", 4) == 0 &&
	    (args[0][4] == ' ' || args[0][4] == '\t')) {
		char *t;
		const char *trest = first_word(args[0] + 4, &t);

		if (t && strcmp(t, "SIGNAL") == 0) {
			s->type = SC_SIGNAL;
			rc = parse_signals(e, trest);
		} else if (t && strcmp(t, "ACTIVE") == 0)
			s->type = SC_ACTIVE;
		else if (t && (strcmp(t, "PACKET") == 0 || strcmp(t, "PUSH") == 0))
			s->type = SC_PACKET;
		else if (t && strcmp(t, "PASSIVE") == 0)
			s->type = SC_PASSIVE;
		else if (t && strcmp(t, "PROXY") == 0)
			s->type = SC_PROXY;
		else if (t && strcmp(t, "DRIVER") == 0)
			s->type = SC_DRIVER;
		else
			rc = ck_error(e, "TYPE %s not supported (ACTIVE, PASSIVE, PROXY, DRIVER, "
				      "PACKET, SIGNAL)", t ? t : "");
		/* as Click's: only SIGNAL takes words after it */
		if (rc == 0 && s->type != SC_SIGNAL && *trest != '\0')
			rc = ck_error(e, "TYPE %s takes no more words ('%s')", t, trest);
		free(t);
		first = 1;
	} else if (typed && (e->nin || e->nout)) {
		s->type = SC_PACKET; /* Click's default for a Script with ports */
	}
	/* as Click's: ports on a PACKET script only, and it needs an input */
	if (rc == 0 && typed && s->type == SC_PACKET && e->nin == 0)
		rc = ck_error(e, "PACKET script must have inputs");
	else if (rc == 0 && typed && s->type != SC_PACKET && (e->nin || e->nout))
		rc = ck_error(e, "ports allowed only on PACKET scripts");
	s->in = calloc((size_t)n + 2, sizeof(*s->in));
	if (!s->in)
		rc = ck_error(e, "out of memory");
	for (int i = first; i < n && rc == 0; i++)
		rc = parse_insn(e, args[i], &s->in[s->n++]);
	ck_args_free(args, n);
	if (rc == 0 && s->n == 0 && s->type == SC_DRIVER) {
		/* DriverManager with no instructions: wait for one stop event, stop */
		s->in[0] = (struct sc_insn){ .op = SC_PAUSE, .n = 1, .rest = strdup("") };
		s->in[1] = (struct sc_insn){ .op = SC_STOP, .rest = strdup("") };
		s->n = 2;
	}
	for (unsigned int i = 0; rc == 0 && i < s->n; i++) {
		struct sc_insn *in = &s->in[i];

		if (in->op != SC_GOTO)
			continue;
		in->jump = SC_GOTO;
		for (unsigned int j = 0; j < s->n; j++)
			if (s->in[j].op == SC_LABEL && strcmp(s->in[j].word, in->word) == 0)
				in->target = (int)j;
		if (in->target >= 0)
			continue;
		/* as Click's: with no such label, begin and loop are the first
		 * instruction; end, exit, stop and error do what they name */
		if (strcmp(in->word, "begin") == 0 || strcmp(in->word, "loop") == 0)
			in->target = 0;
		else if (strcmp(in->word, "end") == 0)
			in->jump = SC_END;
		else if (strcmp(in->word, "exit") == 0)
			in->jump = SC_EXIT;
		else if (strcmp(in->word, "stop") == 0)
			in->jump = SC_STOP;
		else if (strcmp(in->word, "error") == 0)
			in->jump = SC_ERROR;
		else
			rc = ck_error(e, "no label '%s'", in->word);
	}
	if (rc == 0 && s->type == SC_DRIVER && ck_router_claim_driver(e) < 0)
		rc = ck_error(e, "a router has at most one DriverManager or DRIVER script");
	return rc;
}

/* Unquote a "..." or '...' value in place of @s (freed). */
static char *
unquote(char *s)
{
	char *v;
	size_t l;

	if (s && (s[0] == '"' || s[0] == '\'') && ck_parse_string(s, &v, &l) == 0) {
		free(s);
		return v;
	}
	return s;
}

/*
 * print [>FILE | >>FILE] TEXT, as Click: TEXT that starts with a letter, '@'
 * or '_' is a read handler call, HANDLER [PARAM] (printq: PARAM unquoted),
 * its value printed; anything else is text, expanded and unquoted (`print
 * "done $n"`). A newline follows unless the text ends in one (printn:
 * never); a handler's value is taken without its last newline, as in $(...).
 */
static void
do_print(struct ck_element *e, const struct sc_insn *in)
{
	char *t = sc_expand(e, in->rest), *v;
	const char *r = in->rest;
	bool call = isalpha((unsigned char)r[0]) || r[0] == '@' || r[0] == '_';
	FILE *f = NULL;
	size_t l;

	if (t && call) {
		v = sc_call_read(e, t, in->unquote, NULL);
		if (v && (l = strlen(v)) > 0 && v[l - 1] == '\n')
			v[l - 1] = '\0'; /* the value's own newline, as in $(...) */
		free(t);
		t = v;
	} else {
		t = unquote(t);
	}
	bool file = in->word && strcmp(in->word, "-") != 0; /* "-": standard output */

	if (t)
		f = file ? fopen(in->word, in->append ? "a" : "w") : ck_output(e->r);
	if (t && !f)
		fprintf(ck_errf(e->r), "%s: %s: %s: %s\n", e->landmark, e->name, in->word,
			strerror(errno));
	l = t ? strlen(t) : 0;
	if (f)
		fprintf(f, in->op == SC_PRINTN || (l && t[l - 1] == '\n') ? "%s" : "%s\n", t);
	if (f && file)
		fclose(f);
	else if (f)
		fflush(f);
	free(t);
}

/* read HANDLER [PARAM] (readq: PARAM unquoted): "ELEM.HANDLER:" and the
 * value on standard error, as Click: an empty value is an empty line. */
static void
do_read(struct ck_element *e, const struct sc_insn *in)
{
	char *call = NULL, *name = NULL, *v = NULL, *t;
	size_t l;
	FILE *f = ck_errf(e->r);

	if (asprintf(&t, "%s %s", in->word, in->rest) >= 0) {
		call = sc_expand(e, t);
		free(t);
	}
	if (call)
		v = sc_call_read(e, call, in->unquote, &name);
	l = v ? strlen(v) : 0;
	/* Click writes "NAME:\n" VALUE "\n": a value that is a list of lines
	 * ends in a newline there, so an empty line follows it */
	if (v)
		fprintf(f, "%s:\n%s%s", name, v,
			!l || v[l - 1] != '\n' || ck_handler_reads_lines(e->r, name) ? "\n" : "");
	fflush(f);
	free(v);
	free(name);
	free(call);
}

/* write HANDLER [VALUE]: the handler's errors under "While calling
 * 'HANDLER VALUE':", as Click. */
static void
do_write(struct ck_element *e, const struct sc_insn *in)
{
	char *word = sc_expand(e, in->word);
	char *h = word ? sc_handler_name(e, word) : NULL;
	char *v = unquote(sc_expand(e, in->rest));
	char *msg = NULL, *call = NULL;
	size_t ml = 0;
	FILE *errf;

	free(word);
	if (h && v && ck_handler_writable(e->r, h, ck_errf(e->r)) == 0 &&
	    (errf = open_memstream(&msg, &ml)) != NULL) {
		CK_PRIV(e, struct script)->write_status = ck_handler_write(e->r, h, v, errf);
		fclose(errf);
		if (asprintf(&call, "%s%s%s", h, *v ? " " : "", v) >= 0)
			sc_report(e, call, msg);
	}
	free(call);
	free(msg);
	free(h);
	free(v);
}

/* The script ended (@how: SC_END, also off the end of the instructions,
 * SC_EXIT, SC_RETURN, SC_ERROR); a SIGNAL script that ended with `end`
 * takes its signals again. */
static void
finished(struct ck_element *e, enum sc_op how)
{
	struct script *s = CK_PRIV(e, struct script);

	s->how = how;
	s->done = true;
	s->waiting = 0;
	if (s->type == SC_DRIVER)
		ck_router_stop(e->r);
	if (s->type == SC_SIGNAL && how == SC_END)
		ck_signal_rearm(e); /* as Click's: only `end` takes the signals again */
}

/* Run from s->ip until the script waits or ends. */
static void
sc_step(struct ck_element *e)
{
	struct script *s = CK_PRIV(e, struct script);
	unsigned int jumps = 0;

	if (s->running)
		return; /* a handler the script called ran it again: no recursion */
	s->running = true;
	while (!s->done) {
		struct sc_insn *in;
		enum sc_op op;
		char *v;

		if (s->ip >= s->n) {
			finished(e, SC_END);
			break;
		}
		if (jumps >= SC_MAX_JUMPS) {
			fprintf(ck_errf(e->r), "%s :: %s: too many jumps, giving up\n", e->name,
				e->cls->name);
			s->ip = s->n;
			finished(e, SC_EXIT);
			break;
		}
		in = &s->in[s->ip];
		op = in->op;
again:
		switch (op) {
		case SC_SET:
			v = sc_expand(e, in->rest);
			if (v && in->unquote)
				v = unquote(v);
			if (v)
				sc_var_set(s, in->word, v);
			free(v);
			break;
		case SC_INIT: case SC_EXPORT: case SC_LABEL:
			break;
		case SC_PRINT: case SC_PRINTN:
			do_print(e, in);
			break;
		case SC_READ:
			do_read(e, in);
			break;
		case SC_WRITE:
			do_write(e, in);
			break;
		case SC_WAIT:
			if (!s->waiting_time) {
				s->waiting_time = true;
				ck_timer_schedule_after(&s->timer, (uint64_t)(in->t * 1e9));
				s->running = false;
				return;
			}
			s->waiting_time = false;
			break;
		case SC_PAUSE:
			if (s->waiting == 0)
				s->waiting = in->n;
			while (s->waiting > 0 && s->events > 0)
				s->waiting--, s->events--;
			if (s->waiting > 0) {
				s->running = false;
				return;
			}
			break;
		case SC_GOTO:
			v = in->rest[0] ? sc_expand(e, in->rest) : NULL;
			if ((!in->rest[0] || (v && sc_truth(v))) && in->jump != SC_GOTO) {
				free(v);
				op = in->jump; /* goto end, exit, stop, error */
				goto again;
			}
			if (!in->rest[0] || (v && sc_truth(v))) {
				free(v);
				s->ip = (unsigned int)in->target;
				jumps++;
				continue;
			}
			free(v);
			break;
		case SC_LOOP:
			s->ip = 0;
			jumps++;
			continue;
		case SC_STOP:
			ck_router_stop(e->r);
			s->how = SC_STOP;
			s->ip++;
			s->running = false;
			return;
		case SC_RETURN: case SC_END: case SC_EXIT: case SC_ERROR:
			if (op == SC_RETURN) {
				/* return keeps quotes; returnq removes them */
				free(s->retval);
				s->retval = sc_expand(e, in->rest);
				if (s->retval && in->unquote)
					s->retval = unquote(s->retval);
			} else if (op == SC_ERROR) {
				/* goto error: no message of its own */
				v = in->op == SC_ERROR ? unquote(sc_expand(e, in->rest)) : NULL;
				fprintf(ck_errf(e->r), "%s: %s: %s\n", e->landmark, e->name,
					v && *v ? v : "error");
				free(v);
			}
			finished(e, op);
			break;
		}
		if (!s->done)
			s->ip++;
	}
	s->running = false;
}

static void
sc_timer(struct ck_element *e, struct ck_timer *t)
{
	(void)t;
	sc_step(e);
}

/* Set init/export variables; start ACTIVE and DRIVER scripts (a timer due
 * now, so every element is ready first). Returns 0 or -ENOMEM. */
int
sc_initialize(struct ck_element *e)
{
	struct script *s = CK_PRIV(e, struct script);

	ck_timer_init(e, &s->timer, sc_timer);
	for (unsigned int i = 0; i < s->n; i++) {
		struct sc_insn *in = &s->in[i];
		char *v;

		if (in->op != SC_INIT && in->op != SC_EXPORT)
			continue;
		v = sc_expand(e, in->rest);
		if (v && in->unquote)
			v = unquote(v);
		if (!v || sc_var_set(s, in->word, v) < 0) {
			free(v);
			return ck_error(e, "out of memory");
		}
		free(v);
		if (in->op == SC_EXPORT)
			for (unsigned int k = 0; k < s->nvars; k++)
				if (strcmp(s->vars[k].name, in->word) == 0)
					s->vars[k].exported = true;
	}
	if (s->type == SC_ACTIVE || s->type == SC_DRIVER)
		ck_timer_schedule_after(&s->timer, 0);
	else
		s->done = true; /* until `run` (PACKET: or a packet; SIGNAL: or a signal) */
	for (unsigned int i = 0; s->type == SC_SIGNAL && i < s->nsignos; i++) {
		int rc = ck_signal_watch(e, s->signos[i]);

		if (rc < 0)
			return ck_error(e, "cannot take signal %d: %s", s->signos[i],
					strerror(-rc));
	}
	return 0;
}

/* A driver stop event (DRIVER): a `pause` may go on. */
void
sc_stop_event(struct ck_element *e)
{
	struct script *s = CK_PRIV(e, struct script);

	s->events++;
	if (s->waiting > 0 && !s->waiting_time)
		sc_step(e);
}

/* Run the script from the start, a wait or pause it was in forgotten. */
static void
restart(struct ck_element *e)
{
	struct script *s = CK_PRIV(e, struct script);

	free(s->retval);
	s->retval = NULL;
	s->ip = 0;
	s->done = false;
	s->how = SC_PAUSE;
	s->waiting = 0;
	s->waiting_time = false;
	ck_timer_unschedule(&s->timer);
	sc_step(e);
}

/* Run the script from the start (PASSIVE/PROXY, `run`): $0 and $args set. */
static void
run_from_start(struct ck_element *e, const char *name, const char *args)
{
	struct script *s = CK_PRIV(e, struct script);

	if (s->running)
		return;
	sc_var_set(s, "0", name);
	sc_var_set(s, "args", args);
	restart(e);
}

/* SIGNAL: one of the script's signals came (from the router's loop): it
 * runs from the start as a write of `run` would. Returns 0, or -EIO when it
 * ended with `error` (the signal was not handled). */
static int
sc_signal(struct ck_element *e, int signo)
{
	struct script *s = CK_PRIV(e, struct script);

	(void)signo;
	run_from_start(e, "run", "");
	return s->done && s->how == SC_ERROR ? -EIO : 0;
}

/* run [ARGS] (read): runs the script with $args (and $1, $2, ...) = ARGS;
 * the value is what `return` gave. */
static int
h_run_read(struct ck_element *e, const struct ck_handler *h, const char *param, FILE *f,
	   FILE *errf)
{
	struct script *s = CK_PRIV(e, struct script);

	(void)errf;
	run_from_start(e, h->name, param);
	if (s->retval && *s->retval)
		fprintf(f, "%s\n", s->retval);
	else if (s->type == SC_PACKET && s->how == SC_END)
		fprintf(f, "0\n"); /* the output `end` sends a packet to, as Click's */
	return 0;
}

/* run (write): as Click's, the write's status ($? of a script that wrote
 * it) is -1 (-EPERM) when the run ended with `error`, 1 with `stop`, else 0. */
static int
h_run_write(struct ck_element *e, const struct ck_handler *h, const char *value, FILE *errf)
{
	struct script *s = CK_PRIV(e, struct script);

	(void)errf;
	if (s->running)
		return 0; /* a handler the script called wrote it: no recursion */
	run_from_start(e, h->name, value);
	if (s->done && s->how == SC_ERROR)
		return -EPERM;
	return s->how == SC_STOP ? 1 : 0;
}

static int
h_step(struct ck_element *e, const struct ck_handler *h, const char *value, FILE *errf)
{
	struct script *s = CK_PRIV(e, struct script);
	int64_t n = 1;

	(void)h;
	if (*value && (ck_parse_int(value, &n) < 0 || n < 0)) {
		if (errf)
			fprintf(errf, "%s.step: bad count '%s'\n", e->name, value);
		return -EINVAL;
	}
	s->events += (uint64_t)n;
	if (s->waiting_time && s->events > 0 && !s->running) {
		/* as Click's: a step ends a `wait TIME` at once */
		s->events--;
		ck_timer_unschedule(&s->timer);
		sc_step(e);
	} else if (s->waiting > 0 && !s->waiting_time) {
		sc_step(e);
	}
	return 0;
}

static int
h_var_read(struct ck_element *e, const struct ck_handler *h, FILE *f)
{
	const char *v = sc_var_get(CK_PRIV(e, struct script), h->name);

	fprintf(f, "%s\n", v ? v : "");
	return 0;
}

static int
h_var_write(struct ck_element *e, const struct ck_handler *h, const char *value, FILE *errf)
{
	(void)errf;
	return sc_var_set(CK_PRIV(e, struct script), h->name, value);
}

/* The first word of @s (quotes kept whole) into *@w (malloc'ed, NULL when
 * none); returns the rest, its leading spaces skipped. */
static const char *
shift_word(const char *s, char **w)
{
	const char *b;

	s += strspn(s, " \t\r\n");
	b = s;
	while (*s && !isspace((unsigned char)*s)) {
		char q = *s;

		if (q != '"' && q != '\'') {
			s++;
			continue;
		}
		for (s++; *s && *s != q; s++)
			if (q == '"' && *s == '\\' && s[1])
				s++;
		if (*s)
			s++;
	}
	*w = s > b ? strndup(b, (size_t)(s - b)) : NULL;
	return s + strspn(s, " \t\r\n");
}

/* The value of variable @name for get/set/shift: `args` is the run's
 * arguments (empty before any run); another unset name is an error. */
static int
var_lookup(struct script *s, const char *name, const char **v, FILE *errf)
{
	*v = sc_var_get(s, name);
	if (!*v && strcmp(name, "args") == 0)
		*v = "";
	if (!*v) {
		if (errf)
			fprintf(errf, "undefined variable '%s'\n", name);
		return -EINVAL;
	}
	return 0;
}

/* get VAR (r, a parameter): VAR's value; shift [VAR] (r): VAR's first word
 * (quotes kept), removed from it, VAR `args` when not given; as Click's. */
static int
h_get_shift(struct ck_element *e, const struct ck_handler *h, const char *param, FILE *f,
	    FILE *errf)
{
	struct script *s = CK_PRIV(e, struct script);
	bool shift = strcmp(h->name, "shift") == 0;
	char *name = NULL, *word = NULL, *val = NULL;
	const char *rest = shift_word(param, &name), *v;
	int rc = -EINVAL;

	if (!name && shift)
		name = strdup("args");
	if (!name) {
		if (errf)
			fprintf(errf, "no variable\n");
	} else if (*rest) {
		if (errf)
			fprintf(errf, "too many arguments\n");
	} else if (var_lookup(s, name, &v, errf) == 0) {
		rc = 0;
		if (!shift) {
			fprintf(f, "%s\n", v);
		} else if ((val = strdup(shift_word(v, &word))) == NULL) {
			rc = -ENOMEM;
		} else {
			fprintf(f, "%s\n", word ? word : "");
			rc = sc_var_set(s, name, val);
		}
	}
	free(name);
	free(word);
	free(val);
	return rc;
}

/* set VAR VALUE (w): VAR (created when unset) becomes VALUE, as Click's. */
static int
h_set(struct ck_element *e, const struct ck_handler *h, const char *value, FILE *errf)
{
	char *name = NULL;
	const char *rest = shift_word(value, &name);
	int rc;

	(void)h;
	if (!name) {
		if (errf)
			fprintf(errf, "no variable\n");
		return -EINVAL;
	}
	rc = sc_var_set(CK_PRIV(e, struct script), name, rest);
	free(name);
	return rc;
}

/* An operator of $(...) as a read handler with a parameter, as in Click. */
#define SC_OP(n) { n, CK_H_READ | CK_H_READ_PARAM, NULL, NULL, 0, sc_op_read }

const struct ck_handler sc_handlers[] = {
	{ "run", CK_H_READ | CK_H_WRITE | CK_H_READ_PARAM | CK_H_SIDE_EFFECT, NULL, h_run_write, 0,
	  h_run_read },
	SC_OP("add"), SC_OP("sub"), SC_OP("mul"), SC_OP("div"), SC_OP("idiv"), SC_OP("mod"),
	SC_OP("rem"), SC_OP("neg"), SC_OP("abs"), SC_OP("min"), SC_OP("max"), SC_OP("eq"),
	SC_OP("ne"), SC_OP("lt"), SC_OP("gt"), SC_OP("le"), SC_OP("ge"), SC_OP("not"),
	SC_OP("and"), SC_OP("or"), SC_OP("if"), SC_OP("length"), SC_OP("htonl"), SC_OP("ntohl"),
	SC_OP("htons"), SC_OP("ntohs"),
	{ "step", CK_H_WRITE, NULL, h_step, 0, NULL },
	{ "get", CK_H_READ | CK_H_READ_PARAM, NULL, NULL, 0, h_get_shift },
	{ "shift", CK_H_READ | CK_H_READ_PARAM | CK_H_SIDE_EFFECT, NULL, NULL, 0, h_get_shift },
	{ "set", CK_H_WRITE, NULL, h_set, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

/* An exported variable's handler, or (PROXY) any other name's: the one
 * handler struct of the element, valid until the next lookup. */
const struct ck_handler *
sc_lookup_handler(struct ck_element *e, const char *name)
{
	struct script *s = CK_PRIV(e, struct script);
	bool exported = false;

	for (unsigned int i = 0; i < s->nvars; i++)
		if (s->vars[i].exported && strcmp(s->vars[i].name, name) == 0)
			exported = true;
	if (!exported && s->type != SC_PROXY)
		return NULL;
	free(s->hname);
	s->hname = strdup(name);
	if (!s->hname)
		return NULL;
	s->h = exported ?
		(struct ck_handler){ s->hname, CK_H_READ | CK_H_WRITE, h_var_read, h_var_write, 0,
				     NULL } :
		(struct ck_handler){ s->hname, CK_H_READ | CK_H_WRITE | CK_H_READ_PARAM |
				     CK_H_SIDE_EFFECT, NULL, h_run_write, 0, h_run_read };
	return &s->h;
}

/* A "NAME<TAB>rw" line per exported variable. */
void
sc_list_handlers(struct ck_element *e, FILE *f)
{
	struct script *s = CK_PRIV(e, struct script);

	for (unsigned int i = 0; i < s->nvars; i++)
		if (s->vars[i].exported)
			fprintf(f, "%s\trw\n", s->vars[i].name);
}

/* Free what configure and the runs allocated. */
void
sc_cleanup(struct ck_element *e)
{
	struct script *s = CK_PRIV(e, struct script);

	for (unsigned int i = 0; s->in && i < s->n; i++) {
		free(s->in[i].word);
		free(s->in[i].rest);
	}
	free(s->in);
	for (unsigned int i = 0; i < s->nvars; i++) {
		free(s->vars[i].name);
		free(s->vars[i].val);
	}
	free(s->vars);
	free(s->retval);
	free(s->hname);
}

/*
 * A PACKET script's run for a packet from input @port ($input): the output
 * it goes to, as Click's: 0 after `end` (or the last instruction), the
 * value of `return` when it is a number; -1 (dropped) after `exit`, `error`,
 * `stop`, a `return` that is no number, a wait or pause, too many jumps, or
 * when the packet came while the script was running already (a handler it
 * called pushed it).
 */
static int64_t
packet_run(struct ck_element *e, unsigned int port)
{
	struct script *s = CK_PRIV(e, struct script);
	char in[16];
	int64_t out = -1;

	if (s->running)
		return -1;
	snprintf(in, sizeof(in), "%u", port);
	if (sc_var_set(s, "input", in) < 0)
		return -1;
	restart(e);
	if (s->how == SC_END)
		out = 0;
	else if (s->how != SC_RETURN || !s->retval || ck_parse_int(s->retval, &out) < 0)
		out = -1;
	return out;
}

/* PACKET: the script runs for each packet and picks its output (a killed
 * packet is counted as the element's drop); DriverManager: packets pass
 * from input i to output i. */
void
sc_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	int64_t out = port;

	if (CK_PRIV(e, struct script)->type == SC_PACKET)
		out = packet_run(e, port);
	if (out < 0 || out >= e->nout)
		ck_pkt_kill(e, p);
	else
		ck_push_out(e, (unsigned int)out, p);
}

/* A pull on output @port pulls input @port (only port 0 is ever pull:
 * "ah/ah"); PACKET: the packet is returned when the script picks @port,
 * pushed when it picks another push output, else killed. */
struct ck_pkt *
sc_pull(struct ck_element *e, unsigned int port)
{
	struct ck_pkt *p = ck_pull_in(e, port);
	int64_t out;

	if (!p || CK_PRIV(e, struct script)->type != SC_PACKET)
		return p;
	out = packet_run(e, port);
	if (out == port)
		return p;
	if (out < 0 || out >= e->nout || e->out_kind[out] != CK_PUSH)
		ck_pkt_kill(e, p);
	else
		ck_push_out(e, (unsigned int)out, p);
	return NULL;
}

static int
script_configure(struct ck_element *e)
{
	return sc_configure(e, true);
}

const struct ck_element_class ck_class_Script = {
	.name = "Script", .ports = "-/-", .processing = "ah/ah", .flow = "#/#",
	.priv_size = sizeof(struct script), .configure = script_configure,
	.initialize = sc_initialize, .push = sc_push, .pull = sc_pull,
	.stop_event = sc_stop_event, .signal = sc_signal, .cleanup = sc_cleanup,
	.handlers = sc_handlers, .lookup_handler = sc_lookup_handler,
	.list_handlers = sc_list_handlers,
};
