/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file kvm.h
 * @brief libkvm for Linux: the BSD kvm(3) kernel memory interface.
 *
 * The classic kvm(3) calls (kvm_open, kvm_read, kvm_nlist, kvm_getprocs, ...)
 * as NetBSD and FreeBSD define them, mapped onto Linux targets: the running
 * kernel (/proc/kcore) and crash dumps (ELF vmcore, kdump-compressed, ...).
 * Linux extensions carry the kvm_ prefix and are marked as such below.
 *
 * Error model: every call returns -1 or NULL on failure and leaves a message
 * for kvm_geterr(); a successful call does not clear an earlier message.
 * kvm_geterrcode() gives the failure class as a KVM_E* code.
 *
 * Threads: a kvm_t is not thread-safe; separate handles may be used from
 * separate threads at the same time (the library keeps no global state).
 */
#ifndef KVM_H
#define KVM_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque kvm descriptor; one per opened target. */
typedef struct __kvm kvm_t;

/** A target's kernel virtual address; 64 bits whatever the host. */
typedef uint64_t kvaddr_t;
/** A target's physical address. */
typedef uint64_t kpaddr_t;
/** A signed displacement between target addresses. */
typedef int64_t kssize_t;

/**
 * kvm_open() flag: open no files at all.  The process list, argv, environ
 * and load average then come from /proc; kvm_read() and kvm_write() fail.
 * (NetBSD's value.)
 */
#define KVM_NO_FILES ((int)0x80000000)

/**
 * kvm_open() flag (extension): read pages that a filtered dump excluded
 * (makedumpfile -d) as zeros instead of failing with KVM_ENODATA.
 */
#define KVM_ZERO_EXCLUDED 0x40000000

/**
 * kvm_open() flag (extension): the core is a raw image of physical memory
 * starting at physical address 0 (no header to recognise it by).
 */
#define KVM_RAW_PHYS 0x20000000

#ifndef _POSIX2_LINE_MAX
#define _POSIX2_LINE_MAX 2048
#endif

/** Size of the errbuf that kvm_openfiles() and kvm_open2() fill. */
#define KVM_ERRBUF_SIZE _POSIX2_LINE_MAX

/**
 * Failure classes, as kvm_geterrcode() returns them (negated: -KVM_ECORRUPT
 * etc. are what the library uses internally; the public getter returns the
 * positive value).  0 means no error was recorded.
 */
enum kvm_errcode {
	KVM_EOK = 0,
	KVM_ESYS = 1,	 /**< system call failed; errno was saved in the text */
	KVM_ENOMEM = 2,	 /**< out of memory */
	KVM_EINVAL = 3,	 /**< bad argument from the caller */
	KVM_ENOTSUP = 4, /**< not supported on this target (or not yet) */
	KVM_ECORRUPT = 5, /**< the dump contradicts itself or is truncated */
	KVM_ENODATA = 6,  /**< the page is not in the dump (excluded or hole) */
	KVM_EFAULT = 7,	  /**< address not mapped, or not canonical */
	KVM_ENOENT = 8,	  /**< no such symbol or type */
	KVM_ETRUNC = 9,	  /**< the dump ends before the data */
	KVM_EFORMAT = 10, /**< not a dump format we recognise */
};

/* ------------------------------------------------------------------ */
/* Opening and closing                                                 */
/* ------------------------------------------------------------------ */

/**
 * Open a kernel memory target, with Sun error semantics.
 *
 * @param execfile kernel symbols (vmlinux, System.map or kallsyms text), or
 *                 NULL for what the target itself carries.  A path of
 *                 PATH_MAX bytes or more is refused.
 * @param corefile dump file, or NULL for the running kernel (/proc/kcore).
 * @param swapfile accepted for compatibility and ignored; may be NULL.
 * @param flags    O_RDONLY, O_WRONLY or O_RDWR (applies to the core file),
 *                 or KVM_NO_FILES.  Anything else: "bad flags arg".
 * @param errstr   NULL: never print.  Otherwise hard errors (open failure,
 *                 I/O errors, corrupt data) are printed to stderr as
 *                 "errstr: message"; soft ones (an unmapped address, a
 *                 symbol not found) are not.  Must outlive the handle.
 * @return a descriptor, or NULL on failure.
 */
kvm_t *kvm_open(const char *execfile, const char *corefile,
		const char *swapfile, int flags, const char *errstr);

/**
 * Open a kernel memory target, with BSD error semantics: never prints.
 *
 * @param errbuf on failure receives the message (KVM_ERRBUF_SIZE bytes,
 *               i.e. _POSIX2_LINE_MAX); a NULL errbuf is left alone.
 * @return a descriptor, or NULL on failure.  Other parameters as kvm_open().
 */
