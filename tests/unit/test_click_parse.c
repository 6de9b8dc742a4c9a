/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_click_parse — the Click language front end (apps/click/ck_*.c)
 * against CLICK-SCOPE §a: one test per statement rule of §a.2 (1-15), per
 * lexical item of §a.1 and per graph check of §a.3, each comparing the flat
 * configuration (`click -qo-` form) or the exact error messages with an
 * expectation written here by hand; malformed and random inputs give an
 * error and no crash; Click's own configurations in tests/click/conf/ parse
 * and check, or are refused only for classes outside ck_classes.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
#define CK_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CK_TEST_ASAN 1
#endif
#endif

#include "ck_graph.h"
#include "ck_priv.h"

/* Parse @text as file "config"; *@out gets the flat form or the errors (malloc'd). */
static struct ck_graph *
run_defs(const char *text, const char *file, const char *const *defs, unsigned int nb,
	 char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ck_graph *g;

	assert_non_null(f);
	g = ck_graph_parse(text, file, defs, nb, f);
	if (g)
		ck_graph_print(g, f);
	fclose(f);
	*out = buf;
	return g;
}

/* @text must check and print exactly @flat. */
static void
expect_flat_defs(const char *text, const char *const *defs, unsigned int nb, const char *flat)
{
	char *out;
	struct ck_graph *g = run_defs(text, "config", defs, nb, &out);

	if (!g || strcmp(out, flat) != 0)
		fprintf(stderr, "configuration:\n%s\nexpected:\n%s\ngot (%s):\n%s\n", text, flat,
			g ? "accepted" : "refused", out);
	assert_non_null(g);
	assert_string_equal(out, flat);
	ck_graph_free(g);
	free(out);
}

static void
expect_flat(const char *text, const char *flat)
{
	expect_flat_defs(text, NULL, 0, flat);
}

/* @text must be refused with exactly the messages @errs. */
static void
expect_errors(const char *text, const char *errs)
{
	char *out;
	struct ck_graph *g = run_defs(text, "config", NULL, 0, &out);

	if (g || strcmp(out, errs) != 0)
		fprintf(stderr, "configuration:\n%s\nexpected errors:\n%s\ngot (%s):\n%s\n", text,
			errs, g ? "accepted" : "refused", out);
	assert_null(g);
	assert_string_equal(out, errs);
	free(out);
}

/* §a.1: comments anywhere, identifiers with '/' and '@', line directives. */
static void
test_lexical(void **state)
{
	(void)state;
	expect_flat("// a comment\n/* another\n one */ a/b :: Idle /* here */ -> x@y :: Discard; // end",
		    "a/b :: Idle;\nx@y :: Discard;\n\na/b -> x@y;\n");
	expect_errors("Idle\n# 41 \"other.click\"\n-> x;\n#line 7 \"third.click\"\nIdle -> y;",
		      "other.click:41: undeclared element 'x'\nthird.click:7: undeclared element 'y'\n");
	/* blanks after '#'; "line" is a word of its own */
	expect_errors("Idle\n#  line 41 \"other.click\"\n-> x;\n#line7\nIdle -> y;",
		      "other.click:41: undeclared element 'x'\n"
		      "other.click:42: unknown preprocessor directive\n"
		      "other.click:43: undeclared element 'y'\n");
	/* an empty name is the file's own again; escaped characters of a name */
	expect_errors("# 5 \"a\\\\b\\\"c.click\"\nIdle -> x;\n# 20 \"\"\nIdle -> y;",
		      "a\\b\"c.click:5: undeclared element 'x'\nconfig:20: undeclared element 'y'\n");
	expect_errors("Idle -> Print(\"a)b\n", "config:1: unterminated configuration string\n");
	expect_errors("Idle -> /* never closed\nDiscard;", "config:1: unterminated comment\n");
	/* a line directive inside a configuration string leaves it and moves
	 * the landmarks */
	expect_flat("Idle -> Print(a,\n# 7 \"b.click\"\nb) -> Discard;",
		    "Idle@1 :: Idle;\nPrint@2 :: Print(a,\n\nb);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> Print@2;\nPrint@2 -> Discard@3;\n");
	expect_errors("Idle -> Print(a,\n# 7 \"b.click\"\nb) -> x;", "b.click:7: undeclared element 'x'\n");
	/* the configuration string is raw text balanced on parentheses */
	expect_flat("Idle -> Print(\"a, b) c\" /* ) */, (x), '(', \\<29>) -> Discard;",
		    "Idle@1 :: Idle;\nPrint@2 :: Print(\"a, b) c\" /* ) */, (x), '(', \\<29>);\n"
		    "Discard@3 :: Discard;\n\nIdle@1 -> Print@2;\nPrint@2 -> Discard@3;\n");
	/* a NUL byte is an error, not the end of the text */
	{
		static const char text[] = "Idle -> Discard;\nIdle ->\0 x;";
		char *buf = NULL;
		size_t blen = 0;
		FILE *f = open_memstream(&buf, &blen);

		assert_non_null(f);
		assert_null(ck_graph_parse_len(text, sizeof(text) - 1, "config", NULL, 0, f));
		fclose(f);
		assert_string_equal(buf, "config:2: NUL byte in the configuration\n");
		free(buf);
	}
	/* keywords are not names */
	expect_errors("define :: Idle;", "config:1: syntax error near '::' (expected '(')\n");
}

/* Rule 1: declarations, several names at once, redeclaration. */
static void
test_rule01_declaration(void **state)
{
	(void)state;
	expect_flat("q :: Queue; a, b, c :: Idle(); q2 :: Queue(20);\na -> q -> b; c -> q2 -> Discard;",
		    "q :: Queue;\na :: Idle;\nb :: Idle;\nc :: Idle;\nq2 :: Queue(20);\n"
		    "Discard@6 :: Discard;\n\nq -> b;\na -> q;\nc -> q2;\nq2 -> Discard@6;\n");
	/* on its own, "a, b :: C" declares a too, even when a exists */
	expect_errors("a :: Queue;\na, b :: Discard;",
		      "config:2: redeclaration of element 'a'\nconfig:1: element 'a' previously declared here\n");
	expect_flat("a :: Idle;\na, b :: Idle -> c :: Discard;",
		    "a :: Idle;\nb :: Idle;\nc :: Discard;\n\na -> c;\nb -> c;\n");
	/* on its own, a class name in the list would be declared too */
	expect_errors("elementclass D Discard;\na, D, b :: Idle;",
		      "config:2: class 'D' used as element name\n");
	/* a compound's input and output are no earlier declaration to point at */
	expect_errors("elementclass C {\n input -> output :: Null -> output }",
		      "config:2: redeclaration of element 'output'\n");
	expect_errors("x :: Idle;\n\nx :: Discard;",
		      "config:3: redeclaration of element 'x'\nconfig:1: element 'x' previously declared here\n");
	/* a name component of digits alone is refused; digits beside letters are not */
	expect_errors("123 :: Idle;", "config:1: element name '123' has all-digit component\n");
	expect_errors("Idle ->\n a/1 :: Discard;",
		      "config:2: element name 'a/1' has all-digit component\n");
	expect_flat("a1/2b :: Idle -> x9 :: Discard;",
		    "a1/2b :: Idle;\nx9 :: Discard;\n\na1/2b -> x9;\n");
}

