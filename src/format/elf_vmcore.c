// SPDX-License-Identifier: BSD-2-Clause
/*
 * ELF vmcore: /proc/vmcore as the kdump kernel exports it (fs/proc/vmcore.c),
 * QEMU dump-guest-memory "elf" and virsh dump.  PT_LOADs are indexed by
 * p_paddr; PT_NOTEs give VMCOREINFO, NT_PRSTATUS per CPU and, from QEMU, a
 * "QEMU" CPU-state note holding the control registers.  Headers are parsed
 * with libelf; every offset and count is checked against the file first.
 */
#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "../notes.h"
#include "format.h"

/* Notes beyond this are not a dump header but an attack on our memory. */
#define ELF_NOTES_MAX (64u << 20)

/* A flattened ELF's head given to libelf: any real dump's headers fit. */
#define ELF_FLAT_HEAD_MAX (64u << 20)

/* mem first: the shared kvm_memmap_fmt_* ops find it at fmt_priv. */
struct elf_priv {
	struct kvm_memmap mem;
	Elf *elf;
	uint8_t *head; /* flattened dump: libelf's copy of the headers */
};

static int
elf_probe(kvm_t *kd, const uint8_t *head, size_t headlen)
{
	(void)kd;
	if (headlen < SELFMAG || memcmp(head, ELFMAG, SELFMAG) != 0)
		return -KVM_ENOPROBE;
	return 0;
}

static const char *
elf_type_name(unsigned type)
{
	switch (type) {
	case ET_EXEC:
		return "an executable (ET_EXEC)";
	case ET_DYN:
		return "a program or shared library (ET_DYN)";
	case ET_REL:
		return "an object file (ET_REL)";
	default:
		return "not a core file";
	}
}

static int
elf_notes(kvm_t *kd, const GElf_Phdr *ph, size_t *nqemu)
{
	if (ph->p_filesz == 0)
		return 0;
	if (ph->p_filesz > ELF_NOTES_MAX)
		return kvm_error(kd, KVM_ECORRUPT,
				 "ELF: PT_NOTE of %llu bytes is larger than "
				 "any dump's notes (limit %u)",
				 (unsigned long long)ph->p_filesz,
				 ELF_NOTES_MAX);
	if (!kvm_range_ok(ph->p_offset, ph->p_filesz, kd->core.size))
		return kvm_error(kd, KVM_ETRUNC,
				 "ELF: PT_NOTE at offset 0x%llx (%llu bytes) "
				 "lies past the end of the file",
				 (unsigned long long)ph->p_offset,
				 (unsigned long long)ph->p_filesz);
	const uint8_t *buf =
		kvm_file_ptr(&kd->core, ph->p_offset, ph->p_filesz);
	_cleanup_free_ uint8_t *copy = NULL;
	if (!buf) {
		copy = malloc(ph->p_filesz);
		if (!copy)
			return kvm_error(kd, KVM_ENOMEM,
					 "out of memory for notes");
		int err = kvm_file_read(kd, &kd->core, ph->p_offset, copy,
					ph->p_filesz);
		if (err)
			return err;
		buf = copy;
	}
	int err = kvm_notes_parse(kd, buf, ph->p_filesz, nqemu);
	if (err)
		return kvm_error_ctx(kd, "ELF: PT_NOTE at offset 0x%llx",
				     (unsigned long long)ph->p_offset);
	return 0;
}

/* The ELF header and every program header can be read. */
static bool
elf_headers_fit(Elf *elf)
{
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t phnum;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    elf_getphdrnum(elf, &phnum) != 0)
		return false;
	for (size_t i = 0; i < phnum; i++)
		if (!gelf_getphdr(elf, i, &ph))
			return false;
	return true;
}

/*
 * libelf reads the file descriptor, but a flattened dump (flattened.c) is
 * an ELF file only as kd->core reads it: give libelf a copy of the
 * logical file's head instead, doubled until the program headers fit.
 * Past the limit, what libelf then says is the error.
 */
static int
elf_begin_flat(kvm_t *kd, struct elf_priv *p)
{
	for (uint64_t len = 64u << 10;; len *= 2) {
		len = KVM_MIN(len, kd->core.size);
		if (p->elf)
			elf_end(p->elf);
		p->elf = NULL;
		free(p->head);
		if (!(p->head = malloc(len ? len : 1)))
			return kvm_error(kd, KVM_ENOMEM,
					 "out of memory for ELF headers");
		int err = kvm_file_read(kd, &kd->core, 0, p->head, len);
		if (err)
			return kvm_error_ctx(kd, "ELF");
		p->elf = elf_memory((char *)p->head, len);
		if ((p->elf && elf_headers_fit(p->elf)) ||
		    len == kd->core.size || len >= ELF_FLAT_HEAD_MAX)
			return 0;
	}
}

