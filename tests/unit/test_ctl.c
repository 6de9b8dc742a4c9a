/* SPDX-License-Identifier: BSD-3-Clause */
/* The control channel's byte pipes (nvm_pipe.h) and messages (nvm_ctl.h):
 * wrap-around, a message many times the pipe's size moved a piece at a
 * time, two messages back to back, and a peer that lies: an impossible
 * index, a bad magic, a length over the limit, a message announced long and
 * never written. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nvm_ctl.h"

struct pipe_pair {
	struct nvm_pipe *p;
	struct nvm_pipe_end w, r;
};

static struct pipe_pair *
pair_new(uint32_t size)
{
	struct pipe_pair *pp = calloc(1, sizeof(*pp));

	assert_non_null(pp);
	assert_int_equal(posix_memalign((void **)&pp->p, 64, NVM_PIPE_BYTES(size)), 0);
	nvm_pipe_init(pp->p, size);
	nvm_pipe_attach(&pp->w, pp->p, size, 0);
	nvm_pipe_attach(&pp->r, pp->p, size, 0);
	return pp;
}

static void
pair_free(struct pipe_pair *pp)
{
	free(pp->p);
	free(pp);
}

static void
test_bytes_wrap(void **state)
{
	struct pipe_pair *pp = pair_new(16);
	uint8_t in[40], out[40];
	unsigned int i, round;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 13 + 1);
	assert_int_equal(nvm_pipe_read(&pp->r, out, 4), 0);     /* empty */
	assert_int_equal(nvm_pipe_write(&pp->w, in, 40), 16);   /* only 16 fit */
	assert_int_equal(nvm_pipe_write(&pp->w, in, 1), 0);     /* full */
	assert_int_equal(nvm_pipe_read(&pp->r, out, 40), 16);
	assert_memory_equal(out, in, 16);
	/* odd sizes so that every write and read crosses the end sooner or later */
	for (round = 0; round < 200; round++) {
		uint32_t n = 1 + round % 11;

		assert_int_equal(nvm_pipe_write(&pp->w, in + round % 7, n), n);
		assert_int_equal(nvm_pipe_avail(&pp->r), n);
		assert_int_equal(nvm_pipe_read(&pp->r, out, 40), n);
		assert_memory_equal(out, in + round % 7, n);
	}
	/* the free-running indexes wrap past 2^32 too */
	pp->p->prod = pp->p->cons = pp->w.pos = pp->r.pos = UINT32_MAX - 5;
	assert_int_equal(nvm_pipe_write(&pp->w, in, 12), 12);
	assert_int_equal(nvm_pipe_read(&pp->r, out, 12), 12);
	assert_memory_equal(out, in, 12);
	pair_free(pp);
}

static void
test_impossible_index(void **state)
{
	struct pipe_pair *pp = pair_new(16);
	uint8_t buf[8] = { 0 };

	(void)state;
	pp->p->prod = 17; /* more than the pipe holds */
	assert_int_equal(nvm_pipe_read(&pp->r, buf, 8), -1);
	assert_int_equal(nvm_pipe_avail(&pp->r), -1);
	assert_int_equal(pp->r.pos, 0); /* nothing moved */
	pp->p->prod = 0;
	pp->p->cons = 5; /* the reader claims bytes never written */
	assert_int_equal(nvm_pipe_write(&pp->w, buf, 8), -1);
	assert_int_equal(pp->w.pos, 0);
	pair_free(pp);
}

/* Move message @text through a pipe of @size bytes, sender and receiver
 * taking turns, and check what arrives. */
static void
roundtrip(uint32_t size, const char *text, uint32_t len, uint32_t seq, int32_t status)
{
	struct pipe_pair *pp = pair_new(size);
	struct nvm_ctl_msg out = { 0 }, in = { 0 };
	int s = 0, r = 0, rounds = 0;

	nvm_ctl_send_start(&out, seq, status, text, len);
	while (r != 1) {
		if (s != 1)
			s = nvm_ctl_send(&pp->w, &out);
		assert_true(s >= 0);
		r = nvm_ctl_recv(&pp->r, &in);
		assert_true(r >= 0);
		assert_true(++rounds < 1000000);
	}
	assert_int_equal(s, 1);
	assert_false(out.active);
	assert_int_equal(in.hdr.seq, seq);
	assert_int_equal(in.hdr.status, status);
	assert_int_equal(in.hdr.len, len);
	assert_memory_equal(in.text, text, len);
	assert_int_equal(in.text[len], '\0');
	nvm_ctl_recv_reset(&in);
	pair_free(pp);
}

