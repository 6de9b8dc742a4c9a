/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvm-click's Script and DriverManager (elements/script.c, script_expr.c),
 * offline on the simulated clock: one test per instruction or type, the
 * configurations read by the real front end, the script's output (print,
 * read) and errors captured. Expected values are worked out by hand from
 * Click's Script documentation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>

#include "click_test.h"

struct srun {
	struct ck_platform plat;
	struct ck_graph *g;
	struct ck_router *r;
	char *out, *err;
	size_t out_len, err_len;
	FILE *outf, *errf;
};

/* Parse and initialise @text ("t.click"); 0, or -1 with the errors in x->err. */
static int
sstart(struct srun *x, const char *text)
{
	memset(x, 0, sizeof(*x));
	x->outf = open_memstream(&x->out, &x->out_len);
	x->errf = open_memstream(&x->err, &x->err_len);
	x->plat = *ck_offline_platform();
	x->plat.simtime = true;
	x->g = ck_graph_parse(text, "t.click", NULL, 0, x->errf);
	if (x->g)
		x->r = ck_router_new(x->g, &x->plat, x->errf);
	fflush(x->errf);
	if (!x->r)
		return -1;
	ck_router_set_output(x->r, x->outf);
	ck_router_set_chatter(x->r, x->outf);
	return 0;
}

static const char *
sout(struct srun *x)
{
	fflush(x->outf);
	return x->out ? x->out : "";
}

static const char *
serr(struct srun *x)
{
	fflush(x->errf);
	return x->err ? x->err : "";
}

static char *
sread(struct srun *x, const char *spec)
{
	char *v = ck_handler_read_str(x->r, spec);

	assert_non_null(v);
	return v;
}

static void
sfinish(struct srun *x)
{
	ck_router_free(x->r);
	ck_graph_free(x->g);
	fclose(x->outf);
	fclose(x->errf);
	free(x->out);
	free(x->err);
}

static void
run_text(const char *text, const char *expect_out)
{
	struct srun x;

	assert_int_equal(sstart(&x, text), 0);
	ck_router_run(x.r);
	assert_string_equal(sout(&x), expect_out);
	assert_string_equal(serr(&x), "");
	sfinish(&x);
}

/* set, print, $VAR and ${VAR}, printn, quotes removed from print's text */
static void
test_set_print(void **state)
{
	(void)state;
	run_text("Script(set a 5, set b ${a}0, print \"a=$a b=$b\", printn \"x\", print \"y\","
		 " print $a)",
		 "a=5 b=50\nxy\n5\n");
}

/* save H [ARGS] FILE ("-": standard output), setq/initq unquote their
 * value, writeq/readq/printq are write/read/print */
static void
test_save_quoted(void **state)
{
	struct srun x;

	(void)state;
	assert_int_equal(sstart(&x, "s :: InfiniteSource(LIMIT 3, STOP true) -> c :: Counter"
				    " -> Discard;\nDriverManager(pause, save c.count -, setq x \"a b\","
				    " set y \"a b\", printq $x|$y, initq z \"q\", printq $z,"
				    " writeq c.reset \"\", readq c.count, append c.count -)"), 0);
	ck_router_run(x.r);
	assert_string_equal(sout(&x), "3\na b|\"a b\"\nq\n0\n");
	assert_string_equal(serr(&x), "c.count:\n0\n");
	sfinish(&x);
}

/* As Click: sub, div and idiv fold any number of operands; htonl, ntohl,
 * htons, ntohs swap bytes on a little-endian host; mod takes two */
