/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device binding (docs/click.md, "Running it"):
 *   FromDevice(DEVNAME, ...), PollDevice(DEVNAME, ...) — receive from core port
 *     DEVNAME (a number, or a name given by --port NAME=N); offline they emit nothing
 *     (or a --from-pcap file's frames). As Click's, each frame gets the MAC header
 *     annotation and, by its Ethernet destination, the packet type broadcast or
 *     multicast; handler count.
 *   ToDevice(DEVNAME [, BURST]) — pulls up to BURST (default 1; positional or a
 *     keyword, as Click's) packets per task run and sends them out of that
 *     port (action OUT); offline it counts and frees them.
 *   ToHost([DEVNAME]), ToHostSniffers([DEVNAME]) — discard (NetVM has no host
 *     stack port); FromHost emits nothing.
 *   ToRole(ROLE) — hands packets to an instance of role ROLE (TO_ROLE).
 *   ToChain — passes packets to the next NF of the service chain (NEXT).
 * Other userlevel keywords (PROMISC, SNIFFER, METHOD, ...) are accepted and ignored.
 */
#include "ck_elem.h"

struct device {
	int port;
	int64_t burst, role;
	uint64_t count;
	struct ck_notifier *upstream; /* ToDevice: sleeps while it is empty */
};

static int
device_configure(struct ck_element *e)
{
	struct device *d = CK_PRIV(e, struct device);
	char **args;
	int n = ck_args_split(e->config, &args), rc = 0, devi = -1;
	const struct ck_platform *pl = ck_router_platform(e->r);
	const char *dev = NULL;

	if (n < 0)
		return ck_error(e, "out of memory");
	d->burst = 1;
	d->port = -1;
	/* DEVNAME: the first argument, or as Click's a keyword (the last one) */
	for (int i = 0; i < n; i++)
		if (strncmp(args[i], "DEVNAME", 7) == 0 && (args[i][7] == ' ' || args[i][7] == '\t'))
			devi = i, dev = args[i] + 8 + strspn(args[i] + 8, " \t");
	if (devi < 0 && n >= 1 && !strchr(args[0], ' '))
		devi = 0, dev = args[0];
	if (devi < 0) {
		rc = ck_error(e, "missing mandatory DEVNAME argument");
	} else {
		d->port = pl->port ? pl->port(pl->ctx, dev) : -1;
		if (d->port < 0)
			rc = ck_error(e, "device '%s' is no port (give --port %s=N)", dev, dev);
	}
	for (int i = 0; i < n && rc == 0; i++) {
		const char *b = NULL;

		if (i == devi)
			continue;
		if (strncmp(args[i], "BURST ", 6) == 0)
			b = args[i] + 6;
		else if (i == 1 && devi == 0 && strcmp(e->cls->name, "ToDevice") == 0 &&
			 !strchr(args[i], ' '))
			b = args[i]; /* as Click's ToDevice(DEVNAME, BURST) */
		if (b && ck_parse_int(b + strspn(b, " \t"), &d->burst) < 0)
			rc = ck_error(e, "BURST: expected integer");
	}
	ck_args_free(args, n);
	if (rc == 0 && d->burst < 1)
		rc = ck_error(e, "BURST must be positive");
	return rc;
}

static int
fromdevice_initialize(struct ck_element *e)
{
	struct device *d = CK_PRIV(e, struct device);

	if (ck_router_bind_rx(e->r, (unsigned int)d->port, e) < 0)
		return ck_error(e, "port %d is already read by another element", d->port);
	return 0;
}

/* As Click's userlevel FromDevice: the MAC header annotation at the frame's
 * start, and the packet type annotation broadcast or multicast by the
 * Ethernet destination (HOST, 0, otherwise); counted. */
static void
received(struct device *d, struct ck_pkt *p)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	d->count++;
	p->a.mac = p->data;
	if (p->len >= 6 && (p->data[0] & 1))
		p->a.ptype = memcmp(p->data, bc, 6) == 0 ? CK_PT_BROADCAST : CK_PT_MULTICAST;
}

static void
fromdevice_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	(void)port;
	received(CK_PRIV(e, struct device), p);
	ck_push_out(e, 0, p);
}