static void
test_messages(void **state)
{
	uint32_t len = 1u << 20, i;
	char *big = malloc(len);

	(void)state;
	assert_non_null(big);
	for (i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	roundtrip(64, "help\n", 5, 1, 0);
	roundtrip(64, "", 0, 2, -22);                 /* an empty answer */
	roundtrip(64, big, 1000, 3, 0);               /* ~16 pipes' worth */
	roundtrip(4096, big, len, 0xffffffffu, -5);   /* 1 MiB through 4 KiB */
	free(big);
}

static void
test_back_to_back(void **state)
{
	struct pipe_pair *pp = pair_new(256);
	struct nvm_ctl_msg a = { 0 }, in = { 0 };

	(void)state;
	nvm_ctl_send_start(&a, 7, 0, "first", 5);
	assert_int_equal(nvm_ctl_send(&pp->w, &a), 1);
	nvm_ctl_send_start(&a, 8, -2, "second one", 10);
	assert_int_equal(nvm_ctl_send(&pp->w, &a), 1);
	assert_int_equal(nvm_ctl_recv(&pp->r, &in), 1);
	assert_int_equal(in.hdr.seq, 7);
	assert_string_equal(in.text, "first");
	nvm_ctl_recv_reset(&in);
	assert_int_equal(nvm_ctl_recv(&pp->r, &in), 1);
	assert_int_equal(in.hdr.seq, 8);
	assert_int_equal(in.hdr.status, -2);
	assert_string_equal(in.text, "second one");
	nvm_ctl_recv_reset(&in);
	assert_int_equal(nvm_ctl_recv(&pp->r, &in), 0); /* nothing more */
	nvm_ctl_recv_reset(&in);
	pair_free(pp);
}

static void
test_bad_frames(void **state)
{
	struct pipe_pair *pp = pair_new(256);
	struct nvm_ctl_hdr h = { .magic = 0x12345678u, .seq = 1, .len = 4 };
	struct nvm_ctl_msg in = { 0 };

	(void)state;
	assert_int_equal(nvm_pipe_write(&pp->w, &h, sizeof(h)), sizeof(h));
	assert_int_equal(nvm_ctl_recv(&pp->r, &in), -EPROTO);
	nvm_ctl_recv_reset(&in);
	pair_free(pp);

	pp = pair_new(256);
	h.magic = NVM_CTL_MAGIC;
	h.len = NVM_CTL_MAX_LEN + 1;
	assert_int_equal(nvm_pipe_write(&pp->w, &h, sizeof(h)), sizeof(h));
	assert_int_equal(nvm_ctl_recv(&pp->r, &in), -EPROTO);
	nvm_ctl_recv_reset(&in);
	pair_free(pp);

	/* announced at the limit, 3 bytes written: waits, holding only what came */
	pp = pair_new(256);
	h.len = NVM_CTL_MAX_LEN;
	assert_int_equal(nvm_pipe_write(&pp->w, &h, sizeof(h)), sizeof(h));
	assert_int_equal(nvm_pipe_write(&pp->w, "abc", 3), 3);
	assert_int_equal(nvm_ctl_recv(&pp->r, &in), 0);
	assert_true(in.cap <= 4096);
	assert_int_equal(in.done, sizeof(h) + 3);
	nvm_ctl_recv_reset(&in);

	/* a header cut in two is fine: the rest comes later */
	nvm_pipe_attach(&pp->w, pp->p, 256, pp->p->prod);
	nvm_pipe_attach(&pp->r, pp->p, 256, pp->p->prod);
	h.len = 2;
	assert_int_equal(nvm_pipe_write(&pp->w, &h, 10), 10);
	assert_int_equal(nvm_ctl_recv(&pp->r, &in), 0);
	assert_int_equal(nvm_pipe_write(&pp->w, (const uint8_t *)&h + 10, 6), 6);
	assert_int_equal(nvm_pipe_write(&pp->w, "ok", 2), 2);
	assert_int_equal(nvm_ctl_recv(&pp->r, &in), 1);
	assert_string_equal(in.text, "ok");
	nvm_ctl_recv_reset(&in);

	/* an impossible index in the middle of a message */
	h.len = 100;
	assert_int_equal(nvm_pipe_write(&pp->w, &h, sizeof(h)), sizeof(h));
	pp->p->prod = pp->r.pos + 1000;
	assert_int_equal(nvm_ctl_recv(&pp->r, &in), -EPIPE);
	nvm_ctl_recv_reset(&in);
	pair_free(pp);
}

/* Writer and reader in two threads, 2000 messages of varied sizes. */
struct threaded {
	struct pipe_pair *pp;
	char *text;
};

static void *
writer(void *arg)
{
	struct threaded *t = arg;
	struct nvm_ctl_msg out = { 0 };
	uint32_t i;

	for (i = 0; i < 2000; i++) {
		nvm_ctl_send_start(&out, i, -(int32_t)(i % 100), t->text + i % 50, (i * 37) % 3000);
		while (nvm_ctl_send(&t->pp->w, &out) == 0)
			;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct threaded t = { .pp = pair_new(512), .text = malloc(4096) };
	struct nvm_ctl_msg in = { 0 };
	pthread_t th;
	uint32_t i;

	(void)state;
	for (i = 0; i < 4096; i++)
		t.text[i] = (char)(' ' + i % 90);
	assert_int_equal(pthread_create(&th, NULL, writer, &t), 0);
	for (i = 0; i < 2000; i++) {
		int r;

		while ((r = nvm_ctl_recv(&t.pp->r, &in)) == 0)
			;
		assert_int_equal(r, 1);
		assert_int_equal(in.hdr.seq, i);
		assert_int_equal(in.hdr.status, -(int32_t)(i % 100));
		assert_int_equal(in.hdr.len, (i * 37) % 3000);
		assert_memory_equal(in.text, t.text + i % 50, in.hdr.len);
		nvm_ctl_recv_reset(&in);
	}
	pthread_join(th, NULL);
	free(t.text);
	pair_free(t.pp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_wrap),
		cmocka_unit_test(test_impossible_index),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_back_to_back),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
