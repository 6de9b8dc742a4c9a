/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The attach socket and the control thread. NFs connect, say hello, and get
 * their regions (docs/abi.md, "Attach protocol"); an NF joins the datapath
 * once its private header says it runs, and a closed connection means the NF
 * is gone and every buffer it held is taken back (a manager's lease outlives
 * its connection for core.lease_s, for a new manager to adopt it). The
 * datapath is told through a new core_view published with a QSBR grace
 * period: the lcores never lock.
 *
 * Nothing a client sends can hold the control thread: every socket is
 * non-blocking, a connection whose hello is not whole yet waits in a table
 * of CTL_MAX_PENDING with a deadline (HELLO_TIMEOUT_MS), and when the table
 * is full the oldest one is closed to make room. Each such end is counted
 * (struct core_ctl_stats).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "core.h"
#include "nvm_msg.h"

#define HELLO_TIMEOUT_MS 2000
#define CTL_POLL_MS 200      /* control round when no NF is waiting to run */
#define CTL_JOIN_POLL_MS 2   /* ... when one attached less than a second ago */
#define CTL_BOOT_POLL_MS 20  /* ... when one has waited longer (a VM booting) */
#define CTL_MAX_PENDING 32   /* connections whose hello is not whole yet */
#define CTL_ACCEPT_BURST 64  /* connections accepted per control round */

#define LISTEN_TAG 0xffffffffu
#define CONN_TAG 0x10000u    /* epoll tag of pending connection i: CONN_TAG + i */

/* A connection whose hello is not whole yet. */
struct ctl_conn {
	int fd;               /* -1: free */
	uint64_t deadline_ms; /* closed then (CLOCK_MONOTONIC) */
	uint64_t seq;         /* accept order: the oldest goes first */
	struct nvm_msg_rx rx; /* the message being received */
	int64_t hello[NVM_HELLO_MAX];
	unsigned int n;       /* hello values received */
};

/* The control thread's own state. */
struct ctl {
	struct core *c;
	int epfd;
	uint64_t seq;
	struct ctl_conn conns[CTL_MAX_PENDING];
};

_Static_assert(NVM_MAX_ROLES == CFG_MAX_ROLES, "a hello names any role of the configuration");

/*
 * Open the listening socket at cfg.socket_path. A path where another core
 * engine answers is an error; a stale one (nobody listening) is replaced;
 * any other file there is an error, left alone.
 * Returns 0 or a negative errno with a message in err.
 */
int
core_attach_open(struct core *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = c->cfg.socket_path;
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long (max %zu): %s", sizeof(sa.sun_path) - 1,
			 path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755); /* /run/netvm on a fresh boot; an error shows at bind */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "socket %s is in use by a running core engine (stop it, or "
			 "give another path with --socket)", path);
		return -EADDRINUSE;
	}
	r = core_sock_replaceable(path, err, errlen);
	if (r < 0) {
		close(fd);
		return r;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	c->listen_fd = fd;
	return 0;
}

/* Build the view the datapath will see from the NF table: the live NFs. */
static struct core_view *
view_build(const struct core *c)
{
	struct core_view *v = calloc(1, sizeof(*v));
	unsigned int i;

	if (v == NULL)
		return NULL;
	memcpy(v->role_known, c->role_used, sizeof(v->role_known));
	for (i = 0; i < CORE_MAX_NFS; i++) {
		struct core_nf *nf = c->nfs[i];

		if (nf == NULL || !nf->live)
			continue;
		v->nfs[v->nb_nfs++] = nf;
		v->role_known[nf->role] = 1;
		if (v->nb_inst[nf->role] < CORE_MAX_INSTANCES) {
			v->inst[nf->role][v->nb_inst[nf->role]++] = nf;
			v->by_id[nf->id] = nf;
		}
	}
	return v;
}

/* Publish a view built from the current table and wait until no lcore
 * can still be using the old one. Returns 0 or -ENOMEM (the old view stays). */
