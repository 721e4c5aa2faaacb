// SPDX-License-Identifier: BSD-2-Clause
/* kcore nlist (symbol -> address) and kcore sym (address -> symbol). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcore.h"

int
cmd_nlist(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	if (argc < 1) {
		kcore_usage_error("usage: kcore nlist SYMBOL...");
		return KCORE_EXIT_USAGE;
	}
	struct kvm_nlist *nl = calloc(argc + 1, sizeof(*nl));
	if (!nl) {
		perror("kcore");
		return KCORE_EXIT_OSERR;
	}
	for (int i = 0; i < argc; i++)
		nl[i].n_name = argv[i];
	int missing = kvm_nlist2(kd, nl);
	if (missing < 0) {
		free(nl);
		return kcore_fail(kd, "nlist");
	}
	if (o->json)
		putchar('[');
	for (int i = 0; i < argc; i++) {
		bool found = nl[i].n_type != KVM_N_UNDF;
		if (o->json) {
			printf("%s{\"name\": ", i ? ", " : "");
			json_string(stdout, argv[i]);
			printf(", \"addr\": ");
			if (found)
				json_hex(stdout, nl[i].n_value);
			else
				printf("null");
			printf(", \"found\": %s}", found ? "true" : "false");
		} else if (found) {
			printf("%016" PRIx64 " %s\n", nl[i].n_value, argv[i]);
		}
	}
	/* The library says why the last missing name was not found. */
	if (missing && !o->json)
		fprintf(stderr, "kcore: %s\n", kvm_geterr(kd));
	if (o->json)
		puts("]");
	free(nl);
	return missing ? KCORE_EXIT_PARTIAL : KCORE_EXIT_OK;
}

int
cmd_sym(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	int ret = KCORE_EXIT_OK;

	if (argc < 1) {
		kcore_usage_error("usage: kcore sym ADDR...");
		return KCORE_EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		uint64_t a;
		if (!kcore_parse_u64(argv[i], &a)) {
			kcore_usage_error("bad address '%s'", argv[i]);
			return KCORE_EXIT_USAGE;
		}
	}
	if (o->json)
		putchar('[');
	for (int i = 0; i < argc; i++) {
		uint64_t a, off = 0;
		struct kvm_symbol s;
		kcore_parse_u64(argv[i], &a);
		int err = kvm_sym_byaddr(kd, a, &s, &off);
		if (err && kvm_geterrcode(kd) != KVM_ENOENT) {
			if (o->json)
				puts("]");
			return kcore_fail(kd, "sym");
		}
		if (o->json) {
			printf("%s{\"addr\": ", i ? ", " : "");
			json_hex(stdout, a);
			printf(", \"symbol\": ");
			if (err)
				printf("null, \"offset\": null}");
			else {
				json_string(stdout, s.name);
				printf(", \"offset\": %" PRIu64 "}", off);
			}
		} else if (err) {
			fprintf(stderr, "kcore: 0x%" PRIx64 ": no symbol\n", a);
		} else {
			/* A name from the dump's kallsyms: escaped. */
			printf("%016" PRIx64 " ", a);
			text_string(stdout, s.name);
			if (off)
				printf("+0x%" PRIx64, off);
			putchar('\n');
		}
		if (err)
			ret = KCORE_EXIT_PARTIAL;
	}
	if (o->json)
		puts("]");
	return ret;
}
