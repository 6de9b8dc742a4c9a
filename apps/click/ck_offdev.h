/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_offdev.h — offline device binding: --from-pcap DEV=FILE feeds a
 * device's FromDevice, --to-pcap DEV=FILE records its ToDevice (ck_offdev.c).
 */
#ifndef CK_OFFDEV_H
#define CK_OFFDEV_H

#include <stdbool.h>
#include <stdio.h>

#include "ck_cli.h"

#define CK_OFFDEV_PORTS 256

struct ck_offdev_in {
	const char *spec;  /* DEV=FILE as given */
	const char *file;
	FILE *f;
	unsigned int port;
	bool swap, nano, more;
	uint32_t ts_sec, ts_usec, len;  /* the next record */
	uint8_t *buf;
};

struct ck_offdev {
	const struct ck_platform *base;
	struct ck_offdev_in in[CK_CLI_MAX];
	unsigned int nin, nout;
	FILE *out[CK_OFFDEV_PORTS];
	const char *out_spec[CK_OFFDEV_PORTS]; /* DEV=FILE as given */
	bool used[CK_OFFDEV_PORTS]; /* a device element of the router names the port */
	uint64_t delivered, written;
};

/* Open the files of @c's --from-pcap/--to-pcap, naming ports through @plat.
 * Returns 0 or a negative errno after a message on @errf (then call
 * ck_offdev_close()). */
int ck_offdev_open(struct ck_offdev *d, const struct ck_cli *c, const struct ck_platform *plat,
		   FILE *errf);
/* The platform to build the router on (records what leaves on written devices). */
struct ck_platform ck_offdev_platform(struct ck_offdev *d);
/* After the router is built on ck_offdev_platform(): 0, or -EINVAL after a
 * message naming a --from-pcap/--to-pcap device no element uses (a typo
 * would feed or record nothing). */
int ck_offdev_check(const struct ck_offdev *d, FILE *errf);
/* Deliver the input packets to @r, in timestamp order, each followed by
 * scheduler rounds. Returns 0 or a negative errno after a message. */
int ck_offdev_run(struct ck_offdev *d, struct ck_router *r, FILE *errf);
/* Close every file; it cannot fail. */
void ck_offdev_close(struct ck_offdev *d);

#endif /* CK_OFFDEV_H */
