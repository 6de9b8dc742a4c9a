/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AddressInfo(NAME ADDRESS [ADDRESS...], ...) — names for IPv4 addresses,
 * prefixes ("NAME" or "NAME:ipnet" for a prefix; "NAME:ip" its address)
 * and Ethernet addresses ("NAME:eth"), usable in every later argument.
 * Configured before every other element. IPv6 addresses are skipped.
 */
#include <arpa/inet.h>

#include "ck_elem.h"

static int
addressinfo_configure(struct ck_element *e)
{
	char **args;
	int n = ck_args_split(e->config, &args), rc = 0;

	if (n < 0)
		return ck_error(e, "out of memory");
	for (int i = 0; i < n && rc == 0; i++) {
		char **w;
		int nw = ck_args_words(args[i], &w);

		if (nw < 2) {
			rc = ck_error(e, "expected 'NAME ADDRESS', got '%s'", args[i]);
		}
		for (int j = 1; j < nw && rc == 0; j++) {
			uint32_t ip, mask;
			uint8_t mac[6];

			if (ck_parse_prefix(NULL, w[j], &ip, &mask, false) == 0) {
				uint32_t host = ip;

				if (ck_addr_define(e->r, w[0], 'i', (uint8_t *)&host, mask) < 0)
					rc = ck_error(e, "out of memory");
			} else if (ck_parse_ip(NULL, w[j], &ip) == 0) {
				if (ck_addr_define(e->r, w[0], 'i', (uint8_t *)&ip, 0xffffffffu) < 0)
					rc = ck_error(e, "out of memory");
			} else if (ck_parse_eth(NULL, w[j], mac) == 0) {
				if (ck_addr_define(e->r, w[0], 'e', mac, 0) < 0)
					rc = ck_error(e, "out of memory");
			} else if (!strchr(w[j], ':')) {
				rc = ck_error(e, "'%s' is not an address", w[j]);
			}
		}
		if (nw >= 0)
			ck_args_free(w, nw);
	}
	ck_args_free(args, n);
	return rc;
}

const struct ck_element_class ck_class_AddressInfo = {
	.name = "AddressInfo", .ports = "0/0", .processing = "a/a",
	.configure_phase = -1, .configure = addressinfo_configure,
};