int
core_view_publish(struct core *c)
{
	struct core_view *v = view_build(c), *old;

	if (v == NULL)
		return -ENOMEM;
	old = __atomic_exchange_n(&c->view, v, __ATOMIC_ACQ_REL);
	rte_rcu_qsbr_synchronize(c->qsbr, RTE_QSBR_THRID_INVALID);
	free(old);
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Answer a hello with the error @code and close; counted. */
static void
refuse(struct core *c, int fd, int code)
{
	c->ctl_st.refused++;
	nvm_msg_send(fd, NVM_MSG_ERROR, -1);
	nvm_msg_send(fd, -(int64_t)code, -1);
	close(fd);
}

/* Send @nf its regions (ivshmem framing: version, id, -1 + region; then our
 * pool; then the NF's own id with its doorbell) and watch its socket. */
static int
handshake_send(int epfd, struct core_nf *nf, unsigned int slot)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = slot };
	int fd = nf->sock, r;

	r = nvm_msg_send(fd, 0, -1);
	if (r == 0)
		r = nvm_msg_send(fd, nf->id, -1);
	if (r == 0)
		r = nvm_msg_send(fd, -1, nf->priv_fd);
	if (r == 0)
		r = nvm_msg_send(fd, NVM_MSG_POOL, nf->pool->fd);
	if (r == 0)
		r = nvm_msg_send(fd, nf->id, nf->doorbell);
	if (r < 0) {
		fprintf(stderr, "attach: NF %u went away during the handshake\n", nf->id);
		return r;
	}
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = -errno;
		fprintf(stderr, "attach: epoll: %s\n", strerror(-r));
		return r;
	}
	return 0;
}

/* A new manager takes over the orphaned lease of instance @id. */
static void
adopt_one(struct core *c, int epfd, int fd, int64_t id, uint64_t token)
{
	struct core_nf *nf = id >= 0 && id < CORE_MAX_NFS ? c->nfs[id] : NULL;

	if (nf == NULL || !nf->leased || nf->token != token) {
		fprintf(stderr, "attach: refused: no leased instance %lld with that token\n",
			(long long)id);
		refuse(c, fd, ENOENT);
		return;
	}
	if (!nf->orphaned) {
		fprintf(stderr, "attach: refused: instance %lld is held by its manager\n",
			(long long)id);
		refuse(c, fd, EBUSY);
		return;
	}
	/* Held again before the new manager has its last message (telemetry
	 * agrees with what it was told); orphaned again if it went away. */
	nf->sock = fd;
	pthread_mutex_lock(&c->nf_lock);
	nf->orphaned = false;
	pthread_mutex_unlock(&c->nf_lock);
	if (handshake_send(epfd, nf, (unsigned int)id) < 0) {
		close(fd);
		nf->sock = -1;
		pthread_mutex_lock(&c->nf_lock);
		nf->orphaned = true; /* the lease runs on */
		pthread_mutex_unlock(&c->nf_lock);
		return;
	}
	printf("nf %u adopted: a new manager holds its lease\n", nf->id);
	fflush(stdout);
}

/* The pid of the process at the other end of @fd, or 0 when unknown (a VM's
 * is its manager's). */
static int32_t
peer_pid(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 ? (int32_t)cr.pid : 0;
}

/* NFs of role @role in the table, attached or attaching (the view takes
 * CORE_MAX_INSTANCES of a role, so the core attaches no more). */
static unsigned int
role_instances(const struct core *c, uint16_t role)
{
	unsigned int i, n = 0;

	for (i = 0; i < CORE_MAX_NFS; i++)
		n += c->nfs[i] != NULL && c->nfs[i]->role == role;
	return n;
}

static void nf_sock_event(struct core *c, int epfd, unsigned int slot);

/*
 * Take the news of every NF socket that has some (closed, or sent its
 * detach) now, not when the event loop comes to it. A peer that closes and
 * attaches again at once can be read before its own close: a burst of
 * accepts reads every hello waiting, and the loop sees the closes after.
 * Called on each hello, so that the limits count only the NFs still there,
 * a restarted NF is never refused for its own predecessor, and a manager
 * that closed and came back at once finds its lease orphaned, to adopt.
 * One poll() of at most CORE_MAX_NFS sockets.
 */
