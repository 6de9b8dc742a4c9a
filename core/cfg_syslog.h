/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_syslog.h — a daemon's messages to syslog instead of its terminal.
 *
 * netvm-core and netvm-manager print their messages on stdout (progress)
 * and stderr (errors). With --syslog they call cfg_syslog_redirect(): from
 * then on each line written through the stdio streams stdout and stderr
 * becomes one syslog(3) message (facility daemon; stdout lines at
 * LOG_INFO, stderr lines at LOG_ERR), sent to /dev/log by the C library.
 * Output written to file descriptors 1 and 2 directly (and by child
 * processes) is not affected. Lives beside the configuration parser
 * because it is the one DPDK-free library the core and the manager share.
 */
#ifndef NETVM_CFG_SYSLOG_H
#define NETVM_CFG_SYSLOG_H

/*
 * Open syslog as @ident (with the process id) and replace stdout and stderr
 * by streams that send each line to it. Returns 0, or -errno when a stream
 * cannot be made (stdout and stderr are then left as they were).
 */
int cfg_syslog_redirect(const char *ident);

#endif /* NETVM_CFG_SYSLOG_H */