/*
 * The header fields that size what follows, checked against the file
 * before libelf sees them: libelf quietly lowers a program-header count to
 * what fits, which would turn "the dump is cut short" into vaguer errors.
 * Offsets per the gABI (Elf32_Ehdr/Elf64_Ehdr, Elf32_Shdr/Elf64_Shdr).
 */
static int
elf_check_headers(kvm_t *kd)
{
	uint8_t h[64];
	uint64_t size = kd->core.size;

	if (size < EI_NIDENT)
		return kvm_error(kd, KVM_ETRUNC,
				 "ELF header truncated: the file has %llu "
				 "bytes",
				 (unsigned long long)size);
	int err = kvm_file_read(kd, &kd->core, 0, h, EI_NIDENT);
	if (err)
		return err;
	bool is64 = h[EI_CLASS] == ELFCLASS64;
	if (h[EI_CLASS] != ELFCLASS32 && !is64)
		return kvm_error(kd, KVM_ECORRUPT, "ELF: unknown class %u",
				 h[EI_CLASS]);
	bool be = h[EI_DATA] == ELFDATA2MSB;
	unsigned ehsize = is64 ? 64 : 52;
	if (size < ehsize)
		return kvm_error(kd, KVM_ETRUNC,
				 "ELF header truncated: the file has %llu "
				 "bytes, an ELF%d header needs %u",
				 (unsigned long long)size, is64 ? 64 : 32,
				 ehsize);
	if ((err = kvm_file_read(kd, &kd->core, 0, h, ehsize)))
		return err;
#define U16(o)                                   \
	(be ? (uint16_t)(h[o] << 8 | h[(o) + 1]) \
	    : (uint16_t)(h[(o) + 1] << 8 | h[o]))
	uint64_t phoff = 0, shoff = 0;
	for (int i = 0; i < (is64 ? 8 : 4); i++) {
		int k = be ? i : (is64 ? 7 : 3) - i;
		phoff = phoff << 8 | h[(is64 ? 32 : 28) + k];
		shoff = shoff << 8 | h[(is64 ? 40 : 32) + k];
	}
	unsigned phentsize = U16(is64 ? 54 : 42);
	uint64_t phnum = U16(is64 ? 56 : 44);
	unsigned shentsize = is64 ? 64 : 40;
#undef U16
	if (phnum == PN_XNUM) {
		/* The real count is sh_info of section header 0. */
		uint8_t sh[4];
		unsigned info = is64 ? 44 : 28;
		if (!kvm_range_ok(shoff, shentsize, size))
			return kvm_error(kd, KVM_ETRUNC,
					 "ELF: extended program header count: "
					 "section header 0 at offset 0x%llx "
					 "lies past the end of the file",
					 (unsigned long long)shoff);
		if ((err = kvm_file_read(kd, &kd->core, shoff + info, sh, 4)))
			return err;
		phnum = be ? (uint64_t)sh[0] << 24 | sh[1] << 16 | sh[2] << 8 |
					sh[3]
			   : (uint64_t)sh[3] << 24 | sh[2] << 16 | sh[1] << 8 |
					sh[0];
	}
	unsigned want = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (phentsize != want)
		return kvm_error(kd, KVM_ECORRUPT,
				 "ELF: program header size e_phentsize %u, "
				 "expected %u",
				 phentsize, want);
	if (phnum == 0)
		return kvm_error(kd, KVM_ECORRUPT,
				 "ELF core has no program headers");
	if (!kvm_range_ok(phoff, phnum * want, size))
		return kvm_error(kd, KVM_ETRUNC,
				 "ELF: %llu program headers of %u bytes at "
				 "offset 0x%llx do not fit in the file "
				 "(%llu bytes)",
				 (unsigned long long)phnum, want,
				 (unsigned long long)phoff,
				 (unsigned long long)size);
	return 0;
}

/*
 * e_phnum too large: the table then runs into the data of a segment it
 * describes (a note, memory).  Entries from there on are that data, not
 * headers: read the table up to it and say so.  Only a segment that starts
 * inside the table, after its first entry, counts (an executable's first
 * PT_LOAD covers the headers from offset 0).
 */
