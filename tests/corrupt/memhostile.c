// SPDX-License-Identifier: BSD-2-Clause
/*
 * Memory-level cases of the corruption matrix: damage the kernel's own
 * data in a copy of an ELF dump, so that what the library reads out of
 * the target is hostile while the file format stays valid.  Virtual
 * addresses are written with kvm_write2() on an O_RDWR handle (as
 * tests/fixtures/fixture_prochostile.c does); page-table entries, which
 * are physical, straight into the file through its PT_LOAD headers.
 * Layouts: task_struct and mm_struct from the dump's BTF; the printk ring
 * (kernel/printk/printk_ringbuffer.h, Linux 5.10+) and the kallsyms
 * tables (kernel/kallsyms.c) from VMCOREINFO; x86_64 4-level and arm64
 * 4K-granule table entries (arch/x86/include/asm/pgtable_types.h,
 * arch/arm64/include/asm/pgtable-hwdef.h).
 *
 *   memhostile list
 *   memhostile apply COPY CASE   (exit 77: the case does not apply here)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kvm.h>

static const char *const names[] = {
	"mem-tasks-cycle",	   "mem-tasks-self",
	"mem-tasks-garbage",	   "mem-tasks-prev-garbage",
	"mem-tasks-into-nowhere",  "mem-mm-self-task",
	"mem-mm-self-ptr",	   "mem-mm-garbage",
	"mem-mm-argv-huge",	   "mem-thread-node-self",
	"mem-parent-garbage",	   "mem-parent-self",
	"mem-comm-no-nul",	   "mem-pgd-self",
	"mem-pgd-garbage",	   "mem-pgd-beyond-memory",
	"mem-pgd-all-ff",	   "mem-pgd-all-self",
	"mem-pud-self",		   "mem-pud-garbage",
	"mem-pud-huge-garbage",	   "mem-pmd-self",
	"mem-pmd-all-ff",	   "mem-prb-ptr-garbage",
	"mem-prb-ptr-null",	   "mem-prb-count-bits-63",
	"mem-prb-count-bits-ff",   "mem-prb-descs-garbage",
	"mem-prb-infos-garbage",   "mem-prb-head-id-garbage",
	"mem-prb-tail-id-garbage", "mem-prb-head-tail-swapped",
	"mem-prb-text-size-bits-63", "mem-prb-text-data-garbage",
	"mem-prb-text-lpos-garbage", "mem-prb-all-text-len-ffff",
	"mem-prb-all-lpos-garbage", "mem-prb-all-state-garbage",
	"mem-ksym-num-syms-huge",  "mem-ksym-num-syms-zero",
	"mem-ksym-token-index-ff", "mem-ksym-token-table-ff",
	"mem-ksym-names-ff",	   "mem-ksym-names-zero",
	"mem-ksym-offsets-ff",	   "mem-ksym-relative-base-garbage",
	"mem-stack-sp-garbage",	   "mem-stack-sp-off-stack",
	"mem-stack-self-frames",   "mem-stack-all-ff",
	"mem-orc-ip-garbage",	   "mem-orc-entries-ff",
	"mem-modules-self",
};

static kvm_t *kd;
static int fd;
static uint64_t seed = 0x6b636f7265ULL; /* the matrix's seed */

static uint64_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static void
fail(const char *what)
{
	fprintf(stderr, "memhostile: %s: %s\n", what, kvm_geterr(kd));
	exit(2);
}

static void
skip(const char *why)
{
	fprintf(stderr, "memhostile: not applicable: %s\n", why);
	exit(77);
}

