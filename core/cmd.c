/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command socket (`<core.socket>.ctl`, docs/control.md): an
 * operator's tool (netvmctl) sends a command for an NF; the control thread
 * writes it into the NF's request pipe, reads the answer from its answer
 * pipe (docs/abi.md §6) and sends it back.
 *
 *   client → core: "nf ID LEN [TIMEOUT_MS]\n" then LEN bytes (the command)
 *                   "core LEN\n" then LEN bytes: a command for the core
 *                   itself (cmd_core.c), run at once in the control thread
 *   core → client: "STATUS LEN\n" then LEN bytes (the answer), and closes
 *
 * Like the attach socket, nothing here waits: clients are non-blocking
 * sockets with a deadline, the pipes move what they can each control round.
 * The NF is not trusted: an impossible pipe index or a broken frame ends its
 * channel for good (every later command for it answers -EPROTO), an answer
 * for an older request is skipped, one that does not come in time answers
 * -ETIMEDOUT. A request the NF has not read whole when its client gives up
 * stays queued in the pipe (the next command waits behind it: -EBUSY), so the
 * stream never loses its framing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

#define CMD_LINE_MAX 64           /* the request line, with its '\n' */
#define CMD_READ_MS 10000         /* a client has this long to send its request */
#define CMD_SEND_MS 10000         /* ... and to read the answer */
#define CMD_DEFAULT_WAIT_MS 10000 /* the NF's answer, unless the request says */
#define CMD_MAX_WAIT_MS 600000
#define CMD_CORE 0xffffffffu      /* cmd_client.nf_id of a "core" request */
#define CMD_ANSWERS_ROUND 64      /* answers read from one NF per control round, */
#define CMD_ANSWER_BYTES (1u << 20) /* ... and bytes, once a message is whole */

enum client_state { CL_FREE, CL_LINE, CL_BODY, CL_WAIT, CL_SEND };

struct cmd_client {
	enum client_state st;
	int fd;
	uint64_t deadline_ms;
	char line[CMD_LINE_MAX];
	uint32_t line_len;
	unsigned int nf_id; /* CMD_CORE: a command for the core itself */
	char id_word[CMD_LINE_MAX]; /* the ID as the request line wrote it */
	uint32_t len, got, wait_ms;
	char *body;
	char *out; /* "STATUS LEN\n" + answer */
	bool eof;  /* the client shut its side for writing */
	size_t out_len, out_done;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The command socket's path: the attach socket's with ".ctl" after it. */
int
core_cmd_path(const struct core *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.ctl", c->cfg.socket_path);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Whether @path may be bound to: 0 when nothing is there or a socket (a
 * stale one, once no core answers on it, is replaced), -EEXIST with a
 * message in @err when it is another kind of file, which a mistyped path
 * must not delete.
 */
int
core_sock_replaceable(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0 || S_ISSOCK(st.st_mode))
		return 0;
	snprintf(err, errlen, "%s exists and is no socket (%s): remove it, or give another "
		 "path with --socket", path, S_ISREG(st.st_mode) ? "a regular file" :
		 S_ISDIR(st.st_mode) ? "a directory" : S_ISLNK(st.st_mode) ? "a symbolic link" :
		 S_ISFIFO(st.st_mode) ? "a FIFO" : "a device");
	return -EEXIST;
}

/* Open the command socket (mode 0600). 0 or a negative errno with a message. */
int
core_cmd_open(struct core *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	c->cmd_fd = -1;
	c->cmd_clients = calloc(CORE_CMD_CLIENTS, sizeof(*c->cmd_clients));
	if (c->cmd_clients == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < CORE_CMD_CLIENTS; i++)
		c->cmd_clients[i].fd = -1;
	if (core_cmd_path(c, sa.sun_path, sizeof(sa.sun_path)) < 0) {
		snprintf(err, errlen, "command socket path too long (max %zu): %s.ctl",
			 sizeof(sa.sun_path) - 1, c->cfg.socket_path);
		return -ENAMETOOLONG;
	}
	r = core_sock_replaceable(sa.sun_path, err, errlen);
	if (r < 0)
		return r;
	unlink(sa.sun_path); /* the attach socket's check made sure no core uses it */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(sa.sun_path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", sa.sun_path, strerror(-r));
		close(fd);
		return r;
	}
	c->cmd_fd = fd;
	return 0;
}