static int
elf_phnum_check(kvm_t *kd, Elf *elf, uint64_t phoff, size_t entsz,
		size_t *phnum)
{
	size_t n = *phnum;
	uint64_t table_end = phoff + (uint64_t)n * entsz; /* fits the file */

	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, i, &ph))
			return kvm_error(kd, KVM_ECORRUPT,
					 "ELF: program header %zu: %s", i,
					 elf_errmsg(-1));
		if ((ph.p_type != PT_LOAD && ph.p_type != PT_NOTE) ||
		    ph.p_filesz == 0 || ph.p_offset <= phoff ||
		    ph.p_offset >= table_end)
			continue;
		size_t k = (size_t)((ph.p_offset - phoff) / entsz);
		if (k < n) {
			n = k; /* entries k.. are data; i < k was read */
			table_end = phoff + (uint64_t)n * entsz;
		}
	}
	if (n == *phnum)
		return 0;
	if (n == 0)
		return kvm_error(kd, KVM_ECORRUPT,
				 "ELF: the program header table holds the "
				 "data of its own segments");
	kvm_warn(kd,
		 "ELF: e_phnum says %zu program headers, but segment data "
		 "starts after %zu of them: read %zu",
		 *phnum, n, n);
	*phnum = n;
	return 0;
}

/*
 * Physical addresses of x86_64 and arm64 have at most 52 bits (x86_64
 * MAXPHYADDR, arm64 FEAT_LPA); a PT_LOAD that runs past them is a broken
 * p_memsz (memory the file does not hold).  It is cut there, so the
 * ranges stay real, and the warning says so.
 */
#define ELF_PHYS_LIMIT (1ULL << 52)

static int
elf_load_clip(kvm_t *kd, size_t i, GElf_Phdr *ph)
{
	if (kd->e_machine != EM_X86_64 && kd->e_machine != EM_AARCH64)
		return 0;
	if (ph->p_memsz == 0 || (ph->p_paddr < ELF_PHYS_LIMIT &&
				 ph->p_memsz <= ELF_PHYS_LIMIT - ph->p_paddr))
		return 0;
	if (ph->p_paddr >= ELF_PHYS_LIMIT ||
	    ph->p_filesz > ELF_PHYS_LIMIT - ph->p_paddr)
		return kvm_error(kd, KVM_ECORRUPT,
				 "ELF: PT_LOAD %zu at physical address 0x%llx "
				 "holds 0x%llx bytes past the 52-bit physical "
				 "address space of %s",
				 i, (unsigned long long)ph->p_paddr,
				 (unsigned long long)ph->p_filesz,
				 kvm_machine_name(kd->e_machine));
	uint64_t cut = ELF_PHYS_LIMIT - ph->p_paddr;
	kvm_warn(kd,
		 "ELF: PT_LOAD %zu claims 0x%llx bytes at 0x%llx, past the "
		 "52-bit physical address space: read as 0x%llx",
		 i, (unsigned long long)ph->p_memsz,
		 (unsigned long long)ph->p_paddr, (unsigned long long)cut);
	ph->p_memsz = cut;
	return 0;
}

