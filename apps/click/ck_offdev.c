/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_offdev.c — offline device binding (docs/click.md, "Running it"): with
 * `--from-pcap DEV=FILE` the packets of FILE arrive on device DEV
 * (FromDevice/PollDevice(DEV)) as they would from the core engine, and with
 * `--to-pcap DEV=FILE` what ToDevice(DEV) sends is written to FILE, so a
 * configuration written for real interfaces runs unmodified over traces.
 *
 * Input files are pcap (either byte order, micro- or nanosecond
 * timestamps, Ethernet link type); their packets are delivered in timestamp
 * order across files (a tie: the file named first), one at a time, each
 * followed by scheduler rounds until nothing runs, so a packet's effects
 * (a Queue's ToDevice, an ARP query) are out before the next one comes in.
 * Output files are microsecond pcap in host byte order, Ethernet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ck_offdev.h"

#define OFFDEV_SNAP 65535
#define OFFDEV_ROUNDS 100000 /* scheduler rounds after one packet, at most */

static uint32_t
rd32(const uint8_t *b, bool swap)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* Split "DEV=FILE" at its last '=' (a device name may hold ':'). */
static int
split_spec(const char *spec, char **dev, const char **file)
{
	const char *eq = strrchr(spec, '=');

	if (!eq || eq == spec || !eq[1])
		return -EINVAL;
	*dev = strndup(spec, (size_t)(eq - spec));
	*file = eq + 1;
	return *dev ? 0 : -ENOMEM;
}

static int
open_input(struct ck_offdev_in *in, FILE *errf)
{
	uint8_t h[24];
	uint32_t magic;

	in->f = fopen(in->file, "rb");
	if (!in->f) {
		fprintf(errf, "%s: %s\n", in->file, strerror(errno));
		return -errno;
	}
	if (fread(h, 1, 24, in->f) != 24)
		goto bad;
	memcpy(&magic, h, 4);
	in->swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	magic = rd32(h, in->swap);
	if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du)
		goto bad;
	in->nano = magic == 0xa1b23c4du;
	if (rd32(h + 20, in->swap) != 1) {
		fprintf(errf, "%s: link type %u is not Ethernet (1)\n", in->file,
			rd32(h + 20, in->swap));
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(errf, "%s: not a pcap file\n", in->file);
	return -EINVAL;
}

/* Read the next record of @in into in->buf. Returns 1, 0 at the end, or
 * -EINVAL (a truncated or oversized record) after a message. */
static int
read_record(struct ck_offdev_in *in, FILE *errf)
{
	uint8_t h[16];
	size_t got = fread(h, 1, 16, in->f);

	if (got == 0)
		return 0;
	in->ts_sec = rd32(h, in->swap);
	in->ts_usec = rd32(h + 4, in->swap) / (in->nano ? 1000 : 1);
	in->len = rd32(h + 8, in->swap);
	if (got != 16 || in->len > OFFDEV_SNAP || fread(in->buf, 1, in->len, in->f) != in->len) {
		fprintf(errf, "%s: truncated or oversized record\n", in->file);
		return -EINVAL;
	}
	return 1;
}

/* The pcap file header, host byte order, microseconds, Ethernet. */
static void
write_header(FILE *f)
{
	const uint32_t magic = 0xa1b2c3d4u, zone_sigfigs[2] = { 0, 0 };
	const uint32_t snap_link[2] = { OFFDEV_SNAP, 1 };
	const uint16_t version[2] = { 2, 4 };

	fwrite(&magic, 4, 1, f);
	fwrite(version, 2, 2, f);
	fwrite(zone_sigfigs, 4, 2, f);
	fwrite(snap_link, 4, 2, f);
}

/* Parse the options into @d; device names become ports through @plat.
 * Returns 0 or a negative errno after a message on @errf. */
int
ck_offdev_open(struct ck_offdev *d, const struct ck_cli *c, const struct ck_platform *plat,
	       FILE *errf)
{
	int rc = 0;

	memset(d, 0, sizeof(*d));
	d->base = plat;
	for (unsigned int i = 0; i < c->nb_from + c->nb_to && rc == 0; i++) {
		bool in = i < c->nb_from;
		const char *spec = in ? c->from_pcap[i] : c->to_pcap[i - c->nb_from];
		char *dev = NULL;
		const char *file;
		int port;

		if (split_spec(spec, &dev, &file) < 0) {
			fprintf(errf, "netvm-click: expected DEV=FILE, got '%s'\n", spec);
			return -EINVAL;
		}
		port = plat->port ? plat->port(plat->ctx, dev) : -1;
		free(dev);
		if (port < 0 || port >= CK_OFFDEV_PORTS) {
			fprintf(errf, "netvm-click: '%s': no port for the device\n", spec);
			return -EINVAL;
		}
		if (in) {
			struct ck_offdev_in *x = &d->in[d->nin++];

			x->spec = spec;
			x->file = file;
			x->port = (unsigned int)port;
			x->buf = malloc(OFFDEV_SNAP);
			rc = x->buf ? open_input(x, errf) : -ENOMEM;
			if (rc == 0)
				rc = read_record(x, errf);
			x->more = rc == 1;
			rc = rc < 0 ? rc : 0;
		} else if (d->out[port]) {
			fprintf(errf, "netvm-click: '%s': device written twice\n", spec);
			return -EINVAL;
		} else {
			d->out[port] = fopen(file, "wb");
			if (!d->out[port]) {
				fprintf(errf, "%s: %s\n", file, strerror(errno));
				return -errno;
			}
			write_header(d->out[port]);
			d->out_spec[port] = spec;
			d->nout++;
		}
	}
	return rc;
}

/* The platform's finish, wrapped: a packet sent out of a written device is
 * recorded first. */
static void
offdev_finish(void *ctx, struct ck_pkt *p, enum ck_action a, unsigned int arg)
{
	struct ck_offdev *d = ctx;

	if (a == CK_ACT_OUT && arg < CK_OFFDEV_PORTS && d->out[arg]) {
		uint32_t rec[4] = { (uint32_t)p->a.ts_sec, p->a.ts_usec, p->len, p->len };

		fwrite(rec, 4, 4, d->out[arg]);
		fwrite(p->data, 1, p->len, d->out[arg]);
		d->written++;
	}
	d->base->finish(d->base->ctx, p, a, arg);
}

static struct ck_pkt *
offdev_alloc(void *ctx, uint32_t len)
{
	struct ck_offdev *d = ctx;

	return d->base->alloc(d->base->ctx, len);
}

static int
offdev_port(void *ctx, const char *name)
{
	struct ck_offdev *d = ctx;
	int port = d->base->port ? d->base->port(d->base->ctx, name) : -1;

	if (port >= 0 && port < CK_OFFDEV_PORTS)
		d->used[port] = true;
	return port;
}

int
ck_offdev_check(const struct ck_offdev *d, FILE *errf)
{
	int rc = 0;

	for (unsigned int i = 0; i < d->nin; i++)
		if (!d->used[d->in[i].port]) {
			fprintf(errf, "netvm-click: --from-pcap '%s': no device element of the "
				"configuration names that device\n", d->in[i].spec);
			rc = -EINVAL;
		}
	for (unsigned int p = 0; p < CK_OFFDEV_PORTS; p++)
		if (d->out[p] && !d->used[p]) {
			fprintf(errf, "netvm-click: --to-pcap '%s': no device element of the "
				"configuration names that device\n", d->out_spec[p]);
			rc = -EINVAL;
		}
	return rc;
}

static uint64_t
offdev_now(void *ctx)
{
	struct ck_offdev *d = ctx;

	return d->base->now(d->base->ctx);
}

/* The platform to build the router on: @d's base with the output files. */
struct ck_platform
ck_offdev_platform(struct ck_offdev *d)
{
	struct ck_platform p = *d->base;

	p.ctx = d;
	p.alloc = offdev_alloc;
	p.finish = offdev_finish;
	p.port = offdev_port;
	p.now = offdev_now;
	return p;
}

/* Deliver every input packet to @r in timestamp order, running the scheduler
 * after each. Returns 0, or -EINVAL after a message about a bad record. */
int
ck_offdev_run(struct ck_offdev *d, struct ck_router *r, FILE *errf)
{
	for (;;) {
		struct ck_offdev_in *in = NULL;
		struct ck_pkt *p;
		int rc;

		for (unsigned int i = 0; i < d->nin; i++) {
			struct ck_offdev_in *x = &d->in[i];

			if (x->more && (!in || x->ts_sec < in->ts_sec ||
					(x->ts_sec == in->ts_sec && x->ts_usec < in->ts_usec)))
				in = x;
		}
		if (!in || ck_router_stopped(r))
			return 0;
		p = d->base->alloc(d->base->ctx, in->len);
		if (!p) {
			fprintf(errf, "netvm-click: out of memory\n");
			return -ENOMEM;
		}
		memcpy(p->data, in->buf, in->len);
		p->a.ts_sec = in->ts_sec;
		p->a.ts_usec = in->ts_usec;
		p->in_port = (uint8_t)in->port;
		d->delivered++;
		ck_router_input(r, in->port, p);
		for (int k = 0; k < OFFDEV_ROUNDS && ck_router_run_once(r); k++)
			;
		rc = read_record(in, errf);
		if (rc < 0)
			return rc;
		in->more = rc == 1;
	}
}

/* Close every file; it cannot fail. */
void
ck_offdev_close(struct ck_offdev *d)
{
	for (unsigned int i = 0; i < d->nin; i++) {
		if (d->in[i].f)
			fclose(d->in[i].f);
		free(d->in[i].buf);
	}
	for (unsigned int i = 0; i < CK_OFFDEV_PORTS; i++)
		if (d->out[i])
			fclose(d->out[i]);
	memset(d, 0, sizeof(*d));
}