static uint64_t
rd(uint64_t va, int n)
{
	uint8_t b[8] = { 0 };
	if (kvm_read2(kd, va, b, (size_t)n) != n)
		fail("read");
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static void
wr(uint64_t va, uint64_t v, int n)
{
	uint8_t b[8];
	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	if (kvm_write2(kd, va, b, (size_t)n) != n)
		fail("write");
}

static void
fill(uint64_t va, uint8_t v, size_t n)
{
	uint8_t b[4096];
	memset(b, v, sizeof(b));
	while (n > 0) {
		size_t l = n < sizeof(b) ? n : sizeof(b);
		if (kvm_write2(kd, va, b, l) != (ssize_t)l)
			fail("write");
		va += l;
		n -= l;
	}
}

/* Physical writes: the file offset from the copy's PT_LOAD headers. */
static void
pwr(uint64_t pa, uint64_t v, int n)
{
	uint8_t eh[64];
	if (pread(fd, eh, 64, 0) != 64)
		skip("no ELF header");
	uint64_t phoff = 0;
	for (int i = 7; i >= 0; i--)
		phoff = phoff << 8 | eh[32 + i];
	unsigned phnum = eh[56] | eh[57] << 8;
	for (unsigned i = 0; i < phnum; i++) {
		uint8_t ph[56];
		if (pread(fd, ph, 56, (off_t)(phoff + 56 * i)) != 56)
			break;
		uint64_t f[7];
		for (int k = 0; k < 7; k++) {
			f[k] = 0;
			for (int j = 7; j >= 0; j--)
				f[k] = f[k] << 8 | ph[8 * k + j];
		}
		/* f[0] type|flags, f[1] offset, f[3] paddr, f[4] filesz */
		if ((f[0] & 0xffffffff) != 1 || pa < f[3] ||
		    pa + n > f[3] + f[4])
			continue;
		uint8_t b[8];
		for (int k = 0; k < n; k++)
			b[k] = (uint8_t)(v >> (8 * k));
		if (pwrite(fd, b, (size_t)n, (off_t)(f[1] + pa - f[3])) != n)
			skip("pwrite");
		return;
	}
	skip("physical address not in the file");
}

static uint64_t
prd(uint64_t pa)
{
	uint8_t b[8];
	if (kvm_read_phys(kd, pa, b, 8) != 8)
		fail("read_phys");
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static uint64_t
sym(const char *name)
{
	struct kvm_nlist nl[2] = { { .n_name = name }, { .n_name = NULL } };
	if (kvm_nlist2(kd, nl) != 0 || nl[0].n_value == 0) {
		char m[128];
		snprintf(m, sizeof(m), "no symbol %s", name);
		skip(m);
	}
	return nl[0].n_value;
}

/* A VMCOREINFO number (OFFSET(x)=, SIZE(x)=, SYMBOL(x)= hex). */
static uint64_t
vmci(const char *key, int hex)
{
	const char *t = kvm_get_vmcoreinfo(kd);
	if (!t)
		skip("no VMCOREINFO");
	size_t kl = strlen(key);
	for (const char *p = t; (p = strstr(p, key)); p++)
		if ((p == t || p[-1] == '\n') && p[kl] == '=')
			return strtoull(p + kl + 1, NULL, hex ? 16 : 10);
	char m[128];
	snprintf(m, sizeof(m), "no %s in VMCOREINFO", key);
	skip(m);
	return 0;
}

static uint64_t
off(const char *type, const char *member)
{
	uint64_t o;
	if (kvm_type_offsetof(kd, type, member, &o, NULL) != 0)
		fail(member);
	return o;
}

#define TABLE_ADDR 0x000ffffffffff000ULL /* bits 12-51, both arches */

static void
tasks_case(const char *c)
{
	uint64_t init = sym("init_task");
	uint64_t to = off("task_struct", "tasks");
	uint64_t mo = off("task_struct", "mm");
	uint64_t t[4], p = init;
	for (int i = 0; i < 4; i++) {
		p = rd(p + to, 8) - to;
		t[i] = p;
	}
	if (!strcmp(c, "mem-tasks-cycle"))
		wr(t[2] + to, t[0] + to, 8);
	else if (!strcmp(c, "mem-tasks-self"))
		wr(t[1] + to, t[1] + to, 8);
	else if (!strcmp(c, "mem-tasks-garbage"))
		wr(t[1] + to, 0x4141414141414141ULL, 8);
	else if (!strcmp(c, "mem-tasks-prev-garbage"))
		wr(t[1] + to + 8, 0x4242424242424242ULL, 8);
	else if (!strcmp(c, "mem-tasks-into-nowhere"))
		wr(t[1] + to, 0xffffffffff7fe000ULL, 8);
	else if (!strcmp(c, "mem-thread-node-self")) {
		uint64_t tn = off("task_struct", "thread_node");
		for (int i = 0; i < 4; i++)
			wr(t[i] + tn, t[i] + tn, 8);
	} else if (!strcmp(c, "mem-parent-garbage")) {
		uint64_t rp = off("task_struct", "real_parent");
		uint64_t pp = off("task_struct", "parent");
		for (int i = 0; i < 4; i++) {
			wr(t[i] + rp, 0x4141414141414141ULL, 8);
			wr(t[i] + pp, 0xffffffffff7fe000ULL, 8);
		}
	} else if (!strcmp(c, "mem-parent-self")) {
		uint64_t rp = off("task_struct", "real_parent");
		for (int i = 0; i < 4; i++)
			wr(t[i] + rp, t[i], 8);
	} else if (!strcmp(c, "mem-comm-no-nul")) {
		uint64_t co = off("task_struct", "comm");
		for (int i = 0; i < 4; i++)
			fill(t[i] + co, 'A', 16);
	} else {
		/* Every task's mm (or its argv area), up to 4096 tasks. */
		uint64_t ao = off("mm_struct", "arg_start");
		uint64_t eo = off("mm_struct", "arg_end");
		p = init;
		for (int n = 0; n < 4096; n++) {
			p = rd(p + to, 8) - to;
			if (p == init)
				break;
			uint64_t mm = rd(p + mo, 8);
			if (!strcmp(c, "mem-mm-self-task"))
				wr(p + mo, p, 8);
			else if (!strcmp(c, "mem-mm-self-ptr"))
				wr(p + mo, p + mo, 8);
			else if (!strcmp(c, "mem-mm-garbage"))
				wr(p + mo, 0x4141414141414141ULL ^ rnd() << 4,
				   8);
			else if (mm) /* mem-mm-argv-huge */
				wr(mm + eo, rd(mm + ao, 8) + (1ULL << 40), 8);
		}
	}
}

static void
pt_case(const char *c)
{
	struct kvm_info info;
	if (kvm_get_info(kd, &info, sizeof(info)) != 0)
		fail("info");
	if (info.pgtable_levels != 4 || info.page_size != 4096 ||
	    !info.pgtable_root)
		skip("not 4-level 4K page tables");
	int x86 = strcmp(info.arch, "x86_64") == 0;
	uint64_t va = sym("init_task"); /* in kallsyms on both arches */
	uint64_t root = info.pgtable_root;
	uint64_t i0 = va >> 39 & 511, i1 = va >> 30 & 511, i2 = va >> 21 & 511;
	uint64_t e0 = prd(root + 8 * i0);
	uint64_t pud = e0 & TABLE_ADDR;
	uint64_t e1 = prd(pud + 8 * i1);
	uint64_t pmd = e1 & TABLE_ADDR;
	uint64_t tbl = 3; /* x86: present|rw; arm64: valid|table */
	if (!strcmp(c, "mem-pgd-self"))
		pwr(root + 8 * i0, root | tbl, 8);
	else if (!strcmp(c, "mem-pgd-garbage"))
		pwr(root + 8 * i0, 0x4141414141414141ULL, 8);
	else if (!strcmp(c, "mem-pgd-beyond-memory"))
		pwr(root + 8 * i0, 0x000ffffffffff000ULL | tbl, 8);
	else if (!strcmp(c, "mem-pgd-all-ff"))
		for (int i = 0; i < 512; i++)
			pwr(root + 8 * i, ~0ULL, 8);
	else if (!strcmp(c, "mem-pgd-all-self"))
		for (int i = 0; i < 512; i++)
			pwr(root + 8 * i, root | tbl, 8);
	else if (!strcmp(c, "mem-pud-self"))
		pwr(pud + 8 * i1, pud | tbl, 8);
	else if (!strcmp(c, "mem-pud-garbage"))
		pwr(pud + 8 * i1, 0x4343434343434343ULL, 8);
	else if (!strcmp(c, "mem-pud-huge-garbage"))
		/* A 1 GiB page far beyond memory (x86 PS; arm64 block). */
		pwr(pud + 8 * i1,
		    x86 ? 0x000fffffc00000e3ULL : 0x0000ffffc0000701ULL, 8);
	else if (!strcmp(c, "mem-pmd-self"))
		pwr(pmd + 8 * i2, pmd | tbl, 8);
	else /* mem-pmd-all-ff */
		for (int i = 0; i < 512; i++)
			pwr(pmd + 8 * i, ~0ULL, 8);
}

static void
prb_case(const char *c)
{
	uint64_t prbp = vmci("SYMBOL(prb)", 1);
	uint64_t rb = rd(prbp, 8);
	uint64_t dr = rb + vmci("OFFSET(printk_ringbuffer.desc_ring)", 0);
	uint64_t tr = rb + vmci("OFFSET(printk_ringbuffer.text_data_ring)", 0);
	uint64_t cb = dr + vmci("OFFSET(prb_desc_ring.count_bits)", 0);
	uint64_t descs = dr + vmci("OFFSET(prb_desc_ring.descs)", 0);
	uint64_t infos = dr + vmci("OFFSET(prb_desc_ring.infos)", 0);
	uint64_t head = dr + vmci("OFFSET(prb_desc_ring.head_id)", 0);
	uint64_t tail = dr + vmci("OFFSET(prb_desc_ring.tail_id)", 0);
	uint64_t sb = tr + vmci("OFFSET(prb_data_ring.size_bits)", 0);
	uint64_t data = tr + vmci("OFFSET(prb_data_ring.data)", 0);
	uint64_t hl = tr + vmci("OFFSET(prb_data_ring.head_lpos)", 0);
	uint64_t tl = tr + vmci("OFFSET(prb_data_ring.tail_lpos)", 0);
	uint64_t n = 1ULL << (rd(cb, 4) & 31);
	uint64_t dsz = vmci("SIZE(prb_desc)", 0);
	uint64_t isz = vmci("SIZE(printk_info)", 0);
	uint64_t tlo = vmci("OFFSET(printk_info.text_len)", 0);
	uint64_t lpo = vmci("OFFSET(prb_desc.text_blk_lpos)", 0);
	uint64_t svo = vmci("OFFSET(prb_desc.state_var)", 0);
	if (n > 1 << 20)
		skip("implausible ring");

	if (!strcmp(c, "mem-prb-ptr-garbage"))
		wr(prbp, 0x4141414141414141ULL, 8);
	else if (!strcmp(c, "mem-prb-ptr-null"))
		wr(prbp, 0, 8);
	else if (!strcmp(c, "mem-prb-count-bits-63"))
		wr(cb, 63, 4);
	else if (!strcmp(c, "mem-prb-count-bits-ff"))
		wr(cb, 0xffffffff, 4);
	else if (!strcmp(c, "mem-prb-descs-garbage"))
		wr(descs, 0xffffffffff7fe000ULL, 8);
	else if (!strcmp(c, "mem-prb-infos-garbage"))
		wr(infos, 0x4141414141414141ULL, 8);
	else if (!strcmp(c, "mem-prb-head-id-garbage"))
		wr(head, 0xdeadbeefdeadbeefULL, 8);
	else if (!strcmp(c, "mem-prb-tail-id-garbage"))
		wr(tail, 0x0123456789abcdefULL, 8);
	else if (!strcmp(c, "mem-prb-head-tail-swapped")) {
		uint64_t h = rd(head, 8), t = rd(tail, 8);
		wr(head, t, 8);
		wr(tail, h, 8);
	} else if (!strcmp(c, "mem-prb-text-size-bits-63"))
		wr(sb, 63, 4);
	else if (!strcmp(c, "mem-prb-text-data-garbage"))
		wr(data, 0x4141414141414141ULL, 8);
	else if (!strcmp(c, "mem-prb-text-lpos-garbage")) {
		wr(hl, 0xfffffffffffffff0ULL, 8);
		wr(tl, 0x7777777777777777ULL, 8);
	} else {
		uint64_t dv = rd(descs, 8), iv = rd(infos, 8);
		for (uint64_t i = 0; i < n; i++) {
			if (!strcmp(c, "mem-prb-all-text-len-ffff"))
				wr(iv + i * isz + tlo, 0xffff, 2);
			else if (!strcmp(c, "mem-prb-all-lpos-garbage")) {
				wr(dv + i * dsz + lpo, rnd(), 8);
				wr(dv + i * dsz + lpo + 8, rnd(), 8);
			} else /* mem-prb-all-state-garbage */
				wr(dv + i * dsz + svo, rnd(), 8);
		}
	}
}

static void
ksym_case(const char *c)
{
	uint64_t num = sym("kallsyms_num_syms");
	uint64_t nm = sym("kallsyms_names");
	uint64_t ttab = sym("kallsyms_token_table");
	uint64_t tidx = sym("kallsyms_token_index");
	uint64_t offs = 0, base = 0;
	if (strstr(c, "offsets") || strstr(c, "relative"))
		offs = sym("kallsyms_offsets"), base = sym(
			"kallsyms_relative_base");
	if (!strcmp(c, "mem-ksym-num-syms-huge"))
		wr(num, 0xffffffff, 4);
	else if (!strcmp(c, "mem-ksym-num-syms-zero"))
		wr(num, 0, 4);
	else if (!strcmp(c, "mem-ksym-token-index-ff"))
		fill(tidx, 0xff, 512);
	else if (!strcmp(c, "mem-ksym-token-table-ff"))
		fill(ttab, 0xff, tidx > ttab && tidx - ttab < 65536
					 ? tidx - ttab
					 : 4096);
	else if (!strcmp(c, "mem-ksym-names-ff"))
		fill(nm, 0xff, 65536);
	else if (!strcmp(c, "mem-ksym-names-zero"))
		fill(nm, 0, 4096);
	else if (!strcmp(c, "mem-ksym-offsets-ff"))
		fill(offs, 0xff, 16384);
	else /* mem-ksym-relative-base-garbage */
		wr(base, 0x4141414141414141ULL, 8);
}

/*
 * The stack unwinders' inputs (src/stack): the saved sp of the first
 * tasks (x86_64 thread.sp, aarch64 thread.cpu_context.sp), their whole
 * stacks (every word pointing at itself: frame records and return slots
 * that loop), the ORC tables, the module list.
 */
static void
stack_case(const char *c)
{
	uint64_t init = sym("init_task");
	uint64_t to = off("task_struct", "tasks");
	uint64_t so = off("task_struct", "stack");
	uint64_t spo;
	if (kvm_type_offsetof(kd, "task_struct", "thread.sp", &spo, NULL) &&
	    kvm_type_offsetof(kd, "task_struct", "thread.cpu_context.sp", &spo,
			      NULL))
		fail("thread.sp");
	uint64_t t[4], p = init;
	for (int i = 0; i < 4; i++) {
		p = rd(p + to, 8) - to;
		t[i] = p;
	}
	if (!strcmp(c, "mem-stack-sp-garbage")) {
		for (int i = 0; i < 4; i++)
			wr(t[i] + spo, 0x4141414141414141ULL, 8);
	} else if (!strcmp(c, "mem-stack-sp-off-stack")) {
		for (int i = 0; i < 4; i++)
			wr(t[i] + spo, rd(t[i] + so, 8) - 64, 8);
	} else if (!strcmp(c, "mem-stack-self-frames") ||
		   !strcmp(c, "mem-stack-all-ff")) {
		/* 16 KiB: the stack of every kernel the fixtures hold. */
		for (int i = 0; i < 4; i++) {
			uint64_t base = rd(t[i] + so, 8);
			for (uint64_t a = base; a < base + 16384; a += 8)
				wr(a, c[10] == 's' ? a : ~0ULL, 8);
		}
	} else if (!strcmp(c, "mem-modules-self")) {
		uint64_t m = sym("modules");
		uint64_t first = rd(m, 8);
		if (first == m)
			skip("no modules loaded");
		wr(first, first, 8);
	} else {
		struct kvm_nlist nl[] = { { .n_name = "__start_orc_unwind_ip" },
					  { .n_name = "__start_orc_unwind" },
					  { .n_name = NULL } };
		if (kvm_nlist2(kd, nl) != 0)
			skip("no ORC tables (not x86_64)");
		uint64_t a = nl[!strcmp(c, "mem-orc-entries-ff")].n_value;
		for (uint64_t i = 0; i < 65536; i += 8)
			wr(a + i, !strcmp(c, "mem-orc-ip-garbage") ? rnd() : ~0ULL,
			   8);
	}
}

int
main(int argc, char **argv)
{
	char errbuf[KVM_ERRBUF_SIZE];

	if (argc == 2 && !strcmp(argv[1], "list")) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			puts(names[i]);
		return 0;
	}
	if (argc != 4 || strcmp(argv[1], "apply") != 0) {
		fprintf(stderr, "usage: memhostile list | apply COPY CASE\n");
		return 2;
	}
	const char *c = argv[3];
	kd = kvm_openfiles(NULL, argv[2], NULL, O_RDWR, errbuf);
	if (!kd) {
		fprintf(stderr, "memhostile: %s: %s\n", argv[2], errbuf);
		return 2;
	}
	fd = open(argv[2], O_RDWR);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	if (!strncmp(c, "mem-tasks-", 10) || !strncmp(c, "mem-mm-", 7) ||
	    !strncmp(c, "mem-thread-", 11) || !strncmp(c, "mem-parent-", 11) ||
	    !strncmp(c, "mem-comm-", 9))
		tasks_case(c);
	else if (!strncmp(c, "mem-pgd-", 8) || !strncmp(c, "mem-pud-", 8) ||
		 !strncmp(c, "mem-pmd-", 8))
		pt_case(c);
	else if (!strncmp(c, "mem-prb-", 8))
		prb_case(c);
	else if (!strncmp(c, "mem-ksym-", 9))
		ksym_case(c);
	else if (!strncmp(c, "mem-stack-", 10) || !strncmp(c, "mem-orc-", 8) ||
		 !strncmp(c, "mem-modules-", 12))
		stack_case(c);
	else {
		fprintf(stderr, "memhostile: no case %s\n", c);
		return 2;
	}
	kvm_close(kd);
	if (close(fd) != 0) {
		perror(argv[2]);
		return 2;
	}
	return 0;
}