/* Rule 2: declare before use. */
static void
test_rule02_undeclared(void **state)
{
	(void)state;
	expect_errors("Idle -> x;\nx :: Discard;", "config:1: undeclared element 'x'\n");
	/* an element is no class: its name takes no configuration */
	expect_errors("x :: Paint(1);\nIdle -> x(2) -> Discard;",
		      "config:2: configuration string ignored on element reference\n");
}

/* Rule 3: anonymous elements are Class@N, N counting every element of the scope. */
static void
test_rule03_anonymous(void **state)
{
	(void)state;
	expect_flat("InfiniteSource -> c :: Counter -> Discard;",
		    "InfiniteSource@1 :: InfiniteSource;\nc :: Counter;\nDiscard@3 :: Discard;\n\n"
		    "InfiniteSource@1 -> c;\nc -> Discard@3;\n");
	/* a clash takes the next free number */
	expect_flat("a :: Idle; Idle@3 :: Idle; Idle -> Discard; a -> Idle@3;",
		    "a :: Idle;\nIdle@3 :: Idle;\nIdle@4 :: Idle;\nDiscard@4 :: Discard;\n\n"
		    "a -> Idle@3;\nIdle@4 -> Discard@4;\n");
	/* also with a name declared after the anonymous element: the declared
	 * one keeps it, the anonymous one moves on past every declared name */
	expect_flat("Idle -> Discard; Discard@2 :: Idle -> Discard@3 :: Discard;",
		    "Idle@1 :: Idle;\nDiscard@4 :: Discard;\nDiscard@2 :: Idle;\n"
		    "Discard@3 :: Discard;\n\nIdle@1 -> Discard@4;\nDiscard@2 -> Discard@3;\n");
	/* an anonymous element is no name a reference can use */
	expect_errors("Idle -> Discard; Idle@1 -> Discard;",
		      "config:1: unknown element class 'Idle@1'\n");
	/* inside a compound, input and output are not counted */
	expect_flat("elementclass C { input -> Null -> output }\nIdle -> c :: C -> Discard;",
		    "Idle@1 :: Idle;\nc/Null@1 :: Null;\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> c/Null@1;\nc/Null@1 -> Discard@3;\n");
	expect_errors("Idle :: Discard;", "config:1: class 'Idle' used as element name\n");
	/* as Click's, an element group counts three: itself, its input, its output */
	expect_flat("Idle -> ( -> Paint(1) -> ) -> Discard;",
		    "Idle@1 :: Idle;\nPaint@5 :: Paint(1);\nDiscard@6 :: Discard;\n\n"
		    "Idle@1 -> Paint@5;\nPaint@5 -> Discard@6;\n");
	/* an anonymous compound is "@N" */
	expect_flat("Idle -> { -> Paint(1) -> } -> Discard;",
		    "Idle@1 :: Idle;\n@2/Paint@1 :: Paint(1);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> @2/Paint@1;\n@2/Paint@1 -> Discard@3;\n");
}

/* Rule 4: ports, chains, inline declarations, repeated connections. */
static void
test_rule04_connections(void **state)
{
	(void)state;
	expect_flat("s :: Tee; Idle -> s; s [1] -> [0] d :: Discard; s -> Discard;\ns[1]->d;",
		    "s :: Tee;\nIdle@2 :: Idle;\nd :: Discard;\nDiscard@4 :: Discard;\n\n"
		    "s -> Discard@4;\ns [1] -> d;\nIdle@2 -> s;\n");
	/* port numbers as Click's IntArg: hex, binary, octal after a 0 */
	expect_flat("i :: Idle; i [0, 0x1, 0b10, 0_3] => [0, 0, 0, 0] d :: Discard;\n"
		    "i [4-7] => [0, 0, 0, 0] d; i [010] -> e :: Discard;",
		    "i :: Idle;\nd :: Discard;\ne :: Discard;\n\ni -> d;\ni [1] -> d;\ni [2] -> d;\n"
		    "i [3] -> d;\ni [4] -> d;\ni [5] -> d;\ni [6] -> d;\ni [7] -> d;\ni [8] -> e;\n");
	expect_errors("i :: Idle; i [08] -> Discard;",
		      "config:1: syntax error near '08' (expected port number)\n");
	/* a port before a chain's start or after its end connects nothing */
	expect_errors("[1] t :: Tee -> Discard;\nIdle -> t;",
		      "config:1: input ports ignored at start of chain\n");
	expect_errors("Idle -> t :: Tee [1];\nt -> Discard;",
		      "config:1: output ports ignored at end of chain\n");
	expect_errors("x :: Idle [1];", "config:1: output ports ignored at end of chain\n");
	expect_flat("Idle -> [1] r :: RoundRobinSched -> Discard; Idle -> r;",
		    "Idle@1 :: Idle;\nr :: RoundRobinSched;\nDiscard@3 :: Discard;\nIdle@4 :: Idle;\n\n"
		    "Idle@1 -> [1] r;\nr -> Discard@3;\nIdle@4 -> r;\n");
}

/* Rule 5: comma lists, many-to-one and one-to-many. */
static void
test_rule05_comma_lists(void **state)
{
	(void)state;
	expect_flat("a :: InfiniteSource, b :: RatedSource -> c :: Counter -> d :: Discard;",
		    "a :: InfiniteSource;\nb :: RatedSource;\nc :: Counter;\nd :: Discard;\n\n"
		    "a -> c;\nb -> c;\nc -> d;\n");
	expect_flat("Idle -> q :: Queue -> x :: Discard, y :: Discard;",
		    "Idle@1 :: Idle;\nq :: Queue;\nx :: Discard;\ny :: Discard;\n\n"
		    "Idle@1 -> q;\nq -> x;\nq -> y;\n");
}

