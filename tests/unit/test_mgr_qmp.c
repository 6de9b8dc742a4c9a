/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mgr_qmp.c — netvm-manager's QMP client (mgr_qmp.c) against a QEMU
 * played by the test over a socket pair or a listening unix socket: good
 * answers, events in between, answers split across reads or run together,
 * JSON null where a string belongs, an over-long command and answer,
 * garbage, silence, a QEMU that never reads, a closed socket, a greeting
 * that is not QMP, a QEMU that exits before its socket answers. Every case
 * must end in a clear error (a negative errno and a message), never a
 * crash, hang or leaked descriptor.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "mgr.h"
#include "mgr_qmp.h"

/* mgr_main.c's clock, which mgr_qmp.c uses for its deadlines. */
uint64_t
mgr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Open descriptors of this process. */
static int
fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own */
}

/* QEMU at the far end of a socket pair: @q talks to it. */
static int
qemu_pair(struct mgr_qmp *q)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	mgr_qmp_init(q);
	q->fd = sv[0];
	return sv[1];
}

static void
qemu_says(int fd, const char *text, size_t len)
{
	assert_int_equal(write(fd, text, len), (ssize_t)len);
}

#define SAYS(fd, lit) qemu_says((fd), (lit), sizeof(lit) - 1)

/* One line the client sent, without its newline, into @buf. */
static void
qemu_reads(int fd, char *buf, size_t len)
{
	size_t off = 0;

	while (off + 1 < len) {
		ssize_t n = read(fd, buf + off, 1);

		assert_true(n == 1);
		if (buf[off] == '\n')
			break;
		off++;
	}
	buf[off] = '\0';
}

/* A QEMU thread that writes its chunks 20 ms apart (so that the client
 * reads an answer in pieces), then closes when told to. */
struct script {
	int fd;
	const char *const *chunks;
	bool close_after;
	pthread_t th;
};

static void *
script_run(void *arg)
{
	struct script *s = arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	unsigned int i;

	for (i = 0; s->chunks[i] != NULL; i++) {
		nanosleep(&ts, NULL);
		if (write(s->fd, s->chunks[i], strlen(s->chunks[i])) < 0)
			break;
	}
	if (s->close_after) {
		close(s->fd);
		s->fd = -1;
	}
	return NULL;
}

static void
script_start(struct script *s, int fd, const char *const *chunks, bool close_after)
{
	s->fd = fd;
	s->chunks = chunks;
	s->close_after = close_after;
	assert_int_equal(pthread_create(&s->th, NULL, script_run, s), 0);
}

static void
script_join(struct script *s)
{
	pthread_join(s->th, NULL);
	if (s->fd >= 0)
		close(s->fd);
}

static void
test_answer_and_events(void **state)
{
	struct json_object *ret, *v;
	struct mgr_qmp q;
	char err[MGR_ERR_LEN], line[256];
	int fds = fd_count(), g = qemu_pair(&q);

	(void)state;
	/* events before the answer are skipped; the command went out as one line */
	SAYS(g, "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1}}\n"
		"{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": null}}\n"
		"{\"return\": {\"fd\": 7, \"fdset-id\": 0}}\n");
	assert_int_equal(mgr_qmp_exec(&q, "add-fd", NULL, -1, 1000, &ret, err, sizeof(err)), 0);
	qemu_reads(g, line, sizeof(line));
	assert_string_equal(line, "{\"execute\":\"add-fd\",\"id\":1}");
	assert_true(json_object_object_get_ex(ret, "fd", &v));
	assert_int_equal(json_object_get_int(v), 7);
	json_object_put(ret);

	/* two answers in one read: the second is kept for the next command */
	SAYS(g, "{\"return\": {}}\n{\"return\": {\"status\": \"running\"}}\n");
	assert_int_equal(mgr_qmp_exec(&q, "cont", NULL, -1, 1000, NULL, err, sizeof(err)), 0);
	assert_int_equal(mgr_qmp_status(&q, 1000, line, sizeof(line), err, sizeof(err)), 0);
	assert_string_equal(line, "running");
	assert_int_equal(q.len, 0);

	/* QEMU ends its lines with "\r\n" */
	SAYS(g, "{\"return\": {\"status\": \"paused\"}} \r\n");
	assert_int_equal(mgr_qmp_status(&q, 1000, line, sizeof(line), err, sizeof(err)), 0);
	assert_string_equal(line, "paused");

	/* "return": null is an answer, with no value */
	SAYS(g, "{\"return\": null}\n");
	assert_int_equal(mgr_qmp_exec(&q, "stop", NULL, -1, 1000, &ret, err, sizeof(err)), 0);
	assert_null(ret);
	mgr_qmp_close(&q);
	assert_int_equal(q.fd, -1);
	mgr_qmp_close(&q); /* twice: harmless */
	close(g);
	assert_int_equal(fd_count(), fds);
}

