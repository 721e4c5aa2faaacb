// SPDX-License-Identifier: BSD-2-Clause
/* kcore offsetof TYPE.MEMBER... and kcore sizeof TYPE... (BTF). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcore.h"

int
cmd_offsetof(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	int ret = KCORE_EXIT_OK;

	if (argc < 1) {
		kcore_usage_error("usage: kcore offsetof TYPE.MEMBER...");
		return KCORE_EXIT_USAGE;
	}
	if (o->json)
		putchar('[');
	for (int i = 0; i < argc; i++) {
		char *type = strdup(argv[i]);
		char *dot = type ? strchr(type, '.') : NULL;
		if (!dot || dot == type || !dot[1]) {
			free(type);
			if (o->json)
				puts("]");
			kcore_usage_error("'%s' is not TYPE.MEMBER", argv[i]);
			return KCORE_EXIT_USAGE;
		}
		*dot = '\0';
		uint64_t off, size;
		int err = kvm_type_offsetof(kd, type, dot + 1, &off, &size);
		if (err && kvm_geterrcode(kd) != KVM_ENOENT) {
			free(type);
			if (o->json)
				puts("]");
			return kcore_fail(kd, "offsetof");
		}
		if (o->json) {
			printf("%s{\"type\": ", i ? ", " : "");
			json_string(stdout, type);
			printf(", \"member\": ");
			json_string(stdout, dot + 1);
			if (err)
				printf(", \"offset\": null, \"size\": null}");
			else
				printf(", \"offset\": %" PRIu64
				       ", \"size\": %" PRIu64 "}",
				       off, size);
		} else if (err) {
			fprintf(stderr, "kcore: %s\n", kvm_geterr(kd));
		} else {
			printf("%s.%s\toffset %" PRIu64 " (0x%" PRIx64
			       ")\tsize %" PRIu64 "\n",
			       type, dot + 1, off, off, size);
		}
		if (err)
			ret = KCORE_EXIT_PARTIAL;
		free(type);
	}
	if (o->json)
		puts("]");
	return ret;
}

int
cmd_sizeof(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	int ret = KCORE_EXIT_OK;

	if (argc < 1) {
		kcore_usage_error("usage: kcore sizeof TYPE...");
		return KCORE_EXIT_USAGE;
	}
	if (o->json)
		putchar('[');
	for (int i = 0; i < argc; i++) {
		uint64_t size;
		int err = kvm_type_size(kd, argv[i], &size);
		if (err && kvm_geterrcode(kd) != KVM_ENOENT) {
			if (o->json)
				puts("]");
			return kcore_fail(kd, "sizeof");
		}
		if (o->json) {
			printf("%s{\"type\": ", i ? ", " : "");
			json_string(stdout, argv[i]);
			if (err)
				printf(", \"size\": null}");
			else
				printf(", \"size\": %" PRIu64 "}", size);
		} else if (err) {
			fprintf(stderr, "kcore: %s\n", kvm_geterr(kd));
		} else {
			printf("%s\t%" PRIu64 "\n", argv[i], size);
		}
		if (err)
			ret = KCORE_EXIT_PARTIAL;
	}
	if (o->json)
		puts("]");
	return ret;
}