static void
test_nary_byteorder(void **state)
{
	struct srun x;

	(void)state;
	assert_int_equal(sstart(&x, "Script(print $(sub 10 2 2) $(div 75 2.5 5) $(idiv 60 2 5)"
				    " $(htonl 1) $(ntohl 16777216) $(htons 1) $(ntohs 256),"
				    " print $(mod 7 2 1))"), 0);
	ck_router_run(x.r);
	if (htonl(1) == 1)
		assert_string_equal(sout(&x), "6 6 6 1 16777216 1 256\n\n");
	else
		assert_string_equal(sout(&x), "6 6 6 16777216 1 256 1\n\n");
	assert_string_equal(serr(&x), "t.click:1: Script@1: bad expression '$(mod 7 2 1)'\n");
	sfinish(&x);
}

/* As Click: print's text that starts with a letter, '@' or '_' calls a read
 * handler (a newline added unless the value has one); read writes the
 * handler's name and value on standard error; an unknown handler is an
 * error, nothing printed */
static void
test_print_handler(void **state)
{
	struct srun x;

	(void)state;
	assert_int_equal(sstart(&x, "s :: InfiniteSource(LIMIT 3, STOP true) -> c :: Counter"
				    " -> Discard;\nDriverManager(pause, print c.count, printn c.count,"
				    " print >/dev/null c.count, read c.count, print nosuch.h, print"
				    " \"c.count\", stop)"), 0);
	ck_router_run(x.r);
	assert_string_equal(sout(&x), "3\n3c.count\n");
	assert_string_equal(serr(&x), "c.count:\n3\n"
			    "t.click:2: DriverManager@4: no read handler 'nosuch.h'\n");
	sfinish(&x);
}

/* $(...) arithmetic and comparisons (integers stay integers) */
static void
test_expressions(void **state)
{
	(void)state;
	run_text("Script(print $(add 1 2 3) $(sub 10 4) $(mul 6 7) $(div 7 2) $(idiv 7 2)"
		 " $(mod 7 3) $(neg 4) $(abs -3) $(min 4 2 9) $(max 4 2 9),"
		 " print $(eq 2 2) $(ne 2 2) $(lt 1 2) $(gt 1 2) $(le 2 2) $(ge 1 2) $(eq ab ab),"
		 " print $(not false) $(and true false) $(or false true) $(if true yes no)"
		 " $(if $(lt 3 1) yes no) $(add 1.5 1) $(add $(mul 2 3) 1))",
		 "6 6 42 3.5 3 1 -4 3 2 9\n"
		 "true false true false true false true\n"
		 "true false true yes no 2.5 7\n");
}

/* label and goto with a condition: a counted loop */
static void
test_label_goto(void **state)
{
	(void)state;
	run_text("Script(set i 0, label top, set i $(add $i 1), printn $i,"
		 " goto top $(lt $i 4), print, print \"end $i\")",
		 "1234\nend 4\n");
}

/* a condition is true as Click's BoolArg reads it (true, yes, t, y, 1, the
 * whole word) or a non-zero number: "t" jumps, "truex" and "5abc" do not */
static void
test_goto_conditions(void **state)
{
	(void)state;
	run_text("Script(goto a t, print \"no t\", label a, goto b y, print \"no y\", label b,"
		 " goto c $(add 2 3), print \"no 5\", label c, goto d truex, print \"truex\","
		 " label d, goto e 5abc, print \"5abc\", label e, goto f TRUE, print \"TRUE\","
		 " label f, print $(not t) $(and y 1) $(if yesterday a b))",
		 "truex\n5abc\nTRUE\nfalse true b\n");
}

/* loop goes back to the first instruction; end stops the script */
static void
test_loop_end(void **state)
{
	(void)state;
	run_text("Script(init n 0, set n $(add $n 1), goto out $(ge $n 3), loop,"
		 " label out, print \"n=$n\", end, print never)",
		 "n=3\n");
}

/* init runs once, before the script: a loop does not reset it */
static void
test_init(void **state)
{
	(void)state;
	run_text("Script(init k 10, set k $(add $k 1), goto done $(ge $k 12), loop,"
		 " label done, print $k)",
		 "12\n");
}

