/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCPRewriter(INPUTSPEC1, ..., INPUTSPECn [, KEYWORDS]) — IPRewriter for TCP
 * alone, which also keeps each mapping's sequence-number deltas: when an
 * element upstream (FTPPortMapper) changes the length of a packet's payload,
 * it records the change on the mapping (trigger = the packet's sequence
 * number, the delta added to what was there before), and TCPRewriter then
 * adds the delta to the sequence numbers of later packets of that direction
 * (those after the trigger; earlier ones, retransmissions, get the previous
 * delta) and subtracts it from the acknowledgements coming back, fixing the
 * TCP checksum incrementally. SACK blocks are not translated.
 *
 * INPUTSPECs, keywords and handlers are IPRewriter's (iprewriter.c, the
 * same engine and table); UDP and other packets are dropped unless their
 * input is a 'pass' input.
 */
#include "iprewriter.h"

RW_CLASS(TCPRewriter);
