/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rules.c — the classification state the datapath reads, and changing it
 * while packets flow.
 *
 * The RX side classifies with c->rules, an immutable snapshot: the rte_acl
 * classifier of the rules in force and, per chain of the configuration,
 * its slot in c->chain_tab. A change builds a whole new snapshot beside the
 * old one (a new rte_acl context, uniquely named), publishes it with one
 * atomic store, waits for a QSBR grace period (every lcore has passed a
 * quiescent point, so none still holds the old pointer) and frees the old
 * one. An lcore classifies a burst with one snapshot, never half of each.
 *
 * Packets in flight: a packet carries its chain as a slot of c->chain_tab
 * (meta.chain) and its position in it, and may sit in an NF's ring for a
 * long time, across any number of changes; the TX side then reads the
 * chain's next role from the slot. So the table is append-only: a slot,
 * once written, never changes and is never reused for another sequence,
 * and a packet finishes the chain it was classified into ("chain set"
 * gives the chain's name a new slot; packets already on the old sequence
 * follow it to its end). Slots are deduplicated by role sequence, so
 * changing a chain back and forth costs no new slot; when all
 * CORE_CHAIN_SLOTS distinct sequences have been used since start, a change
 * that needs another is refused (-ENOSPC) until the core restarts.
 * Reference counting the slots instead would need the count updated per
 * packet on the fast path, or the NF rings scanned.
 *
 * Everything here runs in the control thread (or before the lcores start).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "core.h"

/* The slot of role sequence @ch, a new one when no slot holds it yet.
 * Returns the slot or -ENOSPC. */
static int
chain_slot(struct core *c, const struct cfg_chain *ch)
{
	struct core_chain want;
	unsigned int i;

	memset(&want, 0, sizeof(want));
	want.len = ch->len;
	memcpy(want.roles, ch->roles, ch->len * sizeof(want.roles[0]));
	for (i = 0; i < c->nb_slots; i++)
		if (c->chain_tab[i].len == want.len &&
		    memcmp(c->chain_tab[i].roles, want.roles, want.len * sizeof(want.roles[0])) == 0)
			return (int)i;
	if (c->nb_slots == CORE_CHAIN_SLOTS)
		return -ENOSPC;
	/* written before the snapshot naming it is published (release) */
	c->chain_tab[c->nb_slots] = want;
	return (int)c->nb_slots++;
}

static void
rules_free(struct core_rules *r)
{
	if (r == NULL)
		return;
	cls_free(r->cls);
	rte_free(r);
}

/* True when rule @ru constrains nothing but the input port: every frame of
 * that port matches it, whatever its headers. */
static bool
rule_port_only(const struct cfg_rule *ru)
{
	return ru->proto == 0 && ru->family == 0 && ru->src_len == 0 && ru->dst_len == 0 &&
	       ru->sport_lo == 0 && ru->sport_hi == UINT16_MAX && ru->dport_lo == 0 &&
	       ru->dport_hi == UINT16_MAX;
}

/* Fill @r's by_port and port_rule from @cfg's rules (first match wins). */
static void
rules_by_port(struct core_rules *r, const struct cfg *cfg)
{
	unsigned int i, p;

	for (i = 0; i < cfg->nb_rules; i++)
		if (!rule_port_only(&cfg->rules[i]))
			return;
	for (p = 0; p < CFG_MAX_PORTS; p++) {
		r->port_rule[p] = CLS_NO_RULE;
		for (i = 0; i < cfg->nb_rules; i++)
			if (cfg->rules[i].in_port == CFG_ANY_PORT || cfg->rules[i].in_port == p) {
				r->port_rule[p] = i;
				break;
			}
	}
	r->by_port = true;
}

/* Build the snapshot of configuration @cfg. NULL with a message in @err
 * and the reason in *@rc: -ENOMEM, -ENOSPC (no chain slot left), or
 * -EINVAL (the classifier refused the rules); the slots it wrote are then
 * free again (no snapshot named them), so a refused change uses none. */
