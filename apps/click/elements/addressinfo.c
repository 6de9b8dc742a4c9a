/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AddressInfo(NAME ADDRESS [ADDRESS...], ...) — names for IPv4 addresses,
 * prefixes ("NAME" or "NAME:ipnet" for a prefix; "NAME:ip" its address)
 * and Ethernet addresses ("NAME:eth"), usable in every later argument.
 * Configured before every other element. IPv6 addresses are skipped. A
 * name given again keeps the later value of each kind, with Click's
 * warning when it differs ("a" IP addresses conflict).
 */
#include <arpa/inet.h>

#include "ck_elem.h"

/* Click's words for enum ck_addr_conflict. */
static const char *const conflicts[] = {
	[CK_ADDR_IPS] = "IP addresses",
	[CK_ADDR_PREFIXES] = "IP address prefixes",
	[CK_ADDR_IP_PREFIX] = "IP address and IP address prefix",
	[CK_ADDR_ETHERS] = "Ethernet addresses",
};

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
			int d;

			if (ck_parse_prefix(NULL, w[j], &ip, &mask, false) == 0) {
				d = ck_addr_define(e->r, w[0], 'i', (uint8_t *)&ip, mask);
			} else if (ck_parse_ip(NULL, w[j], &ip) == 0) {
				d = ck_addr_define(e->r, w[0], 'i', (uint8_t *)&ip, 0xffffffffu);
			} else if (ck_parse_eth(NULL, w[j], mac) == 0) {
				d = ck_addr_define(e->r, w[0], 'e', mac, 0);
			} else if (!strchr(w[j], ':')) {
				rc = ck_error(e, "'%s' is not an address", w[j]);
				break;
			} else {
				continue; /* IPv6: skipped */
			}
			if (d < 0)
				rc = ck_error(e, "out of memory");
			else if (d > 0)
				/* as Click's: the later value stands */
				ck_warning(e, "\"%s\" %s conflict", w[0], conflicts[d]);
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