/* ck_router_input() hands received batches to the device element here */
static void
fromdevice_push_batch(struct ck_element *e, unsigned int port, struct ck_pkt *head)
{
	(void)port;
	for (struct ck_pkt *p = head; p; p = p->next)
		received(CK_PRIV(e, struct device), p);
	ck_push_out_batch(e, 0, head);
}

static bool
todevice_run(struct ck_element *e)
{
	struct device *d = CK_PRIV(e, struct device);
	bool worked = false;

	for (int64_t i = 0; i < d->burst; i++) {
		struct ck_pkt *p = ck_pull_in(e, 0);

		if (!p)
			break;
		d->count++;
		ck_pkt_finish(e, p, CK_ACT_OUT, (unsigned int)d->port);
		worked = true;
	}
	if (d->upstream && !d->upstream->nonempty)
		ck_task_unschedule(e); /* until the queue has packets again */
	return worked;
}

static int
todevice_initialize(struct ck_element *e)
{
	struct device *d = CK_PRIV(e, struct device);

	if (e->in_kind[0] != CK_PULL) {
		ck_task_unschedule(e);
		return 0;
	}
	d->upstream = ck_pull_listen(e, 0);
	return 0;
}

static void
todevice_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct device *d = CK_PRIV(e, struct device);

	(void)port;
	d->count++;
	ck_pkt_finish(e, p, CK_ACT_OUT, (unsigned int)d->port);
}

static int
noarg_configure(struct ck_element *e)
{
	(void)e;
	return 0;
}

static void
tohost_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	(void)port;
	CK_PRIV(e, struct device)->count++;
	ck_pkt_kill(e, p);
}

static int
torole_configure(struct ck_element *e)
{
	const struct ck_argdesc a[] = {
		{ "ROLE", CK_A_INT, &CK_PRIV(e, struct device)->role, CK_POS | CK_MAND, NULL },
	};

	if (ck_args_parse(e, a, 1) < 0)
		return -EINVAL;
	if (CK_PRIV(e, struct device)->role < 0 || CK_PRIV(e, struct device)->role > 65535)
		return ck_error(e, "ROLE must be 0..65535");
	return 0;
}

static void
torole_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	struct device *d = CK_PRIV(e, struct device);

	(void)port;
	d->count++;
	ck_pkt_finish(e, p, CK_ACT_TO_ROLE, (unsigned int)d->role);
}

static void
tochain_push(struct ck_element *e, unsigned int port, struct ck_pkt *p)
{
	(void)port;
	CK_PRIV(e, struct device)->count++;
	ck_pkt_finish(e, p, CK_ACT_NEXT, 0);
}

static const struct ck_handler device_handlers[] = {
	{ "count", CK_H_READ, ck_h_read_u64, NULL, offsetof(struct device, count), NULL },
	{ NULL, 0, NULL, NULL, 0, NULL },
};

#define DEVCLASS(n, p, pr, ...) \
	const struct ck_element_class ck_class_##n = { .name = #n, .ports = p, .processing = pr, \
		.priv_size = sizeof(struct device), .handlers = device_handlers, __VA_ARGS__ }

DEVCLASS(FromDevice, "0/1-2", "h/h", .configure = device_configure,
	 .initialize = fromdevice_initialize, .push = fromdevice_push,
	 .push_batch = fromdevice_push_batch);
DEVCLASS(PollDevice, "0/1", "h/h", .configure = device_configure,
	 .initialize = fromdevice_initialize, .push = fromdevice_push,
	 .push_batch = fromdevice_push_batch);
DEVCLASS(ToDevice, "1/0-2", "l/h", .configure = device_configure,
	 .initialize = todevice_initialize, .push = todevice_push, .run_task = todevice_run);
DEVCLASS(ToHost, "1/0", "h/h", .configure = noarg_configure, .push = tohost_push);
DEVCLASS(ToHostSniffers, "1/0", "h/h", .configure = noarg_configure, .push = tohost_push);
DEVCLASS(FromHost, "0/1", "h/h", .configure = noarg_configure);
DEVCLASS(ToRole, "1/0", "h/h", .configure = torole_configure, .push = torole_push);
DEVCLASS(ToChain, "1/0", "h/h", .push = tochain_push);
