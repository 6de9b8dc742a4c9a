/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_report.h — how configuration errors are worded, shared by the core's
 * parser and the manager's (both read libconfig files).
 */
#ifndef NETVM_CFG_REPORT_H
#define NETVM_CFG_REPORT_H

#include <stdarg.h>
#include <stddef.h>

#include <libconfig.h>

/* Name of the type of @s, for messages ("an integer", "a list ( )"). */
const char *cfg_type_name(const config_setting_t *s);

/* Write "FILE:LINE: KEY: message" for setting @s of file @name into @err
 * (nothing when @err is NULL); returns -EINVAL. */
int cfg_report(const char *name, char *err, size_t errlen, const config_setting_t *s,
	       const char *key, const char *fmt, va_list ap);

/* Largest configuration file read (a rule set of CFG_MAX_RULES rules fits). */
#define CFG_FILE_MAX (256u << 20)

/* Read the configuration file @path into @lc (libconfig, auto-convert off),
 * @include paths taken from the file's directory. Returns 0; -errno with
 * "PATH: cannot open: REASON" or "PATH: cannot read: REASON" in @err; or
 * -EINVAL with "FILE:LINE: syntax: REASON". */
int cfg_read_file(config_t *lc, const char *path, char *err, size_t errlen);

#endif /* NETVM_CFG_REPORT_H */
