/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fw_rules — the firewall's rules file (apps/firewall/fw_rules.c)
 * without a core engine: which names define refuses, which error a file
 * with several errors reports, and the port conditions. Every expected
 * message is written here from docs/firewall.md.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fw.h"
#include "nl_text.h"

/* Load @text as the file "t.rules" for a core with two ports; NULL on error (in @err). */
static struct fw_ruleset *
load(const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	return fw_rules_parse(text, strlen(text), "t.rules", 2, err, errlen);
}

/* @text must be refused with exactly @want. */
static void
refused(const char *text, const char *want)
{
	char err[512];
	struct fw_ruleset *rs = load(text, err, sizeof(err));

	if (rs != NULL) {
		fw_rules_free(rs);
		fail_msg("'%s' loaded; expected '%s'", text, want);
	}
	if (strcmp(err, want) != 0)
		fail_msg("'%s': got '%s', expected '%s'", text, err, want);
}

/* @text must load. */
static struct fw_ruleset *
loads(const char *text)
{
	char err[512];
	struct fw_ruleset *rs = load(text, err, sizeof(err));

	if (rs == NULL)
		fail_msg("'%s' refused: %s", text, err);
	return rs;
}

/* A name patterns read as a MAC address cannot be defined (they would never resolve it). */
static void
test_define_mac(void **state)
{
	(void)state;
	refused("define a-b-c-d-e-f 10.0.0.1\nallow src host a-b-c-d-e-f\n",
		"t.rules:1:8: 'a-b-c-d-e-f' is a word patterns read themselves (a MAC address): "
		"choose another name");
	refused("# x\ndefine  de-ad-be-ef-00-01 10.0.0.1\n",
		"t.rules:2:9: 'de-ad-be-ef-00-01' is a word patterns read themselves (a MAC "
		"address): choose another name");
	refused("define tcp 10.0.0.1\n", "t.rules:1:8: 'tcp' is a word patterns read themselves "
		"(a keyword or a protocol name): choose another name");
	/* five groups, or a non-hex group: names */
	fw_rules_free(loads("define a-b-c-d-e 10.0.0.1\ndefine a-b-c-d-e-g 10.0.0.2\n"
			    "allow src host a-b-c-d-e or dst host a-b-c-d-e-g\n"));
}

/* A defined name of any length resolves where a pattern uses it. */
static void
test_define_long(void **state)
{
	char name[301], text[1024], err[512];
	struct fw_ruleset *rs;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "define %s 10.0.0.0/8\nallow src net %s and dst host %s\n",
		 name, name, name);
	rs = loads(text);
	assert_int_equal(rs->nb_defs, 1);
	fw_rules_free(rs);
	/* and one it does not define is still unknown */
	snprintf(text, sizeof(text), "define %s 10.0.0.1\nallow src host %sx\n", name, name);
	assert_null(load(text, err, sizeof(err)));
	assert_non_null(strstr(err, "t.rules:2:16: rule 1: unknown name 'nnn"));
}

/*
 * 100 000 defines and 10 000 rules naming them load, and a name defined
 * again at the end is still found. The load time is printed, not checked:
 * names are found by hash (with a scan of every name per define, the file
 * took half a minute).
 */
static void
test_many_names(void **state)
{
	const size_t n = 100000, cap = 48 * n;
	char *text = malloc(cap), err[512];
	struct timespec t0, t1;
	struct fw_ruleset *rs;
	size_t i, len = 0;
	double s;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "define h%zu 10.%zu.%zu.%zu\n", i,
					i >> 16 & 255, i >> 8 & 255, i & 255);
	for (i = 0; i < n; i += 10)
		len += (size_t)snprintf(text + len, cap - len, "allow src host h%zu\n", i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rs = fw_rules_parse(text, len, "t.rules", 2, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rs == NULL)
		fail_msg("refused: %s", err);
	assert_int_equal(rs->nb_defs, n);
	assert_int_equal(rs->nb_rules, n / 10);
	fw_rules_free(rs);
	/* a figure, not a check (the host may be loaded): a scan of every name
	 * per define took about 30 s here, the hash about 0.3 s */
	print_message("%zu names and %zu rules loaded in %.2f s\n", n, n / 10, s);
	len += (size_t)snprintf(text + len, cap - len, "define h77777 10.0.0.1\n");
	assert_null(fw_rules_parse(text, len, "t.rules", 2, err, sizeof(err)));
	assert_string_equal(err, "t.rules:110001:8: 'h77777' is defined twice");
	free(text);
}

