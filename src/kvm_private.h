/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * struct __kvm (kvm_t) and the two plug-in interfaces: formats (what holds
 * the memory: ELF vmcore, kdump, ...) and architectures (how virtual
 * addresses become physical).  Nothing above these interfaces knows a
 * format or an architecture (DESIGN §7).
 */
#ifndef KVM_PRIVATE_H
#define KVM_PRIVATE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "kvm.h"
#include "util.h"
#include "vmcoreinfo.h"

/*
 * Internal error codes are the negated public enum kvm_errcode; 0 is
 * success.  KVM_ENOPROBE only travels between a format's probe and the
 * core ("not mine") and never reaches a user.
 */
#define KVM_ENOPROBE 100

/* Record an error on kd; returns -code so callers can "return kvm_error()". */
int kvm_error(kvm_t *kd, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As kvm_error(KVM_ESYS), with ": strerror(errno)" appended. */
int kvm_error_sys(kvm_t *kd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefix the recorded message with context; returns the recorded code. */
int kvm_error_ctx(kvm_t *kd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Record what a format's open worked around in a damaged header (kept for
 * kvm_get_info; further warnings are appended while there is room).
 */
void kvm_warn(kvm_t *kd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Forget the recorded error (a caller handled it). */
void kvm_error_clear(kvm_t *kd);
/*
 * The recorded error, kept aside while something else may fail (a
 * fallback, a probe) and put back when its own failure is not the one to
 * report.  kvm_error_restore() returns the kept -code, as kvm_error().
 */
struct kvm_error_saved {
	int code, sys_errno;
	char msg[_POSIX2_LINE_MAX];
};
void kvm_error_save(const kvm_t *kd, struct kvm_error_saved *s);
int kvm_error_restore(kvm_t *kd, const struct kvm_error_saved *s);
/*
 * Public entry points call this when they fail: a handle opened by
 * kvm_open() with an errstr prints its hard errors (Sun semantics).
 */
void kvm_report(kvm_t *kd);

/* Public entry points given a NULL handle fail with EINVAL. */
#define KVM_CHECK_KD(kd, ret)           \
	do {                            \
		if (!(kd)) {            \
			errno = EINVAL; \
			return ret;     \
		}                       \
	} while (0)

/* ---------------------------------------------------------------- files */

/* One extent of a flattened dump: logical [lofs, lofs+len) at file fofs. */
struct kvm_flat_rec {
	uint64_t lofs;
	uint64_t fofs;
	uint64_t len;
};
struct kvm_flat;

/*
 * A file the target reads.  Regular files are mapped whole (reads are then
 * memcpy, no syscall); devices and /proc files fall back to pread.
 */
struct kvm_file {
	int fd;
	uint64_t size;	    /* bytes that may be read */
	const uint8_t *map; /* whole-file mapping, or NULL */
	size_t map_len;
	bool writable;
	bool regular;
	struct kvm_flat *flat; /* flattened dump: logical -> file offsets */
	/* Data extents of a sparse regular file (SEEK_DATA), NULL: all data. */
	struct kvm_extent *data;
	size_t ndata;
	int guard; /* 1 + its slot in io.c's SIGBUS guard; 0 none */
};

/*
 * True once the mapped file was found shorter than at open (truncated
 * while open: a read touched a page past its new end).  Every read of
 * the handle fails from then on.
 */
bool kvm_file_shrunk(const struct kvm_file *f);
extern const char kvm_shrunk_msg[];
/*
 * Drop the mapped file's pages from the process (the page cache keeps
 * them; a later read faults them back): one pass over a big dump, such as
 * the dump writer's, then holds only what it read since.
 */
void kvm_file_drop_pages(const struct kvm_file *f);

/* [start, end) of a regular file that holds data (not a hole). */
struct kvm_extent {
	uint64_t start, end;
};

/* libelf initialised (elf_version), once per process; false if it cannot be. */
bool kvm_libelf_ready(void);
int kvm_file_open(kvm_t *kd, struct kvm_file *f, const char *path, int oflags);
void kvm_file_close(struct kvm_file *f);
/* Read exactly len bytes at off; KVM_ETRUNC past the end of the file. */
int kvm_file_read(kvm_t *kd, const struct kvm_file *f, uint64_t off, void *buf,
		  size_t len);
/*
 * The mapped pages read so far are not needed again soon (a scan of the
 * whole file at open): drop them from the process's resident set.
 */
void kvm_file_forget(const struct kvm_file *f);
/* The same for len bytes at p, a pointer kvm_file_ptr() returned. */
void kvm_file_forget_ptr(const struct kvm_file *f, const void *p, size_t len);
/* Pointer to len bytes at off when the file is mapped, else NULL. */
const void *kvm_file_ptr(const struct kvm_file *f, uint64_t off, size_t len);
int kvm_file_write(kvm_t *kd, struct kvm_file *f, uint64_t off, const void *buf,
		   size_t len);
/*
 * Make f read the logical file of a flattened dump: n extents in stream
 * order (where they overlap, the later one wins; bytes no extent covers
 * read as zeros).  f->size becomes the logical size, the end of the
 * furthest extent; writes are refused.  The extents are copied.
 */
int kvm_file_set_flat(kvm_t *kd, struct kvm_file *f,
		      const struct kvm_flat_rec *recs, size_t n);
/*
 * Bytes of [off, off+len) that no extent of a flattened file holds (they
 * read as zeros); 0 for other files.  Lets a format refuse to copy or scan
 * a table that is mostly holes: a logical file can claim any size.
 */
uint64_t kvm_file_hole_bytes(const struct kvm_file *f, uint64_t off,
			     uint64_t len);

/* ------------------------------------------------------ physical memmap */

/*
 * The physical memory of a target whose format stores plain ranges (ELF,
 * LiME, raw): sorted, non-overlapping segments.  Bytes between filesz and
 * memsz of a segment read as zeros (ELF p_filesz < p_memsz).
 */
struct kvm_memseg {
	uint64_t pa;	 /* first physical address */
	uint64_t memsz;	 /* bytes of physical memory covered */
	uint64_t offset; /* file offset of the first byte */
	uint64_t filesz; /* bytes present in the file (<= memsz) */
};

struct kvm_memmap {
	struct kvm_memseg *segs;
	size_t nsegs;
	size_t last; /* index of the segment hit last: reads are local */
};

int kvm_memmap_add(kvm_t *kd, struct kvm_memmap *m, uint64_t pa, uint64_t memsz,
		   uint64_t offset, uint64_t filesz);
/* Sort, then trim overlaps: file bytes win over zero fill, else the
 * segment that starts lower. */
int kvm_memmap_finish(kvm_t *kd, struct kvm_memmap *m);
/* One past the last file byte a segment holds (what the file must have). */
uint64_t kvm_memmap_file_end(const struct kvm_memmap *m);
void kvm_memmap_deinit(struct kvm_memmap *m);
/*
 * Read physical memory through m from f.  Returns 0 when all len bytes
 * were read; else an error, with *done_ret the bytes read before it.
 */
int kvm_memmap_read(kvm_t *kd, struct kvm_memmap *m, const struct kvm_file *f,
		    uint64_t pa, void *buf, size_t len, size_t *done_ret);
/*
 * Pointer to len bytes of physical memory at pa when they are stored
 * contiguously in the mapped file, else NULL (then use kvm_memmap_read).
 */
const void *kvm_memmap_ptr(struct kvm_memmap *m, const struct kvm_file *f,
			   uint64_t pa, size_t len);
/*
 * Format ops for formats whose state (kd->fmt_priv) starts with their
 * struct kvm_memmap; _close frees a state that is nothing more.
 */
int kvm_memmap_fmt_read(kvm_t *kd, uint64_t pa, void *buf, size_t len,
			size_t *done_ret);
int kvm_memmap_fmt_write(kvm_t *kd, uint64_t pa, const void *buf, size_t len,
			 size_t *done_ret);
const void *kvm_memmap_fmt_ptr(kvm_t *kd, uint64_t pa, size_t len);
bool kvm_memmap_fmt_held(kvm_t *kd, uint64_t pa, uint64_t *len_ret);
void kvm_memmap_fmt_close(kvm_t *kd);
int kvm_memmap_write(kvm_t *kd, struct kvm_memmap *m, struct kvm_file *f,
		     uint64_t pa, const void *buf, size_t len,
		     size_t *done_ret);

/* -------------------------------------------------------------- formats */

/* A CPU's state as a dump recorded it (what translation may need). */
struct kvm_symtab;
struct kallsyms_quick;
struct btf;

/*
 * struct elf_prstatus (include/uapi/linux/elfcore.h) on 64-bit Linux:
 * pr_pid at 32, the general registers (elf_gregset_t) at 112.
 */
#define KVM_PRSTATUS_PID 32
#define KVM_PRSTATUS_REGS 112
#define KVM_PRSTATUS_MAX_REGS 34 /* aarch64: x0-x30, sp, pc, pstate */

struct kvm_cpu_state {
	bool have_regs; /* from NT_PRSTATUS */
	uint64_t pc, sp;
	/*
	 * The NT_PRSTATUS note as it came: pr_pid (kdump: the pid of the
	 * task on the CPU, 0 for its idle task; QEMU: the CPU number + 1)
	 * and the general registers in elf_gregset_t order (x86_64: struct
	 * pt_regs then fs_base...; aarch64: x0-x30, sp, pc, pstate).
	 */
	bool have_prstatus;
	int32_t pr_pid;
	unsigned ngregs;
	uint64_t gregs[KVM_PRSTATUS_MAX_REGS];
	bool have_cr; /* from a QEMU CPU-state note (x86) */
	uint64_t cr0, cr3, cr4;
};

#define KVM_MAX_CPUS 8192

/*
 * Fill c's have_prstatus, pr_pid and gregs from an NT_PRSTATUS
 * descriptor of len bytes (src/notes.c); too short: left as it was.
 */
void kvm_prstatus_parse(kvm_t *kd, struct kvm_cpu_state *c, const uint8_t *desc,
			size_t len);

struct kvm_format_ops {
	const char *name;
	/* 0: mine; -KVM_ENOPROBE: not mine (no message); else an error. */
	int (*probe)(kvm_t *kd, const uint8_t *head, size_t headlen);
	/* Parse headers; fill kd->phys ranges, notes, machine. */
	int (*open)(kvm_t *kd);
	/* As kvm_memmap_read(): 0 or an error with *done_ret bytes read. */
	int (*read_phys)(kvm_t *kd, uint64_t pa, void *buf, size_t len,
			 size_t *done_ret);
	int (*write_phys)(kvm_t *kd, uint64_t pa, const void *buf, size_t len,
			  size_t *done_ret);
	/*
	 * Optional fast path: a pointer to len bytes at pa when the file
	 * holds them as they are (mapped, contiguous), else NULL.
	 */
	const void *(*phys_ptr)(kvm_t *kd, uint64_t pa, size_t len);
	/*
	 * Optional: whether the file stores the bytes at pa (not zeros by
	 * definition, not excluded pages), and for how many bytes from pa
	 * (>= 1) that answer holds.  Scans of physical memory skip what is
	 * not stored.  NULL: everything in the ranges is stored.
	 */
	bool (*held)(kvm_t *kd, uint64_t pa, uint64_t *len_ret);
	/*
	 * Dump devices only (kvm_dump_mkheader): read the dump whose header
	 * is at file offset off.  0; -KVM_ENOENT (no message) when there is
	 * no valid dump there; or an error.
	 */
	int (*mkheader)(kvm_t *kd, uint64_t off);
	/* kd->cache_bytes changed: trim the decoded-page cache (optional). */
	void (*cache_resize)(kvm_t *kd);
	/* Free format state; must accept a half-opened kd. */
	void (*close)(kvm_t *kd);
};

/* ---------------------------------------------------------- architectures */

/*
 * Reads one page-table entry (8 bytes, target byte order already applied)
 * at a physical address.  Translation reaches memory only through this, so
 * it can be tested with page tables built in a buffer.
 */
typedef int kvm_read_pte_fn(void *arg, uint64_t pa, uint64_t *pte_ret);
/* The one over a dump's physical memory (arg: the kvm_t), src/kvm.c. */
int kvm_read_pte_phys(void *arg, uint64_t pa, uint64_t *pte_ret);

/*
 * A swap entry as an architecture stores it in a PTE, decoded to the
 * kernel's swp_type()/swp_offset(): the swap area (index of swap_info[],
 * or beyond the areas for migration, device and marker entries) and the
 * slot in it.
 */
struct kvm_swp_entry {
	unsigned type;
	uint64_t offset;
	uint64_t pte; /* the entry as found, for messages */
};
#define KVM_UVA_SWAP 1

/* A release as a number that compares: KVM_KVER(6, 10). */
#define KVM_KVER(major, minor) ((uint32_t)(major) << 16 | (uint32_t)(minor))

struct kvm_arch_ops {
	const char *name;
	uint16_t e_machine; /* ELF machine number */
	int ptr_size;
	bool big_endian;
	/*
	 * Set up kernel translation from VMCOREINFO, CPU notes or what the
	 * format recorded: kd->xlat root, levels, kd->kaslr_offset.
	 */
	int (*init)(kvm_t *kd);
	/* Kernel VA -> PA; *len_ret: bytes valid from *pa_ret. */
	int (*kvatop)(kvm_t *kd, uint64_t va, uint64_t *pa_ret,
		      uint64_t *len_ret);
	/*
	 * User VA -> PA through the page tables rooted at root (an mm's
	 * pgd).  A last-level entry that maps nothing but holds a swap
	 * entry gives KVM_UVA_SWAP with *swp filled (and *len_ret the bytes
	 * to the end of the page); the swap layer (src/proc/swap.c) reads
	 * it.  Layouts that changed by release go by kd->xlat.kver.
	 */
	int (*uvatop)(kvm_t *kd, uint64_t root, uint64_t va, uint64_t *pa_ret,
		      uint64_t *len_ret, struct kvm_swp_entry *swp);
	/*
	 * Optional: may the kernel execute at va (no NX/PXN on the way)?
	 * *len_ret: bytes from va under the same entry.  Scans for data
	 * (the kallsyms tables) skip the kernel text by it.
	 */
	int (*kva_exec)(kvm_t *kd, uint64_t va, bool *exec_ret,
			uint64_t *len_ret);
	void (*fini)(kvm_t *kd);
	/* Forget cached translations (kvm_write may change page tables). */
	void (*flush)(kvm_t *kd);
};

/* Page-table walking state shared by the arch plug-ins. */
struct kvm_xlat {
	kvm_read_pte_fn *read_pte;
	void *arg;
	uint64_t root;	      /* physical address of the kernel root table */
	int levels;	      /* 4 or 5 on x86_64 */
	bool ready;	      /* root and levels known */
	uint64_t ktext_start; /* run-time start of kernel text, 0 if unknown */
	uint64_t user_end;    /* end of user addresses (exclusive), 0 unknown */
	/*
	 * The release, KVM_KVER(); below KVM_KVER(1, 0) unknown (0: not
	 * looked for yet).  Set by whoever learns it.
	 */
	uint32_t kver;
	/*
	 * After a kernel walk failed on an entry that is not present, or on
	 * a table that does not read: the last address that entry or table
	 * spans (nothing below it translates), for scans to step over; 0
	 * when the walk did not say.
	 */
	uint64_t hole_last;
};

const struct kvm_arch_ops *kvm_arch_by_machine(uint16_t e_machine);
/* uname -m of an ELF machine, "unknown" for others (src/machine.c). */
const char *kvm_machine_name(uint16_t e_machine);

/*
 * A small direct-mapped cache of kernel translations, keyed by 4 KiB page
 * (no architecture maps less), so runs of small reads skip the walk.
 * Dumps do not change under us; kvm_write flushes it all the same.
 */
#define KVM_TLB_SIZE 256
struct kvm_tlb_entry {
	uint64_t vpage; /* va & ~0xfff, or 1 (never a page) if empty */
	uint64_t ppage; /* physical address of vpage */
	uint64_t vend;	/* end of the (large) page that maps vpage */
};

/*
 * Large pages (2 MiB and up: x86_64 PMD/PUD pages, arm64 blocks) are
 * cached whole, one per 2 MiB slot of virtual space, so random reads over
 * a block-mapped direct map hit without walking.
 */
#define KVM_BLOCK_CACHE_SIZE 1024
#define KVM_BLOCK_SHIFT 21
struct kvm_block_entry {
	uint64_t vstart, vend; /* [vstart, vend) maps linearly; vend 0: empty */
	uint64_t pstart;
};

/*
 * A dump of our own formats (src/kvmdump_disk.h), as its reader found it;
 * the dump layer (src/dump) reads it for savecore.
 */
struct kvm_dumpinfo {
	bool device;	    /* a dump device: kvm_dump_mkheader reads it */
	bool have_header;   /* a dump was parsed (at open or by mkheader) */
	uint64_t dump_off;  /* file offset of its header, or of kcore_hdr */
	uint64_t hdr_size;  /* bytes from dump_off to the page stream */
	uint64_t data_size; /* bytes of the page stream */
	uint64_t index_offset, index_count;
	uint64_t crash_time;
	uint32_t flags; /* KVMDUMP_F_COMPLETE, _INCOMPLETE */
	uint32_t level, compress;
};

/* ----------------------------------------------------------------- kvm_t */

struct __kvm {
	char errbuf[_POSIX2_LINE_MAX];
	/*
	 * Nonzero while a scan reads memory it expects to be unreadable in
	 * places (kvm_scan_image): errors keep their code and skip their
	 * message, which nobody reads and which cost more than the read.
	 */
	int quiet_errors;
	int errcode;	     /* positive enum kvm_errcode of errbuf */
	int sys_errno;	     /* errno of the last KVM_ESYS error */
	const char *program; /* kvm_open()'s errstr: print hard errors */
	int flags;	     /* O_RDONLY/O_WRONLY/O_RDWR or KVM_NO_FILES */

	char *corepath;
	char *execpath;
	struct kvm_file core;

	const struct kvm_format_ops *format;
	void *fmt_priv; /* the format's own state */
	bool live;
	int devmem_fd;	    /* /dev/mem for kvm_write on the live kernel */
	bool zero_excluded; /* KVM_ZERO_EXCLUDED */
	bool raw_phys;	    /* KVM_RAW_PHYS: use the raw format only */
	size_t cache_bytes; /* kvm_set_cache_size(); 0: default */

	/* What the format found (filled by its open). */
	uint16_t e_machine;
	int ptr_size;
	bool big_endian;
	struct kvm_phys_range *ranges;
	size_t nranges;
	struct kvm_cpu_state *cpus;
	size_t ncpus;
	char *vmcoreinfo_text;
	struct kvm_vmcoreinfo vmci;
	/* Headers that contradict themselves, and how they were read. */
	char warning[256]; /* as struct kvm_info's */
	char release[65];  /* uname -r from memory when VMCOREINFO has none */
	int dump_level;	   /* makedumpfile -d of the dump; -1 none/unknown */
	/*
	 * Bytes the format's headers promise (kvm_expect_end), and when the
	 * file is shorter, what kvm_geterr() puts before data errors.
	 */
	uint64_t expect_end;
	uint64_t trunc_file, trunc_want; /* the sizes trunc speaks of */
	char trunc[192];
	char errshow[_POSIX2_LINE_MAX + 192 + 8];
	/* kvm_proc_release()'s answer: release, or the code and why. */
	bool release_tried;
	int release_code;
	char release_why[_POSIX2_LINE_MAX];

	const struct kvm_arch_ops *arch;
	void *arch_priv;
	struct kvm_xlat xlat;
	struct kvm_tlb_entry tlb[KVM_TLB_SIZE];
	struct kvm_block_entry blocks[KVM_BLOCK_CACHE_SIZE];
	char xlat_reason[_POSIX2_LINE_MAX]; /* why arch init failed, for kvm_read */
	int xlat_errcode;
	bool kaslr_known;
	int64_t kaslr_offset;
	uint32_t page_size;

	/* Symbols (src/sym), loaded on first use. */
	struct kvm_symtab *symtab; /* src/sym/symtab.h */
	int sym_state;		   /* 0 not loaded, 1 loaded, -code failed */
	char sym_note[_POSIX2_LINE_MAX]; /* why the preferred source failed */
	kvm_resolver_fn *resolver;
	bool sym_text_only; /* the target's kallsyms has no data symbols */
	int ksym_scans;	    /* exported-symbol table scans (src/sym) */
	/* Single names answered before the table is loaded (kallsyms_mem.c). */
	struct kallsyms_quick *ksq;
	int ksq_lookups;

	/* Types (src/types), loaded on first use. */
	struct btf *btf; /* libbpf; NULL: VMCOREINFO OFFSET/SIZE only */
	char *btf_path;	 /* kvm_set_btf_file() */
	int btf_state;	 /* 0 not loaded, 1 loaded, -code failed */
	char btf_note[_POSIX2_LINE_MAX]; /* why there is no BTF */
	int btf_note_code; /* its enum kvm_errcode: ENOENT, none found */

	struct kvm_dumpinfo dump;

	/* Processes and the kernel log (src/proc), built on first use. */
	struct kvm_proc *proc; /* src/proc/proc.h */
	/* Stacks (src/stack): unwind tables, the last stack returned. */
	struct kvm_stack_state *stack; /* src/stack/stack.h */
	/* Swap areas (src/proc/swap.c): kvm_openfiles' swapfile. */
	struct kvm_swap *swap;
};

/*
 * One page through a KVM_COMPRESS_* decompressor (src/decompress.c): for
 * the reader of our own format, and the dump writers' checks.
 */
int kvm_decompress(int method, const void *in, size_t n, void *out, size_t cap,
		   size_t *out_len);
/* Set up translation once the format knows the machine (kvm_open does). */
int kvm_setup_arch(kvm_t *kd);
/* Physical read through the format, for arch and core code. */
int kvm_phys_read(kvm_t *kd, uint64_t pa, void *buf, size_t len,
		  size_t *done_ret);
/* The format's held() (see struct kvm_format_ops), or "stored". */
bool kvm_phys_held(kvm_t *kd, uint64_t pa, uint64_t *len_ret);
/* Kernel VA -> PA through the translation cache and the arch plug-in. */
/*
 * Is all of [va, va + len) kernel memory that may be executed (no NX or
 * PXN)?  False when it is not, when it is not mapped, or when the arch
 * cannot tell; never sets an error.
 */
bool kvm_kva_exec_range(kvm_t *kd, uint64_t va, uint64_t len);
int kvm_kvatop_cached(kvm_t *kd, uint64_t va, uint64_t *pa_ret,
		      uint64_t *len_ret);
void kvm_tlb_flush(kvm_t *kd);
/* Kernel virtual read; same contract as kvm_phys_read. */
int kvm_virt_read(kvm_t *kd, uint64_t va, void *buf, size_t len,
		  size_t *done_ret);
/*
 * The same for the kernel image (text, rodata, kallsyms, BTF): a page that
 * a filtered dump left out reads as zeros.  The image is reserved memory,
 * never free, cache or user pages, so the only pages of it that a dump
 * level excludes are the all-zero ones (makedumpfile -d 1 and up).
 */
int kvm_virt_read_image(kvm_t *kd, uint64_t va, void *buf, size_t len,
			size_t *done_ret);
#define KVM_VREAD_EXCLUDED_ZERO 1u
/*
 * Scans of the kernel image (the banner, the log's ring): [start, start +
 * len) read as kvm_virt_read_image() does, in windows of window bytes
 * plus overlap more, pages that do not read skipped (the image has holes:
 * freed init memory, gaps between sections).  fn sees each window: va of
 * its first byte, n bytes, and starts, the positions it is to look at
 * (the overlap is looked at from the next window).  Stops at fn's first
 * nonzero return, which it returns; 0 when the range is done.  What fn
 * looks for must not start with a zero page: runs the dump does not store
 * are stepped over unread.
 */
typedef int kvm_scan_fn(void *arg, uint64_t va, const uint8_t *b, size_t n,
			size_t starts);
int kvm_scan_image(kvm_t *kd, uint64_t start, uint64_t len, size_t window,
		   size_t overlap, kvm_scan_fn *fn, void *arg);
int kvm_virt_read_flags(kvm_t *kd, uint64_t va, void *buf, size_t len,
			size_t *done_ret, unsigned flags);
/*
 * Does va hold the kernel's banner, "Linux version RELEASE ..."
 * (init/version.c)?  rel (NULL: not wanted) gets RELEASE.  Read as the
 * kernel image; a failed read is no banner, and leaves no error.
 */
bool kvm_banner_at(kvm_t *kd, uint64_t va, char *rel, size_t relsz);
/* Add a CPU state slot; returns it or NULL (error recorded). */
struct kvm_cpu_state *kvm_cpu_add(kvm_t *kd);
/*
 * A format's open: the file must hold at least end bytes for every page its
 * headers describe (the largest value given counts).
 */
void kvm_expect_end(kvm_t *kd, uint64_t end);
/* The dump is cut short: the file has have bytes of want; what says whose
 * word want is ("its headers describe").  The first call counts. */
void kvm_set_truncated(kvm_t *kd, uint64_t have, uint64_t want,
		       const char *what);
/* Record the physical ranges (copied). */
int kvm_set_phys_ranges(kvm_t *kd, const struct kvm_memmap *m);
/* Take ownership of VMCOREINFO text (len bytes, not NUL-terminated). */
int kvm_set_vmcoreinfo(kvm_t *kd, const char *text, size_t len);

static inline uint64_t
kvm_tgt64(const kvm_t *kd, uint64_t v)
{
	return kd->big_endian ? be64toh(v) : le64toh(v);
}

static inline uint32_t
kvm_tgt32(const kvm_t *kd, uint32_t v)
{
	return kd->big_endian ? be32toh(v) : le32toh(v);
}

/* Stores in the target's byte order, for the dump writers. */
static inline void
kvm_tgt_put16(const kvm_t *kd, uint8_t *p, uint16_t v)
{
	v = kd->big_endian ? htobe16(v) : htole16(v);
	memcpy(p, &v, 2);
}

static inline void
kvm_tgt_put32(const kvm_t *kd, uint8_t *p, uint32_t v)
{
	v = kd->big_endian ? htobe32(v) : htole32(v);
	memcpy(p, &v, 4);
}

static inline void
kvm_tgt_put64(const kvm_t *kd, uint8_t *p, uint64_t v)
{
	v = kd->big_endian ? htobe64(v) : htole64(v);
	memcpy(p, &v, 8);
}

/* An unsigned integer of size 1, 2, 4 or 8 bytes in target order at p. */
static inline uint64_t
kvm_tgt_uint(const kvm_t *kd, const uint8_t *p, uint32_t size)
{
	uint16_t h;
	uint32_t w;
	uint64_t d;

	switch (size) {
	case 1:
		return p[0];
	case 2:
		memcpy(&h, p, 2);
		return kd->big_endian ? be16toh(h) : le16toh(h);
	case 4:
		memcpy(&w, p, 4);
		return kvm_tgt32(kd, w);
	default:
		memcpy(&d, p, 8);
		return kvm_tgt64(kd, d);
	}
}

/*
 * An unsigned target-order integer of size 1, 2, 4 or 8 bytes at kernel
 * address va: 0, or the read's error (recorded; *v is then 0).
 */
static inline int
kvm_virt_read_uint(kvm_t *kd, uint64_t va, uint32_t size, uint64_t *v)
{
	uint8_t b[8];
	size_t done;
	int err;

	*v = 0;
	if (size == 0 || size > sizeof(b))
		return kvm_error(kd, KVM_EINVAL, "a %u-byte integer", size);
	if ((err = kvm_virt_read(kd, va, b, size, &done)))
		return err;
	*v = kvm_tgt_uint(kd, b, size);
	return 0;
}

extern const struct kvm_format_ops *const kvm_formats[];
/* The bytes the probes see: the start of the file (or logical file). */
#define KVM_PROBE_LEN 4096
/*
 * The first of kvm_formats (skip excepted: a container does not hold
 * itself) whose probe takes head, the first headlen bytes of kd->core.
 * NULL with *err 0 when none does, or with *err < 0 when a probe failed.
 */
const struct kvm_format_ops *kvm_format_probe(kvm_t *kd, const uint8_t *head,
					      size_t headlen,
					      const struct kvm_format_ops *skip,
					      int *err);
/* The first 16 bytes of head in hex, for "no format we read" messages. */
#define KVM_FORMAT_SEEN_LEN (3 * 16 + 1)
void kvm_format_seen(const uint8_t *head, size_t headlen,
		     char out[KVM_FORMAT_SEEN_LEN]);

/* src/sym: load symbols once (DESIGN §4 order); free them. */
int kvm_sym_ensure(kvm_t *kd);
void kvm_sym_fini(kvm_t *kd);
/*
 * A symbol's run-time address, as kvm_nlist() finds it (resolver, the
 * table, a leading '_' dropped): 0, or -KVM_ENOENT with a message naming
 * the symbol and why the preferred source failed; never reported.
 */
int kvm_sym_lookup(kvm_t *kd, const char *name, uint64_t *addr_ret);
/* src/stack: free the unwinders' tables and the last stack returned. */
void kvm_stack_fini(kvm_t *kd);
/*
 * The function covering addr (*name_ret and *start_ret; *size_ret:
 * distance to the next symbol, 0 unknown), as kvm_sym_byaddr() finds it
 * but only among text symbols (nm types T, t, W, w) and at most 16 MiB
 * past one: 0, or -KVM_ENOENT (no message) / another error.
 */
int kvm_sym_at(kvm_t *kd, uint64_t addr, const char **name_ret,
	       uint64_t *start_ret, uint64_t *size_ret);
/*
 * src/proc/swap.c: open the swap areas of a ':'-separated list (an open
 * error when one cannot be read or is no swap area); free them.
 */
int kvm_swap_open(kvm_t *kd, const char *paths);
void kvm_swap_fini(kvm_t *kd);
/* src/proc: free what the process and log calls returned. */
void kvm_proc_fini(kvm_t *kd);
/* The release (uname -r) from the dump's memory: banner or init_uts_ns. */
int kvm_proc_release(kvm_t *kd, char *out, size_t outsz);
/* src/types: load BTF once; free it. */
int kvm_types_ensure(kvm_t *kd);
/*
 * What kvm_type_size()/kvm_type_offsetof() answer, as internal calls:
 * 0 or -code with the message recorded, never reported.
 */
int kvm_types_sizeof(kvm_t *kd, const char *type, uint64_t *size_ret);
int kvm_types_offsetof(kvm_t *kd, const char *type, const char *member,
		       uint64_t *offset_ret, uint64_t *size_ret);
/*
 * As kvm_types_offsetof(), in bits; *bitfield_ret (may be NULL) tells a
 * bitfield member (BTF only), whose *size_ret is its storage unit's.
 */
int kvm_types_member(kvm_t *kd, const char *type, const char *member,
		     uint64_t *bits_ret, uint64_t *size_ret,
		     bool *bitfield_ret);
/* The value of enumerator name of enum type, from BTF. */
/*
 * The offset of per-CPU variable var in the per-CPU section, from the
 * BTF's .data..percpu DATASEC (pahole records per-CPU variables).
 */
int kvm_types_percpu_offset(kvm_t *kd, const char *var, uint64_t *off_ret);
int kvm_types_enum(kvm_t *kd, const char *type, const char *name,
		   int64_t *value_ret);
void kvm_types_fini(kvm_t *kd);

#endif /* KVM_PRIVATE_H */
