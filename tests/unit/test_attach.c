/* SPDX-License-Identifier: BSD-3-Clause */
/* The attach client (nvm_attach.h) against a scripted core engine in a
 * thread: the hello it sends, the regions it takes, the core's refusal,
 * answers that break off midway. A lease whose handshake fails after the
 * core granted it must be ended (NVM_MSG_DETACH), not left orphaned; no
 * descriptor may leak (counted in /proc/self/fd); nothing may wait past its
 * time-out. */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "netvm_abi.h"
#include "nvm_attach.h"
#include "nvm_msg.h"

#define GUARD_S 20     /* a client that waits past its time-outs ends the test */
#define TIMEOUT_MS 300 /* the client's time-out per answer */
#define PRIV_SIZE 4096
#define POOL_SIZE 8192
#define NF_ID 7

enum fd_kind { NONE, PRIV, POOL, BELL, PARTIAL };

struct step {
	int64_t v;
	enum fd_kind fd;
};

/* What the scripted core does and what it saw. */
struct fake {
	char path[108];
	int listen_fd;
	unsigned int nb_hello;   /* values it reads */
	const struct step *steps;
	unsigned int nb_steps;
	int64_t hello[5];        /* what it read */
	int64_t after[4];        /* messages after its answer, until the close */
	unsigned int nb_after;
	bool closed;             /* the client closed (read to the end) */
	pthread_t thread;
};

/* mkdtemp(3) template: the directory of the scripted cores' sockets, made once */
static char dir[] = "/tmp/nvm_attach_XXXXXX";

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
	return n - 1;
}

static int
region(size_t size)
{
	int fd = memfd_create("nvm_attach_test", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	int s = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC), fd, r;
	unsigned int i;
	int64_t v = 0;

	if (s < 0)
		return NULL;
	for (i = 0; i < f->nb_hello; i++) {
		if (nvm_msg_recv(s, &f->hello[i], &fd, 5000) < 0)
			goto out;
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < f->nb_steps; i++) {
		const struct step *st = &f->steps[i];

		if (st->fd == PARTIAL) {
			if (write(s, "abc", 3) != 3)
				goto out;
			continue;
		}
		fd = st->fd == PRIV ? region(PRIV_SIZE) : st->fd == POOL ? region(POOL_SIZE) :
		     st->fd == BELL ? eventfd(0, EFD_CLOEXEC) : -1;
		nvm_msg_send(s, st->v, fd);
		if (fd >= 0)
			close(fd);
	}
	for (;;) {
		r = nvm_msg_recv(s, &v, &fd, 5000);
		if (fd >= 0)
			close(fd);
		if (r < 0) {
			f->closed = r == -ECONNRESET;
			break;
		}
		if (f->nb_after < 4)
			f->after[f->nb_after++] = v;
	}
out:
	close(s);
	return NULL;
}

static void
fake_start(struct fake *f, unsigned int nb_hello, const struct step *steps, unsigned int n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s/core.sock", dir);
	unlink(f->path);
	strcpy(sa.sun_path, f->path);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->listen_fd >= 0);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->listen_fd, 1), 0);
	f->nb_hello = nb_hello;
	f->steps = steps;
	f->nb_steps = n;
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void
fake_join(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	unlink(f->path);
}