/* With several errors, the one on the earliest line is reported. */
static void
test_first_error(void **state)
{
	(void)state;
	/* two pattern errors: the first rule's */
	refused("allow tcp and (\nallow all\ndeny udp and tcpx\n",
		"t.rules:1:16: rule 1: expected a test");
	/* a pattern error, then an error of a line */
	refused("allow tcp and (\nallow all\nfoo bar\n",
		"t.rules:1:16: rule 1: expected a test");
	refused("# c\nallow tcpx\nin 5 allow tcp\n",
		"t.rules:2:7: rule 1: unknown name 'tcpx'");
	/* an error of a line, then a pattern error */
	refused("allow tcp\nfoo bar\nallow tcpx\n",
		"t.rules:2:1: 'foo': a rule starts with allow, deny, drop or an output number "
		"(after in, dir, stateless)");
	/* rules of different ports: the first in the file, whatever its port */
	refused("in 1 allow tcpx\nin 0 allow udpx\n", "t.rules:1:12: rule 1: unknown name 'tcpx'");
	/* a name defined below the line in error is still a name for the rules above */
	refused("allow dst host late\nfoo bar\ndefine late 10.0.0.1\n",
		"t.rules:2:1: 'foo': a rule starts with allow, deny, drop or an output number "
		"(after in, dir, stateless)");
	/* a name whose define below is wrong is no unknown name above: the define's error */
	refused("allow src host x\ndefine x 10.0.0.1/24\n",
		"t.rules:2:10: '10.0.0.1/24': host bits set after the /24 prefix");
	refused("allow src net lan\ndefine lan 192.168.1.0/33\n",
		"t.rules:2:12: '192.168.1.0/33' is not an IPv4 address or ADDR/LEN prefix");
	refused("allow src net lan\ndefine lan 192.168.1.0/24 10.0.0.0/8\n",
		"t.rules:2:27: unexpected '10.0.0.0/8' after the address");
	/* while a name defined nowhere stays unknown */
	refused("allow src host y\ndefine x 10.0.0.1/24\n",
		"t.rules:1:16: rule 1: unknown name 'y'");
}