kvm_t *kvm_openfiles(const char *execfile, const char *corefile,
		     const char *swapfile, int flags, char *errbuf);

/**
 * Symbol resolver for kvm_open2(): set *addr for name and return 0, or
 * return non-zero when the name is unknown.
 */
typedef int kvm_resolver_fn(const char *name, kvaddr_t *addr);

/**
 * FreeBSD's kvm_open2(): kvm_openfiles() without a swap file, plus an
 * optional resolver consulted by kvm_nlist() before the target's own
 * symbols.  Never prints; errbuf as kvm_openfiles().
 */
kvm_t *kvm_open2(const char *execfile, const char *corefile, int flags,
		 char *errbuf, kvm_resolver_fn *resolver);

/**
 * Close a descriptor and free everything it owns (arrays that kvm_getprocs
 * and friends returned included).
 *
 * @return 0, or -1 on failure; kd NULL: -1 with errno EINVAL.
 */
int kvm_close(kvm_t *kd);

/**
 * The text of the last error recorded on kd.
 *
 * @return never NULL: "" for kd NULL or when no error was recorded.  The
 *         text lives in kd and changes with the next failing call.
 */
char *kvm_geterr(kvm_t *kd);

/**
 * Extension: the class of the last error recorded on kd.
 *
 * @return a value of enum kvm_errcode; KVM_EINVAL for kd NULL.
 */
int kvm_geterrcode(kvm_t *kd);

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

/**
 * Read kernel virtual memory.
 *
 * @return the number of bytes read; fewer than len when the read reached
 *         an unmapped page, a page missing from the dump or the end of a
 *         truncated dump (the reason is in kvm_geterr()); -1 when nothing
 *         could be read.  A len of 0 returns 0.
 */
ssize_t kvm_read(kvm_t *kd, unsigned long addr, void *buf, size_t len);

/** kvm_read() with a 64-bit target address (FreeBSD/NetBSD extension). */
ssize_t kvm_read2(kvm_t *kd, kvaddr_t addr, void *buf, size_t len);

/**
 * Write kernel virtual memory.  Fails on a handle opened O_RDONLY, even for
 * len 0.  On a dump opened O_RDWR the bytes go into the dump file; on the
 * live kernel only where a writable /dev/mem exists.
 *
 * @return the number of bytes written, or -1.
 */
ssize_t kvm_write(kvm_t *kd, unsigned long addr, const void *buf, size_t len);

/** kvm_write() with a 64-bit target address. */
ssize_t kvm_write2(kvm_t *kd, kvaddr_t addr, const void *buf, size_t len);

/**
 * Extension: bound the cache of decoded pages (of compressed dumps) to
 * bytes.  0 selects the default (KVM_CACHE_DEFAULT); larger than
 * KVM_CACHE_MAX is refused.  Reads of 64 KiB or more bypass the cache.
 *
 * @return 0, or -1.
 */
int kvm_set_cache_size(kvm_t *kd, size_t bytes);
/** Default size of the decoded-page cache: 64 MiB. */
#define KVM_CACHE_DEFAULT (64u << 20)
/** Largest accepted size of the decoded-page cache: 16 GiB. */
#define KVM_CACHE_MAX (16ULL << 30)

/**
 * Extension: read the target's physical memory.
 *
 * @return bytes read (short at a hole, reason in kvm_geterr()), or -1.
 */
ssize_t kvm_read_phys(kvm_t *kd, kpaddr_t addr, void *buf, size_t len);

/**
 * Extension: translate a kernel virtual address to a physical one.
 *
 * @param pa_ret   receives the physical address.
 * @param len_ret  receives how many bytes from pa_ret stay contiguous
 *                 (to the end of the page or large page); may be NULL.
 * @return 0, or -1 (unmapped, not canonical, or no translation).
 */
int kvm_kvatop(kvm_t *kd, kvaddr_t va, kpaddr_t *pa_ret, uint64_t *len_ret);

/**
 * The KASLR displacement of the kernel image: its run-time address minus
 * its link-time address (FreeBSD's kvm_kerndisp).  0 when the kernel is not
 * relocated or the displacement is unknown (see kvm_geterr()).
 */
kssize_t kvm_kerndisp(kvm_t *kd);

/**
 * Whether the target has the host's architecture, byte order and pointer
 * size (FreeBSD extension).
 *
 * @return 1 native, 0 foreign, -1 on error.
 */
int kvm_native(kvm_t *kd);

/* ------------------------------------------------------------------ */
/* Target description (extension)                                      */
/* ------------------------------------------------------------------ */

/** A range of physical memory present in the target. */
struct kvm_phys_range {
	kpaddr_t start; /**< first byte */
	kpaddr_t end;	/**< one past the last byte (UINT64_MAX for a range
			     that runs to the top of the address space) */
};

