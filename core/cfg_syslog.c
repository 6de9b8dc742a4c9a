/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_syslog.c — stdout and stderr as syslog streams (fopencookie(3)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cfg_syslog.h"

#define CFG_SYSLOG_LINE 1024 /* a longer line is sent in pieces of this size */

struct cfg_syslog_stream {
	int priority;
	size_t len;
	char line[CFG_SYSLOG_LINE];
};

static void
cfg_syslog_flush(struct cfg_syslog_stream *s)
{
	if (s->len > 0)
		syslog(s->priority, "%.*s", (int)s->len, s->line);
	s->len = 0;
}

/* fopencookie write: collect bytes, one message per line. */
static ssize_t
cfg_syslog_write(void *cookie, const char *buf, size_t size)
{
	struct cfg_syslog_stream *s = cookie;
	size_t i;

	for (i = 0; i < size; i++) {
		if (buf[i] == '\n' || s->len == sizeof(s->line)) {
			cfg_syslog_flush(s);
			if (buf[i] == '\n')
				continue;
		}
		s->line[s->len++] = buf[i];
	}
	return (ssize_t)size;
}

static int
cfg_syslog_close(void *cookie)
{
	cfg_syslog_flush(cookie);
	free(cookie);
	return 0;
}

/* A line-buffered stream sending its lines at @priority; NULL with errno. */
static FILE *
cfg_syslog_stream(int priority)
{
	static const cookie_io_functions_t io = {
		.write = cfg_syslog_write,
		.close = cfg_syslog_close,
	};
	struct cfg_syslog_stream *s = calloc(1, sizeof(*s));
	FILE *f;

	if (s == NULL)
		return NULL;
	s->priority = priority;
	f = fopencookie(s, "w", io);
	if (f == NULL) {
		free(s);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* The streams that replaced stdout and stderr, and those they replaced. */
static FILE *cfg_syslog_out, *cfg_syslog_err, *cfg_saved_out, *cfg_saved_err;

/* At exit: the last partial lines sent, the streams closed (freed), stdout
 * and stderr back to what they were for whatever runs after. */
static void
cfg_syslog_end(void)
{
	FILE *out = cfg_syslog_out, *err = cfg_syslog_err;

	if (out == NULL)
		return;
	cfg_syslog_out = cfg_syslog_err = NULL;
	stdout = cfg_saved_out;
	stderr = cfg_saved_err;
	fclose(out);
	fclose(err);
}

int
cfg_syslog_redirect(const char *ident)
{
	FILE *out, *err;

	if (cfg_syslog_out != NULL)
		return 0; /* already */

	out = cfg_syslog_stream(LOG_INFO);
	if (out == NULL)
		return -errno;
	err = cfg_syslog_stream(LOG_ERR);
	if (err == NULL) {
		int e = errno;

		fclose(out);
		return -e;
	}
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	fflush(stdout);
	fflush(stderr);
	/* glibc's stdout and stderr are variables a program may set */
	cfg_saved_out = stdout;
	cfg_saved_err = stderr;
	stdout = cfg_syslog_out = out;
	stderr = cfg_syslog_err = err;
	if (atexit(cfg_syslog_end) != 0) {
		cfg_syslog_end();
		return -ENOMEM;
	}
	return 0;
}
