/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMPPingRewriter(INPUTSPEC1, ..., INPUTSPECn [, TIMEOUT, GUARANTEE,
 * REAP_INTERVAL, MAPPING_CAPACITY, DST_ANNO]) — rewrites ICMP echo requests
 * and their replies, so that pings cross a NAT. A request (SRC, DST, ID)
 * with no mapping takes its input's INPUTSPEC like an IPRewriter packet, the
 * identifier standing for the source port (`pattern SADDR ID-RANGE DADDR -
 * FOUT ROUT`; a fixed ID is the identifier used). The mapping rewrites the
 * request to (SRC', DST', ID') on FOUT and its replies (DST', SRC', ID')
 * back to (DST, SRC, ID) on ROUT; addresses, identifier and checksums
 * (IP header, ICMP incrementally) change. A reply with no mapping is
 * dropped unless its input is 'pass'; other packets likewise.
 *
 * The older form ICMPPingRewriter(SRC, DST) ('-' = unchanged), which
 * thomer-nat.click uses, is one input (or two, alike) whose requests take
 * source SRC, destination DST and a free identifier (their own when it is
 * free) to output 0, replies to output 1 (0 with one output).
 *
 * TIMEOUT (300 s) and GUARANTEE (5 s) as IPRewriter's UDP_TIMEOUT and
 * UDP_GUARANTEE; the handlers are IPRewriter's (the table shows 'icmp'
 * mappings with the identifier as the port: a request is (SRC, ID, DST, 0)).
 */
#include "iprewriter.h"

RW_CLASS(ICMPPingRewriter);
