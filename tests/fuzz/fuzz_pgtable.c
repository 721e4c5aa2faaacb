// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for the page-table walks of both architectures (src/arch/:
 * translation and the kernel's location, their kvm_arch_ops) and the
 * translation cache above them (kvm_kvatop_cached, src/kvm.c), with
 * hostile page tables.  The input is a header and the physical memory; the
 * memory is served by a fake format over the input (fuzz_mem.h), so
 * translation reads it exactly as on an ELF dump.  Input (integers
 * little-endian):
 *   0   u8   flags: bit 0 arm64 (else x86_64); 1 no VMCOREINFO (the arch
 *            finds its root in memory); 2 big-endian target; 3 KERNELOFFSET
 *            given; 4 x86_64: pgtable_l5_enabled=1, arm64: TCR_EL1_T1SZ
 *            given; 5 x86_64: a CPU note with CR3 = uroot, CR4.LA57 from
 *            bit 4; 6 no root symbol in the VMCOREINFO; 7 no PAGESIZE
 *   1   u8   arm64 PAGESIZE: 4096 << 2 * (b & 3) (65536 << 2 is none)
 *   2   u8   arm64 NUMBER(VA_BITS)
 *   3   u8   arm64 NUMBER(TCR_EL1_T1SZ)
 *   4   u32  unused
 *   8   u64  SYMBOL(init_top_pgt) / SYMBOL(swapper_pg_dir)
 *   16  u64  NUMBER(phys_base) / NUMBER(kimage_voffset)
 *   24  u64  KERNELOFFSET
 *   32  u64  uroot: a user page-table root (physical), for uvatop
 *   40  u64  va[3]: addresses to translate (kernel and user walks)
 *   64  segments to the end: { u64 pa; u32 len; u32 zeros; len bytes }
 *            physical memory at pa: the len bytes, then zeros bytes of
 *            zeros (at most 64 MiB); at most 64 segments
 * Translation is set up by kvm_setup_arch() as kvm_open does; then
 * kvatop runs directly and through the cache on the addresses of the
 * input and on the fixed places of the kernel (direct map or linear map,
 * kernel text at the KASLR offset, vmalloc, modules, the top page),
 * uvatop on the user root, and kvm_read2/kvm_kvatop (public) read across
 * pages.  mkseeds-pgtable.py writes the seeds: synthetic tables of every
 * configuration, and the tables real walks of the fixtures' dumps visit.
 *
 * Beyond "no crash, no leak, no hang" (cyclic tables must end), it aborts
 * when the contract breaks: a translation is 0 with len > 0 and
 * [pa, pa + len) not wrapping, or an error with a one-line message; the
 * cache gives what the walk gives; a read returns -1 or 0..len bytes.
 */
#include "fuzz_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 64

static void
check_xlat(kvm_t *kd, int err, uint64_t pa, uint64_t len, const char *what)
{
	if (err) {
		fd_must(err < 0, "a positive error");
		fd_check_msg(kd->errbuf, what);
		kvm_error_clear(kd);
		return;
	}
	fd_must(len > 0, "a translation of 0 bytes");
	fd_must(pa + (len - 1) >= pa, "a translation past 2^64");
}

/* Kernel va: the walk, the cache (twice: fill, hit) and the public call. */
static void
kernel_va(kvm_t *kd, uint64_t va)
{
	uint64_t pa = 0, len = 0, cpa = 0, clen = 0;

	if (!kd->xlat.ready)
		return;
	int err = kd->arch->kvatop(kd, va, &pa, &len);
	check_xlat(kd, err, pa, len, "kvatop failed without a message");
	for (int k = 0; k < 2; k++) {
		int cerr = kvm_kvatop_cached(kd, va, &cpa, &clen);
		check_xlat(kd, cerr, cpa, clen,
			   "cached kvatop failed without a message");
		fd_must(!cerr == !err, "the cache and the walk disagree on success");
		if (!err)
			fd_must(cpa == pa && clen == len,
			     "the cache and the walk disagree");
	}
	/* Execute permission (the kallsyms scan skips text by it). */
	if (kd->arch->kva_exec) {
		bool exec;
		uint64_t elen = 0;
		int eerr = kd->arch->kva_exec(kd, va, &exec, &elen);
		fd_must(!eerr == !err, "kva_exec and kvatop disagree on success");
		if (!eerr)
			fd_must(elen == len, "kva_exec and kvatop disagree");
		kvm_error_clear(kd);
		kvm_kva_exec_range(kd, va, 3 << 20);
		fd_must(kd->errbuf[0] == '\0', "kvm_kva_exec_range set an error");
	}
}

