/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay.c — a main() for builds without libFuzzer (gcc, the sanitizer
 * build): runs a fuzz target once on every file named, directories walked
 * one level, so the corpus in the tree is a regression test everywhere.
 * Exits 1 when a file cannot be read or nothing was run; a broken property
 * aborts, and so does an input that runs longer than the hang limit
 * (-timeout=SECONDS first, as libFuzzer takes it; 10 s by default; 0: none).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define REPLAY_TIMEOUT_DEFAULT 10

static const char *replay_path; /* the input running, for on_alarm() */
static unsigned int replay_timeout = REPLAY_TIMEOUT_DEFAULT;

/* The hang limit passed: name the input, then abort (async-signal-safe). */
static void
on_alarm(int sig)
{
	static const char head[] = "replay: ", tail[] = ": still running after the hang limit\n";
	ssize_t rc;

	(void)sig;
	rc = write(STDERR_FILENO, head, sizeof(head) - 1);
	if (replay_path != NULL)
		rc = write(STDERR_FILENO, replay_path, strlen(replay_path));
	rc = write(STDERR_FILENO, tail, sizeof(tail) - 1);
	(void)rc;
	abort();
}

/* Run the target on the file at @path; 0, or -1 when it cannot be read. */
static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap ? 2 * cap : 4096);

			if (nb == NULL) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
			cap = cap ? 2 * cap : 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* An exact-size copy, so a read past the input is past the allocation. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (exact == NULL) {
			free(buf);
			return -1;
		}
		if (len)
			memcpy(exact, buf, len);
		free(buf);
		replay_path = path;
		alarm(replay_timeout);
		LLVMFuzzerTestOneInput(exact, len);
		alarm(0);
		replay_path = NULL;
		free(exact);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int runs = 0;
	int i = 1, bad = 0;

	if (argc > 1 && strncmp(argv[1], "-timeout=", 9) == 0) {
		char *end;
		unsigned long t;

		errno = 0;
		t = strtoul(argv[1] + 9, &end, 10);
		if (argv[1][9] < '0' || argv[1][9] > '9' || *end != '\0' || errno != 0 ||
		    t > 86400) {
			fprintf(stderr, "replay: %s: not a number of seconds from 0 to 86400\n",
				argv[1]);
			return 1;
		}
		replay_timeout = (unsigned int)t;
		i = 2;
	}
	signal(SIGALRM, on_alarm);
	for (; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			bad = 1;
		} else if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;

			if (d == NULL) {
				fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
				bad = 1;
				continue;
			}
			while ((e = readdir(d)) != NULL) {
				char p[4096];

				if (e->d_name[0] == '.')
					continue;
				snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
				if (replay_file(p) < 0)
					bad = 1;
				else
					runs++;
			}
			closedir(d);
		} else if (replay_file(argv[i]) < 0) {
			bad = 1;
		} else {
			runs++;
		}
	}
	printf("replay: %u inputs run\n", runs);
	if (runs == 0) {
		fprintf(stderr, "replay: no input (usage: %s [-timeout=SECONDS] FILE|DIR...)\n",
			argv[0]);
		return 1;
	}
	return bad;
}