static void
reap_gone(struct core *c, int epfd)
{
	struct pollfd p[CORE_MAX_NFS];
	unsigned int slot[CORE_MAX_NFS], i, n = 0;

	for (i = 0; i < CORE_MAX_NFS; i++) {
		if (c->nfs[i] == NULL || c->nfs[i]->sock < 0)
			continue;
		p[n] = (struct pollfd){ .fd = c->nfs[i]->sock, .events = POLLIN | POLLRDHUP };
		slot[n++] = i;
	}
	if (n == 0 || poll(p, n, 0) <= 0)
		return;
	for (i = 0; i < n; i++)
		if (p[i].revents != 0 && c->nfs[slot[i]] != NULL)
			nf_sock_event(c, epfd, slot[i]);
}

/* A whole hello came on @fd: make the NF and send it its regions, or give
 * an orphaned lease to a new manager, or refuse. */
static void
attach_one(struct core *c, int epfd, int fd, const int64_t *hello)
{
	struct core_nf *nf = NULL;
	struct nvm_hello h;
	char err[256];
	unsigned int slot;
	int r = nvm_hello_decode(hello, nvm_hello_len(hello[0]), &h);

	if (r == -EPROTO) {
		fprintf(stderr, "attach: refused: hello magic %#llx version %lld (want version %u)\n",
			(unsigned long long)hello[0], (long long)hello[1], NVM_ABI_VERSION);
		refuse(c, fd, EPROTO);
		return;
	}
	reap_gone(c, epfd);
	if (r == 0 && h.kind == NVM_HELLO_ADOPT) {
		adopt_one(c, epfd, fd, h.nf_id, h.token);
		return;
	}
	if (r < 0) {
		fprintf(stderr, "attach: refused: role %lld / %lld queues out of range%s\n",
			(long long)hello[2], (long long)hello[3],
			hello[0] == NVM_LEASE_MAGIC && hello[4] == 0 ? ", or a lease token of 0" : "");
		refuse(c, fd, EINVAL);
		return;
	}
	for (slot = 0; slot < CORE_MAX_NFS && c->nfs[slot] != NULL; slot++)
		;
	if (slot == CORE_MAX_NFS) {
		fprintf(stderr, "attach: refused: %u NFs attached already\n", CORE_MAX_NFS);
		refuse(c, fd, ENOSPC);
		return;
	}
	if (role_instances(c, h.role) == CORE_MAX_INSTANCES) {
		fprintf(stderr, "attach: refused: %u instances of role %u attached already\n",
			CORE_MAX_INSTANCES, h.role);
		refuse(c, fd, ENOSPC);
		return;
	}
	nf = core_nf_create(c, (uint16_t)slot, h.role, h.queues, err, sizeof(err));
	if (nf == NULL) {
		fprintf(stderr, "attach: %s\n", err);
		refuse(c, fd, ENOMEM);
		return;
	}
	nf->sock = fd;
	nf->pid = peer_pid(fd);
	nf->attached_ms = now_ms();
	nf->leased = h.kind == NVM_HELLO_LEASE;
	nf->token = h.token;
	/* In the table (telemetry shows it) before the NF has its last message,
	 * so that whoever it tells finds it there; not yet in the view: the
	 * datapath delivers to it once its NF says it runs (ctl_poll_nfs). */
	pthread_mutex_lock(&c->nf_lock);
	c->nfs[slot] = nf;
	pthread_mutex_unlock(&c->nf_lock);
	if (handshake_send(epfd, nf, slot) < 0) {
		pthread_mutex_lock(&c->nf_lock);
		c->nfs[slot] = NULL;
		pthread_mutex_unlock(&c->nf_lock);
		core_nf_destroy(nf);
	}
}

