/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The attach socket and the control thread. NFs connect, say hello, and get
 * their regions (docs/abi.md, "Attach protocol"); a closed connection means
 * the NF is gone and every buffer it held is taken back. The datapath is
 * told through a new core_view published with a QSBR grace period: the
 * lcores never lock.
 */
#include <errno.h>
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

/*
 * Open the listening socket at cfg.socket_path. A path where another core
 * engine answers is an error; a stale one (nobody listening) is replaced.
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
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	c->listen_fd = fd;
	return 0;
}

/* Build the view the datapath will see from the NF table. */
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

		if (nf == NULL)
			continue;
		v->nfs[v->nb_nfs++] = nf;
		v->role_known[nf->role] = 1;
		if (v->nb_inst[nf->role] < CORE_MAX_INSTANCES)
			v->inst[nf->role][v->nb_inst[nf->role]++] = nf;
	}
	return v;
}

/* Publish a view built from the current table and wait until no lcore
 * can still be using the old one. Returns 0 or -ENOMEM. */
static int
view_publish(struct core *c)
{
	struct core_view *v = view_build(c), *old;

	if (v == NULL)
		return -ENOMEM;
	old = __atomic_exchange_n(&c->view, v, __ATOMIC_ACQ_REL);
	rte_rcu_qsbr_synchronize(c->qsbr, RTE_QSBR_THRID_INVALID);
	free(old);
	return 0;
}

static void
refuse(int fd, int code)
{
	nvm_msg_send(fd, NVM_MSG_ERROR, -1);
	nvm_msg_send(fd, -(int64_t)code, -1);
}

/* Read the hello of a new connection, make the NF, send it its regions. */
static void
attach_one(struct core *c, int epfd, int fd)
{
	int64_t hello[4];
	struct core_nf *nf = NULL;
	char err[256];
	unsigned int i, slot;
	struct timespec t0, t;
	int dummy = -1, r;

	/* One deadline for the whole hello: the control thread serves every NF,
	 * a client that dribbles must not hold it longer than that. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 4; i++) {
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = HELLO_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
					   (t.tv_nsec - t0.tv_nsec) / 1000000);
		r = left > 0 ? nvm_msg_recv(fd, &hello[i], &dummy, (int)left) : -ETIMEDOUT;
		if (dummy >= 0)
			close(dummy);
		if (r < 0) {
			fprintf(stderr, "attach: no valid hello: %s\n", strerror(-r));
			close(fd);
			return;
		}
	}
	if (hello[0] != NVM_HELLO_MAGIC || hello[1] != NVM_ABI_VERSION) {
		fprintf(stderr, "attach: refused: hello magic %#llx version %lld (want version %u)\n",
			(unsigned long long)hello[0], (long long)hello[1], NVM_ABI_VERSION);
		refuse(fd, EPROTO);
		close(fd);
		return;
	}
	if (hello[2] < 0 || hello[2] >= CFG_MAX_ROLES || hello[3] < 1 ||
	    hello[3] > NVM_MAX_QUEUES) {
		fprintf(stderr, "attach: refused: role %lld / %lld queues out of range\n",
			(long long)hello[2], (long long)hello[3]);
		refuse(fd, EINVAL);
		close(fd);
		return;
	}
	for (slot = 0; slot < CORE_MAX_NFS && c->nfs[slot] != NULL; slot++)
		;
	if (slot == CORE_MAX_NFS) {
		fprintf(stderr, "attach: refused: %u NFs attached already\n", CORE_MAX_NFS);
		refuse(fd, ENOSPC);
		close(fd);
		return;
	}
	nf = core_nf_create(c, (uint16_t)slot, (uint16_t)hello[2], (uint16_t)hello[3], err,
			    sizeof(err));
	if (nf == NULL) {
		fprintf(stderr, "attach: %s\n", err);
		refuse(fd, ENOMEM);
		close(fd);
		return;
	}
	nf->sock = fd;
	/* ivshmem framing: version, id, -1 + region; then our pool; then the
	 * NF's own id with its doorbell. */
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
		core_nf_destroy(nf);
		return;
	}
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = slot };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		fprintf(stderr, "attach: epoll: %s\n", strerror(errno));
		core_nf_destroy(nf);
		return;
	}
	pthread_mutex_lock(&c->nf_lock);
	c->nfs[slot] = nf;
	pthread_mutex_unlock(&c->nf_lock);
	if (view_publish(c) < 0)
		fprintf(stderr, "attach: out of memory publishing NF %u\n", nf->id);
	pthread_mutex_lock(&c->nf_lock);
	c->nb_attached++; /* counted once the datapath can reach it */
	pthread_mutex_unlock(&c->nf_lock);
	printf("nf %u attached: role %u, %u queue(s)\n", nf->id, nf->role, nf->nb_queues);
	fflush(stdout);
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
	c->nb_attached--;
	pthread_mutex_unlock(&c->nf_lock);
	while (view_publish(c) < 0) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL); /* the old view must go before the NF does */
	}
	core_nf_reclaim(c, nf);
	printf("nf %u detached: role %u, %llu buffer(s) reclaimed\n", nf->id, nf->role,
	       (unsigned long long)nf->st.reclaimed);
	fflush(stdout);
	core_nf_destroy(nf);
}

/* Detach every NF (at shutdown, after the lcores stopped). */
void
core_detach_all(struct core *c)
{
	unsigned int i;

	for (i = 0; i < CORE_MAX_NFS; i++)
		detach_one(c, i);
}

#define LISTEN_TAG 0xffffffffu

static void *
ctl_main(void *arg)
{
	struct core *c = arg;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LISTEN_TAG };
	struct core_port_stats prev[NVM_MAX_PORTS] = { 0 };
	time_t last = time(NULL);
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, c->listen_fd, &ev) < 0) {
		fprintf(stderr, "control thread: epoll: %s\n", strerror(errno));
		c->quit = true; /* no NF could ever attach: stop everything */
		return NULL;
	}
	while (!c->ctl_quit) {
		struct epoll_event evs[16];
		int n = epoll_wait(epfd, evs, 16, 200), i;

		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 == LISTEN_TAG) {
				int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);

				if (fd >= 0)
					attach_one(c, epfd, fd);
				continue;
			}
			/* The NF sends nothing after hello: readable means closed
			 * (or misbehaving, which we treat the same). */
			if (evs[i].data.u32 < CORE_MAX_NFS && c->nfs[evs[i].data.u32] != NULL) {
				epoll_ctl(epfd, EPOLL_CTL_DEL, c->nfs[evs[i].data.u32]->sock, NULL);
				detach_one(c, evs[i].data.u32);
			}
		}
		if (c->cfg.stats_interval > 0 && time(NULL) - last >= (time_t)c->cfg.stats_interval) {
			core_rates_print(c, stdout, prev, (double)(time(NULL) - last));
			last = time(NULL);
			core_stats_print(c, stdout, "stats", true);
		}
	}
	close(epfd);
	return NULL;
}

/* Start the control thread. Returns 0 or a negative errno. */
int
core_attach_start(struct core *c)
{
	struct core_view *v = view_build(c);

	if (v == NULL)
		return -ENOMEM;
	c->view = v;
	return -rte_ctrl_thread_create(&c->ctl_thread, "netvm-ctl", NULL, ctl_main, c);
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
