// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm_open and kvm_close, the kvm(3) error contract (DESIGN §1a), format
 * probing, and the kvm_read/kvm_write loops over the arch plug-in's
 * translation.  Knows no format and no architecture.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm_private.h"
#include "kvmdump_disk.h"

/* Bytes given to a format's probe: enough for any header we recognise. */
#define KVM_LIVE_KCORE "/proc/kcore"

/*
 * Sun semantics: a handle opened by kvm_open() with an errstr prints its
 * hard errors.  Soft ones are what a debugger meets all the time (a bad
 * pointer, a missing page, an unknown symbol) and are never printed.
 */
static bool
errcode_is_hard(int code)
{
	switch (code) {
	case KVM_EFAULT:
	case KVM_ENODATA:
	case KVM_ENOENT:
	case KVM_EINVAL:
		return false;
	default:
		return true;
	}
}

/* Called by public entry points on failure; the only place that prints. */
void
kvm_report(kvm_t *kd)
{
	if (kd->program && errcode_is_hard(kd->errcode))
		fprintf(stderr, "%s: %s\n", kd->program, kvm_geterr(kd));
}

/*
 * On a truncated dump the truncation is the cause of most failures that
 * follow (a page, a table, a symbol not there): it comes first.
 */
static bool
truncation_first(const kvm_t *kd)
{
	switch (kd->errcode) {
	case KVM_ENODATA:
	case KVM_ECORRUPT:
	case KVM_ETRUNC:
	case KVM_EFAULT:
	case KVM_ENOENT:
		return kd->trunc[0] && kd->errbuf[0];
	default:
		return false;
	}
}

KVM_EXPORT char *
kvm_geterr(kvm_t *kd)
{
	/* kvm(3) returns char *; the caller must not write to it. */
	if (!kd)
		return (char *)"";
	if (truncation_first(kd)) {
		snprintf(kd->errshow, sizeof(kd->errshow), "%s; so: %s",
			 kd->trunc, kd->errbuf);
		return kd->errshow;
	}
	return kd->errbuf;
}

void
kvm_expect_end(kvm_t *kd, uint64_t end)
{
	if (end > kd->expect_end)
		kd->expect_end = end;
}

void
kvm_set_truncated(kvm_t *kd, uint64_t have, uint64_t want, const char *what)
{
	if (kd->trunc[0])
		return; /* the first word stands */
	snprintf(kd->trunc, sizeof(kd->trunc),
		 "the dump is truncated: %s has %llu bytes, %s %llu "
		 "(%llu missing)",
		 kd->corepath, (unsigned long long)have, what,
		 (unsigned long long)want, (unsigned long long)(want - have));
	kd->trunc_file = have;
	kd->trunc_want = want;
}

KVM_EXPORT int
kvm_geterrcode(kvm_t *kd)
{
	return kd ? kd->errcode : KVM_EINVAL;
}

KVM_EXPORT void
kvm_clearerr(kvm_t *kd)
{
	if (kd) {
		kvm_error_clear(kd);
	}
}

/* ------------------------------------------------------------- opening */

const struct kvm_format_ops *
kvm_format_probe(kvm_t *kd, const uint8_t *head, size_t headlen,
		 const struct kvm_format_ops *skip, int *err)
{
	*err = 0;
	for (size_t i = 0; kvm_formats[i]; i++) {
		const struct kvm_format_ops *ops = kvm_formats[i];
		if (ops == skip)
			continue;
		int r = ops->probe(kd, head, headlen);
		if (r == -KVM_ENOPROBE) {
			kvm_error_clear(kd);
			continue;
		}
		if (r) {
			*err = r;
			return NULL;
		}
		return ops;
	}
	return NULL;
}

void
kvm_format_seen(const uint8_t *head, size_t headlen,
		char out[KVM_FORMAT_SEEN_LEN])
{
	out[0] = '\0';
	for (size_t i = 0; i < KVM_MIN(headlen, (size_t)16); i++)
		snprintf(out + 3 * i, KVM_FORMAT_SEEN_LEN - 3 * i, "%02x ",
			 head[i]);
	if (out[0])
		out[strlen(out) - 1] = '\0';
}

static int
probe_and_open(kvm_t *kd)
{
	uint8_t head[KVM_PROBE_LEN];
	size_t headlen = KVM_MIN((uint64_t)sizeof(head), kd->core.size);
	int err;

	if (headlen == 0)
		return kvm_error(kd, KVM_EFORMAT, "%s: empty file",
				 kd->corepath);
	err = kvm_file_read(kd, &kd->core, 0, head, headlen);
	if (err && kd->core.size == UINT64_MAX) {
		/* A device of unknown size: take what a short read gave. */
		kvm_error_clear(kd);
		ssize_t n = pread(kd->core.fd, head, headlen, 0);
		if (n <= 0)
			return kvm_error(kd, KVM_EFORMAT, "%s: nothing to read",
					 kd->corepath);
		headlen = n;
		err = 0;
	}
	if (err)
		return kvm_error_ctx(kd, "%s", kd->corepath);

	const struct kvm_format_ops *ops =
		kvm_format_probe(kd, head, headlen, NULL, &err);
	if (ops) {
		kd->format = ops;
		err = ops->open(kd);
		if (err)
			return kvm_error_ctx(kd, "%s", kd->corepath);
		if (kd->expect_end > kd->core.size)
			kvm_set_truncated(kd, kd->core.size, kd->expect_end,
					  "its headers describe");
		return 0;
	}
	if (err)
		return kvm_error_ctx(kd, "%s", kd->corepath);
	char seen[KVM_FORMAT_SEEN_LEN];
	kvm_format_seen(head, headlen, seen);
	return kvm_error(kd, KVM_EFORMAT,
			 "%s: not a kernel dump of any format we read "
			 "(first bytes: %s)",
			 kd->corepath, seen);
}