static void
test_split_reads(void **state)
{
	static const char *const chunks[] = {
		"{\"ev", "ent\": \"STOP\"}\n{\"ret", "urn\": {\"sta", "tus\": \"inmi",
		"grate\"}}", "\n", NULL,
	};
	struct script s;
	struct mgr_qmp q;
	char err[MGR_ERR_LEN], status[32];
	int fds = fd_count(), g = qemu_pair(&q);

	(void)state;
	script_start(&s, g, chunks, false);
	assert_int_equal(mgr_qmp_status(&q, 5000, status, sizeof(status), err, sizeof(err)), 0);
	assert_string_equal(status, "inmigrate");
	script_join(&s);
	mgr_qmp_close(&q);
	assert_int_equal(fd_count(), fds);
}

static void
test_error_answers(void **state)
{
	static const struct {
		const char *answer, *err;
	} cases[] = {
		{ "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Duplicate ID 'x'\"}}\n",
		  "QMP object-add: Duplicate ID 'x'" },
		{ "{\"error\": {\"class\": \"GenericError\", \"desc\": null}}\n",
		  "QMP object-add: error without desc" },
		{ "{\"error\": null}\n", "QMP object-add: error without desc" },
		{ "{\"error\": \"just a string\"}\n", "QMP object-add: error without desc" },
		{ "{\"error\": {}}\n", "QMP object-add: error without desc" },
	};
	struct json_object *ret = (struct json_object *)&ret;
	struct mgr_qmp q;
	char err[MGR_ERR_LEN], line[256];
	unsigned int i;
	int fds = fd_count(), g = qemu_pair(&q);

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qemu_says(g, cases[i].answer, strlen(cases[i].answer));
		assert_int_equal(mgr_qmp_exec(&q, "object-add", NULL, -1, 1000, &ret, err,
					      sizeof(err)), -EIO);
		assert_null(ret);
		assert_string_equal(err, cases[i].err);
		qemu_reads(g, line, sizeof(line));
	}
	/* a desc far longer than a message: cut, not overflowed */
	{
		char big[3000];

		memset(big, 'd', sizeof(big));
		snprintf(big, sizeof(big), "{\"error\": {\"desc\": \"%2000d\"}}\n", 1);
		qemu_says(g, big, strlen(big));
		assert_int_equal(mgr_qmp_exec(&q, "x", NULL, -1, 1000, NULL, err, sizeof(err)),
				 -EIO);
		assert_true(strlen(err) < sizeof(err));
	}
	/* a command object without "execute" (a caller's mistake): named as such */
	{
		struct json_object *cmd = json_object_new_object();

		json_object_object_add(cmd, "execute", NULL);
		SAYS(g, "{\"error\": {\"desc\": \"no execute\"}}\n");
		assert_int_equal(mgr_qmp_cmd(&q, cmd, -1, 1000, NULL, err, sizeof(err)), -EIO);
		assert_string_equal(err, "QMP (no execute): no execute");
		json_object_put(cmd);
	}
	mgr_qmp_close(&q);
	close(g);
	assert_int_equal(fd_count(), fds);
}