/* NF in @slot is gone: take it out of the datapath, then take its buffers. */
static void
detach_one(struct core *c, unsigned int slot)
{
	struct core_nf *nf = c->nfs[slot];

	if (nf == NULL)
		return;
	pthread_mutex_lock(&c->nf_lock);
	c->nfs[slot] = NULL;
	if (nf->reachable)
		c->nb_attached--;
	pthread_mutex_unlock(&c->nf_lock);
	while (nf->live && core_view_publish(c) < 0) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL); /* the old view must go before the NF does */
	}
	core_cmd_nf_gone(c, nf);
	core_nf_reclaim(c, nf);
	printf("nf %u detached: role %u, %llu buffer(s) reclaimed\n", nf->id, nf->role,
	       (unsigned long long)nf->st.reclaimed);
	fflush(stdout);
	core_nf_destroy(nf);
}

/* Detach every NF and free the datapath's view (at shutdown, after the
 * lcores stopped). */
void
core_detach_all(struct core *c)
{
	unsigned int i;

	for (i = 0; i < CORE_MAX_NFS; i++)
		detach_one(c, i);
	free(c->view);
	c->view = NULL;
}

/*
 * The socket of the NF in @slot is readable: a manager ending its lease
 * (NVM_MSG_DETACH), or closed. An NF's socket closing detaches it; a lease's
 * socket closing without NVM_MSG_DETACH orphans it: it keeps forwarding for
 * core.lease_s seconds, for a new manager to adopt it. Anything but a whole
 * NVM_MSG_DETACH, even a part of a message, is taken as a close.
 */
static void
nf_sock_event(struct core *c, int epfd, unsigned int slot)
{
	struct core_nf *nf = c->nfs[slot];
	struct nvm_msg_rx rx;
	int64_t v = 0;
	int fd = -1, r;

	nvm_msg_rx_init(&rx);
	r = nvm_msg_read(nf->sock, &rx, &v, &fd);
	if (fd >= 0)
		close(fd);
	if (r == 0 && rx.got == 0)
		return; /* nothing after all */
	nvm_msg_rx_reset(&rx);
	epoll_ctl(epfd, EPOLL_CTL_DEL, nf->sock, NULL);
	if (!nf->leased || c->cfg.lease_s == 0 || (r == 1 && v == NVM_MSG_DETACH)) {
		detach_one(c, slot);
		return;
	}
	close(nf->sock);
	nf->sock = -1;
	pthread_mutex_lock(&c->nf_lock);
	nf->orphaned = true;
	pthread_mutex_unlock(&c->nf_lock);
	nf->orphan_until_ms = now_ms() + (uint64_t)c->cfg.lease_s * 1000;
	printf("nf %u orphaned: its manager's connection closed; it keeps its rings for "
	       "%u s (core.lease_s) for a new manager to adopt it\n", nf->id, c->cfg.lease_s);
	fflush(stdout);
}

/* Take pending connection @i out of the table; returns its socket. */
static int
conn_take(struct ctl *ctl, unsigned int i)
{
	struct ctl_conn *cn = &ctl->conns[i];
	int fd = cn->fd;

	epoll_ctl(ctl->epfd, EPOLL_CTL_DEL, fd, NULL);
	nvm_msg_rx_reset(&cn->rx);
	cn->fd = -1;
	return fd;
}

/* Close pending connection @i, counting why in @counter. */
static void
conn_close(struct ctl *ctl, unsigned int i, uint64_t *counter)
{
	close(conn_take(ctl, i));
	(*counter)++;
}

/* Read what has arrived on pending connection @i; a whole hello goes to
 * attach_one, a broken one is closed. */
static void
conn_read(struct ctl *ctl, unsigned int i)
{
	struct ctl_conn *cn = &ctl->conns[i];
	struct core *c = ctl->c;

	for (;;) {
		int64_t v = 0, hello[NVM_HELLO_MAX];
		int fd = -1, r = nvm_msg_read(cn->fd, &cn->rx, &v, &fd);

		if (fd >= 0)
			close(fd); /* a hello carries no descriptor */
		if (r == 0)
			return; /* the rest later, or the deadline */
		if (r < 0) {
			conn_close(ctl, i, &c->ctl_st.broken);
			return;
		}
		cn->hello[cn->n++] = v;
		if (cn->n < nvm_hello_len(cn->hello[0]))
			continue;
		memcpy(hello, cn->hello, sizeof(hello));
		fd = conn_take(ctl, i);
		attach_one(c, ctl->epfd, fd, hello);
		return;
	}
}