static int
elf_open(kvm_t *kd)
{
	struct elf_priv *p = calloc(1, sizeof(*p));
	GElf_Ehdr eh;
	size_t phnum;
	int err;

	if (!p)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	kd->fmt_priv = p;
	if ((err = elf_check_headers(kd)))
		return err;
	if (!kvm_libelf_ready())
		return kvm_error(kd, KVM_ENOTSUP, "libelf: %s", elf_errmsg(-1));
	/* ELF_C_READ reads headers lazily with pread; the data path is ours. */
	/*
	 * A flattened dump has no file for libelf; /proc/kcore is as large
	 * as the address space: both give libelf their headers in memory.
	 */
	if (kd->core.flat || kd->live) {
		err = elf_begin_flat(kd, p);
		if (err)
			return err;
	} else {
		p->elf = elf_begin(kd->core.fd, ELF_C_READ, NULL);
	}
	if (!p->elf || elf_kind(p->elf) != ELF_K_ELF)
		return kvm_error(kd, KVM_ECORRUPT, "ELF: %s",
				 p->elf ? "not an ELF object" : elf_errmsg(-1));
	if (!gelf_getehdr(p->elf, &eh))
		return kvm_error(kd, KVM_ECORRUPT, "ELF: bad ELF header: %s",
				 elf_errmsg(-1));
	if (eh.e_type != ET_CORE)
		return kvm_error(kd, KVM_EFORMAT,
				 "ELF file is %s, not a core dump",
				 elf_type_name(eh.e_type));
	kd->e_machine = eh.e_machine;
	kd->ptr_size = gelf_getclass(p->elf) == ELFCLASS32 ? 4 : 8;
	kd->big_endian = eh.e_ident[EI_DATA] == ELFDATA2MSB;

	if (elf_getphdrnum(p->elf, &phnum) != 0)
		return kvm_error(kd, KVM_ECORRUPT,
				 "ELF: bad program header count: %s",
				 elf_errmsg(-1));
	size_t entsz = gelf_fsize(p->elf, ELF_T_PHDR, 1, EV_CURRENT);
	uint64_t phbytes;
	if (phnum == 0)
		return kvm_error(kd, KVM_ECORRUPT,
				 "ELF core has no program headers");
	if (eh.e_phentsize != entsz ||
	    kvm_mul_overflow((uint64_t)phnum, (uint64_t)entsz, &phbytes) ||
	    !kvm_range_ok(eh.e_phoff, phbytes, kd->core.size))
		return kvm_error(kd, KVM_ETRUNC,
				 "ELF: %zu program headers of %u bytes at "
				 "offset 0x%llx do not fit in the file "
				 "(%llu bytes)",
				 phnum, eh.e_phentsize,
				 (unsigned long long)eh.e_phoff,
				 (unsigned long long)kd->core.size);

	if ((err = elf_phnum_check(kd, p->elf, eh.e_phoff, entsz, &phnum)))
		return err;
	size_t nqemu = 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(p->elf, i, &ph))
			return kvm_error(kd, KVM_ECORRUPT,
					 "ELF: program header %zu: %s", i,
					 elf_errmsg(-1));
		if (ph.p_type == PT_NOTE) {
			err = elf_notes(kd, &ph, &nqemu);
			if (err)
				return err;
		} else if (ph.p_type == PT_LOAD) {
			if (ph.p_filesz > ph.p_memsz)
				return kvm_error(kd, KVM_ECORRUPT,
						 "ELF: PT_LOAD %zu has p_filesz "
						 "0x%llx > p_memsz 0x%llx",
						 i,
						 (unsigned long long)ph.p_filesz,
						 (unsigned long long)ph.p_memsz);
			uint64_t end;
			if (kvm_add_overflow(ph.p_offset, ph.p_filesz, &end))
				return kvm_error(kd, KVM_ECORRUPT,
						 "ELF: PT_LOAD %zu: offset "
						 "overflows",
						 i);
			/*
			 * /proc/kcore's PT_LOADs are kernel virtual ranges;
			 * the direct map's and the kernel text's carry their
			 * physical address (fs/proc/kcore.c, 4.11+), the
			 * others p_paddr -1 (vmalloc, modules, vmemmap:
			 * reached through the page tables instead).  Before
			 * 4.11 every p_paddr was 0: nothing to index.
			 */
			if (kd->live && (ph.p_paddr == UINT64_MAX ||
					 (ph.p_paddr == 0 && ph.p_vaddr != 0)))
				continue;
			if (!kd->live && (err = elf_load_clip(kd, i, &ph)))
				return err;
			/*
			 * A PT_LOAD past the end of the file stays: its
			 * bytes read as "truncated", which is the truth.
			 */
			err = kvm_memmap_add(kd, &p->mem, ph.p_paddr,
					     ph.p_memsz, ph.p_offset,
					     ph.p_filesz);
			if (err)
				return err;
		}
	}
	if (p->mem.nsegs == 0)
		return kvm_error(kd, KVM_ECORRUPT,
				 "ELF core has no memory (no PT_LOAD)");
	err = kvm_memmap_finish(kd, &p->mem);
	if (!err)
		err = kvm_set_phys_ranges(kd, &p->mem);
	if (!err && !kd->live)
		kvm_expect_end(kd, kvm_memmap_file_end(&p->mem));
	return err;
}

static void
elf_close(kvm_t *kd)
{
	struct elf_priv *p = kd->fmt_priv;

	if (!p)
		return;
	if (p->elf)
		elf_end(p->elf);
	free(p->head);
	kvm_memmap_deinit(&p->mem);
	free(p);
	kd->fmt_priv = NULL;
}

const struct kvm_format_ops kvm_format_elf = {
	.name = "elf",
	.probe = elf_probe,
	.open = elf_open,
	.read_phys = kvm_memmap_fmt_read,
	.phys_ptr = kvm_memmap_fmt_ptr,
	.held = kvm_memmap_fmt_held,
	.write_phys = kvm_memmap_fmt_write,
	.close = elf_close,
};