/* read and write handlers of other elements, $(ELEM.HANDLER) */
static void
test_read_write(void **state)
{
	(void)state;
	run_text("s :: InfiniteSource(LIMIT 5, STOP true) -> c :: Counter -> Discard;\n"
		 "DriverManager(pause, print \"got $(c.count)\","
		 " write c.reset, print $(c.count), stop)",
		 "got 5\n0\n");
}

/* wait TIME, then write: a Counter reset after 1 s of a 10 pps source */
static void
test_wait_write_reset(void **state)
{
	struct srun x;
	char *v;

	(void)state;
	assert_int_equal(sstart(&x, "s :: RatedSource(\\<00>, 10) -> c :: Counter -> Discard;\n"
				    "Script(wait 1s, write c.reset, wait 0.5s, stop)"), 0);
	ck_router_run(x.r);
	v = sread(&x, "c.count");
	assert_in_range(strtol(v, NULL, 10), 5, 6);
	free(v);
	v = sread(&x, "s.count");
	assert_in_range(strtol(v, NULL, 10), 15, 16);
	free(v);
	sfinish(&x);
}

/* pause waits for `step` writes (ACTIVE); export makes a variable a handler */
static void
test_pause_step_export(void **state)
{
	struct srun x;
	char *v;

	(void)state;
	assert_int_equal(sstart(&x, "s :: Script(export v 1, pause, set v 2, pause 2, set v 3)"),
			 0);
	ck_router_run(x.r); /* to the first pause */
	v = sread(&x, "s.v");
	assert_string_equal(v, "1\n");
	free(v);
	assert_int_equal(ck_handler_write(x.r, "s.step", "", NULL), 0);
	v = sread(&x, "s.v");
	assert_string_equal(v, "2\n");
	free(v);
	assert_int_equal(ck_handler_write(x.r, "s.step", "1", NULL), 0);
	v = sread(&x, "s.v");
	assert_string_equal(v, "2\n"); /* one of two */
	free(v);
	assert_int_equal(ck_handler_write(x.r, "s.step", "1", NULL), 0);
	v = sread(&x, "s.v");
	assert_string_equal(v, "3\n");
	free(v);
	assert_int_equal(ck_handler_write(x.r, "s.v", "hello", NULL), 0);
	v = sread(&x, "s.v");
	assert_string_equal(v, "hello\n");
	free(v);
	assert_int_equal(ck_handler_write(x.r, "s.step", "x", NULL), -EINVAL);
	sfinish(&x);
}

/* PASSIVE runs on `run` and returns its value; variables persist */
static void
test_passive_return(void **state)
{
	struct srun x;
	char *v;

	(void)state;
	assert_int_equal(sstart(&x, "s :: Script(TYPE PASSIVE, init n 0,"
				    " set n $(add $n 1), return $(mul $n 10), print never)"), 0);
	ck_router_run(x.r);
	assert_string_equal(sout(&x), ""); /* a PASSIVE script does not start */
	v = sread(&x, "s.run");
	assert_string_equal(v, "10\n");
	free(v);
	v = sread(&x, "s.run");
	assert_string_equal(v, "20\n");
	free(v);
	assert_string_equal(sout(&x), "");
	sfinish(&x);
}

/* PROXY: any handler name runs the script with $0 and $args */
static void
test_proxy(void **state)
{
	struct srun x;
	char *v;

	(void)state;
	assert_int_equal(sstart(&x, "p :: Script(TYPE PROXY, print \"$0 <$args>\", return $0!)"),
			 0);
	v = sread(&x, "p.hello");
	assert_string_equal(v, "hello!\n");
	free(v);
	assert_int_equal(ck_handler_write(x.r, "p.frob", "1 2", NULL), 0);
	assert_string_equal(sout(&x), "hello <>\nfrob <1 2>\n");
	sfinish(&x);
}