/* Rule 6: '=>' pairs outputs with inputs; its errors. */
static void
test_rule06_many_to_many(void **state)
{
	(void)state;
	expect_flat("Idle -> c :: Classifier(a, b, -) => x :: Discard, y :: Discard, z :: Discard;",
		    "Idle@1 :: Idle;\nc :: Classifier(a, b, -);\nx :: Discard;\ny :: Discard;\n"
		    "z :: Discard;\n\nIdle@1 -> c;\nc -> x;\nc [1] -> y;\nc [2] -> z;\n");
	expect_flat("Idle -> c :: Classifier(a, b) [1, 0] => [0] x :: Discard, y :: Discard;",
		    "Idle@1 :: Idle;\nc :: Classifier(a, b);\nx :: Discard;\ny :: Discard;\n\n"
		    "Idle@1 -> c;\nc -> y;\nc [1] -> x;\n");
	expect_flat("i :: Idle; i [0-1] => [] r :: RoundRobinSched -> Discard;",
		    "i :: Idle;\nr :: RoundRobinSched;\nDiscard@3 :: Discard;\n\n"
		    "i -> r;\ni [1] -> [1] r;\nr -> Discard@3;\n");
	/* one port on a side meets each of the other's; "[]" is at least port 0 */
	expect_flat("Idle -> q :: Queue; q [0] => d :: Discard, x :: Discard;",
		    "Idle@1 :: Idle;\nq :: Queue;\nd :: Discard;\nx :: Discard;\n\n"
		    "Idle@1 -> q;\nq -> d;\nq -> x;\n");
	expect_flat("Idle -> q :: Queue; q => [] r :: RoundRobinSched, x :: Discard; r -> Discard;",
		    "Idle@1 :: Idle;\nq :: Queue;\nr :: RoundRobinSched;\nx :: Discard;\n"
		    "Discard@5 :: Discard;\n\nIdle@1 -> q;\nq -> r;\nq -> x;\nr -> Discard@5;\n");
	/* "[1, ]" is 1 and as many ports after it as the other side needs, as Click's */
	expect_flat("c :: Classifier(a, b, c, -); Idle -> c -> Discard;\n"
		    "c [1, ] => x :: Discard, y :: Discard, z :: Discard;",
		    "c :: Classifier(a, b, c, -);\nIdle@2 :: Idle;\nDiscard@3 :: Discard;\n"
		    "x :: Discard;\ny :: Discard;\nz :: Discard;\n\n"
		    "c -> Discard@3;\nc [1] -> x;\nc [2] -> y;\nc [3] -> z;\nIdle@2 -> c;\n");
	expect_errors("i :: Idle; i [0-1] => [65535, ] r :: RoundRobinSched -> Discard;",
		      "config:1: port number 65536 too large\n");
	expect_errors("Idle -> c :: Classifier(a, b);\nc [0, 1] => d :: Discard, e :: Discard, f :: Discard;",
		      "config:2: connection mismatch: 2 outputs connected to 3 inputs\n");
	expect_errors("Idle -> c :: Classifier(a, b);\nc [0, 1] -> d :: Discard, e :: Discard;",
		      "config:2: syntax error: many-to-many connections require '=>'\n");
	expect_errors("a, b, c, d :: Idle;\nc [] => [] d;",
		      "config:2: at most one expandable port allowed per connection\n");
}

/* Rule 7: element groups, with their own input and output, in the enclosing scope. */
static void
test_rule07_groups(void **state)
{
	(void)state;
	expect_flat("x :: Idle -> c :: Classifier(00/01, -) => ( [0] -> output; [1] -> Paint(1) -> output ) -> y :: Discard;",
		    "x :: Idle;\nc :: Classifier(00/01, -);\nPaint@6 :: Paint(1);\ny :: Discard;\n\n"
		    "x -> c;\nc -> y;\nc [1] -> Paint@6;\nPaint@6 -> y;\n");
	expect_errors("Idle -> ( [1] -> output ) -> Discard;",
		      "config:1: element group at config:1 has no input 0\n"
		      "config:1: element group at config:1 input 1 unused\n");
	/* a group's input is a source only, its output a destination only */
	expect_errors("Idle -> ( input -> output; Idle -> input ) -> Discard;",
		      "config:1: 'input' has no inputs\n");
	expect_errors("Idle -> ( input -> output; output -> Discard ) -> Discard;",
		      "config:1: 'output' has no outputs\n");
}

/* Rule 8: compounds, implicit input/output, names compound/component, unused ports. */
static void
test_rule08_compounds(void **state)
{
	(void)state;
	expect_flat("elementclass In { -> Paint(1) -> }\nelementclass Out { input -> i :: In -> output }\n"
		    "Idle -> o :: Out -> Discard;",
		    "Idle@1 :: Idle;\no/i/Paint@1 :: Paint(1);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> o/i/Paint@1;\no/i/Paint@1 -> Discard@3;\n");
	/* a compound that passes its input straight to its output vanishes */
	expect_flat("elementclass W { input -> output }\nIdle -> W -> Discard;",
		    "Idle@1 :: Idle;\nDiscard@3 :: Discard;\n\nIdle@1 -> Discard@3;\n");
	expect_errors("elementclass C { input -> Null -> output; input [1] -> Discard }\n"
		      "Idle -> c :: C -> Discard;",
		      "config:2: 'c :: C' input 1 unused\n");
	/* a port below the highest used inside is used inside, used or not outside */
	expect_errors("elementclass C { input [1] -> output }\nIdle -> [1] c :: C -> Discard;",
		      "config:1: 'C' input 0 missing\n");
	expect_errors("elementclass C {\n input -> [2] output }",
		      "config:1: 'C' output 0 missing\nconfig:1: 'C' output 1 missing\n");
	/* a component's new name may not be an element's already */
	expect_errors("c/a :: Idle;\nelementclass C { input -> a :: Null -> output }\n"
		      "Idle -> c :: C -> Discard;\nc/a -> Discard;",
		      "config:2: redeclaration of element 'c/a'\n"
		      "config:1: element 'c/a' previously declared here\n");
	expect_errors("elementclass C { input -> Null -> output }\nIdle -> c :: C;",
		      "config:2: 'c :: C' output 0 unused\n");
	expect_errors("elementclass C { input -> output; output -> Discard }",
		      "config:1: 'output' has no outputs\n");
	/* an implicit output ends the chain: an arrow after it is no new one */
	expect_errors("elementclass C { input -> a :: Null -> -> b :: Null -> output }",
		      "config:1: syntax error near '->'\n");
	expect_errors("elementclass C { input -> a :: Null -> [1] -> b :: Null -> output }",
		      "config:1: syntax error near '->'\n");
	expect_errors("Idle -> ( [0] -> Null -> => Null -> ) -> Discard;",
		      "config:1: syntax error near '=>'\n");
}

