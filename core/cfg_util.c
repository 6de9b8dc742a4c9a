/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_util.c — the checked getters every section parser uses: each value is
 * read with its type and range checked, and a bad one is reported with the
 * file, line and key.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_priv.h"

const char *
cfg_type_name(const config_setting_t *s)
{
	static const char *const names[] = {
		[CONFIG_TYPE_GROUP] = "a group { }", [CONFIG_TYPE_INT] = "an integer",
		[CONFIG_TYPE_INT64] = "an integer", [CONFIG_TYPE_FLOAT] = "a float",
		[CONFIG_TYPE_STRING] = "a string", [CONFIG_TYPE_BOOL] = "a boolean",
		[CONFIG_TYPE_ARRAY] = "an array [ ]", [CONFIG_TYPE_LIST] = "a list ( )",
	};
	unsigned int t = (unsigned int)config_setting_type(s);

	return t < CFG_DIM(names) && names[t] != NULL ? names[t] : "nothing";
}

/*
 * Write "FILE:LINE: KEY: message" for setting @s of file @name into @err
 * (nothing when @err is NULL) and return -EINVAL. Shared with the manager's
 * parser, so both programs word their errors alike.
 */
int
cfg_report(const char *name, char *err, size_t errlen, const config_setting_t *s,
	   const char *key, const char *fmt, va_list ap)
{
	const char *file = name;
	unsigned int line = 0;
	int n;

	/* Scalars inside arrays may carry no line: use the nearest parent's. */
	for (; s != NULL && line == 0; s = config_setting_parent(s)) {
		line = config_setting_source_line(s);
		if (config_setting_source_file(s) != NULL)
			file = config_setting_source_file(s);
	}
	if (err == NULL || errlen == 0)
		return -EINVAL;
	n = snprintf(err, errlen, "%s:%u: %s: ", file, line, key);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

/*
 * The whole of file @path in a NUL-terminated buffer (*@text, the caller
 * frees it), read here rather than by libconfig: its reader ends the
 * process when a read fails midway (a file of /proc that cannot be read),
 * and reports every open failure as one I/O error.
 */
static int
read_text(const char *path, char **text, char *err, size_t errlen)
{
	size_t len = 0, cap = 65536;
	char *buf = NULL, *nb;
	struct stat st;
	ssize_t r;
	int fd, rc;

	*text = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	rc = fd < 0 || fstat(fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : 0;
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	/* The buffer grows to at most CFG_FILE_MAX + 2 bytes: the limit, one
	 * byte more to tell a longer file, and the NUL. */
	for (;;) {
		if (buf == NULL || cap - len < 2) {
			if (buf != NULL && cap == CFG_FILE_MAX + 2) {
				rc = -EFBIG;
				break;
			}
			if (buf != NULL)
				cap = cap > (CFG_FILE_MAX + 2) / 2 ? CFG_FILE_MAX + 2 : cap * 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : len > CFG_FILE_MAX ? -EFBIG : 0;
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	if (rc < 0) {
		free(buf);
		if (err != NULL && errlen > 0 && rc == -EFBIG)
			snprintf(err, errlen, "%s: cannot read: larger than %u MiB", path,
				 CFG_FILE_MAX >> 20);
		else if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
		return rc;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

static bool
cfg_digit(const char *p)
{
	return *p >= '0' && *p <= '9';
}

/* Where the first integer libconfig stored wrapped is, or (@includes) the
 * first @include libconfig must not be given. */
struct cfg_wrap {
	bool includes;    /* look for @include directives libconfig cannot read, not integers */
	const char *file; /* the file @include named, or NULL: the text itself */
	char incfile[PATH_MAX];
	int line;
	char num[64]; /* the literal */
	char why[PATH_MAX + 128]; /* @includes: what is wrong with the directive */
};

/* libconfig 1.5's limit of nested @include files */
#define CFG_INCLUDE_DEPTH 10

static int cfg_wrapped_int(const char *text, const char *incdir, unsigned int depth,
			   struct cfg_wrap *w);

/*
 * The @include directive at @p, on line @line (libconfig 1.5: `@include
 * "NAME"`, NAME with \\ and \" escapes, read from @incdir/NAME when the
 * configuration has an include directory, as libconfig does, else from
 * NAME): 1 with @w filled when the file it includes (or one that file
 * includes) holds a wrapped integer, or, with @w->includes, when it is no
 * regular file that can be read whole: libconfig's scanner ends the
 * process when a read fails (a directory) and waits on a pipe for ever.
 * Else 0 (a file that does not exist, or nested too deep: libconfig says
 * so). *@end is past the directive.
 */
static int
cfg_wrapped_include(const char *p, const char *incdir, unsigned int depth, int line,
		    const char **end, struct cfg_wrap *w)
{
	char name[PATH_MAX], path[PATH_MAX], why[PATH_MAX + 64], *inc;
	struct stat st;
	size_t n = 0;
	int found, rc;

	for (p += strlen("@include"); *p == ' ' || *p == '\t'; p++)
		;
	*end = p;
	if (*p != '"')
		return 0;
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && (p[1] == '\\' || p[1] == '"'))
			p++;
		if (n + 1 < sizeof(name))
			name[n++] = *p;
	}
	name[n] = '\0';
	*end = p + (*p != '\0');
	if (depth >= CFG_INCLUDE_DEPTH ||
	    snprintf(path, sizeof(path), "%s%s%s", incdir != NULL ? incdir : "",
		     incdir != NULL ? "/" : "", name) >= (int)sizeof(path) ||
	    stat(path, &st) < 0)
		return 0;
	if (!S_ISREG(st.st_mode)) {
		if (!w->includes)
			return 0;
		snprintf(w->why, sizeof(w->why), "cannot include '%s': %s", name,
			 S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		goto found;
	}
	rc = read_text(path, &inc, why, sizeof(why));
	if (rc < 0) {
		if (!w->includes)
			return 0;
		/* why is "PATH: cannot open|read: REASON" */
		snprintf(w->why, sizeof(w->why), "cannot include '%s': %s", name,
			 why + strlen(path) + 2);
		goto found;
	}
	found = cfg_wrapped_int(inc, incdir, depth + 1, w);
	free(inc);
	if (found && w->file == NULL) {
		snprintf(w->incfile, sizeof(w->incfile), "%s", name);
		w->file = w->incfile;
	}
	return found;
found:
	w->file = NULL;
	w->line = line;
	return 1;
}

/*
 * Whether @text (or a file it @includes, @depth files deep) holds an
 * integer that libconfig (1.5) stores wrapped: a decimal one outside the
 * 32-bit range, or a hexadecimal one above 0x7fffffff, without the L of a
 * 64-bit integer (its reader keeps the low 32 bits: 4294968296 would be
 * read as 1000). 1 with the first one's file, line and literal in @w; 0
 * when there is none.
 */
static int
cfg_wrapped_int(const char *text, const char *incdir, unsigned int depth, struct cfg_wrap *w)
{
	const char *p = text, *q;
	int line = 1;

	while (*p != '\0') {
		if (*p == '\n') {
			line++;
			p++;
		} else if (strncmp(p, "@include", strlen("@include")) == 0) {
			if (cfg_wrapped_include(p, incdir, depth, line, &p, w))
				return 1;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			p += *p != '\0' ? 2 : 0;
		} else if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				line += *p == '\n';
				if (*p == '\\' && p[1] != '\0')
					p++;
			}
			p += *p != '\0';
		} else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '*') {
			p += 1 + strspn(p + 1, "-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					"0123456789_*");
		} else if (cfg_digit(p) || ((*p == '-' || *p == '+' || *p == '.') && cfg_digit(p + 1)) ||
			   ((*p == '-' || *p == '+') && p[1] == '.' && cfg_digit(p + 2))) {
			bool hex, neg = *p == '-';
			unsigned long long v;
			const char *d = p + (*p == '-' || *p == '+');

			hex = d[0] == '0' && (d[1] == 'x' || d[1] == 'X');
			q = d + (hex ? 2 + strspn(d + 2, "0123456789abcdefABCDEF") :
				 strspn(d, "0123456789"));
			if (*q == 'L') {
				/* a 64-bit integer: as libconfig reads it */
				p = q + 1;
				continue;
			}
			if (!hex && (*q == '.' || *q == 'e' || *q == 'E')) {
				/* a float, its fraction and exponent included
				 * (0.12345678901, 1e-12345678901) */
				if (*q == '.')
					q += 1 + strspn(q + 1, "0123456789");
				if (*q == 'e' || *q == 'E') {
					q += 1 + (q[1] == '-' || q[1] == '+');
					q += strspn(q, "0123456789");
				}
				p = q;
				continue;
			}
			errno = 0;
			v = strtoull(hex ? d + 2 : d, NULL, hex ? 16 : 10);
			if (!w->includes && (errno == ERANGE || v > (hex ? 0x7fffffffULL :
						    neg ? 0x80000000ULL : 0x7fffffffULL))) {
				w->file = NULL;
				w->line = line;
				snprintf(w->num, sizeof(w->num), "%.*s", (int)(q - p), p);
				return 1;
			}
			p = q;
		} else {
			p++;
		}
	}
	return 0;
}

/* cfg_check_ints() (@includes false) or cfg_check_includes() (true). */
static int
cfg_check_text(const char *text, const char *name, const char *incdir, bool includes,
	       char *err, size_t errlen)
{
	struct cfg_wrap *w = malloc(sizeof(*w));
	int rc = 0;

	if (w == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	w->includes = includes;
	w->file = NULL;
	if (cfg_wrapped_int(text, incdir, 0, w)) {
		if (err != NULL && errlen > 0 && includes)
			snprintf(err, errlen, "%s:%d: syntax: %s", w->file != NULL ? w->file : name,
				 w->line, w->why);
		else if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s:%d: syntax: the integer %s does not fit in 32 "
				 "bits (write %sL for a 64-bit integer)",
				 w->file != NULL ? w->file : name, w->line, w->num, w->num);
		rc = -EINVAL;
	}
	free(w);
	return rc;
}

int
cfg_check_ints(const char *text, const char *name, const char *incdir, char *err, size_t errlen)
{
	return cfg_check_text(text, name, incdir, false, err, errlen);
}

int
cfg_check_includes(const char *text, const char *name, const char *incdir, char *err,
		   size_t errlen)
{
	return cfg_check_text(text, name, incdir, true, err, errlen);
}

int
cfg_read_file(config_t *lc, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], *text;
	const char *incdir = NULL;
	struct stat st;
	int rc;

	rc = read_text(path, &text, err, errlen);
	if (rc < 0)
		return rc;
	config_set_auto_convert(lc, 0);
	/* a pipe (-c <(...)) has no directory of its own (/dev/fd is none):
	 * its @include paths are taken as written, as in a text */
	if ((stat(path, &st) < 0 || S_ISREG(st.st_mode)) &&
	    snprintf(dir, sizeof(dir), "%s", path) < (int)sizeof(dir)) {
		incdir = dirname(dir);
		config_set_include_dir(lc, incdir);
	}
	rc = cfg_check_includes(text, path, incdir, err, errlen);
	if (rc < 0) {
		free(text);
		return rc;
	}
	if (config_read_string(lc, text) != CONFIG_TRUE) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s:%d: syntax: %s",
				 config_error_file(lc) != NULL ? config_error_file(lc) : path,
				 config_error_line(lc), config_error_text(lc));
		rc = -EINVAL;
	} else {
		rc = cfg_check_ints(text, path, incdir, err, errlen);
	}
	free(text);
	return rc;
}