static const struct step answer_ok[] = {
	{ 0, NONE }, { NF_ID, NONE }, { -1, PRIV }, { NVM_MSG_POOL, POOL }, { NF_ID, BELL },
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A plain NF: its hello, the regions and sizes; closing sends nothing. */
static void
test_nf_ok(void **state)
{
	struct nvm_attach a;
	struct fake f;
	char err[256];
	unsigned int before = open_fds();

	(void)state;
	fake_start(&f, 4, answer_ok, N(answer_ok));
	assert_int_equal(nvm_attach_nf(&a, f.path, 3, 2, TIMEOUT_MS, err, sizeof(err)), 0);
	assert_int_equal(a.nf_id, NF_ID);
	assert_int_equal(a.priv_size, PRIV_SIZE);
	assert_int_equal(a.pool_size, POOL_SIZE);
	assert_int_equal(a.token, 0);
	assert_true(a.priv_fd >= 0 && a.pool_fd >= 0 && a.doorbell_fd >= 0 && a.sock >= 0);
	nvm_attach_close(&a);
	fake_join(&f);
	assert_int_equal(f.hello[0], (int64_t)NVM_HELLO_MAGIC);
	assert_int_equal(f.hello[1], NVM_ABI_VERSION);
	assert_int_equal(f.hello[2], 3);
	assert_int_equal(f.hello[3], 2);
	assert_true(f.closed);
	assert_int_equal(f.nb_after, 0);
	assert_int_equal(open_fds(), before);
}

/* A lease: a non-zero token, the same in the hello and in @a; closing ends
 * it with NVM_MSG_DETACH. */
static void
test_lease_ok(void **state)
{
	struct nvm_attach a;
	struct fake f;
	char err[256];
	unsigned int before = open_fds();
	uint64_t token;

	(void)state;
	fake_start(&f, 5, answer_ok, N(answer_ok));
	assert_int_equal(nvm_attach_lease(&a, f.path, 4, 1, TIMEOUT_MS, err, sizeof(err)), 0);
	token = a.token;
	assert_true(token != 0);
	nvm_attach_close(&a);
	fake_join(&f);
	assert_int_equal(f.hello[0], (int64_t)NVM_LEASE_MAGIC);
	assert_int_equal(f.hello[2], 4);
	assert_int_equal(f.hello[3], 1);
	assert_int_equal((uint64_t)f.hello[4], token);
	assert_int_equal(f.nb_after, 1);
	assert_int_equal(f.after[0], NVM_MSG_DETACH);
	assert_true(f.closed);
	assert_int_equal(open_fds(), before);
}

/* A refusal (with a stray descriptor on its code): the core's errno and
 * a message saying what it means; a refused lease was never granted, so no NVM_MSG_DETACH. */
static void
test_refused(void **state)
{
	static const struct step refuse[] = { { NVM_MSG_ERROR, NONE }, { -ENOSPC, BELL } };
	struct nvm_attach a;
	struct fake f;
	char err[256];
	unsigned int before = open_fds();

	(void)state;
	fake_start(&f, 5, refuse, N(refuse));
	assert_int_equal(nvm_attach_lease(&a, f.path, 1, 1, TIMEOUT_MS, err, sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, strerror(ENOSPC)));
	/* what the errno means here, as docs/abi.md §3 says it */
	assert_non_null(strstr(err, "64 NFs, or 16 NFs of this role, are attached"));
	assert_int_equal(a.sock, -1);
	fake_join(&f);
	assert_int_equal(f.nb_after, 0);
	assert_true(f.closed);
	assert_int_equal(open_fds(), before);
}

/* Answers that break off after the core granted the lease: a region
 * without its descriptor, a message cut short and then silence (within the
 * time-out, not forever: -EPROTO), a doorbell for another id. Each lease is ended
 * with NVM_MSG_DETACH; a plain NF's connection just closes. */
static void
test_midway_failure_ends_lease(void **state)
{
	static const struct step no_fd[] = { { 0, NONE }, { NF_ID, NONE }, { -1, NONE } };
	static const struct step cut[] = { { 0, NONE }, { NF_ID, NONE }, { 0, PARTIAL } };
	static const struct step bell[] = {
		{ 0, NONE }, { NF_ID, NONE }, { -1, PRIV }, { NVM_MSG_POOL, POOL },
		{ NF_ID + 1, BELL },
	};
	static const struct { const struct step *s; unsigned int n; int r; } cases[] = {
		{ no_fd, N(no_fd), -EPROTO }, { cut, N(cut), -EPROTO }, { bell, N(bell), -EPROTO },
	};
	struct nvm_attach a;
	struct fake f;
	char err[256];
	unsigned int i, before = open_fds();

	(void)state;
	alarm(GUARD_S);
	for (i = 0; i < N(cases); i++) {
		fake_start(&f, 5, cases[i].s, cases[i].n);
		assert_int_equal(nvm_attach_lease(&a, f.path, 1, 1, TIMEOUT_MS, err, sizeof(err)),
				 cases[i].r);
		assert_int_equal(a.sock, -1);
		fake_join(&f);
		assert_int_equal(f.nb_after, 1);
		assert_int_equal(f.after[0], NVM_MSG_DETACH);
		assert_true(f.closed);
		assert_int_equal(open_fds(), before);

		fake_start(&f, 4, cases[i].s, cases[i].n);
		assert_int_equal(nvm_attach_nf(&a, f.path, 1, 1, TIMEOUT_MS, err, sizeof(err)),
				 cases[i].r);
		fake_join(&f);
		assert_int_equal(f.nb_after, 0);
		assert_true(f.closed);
		assert_int_equal(open_fds(), before);
	}
	alarm(0);
}

/* An adoption: its hello; one the core answers for another instance is
 * given back (NVM_MSG_DETACH), as is one that breaks off. */
static void
test_adopt(void **state)
{
	static const struct step other[] = {
		{ 0, NONE }, { NF_ID + 1, NONE }, { -1, PRIV }, { NVM_MSG_POOL, POOL },
		{ NF_ID + 1, BELL },
	};
	struct nvm_attach a;
	struct fake f;
	char err[256];
	unsigned int before = open_fds();

	(void)state;
	fake_start(&f, 4, answer_ok, N(answer_ok));
	assert_int_equal(nvm_attach_adopt(&a, f.path, NF_ID, 0x1234, TIMEOUT_MS, err,
					  sizeof(err)), 0);
	assert_int_equal(a.token, 0x1234);
	nvm_attach_drop(&a); /* the lease stays, orphaned */
	fake_join(&f);
	assert_int_equal(f.hello[0], (int64_t)NVM_ADOPT_MAGIC);
	assert_int_equal(f.hello[2], NF_ID);
	assert_int_equal(f.hello[3], 0x1234);
	assert_int_equal(f.nb_after, 0);

	fake_start(&f, 4, other, N(other));
	assert_int_equal(nvm_attach_adopt(&a, f.path, NF_ID, 0x1234, TIMEOUT_MS, err,
					  sizeof(err)), -EPROTO);
	fake_join(&f);
	assert_int_equal(f.nb_after, 1);
	assert_int_equal(f.after[0], NVM_MSG_DETACH);
	assert_int_equal(open_fds(), before);
}

/* No core at the path: -ENOENT, a message naming it, nothing open. */
static void
test_no_core(void **state)
{
	struct nvm_attach a;
	char err[256], path[128];
	unsigned int before = open_fds();

	(void)state;
	snprintf(path, sizeof(path), "%s/none.sock", dir);
	assert_int_equal(nvm_attach_nf(&a, path, 1, 1, TIMEOUT_MS, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_int_equal(open_fds(), before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nf_ok),
		cmocka_unit_test(test_lease_ok),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_midway_failure_ends_lease),
		cmocka_unit_test(test_adopt),
		cmocka_unit_test(test_no_core),
	};
	int r;

	if (mkdtemp(dir) == NULL)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return r;
}