/**
 * What kvm_get_info() reports.  The structure can grow at its end; callers
 * pass sizeof(struct kvm_info) and get at most that much.
 */
struct kvm_info {
	char format[16];       /**< "elf", "kdump", ... */
	char arch[16];	       /**< "x86_64", "aarch64", ... */
	char release[65];      /**< uname -r of the target, "" if unknown */
	uint32_t page_size;    /**< bytes; 0 if unknown */
	int kaslr_known;       /**< 1 when kaslr_offset is known */
	kssize_t kaslr_offset; /**< kvm_kerndisp() */
	int vmcoreinfo;	       /**< 1 when the target carries VMCOREINFO */
	int pgtable_levels;    /**< page-table depth; 0 if no translation */
	int big_endian;	       /**< target byte order */
	int ptr_size;	       /**< target pointer size in bytes */
	int live;	       /**< 1 for the running kernel */
	int ncpus;	       /**< CPU state notes found */
	uint64_t pgtable_root; /**< physical address of the kernel root */
	size_t nranges;	       /**< entries kvm_get_phys_ranges() returns */
	uint64_t crash_time;   /**< VMCOREINFO CRASHTIME (s since epoch), 0 */
	uint64_t dump_size;    /**< after kvm_dump_mkheader(): bytes of dump
			      data after the header (what savecore copies) */
	int dump_incomplete;   /**< the dump says it was cut short */
	char warning[256];     /**< headers that contradicted themselves and how
			      they were read ("" if none): a table cut
			      short, a size cut to the address space */
	int dump_level;	       /**< the page filter a dump was written with
			      (makedumpfile -d: 1 zero, 2 and 4 cache, 8
			      user, 16 free pages left out); -1 when
			      unfiltered or not recorded */
	uint64_t file_size;    /**< bytes of the dump file (logical, for a
			      flattened one) */
	uint64_t expected_size; /**< bytes its headers describe; 0 unknown */
	int truncated;		/**< 1 when the file is shorter than that; every
			      data error then starts with truncation */
	char truncation[192];	/**< what is missing, "" if nothing */
};

/**
 * Extension: describe the target.
 *
 * @param info     filled up to infosize bytes.
 * @param infosize sizeof(struct kvm_info) as the caller knows it.
 * @return 0, or -1.
 */
int kvm_get_info(kvm_t *kd, struct kvm_info *info, size_t infosize);

/**
 * Extension: the physical memory ranges of the target, sorted.
 *
 * @param ranges_ret receives an array owned by kd (valid until kvm_close).
 * @param n_ret      receives its length.
 * @return 0, or -1.
 */
int kvm_get_phys_ranges(kvm_t *kd, const struct kvm_phys_range **ranges_ret,
			size_t *n_ret);

/**
 * Extension: the target's VMCOREINFO text, or NULL (with a message) when
 * it carries none.  Owned by kd.
 */
const char *kvm_get_vmcoreinfo(kvm_t *kd);

/* ------------------------------------------------------------------ */
/* Symbols                                                             */
/* ------------------------------------------------------------------ */

/** kvm_nlist n_type values (a.out's, as BSD uses them). */
#define KVM_N_UNDF 0x00
#define KVM_N_ABS 0x02
#define KVM_N_TEXT 0x04
#define KVM_N_DATA 0x06
#define KVM_N_BSS 0x08
#define KVM_N_EXT 0x01

/**
 * FreeBSD's struct kvm_nlist, for kvm_nlist2(): a NULL or "" n_name ends
 * the array.
 */
struct kvm_nlist {
	const char *n_name;
	unsigned char n_type;
	kvaddr_t n_value;
};

/*
 * struct nlist.  Linux's <nlist.h> (elfutils' libelf) defines one with the
 * BSD fields n_name, n_type and n_value (and COFF ones instead of n_other
 * and n_desc); kvm_nlist() uses that very layout, so that a program may
 * include both headers, in either order: kvm.h includes <nlist.h> where it
 * exists and otherwise declares the identical structure.
 */
#if !defined(_NLIST_H) && defined(__has_include)
#if __has_include(<nlist.h>)
#include <nlist.h>
#endif
#endif
#ifndef _NLIST_H
#define _NLIST_H 1
/** BSD's struct nlist, in libelf's <nlist.h> layout. */
struct nlist {
	char *n_name;		   /**< symbol name */
	long int n_value;	   /**< its address, when found */
	short int n_scnum;	   /**< (COFF) unused by libkvm, left alone */
	unsigned short int n_type; /**< KVM_N_* type, KVM_N_UNDF if missing */
	char n_sclass;		   /**< (COFF) unused by libkvm, left alone */
	char n_numaux;		   /**< (COFF) unused by libkvm, left alone */
};
#endif

