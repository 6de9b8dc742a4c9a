/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_cfg_priv.h — the schema machinery of mgr_cfg.c, shared with the
 * parsers of the operations sections (mgr_cfg_ops.c). Never installed.
 */
#ifndef NETVM_MGR_CFG_PRIV_H
#define NETVM_MGR_CFG_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "mgr_cfg.h"

#define MGR_KEY_LEN 96
#define MGR_DIM(a) (sizeof(a) / sizeof((a)[0]))
#define MGR_MAX_FIELDS 24

/* Parse state of one file. */
struct mgr_cfg_ctx {
	const char *name; /* file name used in messages */
	char dir[PATH_MAX]; /* absolute directory of the file */
	char *err;
	size_t errlen;
};

enum mgr_kind {
	K_STR,  /* a non-empty string */
	K_PATH, /* a path; relative ones are taken from the file's directory */
	K_FILE, /* a K_PATH that must name a readable file */
	K_PROG, /* a program: a name on $PATH as it is, else a K_PATH */
	K_NAME, /* [A-Za-z0-9_.-]+ */
	K_CMD,  /* a command line for the kernel's netvm.run="..." */
	K_U32,
	K_BOOL,
	K_ENUM,
	K_FILES, /* [ "GUEST_PATH:HOST_FILE", ... ] (struct mgr_vm_cfg only) */
	K_CORE,  /* the core engine's key: checked by the core's parser (cfg.h) */
	K_OWN,   /* read by the object's own parser after the schema pass */
};

/* One key of an object: where it goes in the object's struct and its rules. */
struct mgr_field {
	const char *key;
	enum mgr_kind kind;
	size_t off;
	size_t size;                /* strings: buffer size; K_U32: 2 or 4 bytes */
	uint32_t min, max;          /* K_U32 */
	const char *const *names;   /* K_ENUM: value i is names[i], NULL-terminated */
	bool required;
};

#define F_STR(k, s, m, kind, req) \
	{ k, kind, offsetof(s, m), sizeof(((s *)0)->m), 0, 0, NULL, req }
#define F_U32(k, s, m, lo, hi, req) \
	{ k, K_U32, offsetof(s, m), sizeof(((s *)0)->m), lo, hi, NULL, req }
#define F_BOOL(k, s, m) { k, K_BOOL, offsetof(s, m), 0, 0, 0, NULL, false }
#define F_ENUM(k, s, m, n) { k, K_ENUM, offsetof(s, m), 0, 0, 0, n, false }

/* Write "FILE:LINE: KEY: message" for setting @s to x->err; returns -EINVAL. */
int mgr_fail(struct mgr_cfg_ctx *x, const config_setting_t *s, const char *key, const char *fmt,
	     ...) __attribute__((format(printf, 4, 5)));

/* Check group @g against @schema and store its values in @obj; @found gets
 * each schema key's setting (NULL when absent). 0 or -EINVAL (x->err). */
int mgr_parse_object(struct mgr_cfg_ctx *x, const config_setting_t *g, const char *key,
		     const struct mgr_field *schema, void *obj, const config_setting_t **found);

/* Index of @key in @schema (it must be there). */
unsigned int mgr_field_idx(const struct mgr_field *schema, const char *key);

/* mgr_cfg_ops.c: the "scale" list and the "dos" group (@s, either), into @c.
 * 0, -ENOMEM or -EINVAL (x->err). */
int mgr_cfg_ops_parse(struct mgr_cfg_ctx *x, const config_setting_t *s, struct mgr_cfg *c);

/* mgr_cfg_ops.c: what ties those to the rest of the file (the VMs a
 * policy names, roles used twice), once everything is read. 0 or -EINVAL. */
int mgr_cfg_ops_check(struct mgr_cfg_ctx *x, const config_setting_t *root,
		      const struct mgr_cfg *c);

#endif /* NETVM_MGR_CFG_PRIV_H */