static void
test_status_nulls(void **state)
{
	static const char *const bad[] = {
		"{\"return\": null}\n",
		"{\"return\": {}}\n",
		"{\"return\": {\"status\": null}}\n",
		"{\"return\": {\"status\": 5}}\n",
		"{\"return\": {\"status\": {\"a\": 1}}}\n",
		"{\"return\": \"running\"}\n",
	};
	struct mgr_qmp q;
	char err[MGR_ERR_LEN], status[16];
	unsigned int i;
	int fds = fd_count(), g = qemu_pair(&q);

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		qemu_says(g, bad[i], strlen(bad[i]));
		strcpy(status, "unchanged");
		if (mgr_qmp_status(&q, 1000, status, sizeof(status), err, sizeof(err)) != -EPROTO)
			fail_msg("query-status accepted %s", bad[i]);
		assert_string_equal(err, "QMP query-status: an answer without a status");
		assert_string_equal(status, "unchanged");
	}
	/* a status longer than the caller's buffer is cut, not overflowed */
	SAYS(g, "{\"return\": {\"status\": \"postmigrate-and-then-some\"}}\n");
	assert_int_equal(mgr_qmp_status(&q, 1000, status, sizeof(status), err, sizeof(err)), 0);
	assert_int_equal(strlen(status), sizeof(status) - 1);
	mgr_qmp_close(&q);
	close(g);
	assert_int_equal(fd_count(), fds);
}

static void
test_too_long(void **state)
{
	struct json_object *args = json_object_new_object();
	struct mgr_qmp q;
	char err[MGR_ERR_LEN], *big = malloc(MGR_QMP_BUF + 16), probe;
	int fds = fd_count(), g = qemu_pair(&q);

	(void)state;
	assert_non_null(big);
	/* a command that does not fit the client's line: refused, nothing sent */
	memset(big, 'a', 5000);
	big[5000] = '\0';
	json_object_object_add(args, "mem-path", json_object_new_string(big));
	assert_int_equal(mgr_qmp_exec(&q, "object-add", args, -1, 1000, NULL, err, sizeof(err)),
			 -E2BIG);
	assert_non_null(strstr(err, "command object-add longer than"));
	assert_int_equal(recv(g, &probe, 1, MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);

	/* an answer that never ends within the buffer */
	memset(big, 'x', MGR_QMP_BUF + 16);
	qemu_says(g, big, MGR_QMP_BUF + 16);
	assert_int_equal(mgr_qmp_exec(&q, "cont", NULL, -1, 1000, NULL, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "an answer longer than"));
	mgr_qmp_close(&q);
	close(g);
	free(big);
	assert_int_equal(fd_count(), fds);
}

static void
test_garbage(void **state)
{
	static const struct {
		const char *text;
		size_t len;
	} bad[] = {
#define G(lit) { lit, sizeof(lit) - 1 }
		G("not json at all\n"),
		G("null\n"),
		G("[{\"return\": {}}]\n"),
		G("\"return\"\n"),
		G("42\n"),
		G("{\"return\": \n"),
		G("\xff\xfe\x01\n"),
		G("\0{\"return\": {}}\n"),
		G("\n"),
		/* a good answer with more on its line: the line is garbage */
		G("{\"return\": {}} trailing\n"),
		G("{\"return\": {}}{\"error\": {\"desc\": \"x\"}}\n"),
		G("{\"return\": {}}\0\xff\n"),
		G("{\"return\": {\"a\": \"b\0c\"}}\n"),
#undef G
	};
	struct mgr_qmp q;
	char err[MGR_ERR_LEN];
	unsigned int i;
	int fds = fd_count();

	(void)state;
	for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		int g = qemu_pair(&q);
		char deep[4001];

		if (i == sizeof(bad) / sizeof(bad[0])) {
			/* nested deeper than json-c goes */
			memset(deep, '[', sizeof(deep) - 1);
			deep[sizeof(deep) - 2] = '\n';
			qemu_says(g, deep, sizeof(deep) - 1);
		} else {
			qemu_says(g, bad[i].text, bad[i].len);
		}

		if (mgr_qmp_exec(&q, "cont", NULL, -1, 1000, NULL, err, sizeof(err)) != -EPROTO)
			fail_msg("garbage answer %u accepted", i);
		assert_string_equal(err, "QMP: an answer that is not a JSON object");
		mgr_qmp_close(&q);
		close(g);
	}
	assert_int_equal(fd_count(), fds);
}