/**
 * Look up symbols.  Each entry whose n_name is found gets n_value and
 * n_type; the array ends at a NULL or empty n_name.
 *
 * @return the number of entries not found, or -1 on error.
 */
int kvm_nlist(kvm_t *kd, struct nlist *nl);

/** kvm_nlist() with 64-bit values (FreeBSD extension). */
int kvm_nlist2(kvm_t *kd, struct kvm_nlist *nl);

/** A symbol, as kvm_sym_byaddr() and kvm_sym_get() report it. */
struct kvm_symbol {
	const char *name; /**< owned by the handle; valid until kvm_close */
	kvaddr_t value;	  /**< run-time address (KASLR applied) */
	uint64_t size;	  /**< distance to the next symbol; 0 if unknown */
	char type;	  /**< nm(1) letter: T t D d R r B b A W V ... */
};

/**
 * Extension: reverse lookup, address -> symbol + offset (the symbol at or
 * below addr; absolute symbols are not considered).
 *
 * @param offset_ret receives addr - sym_ret->value; may be NULL.
 * @return 0, or -1 (KVM_ENOENT when no symbol covers addr).
 */
int kvm_sym_byaddr(kvm_t *kd, kvaddr_t addr, struct kvm_symbol *sym_ret,
		   uint64_t *offset_ret);

/**
 * Extension: the index-th symbol of the handle's table (in the order the
 * source lists them), for enumerating every symbol.
 *
 * @return 0, or -1 (KVM_ENOENT past the last one).
 */
int kvm_sym_get(kvm_t *kd, size_t index, struct kvm_symbol *sym_ret);

/* ------------------------------------------------------------------ */
/* Types (extension)                                                   */
/* ------------------------------------------------------------------ */

/**
 * Extension: the size in bytes of a kernel type ("task_struct",
 * "struct task_struct", "union ...", a typedef), from BTF: a file named by
 * kvm_set_btf_file(), else the exec file when it holds BTF, else the .BTF
 * data in the target's memory; without BTF, VMCOREINFO's SIZE().
 *
 * @return 0, or -1 (KVM_ENOENT: unknown type or no source).
 */
int kvm_type_size(kvm_t *kd, const char *type, uint64_t *size_ret);

/**
 * Extension: the byte offset and size of a member of a kernel struct or
 * union.  member may be a dotted path into nested members ("se.vruntime");
 * members of anonymous structs and unions are found by name.  Without BTF,
 * VMCOREINFO's OFFSET(type.member) answers and *size_ret is 0 (unknown).
 *
 * @param size_ret may be NULL.
 * @return 0, or -1 (KVM_ENOENT: no such type or member).
 */
int kvm_type_offsetof(kvm_t *kd, const char *type, const char *member,
		      uint64_t *offset_ret, uint64_t *size_ret);

/**
 * Extension: take types from this BTF file (raw BTF such as
 * /sys/kernel/btf/vmlinux, or an ELF file with a .BTF section) instead of
 * the target's own.  Read on first use.
 *
 * @return 0, or -1.
 */
int kvm_set_btf_file(kvm_t *kd, const char *path);

/* ------------------------------------------------------------------ */
/* Processes                                                           */
/* ------------------------------------------------------------------ */

/** kvm_getprocs()/kvm_getproc2() ops (NetBSD's sysctl KERN_PROC_* values). */
#define KERN_PROC_ALL 0
#define KERN_PROC_PID 1
#define KERN_PROC_PGRP 2
#define KERN_PROC_SESSION 3
#define KERN_PROC_TTY 4
#define KERN_PROC_UID 5
#define KERN_PROC_RUID 6

/*
 * Size of p_comm: NetBSD's is 24; Linux's /proc names kernel threads with
 * up to 63 bytes (a workqueue worker's comm plus its work's description).
 */
#define KI_MAXCOMMLEN 64
#define KI_WMESGLEN 8

/**
 * A process as kvm_getproc2() reports it: NetBSD's field names where Linux
 * has the concept.  The structure only grows at its end: kvm_getproc2()
 * copies elemsize bytes of each entry.
 */
