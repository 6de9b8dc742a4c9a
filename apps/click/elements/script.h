/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * script.h — the control language Script and DriverManager share
 * (script.c runs it, script_expr.c expands $VAR and $(...)).
 */
#ifndef CK_SCRIPT_H
#define CK_SCRIPT_H

#include "ck_elem.h"

enum sc_type { SC_ACTIVE, SC_PASSIVE, SC_PROXY, SC_DRIVER, SC_PACKET, SC_SIGNAL };

enum sc_op {
	SC_SET, SC_INIT, SC_EXPORT, SC_PRINT, SC_PRINTN, SC_READ, SC_WRITE, SC_WAIT,
	SC_PAUSE, SC_LABEL, SC_GOTO, SC_LOOP, SC_END, SC_EXIT, SC_STOP, SC_RETURN, SC_ERROR,
};

struct sc_insn {
	enum sc_op op;
	char *word;   /* variable, label, handler or file (print >FILE) */
	char *rest;   /* expression, condition, arguments, text */
	bool append;  /* print >>FILE */
	bool unquote; /* setq, initq, returnq: the value's quotes removed */
	double t;     /* wait TIME */
	int64_t n;    /* pause N */
	int target;   /* goto: the label's index */
	enum sc_op jump; /* goto end, exit, stop or error (no such label): that
			  * instruction; else SC_GOTO */
};

struct sc_var {
	char *name, *val;
	bool exported;
};

struct script {
	enum sc_type type;
	struct sc_insn *in;
	unsigned int n, ip;
	struct sc_var *vars;
	unsigned int nvars;
	int64_t waiting;    /* pause: events still awaited */
	uint64_t events;    /* stop events (DRIVER) and `step` writes not consumed */
	bool waiting_time, running, done;
	char *retval;       /* `return VALUE` of the last run */
	int write_status;   /* $?: the last `write`'s result (0 or a negative errno) */
	enum sc_op how;     /* how the last run ended: SC_END (also off the end),
			     * SC_EXIT, SC_RETURN, SC_ERROR, SC_STOP; SC_PAUSE
			     * while it waits */
	struct ck_timer timer;
	struct ck_handler h;  /* what lookup_handler hands out (one at a time) */
	char *hname;
	int signos[CK_SIG_MAX]; /* SIGNAL: the signals that run it */
	unsigned int nsignos;
};

/* Parse e->config as instructions (after an optional TYPE argument when
 * @typed); DriverManager's default when empty. Returns 0 or -EINVAL. */
int sc_configure(struct ck_element *e, bool typed);
/* Set `init`/`export` variables; start an ACTIVE or DRIVER script; a
 * SIGNAL one watches its signals. Returns 0 or a negative errno. */
int sc_initialize(struct ck_element *e);
void sc_stop_event(struct ck_element *e);
void sc_cleanup(struct ck_element *e);
void sc_push(struct ck_element *e, unsigned int port, struct ck_pkt *p);
struct ck_pkt *sc_pull(struct ck_element *e, unsigned int port);
const struct ck_handler *sc_lookup_handler(struct ck_element *e, const char *name);
/* The handlers handler's lines for the exported variables. */
void sc_list_handlers(struct ck_element *e, FILE *f);
extern const struct ck_handler sc_handlers[];

/* Variables. */
const char *sc_var_get(const struct script *s, const char *name);
int sc_var_set(struct script *s, const char *name, const char *val);
/* @text with $VAR, ${VAR} and $(...) expanded (malloc'ed), NULL on no memory. */
char *sc_expand(struct ck_element *e, const char *text);
/* Whether expanded @text is true (true, yes, t, y, 1, whole, or a non-zero
 * number). */
bool sc_truth(const char *text);
/* Call the read handler @call names ("[ELEM.]HANDLER [PARAM]", a name
 * without a dot being this script's own handler when it has it, else a
 * router handler), the parameter's quotes removed when @unquote_param.
 * Returns the value (malloc'ed) and, when @name is not NULL, the handler's
 * full name in *@name (malloc'ed); NULL after reporting the error. */
char *sc_call_read(struct ck_element *e, const char *call, bool unquote_param, char **name);
/* @name as the script's handler calls name it (malloc'ed, NULL on no
 * memory): a name without a dot is the script's own handler when it has one. */
char *sc_handler_name(struct ck_element *e, const char *name);
/* Write "While calling 'CALL':" and the handler's messages @msg, indented,
 * as Click reports a handler's errors; nothing when @msg is empty. */
void sc_report(struct ck_element *e, const char *call, const char *msg);
/* Script's operators as read handlers with a parameter (`s.add 1 2`). */
int sc_op_read(struct ck_element *e, const struct ck_handler *h, const char *param, FILE *f,
	       FILE *errf);

#endif /* CK_SCRIPT_H */
