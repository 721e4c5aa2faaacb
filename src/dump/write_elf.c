// SPDX-License-Identifier: BSD-2-Clause
/*
 * ELF vmcore output, laid out as /proc/vmcore is (fs/proc/vmcore.c, with
 * the program headers kexec-tools builds): ELF64 ET_CORE of the target's
 * machine and byte order; the program headers right after the ELF header
 * (makedumpfile 1.7 reads them only there); one PT_NOTE; one PT_LOAD per
 * run of kept pages, p_paddr the physical address and p_vaddr its
 * direct-map address.  Pages left out are gaps between PT_LOADs; zero
 * pages a level leaves out are p_memsz beyond p_filesz, as makedumpfile
 * -E writes trailing zeros, so they still read as zeros.
 *
 * The program headers come first, so the file is written front to back
 * (a pipe will do), and they depend on which pages are zero and which
 * the source lacks: a first pass over the pages (no compression, no
 * output) finds the runs; the second writes them.
 */
#include <elf.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

/* Output buffer: writes of this size, whatever the sink. */
#define ELFW_BUF (1u << 20)

/* ------------------------------------------------------------- notes */

/*
 * struct elf_prstatus (include/uapi/linux/elfcore.h) on 64-bit Linux:
 * pr_reg (elf_gregset_t) at 112 on every architecture, then pr_fpvalid.
 * x86_64: struct user_regs_struct, 27 registers (arch/x86/include/asm/
 * user_64.h), rip the 17th, rsp the 20th.  arm64: struct user_pt_regs,
 * x0-x30, sp, pc, pstate (arch/arm64/include/uapi/asm/ptrace.h).
 */
#define PRSTATUS_REG 112
#define PRSTATUS_X86_64_SIZE 336
#define PRSTATUS_X86_64_RIP 16
#define PRSTATUS_X86_64_RSP 19
#define PRSTATUS_AARCH64_SIZE 392
#define PRSTATUS_AARCH64_SP 31
#define PRSTATUS_AARCH64_PC 32

/*
 * QEMU's x86_64 CPU-state note, QEMUCPUState version 1 (QEMU's
 * target/i386/arch_dump.c): version, size, rax rbx rcx rdx rsi rdi rsp
 * rbp r8-r15, rip, rflags, ten 24-byte segment records, cr[0..4].
 */
#define QEMU_NOTE_SIZE 432
#define QEMU_NOTE_RSP (8 + 6 * 8)
#define QEMU_NOTE_RIP (8 + 16 * 8)
#define QEMU_NOTE_CR (8 + 18 * 8 + 10 * 24)

struct notebuf {
	kvm_t *kd;
	uint8_t *p;
	size_t len, cap;
};

static inline size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Append a note with a zeroed descriptor of descsz; returns it or NULL. */
static uint8_t *
note_add(struct notebuf *nb, const char *name, uint32_t type, size_t descsz)
{
	size_t namesz = strlen(name) + 1;
	size_t need = 12 + pad4(namesz) + pad4(descsz);

	if (nb->cap - nb->len < need) {
		size_t cap = KVM_MAX(nb->cap * 2, nb->len + need + 4096);
		uint8_t *n = realloc(nb->p, cap);
		if (!n) {
			kvm_error(nb->kd, KVM_ENOMEM,
				  "out of memory for notes");
			return NULL;
		}
		nb->p = n;
		nb->cap = cap;
	}
	uint8_t *h = nb->p + nb->len;
	memset(h, 0, need);
	kvm_tgt_put32(nb->kd, h, (uint32_t)namesz);
	kvm_tgt_put32(nb->kd, h + 4, (uint32_t)descsz);
	kvm_tgt_put32(nb->kd, h + 8, type);
	memcpy(h + 12, name, namesz);
	nb->len += need;
	return h + 12 + pad4(namesz);
}

