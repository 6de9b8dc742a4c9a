/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * registry.c — the element classes the runtime implements, by name. Each
 * class's ports/processing strings are the ones the front end's
 * ck_classes[] table declares (CLICK-SCOPE §b); tests/unit/test_click_elements.c
 * checks they agree where both are built.
 */
#include <string.h>

#include "ck_elem.h"

/* X(Name): one line per class, in the order of docs/click.md's table. */
#define CK_ELEMENT_LIST(X) \
	X(Discard) X(Idle) X(Null) X(Align) X(Print) X(Counter) X(PushNull) X(PullNull) \
	X(AlignmentInfo) X(StripToNetworkHeader) X(SetIPChecksum) X(SetTCPChecksum) X(SetUDPChecksum) \
	X(SetIPDSCP) X(MarkIPCE) X(StoreIPAddress) \
	X(Paint) X(PaintSwitch) X(PaintTee) X(Tee) X(PullTee) \
	X(Strip) X(Unstrip) X(Truncate) X(Classifier) X(Switch) X(RoundRobinSwitch) \
	X(CheckIPHeader) X(CheckIPHeader2) X(MarkIPHeader) X(GetIPAddress) X(SetIPAddress) X(FixIPSrc) \
	X(StripIPHeader) X(UnstripIPHeader) X(SetTimestamp) X(DecIPTTL) \
	X(CheckTCPHeader) X(CheckUDPHeader) X(CheckICMPHeader) X(DropBroadcasts) \
	X(EtherEncap) X(EtherMirror) X(HostEtherFilter) \
	X(IPFilter) X(IPClassifier) \
	X(StaticIPLookup) X(LinearIPLookup) X(RadixIPLookup) \
	X(Queue) X(SimpleQueue) X(Unqueue) X(RoundRobinSched) X(PrioSched) \
	X(InfiniteSource) X(RatedSource) X(TimedSource) \
	X(IPPrint) X(AddressInfo) X(DriverManager) X(Script) \
	X(FromDevice) X(PollDevice) X(ToDevice) X(ToHost) X(FromHost) X(ToRole) X(ToChain) \
	X(FromIPSummaryDump) X(ToIPSummaryDump) X(FromDump) X(ToDump) \
	X(ARPResponder) X(ICMPError) X(IPFragmenter) X(IPReassembler) X(ARPQuerier) X(IPGWOptions) \
	X(ICMPPingResponder) X(IPMirror) X(IPEncap) X(UDPIPEncap) X(IPRewriter) \
	X(TCPRewriter) X(UDPRewriter) X(ICMPPingRewriter) X(IPRewriterPatterns) X(ICMPRewriter) X(FTPPortMapper) \
	X(RoundRobinIPMapper) \
	X(ScheduleInfo) X(ToHostSniffers)

#define CK_DECLARE(n) extern const struct ck_element_class ck_class_##n;
CK_ELEMENT_LIST(CK_DECLARE)

#define CK_ENTRY(n) &ck_class_##n,
static const struct ck_element_class *const classes[] = {
	CK_ELEMENT_LIST(CK_ENTRY)
	NULL,
};

/* Find a class by name. Returns it, or NULL when the runtime has none. */
const struct ck_element_class *
ck_element_class_find(const char *name)
{
	for (size_t i = 0; classes[i]; i++)
		if (strcmp(classes[i]->name, name) == 0)
			return classes[i];
	return NULL;
}

/* Return every class, NULL-terminated; it cannot fail. */
const struct ck_element_class *const *
ck_element_classes(void)
{
	return classes;
}
