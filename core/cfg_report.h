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

#endif /* NETVM_CFG_REPORT_H */
