/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nl_text.h — reading text files line by line with a bound on a line.
 *
 * getline() grows its buffer for as long as no line end comes: a file with
 * none (/dev/zero, a binary file given by mistake) takes all the memory
 * there is before anything is reported. nl_read_line() reads as getline()
 * does and refuses a line longer than the caller's bound instead.
 */
#ifndef NL_TEXT_H
#define NL_TEXT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

/* The longest line the route, flow and rules files may have, without its end. */
#define NL_LINE_MAX 65536

/*
 * Read the next line of @f into *buf (allocated or grown as needed: *cap is
 * its size; free it when done), with its '\n' if it has one, NUL-terminated.
 * Returns the line's length in bytes, '\n' included (>= 1); 0 at the end of
 * the file or on a read error (ferror(@f) tells, errno says why); -EMSGSIZE
 * when the line is longer than @max bytes without its '\n' (what was read of
 * it is lost: the caller stops there); -ENOMEM.
 */
static inline ssize_t
nl_read_line(FILE *f, char **buf, size_t *cap, size_t max)
{
	size_t n = 0;
	int ch = 0;

	while ((ch = getc_unlocked(f)) != EOF) {
		if (n + 2 > *cap) {
			size_t want = *cap < 128 ? 128 : *cap * 2;
			char *bigger;

			if (want > max + 2)
				want = max + 2; /* the line, its '\n' and the NUL */
			if (n + 2 > want)
				return -EMSGSIZE;
			bigger = realloc(*buf, want);
			if (bigger == NULL)
				return -ENOMEM;
			*buf = bigger;
			*cap = want;
		}
		(*buf)[n++] = (char)ch;
		if (ch == '\n')
			break;
		if (n > max)
			return -EMSGSIZE;
	}
	if (n > 0)
		(*buf)[n] = '\0';
	return (ssize_t)n;
}

#endif /* NL_TEXT_H */
