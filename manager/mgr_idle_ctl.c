/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_idle_ctl.c — the control requests of the idle VM pool (mgr_ctl.c's
 * protocol, one request line, one JSON answer):
 *
 *   idle list                       {"ok": true, "idle": [ {name, state, ...} ],
 *                                    "provisioned": N, "replaced": N, "retired": N,
 *                                    "template": {state, bytes, ...} or null}
 *   nf start ROLE QUEUES CMDLINE    {"ok": true, "nf_id": I, "vm": "idle0",
 *                                    "start_ms": [attach, hot-plug, agent, live]}
 *   nf stop ID                      {"ok": true, "message": "..."}
 *   nf move ID [SAVE | LOAD]        {"ok": true, "nf_id": NEW, "vm": "idle1", "from": ID,
 *                                    "move_ms": [save, start, load, stop]}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mgr_idle.h"

static struct json_object *
idle_ctl_answer(bool ok, const char *key, const char *text)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	if (key != NULL)
		json_object_object_add(o, key, json_object_new_string(text));
	return o;
}

/* A decimal number in @lo..@hi at *@s, followed by a space or the end;
 * *@s moves past it. -1 when there is none. */
static long
idle_ctl_num(const char **s, long lo, long hi)
{
	char *end;
	long v;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	v = strtol(*s, &end, 10);
	if (errno != 0 || v < lo || v > hi || (*end != ' ' && *end != '\0'))
		return -1;
	*s = end + (*end == ' ');
	return v;
}

static struct json_object *
idle_ctl_list(struct mgr *m)
{
	struct json_object *o = idle_ctl_answer(true, NULL, NULL), *a = json_object_new_array();
	uint64_t now = mgr_now_ms();
	unsigned int i;

	for (i = 0; m->idle != NULL && i < m->idle->nb; i++)
		json_object_array_add(a, mgr_idle_json(&m->idle->vms[i], now));
	json_object_object_add(o, "idle", a);
	json_object_object_add(o, "provisioned",
			       json_object_new_int(m->idle ? (int)m->idle->provisioned : 0));
	json_object_object_add(o, "replaced",
			       json_object_new_int(m->idle ? (int)m->idle->replaced : 0));
	json_object_object_add(o, "retired",
			       json_object_new_int(m->idle ? (int)m->idle->retired : 0));
	if (m->idle != NULL)
		json_object_object_add(o, "template", mgr_idle_tpl_json(m));
	return o;
}

static struct json_object *
idle_ctl_start(struct mgr *m, const char *args)
{
	long role = idle_ctl_num(&args, 0, 255), queues = idle_ctl_num(&args, 1, 8);
	struct mgr_idle_vm *v;
	struct json_object *o, *t;
	char err[MGR_ERR_LEN];
	unsigned int i;

	if (role < 0 || queues < 0 || *args == '\0')
		return idle_ctl_answer(false, "error", "usage: nf start ROLE(0..255) "
				       "QUEUES(1..8) CMDLINE");
	v = mgr_idle_start_nf(m, (uint16_t)role, (uint16_t)queues, args, err, sizeof(err));
	if (v == NULL)
		return idle_ctl_answer(false, "error", err);
	o = idle_ctl_answer(true, "vm", v->name);
	json_object_object_add(o, "nf_id", json_object_new_int((int)v->att.nf_id));
	json_object_object_add(o, "role", json_object_new_int((int)role));
	t = json_object_new_array();
	for (i = 0; i < 4; i++)
		json_object_array_add(t, json_object_new_int((int)v->timing_ms[i]));
	json_object_object_add(o, "start_ms", t);
	return o;
}

static struct json_object *
idle_ctl_stop(struct mgr *m, const char *args)
{
	long id = idle_ctl_num(&args, 0, 65535);
	struct mgr_idle_vm *v;
	char err[MGR_ERR_LEN], msg[64];

	if (id < 0 || *args != '\0')
		return idle_ctl_answer(false, "error", "usage: nf stop ID");
	v = mgr_idle_find_nf(m, (uint32_t)id);
	if (v == NULL) {
		snprintf(msg, sizeof(msg), "no NF with id %ld runs in an idle VM", id);
		return idle_ctl_answer(false, "error", msg);
	}
	if (mgr_idle_stop_nf(v, err, sizeof(err)) < 0)
		return idle_ctl_answer(false, "error", err);
	return idle_ctl_answer(true, "message", err);
}

static struct json_object *
idle_ctl_move(struct mgr *m, char *args)
{
	long id = idle_ctl_num((const char **)&args, 0, 65535);
	struct mgr_idle_vm *v;
	struct json_object *o, *a;
	char err[MGR_ERR_LEN], *save = NULL, *load = NULL, *bar;
	unsigned int t[4], i;

	if (id < 0)
		return idle_ctl_answer(false, "error", "usage: nf move ID [SAVE-COMMAND | "
				       "LOAD-COMMAND]");
	if (*args != '\0') {
		bar = strstr(args, " | ");
		if (bar == NULL || bar == args || bar[3] == '\0')
			return idle_ctl_answer(false, "error", "nf move: the state is saved and "
					       "loaded by two commands: SAVE | LOAD");
		*bar = '\0';
		save = args;
		load = bar + 3;
	}
	v = mgr_idle_find_nf(m, (uint32_t)id);
	if (v == NULL) {
		snprintf(err, sizeof(err), "no NF with id %ld runs in an idle VM", id);
		return idle_ctl_answer(false, "error", err);
	}
	v = mgr_idle_move_nf(v, save, load, t, err, sizeof(err));
	if (v == NULL)
		return idle_ctl_answer(false, "error", err);
	o = idle_ctl_answer(true, "vm", v->name);
	json_object_object_add(o, "nf_id", json_object_new_int((int)v->att.nf_id));
	json_object_object_add(o, "from", json_object_new_int((int)id));
	a = json_object_new_array();
	for (i = 0; i < 4; i++)
		json_object_array_add(a, json_object_new_int((int)t[i]));
	json_object_object_add(o, "move_ms", a);
	return o;
}

/* The answer to request @req when it is one of the idle pool's (idle list,
 * nf start, nf stop, nf move), or NULL when it is not. */
struct json_object *
mgr_idle_ctl(struct mgr *m, const char *req)
{
	char line[2 * MGR_CFG_NF_LEN];

	if (snprintf(line, sizeof(line), "%s", req) >= (int)sizeof(line))
		return strncmp(req, "nf start ", 9) == 0 ?
		       idle_ctl_answer(false, "error", "nf start: the request is too long") : NULL;
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "idle list") == 0)
		return idle_ctl_list(m);
	if (strncmp(line, "nf start ", 9) == 0)
		return idle_ctl_start(m, line + 9);
	if (strncmp(line, "nf stop ", 8) == 0)
		return idle_ctl_stop(m, line + 8);
	if (strncmp(line, "nf move ", 8) == 0)
		return idle_ctl_move(m, line + 8);
	return NULL;
}
