/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_mig_auth.h — how two netvm-managers authenticate each other over TCP
 * for `vm migrate NAME --to tcp:HOST:PORT` (docs/manager.md section 12).
 *
 * Both hold the same secret: the bytes of a key file only its owner can
 * read (manager.migrate_key). One request per connection, three lines:
 *
 *   destination -> source   "NETVM-MIGRATE 1 <Ns>\n"          a fresh nonce
 *   source -> destination   "<Nc> <MACreq> <request>\n"       its nonce, the request
 *   destination -> source   "<MACans> <JSON answer>\n", then it closes
 *
 *   MACreq = HMAC-SHA256(key, "netvm-migrate 1 request" NUL Ns Nc request)
 *   MACans = HMAC-SHA256(key, "netvm-migrate 1 answer" NUL Ns Nc answer)
 *
 * Nonces are 32 random bytes, MACs 32 bytes, both as 64 lowercase hex
 * digits. A request whose MAC does not verify is answered "- {JSON refusal}"
 * (no MAC: the refusal is for the operator's eyes, not to be trusted).
 * A replayed request fails (Ns is new on every connection), an answer
 * replayed from another connection fails (Nc). These requests are not
 * encrypted; the VM's stream is, by QEMU, when manager.migrate_tls is set.
 *
 * Pure functions, no I/O but mgr_auth_key_load() and mgr_mig_tls_check():
 * unit-tested
 * (tests/unit/test_mgr_mig_auth.c). Errors are negative errnos with a
 * message in the caller's buffer.
 */
#ifndef NETVM_MGR_MIG_AUTH_H
#define NETVM_MGR_MIG_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define MGR_AUTH_NONCE 32      /* bytes of a nonce */
#define MGR_AUTH_MAC 32        /* bytes of an HMAC-SHA256 */
#define MGR_AUTH_HEX 65        /* 64 hex digits and a NUL */
#define MGR_AUTH_KEY_MIN 16    /* bytes of a key file, at least */
#define MGR_AUTH_KEY_MAX 1024  /* ... at most */
#define MGR_AUTH_REQ_MAX 256   /* a request's text: "vm receive NAME" and the like */
#define MGR_AUTH_HELLO "NETVM-MIGRATE 1 "
#define MGR_AUTH_HOST_LEN 256  /* a host name or address, with the NUL */

/* The shared secret. */
struct mgr_auth_key {
	uint8_t bytes[MGR_AUTH_KEY_MAX];
	size_t len;
};

/*
 * Read key file @path into @key. The file must be a regular file owned by
 * this process's user, with no access for group or others (mode 0600 or
 * 0400), holding MGR_AUTH_KEY_MIN..MGR_AUTH_KEY_MAX bytes (all of them are
 * the key, a final newline too). Returns 0, or -ENOENT, -EPERM (mode or
 * owner), -EINVAL (size)... with a message naming the file in @err.
 */
int mgr_auth_key_load(const char *path, struct mgr_auth_key *key, char *err, size_t errlen);

/*
 * TLS on the migration stream (manager.migrate_tls): QEMU's own TLS with an
 * x509 credentials directory in QEMU's layout. What the directory must
 * hold for each use: MGR_TLS_CA ca-cert.pem; MGR_TLS_SERVER (the
 * destination's QEMU) that and server-cert.pem, server-key.pem;
 * MGR_TLS_CLIENT (the source's) that and client-cert.pem, client-key.pem.
 */
enum mgr_tls_use { MGR_TLS_CA, MGR_TLS_SERVER, MGR_TLS_CLIENT };

/*
 * Check that directory @dir holds the readable files of @use. Returns 0, or
 * -ENOENT, -EACCES... with a message naming the first missing file in @err.
 */
int mgr_mig_tls_check(const char *dir, enum mgr_tls_use use, char *err, size_t errlen);

/*
 * Split "HOST:PORT" (HOST a name, an IPv4 address or "[IPv6]") into @host
 * (without the brackets) and @port (1..65535). Returns 0, or -EINVAL with a
 * message in @err.
 */
int mgr_auth_hostport(const char *s, char *host, size_t hostlen, uint16_t *port, char *err,
		      size_t errlen);

/* "HOST:PORT" of @host and @port, "[HOST]:PORT" for an IPv6 address, into @buf. */
void mgr_auth_hostport_fmt(const char *host, uint16_t port, char *buf, size_t len);

/* Fill @nonce with random bytes. Returns 0, or -EIO when the system has none. */
int mgr_auth_nonce(uint8_t nonce[MGR_AUTH_NONCE]);

/* The destination's first line for nonce @ns, with its newline, into @buf
 * (at least sizeof(MGR_AUTH_HELLO) + 65 bytes). */
void mgr_auth_hello(const uint8_t ns[MGR_AUTH_NONCE], char *buf, size_t len);

/* The nonce of the destination's first line @line (without or with its
 * newline). Returns 0, or -EPROTO when it is not one. */
int mgr_auth_hello_parse(const char *line, uint8_t ns[MGR_AUTH_NONCE]);

/*
 * The source's request line for request @req (one line of text, no
 * newline, at most MGR_AUTH_REQ_MAX bytes), nonces @ns and @nc, with its
 * newline, into @buf. Returns 0, -EINVAL for a bad @req, -ENOSPC when @buf
 * is short, -EIO when HMAC fails.
 */
int mgr_auth_request(const struct mgr_auth_key *key, const uint8_t ns[MGR_AUTH_NONCE],
		     const uint8_t nc[MGR_AUTH_NONCE], const char *req, char *buf, size_t len);

/*
 * Check request line @line (NUL-terminated, its newline removed) against
 * nonce @ns: on success the source's nonce goes to @nc and *@req points to
 * the request inside @line. Returns 0, -EPROTO when it is malformed, -EACCES
 * when its MAC is not the key's (a wrong key, or a forged or replayed line);
 * the reason in @err.
 */
int mgr_auth_request_check(const struct mgr_auth_key *key, const uint8_t ns[MGR_AUTH_NONCE],
			   const char *line, uint8_t nc[MGR_AUTH_NONCE], const char **req,
			   char *err, size_t errlen);

/* The hex MAC of answer @answer for nonces @ns, @nc into @hex. Returns 0 or -EIO. */
int mgr_auth_answer_mac(const struct mgr_auth_key *key, const uint8_t ns[MGR_AUTH_NONCE],
			const uint8_t nc[MGR_AUTH_NONCE], const char *answer,
			char hex[MGR_AUTH_HEX]);

/*
 * Check answer @text ("<MAC> <answer>", its newline removed) for nonces
 * @ns, @nc: *@answer points to the answer inside @text. Returns 0 when the
 * MAC verifies; 1 for an unauthenticated refusal ("- <answer>": the
 * destination did not accept this request's MAC); -EPROTO when malformed;
 * -EACCES when the MAC is not the key's; the reason in @err.
 */
int mgr_auth_answer_check(const struct mgr_auth_key *key, const uint8_t ns[MGR_AUTH_NONCE],
			  const uint8_t nc[MGR_AUTH_NONCE], const char *text,
			  const char **answer, char *err, size_t errlen);

#endif /* NETVM_MGR_MIG_AUTH_H */