/* Rule 9: named classes, synonyms, lexical scope, no recursion. */
static void
test_rule09_elementclass(void **state)
{
	(void)state;
	expect_flat("elementclass Null { input -> Null -> Counter -> output }\nIdle -> n :: Null -> Discard;",
		    "Idle@1 :: Idle;\nn/Null@1 :: Null;\nn/Counter@2 :: Counter;\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> n/Null@1;\nn/Null@1 -> n/Counter@2;\nn/Counter@2 -> Discard@3;\n");
	expect_flat("elementclass D Discard;\nIdle -> D;",
		    "Idle@1 :: Idle;\nD@2 :: Discard;\n\nIdle@1 -> D@2;\n");
	expect_errors("elementclass A { elementclass B { input -> output }; input -> B -> output }\n"
		      "Idle -> A -> Discard;\nIdle -> B -> Discard;",
		      "config:3: unknown element class 'B'\n");
	expect_errors("x :: Nothing;", "config:1: unknown element class 'Nothing'\n");
}

/* Rule 10: formals, keyword formals, __REST__. */
static void
test_rule10_formals(void **state)
{
	(void)state;
	expect_flat("elementclass P { $a, COLOR $c, __REST__ $r | input -> Paint($c) -> Print(\"$a $r\") -> output }\n"
		    "Idle -> P(x, y, z, COLOR 3) -> Discard;",
		    "Idle@1 :: Idle;\nP@2/Paint@1 :: Paint(3);\nP@2/Print@2 :: Print(\"x y, z\");\n"
		    "Discard@3 :: Discard;\n\nIdle@1 -> P@2/Paint@1;\nP@2/Paint@1 -> P@2/Print@2;\n"
		    "P@2/Print@2 -> Discard@3;\n");
	/* a comma may end the list of formals, as in Click */
	expect_flat("elementclass P { $a, | input -> Paint($a) -> output }\nIdle -> P(4) -> Discard;",
		    "Idle@1 :: Idle;\nP@2/Paint@1 :: Paint(4);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> P@2/Paint@1;\nP@2/Paint@1 -> Discard@3;\n");
	/* an empty list of formals */
	expect_flat("elementclass P { | input -> output }\nIdle -> P -> Discard;",
		    "Idle@1 :: Idle;\nDiscard@3 :: Discard;\n\nIdle@1 -> Discard@3;\n");
	expect_errors("elementclass P { COLOR $c, $a | input -> output }",
		      "config:1: positional parameter '$a' after keyword parameters\n");
	expect_errors("elementclass P { COLOR $a, COLOR $b | input -> output }",
		      "config:1: repeated keyword parameter 'COLOR'\n");
	expect_errors("elementclass P { $a | input -> output }\nIdle -> P -> Discard;",
		      "config:2: no match for 'P@2 :: P' with 1 inputs, 1 outputs and 0 arguments\n");
	/* as Click's cp_assign_arguments: a keyword formal must be given, so
	 * the overload without it is taken; a keyword counts only after the
	 * positional arguments; a repeated keyword takes its last value */
	expect_flat("elementclass P { $a, KEY $k | input -> Paint($a) -> Print($k) -> output\n"
		    "|| $a | input -> Paint($a) -> output }\nIdle -> P(1) -> Discard;",
		    "Idle@1 :: Idle;\nP@2/Paint@1 :: Paint(1);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> P@2/Paint@1;\nP@2/Paint@1 -> Discard@3;\n");
	expect_errors("elementclass P { $a, KEY $k | input -> Print($a $k) -> output }\n"
		      "Idle -> P(KEY 2, 1) -> Discard;",
		      "config:2: no match for 'P@2 :: P' with 1 inputs, 1 outputs and 2 arguments\n");
	expect_flat("elementclass P { $a, KEY $k | input -> Print($a $k) -> output }\n"
		    "Idle -> P(1, KEY 2, KEY 3) -> Discard;",
		    "Idle@1 :: Idle;\nP@2/Print@1 :: Print(1 3);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> P@2/Print@1;\nP@2/Print@1 -> Discard@3;\n");
	/* after a keyword, an argument that is none goes to __REST__ only */
	expect_errors("elementclass P { $a, KEY $k | input -> Print($a $k) -> output }\n"
		      "Idle -> P(1, KEY 2, x) -> Discard;",
		      "config:2: no match for 'P@2 :: P' with 1 inputs, 1 outputs and 3 arguments\n");
	expect_flat("elementclass P { $a, KEY $k, __REST__ $r | input -> Print($a $k $r) -> output }\n"
		    "Idle -> P(1, x, KEY 2, y) -> Discard;",
		    "Idle@1 :: Idle;\nP@2/Print@1 :: Print(1 2 x, y);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> P@2/Print@1;\nP@2/Print@1 -> Discard@3;\n");
	/* a keyword with no value after it is none (cp_keyword's rest is empty) */
	expect_errors("elementclass P { KEY $k | input -> Print($k) -> output }\n"
		      "Idle -> P(KEY) -> Discard;",
		      "config:2: no match for 'P@2 :: P' with 1 inputs, 1 outputs and 1 arguments\n");
	expect_flat("elementclass P { KEY $k | input -> Print($k) -> output\n"
		    "|| $a | input -> Paint($a) -> output }\nIdle -> P(KEY) -> Discard;",
		    "Idle@1 :: Idle;\nP@2/Paint@1 :: Paint(KEY);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> P@2/Paint@1;\nP@2/Paint@1 -> Discard@3;\n");
	expect_flat("elementclass P { $a, __REST__ $r | input -> Print($a $r) -> output }\n"
		    "Idle -> P(1, KEY) -> Discard;",
		    "Idle@1 :: Idle;\nP@2/Print@1 :: Print(1 KEY);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> P@2/Print@1;\nP@2/Print@1 -> Discard@3;\n");
}