int
kvm_setup_arch(kvm_t *kd)
{
	if (kd->vmcoreinfo_text) {
		uint64_t ps;
		/* No Linux architecture has pages under 4 KiB or over 1 MiB. */
		if (kvm_vmcoreinfo_dec(&kd->vmci, "PAGESIZE", &ps)) {
			if (ps >= 4096 && ps <= (1u << 20) &&
			    (ps & (ps - 1)) == 0)
				kd->page_size = ps;
			else
				kvm_warn(kd,
					 "VMCOREINFO PAGESIZE=%" PRIu64
					 " ignored (no page size)",
					 ps);
		}
	}
	kd->arch = kvm_arch_by_machine(kd->e_machine);
	if (!kd->arch)
		return 0; /* physical reads still work; kvm_read says why not */
	if (!kd->ptr_size)
		kd->ptr_size = kd->arch->ptr_size;
	int err = kd->arch->init(kd);
	uint64_t stext;
	/* Where kernel text starts, for scans (kallsyms, BTF) of the image. */
	if (!kd->xlat.ktext_start && kd->vmcoreinfo_text &&
	    kvm_vmcoreinfo_symbol(&kd->vmci, "_stext", &stext))
		kd->xlat.ktext_start = stext;
	if (err) {
		/*
		 * A dump whose page tables we cannot set up still has its
		 * physical memory and notes: keep it open and let kvm_read
		 * report this reason.
		 */
		kd->xlat.ready = false;
		kvm_error_ctx(kd, "%s", kd->arch->name);
		memcpy(kd->xlat_reason, kd->errbuf, sizeof(kd->xlat_reason));
		kd->xlat_errcode = kd->errcode;
		kvm_error_clear(kd);
		return 0;
	}
	return 0;
}

/* errno after a failed open: the class of the error, for callers. */
static int
errno_for(const kvm_t *kd)
{
	switch (kd->errcode) {
	case KVM_ESYS:
		return kd->sys_errno ? kd->sys_errno : EIO;
	case KVM_ENOMEM:
		return ENOMEM;
	case KVM_EINVAL:
		return EINVAL;
	case KVM_ENOTSUP:
		return ENOTSUP;
	case KVM_EFORMAT:
		return ENOEXEC;
	default:
		return EBADMSG; /* corrupt or truncated dump */
	}
}

/*
 * Why /proc/kcore cannot be opened, with the remedy: it is missing (no
 * CONFIG_PROC_KCORE, or a container or VM that hides it), needs root
 * (CAP_SYS_RAWIO; mode 0400), or kernel lockdown forbids it
 * (security/lockdown: "confidentiality" mode, 5.4+).
 */
