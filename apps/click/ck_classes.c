/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ck_classes.c — what the front end knows of each primitive class: its
 * port counts, processing and flow code, as Click's element headers declare
 * them (CLICK-SCOPE §b). The runtime owns the real table; this one lets the
 * front end and netvm-click-check run on their own. It lists exactly the
 * classes the runtime implements (tests/unit/test_click_runtime.c checks
 * that both tables name the same classes with the same strings), so a
 * configuration using any other class is refused by the front end with
 * "unknown element class".
 *
 * Processing: per port, 'a' agnostic, 'h' push, 'l' pull, the last letter
 * repeating. Flow codes: NULL means every input flows to every output; Idle
 * has none ("x/y"); DriverManager passes a packet from input i to output i
 * only ("#/#").
 */
#include <string.h>

#include "ck_graph.h"

/* X(C identifier, ports, processing, flow) */
#define CK_CLASS_LIST(X)                                              \
	/* core (push path) */                                        \
	X(Discard, "1/0", "a/a", NULL)                                \
	X(Print, "1/1", "a/a", NULL)                                  \
	X(CheckIPHeader, "1/1-2", "a/ah", NULL)                       \
	X(CheckIPHeader2, "1/1-2", "a/ah", NULL)                      \
	X(Classifier, "1/-", "h/h", NULL)                             \
	X(Strip, "1/1", "a/a", NULL)                                  \
	X(Counter, "1/1", "a/a", NULL)                                \
	X(ARPResponder, "1/1-2", "a/ah", NULL)                        \
	X(IPPrint, "1/1", "a/a", NULL)                                \
	X(Paint, "1/1", "a/a", NULL)                                  \
	X(IPClassifier, "1/-", "h/h", NULL)                           \
	X(EtherEncap, "1/1", "a/a", NULL)                             \
	X(Tee, "1/1-", "h/h", NULL)                                   \
	X(PaintSwitch, "1/-", "h/h", NULL)                            \
	X(DecIPTTL, "1/1-2", "a/ah", NULL)                            \
	X(GetIPAddress, "1/1", "a/a", NULL)                           \
	X(IPFragmenter, "1/1-2", "h/h", NULL)                         \
	X(IPReassembler, "1/1-2", "a/ah", NULL)                       \
	X(ICMPError, "1/1", "a/a", NULL)                              \
	X(AddressInfo, "0/0", "a/a", NULL)                            \
	X(StaticIPLookup, "1/-", "h/h", NULL)                         \
	X(IPFilter, "1/-", "h/h", NULL)                               \
	X(DropBroadcasts, "1/1-2", "a/ah", NULL)                      \
	X(MarkIPHeader, "1/1", "a/a", NULL)                           \
	X(CheckTCPHeader, "1/1-2", "a/ah", NULL)                      \
	X(Switch, "1/-", "h/h", NULL)                                 \
	X(Idle, "-/-", "a/a", "x/y")                                  \
	X(CheckICMPHeader, "1/1-2", "a/ah", NULL)                     \
	X(PaintTee, "1/2", "a/ah", NULL)                              \
	X(FixIPSrc, "1/1", "a/a", NULL)                               \
	X(Truncate, "1/1", "a/a", NULL)                               \
	X(SetIPAddress, "1/1", "a/a", NULL)                           \
	X(HostEtherFilter, "1/1-2", "a/ah", NULL)                     \
	X(LinearIPLookup, "1/-", "h/h", NULL)                         \
	X(RadixIPLookup, "1/-", "h/h", NULL)                          \
	X(Null, "1/1", "a/a", NULL)                                   \
	X(EtherMirror, "1/1", "a/a", NULL)                            \
	X(StripIPHeader, "1/1", "a/a", NULL)                          \
	X(UnstripIPHeader, "1/1", "a/a", NULL)                        \
	X(Unstrip, "1/1", "a/a", NULL)                                \
	X(CheckUDPHeader, "1/1-2", "a/ah", NULL)                      \
	X(RoundRobinSwitch, "1/1-", "h/h", NULL)                      \
	X(SetTimestamp, "1/1", "a/a", NULL)                           \
	X(Align, "1/1", "a/a", NULL)                                  \
	X(PushNull, "1/1", "h/h", NULL)                               \
	X(PullNull, "1/1", "l/l", NULL)                               \
	X(AlignmentInfo, "0/0", "a/a", NULL)                          \
	X(StripToNetworkHeader, "1/1", "a/a", NULL)                   \
	X(SetIPChecksum, "1/1", "a/a", NULL)                          \
	X(SetTCPChecksum, "1/1", "a/a", NULL)                         \
	X(SetUDPChecksum, "1/1", "a/a", NULL)                         \
	X(SetIPDSCP, "1/1", "a/a", NULL)                              \
	X(MarkIPCE, "1/1", "a/a", NULL)                               \
	X(StoreIPAddress, "1/1-2", "a/ah", NULL)                      \
	/* test-harness I/O */                                        \
	X(FromIPSummaryDump, "0/1", "a/a", NULL)                      \
	X(ToIPSummaryDump, "1/0-1", "a/h", NULL)                      \
	X(InfiniteSource, "0/1", "a/a", NULL)                         \
	X(RatedSource, "0/1", "a/a", NULL)                            \
	X(FromDump, "0/1-2", "a/ah", NULL)                            \
	X(ToDump, "1/0-1", "a/a", NULL)                               \
	X(TimedSource, "0/1", "h/h", NULL)                            \
	/* device binding */                                          \
	X(FromDevice, "0/1-2", "h/h", NULL)                           \
	X(PollDevice, "0/1", "h/h", NULL)                             \
	X(ToDevice, "1/0-2", "l/h", NULL)                             \
	X(ToHost, "1/0", "h/h", NULL)                                 \
	X(FromHost, "0/1", "h/h", NULL)                               \
	/* NetVM's own: the core engine's actions (docs/click.md) */  \
	X(ToRole, "1/0", "h/h", NULL)                                 \
	X(ToChain, "1/0", "h/h", NULL)                                \
	/* scheduling (pull) */                                       \
	X(Queue, "1/1-2", "h/lh", NULL)                               \
	X(SimpleQueue, "1/1-2", "h/lh", NULL)                         \
	X(Unqueue, "1/1", "l/h", NULL)                                \
	X(RoundRobinSched, "-/1", "l/l", NULL)                        \
	X(PrioSched, "-/1", "l/l", NULL)                              \
	X(PullTee, "1/1-", "l/lh", NULL)                              \
	/* control and stateful */                                    \
	X(DriverManager, "-/-", "ah/ah", "#/#")                       \
	X(Script, "-/-", "ah/ah", "#/#")                              \
	X(ARPQuerier, "2/1-2", "h/h", NULL)                           \
	X(IPGWOptions, "1/1-2", "a/ah", NULL)                         \
	X(ICMPPingResponder, "1/1-2", "a/ah", NULL)                   \
	X(IPMirror, "1/1", "a/a", NULL)                               \
	X(IPEncap, "1/1", "a/a", NULL)                                \
	X(UDPIPEncap, "1/1", "a/a", NULL)                             \
	X(IPRewriter, "1-/1-", "h/h", NULL)                           \
	X(TCPRewriter, "1-/1-", "h/h", NULL)                          \
	X(UDPRewriter, "1-/1-", "h/h", NULL)                          \
	X(ICMPPingRewriter, "1-/1-", "h/h", NULL)                     \
	X(IPRewriterPatterns, "0/0", "a/a", NULL)                     \
	X(RoundRobinIPMapper, "0/0", "a/a", NULL)                     \
	X(ICMPRewriter, "1/1-2", "h/h", NULL)                         \
	X(FTPPortMapper, "1/1", "a/a", NULL)                          \
	X(ScheduleInfo, "0/0", "a/a", NULL)                           \
	X(ToHostSniffers, "1/0", "h/h", NULL)

#define CK_DEFINE_CLASS(c, p, q, f) \
	static const struct ck_class_info ck_class_##c = { #c, p, q, f };
CK_CLASS_LIST(CK_DEFINE_CLASS)

#define CK_LIST_CLASS(c, p, q, f) &ck_class_##c,
const struct ck_class_info *const ck_classes[] = {
	CK_CLASS_LIST(CK_LIST_CLASS)
	NULL
};

/* The class named @name in ck_classes, or NULL when there is none. */
const struct ck_class_info *
ck_class_find(const char *name)
{
	unsigned int i;

	for (i = 0; ck_classes[i]; i++)
		if (strcmp(ck_classes[i]->name, name) == 0)
			return ck_classes[i];
	return NULL;
}