/* Rule 11: overloads chosen by ports and arguments; '...' extends an earlier class. */
static void
test_rule11_overloads(void **state)
{
	(void)state;
	expect_flat("elementclass X { input -> Paint(1) -> output || input -> Paint(2) -> output; input [1] -> Paint(3) -> output }\n"
		    "Idle -> a :: X -> Discard;\nIdle -> [1] b :: X -> Discard;\nIdle -> b;",
		    "Idle@1 :: Idle;\na/Paint@1 :: Paint(1);\nDiscard@3 :: Discard;\nIdle@4 :: Idle;\n"
		    "b/Paint@1 :: Paint(2);\nb/Paint@2 :: Paint(3);\nDiscard@6 :: Discard;\nIdle@7 :: Idle;\n\n"
		    "Idle@1 -> a/Paint@1;\na/Paint@1 -> Discard@3;\nIdle@4 -> b/Paint@2;\n"
		    "b/Paint@1 -> Discard@6;\nb/Paint@2 -> Discard@6;\nIdle@7 -> b/Paint@1;\n");
	expect_flat("elementclass X { input -> Paint(1) -> output }\nelementclass X { $v | input -> Paint($v) -> output || ... }\n"
		    "Idle -> X(5) -> Discard; Idle -> X -> Discard;",
		    "Idle@1 :: Idle;\nX@2/Paint@1 :: Paint(5);\nDiscard@3 :: Discard;\nIdle@4 :: Idle;\n"
		    "X@5/Paint@1 :: Paint(1);\nDiscard@6 :: Discard;\n\n"
		    "Idle@1 -> X@2/Paint@1;\nX@2/Paint@1 -> Discard@3;\nIdle@4 -> X@5/Paint@1;\n"
		    "X@5/Paint@1 -> Discard@6;\n");
	expect_errors("elementclass X { input -> output || input -> output; input [1] -> output }\n"
		      "Idle -> X -> Discard; Idle -> X;",
		      "config:2: no match for 'X@5 :: X' with 1 inputs, 0 outputs and 0 arguments\n");
}

/* Rule 12: $x ${x} ${x-default} ${x[i]}, quotes, $(...) and undefined names left alone. */
static void
test_rule12_parameters(void **state)
{
	(void)state;
	expect_flat("define($x 10, $s a b c, $q say \"hi\");\n"
		    "Idle -> Print($x ${x}, ${y-7$x}, ${s[1]}, '$x', \"$s\", \"$q\", $(count), $undefined, $) -> Discard;",
		    "Idle@1 :: Idle;\n"
		    "Print@2 :: Print(10 10, 710, b, '$x', \"a b c\", \"say \\\"hi\\\"\", $(count), $undefined, $);\n"
		    "Discard@3 :: Discard;\n\nIdle@1 -> Print@2;\nPrint@2 -> Discard@3;\n");
	/* comments are copied: nothing expanded in them, their quotes quote nothing */
	expect_flat("define($x 5);\nIdle -> Print(a /* don't $x */, $x // it's $x\n, $x /**/ $x) -> Discard;",
		    "Idle@1 :: Idle;\nPrint@2 :: Print(a /* don't $x */, 5 // it's $x\n, 5 /**/ 5);\n"
		    "Discard@3 :: Discard;\n\nIdle@1 -> Print@2;\nPrint@2 -> Discard@3;\n");
	/* parameters reach inside compounds, formals shadow them */
	expect_flat("define($a outer, $b top);\nelementclass C { $a | input -> Print($a $b) -> output }\n"
		    "Idle -> C(inner) -> Discard;",
		    "Idle@1 :: Idle;\nC@2/Print@1 :: Print(inner top);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> C@2/Print@1;\nC@2/Print@1 -> Discard@3;\n");
}

/* Rule 13: define: use before define, redefinition, the command line overrides. */
static void
test_rule13_define(void **state)
{
	const char *defs[] = { "x=20", "new=9" };

	(void)state;
	expect_flat("Idle -> Paint($x) -> Discard;\ndefine($x 3);",
		    "Idle@1 :: Idle;\nPaint@2 :: Paint(3);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> Paint@2;\nPaint@2 -> Discard@3;\n");
	expect_flat_defs("Idle -> Paint($x) -> Print($new) -> Discard;\ndefine($x 3);", defs, 2,
			 "Idle@1 :: Idle;\nPaint@2 :: Paint(20);\nPrint@3 :: Print(9);\n"
			 "Discard@4 :: Discard;\n\nIdle@1 -> Paint@2;\nPaint@2 -> Print@3;\n"
			 "Print@3 -> Discard@4;\n");
	/* inside a compound a define's value is expanded: formals, earlier defines */
	expect_flat("define($o out);\nelementclass C { $a | define($b x$a$o, $c $b-y);\n"
		    "input -> Print($c) -> output }\nIdle -> C(1) -> Discard;",
		    "Idle@1 :: Idle;\nC@2/Print@1 :: Print(x1out-y);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> C@2/Print@1;\nC@2/Print@1 -> Discard@3;\n");
	expect_errors("define($a 1);\ndefine($a 2);",
		      "config:2: redefinition of parameter '$a'\nconfig:1: '$a' previously defined here\n");
	expect_errors("define(a 1);", "config:1: bad define 'a 1' (expected '$NAME value')\n");
	/* a define may not replace a formal of its compound */
	expect_errors("elementclass C { $a |\ndefine($a 2); input -> Paint($a) -> output }",
		      "config:2: redefinition of parameter '$a'\nconfig:1: '$a' previously defined here\n");
}

