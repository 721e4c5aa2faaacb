// SPDX-License-Identifier: BSD-2-Clause
/* kcore info: what the target is (format, arch, release, KASLR, memory). */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "kcore.h"

static void
print_kaslr(FILE *f, const struct kvm_info *i, bool json)
{
	if (!i->kaslr_known) {
		fputs(json ? "null" : "unknown", f);
		return;
	}
	uint64_t mag = i->kaslr_offset < 0 ? -(uint64_t)i->kaslr_offset
					   : (uint64_t)i->kaslr_offset;
	fprintf(f, "%s%s0x%" PRIx64 "%s", json ? "\"" : "",
		i->kaslr_offset < 0 ? "-" : "", mag, json ? "\"" : "");
}

/* A truncated dump is a partial answer, said on stderr as well. */
static int
info_status(const struct kvm_info *i)
{
	if (!i->truncated)
		return KCORE_EXIT_OK;
	fprintf(stderr, "kcore: info: %s\n", i->truncation);
	return KCORE_EXIT_PARTIAL;
}

int
cmd_info(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	struct kvm_info i;
	const struct kvm_phys_range *r;
	size_t nr;

	if (argc > 0) {
		kcore_usage_error("info takes no arguments (got '%s')",
				  argv[0]);
		return KCORE_EXIT_USAGE;
	}
	if (kvm_get_info(kd, &i, sizeof(i)) < 0 ||
	    kvm_get_phys_ranges(kd, &r, &nr) < 0)
		return kcore_fail(kd, "info");
	uint64_t total = 0;
	for (size_t k = 0; k < nr; k++)
		total += r[k].end - r[k].start;

	if (o->json) {
		printf("{\"format\": ");
		json_string(stdout, i.format);
		printf(", \"arch\": ");
		json_string(stdout, i.arch);
		printf(", \"release\": ");
		if (i.release[0])
			json_string(stdout, i.release);
		else
			printf("null");
		printf(", \"page_size\": %u, \"kaslr_offset\": ", i.page_size);
		print_kaslr(stdout, &i, true);
		printf(", \"vmcoreinfo\": %s", i.vmcoreinfo ? "true" : "false");
		printf(", \"pgtable_levels\": %d, \"pgtable_root\": ",
		       i.pgtable_levels);
		if (i.pgtable_levels)
			json_hex(stdout, i.pgtable_root);
		else
			printf("null");
		printf(", \"byte_order\": \"%s\", \"ptr_size\": %d",
		       i.big_endian ? "big" : "little", i.ptr_size);
		printf(", \"live\": %s, \"cpus\": %d",
		       i.live ? "true" : "false", i.ncpus);
		printf(", \"crash_time\": ");
		if (i.crash_time)
			printf("%" PRIu64, i.crash_time);
		else
			printf("null");
		printf(", \"dump_level\": ");
		if (i.dump_level >= 0)
			printf("%d", i.dump_level);
		else
			printf("null");
		/* Only when there is one: the usual output stays as it was. */
		if (i.warning[0]) {
			printf(", \"warning\": ");
			json_string(stdout, i.warning);
		}
		printf(", \"file_size\": %" PRIu64, i.file_size);
		if (i.expected_size)
			printf(", \"expected_size\": %" PRIu64,
			       i.expected_size);
		printf(", \"truncated\": %s", i.truncated ? "true" : "false");
		if (i.truncated) {
			printf(", \"truncation\": ");
			json_string(stdout, i.truncation);
		}
		printf(", \"memory_bytes\": %" PRIu64 ", \"phys_ranges\": [",
		       total);
		for (size_t k = 0; k < nr; k++) {
			printf("%s{\"start\": ", k ? ", " : "");
			json_hex(stdout, r[k].start);
			printf(", \"end\": ");
			json_hex(stdout, r[k].end);
			printf("}");
		}
		printf("]}\n");
		return info_status(&i);
	}

	printf("format          %s\n", i.format);
	printf("arch            %s (%s-endian, %d-bit)\n", i.arch,
	       i.big_endian ? "big" : "little", i.ptr_size * 8);
	printf("release         ");
	text_string(stdout, i.release[0] ? i.release : "unknown");
	putchar('\n');
	printf("page size       %u\n", i.page_size);
	printf("KASLR offset    ");
	print_kaslr(stdout, &i, false);
	printf("\nVMCOREINFO      %s\n", i.vmcoreinfo ? "yes" : "no");
	if (i.pgtable_levels)
		printf("page tables     %d-level, root 0x%" PRIx64 "\n",
		       i.pgtable_levels, i.pgtable_root);
	else
		printf("page tables     none found (virtual reads fail)\n");
	printf("CPUs            %d\n", i.ncpus);
	if (i.crash_time) {
		char buf[64];
		kcore_time_text(i.crash_time, buf, sizeof(buf));
		printf("crash time      %s\n", buf);
	}
	if (!i.live && i.pgtable_levels) {
		/*
		 * Why it stopped, as the log tells it: a log read, no
		 * symbols (kcore panic looks at the CPUs and the stack too;
		 * --json info keeps its keys).
		 */
		const struct kvm_crash *c = kvm_getcrash2(kd, KVM_CRASH_LOG);
		if (c && c->kc_panicked) {
			printf("panic           ");
			text_string(stdout, c->kc_title);
			putchar('\n');
		} else if (c && !c->kc_unknown[0]) {
			printf("panic           none in the log%s\n",
			       i.crash_time ? ""
					    : " (a dump of a running kernel)");
		}
		kvm_clearerr(kd);
	}
	if (i.dump_level >= 0)
		printf("dump level      %d (pages left out:%s%s%s%s)\n",
		       i.dump_level, i.dump_level & 1 ? " zero" : "",
		       i.dump_level & 6 ? " cache" : "",
		       i.dump_level & 8 ? " user" : "",
		       i.dump_level & 16 ? " free" : "");
	if (i.warning[0])
		printf("warning         %s\n", i.warning);
	printf("memory          %.1f MiB in %zu range%s\n", total / 1048576.0,
	       nr, nr == 1 ? "" : "s");
	for (size_t k = 0; k < nr; k++)
		printf("                0x%016" PRIx64 "-0x%016" PRIx64 "\n",
		       r[k].start, r[k].end - 1);
	if (i.truncated)
		printf("truncated       %s\n", i.truncation);
	return info_status(&i);
}
