/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DriverManager(INSTRUCTION, ...) — a Script of TYPE DRIVER (script.c): it
 * steps on the router's stop events instead of the run count (CLICK-SCOPE
 * §e.3; `pause`/`wait_stop [N]` wait for N of them) and the run ends with
 * `stop` or after the last instruction. No instructions: "wait_stop, stop".
 */
#include "script.h"

static int
dm_configure(struct ck_element *e)
{
	CK_PRIV(e, struct script)->type = SC_DRIVER;
	return sc_configure(e, false);
}

const struct ck_element_class ck_class_DriverManager = {
	.name = "DriverManager", .ports = "-/-", .processing = "ah/ah", .flow = "#/#",
	.priv_size = sizeof(struct script), .configure = dm_configure,
	.initialize = sc_initialize, .push = sc_push, .pull = sc_pull,
	.stop_event = sc_stop_event, .cleanup = sc_cleanup,
	.handlers = sc_handlers, .lookup_handler = sc_lookup_handler,
	.list_handlers = sc_list_handlers,
};
