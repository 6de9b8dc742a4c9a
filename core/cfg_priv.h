/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_priv.h — what the configuration parser's files share (never
 * installed): the parse state and the checked getters, each of which writes
 * "FILE:LINE: KEY: what is wrong" and returns -EINVAL on a bad value.
 */
#ifndef NETVM_CFG_PRIV_H
#define NETVM_CFG_PRIV_H

#include <libconfig.h>

#include "cfg.h"
#include "cfg_report.h"

#define CFG_ELEM_LEN 24 /* "rules[16383]" */
#define CFG_KEY_LEN 96  /* "rules[16383].name", "chains[4095].roles[7]" */
#define CFG_NO_CHAIN 0xffff
#define CFG_DIM(a) (sizeof(a) / sizeof((a)[0]))

/* Parse state of one file. */
struct cfg_ctx {
	const char *name; /* file name used in messages */
	bool file;        /* name is the file read (relative paths are from its directory) */
	char *err;
	size_t errlen;
	struct cfg *c;
	unsigned int chains_cap;
	uint16_t implicit[CFG_MAX_ROLES]; /* role -> its implicit chain, or CFG_NO_CHAIN */
};

/* Text @text that libconfig has read (@incdir: its include directory, or
 * NULL): 0, or -EINVAL with "NAME:LINE: syntax: the integer N does not fit
 * in 32 bits ..." for the first integer written without its L that
 * libconfig kept only the low 32 bits of, in @text or a file it includes
 * (NAME is then that file's, as the directive wrote it). */
int cfg_check_ints(const char *text, const char *name, const char *incdir, char *err,
		   size_t errlen);
/* Before libconfig reads @text: 0, or -EINVAL with "NAME:LINE: syntax:
 * cannot include 'FILE': REASON" for the first @include (in @text or a file
 * it includes) of a file that is not a regular file (a directory, a pipe)
 * or cannot be read whole: libconfig 1.5 would end the process or block. A
 * file that does not exist is left to libconfig ("cannot open include
 * file"). */
int cfg_check_includes(const char *text, const char *name, const char *incdir, char *err,
		       size_t errlen);
/* Write the error for @s (its line) and @key; returns -EINVAL. */
int cfg_fail(struct cfg_ctx *x, const config_setting_t *s, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An integer in [min, max] into *out; 0 or -EINVAL. */
int cfg_get_int(struct cfg_ctx *x, const config_setting_t *s, const char *key, long long min,
		long long max, long long *out);
/* A non-empty string shorter than @size; 0 or -EINVAL. */
int cfg_get_string(struct cfg_ctx *x, const config_setting_t *s, const char *key, size_t size,
		   const char **out);
/* A role, chain or group name; 0 or -EINVAL. */
int cfg_get_name(struct cfg_ctx *x, const config_setting_t *s, const char *key, const char **out);
/* @s is a list of groups (or an empty array); 0 or -EINVAL. */
int cfg_check_list(struct cfg_ctx *x, const config_setting_t *s, const char *key);
/* @g is a group with exactly the @n keys @names, stored in @found; 0 or -EINVAL. */
int cfg_members_opt(struct cfg_ctx *x, const config_setting_t *g, const char *key,
		    const char *shape, const char *const names[], unsigned int n,
		    unsigned int nreq, const config_setting_t *found[]);
int cfg_members(struct cfg_ctx *x, const config_setting_t *g, const char *key, const char *shape,
		const char *const names[], unsigned int n, const config_setting_t *found[]);
/* The members of a rule (@match true) or of default: match keys and exactly
 * one target, into @r; 0 or -EINVAL. */
int cfg_parse_entry(struct cfg_ctx *x, const config_setting_t *g, const char *key, bool match,
		    struct cfg_rule *r);
/* trust_groups = ( { name = "..."; roles = [ ... ]; }, ... ); 0 or -EINVAL. */
int cfg_parse_groups(struct cfg_ctx *x, const config_setting_t *groups);

#endif /* NETVM_CFG_PRIV_H */