static void
user_va(kvm_t *kd, uint64_t root, uint64_t va)
{
	uint64_t pa = 0, len = 0;
	struct kvm_swp_entry swp;

	if (!kd->xlat.ready || !kd->arch->uvatop)
		return;
	int err = kd->arch->uvatop(kd, root, va, &pa, &len, &swp);
	if (err == KVM_UVA_SWAP) {
		/* A swap entry: the bytes left in the page, a 50-bit slot. */
		fd_must(len > 0 && len <= 65536, "a swap entry's length");
		fd_must(swp.offset < (1ULL << 50) && swp.type < 64,
			"a swap entry out of range");
		return;
	}
	check_xlat(kd, err, pa, len, "uvatop failed without a message");
}

/* kvm_read2 across a page boundary, and kvm_kvatop, public calls. */
static void
read_va(kvm_t *kd, uint64_t va)
{
	static uint8_t buf[4096 + 64];
	size_t len = 96;
	uint64_t start = (va & ~0xfffULL) + 4096 - 48;

	ssize_t n = kvm_read2(kd, start, buf, len);
	fd_must(n >= -1 && n <= (ssize_t)len, "kvm_read2 result out of range");
	if (start + len < start)
		fd_must(n <= (ssize_t)(0 - start), "kvm_read2 ran past 2^64");
	if (n != (ssize_t)len)
		fd_check_msg(kvm_geterr(kd), "a short kvm_read2 without a message");
	kvm_clearerr(kd);
	kpaddr_t pa;
	uint64_t valid;
	if (kvm_kvatop(kd, va, &pa, &valid) == 0)
		fd_must(valid > 0 && pa + (valid - 1) >= pa, "kvm_kvatop range");
	else
		fd_check_msg(kvm_geterr(kd), "kvm_kvatop failed without a message");
	kvm_clearerr(kd);
}