struct kinfo_proc2 {
	uint64_t p_paddr;	    /**< kernel address of the task_struct */
	int32_t p_pid;		    /**< process id (the thread-group id) */
	int32_t p_ppid;		    /**< parent's pid */
	int32_t p__pgid;	    /**< process group */
	int32_t p_sid;		    /**< session */
	int32_t p_tpgid;	    /**< foreground group of the tty */
	uint32_t p_tdev;	    /**< controlling tty, Linux dev_t; NODEV */
	uint32_t p_uid;		    /**< effective uid */
	uint32_t p_ruid;	    /**< real uid */
	uint32_t p_gid;		    /**< effective gid */
	uint32_t p_rgid;	    /**< real gid */
	uint32_t p_svuid;	    /**< saved uid */
	uint32_t p_svgid;	    /**< saved gid */
	char p_stat;		    /**< state letter as ps(1) shows it */
	char p_comm[KI_MAXCOMMLEN]; /**< command name as /proc/PID/stat
					 shows it (kthreads: full name) */
	char p_wmesg[KI_WMESGLEN];  /**< wait channel, "" if none */
	uint32_t p_flag;	    /**< Linux task flags (PF_*) */
	int32_t p_nice;		    /**< nice value */
	int32_t p_priority;	    /**< kernel priority */
	uint64_t p_ustart_sec;	    /**< start time, seconds after boot */
	uint32_t p_ustart_usec;	    /**< and microseconds */
	uint64_t p_uutime_sec;	    /**< user time */
	uint32_t p_uutime_usec;
	uint64_t p_ustime_sec; /**< system time */
	uint32_t p_ustime_usec;
	uint64_t p_vm_rssize; /**< resident pages */
	uint64_t p_vm_vsize;  /**< virtual size in bytes */
	int32_t p_nlwps;      /**< threads in the group */
	int32_t p_kthread;    /**< 1 for a kernel thread */
};

/** Older, fixed-layout process record; used by kvm_getargv()/envv(). */
struct kinfo_proc {
	struct kinfo_proc2 kp_proc;
};

/**
 * List processes.  The array belongs to the library and stays valid until
 * the next call of kvm_getprocs() or kvm_close().
 *
 * @param op  KERN_PROC_*; @param arg its argument (pid, uid, ...).
 * @param cnt receives the number of entries.
 * @return the array, or NULL.
 */
struct kinfo_proc *kvm_getprocs(kvm_t *kd, int op, int arg, int *cnt);

/**
 * List processes, copying elemsize bytes of each struct kinfo_proc2 (so
 * programs built against a shorter struct keep working).
 *
 * @return an array owned by the library (valid until the next call or
 *         kvm_close()), or NULL.
 */
struct kinfo_proc2 *kvm_getproc2(kvm_t *kd, int op, int arg, size_t elemsize,
				 int *cnt);

/**
 * A process's arguments: a NULL-terminated vector owned by the library,
 * valid until the next call.  nchr caps the total characters returned (0:
 * no cap); the string that crosses the cap is truncated.
 */
char **kvm_getargv(kvm_t *kd, const struct kinfo_proc *p, int nchr);
/** As kvm_getargv(), for the environment. */
char **kvm_getenvv(kvm_t *kd, const struct kinfo_proc *p, int nchr);
/** As kvm_getargv(), for a struct kinfo_proc2. */
char **kvm_getargv2(kvm_t *kd, const struct kinfo_proc2 *p, int nchr);
/** As kvm_getenvv(), for a struct kinfo_proc2. */
char **kvm_getenvv2(kvm_t *kd, const struct kinfo_proc2 *p, int nchr);

/**
 * Read len bytes of process p's user memory at uva: through the process's
 * page tables on a dump (pages in swap from the swap areas given to
 * kvm_openfiles(), or on the running kernel those of /proc/swaps), or
 * /proc/PID/mem with KVM_NO_FILES.
 *
 * @return the bytes read (fewer at an unmapped or unreadable page, with
 *         the reason for kvm_geterr()), or -1 when none could be.
 */
ssize_t kvm_uread(kvm_t *kd, const struct kinfo_proc *p, unsigned long uva,
		  char *buf, size_t len);
/** As kvm_uread(), for a struct kinfo_proc2 and a 64-bit address. */
ssize_t kvm_uread2(kvm_t *kd, const struct kinfo_proc2 *p, kvaddr_t uva,
		   void *buf, size_t len);

/**
 * Load averages over 1, 5 and 15 minutes: the kernel's avenrun (fixed
 * point, 11 fraction bits) in a dump, /proc/loadavg live.
 *
 * @return the number of samples stored (at most nelem and 3), or -1.
 */
int kvm_getloadavg(kvm_t *kd, double loadavg[], int nelem);

/** p_tdev of a process without a controlling terminal. */
#define KVM_NODEV ((uint32_t)-1)

/* ------------------------------------------------------------------ */
/* Kernel log (extension)                                              */
/* ------------------------------------------------------------------ */

/** One record of the kernel's printk log, as kvm_log_get() reports it. */
struct kvm_log_entry {
	uint64_t seq;	    /**< record sequence number */
	uint64_t ts_nsec;   /**< timestamp, nanoseconds after boot */
	int level;	    /**< 0 (KERN_EMERG) .. 7 (KERN_DEBUG); -1 unknown */
	int facility;	    /**< syslog facility (0 kernel); -1 unknown */
	uint32_t caller_id; /**< 0x80000000|cpu or thread id; 0 unknown */
	const char *text;   /**< NUL-terminated; may hold newlines */
	size_t text_len;    /**< bytes of text, without the NUL */
};

