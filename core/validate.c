/* SPDX-License-Identifier: BSD-3-Clause */
#include "validate.h"

static const char *const drop_names[] = {
#define CORE_DROP_NAME(n) #n,
	CORE_DROP_REASONS(CORE_DROP_NAME)
#undef CORE_DROP_NAME
};

/* Name of drop reason @r, or "?" for an unknown one. */
const char *
core_drop_name(unsigned int r)
{
	return r < CORE_DROP_MAX ? drop_names[r] : "?";
}