/* Rule 14: require: packages recorded, library included once relative to its includer. */
static void
test_rule14_require(void **state)
{
	char dir[] = "/tmp/ck_test_XXXXXX", path[128], main_file[128], sub[128], *out; /* mkdtemp(3) */
	struct ck_graph *g;
	FILE *f;

	(void)state;
	g = run_defs("require(package foo, compact_config);\nrequire(bar);\nIdle -> Discard;", "config",
		     NULL, 0, &out);
	assert_non_null(g);
	assert_string_equal(g->requires, "foo bar");
	ck_graph_free(g);
	free(out);
	expect_errors("require(frobnicate all of it);",
		      "config:1: bad requirement 'frobnicate all of it'\n");
	/* "library" and "package" take one word, quoted if it holds spaces */
	expect_errors("require(library);\nrequire(package);\nrequire(library \"\");\n"
		      "require(library a b);",
		      "config:1: bad requirement 'library'\nconfig:2: bad requirement 'package'\n"
		      "config:3: bad requirement 'library \"\"'\n"
		      "config:4: bad requirement 'library a b'\n");
	/* a library that cannot be read is an error, not an empty file */
	expect_errors("require(library /);", "config:1: /: Is a directory\n");

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lib.click", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("elementclass Twice { input -> Paint(2) -> output }\n", f);
	fclose(f);
	snprintf(main_file, sizeof(main_file), "%s/main.click", dir);
	g = run_defs("require(library lib.click);\nrequire(library \"lib.click\");\n"
		     "Idle -> Twice -> Discard;", main_file, NULL, 0, &out);
	if (!g)
		fprintf(stderr, "%s", out);
	assert_non_null(g);
	assert_string_equal(out, "Idle@1 :: Idle;\nTwice@2/Paint@1 :: Paint(2);\nDiscard@3 :: Discard;\n\n"
				 "Idle@1 -> Twice@2/Paint@1;\nTwice@2/Paint@1 -> Discard@3;\n");
	ck_graph_free(g);
	free(out);
	/* once per file, however its path is written */
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/sub/idle.click", dir);
	f = fopen(sub, "w");
	assert_non_null(f);
	fputs("libidle :: Idle;\n", f);
	fclose(f);
	g = run_defs("require(library sub/idle.click);\nrequire(library sub/../sub/idle.click);\n"
		     "require(library ./sub/idle.click);\nlibidle -> Discard;", main_file,
		     NULL, 0, &out);
	if (!g)
		fprintf(stderr, "%s", out);
	assert_non_null(g);
	ck_graph_free(g);
	free(out);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	rmdir(sub);
	/* a name declared after a library is read still moves an anonymous
	 * element of the includer on */
	g = run_defs("Idle -> Discard;\nrequire(library lib.click);\nIdle@1 :: Idle -> Discard;",
		     main_file, NULL, 0, &out);
	if (!g)
		fprintf(stderr, "%s", out);
	assert_non_null(g);
	assert_string_equal(out, "Idle@2 :: Idle;\nDiscard@2 :: Discard;\nIdle@1 :: Idle;\n"
				 "Discard@4 :: Discard;\n\nIdle@2 -> Discard@2;\nIdle@1 -> Discard@4;\n");
	ck_graph_free(g);
	free(out);
	/* a NUL byte in a library is an error, not its end */
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite("elementclass Twice { input -> output }\n\0 x\n", 1, 43, f);
	fclose(f);
	g = run_defs("require(library lib.click);\nIdle -> Twice -> Discard;", main_file, NULL, 0,
		     &out);
	assert_null(g);
	assert_non_null(strstr(out, "lib.click:2: NUL byte in the configuration\n"));
	free(out);
	unlink(path);
	rmdir(dir);
	expect_errors("elementclass A { require(library x.click); input -> output }",
		      "config:1: 'require(library)' is only allowed at file scope\n");
}

/* Rule 15: arguments split on top-level commas; a trailing empty one is ignored. */
static void
test_rule15_arguments(void **state)
{
	(void)state;
	expect_flat("elementclass P { $a | input -> Paint($a) -> output }\nIdle -> P(4, ) -> Discard;",
		    "Idle@1 :: Idle;\nP@2/Paint@1 :: Paint(4);\nDiscard@3 :: Discard;\n\n"
		    "Idle@1 -> P@2/Paint@1;\nP@2/Paint@1 -> Discard@3;\n");
	expect_flat("elementclass P { $a, $b | input -> Print($b) -> Paint($a) -> output }\n"
		    "Idle -> P(\"x, y\" /* , */, (1, 2)) -> Discard;",
		    "Idle@1 :: Idle;\nP@2/Print@1 :: Print((1, 2));\nP@2/Paint@2 :: Paint(\"x, y\");\n"
		    "Discard@3 :: Discard;\n\nIdle@1 -> P@2/Print@1;\nP@2/Print@1 -> P@2/Paint@2;\n"
		    "P@2/Paint@2 -> Discard@3;\n");
}

/* §a.3: a port the class does not have; every port up to the highest used connected. */
static void
test_check_port_counts(void **state)
{
	(void)state;
	expect_errors("Idle -> p :: Print;\np [1] -> Discard;",
		      "config:2: 'p :: Print' has no output 1\nconfig:1: 'p :: Print' output 0 unused\n");
	expect_errors("Idle -> p :: Print;", "config:1: 'p :: Print' output 0 unused\n");
	expect_errors("Idle -> [1] q :: Queue -> Discard;",
		      "config:1: 'q :: Queue' has no input 1\nconfig:1: 'q :: Queue' input 0 unused\n");
	expect_errors("s :: Switch -> Discard; Idle -> s; s [2] -> Discard;",
		      "config:1: 's :: Switch' output 1 unused\n");
	/* port count strings */
	{
		uint32_t lo = 7, hi = 7;

		assert_int_equal(ck_ports_parse("1-/=", 0, &lo, &hi), 0);
		assert_int_equal(lo, 1);
		assert_int_equal(hi, UINT32_MAX);
		assert_int_equal(ck_ports_parse("1-/=", 1, &lo, &hi), 1);
		assert_int_equal(ck_ports_parse("0/1-2", 1, &lo, &hi), 0);
		assert_int_equal(lo, 1);
		assert_int_equal(hi, 2);
		assert_int_equal(ck_ports_parse("-/-", 0, &lo, &hi), 0);
		assert_int_equal(lo, 0);
		assert_int_equal(hi, UINT32_MAX);
		assert_int_equal(ck_ports_parse("x/1", 0, &lo, &hi), -1);
	}
}