/* Close and remove the command socket. */
void
core_cmd_close(struct core *c)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	free(c->cmd_clients);
	c->cmd_clients = NULL;
	if (c->cmd_fd < 0)
		return;
	close(c->cmd_fd);
	c->cmd_fd = -1;
	if (core_cmd_path(c, path, sizeof(path)) == 0)
		unlink(path);
}

/* Lay out @nf's control pipes and counter table at @off of its region
 * (core_nf_create() sized the region with core_cmd_bytes()). */
void
core_cmd_nf_init(struct core_nf *nf, uint64_t off)
{
	struct nvm_priv_hdr *h = (struct nvm_priv_hdr *)nf->priv;
	struct nvm_pipe *req = (struct nvm_pipe *)(nf->priv + off);
	struct nvm_pipe *ans = (struct nvm_pipe *)(nf->priv + off + NVM_PIPE_BYTES(CORE_CTL_PIPE));

	h->ctl_off = off;
	h->ctl_size = CORE_CTL_PIPE;
	h->stats_off = off + 2 * NVM_PIPE_BYTES(CORE_CTL_PIPE);
	h->stats_slots = CORE_NF_STATS;
	nvm_pipe_init(req, CORE_CTL_PIPE);
	nvm_pipe_init(ans, CORE_CTL_PIPE);
	nvm_pipe_attach(&nf->cmd.req, req, CORE_CTL_PIPE, 0);
	nvm_pipe_attach(&nf->cmd.ans, ans, CORE_CTL_PIPE, 0);
	nf->cmd.client = -1;
	nf->cmd.stats = (struct nvm_stats *)(nf->priv + h->stats_off);
}

/* Bytes core_cmd_nf_init() lays out. */
uint64_t
core_cmd_bytes(void)
{
	return 2 * NVM_PIPE_BYTES(CORE_CTL_PIPE) + sizeof(struct nvm_stats) +
	       CORE_NF_STATS * sizeof(struct nvm_stat);
}

/* Answer client @cl with @status and @text (@len bytes), then close. */
static void
client_answer(struct core *c, struct cmd_client *cl, int status, const char *text, size_t len)
{
	char head[48];
	int n = snprintf(head, sizeof(head), "%d %zu\n", status, len);

	(void)c;
	free(cl->body);
	cl->body = NULL;
	cl->out = malloc((size_t)n + len);
	if (cl->out == NULL) {
		close(cl->fd);
		cl->st = CL_FREE;
		return;
	}
	memcpy(cl->out, head, (size_t)n);
	memcpy(cl->out + n, text, len);
	cl->out_len = (size_t)n + len;
	cl->out_done = 0;
	cl->st = CL_SEND;
	cl->deadline_ms = mono_ms() + CMD_SEND_MS;
}

/* Answer client @cl with @status and the message @fmt, @ap. */
static void
client_vfail(struct core *c, struct cmd_client *cl, int status, const char *fmt, va_list ap)
{
	char msg[256];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	client_answer(c, cl, status, msg, n < 0 ? 0 : RTE_MIN((size_t)n, sizeof(msg) - 1));
}