/**
 * Extension: the kernel log, oldest record first.  From a dump: the
 * printk ring buffer (the lockless one of Linux 5.10 and later, found
 * through VMCOREINFO alone; the 3.5-5.9 variable-length one).  Live or
 * with KVM_NO_FILES: the kernel's syslog interface (syslog(2) READ_ALL).
 *
 * @param entries_ret receives an array owned by kd, valid until the next
 *                    call or kvm_close().
 * @param n_ret       receives its length.
 * @return 0; or -1 when no record could be read.  When only part of the
 *         log could be read (a damaged record, a page missing from the
 *         dump), the records read are returned and kvm_geterr() says what
 *         was lost.
 */
int kvm_log_get(kvm_t *kd, const struct kvm_log_entry **entries_ret,
		size_t *n_ret);

/* ------------------------------------------------------------------ */
/* Kernel stacks (extension, kvm_getstack(3))                          */
/* ------------------------------------------------------------------ */

/** kf_flags of a frame. */
#define KVM_FRAME_REGS \
	0x1 /**< kf_pc comes from saved registers
				      (an exception, interrupt or syscall
				      entry: struct pt_regs at kf_regs) */
#define KVM_FRAME_UNRELIABLE \
	0x2 /**< the unwinder could not vouch for the
				      step that found this frame (no unwind
				      data for the code: a frame-pointer
				      guess) */
#define KVM_FRAME_END \
	0x4 /**< the last frame, and the stack's proper
				      end: nothing was lost below it */
#define KVM_FRAME_USER \
	0x8 /**< kf_pc is a user-space address (the
				      registers a syscall or an interrupt
				      from user mode saved) */

/** One frame of a kernel stack, innermost first. */
struct kvm_frame {
	uint64_t kf_pc;	       /**< return address, or the saved pc */
	uint64_t kf_sp;	       /**< stack pointer in this frame */
	uint64_t kf_regs;      /**< KVM_FRAME_REGS: address of pt_regs */
	const char *kf_sym;    /**< function; NULL when no symbol covers pc */
	uint64_t kf_symoff;    /**< kf_pc - the function's address */
	uint64_t kf_symsize;   /**< the function's size as kallsyms gives it
				     (distance to the next symbol); 0 unknown */
	const char *kf_module; /**< module name; NULL for the kernel image */
	unsigned kf_flags;     /**< KVM_FRAME_* */
};

/**
 * Register numbers of struct kvm_stack's ks_regs: DWARF's (x86_64 psABI,
 * AAPCS64), so that tools that know one know them.
 */
#define KVM_REG_X86_64_RBP 6
#define KVM_REG_X86_64_RSP 7
#define KVM_REG_X86_64_RIP 16
#define KVM_REG_AARCH64_FP 29
#define KVM_REG_AARCH64_LR 30
#define KVM_REG_AARCH64_SP 31
#define KVM_REG_AARCH64_PC 32
#define KVM_STACK_NREGS 34

/** A task's kernel stack as kvm_getstack()/kvm_getstack_cpu() report it. */
struct kvm_stack {
	int32_t ks_pid;		/**< the task's pid; 0 for an idle task, -1
				     when the CPU's task is not known */
	int ks_cpu;		/**< the CPU it ran on at the dump, or -1 */
	uint64_t ks_task;	/**< kernel address of its task_struct */
	char ks_comm[16];	/**< its comm */
	uint64_t ks_stack_base; /**< its stack: [base, base + size) */
	uint64_t ks_stack_size;
	/** Registers the unwind started from (DWARF numbers); bit n of
	    ks_regs_valid set when ks_regs[n] is known. */
	uint64_t ks_regs[KVM_STACK_NREGS];
	uint64_t ks_regs_valid;
	size_t ks_nframes;
	const struct kvm_frame *ks_frames; /**< ks_nframes, innermost first */
	/** "" when the last frame has KVM_FRAME_END; else why the unwind
	    stopped before the end (the frames before it stand). */
	char ks_stopped[160];
};

/**
 * Extension: the kernel stack of process p (its main thread), as returned
 * by kvm_getproc2(): the task at p->p_paddr must still have pid p->p_pid.
 * A task asleep unwinds from its saved context; one that ran on a CPU at
 * the dump, from that CPU's registers (the dump's notes).
 *
 * @return a stack owned by the handle, valid until the next kvm_getstack*
 *         call or kvm_close(); or NULL (KVM_ENOTSUP: no unwinder for the
 *         target; KVM_ENODATA: a zombie or a freed stack; ...).
 */
const struct kvm_stack *kvm_getstack(kvm_t *kd, const struct kinfo_proc2 *p);