/* "in P[,P...]" and the other conditions; "deny" as an action. */
static void
test_conditions(void **state)
{
	struct fw_ruleset *rs;
	char act[32];

	(void)state;
	refused("in 0, allow tcp\n", "t.rules:1:6: 'in 0,': a port is missing after ','");
	refused("in 0,1, allow tcp\n", "t.rules:1:8: 'in 0,1,': a port is missing after ','");
	refused("in 0 in 1 allow tcp\n", "t.rules:1:1: the port conditions exclude every port");
	/* a port number beyond the core's ports is one, whatever its size */
	refused("in 2 allow tcp\n", "t.rules:1:4: port 2: the core engine has 2 port(s) (0..1)");
	refused("in 0,256 allow tcp\n",
		"t.rules:1:6: port 256: the core engine has 2 port(s) (0..1)");
	refused("dir 1>4294967296 allow tcp\n",
		"t.rules:1:7: port 4294967296: the core engine has 2 port(s) (0..1)");
	refused("allow = out 300\n", "t.rules:1:13: port 300: the core engine has 2 port(s) (0..1)");
	refused("in 00000000001 allow tcp\n", "t.rules:1:4: '00000000001' is not a port number");
	refused("in 1x allow tcp\n", "t.rules:1:4: '1x' is not a port number");
	/* and an output number beyond 255 is said to be one */
	refused("256 tcp\n", "t.rules:1:1: output 256: out of range (0..255)");
	refused("in 0 99999999999 tcp\n", "t.rules:1:6: output 99999999999: out of range (0..255)");
	/* the same when the output is given its action */
	refused("allow tcp\n256 = out 1\n", "t.rules:2:1: output 256: out of range (0..255)");
	refused("99999999999 = drop\n",
		"t.rules:1:1: output 99999999999: out of range (0..255)");
	/* a leading 0 would be octal in Click's IPFilter: refused, not read as decimal */
	refused("1 = out 1\n010 tcp\n", "t.rules:2:1: output 010: an output number is decimal "
		"without a leading 0 (Click's IPFilter reads it in octal)");
	refused("01 = out 1\n", "t.rules:1:1: output 01: an output number is decimal without a "
		"leading 0 (Click's IPFilter reads it in octal)");
	refused("00 tcp\n", "t.rules:1:1: output 00: an output number is decimal without a "
		"leading 0 (Click's IPFilter reads it in octal)");
	rs = loads("in 0,1 allow tcp\n");
	assert_int_equal(rs->rules[0].in_ports, 3);
	fw_rules_free(rs);
	/* deny is drop, as in Click's IPFilter */
	rs = loads("allow = deny\n1 = deny\nallow tcp\n1 udp\n");
	assert_string_equal(fw_action_str(&rs->allow, act, sizeof(act)), "drop");
	assert_string_equal(fw_action_str(&rs->rules[1].act, act, sizeof(act)), "drop");
	fw_rules_free(rs);
}

/*
 * A rule is an IPFilter argument: punctuation ends its action word as white
 * space does, as in Click ("allow(tcp)", "1!udp"), after the conditions too.
 */
static void
test_action_word(void **state)
{
	struct fw_ruleset *rs;

	(void)state;
	rs = loads("1 = out 1\nallow(tcp)\nin 0 deny!udp\nstateless 1(icmp or tcp)\n"
		   "drop(dst port 22)\n");
	assert_int_equal(rs->nb_rules, 4);
	assert_int_equal(rs->rules[0].verdict, FW_V_ALLOW);
	assert_string_equal(rs->rules[0].pattern, "(tcp)");
	assert_int_equal(rs->rules[0].pat_col, 6);
	assert_int_equal(rs->rules[1].verdict, FW_V_DENY);
	assert_int_equal(rs->rules[1].in_ports, 1);
	assert_string_equal(rs->rules[1].pattern, "!udp");
	assert_int_equal(rs->rules[2].verdict, FW_V_OUTPUT);
	assert_int_equal(rs->rules[2].output, 1);
	assert_int_equal(rs->rules[2].stateless, 1);
	assert_string_equal(rs->rules[2].pattern, "(icmp or tcp)");
	assert_string_equal(rs->rules[2].text, "stateless 1(icmp or tcp)");
	assert_string_equal(rs->rules[3].pattern, "(dst port 22)");
	fw_rules_free(rs);
	/* columns count from the line's start, the pattern's first byte included */
	refused("allow(tcpx)\n", "t.rules:1:7: rule 1: unknown name 'tcpx'");
	/* a word with no action before its punctuation is no rule, as before */
	refused("(tcp)\n", "t.rules:1:1: '(tcp)': a rule starts with allow, deny, drop or an "
		"output number (after in, dir, stateless)");
	refused("allow-tcp all\n", "t.rules:1:1: 'allow-tcp': a rule starts with allow, deny, "
		"drop or an output number (after in, dir, stateless)");
	refused("2(tcp)\n", "t.rules:1:1: output 2 has no action: define one first "
		"('2 = out 1')");
	refused("allow(\n", "t.rules:1:7: rule 1: expected a test");
}

