/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_lv_mark.c — the mark the libvirt launcher (mgr_libvirt.c) puts in a
 * domain's <metadata>, <netvm:owner state_dir=DIR vm=NAME/>, read back from
 * the XML libvirt gives for it. Without libvirt, so that it can be tested.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "mgr.h"
#include "mgr_launcher.h"

/* The value of attribute @key of the element in @xml (as libvirt formats
 * it), entities and the references of tab, line feed and carriage return
 * (as libxml2 writes them in an attribute) replaced, into @buf. Returns 0, or -ENOENT when it has none
 * (or one that does not fit). */
static int
lv_attr(const char *xml, const char *key, char *buf, size_t len)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		{ "&apos;", '\'' }, { "&#9;", '\t' }, { "&#10;", '\n' }, { "&#13;", '\r' },
	};
	char pat[32];
	const char *p, *end;
	size_t o = 0, i;
	char q;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(xml, pat);
	if (p == NULL)
		return -ENOENT;
	p += strlen(pat);
	q = *p++;
	if ((q != '"' && q != '\'') || (end = strchr(p, q)) == NULL)
		return -ENOENT;
	while (p < end && o + 1 < len) {
		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (strncmp(p, ents[i].ent, strlen(ents[i].ent)) == 0)
				break;
		if (i < sizeof(ents) / sizeof(ents[0])) {
			buf[o++] = ents[i].c;
			p += strlen(ents[i].ent);
		} else if (*p == '&') {
			return -ENOENT; /* another reference: in no path we write */
		} else {
			buf[o++] = *p++;
		}
	}
	buf[o] = '\0';
	return p == end ? 0 : -ENOENT;
}

/* Whether @meta, a domain's metadata element in namespace urn:netvm:manager
 * as libvirt gives it (NULL: none), marks the domain as VM @name's of the
 * state directory whose real path is @state_dir; false when it cannot be read. */
bool
mgr_lv_mark_is(const char *meta, const char *state_dir, const char *name)
{
	char mark_dir[PATH_MAX], mark_vm[MGR_CFG_NAME_LEN];

	return meta != NULL && lv_attr(meta, "state_dir", mark_dir, sizeof(mark_dir)) == 0 &&
	       lv_attr(meta, "vm", mark_vm, sizeof(mark_vm)) == 0 &&
	       strcmp(mark_dir, state_dir) == 0 && strcmp(mark_vm, name) == 0;
}