static void
client_error(struct core *c, struct cmd_client *cl, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Refuse @cl's request (counted in cmd_errors). */
static void
client_error(struct core *c, struct cmd_client *cl, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c->cmd_st.errors++;
	client_vfail(c, cl, status, fmt, ap);
	va_end(ap);
}

static void
client_timeout(struct core *c, struct cmd_client *cl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Answer @cl -ETIMEDOUT (counted in cmd_timeouts only). */
static void
client_timeout(struct core *c, struct cmd_client *cl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c->cmd_st.timeouts++;
	client_vfail(c, cl, -ETIMEDOUT, fmt, ap);
	va_end(ap);
}

static void
client_free(struct cmd_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	free(cl->body);
	free(cl->out);
	*cl = (struct cmd_client){ .st = CL_FREE, .fd = -1 };
}

/* The NF of @cl's request is gone, or its channel broke. */
static struct core_nf *
nf_of(struct core *c, unsigned int id)
{
	return id < CORE_MAX_NFS ? c->nfs[id] : NULL;
}

/* A command for the core itself: run it now, answer with what it says. */
static void
client_core(struct core *c, struct cmd_client *cl)
{
	char *out = NULL;
	size_t out_len = 0;
	int r;

	r = core_cmd_core(c, cl->body, cl->len, &out, &out_len);
	if (out == NULL) {
		client_error(c, cl, -ENOMEM, "out of memory");
		return;
	}
	if (r < 0)
		c->cmd_st.errors++;
	else
		c->cmd_st.answered++;
	client_answer(c, cl, r, out, out_len);
	free(out);
}

/* The request of @cl is whole: hand it to its NF's channel. */
static void
client_submit(struct core *c, struct cmd_client *cl, int idx)
{
	struct core_nf *nf;

	if (cl->nf_id == CMD_CORE) {
		client_core(c, cl);
		return;
	}
	nf = nf_of(c, cl->nf_id);

	if (nf == NULL) {
		client_error(c, cl, -ENOENT, "no NF %s is attached", cl->id_word);
		return;
	}
	if (nf->cmd.broken) {
		client_error(c, cl, -EPROTO, "NF %u broke its control channel (%s); it takes no "
			     "more commands", nf->id, nf->cmd.broken);
		return;
	}
	if (nf->cmd.client >= 0 || nf->cmd.out.active) {
		client_error(c, cl, -EBUSY, "NF %u has a command under way; try again", nf->id);
		return;
	}
	nf->cmd.seq++;
	nf->cmd.body = cl->body; /* the channel owns it until it is in the pipe */
	cl->body = NULL;
	nvm_ctl_send_start(&nf->cmd.out, nf->cmd.seq, 0, nf->cmd.body, cl->len);
	nf->cmd.client = idx;
	cl->st = CL_WAIT;
	cl->deadline_ms = mono_ms() + cl->wait_ms;
	c->cmd_st.sent++;
}

/* A word of a request line as a number: 0 with its value (ULONG_MAX for
 * a larger one: out of every range), -EINVAL when it is not all decimal
 * digits. */
static int
line_number(const char *w, unsigned long *v)
{
	if (w[0] == '\0' || w[strspn(w, "0123456789")] != '\0')
		return -EINVAL;
	*v = strtoul(w, NULL, 10);
	return 0;
}

/* Parse "nf ID LEN [TIMEOUT_MS]" or "core LEN": words apart by spaces,
 * tabs or CRs, numbers in decimal digits. -EINVAL for another shape (a NUL
 * byte in the line included: it would end the line early), -ERANGE for a
 * number out of its range (an ID of no NF is for client_submit()). */
static int
parse_line(struct cmd_client *cl)
{
	unsigned long id = 0, len, wait = CMD_DEFAULT_WAIT_MS;
	char *w[5] = { NULL }, *p = cl->line;
	int n = 0;

	if (memchr(cl->line, '\0', cl->line_len - 1) != NULL)
		return -EINVAL;
	cl->line[cl->line_len - 1] = '\0';
	for (;;) {
		p += strspn(p, " \t\r");
		if (*p == '\0')
			break;
		if (n == 5)
			return -EINVAL;
		w[n++] = p;
		p += strcspn(p, " \t\r");
		if (*p != '\0')
			*p++ = '\0';
	}
	if (n == 2 && strcmp(w[0], "core") == 0) {
		if (line_number(w[1], &len) < 0)
			return -EINVAL;
		id = CMD_CORE;
	} else if ((n == 3 || n == 4) && strcmp(w[0], "nf") == 0) {
		if (line_number(w[1], &id) < 0 || line_number(w[2], &len) < 0 ||
		    (n == 4 && line_number(w[3], &wait) < 0))
			return -EINVAL;
		/* any id is taken (nf_of() finds none past CORE_MAX_NFS), named as
		 * written in the refusal */
		snprintf(cl->id_word, sizeof(cl->id_word), "%s", w[1]);
		id = id >= CMD_CORE ? CMD_CORE - 1 : id;
	} else {
		return -EINVAL;
	}
	if (len == 0 || len > NVM_CTL_MAX_LEN || wait == 0 || wait > CMD_MAX_WAIT_MS)
		return -ERANGE;
	cl->nf_id = (unsigned int)id;
	cl->len = (uint32_t)len;
	cl->wait_ms = (uint32_t)wait;
	return 0;
}

/* Read what client @i sent. */
static void
client_read(struct core *c, struct cmd_client *cl, int idx)
{
	for (;;) {
		ssize_t n;

		if (cl->st == CL_LINE) {
			n = read(cl->fd, cl->line + cl->line_len, 1);
			if (n == 1 && cl->line[cl->line_len++] == '\n') {
				int r = parse_line(cl);

				if (r < 0) {
					client_error(c, cl, r, "bad request: want 'nf ID LEN "
						     "[TIMEOUT_MS]' or 'core LEN' (LEN 1..%u, "
						     "TIMEOUT_MS 1..%u)",
						     NVM_CTL_MAX_LEN, CMD_MAX_WAIT_MS);
					return;
				}
				cl->body = malloc(cl->len + 1);
				if (cl->body == NULL) {
					client_error(c, cl, -ENOMEM, "out of memory");
					return;
				}
				cl->got = 0;
				cl->st = CL_BODY;
				continue;
			}
			if (n == 1 && cl->line_len == CMD_LINE_MAX) {
				client_error(c, cl, -EINVAL, "request line longer than %d bytes",
					     CMD_LINE_MAX - 1);
				return;
			}
			if (n == 1)
				continue;
		} else if (cl->st == CL_BODY) {
			n = read(cl->fd, cl->body + cl->got, cl->len - cl->got);
			if (n > 0) {
				cl->got += (uint32_t)n;
				if (cl->got == cl->len) {
					cl->body[cl->len] = '\0';
					client_submit(c, cl, idx);
					return;
				}
				continue;
			}
		} else {
			char sink[256];

			if (cl->eof)
				return;
			n = read(cl->fd, sink, sizeof(sink)); /* after the request: ignored */
			if (n > 0)
				continue;
		}
		if (n == 0 && (cl->st == CL_WAIT || cl->st == CL_SEND)) {
			/* the client shut its side for writing: it may still read the
			 * answer; a client gone for good shows when the answer is sent */
			cl->eof = true;
			return;
		}
		if (n == 0) {
			/* the request ends short: a client that only shut its side
			 * for writing reads why; one gone for good counts as
			 * abandoned when the answer cannot be sent */
			cl->eof = true;
			if (cl->st == CL_LINE)
				client_error(c, cl, -EINVAL, "request cut short: the client shut "
					     "its side before the end of the request line");
			else
				client_error(c, cl, -EINVAL, "request cut short: %u of its %u "
					     "bytes came before the client shut its side",
					     cl->got, cl->len);
			return;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			/* gone before its answer: forget it (the NF's answer is skipped) */
			struct core_nf *nf = nf_of(c, cl->nf_id);

			if (cl->st == CL_WAIT && nf != NULL && nf->cmd.client == idx)
				nf->cmd.client = -1;
			c->cmd_st.abandoned++;
			client_free(cl);
		}
		return;
	}
}

/* Send what client @cl's socket takes of its answer. */
static void
client_write(struct core *c, struct cmd_client *cl)
{
	while (cl->out_done < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_done, cl->out_len - cl->out_done,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			c->cmd_st.abandoned++; /* gone before it had its answer */
			break;
		}
		cl->out_done += (size_t)n;
	}
	/* what the client sent beyond its request (or after an error cut it
	 * short) is read away first: closing on unread bytes would reset the
	 * connection, and the client could lose the answer */
	for (int k = 0; k < 64; k++) {
		char sink[1024];

		if (recv(cl->fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
	}
	client_free(cl);
}

/* The channel of @nf is broken for good. */
static void
nf_broken(struct core *c, struct core_nf *nf, const char *why)
{
	nf->cmd.broken = why;
	nf->cmd.out.active = 0;
	free(nf->cmd.body);
	nf->cmd.body = NULL;
	nvm_ctl_recv_reset(&nf->cmd.in);
	c->cmd_st.broken++;
	printf("nf %u: control channel closed: %s\n", nf->id, why);
	fflush(stdout);
	if (nf->cmd.client >= 0) {
		struct cmd_client *cl = &c->cmd_clients[nf->cmd.client];

		nf->cmd.client = -1;
		client_error(c, cl, -EPROTO, "NF %u broke its control channel (%s)", nf->id, why);
	}
}

/* Move @nf's request into its pipe and its answer out: at most
 * CMD_ANSWERS_ROUND answers, or CMD_ANSWER_BYTES once the one being read is
 * whole, so that an NF writing stale ones as fast as they are read cannot
 * hold the control thread (the rest wait for the next round). */
static void
nf_pump(struct core *c, struct core_nf *nf)
{
	uint32_t start = nf->cmd.ans.pos;
	unsigned int n;
	int r;

	if (nf->cmd.broken)
		return;
	if (nf->cmd.out.active) {
		r = nvm_ctl_send(&nf->cmd.req, &nf->cmd.out);
		if (r < 0) {
			nf_broken(c, nf, "impossible index in its request pipe");
			return;
		}
		if (r == 1) {
			free(nf->cmd.body);
			nf->cmd.body = NULL;
		}
	}
	for (n = 0; n < CMD_ANSWERS_ROUND && nf->cmd.ans.pos - start < CMD_ANSWER_BYTES; n++) {
		struct cmd_client *cl;

		r = nvm_ctl_recv(&nf->cmd.ans, &nf->cmd.in);
		if (r == 0)
			return;
		if (r < 0) {
			nf_broken(c, nf, r == -EPIPE ? "impossible index in its answer pipe" :
					 r == -EPROTO ? "a malformed answer" : "out of memory");
			return;
		}
		if (nf->cmd.in.hdr.seq != nf->cmd.seq || nf->cmd.client < 0 ||
		    nf->cmd.in.hdr.status > 0) {
			/* an answer nobody waits for any more (or a bogus status) */
			c->cmd_st.stale++;
			nvm_ctl_recv_reset(&nf->cmd.in);
			continue;
		}
		cl = &c->cmd_clients[nf->cmd.client];
		nf->cmd.client = -1;
		client_answer(c, cl, nf->cmd.in.hdr.status, nf->cmd.in.text, nf->cmd.in.hdr.len);
		nvm_ctl_recv_reset(&nf->cmd.in);
		c->cmd_st.answered++;
	}
}

/* @nf is going away: its waiting client gets an answer, its buffers go. */
void
core_cmd_nf_gone(struct core *c, struct core_nf *nf)
{
	if (nf->cmd.client >= 0) {
		struct cmd_client *cl = &c->cmd_clients[nf->cmd.client];

		nf->cmd.client = -1;
		client_error(c, cl, -ENOENT, "NF %u detached before it answered", nf->id);
	}
	free(nf->cmd.body);
	nf->cmd.body = NULL;
	nvm_ctl_recv_reset(&nf->cmd.in);
}

/* Accept waiting clients; a full table refuses the newcomer. */
static void
cmd_accept(struct core *c, int epfd)
{
	for (;;) {
		int fd = accept4(c->cmd_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), i;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };

		if (fd < 0)
			return;
		for (i = 0; i < CORE_CMD_CLIENTS && c->cmd_clients[i].st != CL_FREE; i++)
			;
		if (i == CORE_CMD_CLIENTS) {
			static const char why[] = "too many command clients; try again\n";
			char busy[64];
			int n = snprintf(busy, sizeof(busy), "%d %zu\n%s", -EBUSY, sizeof(why) - 1,
					 why);

			send(fd, busy, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			c->cmd_st.errors++;
			continue;
		}
		ev.data.u32 = CORE_CMD_TAG + (uint32_t)i;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		c->cmd_clients[i] = (struct cmd_client){
			.st = CL_LINE, .fd = fd, .deadline_ms = mono_ms() + CMD_READ_MS,
		};
		client_read(c, &c->cmd_clients[i], i);
	}
}

/* An epoll event with tag @tag (CORE_CMD_TAG and up, or CORE_CMD_LISTEN). */
void
core_cmd_event(struct core *c, int epfd, uint32_t tag)
{
	struct cmd_client *cl;

	if (tag == CORE_CMD_LISTEN) {
		cmd_accept(c, epfd);
		return;
	}
	cl = &c->cmd_clients[tag - CORE_CMD_TAG];
	if (cl->st == CL_FREE)
		return;
	client_read(c, cl, (int)(tag - CORE_CMD_TAG));
	if (cl->st == CL_SEND)
		client_write(c, cl);
}

/*
 * One control round: pump every NF's channel, answer what came, time out
 * what did not. Returns how long the control thread may wait: short while
 * a command is under way.
 */
int
core_cmd_round(struct core *c, int wait_ms)
{
	uint64_t now;
	unsigned int i;
	bool busy = false;

	for (i = 0; i < CORE_MAX_NFS; i++)
		if (c->nfs[i] != NULL && (c->nfs[i]->cmd.out.active || c->nfs[i]->cmd.client >= 0)) {
			nf_pump(c, c->nfs[i]);
			busy |= c->nfs[i] != NULL &&
				(c->nfs[i]->cmd.out.active || c->nfs[i]->cmd.client >= 0);
		}
	now = mono_ms();
	for (i = 0; i < CORE_CMD_CLIENTS; i++) {
		struct cmd_client *cl = &c->cmd_clients[i];
		struct core_nf *nf;

		if (cl->st == CL_SEND)
			client_write(c, cl);
		if (cl->st == CL_FREE || now < cl->deadline_ms) {
			busy |= cl->st == CL_SEND;
			continue;
		}
		switch (cl->st) {
		case CL_WAIT:
			nf = nf_of(c, cl->nf_id);
			if (nf != NULL && nf->cmd.client == (int)i)
				nf->cmd.client = -1;
			client_timeout(c, cl, "NF %u did not answer within %u ms%s",
				       cl->nf_id, cl->wait_ms,
				       nf != NULL && __atomic_load_n(&nf->cmd.req.p->cons,
								     __ATOMIC_ACQUIRE) !=
							     nf->cmd.req.pos ?
					       " (it has not read the command: it does not serve "
					       "netlib's control channel)" : "");
			client_write(c, cl);
			break;
		case CL_LINE:
		case CL_BODY:
			client_timeout(c, cl, "request not whole within %d ms", CMD_READ_MS);
			client_write(c, cl);
			break;
		default: /* CL_SEND: the client does not read its answer */
			c->cmd_st.timeouts++;
			client_free(cl);
		}
	}
	return busy ? RTE_MIN(wait_ms, 1) : wait_ms;
}

/* Close every client (the control thread stops). */
void
core_cmd_stop(struct core *c)
{
	unsigned int i;

	for (i = 0; i < CORE_MAX_NFS; i++)
		if (c->nfs[i] != NULL)
			c->nfs[i]->cmd.client = -1;
	for (i = 0; c->cmd_clients != NULL && i < CORE_CMD_CLIENTS; i++)
		if (c->cmd_clients[i].st != CL_FREE)
			client_free(&c->cmd_clients[i]);
}