static void
test_closed_and_silent(void **state)
{
	static const char *const half[] = { "{\"return\": {\"st", NULL };
	struct script s;
	struct mgr_qmp q;
	char err[MGR_ERR_LEN];
	int fds = fd_count(), g = qemu_pair(&q);

	(void)state;
	/* silence: a time-out, not a hang */
	assert_int_equal(mgr_qmp_exec(&q, "cont", NULL, -1, 100, NULL, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_string_equal(err, "QMP: QEMU did not answer in time");
	/* half an answer, then QEMU goes away */
	script_start(&s, g, half, true);
	assert_int_equal(mgr_qmp_exec(&q, "cont", NULL, -1, 5000, NULL, err, sizeof(err)),
			 -ECONNRESET);
	assert_string_equal(err, "QMP: QEMU closed the connection");
	script_join(&s);
	/* the peer is gone: sending fails with a message, no SIGPIPE */
	assert_true(mgr_qmp_exec(&q, "cont", NULL, -1, 100, NULL, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "QMP"));
	mgr_qmp_close(&q);
	/* a closed client: an error, not a crash */
	assert_true(mgr_qmp_exec(&q, "cont", NULL, -1, 100, NULL, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "QMP cont"));
	assert_int_equal(fd_count(), fds);
}

/* A late answer to a command that timed out is not the next command's: each
 * command carries an id QEMU echoes; an earlier one's answer is skipped, one
 * with an id never sent is an error. */
static void
test_late_answer(void **state)
{
	struct mgr_qmp q;
	char err[MGR_ERR_LEN], line[256];
	int fds = fd_count(), g = qemu_pair(&q);

	(void)state;
	assert_int_equal(mgr_qmp_exec(&q, "query-migrate", NULL, -1, 100, NULL, err, sizeof(err)),
			 -ETIMEDOUT);
	qemu_reads(g, line, sizeof(line));
	assert_string_equal(line, "{\"execute\":\"query-migrate\",\"id\":1}");
	SAYS(g, "{\"return\": {\"status\": \"completed\"}, \"id\": 1}\n"
		"{\"return\": {\"status\": \"postmigrate\"}, \"id\": 2}\n");
	assert_int_equal(mgr_qmp_status(&q, 1000, line, sizeof(line), err, sizeof(err)), 0);
	assert_string_equal(line, "postmigrate");
	qemu_reads(g, line, sizeof(line));
	assert_string_equal(line, "{\"execute\":\"query-status\",\"id\":2}");
	/* an error answer of an earlier command is skipped too */
	SAYS(g, "{\"error\": {\"desc\": \"late\"}, \"id\": 2}\n"
		"{\"return\": {}, \"id\": 3}\n");
	assert_int_equal(mgr_qmp_exec(&q, "cont", NULL, -1, 1000, NULL, err, sizeof(err)), 0);
	/* an id never sent, or not a number: an error */
	SAYS(g, "{\"return\": {\"status\": \"running\"}, \"id\": 99}\n");
	assert_int_equal(mgr_qmp_status(&q, 1000, line, sizeof(line), err, sizeof(err)), -EPROTO);
	assert_string_equal(err, "QMP query-status: an answer to another command (id 99)");
	SAYS(g, "{\"return\": {}, \"id\": \"5\"}\n");
	assert_int_equal(mgr_qmp_exec(&q, "cont", NULL, -1, 1000, NULL, err, sizeof(err)), -EPROTO);
	assert_string_equal(err, "QMP cont: an answer to another command (id \"5\")");
	mgr_qmp_close(&q);
	close(g);
	assert_int_equal(fd_count(), fds);
}

static void
test_wait_deleted(void **state)
{
	static const char *const ids[] = { "netvm-bell-dev", "netvm-pool-dev" };
	struct mgr_qmp q;
	char err[MGR_ERR_LEN];
	int fds = fd_count(), g = qemu_pair(&q);

	(void)state;
	SAYS(g, "{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": null}}\n"
		"{\"event\": \"DEVICE_DELETED\", \"data\": null}\n"
		"{\"event\": null}\n"
		"{\"event\": \"DEVICE_DELETED\", \"data\": {\"path\": \"/x\"}}\n"
		"{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": \"netvm-pool-dev\"}}\n"
		"{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": \"netvm-bell-dev\"}}\n");
	assert_int_equal(mgr_qmp_wait_deleted(&q, ids, 2, 1000, err, sizeof(err)), 0);
	/* one never goes: the time-out names it */
	SAYS(g, "{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": \"netvm-bell-dev\"}}\n");
	assert_int_equal(mgr_qmp_wait_deleted(&q, ids, 2, 100, err, sizeof(err)), -ETIMEDOUT);
	assert_non_null(strstr(err, "(device netvm-pool-dev not removed)"));
	/* a full message buffer: the device's name is cut, not written past it */
	assert_int_equal(mgr_qmp_wait_deleted(&q, ids, 2, 50, err, 40), -ETIMEDOUT);
	assert_true(strlen(err) < 40);
	mgr_qmp_close(&q);
	close(g);
	assert_int_equal(fd_count(), fds);
}