/* §a.3: push/pull resolution through agnostic elements and flow codes. */
static void
test_check_push_pull(void **state)
{
	char *out;
	struct ck_graph *g;

	(void)state;
	expect_errors("i :: TimedSource -> t :: ToDevice(eth0);",
		      "config:1: 'i :: TimedSource' push output 0 connected to 't :: ToDevice' pull input 0\n");
	expect_errors("TimedSource -> c :: Counter -> ToDevice(eth0);",
		      "config:1: agnostic 'c :: Counter' in mixed context: push input 0, pull output 0\n");
	/* Idle lets nothing flow: one side push, the other pull */
	g = run_defs("TimedSource -> i :: Idle -> ToDevice(x);", "config", NULL, 0, &out);
	assert_non_null(g);
	assert_int_equal(g->elems[1].in_kind[0], CK_PUSH);
	assert_int_equal(g->elems[1].out_kind[0], CK_PULL);
	ck_graph_free(g);
	free(out);
	/* the Counter after a Queue is pulled; the one before is pushed; unconnected agnostic is push */
	g = run_defs("InfiniteSource -> a :: Counter -> q :: Queue -> b :: Counter -> Discard;",
		     "config", NULL, 0, &out);
	assert_non_null(g);
	assert_string_equal(g->elems[1].name, "a");
	assert_int_equal(g->elems[0].out_kind[0], CK_PUSH);
	assert_int_equal(g->elems[1].out_kind[0], CK_PUSH);
	assert_int_equal(g->elems[2].out_kind[0], CK_PULL);
	assert_int_equal(g->elems[3].in_kind[0], CK_PULL);
	assert_int_equal(g->elems[4].in_kind[0], CK_PULL);
	assert_int_equal(g->elems[2].nin, 1);
	assert_int_equal(g->elems[2].nout, 1);
	ck_graph_free(g);
	free(out);
	/* a Queue's second output is push */
	g = run_defs("Idle -> q :: Queue -> Discard; q [1] -> Discard;", "config", NULL, 0, &out);
	assert_non_null(g);
	assert_int_equal(g->elems[1].out_kind[0], CK_PULL);
	assert_int_equal(g->elems[1].out_kind[1], CK_PUSH);
	assert_int_equal(g->elems[3].in_kind[0], CK_PUSH);
	ck_graph_free(g);
	free(out);
}

/* §a.3: a push output and a pull input are connected at most once; the
 * error is at the element's declaration, as Click's driver reports it */
static void
test_check_reuse(void **state)
{
	(void)state;
	expect_errors("i :: InfiniteSource -> Discard;\ni -> Discard;",
		      "config:1: illegal reuse of 'i :: InfiniteSource' push output 0\n");
	expect_errors("Idle -> q :: Queue; Idle -> r :: Queue;\nq -> t :: ToDevice(a);\nr -> t;",
		      "config:2: illegal reuse of 't :: ToDevice' pull input 0\n");
	/* fan-in to a push input and fan-out of a pull output are fine */
	expect_flat("InfiniteSource -> d :: Discard; InfiniteSource -> d;",
		    "InfiniteSource@1 :: InfiniteSource;\nd :: Discard;\nInfiniteSource@3 :: InfiniteSource;\n\n"
		    "InfiniteSource@1 -> d;\nInfiniteSource@3 -> d;\n");
}

/* Malformed configurations: an error, a landmark on every line, no crash. */
static void
check_refused_cleanly(const char *text)
{
	char *out, *line;
	struct ck_graph *g = run_defs(text, "config", NULL, 0, &out);

	if (g) {
		ck_graph_free(g);
		free(out);
		return;
	}
	assert_true(out[0] != '\0');
	for (line = out; *line; line = strchr(line, '\n') + 1) {
		const char *colon = strchr(line, ':');

		assert_non_null(strchr(line, '\n'));
		assert_non_null(colon);
		assert_true(colon[1] >= '0' && colon[1] <= '9');
	}
	free(out);
}

/* @text must be refused with exactly @errs within 1 GiB of address space. */
static void
refused_within_1g(const char *text, const char *errs)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
#ifndef CK_TEST_ASAN /* the sanitizer's shadow memory does not fit a limit */
		struct rlimit rl = { 1ul << 30, 1ul << 30 };

		setrlimit(RLIMIT_AS, &rl);
#endif
		if (!f || ck_graph_parse(text, "config", NULL, 0, f))
			_exit(2);
		fclose(f);
		if (strcmp(out, errs) != 0)
			fprintf(stderr, "configuration refused with:\n%s", out);
		_exit(strcmp(out, errs) != 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* What a short text makes is bounded before it is made. */
static void
check_amplifiers(void)
{
	size_t n = 0, cap = 120000;
	char *big = malloc(cap);
	unsigned int k;

	assert_non_null(big);
	/* 300 lines of port ranges (9 KB): 19.7 million connections */
	n += (size_t)snprintf(big + n, cap - n, "i :: Idle; d :: Idle;\n");
	for (k = 0; k < 300; k++)
		n += (size_t)snprintf(big + n, cap - n, "i [0-65535] => [0-65535] d;\n");
	refused_within_1g(big, "config:17: configuration too large (over 1000000 connections)\n");
	/* 100 KB of nested classes: 512 configuration strings of 1 MB */
	n = (size_t)snprintf(big, cap, "define($a ");
	memset(big + n, 'x', 100000);
	n += 100000;
	n += (size_t)snprintf(big + n, cap - n, ");\nelementclass A0 { input -> "
			      "Null($a$a$a$a$a$a$a$a$a$a) -> output }\n");
	for (k = 1; k <= 9; k++)
		n += (size_t)snprintf(big + n, cap - n, "elementclass A%u { input -> A%u -> A%u -> "
				      "output }\n", k, k - 1, k - 1);
	snprintf(big + n, cap - n, "Idle -> A9 -> Discard;\n");
	refused_within_1g(big, "config:2: configuration too large (over 64 MiB of configuration "
			       "strings after expansion)\n");
	free(big);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"Idle -> Print(", "Idle -> Print('", "Idle(\"\\", "elementclass A { input -> output",
		"elementclass A { input -> output }}", "( Idle -> Discard", ")", "}", "[", "[0",
		"a :: ", "a ::", "-> ->", "Idle -> [99999999] Discard;", "Idle -> [3-1] Discard;",
		"elementclass", "elementclass X { $a | ", "elementclass X { $a $b | }",
		"elementclass X { || ... }", "define(", "require(library /nonexistent/x.click)",
		"{ { { { ( ( ( [ ] ) ) ) } } } }", "Idle => => Discard", "a, b, c", "a, b :: ",
		"/*", "#line", "# 4294967296 \"x\"\nfoo", "Idle -> \\<", "$x :: Idle",
		"elementclass A { input -> A -> output }; Idle -> A -> Discard;",
		"elementclass A { input -> output } elementclass A { || ... }",
	};
	char buf[4096];
	unsigned int i, seed = 12345;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_refused_cleanly(bad[i]);
	expect_errors("Idle -> Print(x", "config:1: unterminated configuration string\n");
	expect_errors("elementclass A { input -> output",
		      "config:1: syntax error near 'end of file' (expected '}')\n");
	check_amplifiers();
	/* deep nesting is bounded */
	memset(buf, '(', 3000);
	buf[3000] = '\0';
	check_refused_cleanly(buf);
	memset(buf, '{', 3000);
	check_refused_cleanly(buf);
	/* random bytes, and random soup of the language's tokens */
	for (i = 0; i < 3000; i++) {
		static const char *const words[] = {
			"Idle", "Queue", "Discard", "a", "b", "::", "->", "=>", "[", "]", "(", ")",
			"{", "}", ",", ";", "|", "||", "...", "$x", "input", "output", "elementclass",
			"define($x 1)", "0", "1", "-", "Classifier(a,b)", "Tee", "X", "\n", "//c\n",
		};
		size_t n = 0, len = (size_t)(rand_r(&seed) % 200);

		while (n < len && n + 20 < sizeof(buf)) {
			if (i % 2) {
				buf[n++] = (char)(rand_r(&seed) % 255 + 1);
			} else {
				const char *w = words[rand_r(&seed) % (sizeof(words) / sizeof(words[0]))];

				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s ", w);
			}
		}
		buf[n] = '\0';
		check_refused_cleanly(buf);
	}
}

