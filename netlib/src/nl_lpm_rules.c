/* SPDX-License-Identifier: BSD-3-Clause */
/* nl_lpm_rules.c — the prefix set and table memory of nl_lpm and nl_lpm6 (see the header). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "nl_lpm_rules.h"

#define HUGE_PAGE (2u << 20)

/* FNV-1a over the prefix and its length, then murmur3's finaliser. */
static uint32_t
rule_hash(const uint8_t *prefix, uint8_t klen, uint8_t depth)
{
	uint32_t h = 2166136261u ^ depth;
	uint8_t i;

	for (i = 0; i < klen; i++)
		h = (h ^ prefix[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t
home_of(const struct lpm_rules *s, const struct lpm_rule *r, uint32_t mask)
{
	return rule_hash(r->prefix, s->klen, r->depth) & mask;
}

int
lpm_rules_init(struct lpm_rules *s, uint8_t klen)
{
	s->klen = klen;
	s->stride = (uint16_t)(LPM_RULE_HDR + klen);
	s->mask = LPM_RULES_MIN - 1;
	s->count = 0;
	s->slots = calloc(LPM_RULES_MIN, s->stride);
	return s->slots == NULL ? -ENOMEM : 0;
}

void
lpm_rules_fini(struct lpm_rules *s)
{
	free(s->slots);
	s->slots = NULL;
}

uint32_t
lpm_rules_find(const struct lpm_rules *s, const void *prefix, uint8_t depth)
{
	uint32_t i = rule_hash(prefix, s->klen, depth) & s->mask;

	for (;; i = (i + 1) & s->mask) {
		const struct lpm_rule *r = lpm_rules_at(s, i);

		if (!r->used)
			return LPM_RULE_NONE;
		if (r->depth == depth && memcmp(r->prefix, prefix, s->klen) == 0)
			return i;
	}
}

/* Copy rule @r into the first free slot from its home in @slots (@mask + 1 slots). */
static void
rule_place(const struct lpm_rules *s, uint8_t *slots, uint32_t mask, const struct lpm_rule *r)
{
	uint32_t i = home_of(s, r, mask);

	while (slots[(size_t)i * s->stride] != 0) /* the used byte */
		i = (i + 1) & mask;
	memcpy(slots + (size_t)i * s->stride, r, s->stride);
}

int
lpm_rules_add(struct lpm_rules *s, const void *prefix, uint8_t depth, uint16_t nh)
{
	uint8_t buf[LPM_RULE_HDR + 16];
	struct lpm_rule *r = (struct lpm_rule *)(void *)buf;
	uint32_t size = s->mask + 1, i;

	if ((s->count + 1) * 2 > size) {
		uint8_t *bigger = calloc((size_t)size * 2, s->stride);

		if (bigger == NULL)
			return -ENOMEM;
		for (i = 0; i < size; i++)
			if (lpm_rules_at(s, i)->used)
				rule_place(s, bigger, size * 2 - 1, lpm_rules_at(s, i));
		free(s->slots);
		s->slots = bigger;
		s->mask = size * 2 - 1;
	}
	r->used = 1;
	r->depth = depth;
	r->nh = nh;
	memcpy(r->prefix, prefix, s->klen);
	rule_place(s, s->slots, s->mask, r);
	s->count++;
	return 0;
}

void
lpm_rules_remove(struct lpm_rules *s, uint32_t i)
{
	uint32_t j = i, home;

	for (;;) {
		j = (j + 1) & s->mask;
		if (!lpm_rules_at(s, j)->used)
			break;
		home = home_of(s, lpm_rules_at(s, j), s->mask);
		/* The rule in j may stay if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		memcpy(lpm_rules_at(s, i), lpm_rules_at(s, j), s->stride);
		i = j;
	}
	lpm_rules_at(s, i)->used = 0;
	s->count--;
}

void *
lpm_table_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (size >= HUGE_PAGE)
		(void)madvise(p, size, MADV_HUGEPAGE); /* a hint: fine if refused */
	return p;
}

void
lpm_table_free(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}
