/* SPDX-License-Identifier: BSD-3-Clause */
/* Idle — never emits a packet; kills whatever is pushed into it. */
#include "ck_elem.h"

static void
idle_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	(void)port;
	ck_pkt_kill(e, p);
}

static struct ck_pkt *
idle_pull(struct ck_element *e, unsigned int port)
{
	(void)e, (void)port;
	return NULL;
}

const struct ck_element_class ck_class_Idle = {
	.name = "Idle",
	.ports = "-/-",
	.processing = "a/a",
	.push = idle_push,
	.pull = idle_pull,
};