/* TYPE DRIVER steps on stop events like DriverManager; the run ends with it */
static void
test_driver(void **state)
{
	(void)state;
	run_text("a :: InfiniteSource(LIMIT 2, STOP true) -> ca :: Counter -> Discard;\n"
		 "b :: InfiniteSource(LIMIT 6, STOP true) -> cb :: Counter -> Discard;\n"
		 "Script(TYPE DRIVER, pause, print $(ca.count) $(cb.count), pause,"
		 " print $(ca.count) $(cb.count))",
		 "2 2\n2 6\n");
	/* without a driver the first source to finish ends the run */
	run_text("a :: InfiniteSource(LIMIT 2, STOP true) -> ca :: Counter -> Discard;\n"
		 "b :: InfiniteSource(LIMIT 6, STOP true) -> cb :: Counter -> Discard;\n"
		 "Script(wait 1, print $(ca.count) $(cb.count))",
		 "");
}

/* stop ends the run (DriverManager-like `wait; stop`) before the next instruction */
static void
test_stop(void **state)
{
	struct srun x;

	(void)state;
	assert_int_equal(sstart(&x, "i :: RatedSource(\\<00>, 100) -> c :: Counter -> Discard;\n"
				    "Script(wait 2s, stop, print never)"), 0);
	ck_router_run(x.r);
	assert_true(ck_router_stopped(x.r));
	assert_string_equal(sout(&x), "");
	sfinish(&x);
}

/* a loop without wait gives up after 1000 jumps (Click's limit), and the
 * router goes on: a counted loop of 999 jumps runs to its end */
static void
test_endless_loop_gives_up(void **state)
{
	static const struct {
		const char *text, *out, *err;
	} cases[] = {
		{ "s0 :: Script(label a, goto a); s1 :: Script(wait 0.01, print \"after\", stop)",
		  "after\n", "s0 :: Script: too many jumps, giving up\n" },
		{ "Script(set i 0, label a, set i $(add $i 1), goto a $(lt $i 1000), print $i)",
		  "1000\n", "" },
		{ "Script(set i 0, label a, set i $(add $i 1), goto a $(lt $i 1001), print $i)",
		  "", "Script@1 :: Script: too many jumps, giving up\n" },
	};
	struct srun x;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sstart(&x, cases[i].text), 0);
		ck_router_run(x.r);
		assert_string_equal(sout(&x), cases[i].out);
		assert_string_equal(serr(&x), cases[i].err);
		sfinish(&x);
	}
}

/* errors: FILE:LINE, the element, what is wrong */
static void
test_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "\n\nScript(print 1, frobnicate 2)",
		  "t.click:3: While configuring 'Script@1 :: Script': unknown instruction 'frobnicate'\n" },
		{ "Script(goto nowhere)",
		  "t.click:1: While configuring 'Script@1 :: Script': no label 'nowhere'\n" },
		{ "Script(TYPE SIGNAL, print 1)",
		  "t.click:1: While configuring 'Script@1 :: Script': TYPE SIGNAL needs a signal\n" },
		{ "Script(TYPE SIGNAL USR1 SIGWOMBAT, print 1)",
		  "t.click:1: While configuring 'Script@1 :: Script': unknown signal 'SIGWOMBAT' (a name such as INT, SIGTERM or USR1, or a number from 1 to 31)\n" },
		{ "Script(TYPE SIGNAL 32, print 1)",
		  "t.click:1: While configuring 'Script@1 :: Script': unknown signal '32' (a name such as INT, SIGTERM or USR1, or a number from 1 to 31)\n" },
		{ "Script(TYPE SIGNAL SIGKILL, print 1)",
		  "t.click:1: While configuring 'Script@1 :: Script': signal 'SIGKILL' cannot be taken by a script\n" },
		{ "Script(TYPE SIGNAL STOP, print 1)",
		  "t.click:1: While configuring 'Script@1 :: Script': signal 'STOP' cannot be taken by a script\n" },
		{ "Idle -> Script(TYPE SIGNAL INT, print 1) -> Idle",
		  "t.click:1: While configuring 'Script@2 :: Script': ports allowed only on PACKET scripts\n" },
		{ "Script(TYPE WHENEVER, print 1)",
		  "t.click:1: While configuring 'Script@1 :: Script': TYPE WHENEVER not supported (ACTIVE, PASSIVE, PROXY, DRIVER, PACKET, SIGNAL)\n" },
		{ "Script(TYPE ACTIVE now, print 1)",
		  "t.click:1: While configuring 'Script@1 :: Script': TYPE ACTIVE takes no more words ('now')\n" },
		{ "Idle -> Script(TYPE PACKET 1) -> Idle",
		  "t.click:1: While configuring 'Script@2 :: Script': TYPE PACKET takes no more words ('1')\n" },
		{ "Script(wait soon)",
		  "t.click:1: While configuring 'Script@1 :: Script': bad time 'soon'\n" },
		{ "Script(set x)",
		  "t.click:1: While configuring 'Script@1 :: Script': 'set x' needs a value\n" },
		{ "Script(pause -1)",
		  "t.click:1: While configuring 'Script@1 :: Script': bad count '-1'\n" },
		{ "DriverManager(stop); Script(TYPE DRIVER, stop)",
		  "t.click:1: While configuring 'Script@2 :: Script': a router has at most one DriverManager or DRIVER script\n" },
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct srun x;
		char want[512];

		assert_int_equal(sstart(&x, cases[i].text), -1);
		snprintf(want, sizeof(want), "%sRouter could not be initialized!\n", cases[i].msg);
		assert_string_equal(serr(&x), want);
		sfinish(&x);
	}
}

