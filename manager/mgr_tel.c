/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_tel.c — a client of the core engine's DPDK telemetry socket.
 *
 * Protocol (DPDK telemetry v2): AF_UNIX SOCK_SEQPACKET at
 * /var/run/dpdk/<file_prefix>/dpdk_telemetry.v2; the server greets with one
 * JSON object holding "max_output_len"; each command sent gets one JSON
 * object {"<command>": <data>} back, <data> null for an unknown command.
 * One connection per query: queries are rare (VM start, netvmctl).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr.h"

#define MGR_TEL_RUN_DIR "/var/run/dpdk"
#define MGR_TEL_SOCKET "dpdk_telemetry.v2"
#define MGR_TEL_TIMEOUT_MS 2000
#define MGR_TEL_MAX_REPLY (1 << 20)
#define MGR_TEL_MAX_POOLS 64
#define MGR_TEL_DICT_MAX 256 /* entries of a DPDK telemetry dictionary */

/* Write the path of the core's telemetry socket for @c to @path; cannot fail. */
void
mgr_tel_path(const struct mgr_cfg *c, char *path, size_t len)
{
	snprintf(path, len, "%s/%s/%s", MGR_TEL_RUN_DIR, c->file_prefix, MGR_TEL_SOCKET);
}

/* Receive one message of at most @len bytes within the time-out. */
static ssize_t
mgr_tel_recv(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, MGR_TEL_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	r = (int)recv(fd, buf, len, 0);
	return r < 0 ? -errno : r;
}

static int
mgr_tel_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "telemetry socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot reach the core engine's telemetry at %s: %s (is "
			 "netvm-core running with --file-prefix as core.file_prefix says?)", path,
			 strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

/* mgr_tel_connect(), and the server's greeting read: the socket, or a
 * negative errno with a message in @err. */
static int
mgr_tel_open(const char *path, char *err, size_t errlen)
{
	char buf[4096];
	ssize_t n;
	int fd = mgr_tel_connect(path, err, errlen);

	if (fd < 0)
		return fd;
	n = mgr_tel_recv(fd, buf, sizeof(buf));
	if (n <= 0) {
		close(fd);
		n = n < 0 ? n : -ECONNRESET;
		snprintf(err, errlen, "telemetry %s: %s", path, strerror((int)-n));
		return (int)n;
	}
	return fd;
}

/* mgr_tel_query() on the open connection @fd. */
static int
mgr_tel_ask(int fd, const char *path, const char *cmd, struct json_object **out, char *err,
	    size_t errlen)
{
	struct json_object *reply, *data;
	char *buf = malloc(MGR_TEL_MAX_REPLY + 1), key[128];
	ssize_t n = 1;
	int r = 0;

	*out = NULL;
	if (buf == NULL)
		return -ENOMEM;
	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0)
		n = -errno;
	if (n > 0)
		n = mgr_tel_recv(fd, buf, MGR_TEL_MAX_REPLY);
	if (n <= 0) {
		r = n < 0 ? (int)n : -ECONNRESET;
		snprintf(err, errlen, "telemetry %s: %s: %s", path, cmd, strerror(-r));
		free(buf);
		return r;
	}
	buf[n] = '\0';
	reply = json_tokener_parse(buf);
	free(buf);
	/* the reply's key is the command without its parameter */
	snprintf(key, sizeof(key), "%.*s", (int)strcspn(cmd, ","), cmd);
	if (reply == NULL || !json_object_object_get_ex(reply, key, &data)) {
		snprintf(err, errlen, "telemetry %s: %s: the reply is not {\"%s\": ...}", path, cmd,
			 cmd);
		json_object_put(reply);
		return -EPROTO;
	}
	if (data == NULL) {
		snprintf(err, errlen, "the core engine does not know the telemetry command %s "
			 "(a netvm-core older than this netvm-manager?)", cmd);
		json_object_put(reply);
		return -ENOENT;
	}
	*out = json_object_get(data);
	json_object_put(reply);
	return 0;
}

