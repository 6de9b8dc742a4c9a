/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvmctl_show.c — the manager's JSON answers as aligned tables.
 *
 * Counters are grouped by their names, not by a fixed list, so counters
 * the core engine adds later show up without a change here:
 * "<group><N>_<field>" (port0_rx, nf3_held, pool0_free) makes a table per
 * group with one row per N and one column per field; "drop_<reason>" makes
 * the drop table; anything else is listed as NAME VALUE.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "netvmctl.h"

#define TBL_MAX_COLS 24
#define TBL_MAX_ROWS 256
#define TBL_CELL 96

struct tbl {
	unsigned int ncols, nrows;
	char hdr[TBL_MAX_COLS][TBL_CELL];
	char *(*cells)[TBL_MAX_COLS]; /* [row][col]: whole, as long as they are */
	bool num[TBL_MAX_COLS]; /* right-aligned */
	const char *indent; /* before every line but the title */
};

static int
tbl_init(struct tbl *t)
{
	memset(t, 0, sizeof(*t));
	t->indent = "";
	t->cells = calloc(TBL_MAX_ROWS, sizeof(*t->cells));
	return t->cells == NULL ? -ENOMEM : 0;
}

/* Column named @name, added when new (-1 when the table is full). */
static int
tbl_col(struct tbl *t, const char *name, bool num)
{
	unsigned int c;

	for (c = 0; c < t->ncols; c++)
		if (strcmp(t->hdr[c], name) == 0)
			return (int)c;
	if (t->ncols == TBL_MAX_COLS)
		return -1;
	snprintf(t->hdr[t->ncols], TBL_CELL, "%.*s", TBL_CELL - 1, name);
	t->num[t->ncols] = num;
	return (int)t->ncols++;
}

static void
tbl_free(struct tbl *t)
{
	unsigned int r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < TBL_MAX_COLS; c++)
			free(t->cells[r][c]);
	free(t->cells);
	t->cells = NULL;
}

/* Index of a new empty row (-1 when full). */
static int
tbl_row(struct tbl *t)
{
	return t->nrows < TBL_MAX_ROWS ? (int)t->nrows++ : -1;
}

static void
tbl_set(struct tbl *t, int row, const char *col, bool num, const char *val)
{
	int c = tbl_col(t, col, num);

	char *v;

	/* a cell is never cut short: a VM's LAST DOWN is the whole reason */
	if (row < 0 || c < 0 || (v = strdup(val)) == NULL)
		return;
	free(t->cells[row][c]);
	t->cells[row][c] = v;
}

/* Cell @r, @c as printed: "-" when empty. */
static const char *
tbl_cell(const struct tbl *t, unsigned int r, unsigned int c)
{
	const char *v = t->cells[r][c];

	return v == NULL || v[0] == '\0' ? "-" : v;
}

/* JSON value as a cell: strings as they are, null as "-". */
static const char *
tbl_val(struct json_object *v)
{
	return v == NULL ? "-" : json_object_get_string(v);
}

static void
tbl_print(struct tbl *t, FILE *f, const char *title)
{
	size_t w[TBL_MAX_COLS];
	unsigned int r, c;

	if (title != NULL)
		fprintf(f, "%s\n", title);
	for (c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->hdr[c]);
		for (r = 0; r < t->nrows; r++)
			if (strlen(tbl_cell(t, r, c)) > w[c])
				w[c] = strlen(tbl_cell(t, r, c));
	}
	/* the last header is not padded: no line ends in blanks (a column of
	 * numbers wider than its header is right-aligned below it) */
	for (c = 0; c < t->ncols; c++)
		fprintf(f, "%s%-*s", c ? "  " : t->indent, c + 1 < t->ncols ? (int)w[c] : 0,
			t->hdr[c]);
	fputc('\n', f);
	for (r = 0; r < t->nrows; r++) {
		fputs(t->indent, f);
		for (c = 0; c < t->ncols; c++) {
			int width = c + 1 < t->ncols || t->num[c] ? (int)w[c] : 0;

			fprintf(f, "%s", c ? "  " : "");
			if (t->num[c])
				fprintf(f, "%*s", width, tbl_cell(t, r, c));
			else
				fprintf(f, "%-*s", width, tbl_cell(t, r, c));
		}
		fputc('\n', f);
	}
	tbl_free(t);
}

static struct json_object *
tbl_array(struct json_object *reply, const char *key)
{
	struct json_object *a;

	if (!json_object_object_get_ex(reply, key, &a) || !json_object_is_type(a, json_type_array))
		return NULL;
	return a;
}