static volatile sig_atomic_t kept_calls;

static void
kept_handler(int sig)
{
	(void)sig;
	kept_calls++;
}

/* The action SIGUSR2 has now. */
static void (*usr2_action(void))(int)
{
	struct sigaction sa;

	assert_int_equal(sigaction(SIGUSR2, NULL, &sa), 0);
	return sa.sa_handler;
}

/* A script's output stream that raises SIGUSR2 at its first write: a
 * signal that comes while the script runs. */
struct raising_out {
	FILE *to;
	int raised;
};

static ssize_t
raising_write(void *cookie, const char *buf, size_t len)
{
	struct raising_out *o = cookie;

	fwrite(buf, 1, len, o->to);
	if (!o->raised++)
		raise(SIGUSR2);
	return (ssize_t)len;
}

static FILE *
raising_stream(struct raising_out *o, FILE *to)
{
	cookie_io_functions_t io = { .write = raising_write };

	o->to = to;
	o->raised = 0;
	return fopencookie(o, "w", io);
}

/* TYPE SIGNAL, as Click's: the script runs from the router's loop after its
 * signal came (not from the handler), once for signals that came together;
 * after `end` (or its last instruction) it takes the signal again, and one
 * that came during its run runs it once more, after it; after `exit` the
 * action the process had before has the signal again, and gets one that came
 * during the run; after `error` it gets the signal the script had; the
 * router going gives the signal back too */
