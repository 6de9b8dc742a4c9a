/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_ivshmem.c — the ivshmem server of one VM's chardev socket.
 *
 * QEMU's ivshmem-doorbell device connects to <state_dir>/<name>.sock and
 * expects the ivshmem server protocol (QEMU's docs/specs/ivshmem-spec, the
 * framing of nvm_msg.h): version 0, its peer id, -1 with the shared memory
 * fd, then its own id with its vector-0 eventfd. The manager gives the VM's
 * private region as the shared memory and the core's doorbell eventfd as the
 * VM's interrupt, so a core write to the doorbell is an MSI-X interrupt in
 * the guest. No other peer exists: the guest cannot interrupt anyone.
 *
 * One thread per server, because QEMU reads the first messages while it
 * starts, and a launcher (libvirt) may block the main loop until QEMU has
 * started. The thread serves one peer in its lifetime and refuses others;
 * it tells the main loop what happened through a pipe, one byte per event.
 * Refusals are counted, and only the first one not yet taken by the loop
 * (mgr_ivs_refused()) writes a byte: peers that connect without end can
 * neither flood the log nor fill the pipe, which would lose the events
 * that follow (the VM's own QEMU disconnecting).
 *
 * A live migration (mgr_migrate.c) lets one more peer in: the destination
 * QEMU gets the same greeting (same peer id, same private region, same
 * doorbell eventfd) while the source stays connected. On a handover the
 * source's connection is closed without a "disconnected" event and the
 * destination's is the VM's; on a cancel the destination's is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgr.h"
#include "nvm_msg.h"

/* Reset @s to "not serving"; cannot fail. */
void
mgr_ivs_init(struct mgr_ivs *s)
{
	memset(s, 0, sizeof(*s));
	s->listen_fd = s->conn_fd = s->stop_fd = s->next_fd = -1;
	s->notify[0] = s->notify[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->done, NULL);
}

static void
mgr_ivs_notify(struct mgr_ivs *s, enum mgr_ivs_event ev)
{
	char c = (char)ev;
	ssize_t n;

	do
		n = write(s->notify[1], &c, 1);
	while (n < 0 && errno == EINTR);
}

/* Send the server protocol's greeting to the new peer. */
static int
mgr_ivs_greet(struct mgr_ivs *s, int fd)
{
	int r = nvm_msg_send(fd, 0, -1);

	if (r == 0)
		r = nvm_msg_send(fd, s->peer_id, -1);
	if (r == 0)
		r = nvm_msg_send(fd, -1, s->shm_fd);
	if (r == 0)
		r = nvm_msg_send(fd, s->peer_id, s->doorbell_fd);
	return r;
}

static void
mgr_ivs_accept(struct mgr_ivs *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (s->served && s->successor_ok && s->next_fd < 0) {
		/* a failed greeting is the migration's failure, not the VM's */
		s->successor_ok = false;
		if (mgr_ivs_greet(s, fd) < 0) {
			close(fd);
			return;
		}
		s->next_fd = fd;
		mgr_ivs_notify(s, MGR_IVS_SUCCESSOR);
		return;
	}
	if (s->served) {
		close(fd);
		if (s->refused++ == 0)
			mgr_ivs_notify(s, MGR_IVS_REFUSED);
		return;
	}
	s->served = true;
	if (mgr_ivs_greet(s, fd) < 0) {
		close(fd);
		mgr_ivs_notify(s, MGR_IVS_FAILED);
		return;
	}
	s->conn_fd = fd;
	mgr_ivs_notify(s, MGR_IVS_CONNECTED);
}

/* Carry out the loop's pending request (lock held). */
static void
mgr_ivs_request(struct mgr_ivs *s)
{
	if (s->request == MGR_IVS_REQ_HANDOVER && s->next_fd >= 0) {
		if (s->conn_fd >= 0)
			close(s->conn_fd);
		s->conn_fd = s->next_fd;
		s->next_fd = -1;
	} else if (s->next_fd >= 0) {
		close(s->next_fd);
		s->next_fd = -1;
	}
	s->successor_ok = false;
	s->request = 0;
	pthread_cond_broadcast(&s->done);
}

static void *
mgr_ivs_main(void *arg)
{
	struct mgr_ivs *s = arg;

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = s->stop_fd, .events = POLLIN },
			{ .fd = s->listen_fd, .events = POLLIN },
			{ .fd = s->conn_fd, .events = POLLIN | POLLRDHUP },
		};
		char buf[64];

		eventfd_t v;

		if (poll(p, s->conn_fd >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		pthread_mutex_lock(&s->lock);
		if (p[0].revents) {
			eventfd_read(s->stop_fd, &v);
			if (s->stopping) {
				pthread_mutex_unlock(&s->lock);
				break;
			}
			if (s->request != 0) {
				mgr_ivs_request(s);
				pthread_mutex_unlock(&s->lock);
				continue; /* conn_fd may have changed: poll again */
			}
		}
		if (p[1].revents & POLLIN)
			mgr_ivs_accept(s);
		/* QEMU never sends: bytes are ignored, only the end matters. */
		if (s->conn_fd >= 0 && p[2].revents) {
			ssize_t n = recv(s->conn_fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
			    (p[2].revents & (POLLHUP | POLLRDHUP | POLLERR))) {
				close(s->conn_fd);
				s->conn_fd = -1;
				mgr_ivs_notify(s, MGR_IVS_DISCONNECTED);
			}
		}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static int
mgr_ivs_listen(struct mgr_ivs *s, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	strcpy(sa.sun_path, s->path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		return -errno;
	unlink(s->path); /* ours: the state directory belongs to this manager */
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->listen_fd, 4) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", s->path, strerror(-r));
		return r;
	}
	/* QEMU under libvirt runs as libvirt-qemu:kvm; connecting needs write access. */
	if (gid != (gid_t)-1 && (chown(s->path, (uid_t)-1, gid) < 0 || chmod(s->path, 0660) < 0)) {
		r = -errno;
		snprintf(err, errlen, "cannot give %s to group %u: %s", s->path, (unsigned int)gid,
			 strerror(-r));
		return r;
	}
	return 0;
}

/*
 * Listen on @path and serve one QEMU peer with id @peer_id: @shm_fd as the
 * shared memory, @doorbell_fd as its vector-0 interrupt (the descriptors stay
 * the caller's). @gid: group to give the socket to (mode 0660), or -1.
 * Returns 0, or a negative errno with a message in @err (@s is then stopped).
 */
int
mgr_ivs_start(struct mgr_ivs *s, const char *path, int64_t peer_id, int shm_fd, int doorbell_fd,
	      gid_t gid, char *err, size_t errlen)
{
	int r;

	mgr_ivs_init(s);
	if (snprintf(s->path, sizeof(s->path), "%s", path) >= (int)sizeof(s->path)) {
		snprintf(err, errlen, "chardev socket path too long (max %zu): %s",
			 sizeof(s->path) - 1, path);
		return -ENAMETOOLONG;
	}
	s->peer_id = peer_id;
	s->shm_fd = shm_fd;
	s->doorbell_fd = doorbell_fd;
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0 || pipe2(s->notify, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		snprintf(err, errlen, "ivshmem server: %s", strerror(-r));
		mgr_ivs_stop(s);
		return r;
	}
	r = mgr_ivs_listen(s, gid, err, errlen);
	if (r < 0) {
		mgr_ivs_stop(s);
		return r;
	}
	r = -pthread_create(&s->thread, NULL, mgr_ivs_main, s);
	if (r < 0) {
		snprintf(err, errlen, "ivshmem server thread: %s", strerror(-r));
		mgr_ivs_stop(s);
		return r;
	}
	s->running = true;
	return 0;
}

/* The next event the server thread reported (enum mgr_ivs_event), or
 * -EAGAIN when there is none. */
int
mgr_ivs_event(struct mgr_ivs *s)
{
	unsigned char c;
	ssize_t n;

	if (s->notify[0] < 0)
		return -EAGAIN;
	do
		n = read(s->notify[0], &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? (int)c : -EAGAIN;
}

/* How many peers were refused since the last call (the count that came
 * with an MGR_IVS_REFUSED event), 0 when none; cannot fail. */
unsigned long
mgr_ivs_refused(struct mgr_ivs *s)
{
	unsigned long n;

	pthread_mutex_lock(&s->lock);
	n = s->refused;
	s->refused = 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Stop the thread, close the connection and the socket, remove its file;
 * safe on a stopped @s; cannot fail. */
void
mgr_ivs_stop(struct mgr_ivs *s)
{
	int *fds[] = { &s->listen_fd, &s->conn_fd, &s->next_fd, &s->stop_fd, &s->notify[0],
		       &s->notify[1] };
	unsigned int i;

	if (s->running) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_mutex_unlock(&s->lock);
		eventfd_write(s->stop_fd, 1);
		pthread_join(s->thread, NULL);
		s->running = false;
	}
	if (s->listen_fd >= 0)
		unlink(s->path);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	s->stopping = s->successor_ok = false;
	s->request = 0;
}

/* Let one more QEMU connect: the destination of a live migration of the
 * VM; it gets the same greeting. */
void
mgr_ivs_allow_successor(struct mgr_ivs *s)
{
	pthread_mutex_lock(&s->lock);
	s->successor_ok = true;
	pthread_mutex_unlock(&s->lock);
}

/*
 * End a migration: @commit, the destination's connection becomes the VM's
 * and the source's is closed without an event; else the destination's is
 * closed. Returns once the server thread has done it; cannot fail.
 */
void
mgr_ivs_handover(struct mgr_ivs *s, bool commit)
{
	pthread_mutex_lock(&s->lock);
	if (!s->running) {
		s->successor_ok = false;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->request = commit ? MGR_IVS_REQ_HANDOVER : MGR_IVS_REQ_CANCEL;
	eventfd_write(s->stop_fd, 1);
	while (s->request != 0)
		pthread_cond_wait(&s->done, &s->lock);
	pthread_mutex_unlock(&s->lock);
}