/* add-fd: the descriptor rides with the command as SCM_RIGHTS. */
static void
test_fd_passing(void **state)
{
	char cbuf[CMSG_SPACE(sizeof(int))], line[128], err[MGR_ERR_LEN];
	struct iovec iov = { .iov_base = line, .iov_len = sizeof(line) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	struct mgr_qmp q;
	int fds = fd_count(), g = qemu_pair(&q), p[2], got = -1;
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(p), 0);
	SAYS(g, "{\"return\": {\"fd\": 3, \"fdset-id\": 1}}\n");
	assert_int_equal(mgr_qmp_exec(&q, "add-fd", NULL, p[0], 1000, NULL, err, sizeof(err)), 0);
	n = recvmsg(g, &mh, MSG_CMSG_CLOEXEC);
	assert_true(n > 0);
	c = CMSG_FIRSTHDR(&mh);
	assert_non_null(c);
	assert_int_equal(c->cmsg_type, SCM_RIGHTS);
	memcpy(&got, CMSG_DATA(c), sizeof(int));
	assert_true(got >= 0);
	assert_int_equal(write(p[1], "k", 1), 1);
	assert_int_equal(read(got, line, 1), 1); /* the same pipe */
	assert_int_equal(line[0], 'k');
	close(got);
	close(p[0]);
	close(p[1]);
	mgr_qmp_close(&q);
	close(g);
	assert_int_equal(fd_count(), fds);
}

/* A QEMU that answers but never reads its socket: once the client's send
 * buffer is full, the command that does not fit is a time-out with a clear
 * message, never a wait past the deadline (SIGALRM ends a client that hangs). */