static void
test_signal(void **state)
{
	struct sigaction sa = { .sa_handler = kept_handler };
	struct raising_out ro;
	struct srun x;
	FILE *f;

	(void)state;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR2, &sa, NULL), 0);
	kept_calls = 0;
	assert_int_equal(sstart(&x, "Script(TYPE SIGNAL SIGUSR2 USR2 12, init n 0,"
				    " set n $(add $n 1), print \"run $n\")"), 0);
	assert_true(usr2_action() != kept_handler);
	raise(SIGUSR2);
	raise(SIGUSR2);
	assert_string_equal(sout(&x), ""); /* the handler only counts */
	assert_true(ck_router_run_once(x.r));
	assert_string_equal(sout(&x), "run 1\n");
	assert_false(ck_router_run_once(x.r));
	assert_string_equal(sout(&x), "run 1\n");
	raise(SIGUSR2);
	assert_true(ck_router_run_once(x.r));
	assert_string_equal(sout(&x), "run 1\nrun 2\n");
	assert_int_equal(kept_calls, 0);
	ck_router_free(x.r);
	x.r = NULL;
	assert_true(usr2_action() == kept_handler);
	sfinish(&x);

	/* a signal during the run: the script runs again, after it */
	assert_int_equal(sstart(&x, "Script(TYPE SIGNAL USR2, init n 0, set n $(add $n 1),"
				    " print \"run $n\", end)"), 0);
	f = raising_stream(&ro, x.outf);
	ck_router_set_output(x.r, f);
	raise(SIGUSR2);
	assert_true(ck_router_run_once(x.r));
	assert_int_equal(ro.raised, 1);
	assert_string_equal(sout(&x), "run 1\n");
	assert_true(ck_router_run_once(x.r));
	assert_string_equal(sout(&x), "run 1\nrun 2\n");
	assert_false(ck_router_run_once(x.r));
	assert_int_equal(kept_calls, 0);
	sfinish(&x);
	fclose(f);

	/* exit: the signal is no longer taken, the kept action has it */
	assert_int_equal(sstart(&x, "Script(TYPE SIGNAL USR2, print \"once\", exit)"), 0);
	raise(SIGUSR2);
	assert_true(ck_router_run_once(x.r));
	assert_true(usr2_action() == kept_handler);
	raise(SIGUSR2);
	assert_int_equal(kept_calls, 1);
	assert_false(ck_router_run_once(x.r));
	assert_string_equal(sout(&x), "once\n");
	sfinish(&x);
	assert_true(usr2_action() == kept_handler);

	/* exit, a signal during the run: it goes to the kept action after it */
	kept_calls = 0;
	assert_int_equal(sstart(&x, "Script(TYPE SIGNAL USR2, print \"once\", exit)"), 0);
	f = raising_stream(&ro, x.outf);
	ck_router_set_output(x.r, f);
	raise(SIGUSR2);
	assert_true(ck_router_run_once(x.r));
	assert_int_equal(kept_calls, 1);
	assert_string_equal(sout(&x), "once\n");
	sfinish(&x);
	fclose(f);

	/* error: the signal was not handled; the kept action gets it */
	kept_calls = 0;
	assert_int_equal(sstart(&x, "Script(TYPE SIGNAL USR2, print \"before\", error oops)"), 0);
	raise(SIGUSR2);
	assert_true(ck_router_run_once(x.r));
	assert_int_equal(kept_calls, 1);
	assert_string_equal(sout(&x), "before\n");
	assert_string_equal(serr(&x), "t.click:1: Script@1: oops\n");
	sfinish(&x);
	signal(SIGUSR2, SIG_DFL);
}

/* a bad expression or an unknown handler: a message at run time, no crash */
static void
test_runtime_errors(void **state)
{
	struct srun x;

	(void)state;
	assert_int_equal(sstart(&x, "Script(print [$(div 1 0)] [$(nosuch.count)] [$(add x)], end)"),
			 0);
	ck_router_run(x.r);
	assert_string_equal(sout(&x), "[] [] []\n");
	assert_string_equal(serr(&x), "t.click:1: Script@1: bad expression '$(div 1 0)'\n"
				      "t.click:1: Script@1: no read handler 'nosuch.count'\n"
				      "t.click:1: Script@1: bad expression '$(add x)'\n");
	sfinish(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_print),
		cmocka_unit_test(test_expressions),
		cmocka_unit_test(test_label_goto),
		cmocka_unit_test(test_goto_conditions),
		cmocka_unit_test(test_loop_end),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_print_handler),
		cmocka_unit_test(test_nary_byteorder),
		cmocka_unit_test(test_save_quoted),
		cmocka_unit_test(test_wait_write_reset),
		cmocka_unit_test(test_pause_step_export),
		cmocka_unit_test(test_passive_return),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_driver),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_endless_loop_gives_up),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_runtime_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
