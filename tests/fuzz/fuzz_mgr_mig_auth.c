/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_mgr_mig_auth.c — what a peer of the migration port (or a
 * destination answering a source) may send: the decoders of
 * manager/mgr_mig_auth.h against any bytes.
 *
 * Input: a selector byte (0: a request line, 1: an answer, 2: a greeting,
 * 3: HOST:PORT), then the text (cut at the first NUL). Properties, written
 * here: every call returns one of its documented values; a request or an
 * answer is accepted only when the line is what the signer writes for that
 * text under the test's key (so random bytes are refused: a forgery would
 * have to guess an HMAC); an unauthenticated refusal is exactly a "- "
 * prefix; a parsed greeting or HOST:PORT prints back to what was read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mgr_mig_auth.h"

#define FZ_MAX 2048

static void
fz_key(struct mgr_auth_key *k, uint8_t *ns)
{
	unsigned int i;

	memset(k, 0, sizeof(*k));
	memcpy(k->bytes, "fuzz-key-fuzz-key-fuzz-key-32byt", 32);
	k->len = 32;
	for (i = 0; i < MGR_AUTH_NONCE; i++)
		ns[i] = (uint8_t)(7 * i + 1);
}

static void
fz_request(const char *line)
{
	static struct mgr_auth_key k;
	uint8_t ns[MGR_AUTH_NONCE], nc[MGR_AUTH_NONCE];
	char err[512], again[FZ_MAX + 256];
	const char *req = NULL;
	int r;

	fz_key(&k, ns);
	r = mgr_auth_request_check(&k, ns, line, nc, &req, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EPROTO || r == -EACCES, "request: returned %d", r);
	FUZZ_CHECK(r == 0 || err[0] != '\0', "request: refused without a reason");
	if (r != 0)
		return;
	FUZZ_CHECK(req >= line && req < line + strlen(line) + 1, "request: not inside the line");
	FUZZ_CHECK(strlen(req) <= MGR_AUTH_REQ_MAX, "request: %zu bytes accepted", strlen(req));
	/* accepted: the line is the signer's own for that request and nonce */
	FUZZ_CHECK(mgr_auth_request(&k, ns, nc, req, again, sizeof(again)) == 0 &&
		 strncmp(again, line, strlen(line)) == 0 && again[strlen(line)] == '\n',
		 "request: accepted a line the signer would not write: %s", line);
}

static void
fz_answer(const char *text)
{
	static struct mgr_auth_key k;
	uint8_t ns[MGR_AUTH_NONCE], nc[MGR_AUTH_NONCE];
	char err[512], hex[MGR_AUTH_HEX];
	const char *ans = NULL;
	int r;

	fz_key(&k, ns);
	memcpy(nc, ns, sizeof(nc));
	nc[0] ^= 0x55;
	err[0] = '\0';
	r = mgr_auth_answer_check(&k, ns, nc, text, &ans, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == 1 || r == -EPROTO || r == -EACCES, "answer: returned %d", r);
	FUZZ_CHECK(r != 1 || (strncmp(text, "- ", 2) == 0 && ans == text + 2),
		 "answer: a refusal that is not \"- \"");
	FUZZ_CHECK(strncmp(text, "- ", 2) != 0 || r == 1, "answer: \"- \" not flagged");
	if (r != 0)
		return;
	FUZZ_CHECK(mgr_auth_answer_mac(&k, ns, nc, ans, hex) == 0 && ans == text + 65 &&
		 strncmp(text, hex, 64) == 0, "answer: accepted a MAC that is not the key's");
}

static void
fz_hello(const char *line)
{
	uint8_t ns[MGR_AUTH_NONCE];
	char again[128];
	int r = mgr_auth_hello_parse(line, ns);

	FUZZ_CHECK(r == 0 || r == -EPROTO, "hello: returned %d", r);
	if (r != 0)
		return;
	mgr_auth_hello(ns, again, sizeof(again));
	FUZZ_CHECK(strncmp(again, line, strlen(line)) == 0 &&
		 (line[strlen(line) - 1] == '\n' || strlen(again) == strlen(line) + 1),
		 "hello: accepted '%s', which prints as '%s'", line, again);
}

static void
fz_hostport(const char *s)
{
	char host[MGR_AUTH_HOST_LEN], host2[MGR_AUTH_HOST_LEN], again[MGR_AUTH_HOST_LEN + 16];
	char err[512];
	uint16_t port = 0, port2 = 0;
	unsigned long p;
	int r = mgr_auth_hostport(s, host, sizeof(host), &port, err, sizeof(err));

	FUZZ_CHECK(r == 0 || r == -EINVAL, "hostport: returned %d", r);
	if (r != 0)
		return;
	FUZZ_CHECK(host[0] != '\0' && strpbrk(host, " /") == NULL && port != 0,
		 "hostport: '%s' gave host '%s' port %u", s, host, port);
	p = strtoul(strrchr(s, ':') + 1, NULL, 10);
	FUZZ_CHECK(p == port, "hostport: '%s' gave port %u", s, port);
	FUZZ_CHECK(strchr(host, ':') == NULL || s[0] == '[', "hostport: an IPv6 host without "
		 "brackets: '%s'", s);
	mgr_auth_hostport_fmt(host, port, again, sizeof(again));
	FUZZ_CHECK(mgr_auth_hostport(again, host2, sizeof(host2), &port2, err, sizeof(err)) == 0 &&
		 strcmp(host, host2) == 0 && port == port2, "hostport: '%s' prints as '%s', "
		 "which does not read back", s, again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[FZ_MAX + 1];
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1 < FZ_MAX ? size - 1 : FZ_MAX;
	memcpy(text, data + 1, n);
	text[n] = '\0';
	switch (data[0] & 3) {
	case 0:
		fz_request(text);
		break;
	case 1:
		fz_answer(text);
		break;
	case 2:
		fz_hello(text);
		break;
	default:
		fz_hostport(text);
		break;
	}
	return 0;
}