int
kvm_dump_notes_build(kvm_t *kd, uint8_t **buf_ret, size_t *len_ret,
		     size_t *vmci_off_ret, size_t *vmci_len_ret)
{
	struct notebuf nb = { .kd = kd };
	size_t prsize = 0;
	int ireg_pc = 0, ireg_sp = 0;
	bool qemu = false;

	*buf_ret = NULL;
	*len_ret = *vmci_off_ret = *vmci_len_ret = 0;
	/*
	 * The formats keep a CPU's pc and sp at most, not the raw register
	 * sets: the PRSTATUS notes carry what we have (zeros besides), one
	 * per CPU, so that tools count the CPUs right.
	 */
	if (kd->e_machine == EM_X86_64) {
		prsize = PRSTATUS_X86_64_SIZE;
		ireg_pc = PRSTATUS_X86_64_RIP;
		ireg_sp = PRSTATUS_X86_64_RSP;
	} else if (kd->e_machine == EM_AARCH64) {
		prsize = PRSTATUS_AARCH64_SIZE;
		ireg_pc = PRSTATUS_AARCH64_PC;
		ireg_sp = PRSTATUS_AARCH64_SP;
	}
	for (size_t i = 0; prsize && i < kd->ncpus; i++) {
		const struct kvm_cpu_state *c = &kd->cpus[i];
		uint8_t *d = note_add(&nb, "CORE", NT_PRSTATUS, prsize);
		if (!d)
			goto fail;
		if (c->have_regs) {
			kvm_tgt_put64(kd, d + PRSTATUS_REG + 8 * ireg_pc,
				      c->pc);
			kvm_tgt_put64(kd, d + PRSTATUS_REG + 8 * ireg_sp,
				      c->sp);
		}
		qemu |= c->have_cr;
	}
	/*
	 * The control registers (CR3: the page-table root of a dump without
	 * VMCOREINFO) survive only in QEMU's note, one per CPU after all the
	 * PRSTATUS ones as QEMU writes them; readers pair them by order.
	 */
	for (size_t i = 0; qemu && kd->e_machine == EM_X86_64 && i < kd->ncpus;
	     i++) {
		const struct kvm_cpu_state *c = &kd->cpus[i];
		uint8_t *d = note_add(&nb, "QEMU", 0, QEMU_NOTE_SIZE);
		if (!d)
			goto fail;
		kvm_tgt_put32(kd, d, 1);
		kvm_tgt_put32(kd, d + 4, QEMU_NOTE_SIZE);
		if (c->have_regs) {
			kvm_tgt_put64(kd, d + QEMU_NOTE_RIP, c->pc);
			kvm_tgt_put64(kd, d + QEMU_NOTE_RSP, c->sp);
		}
		if (c->have_cr) {
			kvm_tgt_put64(kd, d + QEMU_NOTE_CR, c->cr0);
			kvm_tgt_put64(kd, d + QEMU_NOTE_CR + 3 * 8, c->cr3);
			kvm_tgt_put64(kd, d + QEMU_NOTE_CR + 4 * 8, c->cr4);
		}
	}
	/* kernel/crash_core.c: name "VMCOREINFO", type 0, the text. */
	if (kd->vmcoreinfo_text) {
		size_t n = strlen(kd->vmcoreinfo_text);
		uint8_t *d = note_add(&nb, "VMCOREINFO", 0, n);
		if (!d)
			goto fail;
		memcpy(d, kd->vmcoreinfo_text, n);
		*vmci_off_ret = (size_t)(d - nb.p);
		*vmci_len_ret = n;
	}
	*buf_ret = nb.p;
	*len_ret = nb.len;
	return 0;
fail:
	free(nb.p);
	return -kd->errcode;
}

/* ------------------------------------------------------ direct map */

/* pa is mapped at base + pa in the kernel's page tables. */
static bool
direct_ok(kvm_t *kd, uint64_t base, uint64_t pa)
{
	uint64_t got, len;

	if (kvm_kvatop_cached(kd, base + pa, &got, &len) != 0) {
		kvm_error_clear(kd);
		return false;
	}
	return got == pa;
}