/**
 * Extension: the stack of the task that ran on CPU cpu at the dump (its
 * idle task too, which no process list holds), from the CPU's registers.
 */
const struct kvm_stack *kvm_getstack_cpu(kvm_t *kd, int cpu);

/** Why the kernel stopped, as kvm_getcrash() reads it from the dump. */
struct kvm_crash {
	int kc_panicked;	 /**< 1: it panicked or oopsed before the dump;
				     0: no sign of it (see kc_unknown) */
	char kc_unknown[256];	 /**< "" when kc_panicked is an answer; else
				     why there is none (neither the log nor
				     panic_cpu could be read) */
	char kc_message[256];	 /**< the log's panic line ("Kernel panic -
				     not syncing: ..."), else its first oops
				     line; "" none */
	char kc_cause[256];	 /**< the first oops line (BUG:, Oops:, kernel
				     BUG at, Unable to handle kernel, general
				     protection fault, a WARNING that led to
				     the panic); "" none */
	char kc_title[256];	 /**< one line: the failure and the function
				     it happened in */
	char kc_signature[256];	 /**< stable across boots and builds: the
				     kind of failure and the first frames
				     outside the panic and oops code */
	int kc_cpu;		 /**< the panicking CPU; -1 unknown */
	int32_t kc_pid;		 /**< its task's pid; -1 unknown */
	char kc_comm[16];	 /**< its task's comm; "" unknown */
	uint64_t kc_crash_time;	 /**< VMCOREINFO CRASHTIME (s since epoch), 0 */
	uint64_t kc_uptime_nsec; /**< log time of the panic message; 0 */
	int kc_taint_known;	 /**< 1: kc_taint is tainted_mask */
	uint64_t kc_taint;	 /**< the kernel's tainted_mask */
	char kc_taint_str[32];	 /**< as the kernel prints it ("G        W"),
				     or from the log's "Tainted:" */
	const struct kvm_stack *kc_stack; /**< the panicking CPU's stack, as
				     kvm_getstack_cpu() returns it; NULL */
	char kc_stack_from[32]; /**< "registers" (the dump's notes) or "log"
				     (the Call Trace the kernel printed) */
	size_t kc_nlogframes;	/**< frames of that Call Trace, when used */
	char kc_logframes[16][64];
};

/**
 * Extension: the crash summary (kvm_getcrash(3)): the panic or oops
 * message and the failure it names, the panicking CPU and task and its
 * stack, crash time, uptime, taint, a title and a signature to group
 * dumps of one bug.  Reads the log with kvm_log_get() (which invalidates
 * what an earlier kvm_log_get() returned) and the stack with
 * kvm_getstack_cpu().
 *
 * @return a summary owned by the handle, valid until the next call or
 *         kvm_close(), or NULL.  A dump that did not panic is no error:
 *         kc_panicked is 0.
 */
const struct kvm_crash *kvm_getcrash(kvm_t *kd);

/** kvm_getcrash2() flag: from the log alone (no symbol, no stack). */
#define KVM_CRASH_LOG 0x1

/**
 * Extension: kvm_getcrash() with flags.  KVM_CRASH_LOG sums up what the
 * log and VMCOREINFO's crash time say, and reads nothing else: no
 * panic_cpu, no tainted_mask, no stack (the title comes from the Call
 * Trace the kernel printed).  kc_panicked 0 then means no panic or oops
 * in the log.  It costs a log read: for a quick look at many dumps.
 *
 * @return as kvm_getcrash(); NULL with KVM_EINVAL for unknown flags.
 */
const struct kvm_crash *kvm_getcrash2(kvm_t *kd, int flags);

/**
 * Extension: forget the recorded error, so that a later kvm_geterrcode()
 * tells whether a call that succeeded left a warning (a partial process
 * list, argv cut short by a page missing from the dump).
 */
void kvm_clearerr(kvm_t *kd);

/* ------------------------------------------------------------------ */
/* Crash dumps (kvm_dump(3))                                           */
/* ------------------------------------------------------------------ */

/**
 * Read the on-device dump header at dump_off of the core device and make
 * the dump readable.  Refuses a live kernel and a handle that already has
 * a header.
 *
 * @return the size of the on-device header; 0 when there is no valid dump
 *         at dump_off; -1 on error.
 */
int kvm_dump_mkheader(kvm_t *kd, off_t dump_off);

/**
 * Write the kcore file header (generic header, CORE_CPU section, CORE_DATA
 * section header; gaps zero-padded) for a dump of dumpsize bytes.  Never
 * seeks: fp may be a pipe.
 *
 * @return 0, or -1.
 */
int kvm_dump_wrtheader(kvm_t *kd, FILE *fp, int dumpsize);