static int
live_open_error(kvm_t *kd, int e)
{
	char lock[128] = "";
	int fd = open("/sys/kernel/security/lockdown", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, lock, sizeof(lock) - 1);
		lock[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (e == ENOENT)
		return kvm_error(kd, KVM_ENOTSUP,
				 "%s does not exist: this kernel has no "
				 "CONFIG_PROC_KCORE, or a container or VM "
				 "hides it; give a dump file with -M, or use "
				 "KVM_NO_FILES for /proc",
				 KVM_LIVE_KCORE);
	if ((e == EPERM || e == EACCES) && strstr(lock, "[confidentiality]"))
		return kvm_error(kd, KVM_ENOTSUP,
				 "%s: kernel lockdown (confidentiality) forbids "
				 "reading the running kernel's memory; boot "
				 "with lockdown=none (or without Secure Boot's "
				 "lockdown) to read it",
				 KVM_LIVE_KCORE);
	if ((e == EPERM || e == EACCES) && geteuid() != 0)
		return kvm_error(kd, KVM_ESYS,
				 "%s: %s: reading the running kernel needs root "
				 "(CAP_SYS_RAWIO)",
				 KVM_LIVE_KCORE, strerror(e));
	errno = e;
	return kvm_error_sys(kd, "%s", KVM_LIVE_KCORE);
}

/*
 * /proc/kcore is an ELF core of the running kernel (fs/proc/kcore.c): read
 * with pread, never mapped (its size is that of the address space).
 */
static int
live_open(kvm_t *kd)
{
	struct stat st;
	int fd = open(KVM_LIVE_KCORE, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return live_open_error(kd, errno);
	if (fstat(fd, &st) != 0) {
		int err = kvm_error_sys(kd, "fstat %s", KVM_LIVE_KCORE);
		close(fd);
		return err;
	}
	kd->core.fd = fd;
	kd->core.size = st.st_size > 0 ? (uint64_t)st.st_size : UINT64_MAX;
	kd->core.regular = false;
	kd->core.writable = false;
	/* A first read tells lockdown (EPERM at read time) from the rest. */
	uint8_t b;
	if (pread(fd, &b, 1, 0) != 1)
		return live_open_error(kd, errno);
	return 0;
}

/* Shared by every kvm_open variant.  Prints only for kvm_open(errstr). */
static kvm_t *
open_common(const char *execfile, const char *corefile, const char *swapfile,
	    int flags, const char *program, char *errbuf)
{
	kvm_t *kd = calloc(1, sizeof(*kd));
	int err = 0;

	if (kd)
		kd->dump_level = -1;
	if (!kd) {
		if (errbuf)
			snprintf(errbuf, _POSIX2_LINE_MAX, "%s",
				 strerror(ENOMEM));
		if (program)
			fprintf(stderr, "%s: %s\n", program, strerror(ENOMEM));
		return NULL;
	}
	kd->core.fd = -1;
	kd->devmem_fd = -1;
	kd->cache_bytes = KVM_CACHE_DEFAULT;
	kvm_tlb_flush(kd);
	kd->program = program;
	kd->flags = flags;

	if (flags != KVM_NO_FILES &&
	    (flags & ~(O_ACCMODE | KVM_ZERO_EXCLUDED | KVM_RAW_PHYS)) != 0) {
		err = kvm_error(kd, KVM_EINVAL, "bad flags arg");
		goto fail;
	}
	if (flags != KVM_NO_FILES) {
		kd->zero_excluded = flags & KVM_ZERO_EXCLUDED;
		kd->raw_phys = flags & KVM_RAW_PHYS;
		flags &= O_ACCMODE;
		kd->flags = flags;
	}
	if (flags != KVM_NO_FILES && (flags & O_ACCMODE) == O_ACCMODE) {
		err = kvm_error(kd, KVM_EINVAL, "bad flags arg");
		goto fail;
	}
	if (execfile && strnlen(execfile, PATH_MAX) >= PATH_MAX) {
		err = kvm_error(kd, KVM_EINVAL, "exec file name too long");
		goto fail;
	}
	if (corefile && strnlen(corefile, PATH_MAX) >= PATH_MAX) {
		err = kvm_error(kd, KVM_EINVAL, "core file name too long");
		goto fail;
	}
	if (flags == KVM_NO_FILES)
		return kd;
	if (execfile && !(kd->execpath = strdup(execfile))) {
		err = kvm_error(kd, KVM_ENOMEM, "out of memory");
		goto fail;
	}
	/* Symbols load lazily, but a missing exec file is an open error. */
	if (execfile && access(execfile, R_OK) != 0) {
		err = kvm_error_sys(kd, "%s", execfile);
		goto fail;
	}
	/* The running kernel: /proc/kcore (DESIGN §2). */
	kd->live = !corefile || strcmp(corefile, KVM_LIVE_KCORE) == 0;
	if (!corefile)
		corefile = KVM_LIVE_KCORE;
	if (!(kd->corepath = strdup(corefile))) {
		err = kvm_error(kd, KVM_ENOMEM, "out of memory");
		goto fail;
	}
	if (kd->live) {
		/* /proc/kcore is read only; writes go through /dev/mem. */
		err = live_open(kd);
		if (err)
			goto fail;
	} else {
		/* O_WRONLY still needs reads to translate addresses. */
		int oflags = (flags & O_ACCMODE) == O_RDONLY ? O_RDONLY
							     : O_RDWR;
		err = kvm_file_open(kd, &kd->core, corefile, oflags);
		if (err)
			goto fail;
	}
	err = probe_and_open(kd);
	if (err)
		goto fail;
	err = kvm_setup_arch(kd);
	if (err)
		goto fail;
	/* As the seeds' kvm_open: a swap file that cannot be read fails. */
	if (swapfile && *swapfile && (err = kvm_swap_open(kd, swapfile)))
		goto fail;
	return kd;

fail:
	if (errbuf)
		snprintf(errbuf, _POSIX2_LINE_MAX, "%s", kd->errbuf);
	if (program)
		fprintf(stderr, "%s: %s\n", program, kd->errbuf);
	int saved = errno_for(kd);
	kvm_close(kd);
	(void)err;
	errno = saved;
	return NULL;
}

KVM_EXPORT kvm_t *
kvm_open(const char *execfile, const char *corefile, const char *swapfile,
	 int flags, const char *errstr)
{
	return open_common(execfile, corefile, swapfile, flags, errstr, NULL);
}

KVM_EXPORT kvm_t *
kvm_openfiles(const char *execfile, const char *corefile, const char *swapfile,
	      int flags, char *errbuf)
{
	return open_common(execfile, corefile, swapfile, flags, NULL, errbuf);
}

KVM_EXPORT kvm_t *
kvm_open2(const char *execfile, const char *corefile, int flags, char *errbuf,
	  kvm_resolver_fn *resolver)
{
	kvm_t *kd = open_common(execfile, corefile, NULL, flags, NULL, errbuf);

	/* kvm_nlist asks the resolver before the target's own symbols. */
	if (kd)
		kd->resolver = resolver;
	return kd;
}

KVM_EXPORT int
kvm_close(kvm_t *kd)
{
	int ret = 0;

	if (!kd) {
		errno = EINVAL;
		return -1;
	}
	kvm_stack_fini(kd);
	kvm_swap_fini(kd);
	kvm_proc_fini(kd);
	kvm_types_fini(kd);
	kvm_sym_fini(kd);
	if (kd->arch && kd->arch->fini)
		kd->arch->fini(kd);
	if (kd->format && kd->format->close)
		kd->format->close(kd);
	if (kd->core.fd >= 0)
		kvm_file_close(&kd->core);
	if (kd->devmem_fd >= 0)
		close(kd->devmem_fd);
	kvm_vmcoreinfo_deinit(&kd->vmci);
	free(kd->vmcoreinfo_text);
	free(kd->ranges);
	free(kd->cpus);
	free(kd->corepath);
	free(kd->execpath);
	free(kd);
	return ret;
}

/* ---------------------------------------------- helpers for the formats */

struct kvm_cpu_state *
kvm_cpu_add(kvm_t *kd)
{
	if (kd->ncpus >= KVM_MAX_CPUS) {
		kvm_error(kd, KVM_ECORRUPT, "more than %d CPU notes",
			  KVM_MAX_CPUS);
		return NULL;
	}
	/* Grow by doubling: a dump may carry thousands of CPU notes. */
	if ((kd->ncpus & (kd->ncpus - 1)) == 0) {
		size_t cap = kd->ncpus ? kd->ncpus * 2 : 4;
		struct kvm_cpu_state *n = realloc(kd->cpus, cap * sizeof(*n));
		if (!n) {
			kvm_error(kd, KVM_ENOMEM,
				  "out of memory for CPU notes");
			return NULL;
		}
		kd->cpus = n;
	}
	struct kvm_cpu_state *c = &kd->cpus[kd->ncpus++];
	memset(c, 0, sizeof(*c));
	return c;
}

int
kvm_set_phys_ranges(kvm_t *kd, const struct kvm_memmap *m)
{
	struct kvm_phys_range *r = calloc(m->nsegs ? m->nsegs : 1, sizeof(*r));
	size_t n = 0;

	if (!r)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	/* Adjacent segments read as one range. */
	for (size_t i = 0; i < m->nsegs; i++) {
		uint64_t start = m->segs[i].pa;
		uint64_t end;
		/* One past the end cannot say 2^64: the last byte is dropped. */
		if (kvm_add_overflow(start, m->segs[i].memsz, &end))
			end = UINT64_MAX;
		if (end == start)
			continue; /* only the unsayable last byte: left out */
		if (n > 0 && r[n - 1].end == start)
			r[n - 1].end = end;
		else
			r[n++] = (struct kvm_phys_range){ start, end };
	}
	free(kd->ranges);
	kd->ranges = r;
	kd->nranges = n;
	return 0;
}

int
kvm_set_vmcoreinfo(kvm_t *kd, const char *text, size_t len)
{
	if (kd->vmcoreinfo_text)
		return 0; /* the first note wins; dumps repeat it at times */
	if (len > KVM_VMCOREINFO_MAX)
		return kvm_error(kd, KVM_ECORRUPT,
				 "VMCOREINFO note of %zu bytes is too large",
				 len);
	/* Keep the text as the kernel wrote it (parsing cuts its copy up). */
	kd->vmcoreinfo_text = strndup(text, len);
	if (!kd->vmcoreinfo_text)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	if (kvm_vmcoreinfo_parse(&kd->vmci, text, len) != 0) {
		free(kd->vmcoreinfo_text);
		kd->vmcoreinfo_text = NULL;
		return kvm_error(kd, KVM_ENOMEM,
				 "out of memory for VMCOREINFO");
	}
	return 0;
}

/* ---------------------------------------------------------------- reads */

int
kvm_phys_read(kvm_t *kd, uint64_t pa, void *buf, size_t len, size_t *done_ret)
{
	*done_ret = 0;
	if (!kd->format || !kd->format->read_phys)
		return kvm_error(kd, KVM_ENOTSUP,
				 "this target has no physical memory to read");
	int err = kd->format->read_phys(kd, pa, buf, len, done_ret);
	/* What a shrunk file's pages gave is zeros, not the dump. */
	if (kvm_file_shrunk(&kd->core)) {
		*done_ret = 0;
		return kvm_error(kd, KVM_ETRUNC, "%s", kvm_shrunk_msg);
	}
	return err;
}

int
kvm_read_pte_phys(void *arg, uint64_t pa, uint64_t *pte_ret)
{
	kvm_t *kd = arg;
	uint64_t raw;
	size_t done;
	int err = kvm_phys_read(kd, pa, &raw, sizeof(raw), &done);

	if (err)
		return err;
	*pte_ret = kvm_tgt64(kd, raw);
	return 0;
}

bool
kvm_phys_held(kvm_t *kd, uint64_t pa, uint64_t *len_ret)
{
	if (kd->format && kd->format->held) {
		bool held = kd->format->held(kd, pa, len_ret);
		if (*len_ret == 0)
			*len_ret = 1;
		return held;
	}
	*len_ret = pa ? 0 - pa : UINT64_MAX;
	return true;
}

static int
need_xlat(kvm_t *kd)
{
	if (kd->flags == KVM_NO_FILES)
		return kvm_error(kd, KVM_ENOTSUP,
				 "kvm_open called with KVM_NO_FILES: kernel "
				 "memory cannot be read or written");
	if (!kd->arch)
		return kvm_error(kd, KVM_ENOTSUP,
				 "no address translation for %s dumps "
				 "(architecture not supported yet)",
				 kvm_machine_name(kd->e_machine));
	if (!kd->xlat.ready) {
		if (kd->xlat_reason[0])
			return kvm_error(kd, kd->xlat_errcode, "%s",
					 kd->xlat_reason);
		return kvm_error(kd, KVM_ENOTSUP,
				 "%s: kernel page tables not found in the dump",
				 kd->arch->name);
	}
	return 0;
}

void
kvm_tlb_flush(kvm_t *kd)
{
	for (size_t i = 0; i < KVM_TLB_SIZE; i++)
		kd->tlb[i].vpage = 1;
	memset(kd->blocks, 0, sizeof(kd->blocks));
	if (kd->arch && kd->arch->flush)
		kd->arch->flush(kd);
}

bool
kvm_kva_exec_range(kvm_t *kd, uint64_t va, uint64_t len)
{
	if (!kd->arch || !kd->arch->kva_exec || !kd->xlat.ready)
		return false;
	/* Whole entries at a time: 2 MiB each on the kernel's text. */
	for (uint64_t done = 0; done < len;) {
		bool exec = false;
		uint64_t n = 0;
		int err = kd->arch->kva_exec(kd, va + done, &exec, &n);
		if (err || !exec || n == 0) {
			kvm_error_clear(kd);
			return false;
		}
		done += n;
	}
	return true;
}

int
kvm_kvatop_cached(kvm_t *kd, uint64_t va, uint64_t *pa_ret, uint64_t *len_ret)
{
	uint64_t vpage = va & ~0xfffULL;
	struct kvm_tlb_entry *e = &kd->tlb[(va >> 12) % KVM_TLB_SIZE];

	if (e->vpage == vpage) {
		*pa_ret = e->ppage + (va - vpage);
		*len_ret = e->vend - va;
		return 0;
	}
	struct kvm_block_entry *b =
		&kd->blocks[(va >> KVM_BLOCK_SHIFT) % KVM_BLOCK_CACHE_SIZE];
	if (b->vend && va >= b->vstart && va < b->vend) {
		*pa_ret = b->pstart + (va - b->vstart);
		*len_ret = b->vend - va;
		return 0;
	}
	int err = kd->arch->kvatop(kd, va, pa_ret, len_ret);
	if (err)
		return err;
	uint64_t off = va - vpage, vend;
	/*
	 * A mapping that runs on past the 64 KiB it lies in is a large page
	 * (2 MiB and up); a base page may be 16 or 64 KiB (arm64), and one
	 * of those says nothing about the rest of a 2 MiB slot.  Pages are
	 * naturally aligned powers of two, so the smallest power of two
	 * s >= the bytes left that divides its end gives [end - s, end), all
	 * inside the page: cache that whole.
	 */
	if (!kvm_add_overflow(va, *len_ret, &vend) && vend &&
	    *len_ret > 0x10000 - (va & 0xffff)) {
		uint64_t sz = 1ULL << KVM_BLOCK_SHIFT;
		while (sz < *len_ret && sz < (1ULL << 40))
			sz <<= 1;
		if (sz >= *len_ret && (vend & (sz - 1)) == 0 &&
		    vend - sz <= va && *pa_ret >= va - (vend - sz)) {
			b->vstart = vend - sz;
			b->vend = vend;
			b->pstart = *pa_ret - (va - b->vstart);
		}
	}
	/*
	 * Only cache when the mapping covers the whole 4 KiB page, and not
	 * the top page of the address space (its end, 2^64, has no value).
	 */
	if (*pa_ret >= off && *len_ret >= 0x1000 - off &&
	    !kvm_add_overflow(va, *len_ret, &vend)) {
		e->vpage = vpage;
		e->ppage = *pa_ret - off;
		e->vend = vend;
	}
	return 0;
}

int
kvm_virt_read(kvm_t *kd, uint64_t va, void *buf, size_t len, size_t *done_ret)
{
	return kvm_virt_read_flags(kd, va, buf, len, done_ret, 0);
}

int
kvm_virt_read_image(kvm_t *kd, uint64_t va, void *buf, size_t len,
		    size_t *done_ret)
{
	return kvm_virt_read_flags(kd, va, buf, len, done_ret,
				   KVM_VREAD_EXCLUDED_ZERO);
}

int
kvm_virt_read_flags(kvm_t *kd, uint64_t va, void *buf, size_t len,
		    size_t *done_ret, unsigned flags)
{
	uint8_t *out = buf;
	size_t done = 0;
	int err = need_xlat(kd);

	while (!err && done < len) {
		uint64_t pa, valid;
		/* va wrapped: the last read ended at the top of the space. */
		if (done > 0 && va == 0) {
			err = kvm_error(kd, KVM_EFAULT,
					"read runs past the top of the address "
					"space");
			break;
		}
		err = kvm_kvatop_cached(kd, va, &pa, &valid);
		if (err)
			break;
		if (valid == 0) {
			err = kvm_error(kd, KVM_EFAULT,
					"%s: empty mapping at 0x%llx",
					kd->arch->name, (unsigned long long)va);
			break;
		}
		size_t n = KVM_MIN((uint64_t)(len - done), valid);
		size_t got;
		/* Mapped and contiguous: one memcpy, no layers. */
		const void *src = kd->format->phys_ptr
					  ? kd->format->phys_ptr(kd, pa, n)
					  : NULL;
		if (src) {
			memcpy(out + done, src, n);
			done += n;
			va += n;
			continue;
		}
		err = kvm_phys_read(kd, pa, out + done, n, &got);
		done += got;
		va += got;
		if (err == -KVM_ENODATA && (flags & KVM_VREAD_EXCLUDED_ZERO) &&
		    kd->page_size) {
			/* The rest of this page was left out: zeros. */
			size_t z = kd->page_size - (va & (kd->page_size - 1));
			z = KVM_MIN(z, len - done);
			memset(out + done, 0, z);
			done += z;
			va += z;
			kvm_error_clear(kd);
			err = 0;
			continue;
		}
		if (err)
			kvm_error_ctx(kd, "kernel address 0x%llx",
				      (unsigned long long)va);
	}
	*done_ret = done;
	return err;
}

bool
kvm_banner_at(kvm_t *kd, uint64_t va, char *rel, size_t relsz)
{
	static const char prefix[] = "Linux version ";
	const size_t pl = sizeof(prefix) - 1;
	char b[sizeof(prefix) - 1 + 65 + 1]; /* and a new_utsname release */
	size_t done;

	/* The prefix first: most candidates fail there, in one small read. */
	bool ok = kvm_virt_read_image(kd, va, b, pl, &done) == 0 &&
		  memcmp(b, prefix, pl) == 0;
	if (ok && rel) {
		/* The release may run up to the end of the mapping. */
		kvm_virt_read_image(kd, va + pl, b + pl, sizeof(b) - 1 - pl,
				    &done);
		b[pl + done] = '\0';
		char *r = b + pl;
		r[strcspn(r, " ")] = '\0';
		snprintf(rel, relsz, "%s", r);
	}
	kvm_error_clear(kd);
	return ok;
}

int
kvm_scan_image(kvm_t *kd, uint64_t start, uint64_t len, size_t window,
	       size_t overlap, kvm_scan_fn *fn, void *arg)
{
	uint64_t ps = kd->page_size ? kd->page_size : 4096;
	uint8_t *buf = malloc(window + overlap);

	if (!buf)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	int ret = 0;
	for (uint64_t pos = start; !ret && pos - start < len;) {
		size_t want = window + overlap, got = 0;
		uint64_t pa, valid, run;
		kd->quiet_errors++;
		kd->xlat.hole_last = 0;
		int err = kvm_kvatop_cached(kd, pos, &pa, &valid);
		/*
		 * What the dump does not store (excluded pages, zeros by
		 * definition) reads as zeros, and nothing a scan looks for
		 * starts in zeros: step over the whole run, not page by page.
		 * A match that starts before the run and ends in it is still
		 * seen, by the window before, which reads into the run.
		 */
		if (!err && valid && !kvm_phys_held(kd, pa, &run)) {
			kd->quiet_errors--;
			uint64_t next = pos + KVM_MIN(valid, run);
			if (next <= pos)
				break; /* the top of the address space */
			pos = next;
			continue;
		}
		if (!err)
			kvm_virt_read_image(kd, pos, buf, want, &got);
		kd->quiet_errors--;
		kvm_error_clear(kd);
		if (got == 0) {
			/*
			 * Unmapped or unreadable: on to the next page, or past
			 * the whole span of a table entry that is not present
			 * or of a table that does not read.
			 */
			uint64_t next = (pos | (ps - 1)) + 1;
			if (kd->xlat.hole_last >= next)
				next = kd->xlat.hole_last + 1;
			if (next <= pos)
				break; /* the top of the address space */
			pos = next;
			continue;
		}
		size_t starts = got == want ? window : got;
		ret = fn(arg, pos, buf, got, starts);
		if (pos + starts < pos)
			break;
		pos += starts;
	}
	free(buf);
	return ret;
}

KVM_EXPORT ssize_t
kvm_read2(kvm_t *kd, kvaddr_t addr, void *buf, size_t len)
{
	size_t done;
	KVM_CHECK_KD(kd, -1);

	if (len > SSIZE_MAX) {
		kvm_error(kd, KVM_EINVAL, "read length %zu too large", len);
		return -1;
	}
	if (len == 0)
		return 0;
	if (kvm_virt_read(kd, addr, buf, len, &done) == 0)
		return len;
	kvm_report(kd);
	return done > 0 ? (ssize_t)done : -1;
}

KVM_EXPORT ssize_t
kvm_read(kvm_t *kd, unsigned long addr, void *buf, size_t len)
{
	return kvm_read2(kd, addr, buf, len);
}

KVM_EXPORT ssize_t
kvm_read_phys(kvm_t *kd, kpaddr_t addr, void *buf, size_t len)
{
	size_t done;
	KVM_CHECK_KD(kd, -1);

	if (len > SSIZE_MAX) {
		kvm_error(kd, KVM_EINVAL, "read length %zu too large", len);
		return -1;
	}
	if (len == 0)
		return 0;
	if (kd->flags == KVM_NO_FILES) {
		need_xlat(kd);
		kvm_report(kd);
		return -1;
	}
	if (kvm_phys_read(kd, addr, buf, len, &done) == 0)
		return len;
	kvm_report(kd);
	return done > 0 ? (ssize_t)done : -1;
}

/*
 * The running kernel is written through /dev/mem, where the kernel lets
 * it: CONFIG_STRICT_DEVMEM (the default of most distributions) refuses
 * RAM, lockdown refuses it all (drivers/char/mem.c).
 */
static int
devmem_write(kvm_t *kd, uint64_t pa, const void *buf, size_t len,
	     size_t *done_ret)
{
	*done_ret = 0;
	if (kd->devmem_fd < 0) {
		kd->devmem_fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
		if (kd->devmem_fd < 0) {
			int e = errno;
			if (e == ENOENT)
				return kvm_error(
					kd, KVM_ENOTSUP,
					"kvm_write: no /dev/mem on this "
					"system (CONFIG_DEVMEM off): the "
					"running kernel cannot be written");
			errno = e;
			return kvm_error_sys(kd, "kvm_write: /dev/mem%s",
					     geteuid() ? " (needs root)" : "");
		}
	}
	ssize_t n = pwrite(kd->devmem_fd, buf, len, (off_t)pa);
	if (n < 0 && (errno == EPERM || errno == EFAULT || errno == EINVAL))
		return kvm_error(kd, KVM_ENOTSUP,
				 "kvm_write: /dev/mem refuses physical address "
				 "0x%llx (%s): the kernel forbids writing RAM "
				 "there (CONFIG_STRICT_DEVMEM or lockdown)",
				 (unsigned long long)pa, strerror(errno));
	if (n < 0)
		return kvm_error_sys(kd, "kvm_write: /dev/mem at 0x%llx",
				     (unsigned long long)pa);
	*done_ret = (size_t)n;
	if ((size_t)n < len)
		return kvm_error(kd, KVM_EFAULT,
				 "kvm_write: /dev/mem wrote %zd "
				 "of %zu bytes at 0x%llx",
				 n, len, (unsigned long long)pa);
	return 0;
}

KVM_EXPORT ssize_t
kvm_write2(kvm_t *kd, kvaddr_t addr, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	size_t done = 0;
	int err;
	KVM_CHECK_KD(kd, -1);

	if (kd->flags != KVM_NO_FILES && (kd->flags & O_ACCMODE) == O_RDONLY) {
		kvm_error(kd, KVM_EINVAL,
			  "kvm_write: descriptor is read-only "
			  "(opened O_RDONLY)");
		return -1;
	}
	if (len > SSIZE_MAX) {
		kvm_error(kd, KVM_EINVAL, "write length %zu too large", len);
		return -1;
	}
	err = need_xlat(kd);
	if (!err && kd->live)
		; /* through /dev/mem, below */
	else if (!err && !kd->format->write_phys)
		err = kvm_error(kd, KVM_ENOTSUP,
				"writing is not supported for %s targets",
				kd->format->name);
	while (!err && done < len) {
		uint64_t pa, valid;
		size_t got = 0;
		if (done > 0 && addr + done == 0) {
			err = kvm_error(kd, KVM_EFAULT,
					"write runs past the top of the address "
					"space");
			break;
		}
		err = kd->arch->kvatop(kd, addr + done, &pa, &valid);
		if (err)
			break;
		if (valid == 0) {
			err = kvm_error(kd, KVM_EFAULT, "empty mapping");
			break;
		}
		size_t n = KVM_MIN((uint64_t)(len - done), valid);
		err = kd->live ? devmem_write(kd, pa, in + done, n, &got)
			       : kd->format->write_phys(kd, pa, in + done, n,
							&got);
		done += got;
	}
	/* The bytes written may have been page tables. */
	kvm_tlb_flush(kd);
	if (!err)
		return done;
	kvm_report(kd);
	return done > 0 ? (ssize_t)done : -1;
}

KVM_EXPORT ssize_t
kvm_write(kvm_t *kd, unsigned long addr, const void *buf, size_t len)
{
	return kvm_write2(kd, addr, buf, len);
}

KVM_EXPORT int
kvm_kvatop(kvm_t *kd, kvaddr_t va, kpaddr_t *pa_ret, uint64_t *len_ret)
{
	uint64_t valid;

	KVM_CHECK_KD(kd, -1);
	int err = need_xlat(kd);

	if (!err)
		err = kd->arch->kvatop(kd, va, pa_ret, &valid);
	if (err) {
		kvm_report(kd);
		return -1;
	}
	if (len_ret)
		*len_ret = valid;
	return 0;
}

/* ---------------------------------------------------- target description */

KVM_EXPORT kssize_t
kvm_kerndisp(kvm_t *kd)
{
	KVM_CHECK_KD(kd, 0);
	if (!kd->kaslr_known) {
		kvm_error(kd, KVM_ENOTSUP, "the KASLR offset is not known");
		return 0;
	}
	return kd->kaslr_offset;
}

KVM_EXPORT int
kvm_native(kvm_t *kd)
{
	const struct kvm_arch_ops *host = NULL;

	KVM_CHECK_KD(kd, -1);
#if defined(__x86_64__)
	host = kvm_arch_by_machine(62 /* EM_X86_64 */);
#elif defined(__aarch64__)
	host = kvm_arch_by_machine(183 /* EM_AARCH64 */);
#endif
	if (kd->flags == KVM_NO_FILES)
		return 1;
	if (!host)
		return 0;
	bool host_be = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
	return kd->e_machine == host->e_machine && kd->big_endian == host_be &&
	       kd->ptr_size == (int)sizeof(void *);
}

KVM_EXPORT int
kvm_get_info(kvm_t *kd, struct kvm_info *info, size_t infosize)
{
	struct kvm_info i;
	KVM_CHECK_KD(kd, -1);

	memset(&i, 0, sizeof(i));
	if (kd->flags == KVM_NO_FILES) {
		snprintf(i.format, sizeof(i.format), "none");
		i.live = 1;
	} else {
		snprintf(i.format, sizeof(i.format), "%s", kd->format->name);
		snprintf(i.arch, sizeof(i.arch), "%s",
			 kvm_machine_name(kd->e_machine));
		const char *rel =
			kd->vmcoreinfo_text
				? kvm_vmcoreinfo_get(&kd->vmci, "OSRELEASE")
				: NULL;
		if (rel) {
			snprintf(i.release, sizeof(i.release), "%s", rel);
		} else if (kd->arch) {
			/* No VMCOREINFO: the banner in memory (looked for once). */
			struct kvm_error_saved kept;
			kvm_error_save(kd, &kept);
			kvm_proc_release(kd, i.release, sizeof(i.release));
			kvm_error_restore(kd, &kept);
		}
		i.page_size = kd->page_size;
		i.kaslr_known = kd->kaslr_known;
		i.kaslr_offset = kd->kaslr_offset;
		i.vmcoreinfo = kd->vmcoreinfo_text != NULL;
		i.pgtable_levels = kd->xlat.ready ? kd->xlat.levels : 0;
		i.pgtable_root = kd->xlat.ready ? kd->xlat.root : 0;
		i.big_endian = kd->big_endian;
		i.ptr_size = kd->ptr_size;
		i.live = kd->live;
		i.ncpus = kd->ncpus;
		i.nranges = kd->nranges;
		snprintf(i.warning, sizeof(i.warning), "%s", kd->warning);
		i.dump_level = kd->dump_level;
		i.file_size = kd->trunc_file ? kd->trunc_file : kd->core.size;
		i.expected_size = kd->trunc_want ? kd->trunc_want
						 : kd->expect_end;
		i.truncated = kd->trunc[0] != '\0';
		snprintf(i.truncation, sizeof(i.truncation), "%s", kd->trunc);
		uint64_t t;
		if (kd->vmcoreinfo_text &&
		    kvm_vmcoreinfo_dec(&kd->vmci, "CRASHTIME", &t))
			i.crash_time = t;
		if (!i.crash_time)
			i.crash_time = kd->dump.crash_time;
		if (kd->dump.have_header) {
			i.dump_size = kd->dump.data_size;
			i.dump_incomplete =
				(kd->dump.flags & KVMDUMP_F_COMPLETE) == 0;
		}
	}
	memcpy(info, &i, KVM_MIN(infosize, sizeof(i)));
	return 0;
}

KVM_EXPORT int
kvm_get_phys_ranges(kvm_t *kd, const struct kvm_phys_range **ranges_ret,
		    size_t *n_ret)
{
	KVM_CHECK_KD(kd, -1);
	*ranges_ret = kd->ranges;
	*n_ret = kd->nranges;
	return 0;
}

KVM_EXPORT const char *
kvm_get_vmcoreinfo(kvm_t *kd)
{
	KVM_CHECK_KD(kd, NULL);
	if (!kd->vmcoreinfo_text)
		kvm_error(kd, KVM_ENOENT, "the target carries no VMCOREINFO");
	return kd->vmcoreinfo_text;
}

KVM_EXPORT int
kvm_set_cache_size(kvm_t *kd, size_t bytes)
{
	KVM_CHECK_KD(kd, -1);
	if ((uint64_t)bytes > KVM_CACHE_MAX) {
		kvm_error(kd, KVM_EINVAL,
			  "cache size %zu exceeds the maximum %llu", bytes,
			  (unsigned long long)KVM_CACHE_MAX);
		return -1;
	}
	kd->cache_bytes = bytes ? bytes : KVM_CACHE_DEFAULT;
	/* A format that holds a cache drops it; it refills to the new bound. */
	if (kd->format && kd->format->cache_resize)
		kd->format->cache_resize(kd);
	return 0;
}
