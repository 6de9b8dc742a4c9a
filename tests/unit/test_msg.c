/* SPDX-License-Identifier: BSD-3-Clause */
/* The attach protocol's framing (nvm_msg.h) against a peer that misbehaves:
 * messages cut short, dribbled, or carrying several descriptors. Nothing may
 * block past its deadline, and every descriptor that arrives is handed over
 * or closed (counted in /proc/self/fd). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "nvm_msg.h"

#define GUARD_S 10 /* a receive that blocks past its time-out ends the test */

static unsigned int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* Send the 8 bytes of @v with @nfds copies of /dev/null attached, raw. */
static void
send_with_fds(int sock, int64_t v, unsigned int nfds)
{
	uint64_t le = htole64((uint64_t)v);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[8];
	unsigned int i;

	assert_true(nfds <= 8);
	for (i = 0; i < nfds; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(fds[i] >= 0);
	}
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	assert_int_equal(sendmsg(sock, &msg, 0), (ssize_t)sizeof(le));
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

/* A message with one descriptor: the value and the descriptor come out. */
static void
test_one_fd(void **state)
{
	int sv[2], fd = -1;
	int64_t v = 0;

	(void)state;
	pair(sv);
	send_with_fds(sv[0], -1, 1);
	assert_int_equal(nvm_msg_recv(sv[1], &v, &fd, 1000), 0);
	assert_int_equal(v, -1);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* Messages with 2, 3 and 8 descriptors: refused, and none stays open. */
static void
test_extra_fds_closed(void **state)
{
	static const unsigned int counts[] = { 2, 3, 8 };
	unsigned int i, before;
	int sv[2], fd, r;
	int64_t v;

	(void)state;
	pair(sv);
	before = open_fds();
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		fd = -1;
		send_with_fds(sv[0], 42, counts[i]);
		r = nvm_msg_recv(sv[1], &v, &fd, 1000);
		assert_int_equal(open_fds(), before); /* none leaked */
		assert_int_equal(r, -EPROTO);
		assert_int_equal(fd, -1);
	}
	close(sv[0]);
	close(sv[1]);
}

/* Three bytes and then silence: -EPROTO (the stream is out of step) once
 * the time is up, not a receive that waits for the other five forever. */
static void
test_partial_times_out(void **state)
{
	int sv[2], fd = 0;
	int64_t v;

	(void)state;
	pair(sv);
	assert_int_equal(write(sv[0], "abc", 3), 3);
	alarm(GUARD_S);
	assert_int_equal(nvm_msg_recv(sv[1], &v, &fd, 100), -EPROTO);
	alarm(0);
	assert_int_equal(fd, -1);
	close(sv[0]);
	close(sv[1]);
}

/* Three bytes and a close: -EPROTO; a close alone: -ECONNRESET. */
static void
test_closed(void **state)
{
	int sv[2], fd;
	int64_t v;

	(void)state;
	pair(sv);
	assert_int_equal(write(sv[0], "abc", 3), 3);
	close(sv[0]);
	alarm(GUARD_S);
	assert_int_equal(nvm_msg_recv(sv[1], &v, &fd, 1000), -EPROTO);
	close(sv[1]);
	pair(sv);
	close(sv[0]);
	assert_int_equal(nvm_msg_recv(sv[1], &v, &fd, 1000), -ECONNRESET);
	alarm(0);
	close(sv[1]);
}

/* A message in two parts, the descriptor on the first: nvm_msg_read keeps
 * the part (0), then gives the whole message (1) with its descriptor. */
static void
test_read_in_parts(void **state)
{
	const int64_t want = -0x0102030405060708LL;
	uint64_t le = htole64((uint64_t)want);
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = &le, .iov_len = 3 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct nvm_msg_rx rx;
	struct cmsghdr *c;
	int sv[2], fd = -1, dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int64_t v = 0;

	(void)state;
	assert_true(dn >= 0);
	pair(sv);
	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &dn, sizeof(int));
	assert_int_equal(sendmsg(sv[0], &msg, 0), 3);
	close(dn);
	nvm_msg_rx_init(&rx);
	assert_int_equal(nvm_msg_read(sv[1], &rx, &v, &fd), 0);
	assert_int_equal(nvm_msg_read(sv[1], &rx, &v, &fd), 0); /* nothing more yet */
	assert_int_equal(write(sv[0], (uint8_t *)&le + 3, 5), 5);
	assert_int_equal(nvm_msg_read(sv[1], &rx, &v, &fd), 1);
	assert_int_equal(v, want);
	assert_true(fd >= 0);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_fd),
		cmocka_unit_test(test_extra_fds_closed),
		cmocka_unit_test(test_partial_times_out),
		cmocka_unit_test(test_closed),
		cmocka_unit_test(test_read_in_parts),

	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