/* Write "FILE:LINE: KEY: message" for setting @s and return -EINVAL. */
int
cfg_fail(struct cfg_ctx *x, const config_setting_t *s, const char *key, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = cfg_report(x->name, x->err, x->errlen, s, key, fmt, ap);
	va_end(ap);
	return r;
}

int
cfg_get_int(struct cfg_ctx *x, const config_setting_t *s, const char *key, long long min,
	    long long max, long long *out)
{
	long long v;

	*out = 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
		return cfg_fail(x, s, key, "expected an integer, got %s", cfg_type_name(s));
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return cfg_fail(x, s, key, "%lld is out of range %lld..%lld", v, min, max);
	*out = v;
	return 0;
}

int
cfg_get_string(struct cfg_ctx *x, const config_setting_t *s, const char *key, size_t size,
	       const char **out)
{
	const char *v;

	*out = "";
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_fail(x, s, key, "expected a string, got %s", cfg_type_name(s));
	v = config_setting_get_string(s);
	if (v[0] == '\0')
		return cfg_fail(x, s, key, "must not be empty");
	if (strlen(v) >= size)
		return cfg_fail(x, s, key, "longer than %zu characters", size - 1);
	*out = v;
	return 0;
}

/* A role or chain name: 1..31 of [A-Za-z0-9_.-]. */
int
cfg_get_name(struct cfg_ctx *x, const config_setting_t *s, const char *key, const char **out)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
	int rc;

	rc = cfg_get_string(x, s, key, CFG_NAME_LEN, out);
	if (rc == 0 && (*out)[strspn(*out, ok)] != '\0')
		rc = cfg_fail(x, s, key, "'%s': use only letters, digits, '_', '-', '.'", *out);
	return rc;
}

