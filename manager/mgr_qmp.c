/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_qmp.c — the manager's QMP client: an idle VM's QEMU (mgr_idle.c), the
 * source and destination QEMU of a migration (mgr_migrate.c).
 *
 * QMP (QEMU's docs/interop/qmp-spec) is one JSON object per line over a
 * unix socket: a greeting, then "qmp_capabilities", then one command at a
 * time whose answer is {"return": ...} or {"error": {"desc": ...}};
 * asynchronous {"event": ...} objects may come in between. An fd rides
 * with a command as SCM_RIGHTS (add-fd takes it).
 *
 * Every read and every write has a deadline, every read a bounded buffer:
 * a QEMU that stops answering or reading, or whose line does not fit, is an
 * error, never a hang.
 */
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr.h"
#include "mgr_qmp.h"

/* Reset @q to "not connected"; cannot fail. */
void
mgr_qmp_init(struct mgr_qmp *q)
{
	q->fd = -1;
	q->id = 0;
	q->len = 0;
}

/* Close @q's connection; safe when closed; cannot fail. */
void
mgr_qmp_close(struct mgr_qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	mgr_qmp_init(q);
}

/* The JSON object that is the whole of @line (@len bytes; white space may
 * end it, as QEMU's "\r\n"), or NULL: not JSON, not an object, a NUL in
 * it, anything after the object. */
static struct json_object *
qmp_parse(const char *line, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t end;

	if (strlen(line) != len || len > INT32_MAX || (tok = json_tokener_new()) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, line, (int)len);
	end = json_tokener_get_parse_end(tok);
	while (end < len && strchr(" \t\r", line[end]) != NULL)
		end++;
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success || end != len ||
			  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* The next JSON object QEMU sent, within @deadline_ms (mgr_now_ms() time):
 * 0 with *out, -ETIMEDOUT, -ECONNRESET, -EPROTO (a line that is not one
 * JSON object, or too long). */
static int
qmp_read(struct mgr_qmp *q, uint64_t deadline_ms, struct json_object **out, char *err,
	 size_t errlen)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		uint64_t now = mgr_now_ms();
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		ssize_t n;

		if (nl != NULL) {
			*nl = '\0';
			*out = qmp_parse(q->buf, (size_t)(nl - q->buf));
			q->len -= (size_t)(nl + 1 - q->buf);
			memmove(q->buf, nl + 1, q->len);
			if (*out == NULL) {
				snprintf(err, errlen, "QMP: an answer that is not a JSON object");
				return -EPROTO;
			}
			return 0;
		}
		if (q->len == sizeof(q->buf)) {
			snprintf(err, errlen, "QMP: an answer longer than %zu bytes", sizeof(q->buf));
			return -EPROTO;
		}
		if (now >= deadline_ms) {
			snprintf(err, errlen, "QMP: QEMU did not answer in time");
			return -ETIMEDOUT;
		}
		if (poll(&p, 1, (int)(deadline_ms - now)) < 0 && errno != EINTR) {
			int e = errno;

			snprintf(err, errlen, "QMP: poll: %s", strerror(e));
			return -e;
		}
		if (p.revents == 0)
			continue;
		n = recv(q->fd, q->buf + q->len, sizeof(q->buf) - q->len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "QMP: QEMU closed the connection");
			return -ECONNRESET;
		}
		q->len += (size_t)n;
	}
}

/* Send @text (one line) with @fd as SCM_RIGHTS when @fd >= 0, never waiting
 * past @deadline_ms (mgr_now_ms() time) for QEMU to read it: 0, -ETIMEDOUT
 * (the rest not taken in time), or another negative errno. */
