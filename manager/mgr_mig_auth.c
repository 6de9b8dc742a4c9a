/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_mig_auth.c — the key file, HOST:PORT, and the HMAC challenge-response
 * lines two netvm-managers exchange before a migration request over TCP
 * (mgr_mig_auth.h has the protocol). HMAC-SHA256 and the nonces come from
 * OpenSSL's libcrypto; the MAC comparison is constant-time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "mgr_mig_auth.h"

static const char auth_label_req[] = "netvm-migrate 1 request";
static const char auth_label_ans[] = "netvm-migrate 1 answer";

int
mgr_mig_tls_check(const char *dir, enum mgr_tls_use use, char *err, size_t errlen)
{
	static const char *const files[][3] = {
		[MGR_TLS_CA] = { "ca-cert.pem", NULL, NULL },
		[MGR_TLS_SERVER] = { "ca-cert.pem", "server-cert.pem", "server-key.pem" },
		[MGR_TLS_CLIENT] = { "ca-cert.pem", "client-cert.pem", "client-key.pem" },
	};
	char path[4096];
	struct stat st;
	unsigned int i;
	int r;

	r = stat(dir, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (r < 0) {
		snprintf(err, errlen, "migrate TLS directory %s: %s", dir, strerror(-r));
		return r;
	}
	for (i = 0; i < 3 && files[use][i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[use][i]);
		r = access(path, R_OK) < 0 ? -errno : 0;
		if (r == 0 && (stat(path, &st) < 0 || !S_ISREG(st.st_mode)))
			r = -EINVAL;
		if (r < 0) {
			snprintf(err, errlen, "migrate TLS directory %s: %s: %s (QEMU's x509 "
				 "layout: ca-cert.pem, and server-cert.pem and server-key.pem "
				 "where streams come in, client-cert.pem and client-key.pem where "
				 "they go out)", dir, files[use][i],
				 r == -EINVAL ? "not a regular file" : strerror(-r));
			return r;
		}
	}
	return 0;
}

int
mgr_auth_key_load(const char *path, struct mgr_auth_key *key, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	key->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "migrate key %s: %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		snprintf(err, errlen, "migrate key %s: not a regular file", path);
	} else if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		r = -EPERM;
		snprintf(err, errlen, "migrate key %s: mode %04o, owner uid %u: it must be readable "
			 "by its owner only (chown the manager's user, chmod 600)", path,
			 (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid);
	} else if (st.st_size < MGR_AUTH_KEY_MIN || st.st_size > MGR_AUTH_KEY_MAX) {
		r = -EINVAL;
		snprintf(err, errlen, "migrate key %s: %lld bytes; give %d to %d (head -c 32 "
			 "/dev/urandom > FILE)", path, (long long)st.st_size, MGR_AUTH_KEY_MIN,
			 MGR_AUTH_KEY_MAX);
	}
	if (r < 0)
		goto out;
	n = read(fd, key->bytes, (size_t)st.st_size);
	if (n != st.st_size) {
		r = n < 0 ? -errno : -EIO;
		snprintf(err, errlen, "migrate key %s: cannot read it whole: %s", path,
			 n < 0 ? strerror(errno) : "short read");
		goto out;
	}
	key->len = (size_t)n;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

int
mgr_auth_hostport(const char *s, char *host, size_t hostlen, uint16_t *port, char *err,
		  size_t errlen)
{
	const char *colon, *h = s, *end;
	unsigned long p;
	size_t hl;
	char *pe;

	if (s[0] == '[') {
		end = strchr(s, ']');
		colon = end != NULL && end[1] == ':' ? end + 1 : NULL;
		h = s + 1;
		hl = end != NULL ? (size_t)(end - h) : 0;
	} else {
		colon = strrchr(s, ':');
		hl = colon != NULL ? (size_t)(colon - s) : 0;
		if (colon != NULL && memchr(s, ':', hl) != NULL)
			colon = NULL; /* an IPv6 address without brackets */
	}
	if (colon == NULL || hl == 0 || hl >= hostlen || strcspn(h, " /[]") < hl) {
		snprintf(err, errlen, "'%s' is not HOST:PORT (an IPv6 address in brackets: "
			 "[::1]:7400)", s);
		return -EINVAL;
	}
	errno = 0;
	p = strtoul(colon + 1, &pe, 10);
	if (colon[1] < '0' || colon[1] > '9' || *pe != '\0' || errno != 0 || p == 0 || p > 65535) {
		snprintf(err, errlen, "'%s': '%s' is not a port (1..65535)", s, colon + 1);
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

void
mgr_auth_hostport_fmt(const char *host, uint16_t port, char *buf, size_t len)
{
	snprintf(buf, len, strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u", host,
		 (unsigned int)port);
}

int
mgr_auth_nonce(uint8_t nonce[MGR_AUTH_NONCE])
{
	return RAND_bytes(nonce, MGR_AUTH_NONCE) == 1 ? 0 : -EIO;
}

/* @n bytes of @b as lowercase hex into @hex (2n + 1 bytes). */
static void
auth_hex(const uint8_t *b, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 15];
	}
	hex[2 * n] = '\0';
}

/* @n bytes from the 2n lowercase hex digits at @hex; -EPROTO when they are not. */
static int
auth_unhex(const char *hex, uint8_t *b, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = hex[2 * i] >= '0' && hex[2 * i] <= '9' ? hex[2 * i] - '0' :
		     hex[2 * i] >= 'a' && hex[2 * i] <= 'f' ? hex[2 * i] - 'a' + 10 : -1;
		lo = hex[2 * i + 1] >= '0' && hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' :
		     hex[2 * i + 1] >= 'a' && hex[2 * i + 1] <= 'f' ? hex[2 * i + 1] - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -EPROTO;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* HMAC-SHA256 under @key of @label (with its NUL), @ns, @nc and @text into @mac. */
static int
auth_mac(const struct mgr_auth_key *key, const char *label, const uint8_t *ns,
	 const uint8_t *nc, const char *text, uint8_t mac[MGR_AUTH_MAC])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = alg != NULL ? EVP_MAC_CTX_new(alg) : NULL;
	size_t out = 0;
	int ok;

	ok = ctx != NULL && EVP_MAC_init(ctx, key->bytes, key->len, params) == 1 &&
	     EVP_MAC_update(ctx, (const uint8_t *)label, strlen(label) + 1) == 1 &&
	     EVP_MAC_update(ctx, ns, MGR_AUTH_NONCE) == 1 &&
	     EVP_MAC_update(ctx, nc, MGR_AUTH_NONCE) == 1 &&
	     EVP_MAC_update(ctx, (const uint8_t *)text, strlen(text)) == 1 &&
	     EVP_MAC_final(ctx, mac, &out, MGR_AUTH_MAC) == 1 && out == MGR_AUTH_MAC;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(alg);
	return ok ? 0 : -EIO;
}

/* Compare MAC @got with the key's MAC of @text (constant time): 0, -EACCES
 * with @mismatch in @err, or -EIO. */
static int
auth_verify(const struct mgr_auth_key *key, const char *label, const uint8_t *ns,
	    const uint8_t *nc, const char *text, const uint8_t got[MGR_AUTH_MAC],
	    const char *mismatch, char *err, size_t errlen)
{
	uint8_t want[MGR_AUTH_MAC];

	if (auth_mac(key, label, ns, nc, text, want) < 0) {
		snprintf(err, errlen, "HMAC failed (libcrypto)");
		return -EIO;
	}
	if (CRYPTO_memcmp(got, want, MGR_AUTH_MAC) != 0) {
		snprintf(err, errlen, "%s", mismatch);
		return -EACCES;
	}
	return 0;
}

void
mgr_auth_hello(const uint8_t ns[MGR_AUTH_NONCE], char *buf, size_t len)
{
	char hex[MGR_AUTH_HEX];

	auth_hex(ns, MGR_AUTH_NONCE, hex);
	snprintf(buf, len, MGR_AUTH_HELLO "%s\n", hex);
}

int
mgr_auth_hello_parse(const char *line, uint8_t ns[MGR_AUTH_NONCE])
{
	const char *hex = line + strlen(MGR_AUTH_HELLO);

	if (strncmp(line, MGR_AUTH_HELLO, strlen(MGR_AUTH_HELLO)) != 0 ||
	    strnlen(hex, 2 * MGR_AUTH_NONCE + 2) < 2 * MGR_AUTH_NONCE ||
	    (hex[2 * MGR_AUTH_NONCE] != '\0' && strcmp(hex + 2 * MGR_AUTH_NONCE, "\n") != 0))
		return -EPROTO;
	return auth_unhex(hex, ns, MGR_AUTH_NONCE);
}

int
mgr_auth_request(const struct mgr_auth_key *key, const uint8_t ns[MGR_AUTH_NONCE],
		 const uint8_t nc[MGR_AUTH_NONCE], const char *req, char *buf, size_t len)
{
	char hn[MGR_AUTH_HEX], hm[MGR_AUTH_HEX];
	uint8_t mac[MGR_AUTH_MAC];
	int n;

	if (req[0] == '\0' || strlen(req) > MGR_AUTH_REQ_MAX || strpbrk(req, "\r\n") != NULL)
		return -EINVAL;
	if (auth_mac(key, auth_label_req, ns, nc, req, mac) < 0)
		return -EIO;
	auth_hex(nc, MGR_AUTH_NONCE, hn);
	auth_hex(mac, MGR_AUTH_MAC, hm);
	n = snprintf(buf, len, "%s %s %s\n", hn, hm, req);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int
mgr_auth_request_check(const struct mgr_auth_key *key, const uint8_t ns[MGR_AUTH_NONCE],
		       const char *line, uint8_t nc[MGR_AUTH_NONCE], const char **req,
		       char *err, size_t errlen)
{
	const size_t h = 2 * MGR_AUTH_NONCE;
	uint8_t got[MGR_AUTH_MAC];

	if (strnlen(line, 2 * h + 3) < 2 * h + 3 || line[h] != ' ' || line[2 * h + 1] != ' ' ||
	    auth_unhex(line, nc, MGR_AUTH_NONCE) < 0 ||
	    auth_unhex(line + h + 1, got, MGR_AUTH_MAC) < 0 ||
	    strlen(line + 2 * h + 2) > MGR_AUTH_REQ_MAX) {
		snprintf(err, errlen, "not a netvm-manager's migration request (\"NONCE MAC "
			 "REQUEST\", 64 hex digits each)");
		return -EPROTO;
	}
	*req = line + 2 * h + 2;
	return auth_verify(key, auth_label_req, ns, nc, *req, got, "its HMAC does not match "
			   "this manager's key (manager.migrate_key differs, or the request was "
			   "forged or replayed)", err, errlen);
}

int
mgr_auth_answer_mac(const struct mgr_auth_key *key, const uint8_t ns[MGR_AUTH_NONCE],
		    const uint8_t nc[MGR_AUTH_NONCE], const char *answer, char hex[MGR_AUTH_HEX])
{
	uint8_t mac[MGR_AUTH_MAC];

	if (auth_mac(key, auth_label_ans, ns, nc, answer, mac) < 0)
		return -EIO;
	auth_hex(mac, MGR_AUTH_MAC, hex);
	return 0;
}

int
mgr_auth_answer_check(const struct mgr_auth_key *key, const uint8_t ns[MGR_AUTH_NONCE],
		      const uint8_t nc[MGR_AUTH_NONCE], const char *text, const char **answer,
		      char *err, size_t errlen)
{
	const size_t h = 2 * MGR_AUTH_MAC;
	uint8_t got[MGR_AUTH_MAC];

	if (text[0] == '-' && text[1] == ' ') {
		*answer = text + 2;
		return 1;
	}
	if (strnlen(text, h + 2) < h + 2 || text[h] != ' ' ||
	    auth_unhex(text, got, MGR_AUTH_MAC) < 0) {
		snprintf(err, errlen, "an answer that is not \"MAC JSON\": not a netvm-manager's "
			 "migration port?");
		return -EPROTO;
	}
	*answer = text + h + 1;
	return auth_verify(key, auth_label_ans, ns, nc, *answer, got, "the answer's HMAC does "
			   "not match this manager's key: not the destination manager, or not the "
			   "same manager.migrate_key", err, errlen);
}
