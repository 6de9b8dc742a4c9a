/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCPRewriter(INPUTSPEC1, ..., INPUTSPECn [, KEYWORDS]) — IPRewriter for TCP
 * alone, which also keeps each mapping's sequence-number deltas: when an
 * element upstream (FTPPortMapper) changes the length of a packet's payload,
 * it records the change on the mapping (trigger = the sequence number just
 * after the packet's original payload, the delta added to what was there
 * before), and TCPRewriter then adds the delta to the sequence numbers of
 * that direction from the trigger on (earlier ones, retransmissions, get the
 * previous delta) and subtracts it from the acknowledgements (whatever the
 * TCP flags) and SACK block edges coming back from the trigger's new place
 * on, fixing the TCP checksum incrementally, as Click's.
 *
 * INPUTSPECs, keywords and handlers are IPRewriter's (iprewriter.c, the
 * same engine and table); UDP and other packets are dropped unless their
 * input is a 'pass' input.
 */
#include "iprewriter.h"

RW_CLASS(TCPRewriter);

/* UDPRewriter(INPUTSPEC1, ..., INPUTSPECn [, KEYWORDS]) — IPRewriter that
 * treats TCP as UDP: no connection state, UDP's timeouts (TIMEOUT or
 * UDP_TIMEOUT, STREAMING_TIMEOUT, UDP_GUARANTEE), as Click's. */
RW_CLASS(UDPRewriter);