/* One file of Click's configurations: accepted, or refused only for the listed classes. */
static void
check_conf(const char *name, const char *const *unknown)
{
	char path[1024], *text, *out, *line;
	size_t len;
	FILE *f;
	struct ck_graph *g;
	unsigned int i;

	snprintf(path, sizeof(path), "%s/tests/click/conf/%s", NETVM_SOURCE_ROOT, name);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, len, f), len);
	fclose(f);
	g = run_defs(text, name, NULL, 0, &out);
	free(text);
	if (!unknown) {
		if (!g)
			fprintf(stderr, "%s refused:\n%s", name, out);
		assert_non_null(g);
		assert_true(g->nb_elems > 0);
		ck_graph_free(g);
		free(out);
		return;
	}
	assert_null(g);
	for (line = out; *line; line = strchr(line, '\n') + 1) {
		const char *q = strstr(line, ": unknown element class '");
		int known = 0;

		if (q) {
			q += strlen(": unknown element class '");
			for (i = 0; unknown[i]; i++)
				if (strncmp(q, unknown[i], strlen(unknown[i])) == 0 &&
				    q[strlen(unknown[i])] == '\'')
					known = 1;
		}
		if (!known)
			fprintf(stderr, "%s: unexpected error: %.*s\n", name,
				(int)(strchr(line, '\n') - line), line);
		assert_true(known);
	}
	for (i = 0; unknown[i]; i++) {
		char want[128];

		snprintf(want, sizeof(want), "unknown element class '%s'", unknown[i]);
		assert_non_null(strstr(out, want));
	}
	free(out);
}

static void
test_conf_files(void **state)
{
	static const char *const clickpat[] = { "IPOutputCombo", "IPInputCombo", NULL };

	(void)state;
	/* accepted */
	check_conf("fake-iprouter.click", NULL);
	check_conf("print-pings.click", NULL);
	check_conf("test.click", NULL);
	check_conf("udpcount.click", NULL);
	check_conf("derived/ipfilter-interior-router.click", NULL);
	check_conf("generated/make-ip-conf.default.click", NULL);
	check_conf("generated/make-ip-conf.userlevel-pings.click", NULL);
	check_conf("generated/make-ip-conf.4if.click", NULL);
	check_conf("urewrite.click", NULL);
	check_conf("mazu-nat.click", NULL);
	check_conf("thomer-nat.click", NULL);
	/* refused only for classes outside ck_classes */
	check_conf("ip.clickpat", clickpat);
}

/* The fake IP router flattens to what its text says, element for element. */
static void
test_conf_fake_iprouter_shape(void **state)
{
	char path[1024], *text, *out;
	size_t len;
	FILE *f;
	struct ck_graph *g;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/click/conf/fake-iprouter.click", NETVM_SOURCE_ROOT);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, len, f), len);
	fclose(f);
	g = run_defs(text, "fake-iprouter.click", NULL, 0, &out);
	free(text);
	assert_non_null(g);
	/* "out0 :: Queue(200) -> Discard": the Discard pulls from the Queue */
	for (uint32_t i = 0; i < g->nb_elems; i++)
		if (strcmp(g->elems[i].name, "out0") == 0) {
			assert_string_equal(g->elems[i].class_name, "Queue");
			assert_int_equal(g->elems[i].in_kind[0], CK_PUSH);
			assert_int_equal(g->elems[i].out_kind[0], CK_PULL);
			assert_string_equal(g->elems[i + 1].name, "Discard@6");
			assert_int_equal(g->elems[i + 1].in_kind[0], CK_PULL);
		}
	assert_non_null(strstr(out, "rt :: StaticIPLookup("));
	assert_non_null(strstr(out, "\nout0 -> Discard@6;\n"));
	ck_graph_free(g);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lexical),
		cmocka_unit_test(test_rule01_declaration),
		cmocka_unit_test(test_rule02_undeclared),
		cmocka_unit_test(test_rule03_anonymous),
		cmocka_unit_test(test_rule04_connections),
		cmocka_unit_test(test_rule05_comma_lists),
		cmocka_unit_test(test_rule06_many_to_many),
		cmocka_unit_test(test_rule07_groups),
		cmocka_unit_test(test_rule08_compounds),
		cmocka_unit_test(test_rule09_elementclass),
		cmocka_unit_test(test_rule10_formals),
		cmocka_unit_test(test_rule11_overloads),
		cmocka_unit_test(test_rule12_parameters),
		cmocka_unit_test(test_rule13_define),
		cmocka_unit_test(test_rule14_require),
		cmocka_unit_test(test_rule15_arguments),
		cmocka_unit_test(test_check_port_counts),
		cmocka_unit_test(test_check_push_pull),
		cmocka_unit_test(test_check_reuse),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_conf_files),
		cmocka_unit_test(test_conf_fake_iprouter_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
