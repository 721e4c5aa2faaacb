// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvmread: the checker for what kcore cannot ask (libkdumpfile's
 * tests/dumpdata model).  It opens a dump with kvm_open2() and the open
 * flags kcore has no option for, then prints what the public API returns:
 *
 *   kvmread [-z] [-r] -M FILE phys ADDR LEN   kvm_read_phys(), hex dump
 *   kvmread [-z] [-r] -M FILE virt ADDR LEN   kvm_read2(), hex dump
 *   kvmread [-z] [-r] -M FILE ranges          format, arch, phys ranges
 *
 *   -z   O_RDONLY | KVM_ZERO_EXCLUDED: excluded pages read as zeros
 *   -r   O_RDONLY | KVM_RAW_PHYS: FILE is a raw image of physical memory
 *
 * A read that stops short prints what it got, then one line "kvmread:
 * phys|virt ADDR: MESSAGE" on stderr, and exits 1; a failed open prints
 * "kvmread: MESSAGE" and exits 1; a usage error exits 2.  Public API only.
 */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvm.h>

#define MAX_LEN (1u << 20)

static void
hexdump_line(uint64_t addr, const uint8_t *p, size_t n)
{
	printf("%016" PRIx64 " ", addr);
	for (size_t i = 0; i < 16; i++) {
		if (i == 8)
			putchar(' ');
		if (i < n)
			printf(" %02x", p[i]);
		else
			fputs("   ", stdout);
	}
	fputs("  |", stdout);
	for (size_t i = 0; i < n; i++)
		putchar(isprint(p[i]) ? p[i] : '.');
	puts("|");
}

static bool
parse_u64(const char *s, uint64_t *ret)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	*ret = strtoull(s, &end, 0);
	return *end == '\0';
}

static int
usage(void)
{
	fputs("usage: kvmread [-z] [-r] -M FILE phys|virt ADDR LEN\n"
	      "       kvmread [-z] [-r] -M FILE ranges\n",
	      stderr);
	return 2;
}

static int
do_read(kvm_t *kd, bool phys, const char *a, const char *l)
{
	uint64_t addr, len;

	if (!parse_u64(a, &addr) || !parse_u64(l, &len) || len > MAX_LEN)
		return usage();
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		perror("kvmread");
		return 2;
	}
	ssize_t n = phys ? kvm_read_phys(kd, addr, buf, len)
			 : kvm_read2(kd, addr, buf, len);
	size_t got = n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < got; i += 16)
		hexdump_line(addr + i, buf + i, got - i < 16 ? got - i : 16);
	free(buf);
	if (got < len) {
		fflush(stdout);
		fprintf(stderr, "kvmread: %s 0x%" PRIx64 ": %s\n",
			phys ? "phys" : "virt", addr, kvm_geterr(kd));
		return 1;
	}
	return 0;
}

static int
do_ranges(kvm_t *kd)
{
	struct kvm_info info;
	const struct kvm_phys_range *r;
	size_t nr;

	if (kvm_get_info(kd, &info, sizeof(info)) < 0 ||
	    kvm_get_phys_ranges(kd, &r, &nr) < 0) {
		fprintf(stderr, "kvmread: ranges: %s\n", kvm_geterr(kd));
		return 1;
	}
	printf("format %s, arch %s, page size %u\n", info.format, info.arch,
	       info.page_size);
	for (size_t i = 0; i < nr; i++)
		printf("0x%" PRIx64 "-0x%" PRIx64 "\n", r[i].start,
		       r[i].end - 1);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *core = NULL;
	int flags = O_RDONLY;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-z") == 0)
			flags |= KVM_ZERO_EXCLUDED;
		else if (strcmp(argv[i], "-r") == 0)
			flags |= KVM_RAW_PHYS;
		else if (strcmp(argv[i], "-M") == 0 && i + 1 < argc)
			core = argv[++i];
		else
			return usage();
	}
	if (!core || i >= argc)
		return usage();

	char errbuf[KVM_ERRBUF_SIZE];
	errbuf[0] = '\0';
	kvm_t *kd = kvm_open2(NULL, core, flags, errbuf, NULL);
	if (!kd) {
		fprintf(stderr, "kvmread: %s\n", errbuf);
		return 1;
	}
	int ret;
	if (strcmp(argv[i], "ranges") == 0 && argc - i == 1)
		ret = do_ranges(kd);
	else if ((strcmp(argv[i], "phys") == 0 ||
		  strcmp(argv[i], "virt") == 0) &&
		 argc - i == 3)
		ret = do_read(kd, argv[i][0] == 'p', argv[i + 1], argv[i + 2]);
	else
		ret = usage();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("kvmread: writing output");
		ret = 2;
	}
	kvm_close(kd);
	return ret;
}
