// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for the ELF vmcore format: the input becomes a memfd that
 * kvm_openfiles() opens through /proc/self/fd/N, then the public API reads
 * it the way kcore would (info, phys ranges, VMCOREINFO, virtual reads at
 * kernel addresses fixed and taken from the input, physical reads, and a
 * write of bytes just read, on inputs of odd size, opened O_RDWR).
 *
 * Beyond "no crash, no leak, no hang", it aborts when the kvm(3) contract
 * breaks: a failure must leave a one-line message, a read returns -1 or
 * 0..len and never runs past 2^64, the physical ranges are sorted and not
 * empty.  Built two ways (CMakeLists.txt):
 * with libFuzzer, and with standalone.c to replay the corpus under ctest.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kvm.h>

#include "fuzz_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where Linux puts things on x86_64 (arch/x86/include/asm/page_64_types.h). */
#define START_KERNEL 0xffffffff81000000ULL   /* __START_KERNEL, no KASLR */
#define START_KERNEL_MAP 0xffffffff80000000ULL
#define DIRECT_MAP_4L 0xffff888000000000ULL  /* page_offset_base, 4-level */
#define DIRECT_MAP_5L 0xff11000000000000ULL  /* page_offset_base, 5-level */

static void
read_virt(kvm_t *kd, uint64_t va, size_t len)
{
	static uint8_t buf[8192 + 16];

	if (len > sizeof(buf))
		len = sizeof(buf);
	ssize_t n = kvm_read2(kd, va, buf, len);
	fd_must(n >= -1 && n <= (ssize_t)len, "kvm_read2 result out of range");
	if (va + len < va)
		fd_must(n <= (ssize_t)(0 - va), "kvm_read2 ran past 2^64");
	if (n != (ssize_t)len)
		fd_check_msg(kvm_geterr(kd), "short kvm_read2 without a message");

	uint64_t pa, valid;
	if (kvm_kvatop(kd, va, &pa, &valid) == 0)
		fd_must(valid > 0, "kvm_kvatop: 0 valid bytes");
	else
		fd_check_msg(kvm_geterr(kd), "kvm_kvatop failed without a message");
}

static void
read_phys(kvm_t *kd, uint64_t pa, size_t len)
{
	static uint8_t buf[8192];

	if (len > sizeof(buf))
		len = sizeof(buf);
	ssize_t n = kvm_read_phys(kd, pa, buf, len);
	fd_must(n >= -1 && n <= (ssize_t)len, "kvm_read_phys result out of range");
	if (pa + len < pa)
		fd_must(n <= (ssize_t)(0 - pa), "kvm_read_phys ran past 2^64");
	if (n != (ssize_t)len)
		fd_check_msg(kvm_geterr(kd), "short kvm_read_phys without a message");
}

/*
 * Write back what a read returned, so the dump keeps its bytes; on a
 * read-only handle the write must fail.
 */
static void
write_back(kvm_t *kd, uint64_t va, size_t len, int rdwr)
{
	uint8_t buf[64];

	if (len > sizeof(buf))
		len = sizeof(buf);
	ssize_t n = kvm_read2(kd, va, buf, len);
	if (n <= 0)
		return;
	ssize_t w = kvm_write2(kd, va, buf, n);
	fd_must(w >= -1 && w <= n, "kvm_write2 result out of range");
	if (!rdwr)
		fd_must(w == -1, "kvm_write2 succeeded on an O_RDONLY handle");
	if (w != n)
		fd_check_msg(kvm_geterr(kd), "short kvm_write2 without a message");
}

static void
exercise(kvm_t *kd, const uint8_t *data, size_t size, int rdwr)
{
	struct kvm_info info;
	const struct kvm_phys_range *r;
	size_t nr;

	fd_must(kvm_get_info(kd, &info, sizeof(info)) == 0, "kvm_get_info");
	fd_must(info.pgtable_levels == 0 || info.pgtable_levels == 4 ||
		     info.pgtable_levels == 5,
	     "pgtable_levels");
	fd_must(memchr(info.release, '\0', sizeof(info.release)) != NULL,
	     "release not terminated");
	fd_must(kvm_get_phys_ranges(kd, &r, &nr) == 0, "kvm_get_phys_ranges");
	fd_must(nr == info.nranges, "nranges differs from kvm_get_phys_ranges");
	for (size_t i = 0; i < nr; i++) {
		fd_must(r[i].start < r[i].end, "empty or inverted phys range");
		if (i > 0)
			fd_must(r[i - 1].end <= r[i].start, "phys ranges unsorted");
	}
	const char *vmci = kvm_get_vmcoreinfo(kd);
	if (vmci)
		fd_must(strlen(vmci) <= (1u << 20), "VMCOREINFO longer than 1 MiB");
	else
		fd_check_msg(kvm_geterr(kd), "no VMCOREINFO and no message");
	(void)kvm_kerndisp(kd);
	(void)kvm_native(kd);

	/* Kernel text, with and without the KASLR offset; a page-crossing
	 * read; the direct map of the first ranges. */
	uint64_t text = START_KERNEL + (uint64_t)info.kaslr_offset;
	read_virt(kd, text, 64);
	write_back(kd, text, 32, rdwr);
	read_virt(kd, text + 4096 - 8, 16);
	read_virt(kd, START_KERNEL, 8192);
	read_virt(kd, START_KERNEL_MAP, 16);
	for (size_t i = 0; i < nr && i < 4; i++) {
		read_virt(kd, DIRECT_MAP_4L + r[i].start, 32);
		read_virt(kd, DIRECT_MAP_5L + r[i].start, 32);
		read_phys(kd, r[i].start, 64);
		read_phys(kd, r[i].end - 8, 16);
	}
	if (info.pgtable_levels)
		read_phys(kd, info.pgtable_root, 4096);

	/* Addresses the input chooses: its last word and a middle one. */
	uint64_t a = fd_word_at(data, size, size >= 8 ? size - 8 : 0);
	uint64_t b = fd_word_at(data, size, (size / 2) & ~(size_t)7);
	read_virt(kd, a, 16);
	read_virt(kd, b, 4096 + 8);
	read_phys(kd, a, 16);
	read_phys(kd, b & ~0xfffULL, 4096);
	read_phys(kd, UINT64_MAX - 7, 16);
	read_virt(kd, UINT64_MAX - 7, 16);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], errbuf[KVM_ERRBUF_SIZE];
	int fd = memfd_create("fuzz_elf", MFD_CLOEXEC);

	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0) {
			perror("write memfd");
			abort();
		}
		off += n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	errbuf[0] = '\0';
	/* Odd sizes open read-write (kvm_write2 runs), even ones read-only. */
	int rdwr = size & 1;
	kvm_t *kd = kvm_openfiles(NULL, path, NULL, rdwr ? O_RDWR : O_RDONLY,
				  errbuf);
	if (!kd) {
		fd_check_msg(errbuf, "kvm_openfiles failed without a message");
	} else {
		exercise(kd, data, size, rdwr);
		fd_must(kvm_close(kd) == 0, "kvm_close");
	}
	close(fd);
	return 0;
}