/* A list of groups; an empty array "[]" is accepted as an empty list. */
int
cfg_check_list(struct cfg_ctx *x, const config_setting_t *s, const char *key)
{
	if (config_setting_type(s) == CONFIG_TYPE_LIST)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0)
		return 0;
	return cfg_fail(x, s, key, "expected a list ( { ... }, ... ), got %s", cfg_type_name(s));
}

/*
 * Check that @g is a group whose members are among the @n keys @names, the
 * first @nreq of them required; store them in @found in that order (NULL
 * for an optional key not given). Returns 0 or -EINVAL with the reason.
 */
int
cfg_members_opt(struct cfg_ctx *x, const config_setting_t *g, const char *key,
		const char *shape, const char *const names[], unsigned int n, unsigned int nreq,
		const config_setting_t *found[])
{
	char mkey[CFG_KEY_LEN];
	unsigned int i, j;

	if (!config_setting_is_group(g))
		return cfg_fail(x, g, key, "expected a group %s, got %s", shape, cfg_type_name(g));
	memset(found, 0, n * sizeof(*found));
	for (i = 0; i < (unsigned int)config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, i);

		for (j = 0; j < n && strcmp(config_setting_name(m), names[j]) != 0; j++)
			;
		if (j == n) {
			snprintf(mkey, sizeof(mkey), "%s.%s", key, config_setting_name(m));
			return cfg_fail(x, m, mkey, "unknown key");
		}
		found[j] = m;
	}
	for (j = 0; j < nreq; j++)
		if (found[j] == NULL)
			return cfg_fail(x, g, key, "missing key '%s'", names[j]);
	return 0;
}

/* cfg_members_opt() with every key required. */
int
cfg_members(struct cfg_ctx *x, const config_setting_t *g, const char *key, const char *shape,
	    const char *const names[], unsigned int n, const config_setting_t *found[])
{
	return cfg_members_opt(x, g, key, shape, names, n, n, found);
}