int
ctl_show_table(struct json_object *a, const struct ctl_col *cols, size_t ncols,
	       const char *indent, FILE *f)
{
	struct json_object *v;
	struct tbl t;
	size_t i, c;
	int row;

	if (a == NULL || !json_object_is_type(a, json_type_array))
		return -EPROTO;
	if (tbl_init(&t) < 0)
		return -ENOMEM;
	t.indent = indent;
	for (c = 0; c < ncols; c++)
		tbl_col(&t, cols[c].hdr, cols[c].num);
	for (i = 0; i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		row = tbl_row(&t);
		for (c = 0; c < ncols; c++) {
			if ((!json_object_object_get_ex(o, cols[c].key, &v) || v == NULL) &&
			    (cols[c].alt == NULL || !json_object_object_get_ex(o, cols[c].alt, &v)))
				v = NULL;
			tbl_set(&t, row, cols[c].hdr, false,
				v != NULL ? json_object_get_string(v) :
				cols[c].none != NULL ? cols[c].none : "-");
		}
	}
	tbl_print(&t, f, NULL);
	return 0;
}

int
ctl_show_vms(struct json_object *reply, FILE *f)
{
	static const char *const cols[] = { "name", "state", "launcher", "role", "nf_id", "pid",
					    "uptime_s", "restarts", "last_down" };
	static const char *const hdrs[] = { "NAME", "STATE", "LAUNCHER", "ROLE", "NF", "PID",
					    "UPTIME", "RESTARTS", "LAST DOWN" };
	struct json_object *a = tbl_array(reply, "vms"), *v;
	struct tbl t;
	size_t i, c;
	int row;

	if (a == NULL)
		return -EPROTO;
	if (tbl_init(&t) < 0)
		return -ENOMEM;
	for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
		tbl_col(&t, hdrs[c], c >= 3 && c <= 7);
	for (i = 0; i < json_object_array_length(a); i++) {
		struct json_object *vm = json_object_array_get_idx(a, i);

		row = tbl_row(&t);
		for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			if (!json_object_object_get_ex(vm, cols[c], &v))
				v = NULL;
			tbl_set(&t, row, hdrs[c], false, tbl_val(v));
		}
		/* A VM waiting to restart says when. */
		if (json_object_object_get_ex(vm, "restart_in_ms", &v) && v != NULL) {
			char s[TBL_CELL];

			snprintf(s, sizeof(s), "down (restart in %.1f s)",
				 (double)json_object_get_int64(v) / 1000.0);
			tbl_set(&t, row, "STATE", false, s);
		}
	}
	tbl_print(&t, f, NULL);
	return 0;
}

int
ctl_show_nfs(struct json_object *reply, FILE *f)
{
	struct json_object *a = tbl_array(reply, "nfs");
	struct tbl t;
	size_t i;
	int row;

	if (a == NULL)
		return -EPROTO;
	if (tbl_init(&t) < 0)
		return -ENOMEM;
	tbl_col(&t, "NF", true);
	tbl_col(&t, "VM", false);
	tbl_col(&t, "ROLE", true);
	for (i = 0; i < json_object_array_length(a); i++) {
		struct json_object *nf = json_object_array_get_idx(a, i);

		row = tbl_row(&t);
		json_object_object_foreach(nf, key, val) {
			char up[TBL_CELL];
			size_t k;

			for (k = 0; key[k] != '\0' && k + 1 < sizeof(up); k++)
				up[k] = (char)(key[k] >= 'a' && key[k] <= 'z' ? key[k] - 32 : key[k]);
			up[k] = '\0';
			tbl_set(&t, row, strcmp(up, "ID") == 0 ? "NF" : up,
				json_object_is_type(val, json_type_int), tbl_val(val));
		}
	}
	tbl_print(&t, f, NULL);
	return 0;
}

/* "<group><N>_<field>": the group ("port"), N and the field, or false. */
static bool
stat_split(const char *key, char *group, size_t glen, long *n, const char **field)
{
	size_t g = 0;
	char *end;

	while (key[g] >= 'a' && key[g] <= 'z')
		g++;
	if (g == 0 || g >= glen || key[g] < '0' || key[g] > '9')
		return false;
	*n = strtol(key + g, &end, 10);
	if (*end != '_' || end[1] == '\0')
		return false;
	memcpy(group, key, g);
	group[g] = '\0';
	*field = end + 1;
	return true;
}