/** Callback form of kvm_dump_wrtheader(): returns bytes written or -1. */
typedef ssize_t kvm_write_buf_fn(void *cookie, const void *buf, size_t len);

/** kvm_dump_wrtheader() through a write callback. */
int kvm_dump_header(kvm_t *kd, kvm_write_buf_fn *write_buf, void *cookie,
		    int dumpsize);

/**
 * Invalidate the dump on the device (clear its magic) so that it is never
 * saved twice.  Refuses a live kernel.
 *
 * @return 0, or -1.
 */
int kvm_dump_inval(kvm_t *kd);

/* ------------------------------------------------------------------ */
/* Writing dumps (extension)                                           */
/* ------------------------------------------------------------------ */

/** Dump-level bits: the pages to leave out (makedumpfile -d's values). */
#define KVM_DUMP_EXCL_ZERO 1	      /**< pages of zeros */
#define KVM_DUMP_EXCL_CACHE 2	      /**< page cache, without private data */
#define KVM_DUMP_EXCL_CACHE_PRIVATE 4 /**< page cache with private data */
#define KVM_DUMP_EXCL_USER 8	      /**< user process (anonymous) pages */
#define KVM_DUMP_EXCL_FREE 16	      /**< free pages */
#define KVM_DUMP_LEVEL_MAX 31

/** What kvm_dump_write() writes. */
enum kvm_dump_format {
	KVM_DUMP_DEVICE = 0, /**< the on-device format, for savecore */
	KVM_DUMP_ELF = 1,    /**< an ELF vmcore (as /proc/vmcore) */
	KVM_DUMP_KDUMP = 2,  /**< kdump-compressed (makedumpfile's) */
};

/** Page compression of kvm_dump_write(). */
enum kvm_dump_compress {
	KVM_COMPRESS_NONE = 0,
	KVM_COMPRESS_ZLIB = 1,
	KVM_COMPRESS_LZO = 2,
	KVM_COMPRESS_SNAPPY = 3,
	KVM_COMPRESS_ZSTD = 4,
	KVM_COMPRESS_LZ4 = 5, /**< on-device format only */
};

/** kvm_dump_opts.flags: write over a device without swap signature or dump label. */
#define KVM_DUMP_FORCE 1

/**
 * Options of kvm_dump_write().  Set size to sizeof(struct kvm_dump_opts)
 * (the structure only grows at its end) and zero what you do not use.
 */
struct kvm_dump_opts {
	size_t size;
	int format;   /**< enum kvm_dump_format */
	int level;    /**< KVM_DUMP_EXCL_* bits (0: every page) */
	int compress; /**< enum kvm_dump_compress */
	int threads;  /**< compression threads; 0: one per CPU */
	int flags;    /**< KVM_DUMP_FORCE */
	/** Called now and then with pages done and pages in all; may be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

/** What kvm_dump_write() did. */
struct kvm_dump_result {
	uint64_t pages;		 /**< physical pages of the target */
	uint64_t pages_written;	 /**< stored in the dump */
	uint64_t pages_excluded; /**< left out by the dump level */
	uint64_t pages_missing;	 /**< not in the source (a filtered dump) */
	uint64_t bytes;		 /**< bytes written */
	int incomplete;		 /**< 1: the device was too small */
};

/**
 * Extension: write the target's physical memory (with what it needs to
 * be read: VMCOREINFO, page-table root, KASLR offset, CPU notes) to a
 * dump device or file, as a kernel's dump routine does (dump(D2DK)):
 * the on-device format in 512-byte blocks, random access on a regular
 * file or block device (only one that carries a swap signature or a
 * dump of ours, unless KVM_DUMP_FORCE), sequential on a pipe, socket,
 * tape or "-" (standard output).  KVM_DUMP_ELF and KVM_DUMP_KDUMP write
 * a file other tools read instead (conversion).
 *
 * @param res may be NULL.
 * @return 0; 1 when the dump was written but is incomplete (the device
 *         was too small: what fit is marked so); -1 on error.
 */
int kvm_dump_write(kvm_t *kd, const char *device, const struct kvm_dump_opts *o,
		   struct kvm_dump_result *res);

/**
 * Extension: kvm_dump_write() of an ELF or kdump-compressed file
 * (KVM_DUMP_ELF, KVM_DUMP_KDUMP) to a descriptor the caller opened: a
 * regular file (written at its offsets from 0) or a pipe or socket (a
 * stream; kdump as makedumpfile's flattened format).  The descriptor is
 * not checked, truncated or closed: the caller made it (savecore's
 * unnamed temporary file).
 *
 * @return 0, or -1.
 */
int kvm_dump_write_fd(kvm_t *kd, int fd, const struct kvm_dump_opts *o,
		      struct kvm_dump_result *res);

#ifdef __cplusplus
}
#endif

#endif /* KVM_H */
