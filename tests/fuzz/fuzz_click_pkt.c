/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_click_pkt.c — frames of any content through Click's standard
 * configurations (tests/click/conf: the NAT gateways, the IP routers
 * make-ip-conf writes, the interior-router filter, print-pings, udpcount)
 * and one configuration of the elements those leave out, run by the
 * netvm-click runtime on a platform of the target's own.
 *
 * Input: byte 0 picks the configuration; then records of a port byte, a
 * 16-bit big-endian length and that many bytes of frame (a record cut short
 * by the input's end is a frame cut short). Each frame enters the router as
 * a frame received on that port (ck_router_input, as the NF's callback
 * hands them over), with a few scheduler rounds after it (queues drained
 * towards ToDevice, as the NF's loop does). The port byte also moves the
 * platform's clock on, so timers run and mappings expire.
 *
 * Properties: no element reads or writes outside a packet's buffer (a
 * received frame's buffer ends where the frame does, so the sanitizers see
 * the first byte past it); every packet the platform handed out is given
 * back exactly once (none leaked, none finished twice) by the time the
 * router is freed; every packet leaving the graph has its window inside
 * its buffer and an action a NetVM descriptor can carry.
 *
 * FUZZ_VERBOSE set in the environment: a configuration's errors on stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_graph.h"
#include "ck_rt.h"
#include "fuzz.h"

#define HEADROOM 128u  /* what a pool buffer has in front of a received frame */
#define ALLOC_TAIL 64u /* tailroom of a packet an element asks for */
#define MAX_PORTS 8    /* device names a configuration may use */
#define MAX_FRAMES 32
#define ROUNDS 8       /* scheduler rounds after each frame */

static const char *const confs[] = {
	"mazu-nat.click",
	"thomer-nat.click",
	"print-pings.click",
	"udpcount.click",
	"derived/ipfilter-interior-router.click",
	"generated/make-ip-conf.default.click",
	"generated/make-ip-conf.4if.click",
	"generated/make-ip-conf.userlevel-pings.click",
};

/* The elements the standard configurations leave out, on frames of port 0
 * (Ethernet) and port 1 (IP without a link header). */
static const char extra[] =
	"AddressInfo(me 10.0.0.1 02:00:00:00:00:01);\n"
	"out :: Queue(64) -> ToDevice(2);\n"
	"out2 :: EtherEncap(0x0800, me, 02:00:00:00:00:02) -> out;\n"
	"rt :: StaticIPLookup(10.0.0.0/8 0, 0.0.0.0/0 10.0.0.254 1);\n"
	"rw :: IPRewriter(pattern 10.0.0.1 1024-2047 - - 0 1, pass 1);\n"
	"ip :: CheckIPHeader(VERBOSE true, DETAILS true);\n"
	"FromDevice(0) -> c :: Classifier(12/0800, 12/0806, 12/86dd, -);\n"
	"c[1] -> ARPResponder(me) -> out;\n"
	"c[2] -> Print(v6, 96, TIMESTAMP true) -> Discard;\n"
	"c[3] -> HostEtherFilter(me, DROP_OWN false) -> Discard;\n"
	"c[0] -> Strip(14) -> ip;\n"
	"FromDevice(1) -> MarkIPHeader -> ip;\n"
	"ip -> IPPrint(in, CONTENTS hex, TTL true, TOS true, LENGTH true, ID true, PAINT true,\n"
	"              TIMESTAMP true, SWAP true)\n"
	"  -> ToIPSummaryDump(/dev/null, CONTENTS timestamp ip_src ip_dst sport dport proto\n"
	"                     ip_len ip_id ip_ttl ip_tos ip_frag ip_fragoff tcp_seq tcp_ack\n"
	"                     tcp_flags tcp_window tcp_opt ip_opt payload_len payload)\n"
	"  -> k :: IPClassifier(icmp type echo, tcp, udp, icmp, -);\n"
	"k[0] -> ICMPPingResponder -> CheckICMPHeader(VERBOSE true) -> IPMirror\n"
	"  -> SetIPChecksum -> rt;\n"
	"k[1] -> CheckTCPHeader(VERBOSE true) -> SetTCPChecksum -> rw;\n"
	"k[2] -> CheckUDPHeader(VERBOSE true) -> SetUDPChecksum -> [1]rw;\n"
	"k[3] -> CheckICMPHeader(VERBOSE true) -> irw :: ICMPRewriter(rw);\n"
	"irw[0] -> rt;\n"
	"irw[1] -> Discard;\n"
	"k[4] -> IPReassembler -> rt;\n"
	"rw[0] -> rt;\n"
	"rw[1] -> StripIPHeader -> UnstripIPHeader -> rt;\n"
	"rt[0] -> DropBroadcasts -> gw :: IPGWOptions(10.0.0.1) -> FixIPSrc(10.0.0.1)\n"
	"  -> ttl :: DecIPTTL -> frag :: IPFragmenter(68, HONOR_DF true) -> out2;\n"
	"rt[1] -> SetIPDSCP(10) -> MarkIPCE -> StoreIPAddress(1.2.3.4, 12) -> out2;\n"
	"gw[1] -> ICMPError(me, parameterproblem) -> rt;\n"
	"ttl[1] -> ICMPError(me, timeexceeded) -> rt;\n"
	"frag[1] -> ICMPError(me, unreachable, needfrag) -> rt;\n";

static struct ck_graph *graphs[sizeof(confs) / sizeof(confs[0]) + 1];
static unsigned int nb_graphs;

/* One run's platform state. */
struct plat {
	long live;                        /* packets handed out, not yet given back */
	char *names[MAX_PORTS];           /* device names, port i = names[i] */
	unsigned int nb_names;
	uint64_t now;
};

/* Make @p, allocated with @size bytes of buffer after it, a packet of @len
 * bytes @headroom bytes into that buffer. */
static void
own(struct ck_pkt *p, size_t size, uint32_t headroom, uint32_t len)
{
	memset(p, 0, sizeof(*p));
	p->head = (uint8_t *)(p + 1);
	p->end = p->head + size;
	p->data = p->head + headroom;
	p->len = len;
	p->kind = CK_PK_HEAP;
}

static struct ck_pkt *
pl_alloc(void *ctx, uint32_t len)
{
	struct plat *pl = ctx;
	size_t size = HEADROOM + (size_t)len + ALLOC_TAIL;
	struct ck_pkt *p = malloc(sizeof(*p) + size);

	if (p == NULL)
		return NULL;
	own(p, size, HEADROOM, len);
	pl->live++;
	return p;
}

static void
pl_finish(void *ctx, struct ck_pkt *p, enum ck_action a, unsigned int arg)
{
	struct plat *pl = ctx;

	FUZZ_CHECK(p->data >= p->head && p->data <= p->end &&
		   p->len <= (size_t)(p->end - p->data), "a packet left with its window outside");
	FUZZ_CHECK(a == CK_ACT_DROP || a == CK_ACT_NEXT ||
		   (a == CK_ACT_OUT && arg < 256) || (a == CK_ACT_TO_ROLE && arg < 256),
		   "action %d argument %u", (int)a, arg);
	FUZZ_CHECK(pl->live > 0, "a packet given back twice, or never handed out");
	pl->live--;
	free(p);
}

/* Device NAME is port N: the names of a configuration, in the order its
 * elements ask, are ports 0, 1, ... */
static int
pl_port(void *ctx, const char *name)
{
	struct plat *pl = ctx;
	unsigned int i;

	for (i = 0; i < pl->nb_names; i++)
		if (strcmp(pl->names[i], name) == 0)
			return (int)i;
	if (pl->nb_names == MAX_PORTS || (pl->names[i] = strdup(name)) == NULL)
		return -1;
	return (int)pl->nb_names++;
}

static uint64_t
pl_now(void *ctx)
{
	struct plat *pl = ctx;

	return pl->now;
}

static struct ck_graph *
load(const char *name)
{
	char path[4096];
	FILE *f;
	char *text;
	long n;
	struct ck_graph *g;

	snprintf(path, sizeof(path), "%s/tests/click/conf/%s", NETVM_SOURCE_ROOT, name);
	f = fopen(path, "rb");
	FUZZ_CHECK(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	FUZZ_CHECK(text != NULL && fread(text, 1, (size_t)n, f) == (size_t)n, "cannot read %s", path);
	text[n] = '\0';
	fclose(f);
	g = ck_graph_parse(text, name, NULL, 0, stderr);
	FUZZ_CHECK(g != NULL, "%s does not parse", path);
	free(text);
	return g;
}

static void
setup(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(confs) / sizeof(confs[0]); i++)
		graphs[nb_graphs++] = load(confs[i]);
	graphs[nb_graphs] = ck_graph_parse(extra, "extra", NULL, 0, stderr);
	FUZZ_CHECK(graphs[nb_graphs] != NULL, "the extra configuration does not parse");
	nb_graphs++;
}

/* A received frame: its buffer ends with it. */
static struct ck_pkt *
frame(struct plat *pl, const uint8_t *data, uint32_t len, unsigned int port)
{
	struct ck_pkt *p = malloc(sizeof(*p) + HEADROOM + len);

	FUZZ_CHECK(p != NULL, "out of memory");
	own(p, HEADROOM + (size_t)len, HEADROOM, len);
	memcpy(p->data, data, len);
	p->in_port = (uint8_t)port;
	p->a.ts_sec = (int64_t)(pl->now / 1000000000u);
	p->a.ts_usec = (uint32_t)(pl->now % 1000000000u / 1000u);
	pl->live++;
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plat pl = { .now = 1000000000ull * 1000000000ull }; /* 10^9 s, as --simtime */
	struct ck_platform plat = {
		.name = "fuzz", .ctx = &pl, .alloc = pl_alloc, .finish = pl_finish,
		.port = pl_port, .now = pl_now,
	};
	FILE *devnull;
	struct ck_router *r;
	size_t off = 1;
	unsigned int i, k;

	if (nb_graphs == 0)
		setup();
	if (size < 1)
		return 0;
	devnull = fopen("/dev/null", "w");
	FUZZ_CHECK(devnull != NULL, "cannot open /dev/null");
	r = ck_router_new(graphs[data[0] % nb_graphs], &plat,
			  getenv("FUZZ_VERBOSE") != NULL ? stderr : devnull);
	FUZZ_CHECK(r != NULL, "configuration %u refused", data[0] % nb_graphs);
	ck_router_set_chatter(r, devnull);
	ck_router_set_output(r, devnull);
	for (i = 0; i < MAX_FRAMES && off + 3 <= size; i++) {
		unsigned int port = pl.nb_names ? data[off] % pl.nb_names : 0;
		uint32_t len = (uint32_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off)
			len = (uint32_t)(size - off);
		ck_router_input(r, port, frame(&pl, data + off, len, port));
		/* time passes: a port byte under 128 adds 1..128 ms, one of 128
		 * or more 0..1270 s (mappings and ARP entries expire) */
		pl.now += data[off - 3] < 128 ? 1000000ull * (data[off - 3] + 1u) :
			  10000000000ull * (data[off - 3] - 128u);
		off += len;
		for (k = 0; k < ROUNDS && ck_router_run_once(r); k++)
			;
	}
	ck_router_free(r);
	FUZZ_CHECK(pl.live == 0, "%ld packet(s) never given back", pl.live);
	for (i = 0; i < pl.nb_names; i++)
		free(pl.names[i]);
	fclose(devnull);
	return 0;
}