static struct core_rules *
rules_build(struct core *c, const struct cfg *cfg, int *rc, char *err, size_t errlen)
{
	unsigned int i, nb_slots = c->nb_slots;
	struct core_rules *r;
	int s;

	r = rte_zmalloc_socket("netvm_rules", sizeof(*r) + cfg->nb_chains * sizeof(uint16_t),
			       RTE_CACHE_LINE_SIZE, (int)rte_socket_id());
	if (r == NULL) {
		snprintf(err, errlen, "out of memory for %u chains", cfg->nb_chains);
		*rc = -ENOMEM;
		return NULL;
	}
	r->nb_rules = cfg->nb_rules;
	r->nb_chains = cfg->nb_chains;
	rules_by_port(r, cfg);
	for (i = 0; i < cfg->nb_chains; i++) {
		s = chain_slot(c, &cfg->chains[i]);
		if (s < 0) {
			snprintf(err, errlen, "chain %s: the core has used all %u chain slots "
				 "(distinct role sequences since it started); restart it to "
				 "change chains further", cfg->chains[i].name, CORE_CHAIN_SLOTS);
			rules_free(r);
			c->nb_slots = nb_slots;
			*rc = -ENOSPC;
			return NULL;
		}
		r->slot[i] = (uint16_t)s;
	}
	r->cls = cls_create(cfg, (int)rte_socket_id(), err, errlen);
	if (r->cls == NULL) {
		rules_free(r);
		c->nb_slots = nb_slots;
		*rc = -EINVAL;
		return NULL;
	}
	return r;
}

/* Mark the roles @cfg names: the only ones TO_ROLE may use besides those
 * an attached NF serves (the view's role_known). */
static void
roles_from_cfg(struct core *c, const struct cfg *cfg)
{
	unsigned int i, j;

	memset(c->role_used, 0, sizeof(c->role_used));
	for (i = 0; i < cfg->nb_chains; i++)
		for (j = 0; j < cfg->chains[i].len; j++)
			c->role_used[cfg->chains[i].roles[j]] = 1;
	for (i = 0; i < CFG_MAX_ROLES; i++)
		if (cfg->role_names[i][0] != '\0')
			c->role_used[i] = 1;
}

/*
 * Set up the chain table and the first snapshot from c->cfg, before the
 * lcores start. Returns 0, or -ENOMEM / -ENOSPC / an rte_acl error with a
 * message in @err.
 */
int
core_rules_init(struct core *c, char *err, size_t errlen)
{
	int rc;

	c->chain_tab = rte_zmalloc_socket("netvm_chains", CORE_CHAIN_SLOTS * sizeof(*c->chain_tab),
					  RTE_CACHE_LINE_SIZE, (int)rte_socket_id());
	if (c->chain_tab == NULL) {
		snprintf(err, errlen, "out of memory for the chain table");
		return -ENOMEM;
	}
	c->rules = rules_build(c, &c->cfg, &rc, err, errlen);
	if (c->rules == NULL)
		return rc;
	roles_from_cfg(c, &c->cfg);
	return 0;
}

/*
 * Put configuration @next (checked by cfg.c) in force in the running
 * datapath: build its snapshot, publish it, wait for the grace period, free
 * the old one; c->cfg then holds @next's rules, chains, default and role
 * names, and @next is left empty. Returns 0, or a negative errno (-ENOSPC:
 * no chain slot left for a new role sequence; -ENOMEM; -EINVAL: the
 * classifier refused) with the reason in @err and nothing changed (@next
 * is left to the caller).
 */
int
core_rules_apply(struct core *c, struct cfg *next, char *err, size_t errlen)
{
	struct core_rules *r, *old;
	int rc;

	r = rules_build(c, next, &rc, err, errlen);
	if (r == NULL)
		return rc;
	old = __atomic_exchange_n(&c->rules, r, __ATOMIC_ACQ_REL);
	rte_rcu_qsbr_synchronize(c->qsbr, RTE_QSBR_THRID_INVALID);
	rules_free(old);
	cfg_take(&c->cfg, next);
	roles_from_cfg(c, &c->cfg);
	/* TO_ROLE checks the roles of the new configuration; on -ENOMEM the
	 * old set stays until the next view is published */
	core_view_publish(c);
	return 0;
}

/* Free the snapshot and the chain table (the lcores are stopped); cannot fail. */
void
core_rules_free(struct core *c)
{
	rules_free(c->rules);
	c->rules = NULL;
	rte_free(c->chain_tab);
	c->chain_tab = NULL;
}