/*
 * Where the kernel maps physical address 0 in its direct map (x86_64:
 * page_offset_base, randomised with KASLR, arch/x86/mm/kaslr.c; arm64:
 * __phys_to_virt() = (pa - PHYS_OFFSET) | PAGE_OFFSET, PAGE_OFFSET
 * -(1 << VA_BITS) since 5.4 and -(1 << (VA_BITS - 1)) before), checked
 * against the page tables at two pages of the largest range.  False when
 * no candidate holds: the PT_LOADs then get p_vaddr 0, as QEMU writes.
 */
static bool
direct_base(kvm_t *kd, uint64_t *base_ret)
{
	uint64_t cand[4];
	int n = 0;

	if (kd->e_machine == EM_X86_64) {
		uint64_t sym, v;
		size_t done;
		if (kvm_sym_lookup(kd, "page_offset_base", &sym) == 0 &&
		    kvm_virt_read(kd, sym, &v, 8, &done) == 0)
			cand[n++] = kvm_tgt64(kd, v);
		kvm_error_clear(kd);
		/* Documentation/arch/x86/x86_64/mm.rst, without KASLR. */
		cand[n++] = 0xffff888000000000ull; /* 4-level, 4.20+ */
		cand[n++] = 0xff11000000000000ull; /* 5-level */
		cand[n++] = 0xffff880000000000ull; /* 2.6.27 - 4.19 */
	} else if (kd->e_machine == EM_AARCH64) {
		int64_t va_bits, phys_off;
		if (kvm_vmcoreinfo_number(&kd->vmci, "VA_BITS", &va_bits) &&
		    kvm_vmcoreinfo_number(&kd->vmci, "PHYS_OFFSET",
					  &phys_off) &&
		    va_bits > 32 && va_bits <= 52) {
			cand[n++] = -(1ull << va_bits) - (uint64_t)phys_off;
			cand[n++] = -(1ull << (va_bits - 1)) -
				    (uint64_t)phys_off;
		}
	}
	if (n == 0 || kd->nranges == 0 || !kd->arch)
		return false;
	const struct kvm_phys_range *big = &kd->ranges[0];
	for (size_t i = 1; i < kd->nranges; i++)
		if (kd->ranges[i].end - kd->ranges[i].start >
		    big->end - big->start)
			big = &kd->ranges[i];
	uint64_t ps = kd->page_size;
	uint64_t a = (big->start + ps - 1) / ps * ps;
	uint64_t b = (big->start + (big->end - big->start) / 2) / ps * ps;
	for (int i = 0; i < n; i++) {
		if (direct_ok(kd, cand[i], a) && direct_ok(kd, cand[i], b)) {
			*base_ret = cand[i];
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------- layout */

/*
 * One PT_LOAD: pages [pfn, pfn + nfile) in the file, then nmem - nfile
 * zero pages that only p_memsz covers.
 */
struct elf_run {
	uint64_t pfn, nfile, nmem;
};

struct elf_layout {
	kvm_t *kd;
	const struct kvm_dump_filter *f;
	bool zero_excl; /* the level leaves zero pages out */
	struct elf_run *runs;
	size_t nruns, cap;
	bool open;	/* runs[nruns - 1] may still grow */
	uint64_t next;	/* pfns below this are classified */
	uint64_t npfn;	/* pfns of the target's ranges */
	uint64_t nfile; /* pages in the file, all runs */
};

enum { PG_GAP, PG_FILE, PG_ZMEM };

static int
layout_add(struct elf_layout *l, uint64_t pfn, int kind)
{
	struct elf_run *r = l->open ? &l->runs[l->nruns - 1] : NULL;

	if (kind == PG_GAP) {
		l->open = false;
		return 0;
	}
	/* Data after trailing zeros needs a PT_LOAD of its own. */
	if (r && (r->pfn + r->nmem != pfn ||
		  (kind == PG_FILE && r->nmem > r->nfile)))
		r = NULL;
	if (!r) {
		if (l->nruns == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 64;
			struct elf_run *n = realloc(l->runs, cap * sizeof(*n));
			if (!n)
				return kvm_error(l->kd, KVM_ENOMEM,
						 "out of memory for %zu "
						 "PT_LOADs",
						 cap);
			l->runs = n;
			l->cap = cap;
		}
		r = &l->runs[l->nruns++];
		*r = (struct elf_run){ .pfn = pfn };
		l->open = true;
	}
	r->nmem++;
	if (kind == PG_FILE) {
		r->nfile++;
		l->nfile++;
	}
	return 0;
}

/*
 * The pfns [l->next, end) that pages.c did not hand over: outside the
 * ranges or filtered out (gaps), else zeros the level left out.
 */
static int
layout_skip(struct elf_layout *l, uint64_t end)
{
	uint64_t ps = l->kd->page_size;
	int err;

	for (size_t i = 0; i < l->kd->nranges && l->next < end; i++) {
		const struct kvm_phys_range *r = &l->kd->ranges[i];
		uint64_t s = r->start / ps;
		uint64_t e = (r->end + ps - 1) / ps;
		if (e <= l->next)
			continue;
		if (s > l->next) {
			if ((err = layout_add(l, l->next, PG_GAP)))
				return err;
			l->next = KVM_MIN(s, end);
		}
		for (; l->next < KVM_MIN(e, end); l->next++) {
			int kind = l->zero_excl && !kvm_dump_filter_out(l->f,
									l->next)
					   ? PG_ZMEM
					   : PG_GAP;
			if ((err = layout_add(l, l->next, kind)))
				return err;
		}
	}
	if (l->next < end) {
		l->next = end;
		return layout_add(l, end, PG_GAP);
	}
	return 0;
}

static int
layout_emit(void *arg, const struct kvm_dump_page *pg)
{
	struct elf_layout *l = arg;
	int err;

	if (pg->pfn < l->next)
		return kvm_error(l->kd, KVM_EINVAL,
				 "ELF: page 0x%llx handed over out of order",
				 (unsigned long long)pg->pfn);
	if ((err = layout_skip(l, pg->pfn)))
		return err;
	l->next = pg->pfn + 1;
	return layout_add(l, pg->pfn,
			  pg->kind == KVM_PAGE_MISSING ? PG_GAP : PG_FILE);
}

/* ----------------------------------------------------------- output */

struct elf_out {
	kvm_t *kd;
	struct kvm_dump_sink *s;
	uint8_t *buf;
	size_t fill;
	uint64_t off; /* file offset of buf[0] */
	/* The write pass follows the layout. */
	const struct elf_layout *l;
	size_t run;	 /* current run */
	uint64_t at;	 /* next pfn of its file part to write */
	uint8_t *zero;	 /* a page of zeros */
	uint64_t filled; /* pages written as zeros, not handed over */
};

static int
out_flush(struct elf_out *w)
{
	if (w->fill == 0)
		return 0;
	int err = w->s->write(w->s->arg, w->buf, w->fill);
	if (err)
		return err;
	w->off += w->fill;
	w->fill = 0;
	return 0;
}

static int
out_put(struct elf_out *w, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		size_t n = KVM_MIN(len, ELFW_BUF - w->fill);
		memcpy(w->buf + w->fill, b, n);
		w->fill += n;
		b += n;
		len -= n;
		if (w->fill == ELFW_BUF) {
			int err = out_flush(w);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Zeros for the run's file pages before pfn (live memory changed). */
static int
out_fill(struct elf_out *w, uint64_t pfn)
{
	while (w->run < w->l->nruns) {
		const struct elf_run *r = &w->l->runs[w->run];
		uint64_t end = r->pfn + r->nfile;
		if (w->at < r->pfn)
			w->at = r->pfn;
		for (; w->at < KVM_MIN(end, pfn); w->at++, w->filled++) {
			int err = out_put(w, w->zero, w->kd->page_size);
			if (err)
				return err;
		}
		if (pfn < end)
			return 0;
		w->run++;
	}
	return 0;
}

static int
out_emit(void *arg, const struct kvm_dump_page *pg)
{
	struct elf_out *w = arg;
	int err;

	if ((err = out_fill(w, pg->pfn)))
		return err;
	if (w->run >= w->l->nruns || pg->pfn < w->l->runs[w->run].pfn ||
	    pg->pfn != w->at)
		return 0; /* not in the layout: the first pass saw a gap */
	const uint8_t *p = w->zero;
	if (pg->kind == KVM_PAGE_DATA && pg->method == KVM_COMPRESS_NONE)
		p = pg->data;
	else if (pg->kind == KVM_PAGE_DATA)
		p = pg->raw;
	else if (pg->kind == KVM_PAGE_MISSING)
		w->filled++;
	if ((err = out_put(w, p, w->kd->page_size)))
		return err;
	w->at++;
	return 0;
}

/* --------------------------------------------------------- headers */

static void
put_phdr(const kvm_t *kd, uint8_t *p, uint32_t type, uint64_t off,
	 uint64_t vaddr, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	/* Elf64_Phdr: type flags offset vaddr paddr filesz memsz align */
	kvm_tgt_put32(kd, p, type);
	kvm_tgt_put32(kd, p + 4, type == PT_LOAD ? PF_R | PF_W | PF_X : 0);
	kvm_tgt_put64(kd, p + 8, off);
	kvm_tgt_put64(kd, p + 16, vaddr);
	kvm_tgt_put64(kd, p + 24, paddr);
	kvm_tgt_put64(kd, p + 32, filesz);
	kvm_tgt_put64(kd, p + 40, memsz);
	kvm_tgt_put64(kd, p + 48, 0);
}

/*
 * ELF header, program headers (at 64), for more than 65534 of them the
 * section header 0 that holds the count (gABI: PN_XNUM), the notes, and
 * zeros up to the first page: returns the header bytes in *hdr_ret.
 */
static int
elf_headers(kvm_t *kd, const struct elf_layout *l, const uint8_t *notes,
	    size_t nlen, bool have_base, uint64_t base, uint8_t **hdr_ret,
	    size_t *hlen_ret)
{
	uint64_t ps = kd->page_size;
	uint64_t phnum = l->nruns + 1;
	bool xnum = phnum >= PN_XNUM;
	uint64_t shoff = 64 + phnum * sizeof(Elf64_Phdr);
	uint64_t noff = shoff + (xnum ? sizeof(Elf64_Shdr) : 0);
	uint64_t dataoff = (noff + nlen + ps - 1) / ps * ps;

	if (phnum > UINT32_MAX)
		return kvm_error(kd, KVM_ENOTSUP,
				 "ELF: %llu PT_LOADs are more than ELF64 can "
				 "count",
				 (unsigned long long)l->nruns);
	uint8_t *h = calloc(1, dataoff);
	if (!h)
		return kvm_error(kd, KVM_ENOMEM,
				 "out of memory for %llu ELF headers",
				 (unsigned long long)phnum);
	memcpy(h, ELFMAG, SELFMAG);
	h[EI_CLASS] = ELFCLASS64;
	h[EI_DATA] = kd->big_endian ? ELFDATA2MSB : ELFDATA2LSB;
	h[EI_VERSION] = EV_CURRENT;
	h[EI_OSABI] = ELFOSABI_NONE;
	kvm_tgt_put16(kd, h + 16, ET_CORE);
	kvm_tgt_put16(kd, h + 18, kd->e_machine);
	kvm_tgt_put32(kd, h + 20, EV_CURRENT);
	kvm_tgt_put64(kd, h + 32, 64);		     /* e_phoff */
	kvm_tgt_put64(kd, h + 40, xnum ? shoff : 0); /* e_shoff */
	kvm_tgt_put16(kd, h + 52, 64);		     /* e_ehsize */
	kvm_tgt_put16(kd, h + 54, sizeof(Elf64_Phdr));
	kvm_tgt_put16(kd, h + 56, xnum ? PN_XNUM : (uint16_t)phnum);
	kvm_tgt_put16(kd, h + 58, xnum ? sizeof(Elf64_Shdr) : 0);
	kvm_tgt_put16(kd, h + 60, xnum ? 1 : 0);
	if (xnum)
		kvm_tgt_put32(kd, h + shoff + 44,
			      (uint32_t)phnum); /* sh_info */
	put_phdr(kd, h + 64, PT_NOTE, noff, 0, 0, nlen, nlen);
	uint64_t off = dataoff;
	for (size_t i = 0; i < l->nruns; i++) {
		const struct elf_run *r = &l->runs[i];
		uint64_t pa = r->pfn * ps;
		put_phdr(kd, h + 64 + (i + 1) * sizeof(Elf64_Phdr), PT_LOAD,
			 off, have_base ? base + pa : 0, pa, r->nfile * ps,
			 r->nmem * ps);
		off += r->nfile * ps;
	}
	memcpy(h + noff, notes, nlen);
	*hdr_ret = h;
	*hlen_ret = dataoff;
	return 0;
}

int
kvm_dump_write_elf(kvm_t *kd, const struct kvm_dump_opts *o,
		   const struct kvm_dump_filter *f, struct kvm_dump_sink *s,
		   struct kvm_dump_result *res)
{
	struct elf_layout l = { .kd = kd, .f = f };
	struct elf_out w = { .kd = kd, .s = s, .l = &l };
	struct kvm_dump_result scratch;
	uint8_t *notes = NULL, *hdr = NULL;
	size_t nlen, hlen = 0, vmci_off, vmci_len;
	uint64_t base = 0;
	int err;

	if (kd->page_size == 0 || (kd->page_size & (kd->page_size - 1)))
		return kvm_error(kd, KVM_ENOTSUP,
				 "ELF: the target's page size is unknown");
	if (kd->nranges == 0)
		return kvm_error(kd, KVM_ENODATA,
				 "ELF: the target has no physical memory "
				 "ranges");
	if (kd->ranges[kd->nranges - 1].end == UINT64_MAX)
		return kvm_error(kd, KVM_ENOTSUP,
				 "ELF: the target's memory has no end");
	/*
	 * ELF pages are stored as they are: pages.c need not compress.  The
	 * first pass shows no progress; the second, which writes, does.
	 */
	struct kvm_dump_opts o1 = *o;
	o1.progress = NULL;
	l.zero_excl = o->level & KVM_DUMP_EXCL_ZERO;
	memset(&scratch, 0, sizeof(scratch));
	err = kvm_dump_pages(kd, &o1, KVM_COMPRESS_NONE, f, layout_emit, &l,
			     &scratch);
	if (err > 0)
		err = -kd->errcode;
	if (err)
		goto out;
	uint64_t top = (kd->ranges[kd->nranges - 1].end + kd->page_size - 1) /
		       kd->page_size;
	if ((err = layout_skip(&l, top)))
		goto out;

	if ((err = kvm_dump_notes_build(kd, &notes, &nlen, &vmci_off,
					&vmci_len)))
		goto out;
	bool have_base = direct_base(kd, &base);
	if ((err = elf_headers(kd, &l, notes, nlen, have_base, base, &hdr,
			       &hlen)))
		goto out;

	w.buf = malloc(ELFW_BUF);
	w.zero = calloc(1, kd->page_size);
	if (!w.buf || !w.zero) {
		err = kvm_error(kd, KVM_ENOMEM, "out of memory for output");
		goto out;
	}
	if ((err = out_put(&w, hdr, hlen)))
		goto out;
	if (res)
		memset(res, 0, sizeof(*res));
	err = kvm_dump_pages(kd, o, KVM_COMPRESS_NONE, f, out_emit, &w,
			     res ? res : &scratch);
	if (err > 0)
		err = -kd->errcode;
	if (!err)
		err = out_fill(&w, UINT64_MAX);
	if (!err)
		err = out_flush(&w);
	if (!err && res) {
		res->pages_written = l.nfile;
		res->bytes = w.off;
	}
out:
	free(l.runs);
	free(notes);
	free(hdr);
	free(w.buf);
	free(w.zero);
	return err;
}
