/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mgr_lv_mark.c — the libvirt launcher's ownership mark
 * (mgr_lv_mark.c): which domains netvm-manager takes for a VM of its state
 * directory (to adopt, stop, destroy or undefine) and which it leaves alone.
 * The metadata is written here as libvirt gives it back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mgr_launcher.h"

#define NS "xmlns:netvm=\"urn:netvm:manager\""

static void
test_ours(void **state)
{
	(void)state;
	/* libvirt's own formatting: double quotes */
	assert_true(mgr_lv_mark_is("<netvm:owner " NS " state_dir=\"/var/lib/netvm\" vm=\"v1\"/>",
				   "/var/lib/netvm", "v1"));
	/* as the launcher writes it: single quotes */
	assert_true(mgr_lv_mark_is("<netvm:owner xmlns:netvm='urn:netvm:manager' "
				   "state_dir='/var/lib/netvm' vm='v1'/>", "/var/lib/netvm", "v1"));
	/* entities stand for the characters they name */
	assert_true(mgr_lv_mark_is("<netvm:owner " NS " state_dir=\"/srv/a&amp;b &lt;&gt;&quot;"
				   "&apos;\" vm=\"v1\"/>", "/srv/a&b <>\"'", "v1"));
}

static void
test_not_ours(void **state)
{
	(void)state;
	/* no metadata in our namespace: defined by hand or by an older manager */
	assert_false(mgr_lv_mark_is(NULL, "/var/lib/netvm", "v1"));
	assert_false(mgr_lv_mark_is("", "/var/lib/netvm", "v1"));
	/* another manager's state directory */
	assert_false(mgr_lv_mark_is("<netvm:owner " NS " state_dir=\"/srv/other\" vm=\"v1\"/>",
				    "/var/lib/netvm", "v1"));
	assert_false(mgr_lv_mark_is("<netvm:owner " NS " state_dir=\"/var/lib/netvm/\" "
				    "vm=\"v1\"/>", "/var/lib/netvm", "v1"));
	/* another VM's, also one whose name starts or ends as this one's */
	assert_false(mgr_lv_mark_is("<netvm:owner " NS " state_dir=\"/var/lib/netvm\" vm=\"v2\"/>",
				    "/var/lib/netvm", "v1"));
	assert_false(mgr_lv_mark_is("<netvm:owner " NS " state_dir=\"/var/lib/netvm\" "
				    "vm=\"v10\"/>", "/var/lib/netvm", "v1"));
	assert_false(mgr_lv_mark_is("<netvm:owner " NS " state_dir=\"/var/lib/netvm\" vm=\"v\"/>",
				    "/var/lib/netvm", "v1"));
	/* half a mark */
	assert_false(mgr_lv_mark_is("<netvm:owner " NS " state_dir=\"/var/lib/netvm\"/>",
				    "/var/lib/netvm", "v1"));
	assert_false(mgr_lv_mark_is("<netvm:owner " NS " vm=\"v1\"/>", "/var/lib/netvm", "v1"));
	/* a value not closed, not quoted, or with a character reference */
	assert_false(mgr_lv_mark_is("<netvm:owner " NS " state_dir=\"/var/lib/netvm\" vm=\"v1",
				    "/var/lib/netvm", "v1"));
	assert_false(mgr_lv_mark_is("<netvm:owner " NS " state_dir=/var/lib/netvm vm=v1/>",
				    "/var/lib/netvm", "v1"));
	assert_false(mgr_lv_mark_is("<netvm:owner " NS " state_dir=\"/srv/a&#38;b\" vm=\"v1\"/>",
				    "/srv/a&b", "v1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ours),
		cmocka_unit_test(test_not_ours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