/*
 * Send @cmd to the telemetry socket at @path and store the data of the reply
 * (reply[cmd], a new reference the caller puts) in *@out. Returns 0, -ENOENT
 * when the command is unknown to the core, or another negative errno, with a
 * message in @err.
 */
int
mgr_tel_query(const char *path, const char *cmd, struct json_object **out, char *err,
	      size_t errlen)
{
	int fd = mgr_tel_open(path, err, errlen), r;

	*out = NULL;
	if (fd < 0)
		return fd;
	r = mgr_tel_ask(fd, path, cmd, out, err, errlen);
	close(fd);
	return r;
}

/*
 * The core's counters, /netvm/stats, in *@out (an object the caller puts),
 * whole: DPDK's telemetry dictionary holds MGR_TEL_DICT_MAX entries, and
 * the core puts the NFs' last, so with many NFs attached their entries are
 * cut there. A full dictionary is completed from /netvm/nfs (the attached
 * instance ids) and /netvm/nf,ID for every NF whose last entry (nf<ID>_pid)
 * is missing. Returns 0 or a negative errno with a message in @err.
 */
int
mgr_tel_stats(const char *path, struct json_object **out, char *err, size_t errlen)
{
	struct json_object *ids = NULL, *one;
	char cmd[48], key[48];
	size_t i;
	int fd = mgr_tel_open(path, err, errlen), r;

	*out = NULL;
	if (fd < 0)
		return fd;
	r = mgr_tel_ask(fd, path, "/netvm/stats", out, err, errlen);
	if (r == 0 && !json_object_is_type(*out, json_type_object)) {
		snprintf(err, errlen, "/netvm/stats: the core's reply is not an object");
		r = -EPROTO;
	}
	/* an older core without /netvm/nfs: as it is */
	if (r == 0 && json_object_object_length(*out) >= MGR_TEL_DICT_MAX &&
	    mgr_tel_ask(fd, path, "/netvm/nfs", &ids, err, errlen) == 0 &&
	    json_object_is_type(ids, json_type_array)) {
		for (i = 0; r == 0 && i < json_object_array_length(ids); i++) {
			int id = json_object_get_int(json_object_array_get_idx(ids, i));

			snprintf(key, sizeof(key), "nf%d_pid", id);
			if (json_object_object_get_ex(*out, key, NULL))
				continue;
			snprintf(cmd, sizeof(cmd), "/netvm/nf,%d", id);
			r = mgr_tel_ask(fd, path, cmd, &one, err, errlen);
			if (r == -ENOENT) { /* detached meanwhile */
				r = 0;
				continue;
			}
			if (r == 0 && json_object_is_type(one, json_type_object)) {
				json_object_object_foreach(one, k, v)
					json_object_object_add(*out, k, json_object_get(v));
			}
			json_object_put(one);
		}
	}
	json_object_put(ids);
	close(fd);
	if (r < 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return r;
}

/*
 * Whether the core's instance @nf_id is live (its NF runs and the datapath
 * delivers to it), from /netvm/nf,ID: 1 yes, 0 not yet, or a negative errno
 * with a message in @err (-ENOENT: the core has no such instance).
 */
int
mgr_tel_nf_live(const char *path, uint32_t nf_id, char *err, size_t errlen)
{
	struct json_object *o, *v;
	char cmd[64], key[64];
	int r;

	snprintf(cmd, sizeof(cmd), "/netvm/nf,%u", nf_id);
	snprintf(key, sizeof(key), "nf%u_live", nf_id);
	r = mgr_tel_query(path, cmd, &o, err, errlen);
	if (r == -ENOENT) /* a null reply: no such instance */
		snprintf(err, errlen, "the core has no instance %u", nf_id);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(o, key, &v)) {
		snprintf(err, errlen, "the core has no instance %u", nf_id);
		json_object_put(o);
		return -ENOENT;
	}
	r = json_object_get_int64(v) == 1;
	json_object_put(o);
	return r;
}

const char *
mgr_json_str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}