/* "allow = ACTION" and "N = ACTION" with or without spaces around the '='. */
static void
test_action_lines(void **state)
{
	struct fw_ruleset *rs;
	char act[32];

	(void)state;
	rs = loads("allow=next\n1=drop\n2= out 1\n3 =role 7\n1 udp\n2 tcp\n3 icmp\n");
	assert_string_equal(fw_action_str(&rs->allow, act, sizeof(act)), "next");
	assert_string_equal(fw_action_str(&rs->rules[0].act, act, sizeof(act)), "drop");
	assert_string_equal(fw_action_str(&rs->rules[1].act, act, sizeof(act)), "out 1");
	assert_string_equal(fw_action_str(&rs->rules[2].act, act, sizeof(act)), "role 7");
	fw_rules_free(rs);
	refused("1=drop\n1 = next\n", "t.rules:2:1: output 1 has an action already");
	refused("allow=nxt\n", "t.rules:1:7: unknown action 'nxt' (pair, next, drop, out PORT, "
		"role ROLE)");
	refused("allow=\n", "t.rules:1:7: missing action (pair, next, drop, out PORT, "
		"role ROLE)");
	refused("x=drop\n", "t.rules:1:1: 'x =': allow or an output number 0..255 before '='");
}

/*
 * The text `rules show` writes of a rule, in a column of tab-separated ones:
 * the rule as written, comment and trailing blanks left out, each tab as "\t".
 */
static void
test_show_text(void **state)
{
	struct fw_ruleset *rs;

	(void)state;
	rs = loads("in 0\tallow\ttcp and\t\tdst port 22\t# ssh\t\n"
		   "\t stateless allow udp  \n"
		   "deny all\n");
	assert_int_equal(rs->nb_rules, 3);
	assert_string_equal(rs->rules[0].text, "in 0\\tallow\\ttcp and\\t\\tdst port 22");
	assert_string_equal(rs->rules[1].text, "stateless allow udp");
	assert_string_equal(rs->rules[2].text, "deny all");
	assert_null(strchr(rs->rules[0].text, '\t'));
	/* the pattern nl_filter compiles keeps its tabs: columns count bytes */
	assert_string_equal(rs->rules[0].pattern, "tcp and\t\tdst port 22");
	fw_rules_free(rs);
	/* any other control character is refused, as in a pattern or a comment */
	refused("allow tcp\v\n", "t.rules:1:10: control character 0x0b (is this a text file?)");
	refused("allow tcp # a\x1b[0m\n",
		"t.rules:1:14: control character 0x1b (is this a text file?)");
}

/*
 * Lines end with LF or CR LF, the last one perhaps with neither; a CR
 * elsewhere is refused. A UTF-8 byte order mark may start the file.
 */
static void
test_line_ends(void **state)
{
	struct fw_ruleset *rs;

	(void)state;
	rs = loads("# dos\r\nin 0 allow tcp # c\r\n\r\ndeny udp\r\nallow icmp");
	assert_int_equal(rs->nb_rules, 3);
	assert_int_equal(rs->rules[1].line, 4);
	assert_string_equal(rs->rules[1].text, "deny udp");
	assert_string_equal(rs->rules[2].pattern, "icmp");
	fw_rules_free(rs);
	rs = loads("allow tcp\r");
	assert_string_equal(rs->rules[0].pattern, "tcp");
	fw_rules_free(rs);
	refused("allow tcp\r\r\n", "t.rules:1:10: control character 0x0d (is this a text file?)");
	refused("allow\rtcp\n", "t.rules:1:6: control character 0x0d (is this a text file?)");
	/* a UTF-8 byte order mark before the first line is skipped: columns count after it */
	rs = loads("\xef\xbb\xbf# saved by an editor that marks UTF-8\r\nallow tcp\r\n");
	assert_int_equal(rs->nb_rules, 1);
	fw_rules_free(rs);
	rs = loads("\xef\xbb\xbf" "allow tcp\n");
	assert_string_equal(rs->rules[0].text, "allow tcp");
	fw_rules_free(rs);
	refused("\xef\xbb\xbf" "allow tcpx\n", "t.rules:1:7: rule 1: unknown name 'tcpx'");
}