/* Accept the connections waiting on the listening socket, each into a free
 * slot of the pending table or, when it is full, the oldest one's. */
static void
ctl_accept(struct ctl *ctl)
{
	struct core *c = ctl->c;
	unsigned int k, i;

	for (k = 0; k < CTL_ACCEPT_BURST; k++) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		unsigned int oldest = 0;

		if (fd < 0)
			return;
		for (i = 0; i < CTL_MAX_PENDING && ctl->conns[i].fd >= 0; i++)
			if (ctl->conns[i].seq < ctl->conns[oldest].seq)
				oldest = i;
		if (i == CTL_MAX_PENDING) {
			conn_close(ctl, oldest, &c->ctl_st.overflow);
			i = oldest;
		}
		ev.data.u32 = CONN_TAG + i;
		if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			c->ctl_st.broken++;
			continue;
		}
		ctl->conns[i] = (struct ctl_conn){
			.fd = fd, .deadline_ms = now_ms() + HELLO_TIMEOUT_MS, .seq = ctl->seq++,
		};
		nvm_msg_rx_init(&ctl->conns[i].rx);
		conn_read(ctl, i); /* the hello is often there already */
	}
}

/* Close the pending connections past their deadline. Returns how long until
 * the next deadline, at most @wait_ms. */
static int
conns_expire(struct ctl *ctl, int wait_ms)
{
	uint64_t now = now_ms();
	unsigned int i;

	for (i = 0; i < CTL_MAX_PENDING; i++) {
		struct ctl_conn *cn = &ctl->conns[i];

		if (cn->fd < 0)
			continue;
		if (now >= cn->deadline_ms) {
			conn_close(ctl, i, &ctl->c->ctl_st.timeouts);
			continue;
		}
		if (cn->deadline_ms - now < (uint64_t)wait_ms)
			wait_ms = (int)(cn->deadline_ms - now);
	}
	return wait_ms;
}

/*
 * Per control-thread round: an NF whose private header says it runs joins
 * the datapath; an orphan past its lease is detached. Returns how long the
 * control thread may wait for the next round: short while an NF that
 * attached less than a second ago waits to run (a host NF runs at once),
 * longer while one waits longer (a VM booting), CTL_POLL_MS otherwise.
 */
static int
ctl_poll_nfs(struct core *c)
{
	bool joined[CORE_MAX_NFS] = { false }, any = false;
	int wait_ms = CTL_POLL_MS;
	uint64_t now = now_ms();
	unsigned int i;

	for (i = 0; i < CORE_MAX_NFS; i++) {
		struct core_nf *nf = c->nfs[i];

		if (nf == NULL)
			continue;
		if (nf->orphaned && now >= nf->orphan_until_ms) {
			printf("nf %u: no manager adopted it within %u s (core.lease_s)\n", nf->id,
			       c->cfg.lease_s);
			detach_one(c, i);
			continue;
		}
		if (nf->live)
			continue;
		if (__atomic_load_n(&((struct nvm_priv_hdr *)nf->priv)->nf_state,
				    __ATOMIC_ACQUIRE) != NVM_NF_RUNNING) {
			int w = now - nf->attached_ms < 1000 ? CTL_JOIN_POLL_MS : CTL_BOOT_POLL_MS;

			wait_ms = w < wait_ms ? w : wait_ms;
			continue;
		}
		nf->live = joined[i] = any = true;
	}
	if (!any)
		return wait_ms;
	while (core_view_publish(c) < 0) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	for (i = 0; i < CORE_MAX_NFS; i++) {
		struct core_nf *nf = c->nfs[i];

		if (!joined[i])
			continue;
		pthread_mutex_lock(&c->nf_lock);
		nf->reachable = true; /* shown, and counted, once the datapath can reach it */
		c->nb_attached++;
		pthread_mutex_unlock(&c->nf_lock);
		printf("nf %u attached: role %u, %u queue(s)%s\n", nf->id, nf->role,
		       nf->nb_queues, nf->leased ? ", leased by a manager" : "");
	}
	fflush(stdout);
	return wait_ms;
}