static int
qmp_send(struct mgr_qmp *q, const char *text, int fd, uint64_t deadline_ms)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	size_t len = strlen(text), off = 0;

	while (off < len) {
		struct iovec iov = { .iov_base = (char *)text + off, .iov_len = len - off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct pollfd p = { .fd = q->fd, .events = POLLOUT };
		uint64_t now;
		ssize_t n;

		if (fd >= 0 && off == 0) {
			struct cmsghdr *c;

			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof(cbuf);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		n = sendmsg(q->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		/* the socket's buffer is full: QEMU is not reading */
		now = mgr_now_ms();
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(deadline_ms - now)) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Whose answer QMP object @o is, the command of id @id being out: 1 this
 * command's (or an event, or an answer without an id: a QEMU that does not
 * echo ids), 0 an earlier command's, -EPROTO one never sent. */
static int
qmp_answer_id(struct json_object *o, int64_t id)
{
	struct json_object *v;
	int64_t got;

	if (!json_object_object_get_ex(o, "id", &v))
		return 1;
	if (!json_object_is_type(v, json_type_int))
		return -EPROTO;
	got = json_object_get_int64(v);
	if (got == id)
		return 1;
	return got > 0 && got < id ? 0 : -EPROTO;
}

/*
 * Send command @cmd ({"execute": ..., "arguments": ...}; not consumed) with
 * @fd attached when >= 0, and wait at most @timeout_ms for its answer;
 * events meanwhile are skipped. The command carries the connection's next
 * "id", which QEMU echoes in its answer: an answer with the id of an earlier
 * command (a late one, after that command timed out) is skipped too, one with
 * any other id is -EPROTO. Returns 0 with the "return" value in *@ret
 * when @ret is not NULL (the caller puts it), or a negative errno with a
 * message: -EIO when QEMU answered an error (its "desc"), -ETIMEDOUT,
 * -ECONNRESET, -EPROTO.
 */
int
mgr_qmp_cmd(struct mgr_qmp *q, struct json_object *cmd, int fd, int timeout_ms,
	    struct json_object **ret, char *err, size_t errlen)
{
	uint64_t deadline = mgr_now_ms() + (uint64_t)timeout_ms;
	const char *name = json_object_get_string(json_object_object_get(cmd, "execute"));
	struct json_object *o, *v, *d;
	char line[4096];
	int64_t id;
	int r;

	if (ret != NULL)
		*ret = NULL;
	if (name == NULL)
		name = "(no execute)";
	id = ++q->id;
	json_object_object_add(cmd, "id", json_object_new_int64(id));
	r = snprintf(line, sizeof(line), "%s\n",
		     json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN));
	json_object_object_del(cmd, "id");
	if (r < 0 || (size_t)r >= sizeof(line)) {
		snprintf(err, errlen, "QMP: command %s longer than %zu bytes", name,
			 sizeof(line) - 1);
		return -E2BIG;
	}
	r = qmp_send(q, line, fd, deadline);
	if (r == -ETIMEDOUT) {
		snprintf(err, errlen, "QMP %s: QEMU did not read the command within %d ms",
			 name, timeout_ms);
		return r;
	}
	if (r < 0) {
		snprintf(err, errlen, "QMP %s: %s", name, strerror(-r));
		return r;
	}
	for (;;) {
		r = qmp_read(q, deadline, &o, err, errlen);
		if (r < 0)
			return r;
		r = qmp_answer_id(o, id);
		if (r < 0) {
			snprintf(err, errlen, "QMP %s: an answer to another command (id %.40s)", name,
				 json_object_to_json_string_ext(json_object_object_get(o, "id"),
								JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
			return r;
		}
		if (r == 0) {
			json_object_put(o); /* a late answer to an earlier command */
			continue;
		}
		if (json_object_object_get_ex(o, "return", &v)) {
			if (ret != NULL)
				*ret = json_object_get(v);
			json_object_put(o);
			return 0;
		}
		if (json_object_object_get_ex(o, "error", &v)) {
			d = json_object_object_get(v, "desc");
			snprintf(err, errlen, "QMP %s: %.300s", name,
				 d != NULL ? json_object_get_string(d) : "error without desc");
			json_object_put(o);
			return -EIO;
		}
		json_object_put(o); /* an event */
	}
}

/* Command { "execute": @name, "arguments": @args } (@args consumed, may be
 * NULL), as mgr_qmp_cmd(). */
int
mgr_qmp_exec(struct mgr_qmp *q, const char *name, struct json_object *args, int fd,
	     int timeout_ms, struct json_object **ret, char *err, size_t errlen)
{
	struct json_object *cmd = json_object_new_object();
	int r;

	json_object_object_add(cmd, "execute", json_object_new_string(name));
	if (args != NULL)
		json_object_object_add(cmd, "arguments", args);
	r = mgr_qmp_cmd(q, cmd, fd, timeout_ms, ret, err, errlen);
	json_object_put(cmd);
	return r;
}

/* query-status's "status" ("running", "inmigrate", ...) into @buf. */
int
mgr_qmp_status(struct mgr_qmp *q, int timeout_ms, char *buf, size_t len, char *err,
	       size_t errlen)
{
	struct json_object *ret, *s;
	int r = mgr_qmp_exec(q, "query-status", NULL, -1, timeout_ms, &ret, err, errlen);

	if (r < 0)
		return r;
	if (!json_object_object_get_ex(ret, "status", &s) ||
	    !json_object_is_type(s, json_type_string)) {
		json_object_put(ret);
		snprintf(err, errlen, "QMP query-status: an answer without a status");
		return -EPROTO;
	}
	snprintf(buf, len, "%s", json_object_get_string(s));
	json_object_put(ret);
	return 0;
}

/* Whether process @pid runs: a child that exited (a zombie, not reaped here)
 * does not. */
static bool
qmp_pid_alive(pid_t pid)
{
	siginfo_t si = { 0 };

	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
		return si.si_pid != pid;
	return kill(pid, 0) == 0;
}

/*
 * Connect to QEMU's QMP socket @path (retried until it exists, at most
 * @timeout_ms), read the greeting and leave negotiation mode. Returns 0, or
 * a negative errno with a message in @err (@q is then closed).
 */
int
mgr_qmp_connect(struct mgr_qmp *q, const char *path, int timeout_ms, char *err, size_t errlen)
{
	return mgr_qmp_connect_pid(q, path, 0, timeout_ms, err, errlen);
}

/* As mgr_qmp_connect(), and -ESRCH at once when QEMU @pid (> 0) exits
 * before its socket answers. */
int
mgr_qmp_connect_pid(struct mgr_qmp *q, const char *path, pid_t pid, int timeout_ms, char *err,
		    size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t deadline = mgr_now_ms() + (uint64_t)timeout_ms;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct json_object *o, *cmd;
	int r;

	mgr_qmp_close(q);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0)
			return -errno;
		if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		r = -errno;
		mgr_qmp_close(q);
		if (pid > 0 && !qmp_pid_alive(pid)) {
			snprintf(err, errlen, "QEMU (pid %d) exited before its QMP socket %s "
				 "answered", (int)pid, path);
			return -ESRCH;
		}
		if (mgr_now_ms() >= deadline) {
			snprintf(err, errlen, "QMP: cannot connect to %s: %s", path, strerror(-r));
			return r;
		}
		nanosleep(&ts, NULL);
	}
	r = qmp_read(q, deadline, &o, err, errlen);
	if (r == 0) {
		if (!json_object_object_get_ex(o, "QMP", NULL)) {
			snprintf(err, errlen, "QMP: %s did not greet as QMP", path);
			r = -EPROTO;
		}
		json_object_put(o);
	}
	if (r == 0) {
		cmd = json_object_new_object();
		json_object_object_add(cmd, "execute", json_object_new_string("qmp_capabilities"));
		r = mgr_qmp_cmd(q, cmd, -1, timeout_ms, NULL, err, errlen);
		json_object_put(cmd);
	}
	if (r < 0)
		mgr_qmp_close(q);
	return r;
}

/*
 * Wait at most @timeout_ms for a DEVICE_DELETED event of each of the @n
 * device ids @ids (device_del only asks the guest to eject). Returns 0, or
 * a negative errno with a message naming the devices still there.
 */
int
mgr_qmp_wait_deleted(struct mgr_qmp *q, const char *const *ids, unsigned int n, int timeout_ms,
		     char *err, size_t errlen)
{
	uint64_t deadline = mgr_now_ms() + (uint64_t)timeout_ms;
	bool gone[8] = { false };
	unsigned int left = n, i;
	struct json_object *o, *ev, *data, *dev;
	int r;

	if (n > sizeof(gone) / sizeof(gone[0]))
		return -EINVAL;
	while (left > 0) {
		r = qmp_read(q, deadline, &o, err, errlen);
		if (r < 0) {
			for (i = 0; i < n; i++)
				if (!gone[i]) {
					snprintf(err + strlen(err), errlen - strlen(err),
						 " (device %s not removed)", ids[i]);
					break;
				}
			return r;
		}
		if (json_object_object_get_ex(o, "event", &ev) &&
		    json_object_is_type(ev, json_type_string) &&
		    strcmp(json_object_get_string(ev), "DEVICE_DELETED") == 0 &&
		    json_object_object_get_ex(o, "data", &data) &&
		    json_object_object_get_ex(data, "device", &dev) &&
		    json_object_is_type(dev, json_type_string))
			for (i = 0; i < n; i++)
				if (!gone[i] && strcmp(json_object_get_string(dev), ids[i]) == 0) {
					gone[i] = true;
					left--;
				}
		json_object_put(o);
	}
	return 0;
}