/* The VMCOREINFO the header describes, or none. */
static int
set_vmcoreinfo(kvm_t *kd, const uint8_t *h, bool arm)
{
	unsigned flags = h[0];
	char text[1024];
	int n = 0;

	if (flags & 2)
		return 0;
#define ADD(...) \
	n += snprintf(text + n, sizeof(text) - (size_t)n, __VA_ARGS__)
	ADD("OSRELEASE=6.1.0-fuzz\n");
	if (!(flags & 0x80))
		ADD("PAGESIZE=%u\n", arm ? 4096u << 2 * (h[1] & 3) : 4096u);
	if (!(flags & 0x40))
		ADD("SYMBOL(%s)=%llx\n", arm ? "swapper_pg_dir" : "init_top_pgt",
		    (unsigned long long)fm_u64(h + 8));
	if (arm) {
		ADD("NUMBER(VA_BITS)=%u\n", h[2]);
		if (flags & 0x10)
			ADD("NUMBER(TCR_EL1_T1SZ)=%u\n", h[3]);
		ADD("NUMBER(kimage_voffset)=0x%llx\n",
		    (unsigned long long)fm_u64(h + 16));
	} else {
		ADD("NUMBER(phys_base)=%lld\n", (long long)fm_u64(h + 16));
		ADD("NUMBER(pgtable_l5_enabled)=%d\n", (flags & 0x10) != 0);
	}
	if (flags & 8)
		ADD("KERNELOFFSET=%llx\n", (unsigned long long)fm_u64(h + 24));
#undef ADD
	return kvm_set_vmcoreinfo(kd, text, (size_t)n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	const uint8_t *h = data;
	unsigned flags = h[0];
	bool arm = flags & 1;

	/* The segments: physical memory from the input. */
	kvm_t *kd = fm_open(data, size, HDR, 64, arm ? EM_AARCH64 : EM_X86_64,
			    flags & 4);
	if (!kd)
		return 0;
	if (!arm && (flags & 0x20)) {
		struct kvm_cpu_state *c = kvm_cpu_add(kd);
		if (!c)
			goto out;
		c->have_cr = true;
		c->cr3 = fm_u64(h + 32);
		c->cr4 = flags & 0x10 ? 1u << 12 : 0;
	}
	if (set_vmcoreinfo(kd, h, arm))
		goto out;

	int err = kvm_setup_arch(kd);
	fd_must(err == 0, "kvm_setup_arch failed");
	fd_must(kd->arch != NULL, "no arch for x86_64 or arm64");
	fd_must(kd->errbuf[0] == '\0', "kvm_setup_arch left an error");
	if (!kd->xlat.ready)
		fd_check_msg(kd->xlat_reason, "translation failed without a reason");
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr,
			"fuzz_pgtable: %s %s root 0x%llx levels %d page %u "
			"kaslr %s0x%llx text 0x%llx%s%s\n",
			kd->arch->name, kd->xlat.ready ? "ready" : "not ready",
			(unsigned long long)kd->xlat.root, kd->xlat.levels,
			kd->page_size, kd->kaslr_known ? "" : "unknown ",
			(unsigned long long)kd->kaslr_offset,
			(unsigned long long)kd->xlat.ktext_start,
			kd->xlat.ready ? "" : ": ", kd->xlat_reason);

	uint64_t kaslr = (uint64_t)kd->kaslr_offset;
	uint64_t fixed[12];
	size_t nfixed = 0;
	if (arm) {
		/* Linear map (5.4+, 48 and 39 bits), image, vmalloc. */
		fixed[nfixed++] = 0xffff000000000000ULL;
		fixed[nfixed++] = 0xffffff8000000000ULL;
		fixed[nfixed++] = 0xffff800008000000ULL + kaslr;
		fixed[nfixed++] = 0xffff800080000000ULL;
		fixed[nfixed++] = 0xfff0000000000000ULL; /* 52-bit */
	} else {
		/* Direct map (4 and 5 levels), text, vmalloc, modules. */
		fixed[nfixed++] = 0xffff888000000000ULL;
		fixed[nfixed++] = 0xff11000000000000ULL;
		fixed[nfixed++] = 0xffffffff81000000ULL + kaslr;
		fixed[nfixed++] = 0xffffc90000000000ULL;
		fixed[nfixed++] = 0xffffffffa0000000ULL;
	}
	fixed[nfixed++] = kd->xlat.ktext_start;
	fixed[nfixed++] = 0xfffffffffffff000ULL;
	for (int i = 0; i < 3; i++)
		fixed[nfixed++] = fm_u64(h + 40 + 8 * i);
	for (size_t i = 0; i < nfixed; i++) {
		kernel_va(kd, fixed[i]);
		/* The next 2 MiB slot: the block and PMD caches again. */
		kernel_va(kd, fixed[i] + (2u << 20));
	}
	uint64_t uroot = fm_u64(h + 32);
	for (int i = 0; i < 3; i++)
		user_va(kd, uroot, fm_u64(h + 40 + 8 * i));
	user_va(kd, uroot, 0x400000);
	user_va(kd, uroot, 0x7ffffffff000ULL);
	user_va(kd, kd->xlat.root, fm_u64(h + 40));
	for (int i = 0; i < 3; i++)
		read_va(kd, fm_u64(h + 40 + 8 * i));
	read_va(kd, fixed[2]);
	/* kvm_write and a KPTI swap flush the caches: all again. */
	kvm_tlb_flush(kd);
	kernel_va(kd, fm_u64(h + 40));
out:
	kvm_close(kd);
	return 0;
}