static void *
ctl_main(void *arg)
{
	struct core *c = arg;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LISTEN_TAG };
	struct core_port_stats prev[NVM_MAX_PORTS] = { 0 };
	time_t last = time(NULL);
	struct ctl *ctl = calloc(1, sizeof(*ctl));
	int wait_ms = CTL_POLL_MS;
	unsigned int i;

	if (ctl == NULL) {
		fprintf(stderr, "control thread: out of memory\n");
		c->quit = true; /* no NF could ever attach: stop everything */
		return NULL;
	}
	ctl->c = c;
	for (i = 0; i < CTL_MAX_PENDING; i++)
		ctl->conns[i].fd = -1;
	ctl->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctl->epfd >= 0 && c->cmd_fd >= 0) {
		struct epoll_event cev = { .events = EPOLLIN, .data.u32 = CORE_CMD_LISTEN };

		epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, c->cmd_fd, &cev);
	}
	if (ctl->epfd < 0 || epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, c->listen_fd, &ev) < 0) {
		fprintf(stderr, "control thread: epoll: %s\n", strerror(errno));
		if (ctl->epfd >= 0)
			close(ctl->epfd);
		free(ctl);
		c->quit = true;
		return NULL;
	}
	while (!c->ctl_quit) {
		struct epoll_event evs[16];
		int n = epoll_wait(ctl->epfd, evs, 16, wait_ms), k;

		for (k = 0; k < n; k++) {
			uint32_t tag = evs[k].data.u32;

			if (tag == LISTEN_TAG)
				ctl_accept(ctl);
			else if (tag == CORE_CMD_LISTEN ||
				 (tag >= CORE_CMD_TAG && tag - CORE_CMD_TAG < CORE_CMD_CLIENTS))
				core_cmd_event(c, ctl->epfd, tag);
			else if (tag >= CONN_TAG && tag - CONN_TAG < CTL_MAX_PENDING) {
				if (ctl->conns[tag - CONN_TAG].fd >= 0)
					conn_read(ctl, tag - CONN_TAG);
			} else if (tag < CORE_MAX_NFS && c->nfs[tag] != NULL && c->nfs[tag]->sock >= 0)
				nf_sock_event(c, ctl->epfd, tag);
		}
		wait_ms = core_cmd_round(c, conns_expire(ctl, ctl_poll_nfs(c)));
		if (c->cfg.stats_interval > 0 && time(NULL) - last >= (time_t)c->cfg.stats_interval) {
			core_rates_print(c, stdout, prev, (double)(time(NULL) - last));
			last = time(NULL);
			core_stats_print(c, stdout, "stats", true);
		}
	}
	for (i = 0; i < CTL_MAX_PENDING; i++)
		if (ctl->conns[i].fd >= 0)
			close(conn_take(ctl, i));
	core_cmd_stop(c);
	close(ctl->epfd);
	free(ctl);
	return NULL;
}

/* Start the control thread. Returns 0 or a negative errno. */
int
core_attach_start(struct core *c)
{
	struct core_view *v = view_build(c);
	int r;

	if (v == NULL)
		return -ENOMEM;
	c->view = v;
	r = rte_ctrl_thread_create(&c->ctl_thread, "netvm-ctl", NULL, ctl_main, c);
	if (r != 0) {
		c->view = NULL;
		free(v);
	}
	return -r;
}

/* Stop the control thread and close the listening socket. */
void
core_attach_stop(struct core *c)
{
	c->ctl_quit = true;
	pthread_join(c->ctl_thread, NULL);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->cfg.socket_path);
		c->listen_fd = -1;
	}
}
