/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the authentication between netvm-managers
 * (manager/mgr_mig_auth.c): HOST:PORT, the key file's checks, and the
 * challenge-response lines. The MACs expected here were computed apart from
 * the code under test (Python's hmac module, HMAC-SHA256 over
 * label NUL Ns Nc text), so a change of the wire format fails here.
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
#include <unistd.h>

#include <cmocka.h>

#include "mgr_mig_auth.h"

static char dir[256];

/* The fixed inputs of the known answers. */
static const char key_text[] = "0123456789abcdef0123456789abcdef";
static const char ns_hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char nc_hex[] = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
static const char req_mac[] = "f2058a12ebf046f259a251453345a7820f6735fd78ee2b9b067aac29af5a579a";
static const char ans_mac[] = "baca7492129b1012c5e173804984d4c9e0ef660c392aac97c08da2d06ad2da9a";

static void
fixed(struct mgr_auth_key *k, uint8_t *ns, uint8_t *nc)
{
	unsigned int i;

	memcpy(k->bytes, key_text, strlen(key_text));
	k->len = strlen(key_text);
	for (i = 0; i < MGR_AUTH_NONCE; i++) {
		ns[i] = (uint8_t)i;
		nc[i] = (uint8_t)(32 + i);
	}
}

static int
setup_dir(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test_mgr_mig_auth.XXXXXX",
		 tmp != NULL && tmp[0] ? tmp : P_tmpdir);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown_dir(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write @len bytes of @text to <dir>/@name with @mode; the path into @path. */
static void
write_key(const char *name, const char *text, size_t len, mode_t mode, char *path, size_t plen)
{
	FILE *f;

	snprintf(path, plen, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_hostport(void **state)
{
	static const char *const bad[] = {
		"7400", ":7400", "host:", "host:0", "host:65536", "host:12x", "host:-1",
		"::1:7400", "[::1]7400", "[::1]:", "[]:7400", "a b:7400", "a/b:1", "[[]:5",
		"a]:5", "",
	};
	char host[MGR_AUTH_HOST_LEN], err[256], buf[300];
	uint16_t port;
	unsigned int i;

	(void)state;
	assert_int_equal(mgr_auth_hostport("127.0.0.1:7400", host, sizeof(host), &port, err,
					   sizeof(err)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 7400);
	assert_int_equal(mgr_auth_hostport("[fe80::1:2]:65535", host, sizeof(host), &port, err,
					   sizeof(err)), 0);
	assert_string_equal(host, "fe80::1:2");
	assert_int_equal(port, 65535);
	assert_int_equal(mgr_auth_hostport("host-b.example:1", host, sizeof(host), &port, err,
					   sizeof(err)), 0);
	assert_string_equal(host, "host-b.example");
	assert_int_equal(port, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (mgr_auth_hostport(bad[i], host, sizeof(host), &port, err, sizeof(err)) !=
		    -EINVAL)
			fail_msg("'%s' was taken for HOST:PORT", bad[i]);
		assert_non_null(strstr(err, bad[i]));
	}
	/* a host longer than the buffer */
	assert_int_equal(mgr_auth_hostport("abcdefgh:1", host, 8, &port, err, sizeof(err)),
			 -EINVAL);
	mgr_auth_hostport_fmt("::1", 80, buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:80");
	mgr_auth_hostport_fmt("10.0.0.1", 80, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1:80");
}

static void
test_key_file(void **state)
{
	char path[512], link[512], err[512];
	char big[MGR_AUTH_KEY_MAX + 1];
	struct mgr_auth_key *k = malloc(sizeof(*k));

	(void)state;
	assert_non_null(k);
	write_key("good", key_text, 32, 0600, path, sizeof(path));
	assert_int_equal(mgr_auth_key_load(path, k, err, sizeof(err)), 0);
	assert_int_equal(k->len, 32);
	assert_memory_equal(k->bytes, key_text, 32);
	write_key("readonly", key_text, 16, 0400, path, sizeof(path));
	assert_int_equal(mgr_auth_key_load(path, k, err, sizeof(err)), 0);
	assert_int_equal(k->len, 16);

	write_key("group", key_text, 32, 0640, path, sizeof(path));
	assert_int_equal(mgr_auth_key_load(path, k, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "mode 0640"));
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(k->len, 0);
	write_key("world", key_text, 32, 0604, path, sizeof(path));
	assert_int_equal(mgr_auth_key_load(path, k, err, sizeof(err)), -EPERM);

	write_key("short", key_text, 15, 0600, path, sizeof(path));
	assert_int_equal(mgr_auth_key_load(path, k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "15 bytes"));
	memset(big, 'k', sizeof(big));
	write_key("long", big, sizeof(big), 0600, path, sizeof(path));
	assert_int_equal(mgr_auth_key_load(path, k, err, sizeof(err)), -EINVAL);

	snprintf(path, sizeof(path), "%s/absent", dir);
	assert_int_equal(mgr_auth_key_load(path, k, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_int_equal(mgr_auth_key_load(dir, k, err, sizeof(err)), -EINVAL);
	/* a symbolic link is not followed (another user's file behind it) */
	snprintf(path, sizeof(path), "%s/good", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(mgr_auth_key_load(link, k, err, sizeof(err)), -ELOOP);
	free(k);
}

/* mgr_mig_tls_check(): which files each use needs, in QEMU's x509 layout */
static void
test_tls_dir(void **state)
{
	char tls[512], path[1024], err[2048];

	(void)state;
	snprintf(tls, sizeof(tls), "%s/tls", dir);
	assert_int_equal(mgr_mig_tls_check(tls, MGR_TLS_CA, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, tls));
	assert_int_equal(mkdir(tls, 0700), 0);
	assert_int_equal(mgr_mig_tls_check(tls, MGR_TLS_CA, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "ca-cert.pem"));
	write_key("tls/ca-cert.pem", key_text, 32, 0644, path, sizeof(path));
	assert_int_equal(mgr_mig_tls_check(tls, MGR_TLS_CA, err, sizeof(err)), 0);
	assert_int_equal(mgr_mig_tls_check(tls, MGR_TLS_SERVER, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "server-cert.pem"));
	write_key("tls/server-cert.pem", key_text, 32, 0644, path, sizeof(path));
	assert_int_equal(mgr_mig_tls_check(tls, MGR_TLS_SERVER, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "server-key.pem"));
	snprintf(path, sizeof(path), "%s/server-key.pem", tls);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(mgr_mig_tls_check(tls, MGR_TLS_SERVER, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "server-key.pem: not a regular file"));
	assert_int_equal(rmdir(path), 0);
	write_key("tls/server-key.pem", key_text, 32, 0600, path, sizeof(path));
	assert_int_equal(mgr_mig_tls_check(tls, MGR_TLS_SERVER, err, sizeof(err)), 0);
	/* a server's directory is not a client's */
	assert_int_equal(mgr_mig_tls_check(tls, MGR_TLS_CLIENT, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "client-cert.pem"));
	write_key("tls/client-cert.pem", key_text, 32, 0644, path, sizeof(path));
	write_key("tls/client-key.pem", key_text, 32, 0600, path, sizeof(path));
	assert_int_equal(mgr_mig_tls_check(tls, MGR_TLS_CLIENT, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/ca-cert.pem", tls);
	assert_int_equal(mgr_mig_tls_check(path, MGR_TLS_CA, err, sizeof(err)), -ENOTDIR);
}

static void
test_hello(void **state)
{
	uint8_t ns[MGR_AUTH_NONCE], back[MGR_AUTH_NONCE], other[MGR_AUTH_NONCE];
	char line[128], want[128];
	unsigned int i;

	(void)state;
	for (i = 0; i < MGR_AUTH_NONCE; i++)
		ns[i] = (uint8_t)i;
	mgr_auth_hello(ns, line, sizeof(line));
	snprintf(want, sizeof(want), "NETVM-MIGRATE 1 %s\n", ns_hex);
	assert_string_equal(line, want);
	assert_int_equal(mgr_auth_hello_parse(line, back), 0);
	assert_memory_equal(back, ns, MGR_AUTH_NONCE);
	line[strlen(line) - 1] = '\0'; /* without its newline too */
	assert_int_equal(mgr_auth_hello_parse(line, back), 0);
	assert_int_equal(mgr_auth_hello_parse("NETVM-MIGRATE 2 00", back), -EPROTO);
	assert_int_equal(mgr_auth_hello_parse("SSH-2.0-OpenSSH_9.2\n", back), -EPROTO);
	snprintf(line, sizeof(line), "NETVM-MIGRATE 1 %.62s\n", ns_hex); /* short */
	assert_int_equal(mgr_auth_hello_parse(line, back), -EPROTO);
	snprintf(line, sizeof(line), "NETVM-MIGRATE 1 %sff\n", ns_hex); /* long */
	assert_int_equal(mgr_auth_hello_parse(line, back), -EPROTO);
	snprintf(line, sizeof(line), "NETVM-MIGRATE 1 %.63sg\n", ns_hex); /* not hex */
	assert_int_equal(mgr_auth_hello_parse(line, back), -EPROTO);
	/* nonces are random: two in a row differ */
	assert_int_equal(mgr_auth_nonce(ns), 0);
	assert_int_equal(mgr_auth_nonce(other), 0);
	assert_memory_not_equal(ns, other, MGR_AUTH_NONCE);
}

static void
test_request(void **state)
{
	struct mgr_auth_key *k = malloc(sizeof(*k)), *wrong = malloc(sizeof(*wrong));
	uint8_t ns[MGR_AUTH_NONCE], nc[MGR_AUTH_NONCE], got[MGR_AUTH_NONCE];
	char line[512], want[512], err[256], bad[512];
	const char *req;

	(void)state;
	assert_non_null(k);
	assert_non_null(wrong);
	fixed(k, ns, nc);
	assert_int_equal(mgr_auth_request(k, ns, nc, "vm receive l3fwd", line, sizeof(line)), 0);
	snprintf(want, sizeof(want), "%s %s vm receive l3fwd\n", nc_hex, req_mac);
	assert_string_equal(line, want);

	line[strlen(line) - 1] = '\0';
	assert_int_equal(mgr_auth_request_check(k, ns, line, got, &req, err, sizeof(err)), 0);
	assert_string_equal(req, "vm receive l3fwd");
	assert_memory_equal(got, nc, MGR_AUTH_NONCE);

	/* another key */
	*wrong = *k;
	wrong->bytes[5] ^= 1;
	assert_int_equal(mgr_auth_request_check(wrong, ns, line, got, &req, err, sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "does not match"));
	/* a key that is a prefix of the right one */
	wrong->len = 31;
	wrong->bytes[5] ^= 1;
	assert_int_equal(mgr_auth_request_check(wrong, ns, line, got, &req, err, sizeof(err)),
			 -EACCES);
	/* replayed on another connection (another Ns) */
	ns[0] ^= 0x80;
	assert_int_equal(mgr_auth_request_check(k, ns, line, got, &req, err, sizeof(err)),
			 -EACCES);
	ns[0] ^= 0x80;
	/* the request changed on the way */
	snprintf(bad, sizeof(bad), "%s %s vm stop l3fwd", nc_hex, req_mac);
	assert_int_equal(mgr_auth_request_check(k, ns, bad, got, &req, err, sizeof(err)),
			 -EACCES);
	/* its nonce changed on the way */
	snprintf(bad, sizeof(bad), "%s", line);
	bad[0] = '1';
	assert_int_equal(mgr_auth_request_check(k, ns, bad, got, &req, err, sizeof(err)),
			 -EACCES);
	/* malformed */
	assert_int_equal(mgr_auth_request_check(k, ns, "vm list", got, &req, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "not a netvm-manager"));
	snprintf(bad, sizeof(bad), "%s %s ", nc_hex, req_mac); /* no request */
	assert_int_equal(mgr_auth_request_check(k, ns, bad, got, &req, err, sizeof(err)),
			 -EPROTO);
	snprintf(bad, sizeof(bad), "%s  %s vm list", nc_hex, req_mac);
	assert_int_equal(mgr_auth_request_check(k, ns, bad, got, &req, err, sizeof(err)),
			 -EPROTO);
	snprintf(bad, sizeof(bad), "%s %.63sZ vm list", nc_hex, req_mac);
	assert_int_equal(mgr_auth_request_check(k, ns, bad, got, &req, err, sizeof(err)),
			 -EPROTO);
	snprintf(bad, sizeof(bad), "%s %s %0*d", nc_hex, req_mac, MGR_AUTH_REQ_MAX + 1, 0);
	assert_int_equal(mgr_auth_request_check(k, ns, bad, got, &req, err, sizeof(err)),
			 -EPROTO);
	/* what the source refuses to sign */
	assert_int_equal(mgr_auth_request(k, ns, nc, "", line, sizeof(line)), -EINVAL);
	assert_int_equal(mgr_auth_request(k, ns, nc, "vm list\nvm stop x", line, sizeof(line)),
			 -EINVAL);
	assert_int_equal(mgr_auth_request(k, ns, nc, "vm list", line, 100), -ENOSPC);
	free(k);
	free(wrong);
}

static void
test_answer(void **state)
{
	struct mgr_auth_key *k = malloc(sizeof(*k));
	uint8_t ns[MGR_AUTH_NONCE], nc[MGR_AUTH_NONCE];
	char hex[MGR_AUTH_HEX], text[512], err[256];
	const char *ans;

	(void)state;
	assert_non_null(k);
	fixed(k, ns, nc);
	assert_int_equal(mgr_auth_answer_mac(k, ns, nc, "{\"ok\":true}", hex), 0);
	assert_string_equal(hex, ans_mac);
	snprintf(text, sizeof(text), "%s {\"ok\":true}", ans_mac);
	assert_int_equal(mgr_auth_answer_check(k, ns, nc, text, &ans, err, sizeof(err)), 0);
	assert_string_equal(ans, "{\"ok\":true}");
	/* changed on the way, or replayed from another request (another Nc) */
	snprintf(text, sizeof(text), "%s {\"ok\":false}", ans_mac);
	assert_int_equal(mgr_auth_answer_check(k, ns, nc, text, &ans, err, sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "does not match"));
	snprintf(text, sizeof(text), "%s {\"ok\":true}", ans_mac);
	nc[31] ^= 1;
	assert_int_equal(mgr_auth_answer_check(k, ns, nc, text, &ans, err, sizeof(err)),
			 -EACCES);
	nc[31] ^= 1;
	/* the destination's refusal: not authenticated, flagged as such */
	assert_int_equal(mgr_auth_answer_check(k, ns, nc, "- {\"ok\":false,\"error\":\"x\"}",
					       &ans, err, sizeof(err)), 1);
	assert_string_equal(ans, "{\"ok\":false,\"error\":\"x\"}");
	/* malformed: a JSON answer without MAC (a control socket, not a migration port) */
	assert_int_equal(mgr_auth_answer_check(k, ns, nc, "{\"ok\":true}", &ans, err,
					       sizeof(err)), -EPROTO);
	assert_int_equal(mgr_auth_answer_check(k, ns, nc, "", &ans, err, sizeof(err)), -EPROTO);
	free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_tls_dir),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_answer),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