/* A rules file that cannot be read is refused with the reason the system gives. */
static void
test_unreadable(void **state)
{
	char dir[64], want[96], err[512] = "";
	struct fw_ruleset *rs;

	(void)state;
	/* a directory given as the rules file (named after this process) */
	snprintf(dir, sizeof(dir), "/tmp/fw_rules_dir.%ld", (long)getpid());
	rmdir(dir); /* one an earlier run of the same pid left */
	assert_int_equal(mkdir(dir, 0700), 0);
	rs = fw_rules_load(dir, 2, err, sizeof(err));
	rmdir(dir);
	assert_null(rs);
	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	assert_string_equal(err, want);
}

/* @head, then a comment line of @len bytes, then @tail, in @buf. */
static const char *
with_comment(char *buf, const char *head, size_t len, const char *tail)
{
	size_t h = strlen(head);

	strcpy(buf, head);
	buf[h] = '#';
	memset(buf + h + 1, 'x', len - 1);
	strcpy(buf + h + len, tail);
	return buf;
}

/*
 * A line may be NL_LINE_MAX bytes long, not one more: a file with no line
 * end at all (/dev/zero) is refused at once, not read into memory whole.
 */
static void
test_long_line(void **state)
{
	char *text = malloc(NL_LINE_MAX + 64), err[512] = "", want[160];
	struct fw_ruleset *rs;

	(void)state;
	assert_non_null(text);
	rs = loads(with_comment(text, "", NL_LINE_MAX, "\nallow tcp\n"));
	assert_int_equal(rs->nb_rules, 1);
	assert_int_equal(rs->rules[0].line, 2);
	fw_rules_free(rs);
	snprintf(want, sizeof(want), "t.rules:1: line longer than %u bytes (is this a text file?)",
		 NL_LINE_MAX);
	assert_null(load(with_comment(text, "", NL_LINE_MAX + 1, "\nallow tcp\n"), err,
			 sizeof(err)));
	assert_string_equal(err, want);
	/* the same on line 2, after a good line, with no line end */
	snprintf(want, sizeof(want), "t.rules:2: line longer than %u bytes (is this a text file?)",
		 NL_LINE_MAX);
	assert_null(load(with_comment(text, "deny udp\n", NL_LINE_MAX + 1, ""), err, sizeof(err)));
	assert_string_equal(err, want);
	/* an earlier line's error is the one reported */
	assert_null(load(with_comment(text, "deny udx\n", NL_LINE_MAX + 1, ""), err, sizeof(err)));
	assert_string_equal(err, "t.rules:1:6: rule 1: unknown name 'udx'");
	free(text);
	rs = fw_rules_load("/dev/zero", 2, err, sizeof(err));
	assert_null(rs);
	snprintf(want, sizeof(want), "/dev/zero:1: line longer than %u bytes (is this a text "
		 "file?)", NL_LINE_MAX);
	assert_string_equal(err, want);
}

/*
 * An empty rules file (one being written, most often) is refused at start
 * and on reload; rules that drop every new connection come from a file of
 * comments alone.
 */
static void
test_empty_file(void **state)
{
	char path[64], err[512] = "", want[160];
	struct fw_ruleset *rs;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/fw_rules_empty.%ld", (long)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	errno = 0;
	rs = fw_rules_load(path, 2, err, sizeof(err));
	assert_null(rs);
	assert_int_equal(errno, ENODATA);
	snprintf(want, sizeof(want), "%s: the file is empty (a file of comments alone loads no "
		 "rules)", path);
	assert_string_equal(err, want);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# drops every new connection\n", f);
	fclose(f);
	rs = fw_rules_load(path, 2, err, sizeof(err));
	unlink(path);
	assert_non_null(rs);
	assert_int_equal(rs->nb_rules, 0);
	fw_rules_free(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_define_mac),
		cmocka_unit_test(test_define_long),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_first_error),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_action_word),
		cmocka_unit_test(test_action_lines),
		cmocka_unit_test(test_show_text),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_empty_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