/* One table for counter group @group ("port", "nf", ...) of @stats. */
static void
stat_group(struct json_object *stats, const char *group, FILE *f)
{
	long ids[TBL_MAX_ROWS], n;
	unsigned int nb = 0, i;
	char g[32], title[64];
	const char *field;
	struct tbl t;
	int row;

	if (tbl_init(&t) < 0)
		return;
	tbl_col(&t, group, true);
	json_object_object_foreach(stats, key, val) {
		if (!stat_split(key, g, sizeof(g), &n, &field) || strcmp(g, group) != 0)
			continue;
		for (i = 0; i < nb && ids[i] != n; i++)
			;
		if (i == nb && nb < TBL_MAX_ROWS) {
			char s[24];

			ids[nb++] = n;
			row = tbl_row(&t);
			snprintf(s, sizeof(s), "%ld", n);
			tbl_set(&t, row, group, true, s);
		}
		if (i < nb)
			tbl_set(&t, (int)i, field, true, tbl_val(val));
	}
	snprintf(title, sizeof(title), "%.31ss:", group);
	tbl_print(&t, f, title);
	fputc('\n', f);
}

int
ctl_show_stats(struct json_object *reply, FILE *f)
{
	struct json_object *stats;
	char groups[8][32], g[32];
	unsigned int ng = 0, i;
	const char *field;
	struct tbl drops, other;
	long n;

	if (!json_object_object_get_ex(reply, "stats", &stats) ||
	    !json_object_is_type(stats, json_type_object))
		return -EPROTO;
	json_object_object_foreach(stats, key, val) {
		(void)val;
		if (!stat_split(key, g, sizeof(g), &n, &field))
			continue;
		for (i = 0; i < ng && strcmp(groups[i], g) != 0; i++)
			;
		if (i == ng && ng < 8)
			snprintf(groups[ng++], sizeof(groups[0]), "%s", g);
	}
	for (i = 0; i < ng; i++)
		stat_group(stats, groups[i], f);
	if (tbl_init(&drops) < 0 || tbl_init(&other) < 0)
		return -ENOMEM;
	tbl_col(&drops, "REASON", false);
	tbl_col(&drops, "PACKETS", true);
	tbl_col(&other, "COUNTER", false);
	tbl_col(&other, "VALUE", true);
	json_object_object_foreach(stats, k2, v2) {
		if (stat_split(k2, g, sizeof(g), &n, &field))
			continue;
		if (strncmp(k2, "drop_", 5) == 0) {
			int row = tbl_row(&drops);

			tbl_set(&drops, row, "REASON", false, k2 + 5);
			tbl_set(&drops, row, "PACKETS", true, tbl_val(v2));
		} else {
			int row = tbl_row(&other);

			tbl_set(&other, row, "COUNTER", false, k2);
			tbl_set(&other, row, "VALUE", true, tbl_val(v2));
		}
	}
	tbl_print(&drops, f, "drops:");
	fputc('\n', f);
	tbl_print(&other, f, "other counters:");
	return 0;
}

int
ctl_show_nf_counters(struct json_object *reply, FILE *f)
{
	struct json_object *counters, *id;
	char title[64];
	struct tbl t;

	if (!json_object_object_get_ex(reply, "counters", &counters) ||
	    !json_object_is_type(counters, json_type_object) ||
	    !json_object_object_get_ex(reply, "id", &id))
		return -EPROTO;
	if (tbl_init(&t) < 0)
		return -ENOMEM;
	tbl_col(&t, "COUNTER", false);
	tbl_col(&t, "VALUE", true);
	json_object_object_foreach(counters, key, val) {
		int row = tbl_row(&t);

		tbl_set(&t, row, "COUNTER", false, key);
		tbl_set(&t, row, "VALUE", true, tbl_val(val));
	}
	snprintf(title, sizeof(title), "nf %ld counters:", (long)json_object_get_int64(id));
	tbl_print(&t, f, title);
	return 0;
}

/* The answer of "vm migrate NAME" (@name: the request's rest, with its newline). */
int
ctl_show_migrate(struct json_object *reply, const char *name, FILE *f)
{
	static const char *const keys[] = { "old_pid", "pid", "total_ms", "downtime_ms" };
	int64_t v[4];
	struct json_object *o;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (!json_object_object_get_ex(reply, keys[i], &o))
			return -EPROTO;
		v[i] = json_object_get_int64(o);
	}
	fprintf(f, "vm %.*s migrated%s%s: QEMU pid %lld -> %lld, %lld ms, downtime %lld ms\n",
		(int)strcspn(name, " \n"), name,
		json_object_object_get_ex(reply, "to", &o) ? " to " : "",
		json_object_object_get_ex(reply, "to", &o) ? json_object_get_string(o) : "",
		(long long)v[0], (long long)v[1], (long long)v[2], (long long)v[3]);
	return 0;
}
