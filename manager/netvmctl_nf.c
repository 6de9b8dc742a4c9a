/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvmctl nf cmd / vm cmd: a command for an NF through the core engine's
 * command socket (<core.socket>.ctl, docs/control.md), which relays
 * it over the NF's control channel (docs/abi.md §6), host process or guest.
 *
 *   netvmctl [-c CORE_SOCKET] [-f FILE] [-t SECONDS] nf cmd ID WORD...
 *   netvmctl [-f FILE] [-t SECONDS] vm cmd NAME WORD...
 *
 * The words are the command's first line; with -f the file's bytes follow it
 * (FILE "-": standard input), so a file reaches an NF in a VM as well.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mgr_corecmd.h"
#include "netvm_abi.h"
#include "netvmctl.h"

#define FILE_MAX NVM_CTL_MAX_LEN

long
ctl_nf_id(const char *s)
{
	unsigned long v = 0;
	size_t i, z = strspn(s, "0"); /* leading zeros: any number of them */

	if (z > 0 && s[z] == '\0')
		return 0;
	for (i = z; s[i] >= '0' && s[i] <= '9' && i < z + 6; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	return i == z || s[i] != '\0' || v > 65535 ? -1 : (long)v;
}

/* Read all of @path ("-": stdin) into a malloc'd buffer: at most FILE_MAX
 * bytes (one more is read to tell a longer file). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 65536, n = 0;
	char *buf;

	if (f == NULL) {
		fprintf(stderr, "netvmctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap);
	while (buf != NULL) {
		size_t got;

		if (n > FILE_MAX) {
			fprintf(stderr, "netvmctl: %s: larger than %u bytes\n", path, FILE_MAX);
			free(buf);
			buf = NULL;
			break;
		}
		if (n == cap) {
			/* FILE_MAX and a byte more, the most ever read */
			size_t want = cap * 2 > FILE_MAX ? (size_t)FILE_MAX + 1 : cap * 2;
			char *bigger = realloc(buf, want);

			if (bigger == NULL) {
				fprintf(stderr, "netvmctl: %s: out of memory\n", path);
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap = want;
		}
		errno = 0;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				/* a directory opens, and says EISDIR at its first read */
				fprintf(stderr, "netvmctl: %s: %s\n", path,
					errno != 0 ? strerror(errno) : "read error");
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

/* Send @req to NF @id (CTL_CORE: the core) through mgr_core_ask(); 0, or -1
 * after saying why. */
static int
core_ask(const char *core_sock, int id, const char *req, size_t len,
	 unsigned int timeout_s, int *status, char **answer)
{
	char err[512];

	if (mgr_core_ask(core_sock, id == CTL_CORE ? MGR_CORE_SELF : id, req, len,
			 timeout_s * 1000, status, answer, err, sizeof(err)) < 0) {
		fprintf(stderr, "netvmctl: %s\n", err);
		return -1;
	}
	return 0;
}

/* The NF instance id of VM @name and the manager's core socket, from the
 * manager's "vm list" answer @reply. Returns the id or -1 after saying why. */
int
ctl_vm_nf_id(struct json_object *reply, const char *name, const char **core_sock)
{
	struct json_object *vms, *sock;
	size_t i;

	if (json_object_object_get_ex(reply, "core_socket", &sock))
		*core_sock = json_object_get_string(sock);
	if (!json_object_object_get_ex(reply, "vms", &vms) ||
	    !json_object_is_type(vms, json_type_array)) {
		fprintf(stderr, "netvmctl: unexpected answer from the manager\n");
		return -1;
	}
	for (i = 0; i < json_object_array_length(vms); i++) {
		struct json_object *vm = json_object_array_get_idx(vms, i), *v, *id;

		if (!json_object_object_get_ex(vm, "name", &v) ||
		    strcmp(json_object_get_string(v), name) != 0)
			continue;
		if (!json_object_object_get_ex(vm, "nf_id", &id) || id == NULL) {
			fprintf(stderr, "netvmctl: VM %s has no NF attached now (see 'vm list')\n",
				name);
			return -1;
		}
		return json_object_get_int(id);
	}
	fprintf(stderr, "netvmctl: no VM named %s (see 'vm list')\n", name);
	return -1;
}

/*
 * Send the command @words (@n of them) and the file @file (or none) to NF
 * @id, or to the core itself when @id is CTL_CORE; print the answer.
 * Returns the exit status: 0, 1 (refused or failed).
 */
int
ctl_nf_cmd(const char *core_sock, int id, int n, char **words, const char *file,
	   unsigned int timeout_s, bool json)
{
	size_t len = 0, flen = 0, i;
	char *req, *data = NULL, *answer = NULL;
	int status = 0, r;

	if (file != NULL && (data = slurp(file, &flen)) == NULL)
		return 1;
	for (i = 0; i < (size_t)n; i++)
		len += strlen(words[i]) + 1;
	if (len + flen > NVM_CTL_MAX_LEN) {
		fprintf(stderr, "netvmctl: the command line (%zu bytes) and %s (%zu bytes) are "
			"longer than %u bytes in all\n", len, file != NULL ? file : "no file",
			flen, NVM_CTL_MAX_LEN);
		free(data);
		return 1;
	}
	req = malloc(len + flen + 1);
	if (req == NULL) {
		fprintf(stderr, "netvmctl: out of memory\n");
		free(data);
		return 1;
	}
	len = 0;
	for (i = 0; i < (size_t)n; i++)
		len += (size_t)sprintf(req + len, "%s%s", words[i], i + 1 < (size_t)n ? " " : "\n");
	if (flen > 0)
		memcpy(req + len, data, flen);
	free(data);
	r = core_ask(core_sock, id, req, len + flen, timeout_s, &status, &answer);
	free(req);
	if (r < 0)
		return 1;
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "ok", json_object_new_boolean(status == 0));
		json_object_object_add(o, "status", json_object_new_int(status));
		json_object_object_add(o, "answer", json_object_new_string(answer));
		ctl_json_print(o);
		json_object_put(o);
	} else if (status == 0) {
		fputs(answer, stdout);
	} else {
		char who[32], why[64];

		if (id == CTL_CORE)
			snprintf(who, sizeof(who), "core");
		else
			snprintf(who, sizeof(who), "nf %d", id);
		/* an NF may answer any int: -INT_MIN is no int */
		if (status < 0 && status >= -4095)
			snprintf(why, sizeof(why), "%s", strerror(-status));
		else
			snprintf(why, sizeof(why), "status %d, which is no errno", status);
		fprintf(stderr, "netvmctl: %s: %s%s%s", who, why, answer[0] ? ": " : "\n", answer);
		if (answer[0] && answer[strlen(answer) - 1] != '\n')
			fputc('\n', stderr);
	}
	free(answer);
	return status == 0 ? 0 : 1;
}