static void
test_never_reads(void **state)
{
	char err[MGR_ERR_LEN], pad[3001];
	struct mgr_qmp q;
	int fds = fd_count(), g = qemu_pair(&q), sndbuf = 4096, i, r = 0;

	(void)state;
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	/* the client's socket buffer holds a few of these commands at most */
	assert_int_equal(setsockopt(q.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	/* an answer ready for every command it would write */
	for (i = 0; i < 64; i++)
		SAYS(g, "{\"return\": {}}\n");
	alarm(30);
	for (i = 0; i < 64; i++) {
		struct json_object *args = json_object_new_object();

		json_object_object_add(args, "pad", json_object_new_string(pad));
		r = mgr_qmp_exec(&q, "object-add", args, -1, 200, NULL, err, sizeof(err));
		if (r < 0)
			break;
	}
	alarm(0);
	assert_true(i > 0 && i < 64); /* some went out, then one did not fit */
	assert_int_equal(r, -ETIMEDOUT);
	assert_string_equal(err, "QMP object-add: QEMU did not read the command within 200 ms");
	mgr_qmp_close(&q);
	close(g);
	assert_int_equal(fd_count(), fds);
}

/* A QEMU on a listening unix socket that greets with @greeting (NULL:
 * closes at once) and answers qmp_capabilities with @answer. */
struct listener {
	int lfd;
	const char *greeting, *answer;
	char got[128];
	pthread_t th;
};

static void *
listener_run(void *arg)
{
	struct listener *l = arg;
	int c = accept(l->lfd, NULL, NULL);

	if (c < 0)
		return NULL;
	if (l->greeting != NULL && write(c, l->greeting, strlen(l->greeting)) > 0 &&
	    l->answer != NULL) {
		qemu_reads(c, l->got, sizeof(l->got));
		if (write(c, l->answer, strlen(l->answer)) < 0)
			l->got[0] = '\0';
	}
	close(c);
	return NULL;
}

static int
connect_to(const char *greeting, const char *answer, char *err, size_t errlen, char *got)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_mgr_qmp.XXXXXX";
	struct listener l = { .greeting = greeting, .answer = answer };
	struct mgr_qmp q;
	int r;

	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/qmp", dir);
	l.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l.lfd >= 0);
	assert_int_equal(bind(l.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l.lfd, 1), 0);
	assert_int_equal(pthread_create(&l.th, NULL, listener_run, &l), 0);
	mgr_qmp_init(&q);
	r = mgr_qmp_connect(&q, sa.sun_path, 2000, err, errlen);
	if (r < 0)
		assert_int_equal(q.fd, -1); /* closed on failure */
	mgr_qmp_close(&q);
	pthread_join(l.th, NULL);
	if (got != NULL)
		strcpy(got, l.got);
	close(l.lfd);
	unlink(sa.sun_path);
	rmdir(dir);
	return r;
}

static void
test_connect(void **state)
{
	char err[MGR_ERR_LEN], got[128];
	struct mgr_qmp q;
	pid_t pid;
	int fds = fd_count();

	(void)state;
	assert_int_equal(connect_to("{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n",
				    "{\"return\": {}}\n", err, sizeof(err), got), 0);
	assert_string_equal(got, "{\"execute\":\"qmp_capabilities\",\"id\":1}");
	/* a greeting that is not QMP's */
	assert_int_equal(connect_to("{\"hello\": 1}\n", NULL, err, sizeof(err), NULL), -EPROTO);
	assert_non_null(strstr(err, "did not greet as QMP"));
	assert_int_equal(connect_to("garbage\n", NULL, err, sizeof(err), NULL), -EPROTO);
	assert_int_equal(connect_to("null\n", NULL, err, sizeof(err), NULL), -EPROTO);
	/* no greeting: the socket closes */
	assert_int_equal(connect_to(NULL, NULL, err, sizeof(err), NULL), -ECONNRESET);
	/* qmp_capabilities refused */
	assert_int_equal(connect_to("{\"QMP\": {}}\n", "{\"error\": {\"desc\": null}}\n", err,
				    sizeof(err), NULL), -EIO);
	assert_string_equal(err, "QMP qmp_capabilities: error without desc");

	/* nobody listens: a time-out with the socket's name */
	mgr_qmp_init(&q);
	assert_true(mgr_qmp_connect(&q, "/nonexistent/netvm-test.qmp", 100, err,
				    sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot connect to /nonexistent/netvm-test.qmp"));
	assert_int_equal(q.fd, -1);
	/* its QEMU exited before the socket answered: at once, not at the deadline */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(1);
	assert_int_equal(mgr_qmp_connect_pid(&q, "/nonexistent/netvm-test.qmp", pid, 60000, err,
					     sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "exited before its QMP socket"));
	waitpid(pid, NULL, 0);
	assert_int_equal(fd_count(), fds);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_and_events),
		cmocka_unit_test(test_split_reads),
		cmocka_unit_test(test_error_answers),
		cmocka_unit_test(test_status_nulls),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_closed_and_silent),
		cmocka_unit_test(test_late_answer),
		cmocka_unit_test(test_wait_deleted),
		cmocka_unit_test(test_fd_passing),
		cmocka_unit_test(test_never_reads),
		cmocka_unit_test(test_connect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
