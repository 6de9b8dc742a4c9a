/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvmctl_json.c — what `netvmctl --json` prints: every answer as valid
 * JSON (text that is not UTF-8, such as an argument echoed back, has its
 * bad bytes replaced by U+FFFD), and a failure that got no answer (no
 * socket, no such VM, ...) as {"ok": false, "error": "..."} on stdout too,
 * its message still on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "netvmctl.h"

static bool json_mode;    /* --json */
static bool json_printed; /* an answer went to stdout */
static char said[512];    /* the first line netvmctl wrote to stderr */
static size_t said_len;
static FILE *real_stderr;

/* The length of the valid UTF-8 sequence at @s (of @n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

/* Write @s to @f with every byte that starts no valid UTF-8 sequence
 * replaced by U+FFFD. */
static void
put_utf8(const char *s, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n > 0) {
		size_t k = utf8_seq(p, n);

		if (k == 0) {
			fputs("\xef\xbf\xbd", f);
			k = 1;
		} else {
			fwrite(p, 1, k, f);
		}
		p += k;
		n -= k;
	}
}

void
ctl_json_print(struct json_object *o)
{
	put_utf8(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_NOSLASHESCAPE),
		 stdout);
	fputc('\n', stdout);
	json_printed = true;
}

/* stderr, kept: what is written goes on to the real stderr, and its first
 * line is kept for the failure object. */
static ssize_t
tee_write(void *cookie, const char *buf, size_t size)
{
	size_t room = sizeof(said) - 1 - said_len;

	(void)cookie;
	if (room > 0 && memchr(said, '\n', said_len) == NULL) {
		memcpy(said + said_len, buf, size < room ? size : room);
		said_len += size < room ? size : room;
	}
	return (ssize_t)fwrite(buf, 1, size, real_stderr);
}

void
ctl_json_begin(void)
{
	static const cookie_io_functions_t io = { .write = tee_write };
	FILE *tee;
	int fd;

	json_mode = true;
	fd = dup(fileno(stderr));
	real_stderr = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (real_stderr == NULL)
		return;
	setvbuf(real_stderr, NULL, _IONBF, 0);
	tee = fopencookie(NULL, "w", io);
	if (tee == NULL)
		return;
	setvbuf(tee, NULL, _IONBF, 0);
	stderr = tee;
}

void
ctl_json_end(int status)
{
	struct json_object *o;
	char *nl, *msg = said;

	if (!json_mode || status == 0 || json_printed)
		return;
	said[said_len] = '\0';
	if ((nl = strchr(said, '\n')) != NULL)
		*nl = '\0';
	if (strncmp(msg, "netvmctl: ", 10) == 0)
		msg += 10;
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg[0] ? msg :
								  status == 2 ? "usage error" :
								  "failed"));
	ctl_json_print(o);
	json_object_put(o);
	fflush(stdout);
}
