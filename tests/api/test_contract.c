// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kvm(3) interface contract (DESIGN §1a) through the public API of
 * libkvm.so: Sun and BSD error semantics, flags, the error text, reads and
 * writes, bad core files and the calls that are not supported yet.  The
 * dump is written here, with <elf.h> and nothing from src/: an ELF64
 * ET_CORE for x86_64 with a VMCOREINFO note and a 4-level page table.
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <kvm.h>

/*
 * The synthetic dump.  One PT_LOAD holds DUMP_NPAGES pages of physical
 * memory from DUMP_PHYS:
 *
 *   page 0  pgd    [511] -> page 1
 *   page 1  pud    [510] -> page 2
 *   page 2  pmd    [8]   -> page 3
 *   page 3  pte    [0] -> page 4, [1] -> page 5, [2] not present,
 *                  [3] -> NODATA_PA (not in the dump)
 *   page 4  data0  DATA_STRING at offset 0, a byte pattern after it
 *   page 5  data1  another byte pattern
 *
 * so KVA maps page 4, KVA + PG page 5, KVA + 2 PG is unmapped and
 * KVA + 3 PG is mapped to memory the dump does not hold.  The root is
 * found the way the kernel states it: init_top_pgt lies in the kernel
 * image, at physical init_top_pgt - __START_KERNEL_map + phys_base.
 */
#define PG 4096u
#define DUMP_NPAGES 6u
#define DUMP_PHYS 0x100000ULL
#define PAGE_PA(n) (DUMP_PHYS + (uint64_t)(n) * PG)
#define PG_PGD 0
#define PG_PUD 1
#define PG_PMD 2
#define PG_PTE 3
#define PG_DATA0 4
#define PG_DATA1 5
#define START_KERNEL_MAP 0xffffffff80000000ULL
#define PHYS_BASE 0xc0000ULL
#define INIT_TOP_PGT (START_KERNEL_MAP + PAGE_PA(PG_PGD) - PHYS_BASE)
#define PTE_TABLE 0x63ULL /* present, rw, accessed, dirty (_KERNPG_TABLE) */
#define NODATA_PA 0x40000000ULL

#define KVA 0xffffffff81000000ULL
#define KVA_DATA1 (KVA + PG)
#define KVA_UNMAPPED (KVA + 2 * PG)
#define KVA_NODATA (KVA + 3 * PG)
#define KVA_NONCANON 0x0000800000000000ULL

#define OSRELEASE "6.1.0-libkvm-api"
#define CRASHTIME 1700000000ULL
#define KASLR_OFFSET 0x1c000000ULL
#define DATA_STRING "Linux version " OSRELEASE " (kvm(3) contract test)"

/* File layout: ELF header, 2 program headers, the note, then memory. */
#define NOTE_OFF (sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr))
#define LOAD_OFF 0x1000u

#define PROG "myprog"

struct dump_spec {
	uint64_t kerneloffset; /* VMCOREINFO KERNELOFFSET */
	size_t truncate_to;    /* file size to cut the dump to; 0: whole */
};

static struct {
	char dir[PATH_MAX / 2]; /* leaves room for the names below */
	char dump[PATH_MAX];   /* KERNELOFFSET=0 */
	char kaslr[PATH_MAX];  /* KERNELOFFSET=KASLR_OFFSET */
	char trunc[PATH_MAX];  /* cut in the middle of page 5 */
	char text[PATH_MAX];
	char empty[PATH_MAX];
	char subdir[PATH_MAX];
	char missing[PATH_MAX];
	char rw[PATH_MAX];     /* test_write_rdwr's copy */
	uint8_t mem[DUMP_NPAGES * PG]; /* what the dump's memory holds */
} fx;

/* ------------------------------------------------------------ helpers */

static void
put_pte(uint8_t *mem, unsigned page, unsigned idx, uint64_t val)
{
	uint64_t le = htole64(val);

	memcpy(mem + (size_t)page * PG + idx * 8u, &le, 8);
}

static unsigned
va_index(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

static void
build_memory(uint8_t *mem)
{
	memset(mem, 0, DUMP_NPAGES * PG);
	put_pte(mem, PG_PGD, va_index(KVA, 4), PAGE_PA(PG_PUD) | PTE_TABLE);
	put_pte(mem, PG_PUD, va_index(KVA, 3), PAGE_PA(PG_PMD) | PTE_TABLE);
	put_pte(mem, PG_PMD, va_index(KVA, 2), PAGE_PA(PG_PTE) | PTE_TABLE);
	put_pte(mem, PG_PTE, va_index(KVA, 1), PAGE_PA(PG_DATA0) | PTE_TABLE);
	put_pte(mem, PG_PTE, va_index(KVA_DATA1, 1),
		PAGE_PA(PG_DATA1) | PTE_TABLE);
	put_pte(mem, PG_PTE, va_index(KVA_NODATA, 1), NODATA_PA | PTE_TABLE);

	uint8_t *d0 = mem + PG_DATA0 * PG, *d1 = mem + PG_DATA1 * PG;
	for (unsigned i = 0; i < PG; i++) {
		d0[i] = (uint8_t)(i * 7 + 3);
		d1[i] = (uint8_t)(i ^ 0x5a);
	}
	memcpy(d0, DATA_STRING, sizeof(DATA_STRING));
}

static int
write_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n <= 0)
			return -1;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Write the synthetic dump to path; 0 or -1. */
static int
write_dump(const char *path, const struct dump_spec *spec)
{
	char vmci[512];
	int vlen = snprintf(vmci, sizeof(vmci),
			    "OSRELEASE=%s\n"
			    "PAGESIZE=%u\n"
			    "SYMBOL(init_top_pgt)=%llx\n"
			    "NUMBER(phys_base)=%llu\n"
			    "KERNELOFFSET=%llx\n"
			    "NUMBER(pgtable_l5_enabled)=0\n"
			    "CRASHTIME=%llu\n",
			    OSRELEASE, PG, (unsigned long long)INIT_TOP_PGT,
			    (unsigned long long)PHYS_BASE,
			    (unsigned long long)spec->kerneloffset,
			    (unsigned long long)CRASHTIME);
	if (vlen < 0 || (size_t)vlen >= sizeof(vmci))
		return -1;

	/* Note: header, "VMCOREINFO\0" padded to 12, text padded to 4. */
	uint8_t note[sizeof(Elf64_Nhdr) + 12 + sizeof(vmci)];
	Elf64_Nhdr nh = {
		.n_namesz = htole32(sizeof("VMCOREINFO")),
		.n_descsz = htole32((uint32_t)vlen),
		.n_type = htole32(0),
	};
	size_t notelen = sizeof(nh) + 12 + (((size_t)vlen + 3) & ~(size_t)3);
	memset(note, 0, sizeof(note));
	memcpy(note, &nh, sizeof(nh));
	memcpy(note + sizeof(nh), "VMCOREINFO", sizeof("VMCOREINFO"));
	memcpy(note + sizeof(nh) + 12, vmci, vlen);
	if (NOTE_OFF + notelen > LOAD_OFF)
		return -1;

	Elf64_Ehdr eh;
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = htole16(ET_CORE);
	eh.e_machine = htole16(EM_X86_64);
	eh.e_version = htole32(EV_CURRENT);
	eh.e_phoff = htole64(sizeof(Elf64_Ehdr));
	eh.e_ehsize = htole16(sizeof(Elf64_Ehdr));
	eh.e_phentsize = htole16(sizeof(Elf64_Phdr));
	eh.e_phnum = htole16(2);

	Elf64_Phdr ph[2];
	memset(ph, 0, sizeof(ph));
	ph[0].p_type = htole32(PT_NOTE);
	ph[0].p_offset = htole64(NOTE_OFF);
	ph[0].p_filesz = htole64(notelen);
	ph[0].p_align = htole64(4);
	ph[1].p_type = htole32(PT_LOAD);
	ph[1].p_flags = htole32(PF_R | PF_W | PF_X);
	ph[1].p_offset = htole64(LOAD_OFF);
	/* As kdump writes it: the direct-map address, then the physical. */
	ph[1].p_vaddr = htole64(0xffff888000000000ULL + DUMP_PHYS);
	ph[1].p_paddr = htole64(DUMP_PHYS);
	ph[1].p_filesz = htole64(sizeof(fx.mem));
	ph[1].p_memsz = htole64(sizeof(fx.mem));

	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int err = write_all(fd, &eh, sizeof(eh), 0) ||
		  write_all(fd, ph, sizeof(ph), sizeof(eh)) ||
		  write_all(fd, note, notelen, NOTE_OFF) ||
		  write_all(fd, fx.mem, sizeof(fx.mem), LOAD_OFF);
	if (!err && spec->truncate_to)
		err = ftruncate(fd, spec->truncate_to);
	if (close(fd) < 0)
		err = -1;
	return err ? -1 : 0;
}

static int
write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int err = write_all(fd, text, strlen(text), 0);
	if (close(fd) < 0)
		err = -1;
	return err;
}

static void
fx_path(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", fx.dir, name);
}

/*
 * What a call printed on stderr.  Nothing may assert between begin and
 * end: a failing assertion would leave stderr redirected.
 */
struct capture {
	int saved;
	int fd;
};

static void
capture_begin(struct capture *c)
{
	char path[PATH_MAX];

	fx_path(path, "stderr-XXXXXX");
	fflush(stderr);
	c->fd = mkstemp(path);
	assert_true(c->fd >= 0);
	unlink(path);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(c->fd, STDERR_FILENO) >= 0);
}

/* Ends the capture and returns what was printed (NUL-terminated). */
static const char *
capture_end(struct capture *c, char *buf, size_t size)
{
	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	ssize_t n = pread(c->fd, buf, size - 1, 0);
	close(c->fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define assert_contains(hay, needle)                                          \
	do {                                                                  \
		const char *h_ = (hay);                                       \
		if (!strstr(h_, (needle)))                                    \
			fail_msg("\"%s\" does not contain \"%s\"", h_,        \
				 (needle));                                   \
	} while (0)

/*
 * Every handle a test opens is tracked, so that a failing assertion does
 * not leak it: the per-test teardown closes what is left.
 */
static kvm_t *tracked[8];

static kvm_t *
track(kvm_t *kd)
{
	for (size_t i = 0; kd && i < sizeof(tracked) / sizeof(tracked[0]); i++)
		if (!tracked[i]) {
			tracked[i] = kd;
			break;
		}
	return kd;
}

static void
untrack(kvm_t *kd)
{
	for (size_t i = 0; i < sizeof(tracked) / sizeof(tracked[0]); i++)
		if (tracked[i] == kd)
			tracked[i] = NULL;
}

/* kvm_close() on a good handle returns 0. */
static void
close_handle(kvm_t *kd)
{
	untrack(kd);
	assert_int_equal(kvm_close(kd), 0);
}

static int
close_leftovers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tracked) / sizeof(tracked[0]); i++)
		if (tracked[i]) {
			kvm_close(tracked[i]);
			tracked[i] = NULL;
		}
	return 0;
}

static kvm_t *
open_dump(const char *path, int flags)
{
	char errbuf[KVM_ERRBUF_SIZE] = "";
	kvm_t *kd = track(kvm_openfiles(NULL, path, NULL, flags, errbuf));

	if (!kd)
		fail_msg("kvm_openfiles(%s): %s", path, errbuf);
	return kd;
}

/* Record an error on kd that is not "not supported". */
static void
set_other_error(kvm_t *kd)
{
	char c;

	assert_int_equal(kvm_read(kd, KVA_UNMAPPED, &c, 1), -1);
	assert_int_equal(kvm_geterrcode(kd), KVM_EFAULT);
}

/* ------------------------------------------------------ group fixture */

static int
group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct dump_spec plain = { 0, 0 };
	struct dump_spec kaslr = { KASLR_OFFSET, 0 };
	struct dump_spec trunc = { 0, LOAD_OFF + PG_DATA1 * PG + PG / 2 };

	(void)state;
	int n = snprintf(fx.dir, sizeof(fx.dir), "%s/libkvm-api-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(fx.dir) || !mkdtemp(fx.dir))
		return -1;
	build_memory(fx.mem);
	fx_path(fx.dump, "plain.core");
	fx_path(fx.kaslr, "kaslr.core");
	fx_path(fx.trunc, "trunc.core");
	fx_path(fx.text, "notes.txt");
	fx_path(fx.empty, "empty.core");
	fx_path(fx.subdir, "a-directory");
	fx_path(fx.missing, "no-such-file.core");
	fx_path(fx.rw, "rw.core");
	if (write_dump(fx.dump, &plain) || write_dump(fx.kaslr, &kaslr) ||
	    write_dump(fx.trunc, &trunc) ||
	    write_text(fx.text, "This is a text file,\nnot a kernel dump.\n") ||
	    write_text(fx.empty, "") || mkdir(fx.subdir, 0755))
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	unlink(fx.dump);
	unlink(fx.kaslr);
	unlink(fx.trunc);
	unlink(fx.rw);
	unlink(fx.text);
	unlink(fx.empty);
	rmdir(fx.subdir);
	rmdir(fx.dir);
	return 0;
}

/* ---------------------------------------------------- Sun semantics */

/*
 * Every bad core, every bad argument: kvm_open(..., errstr) prints one
 * line "errstr: message", the very text kvm_openfiles() puts in errbuf.
 */
struct bad_open {
	const char *exec;
	const char *core;
	int flags;
};

static void
check_sun_prints_one_line(const struct bad_open *b)
{
	char errbuf[KVM_ERRBUF_SIZE] = "";
	char out[2 * KVM_ERRBUF_SIZE], want[KVM_ERRBUF_SIZE + 16];
	struct capture c;

	assert_null(kvm_openfiles(b->exec, b->core, NULL, b->flags, errbuf));
	assert_true(errbuf[0] != '\0');
	capture_begin(&c);
	kvm_t *kd = track(kvm_open(b->exec, b->core, NULL, b->flags, PROG));
	capture_end(&c, out, sizeof(out));
	assert_null(kd);
	snprintf(want, sizeof(want), "%s: %s\n", PROG, errbuf);
	assert_string_equal(out, want);
	assert_int_equal(count_lines(out), 1);
}

static void
test_sun_open_prints_one_line(void **state)
{
	const struct bad_open cases[] = {
		{ NULL, fx.text, O_RDONLY },
		{ NULL, fx.empty, O_RDONLY },
		{ NULL, fx.missing, O_RDONLY },
		{ NULL, fx.subdir, O_RDONLY },
		{ NULL, "/dev/zero", O_RDONLY },
		{ NULL, fx.dump, O_CREAT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_sun_prints_one_line(&cases[i]);
}

static void
test_sun_open_errstr_null_silent(void **state)
{
	char out[KVM_ERRBUF_SIZE];
	struct capture c;

	(void)state;
	capture_begin(&c);
	kvm_t *kd1 = track(kvm_open(NULL, fx.text, NULL, O_RDONLY, NULL));
	kvm_t *kd2 = track(kvm_open(NULL, fx.missing, NULL, O_RDONLY, NULL));
	kvm_t *kd3 = track(kvm_open(NULL, fx.dump, NULL, 3, NULL));
	capture_end(&c, out, sizeof(out));
	assert_null(kd1);
	assert_null(kd2);
	assert_null(kd3);
	assert_string_equal(out, "");
}

/* Soft errors on a handle opened with an errstr are never printed. */
static void
test_sun_soft_errors_not_printed(void **state)
{
	char out[KVM_ERRBUF_SIZE], buf[16];
	struct capture c;
	kpaddr_t pa;

	(void)state;
	capture_begin(&c);
	kvm_t *kd = track(kvm_open(NULL, fx.dump, NULL, O_RDONLY, PROG));
	ssize_t unmapped = kd ? kvm_read(kd, KVA_UNMAPPED, buf, 8) : 0;
	char msg_unmapped[KVM_ERRBUF_SIZE] = "";
	if (kd)
		snprintf(msg_unmapped, sizeof(msg_unmapped), "%s",
			 kvm_geterr(kd));
	ssize_t nodata = kd ? kvm_read(kd, KVA_NODATA, buf, 8) : 0;
	ssize_t noncanon = kd ? kvm_read(kd, KVA_NONCANON, buf, 8) : 0;
	int xlat = kd ? kvm_kvatop(kd, KVA_UNMAPPED, &pa, NULL) : 0;
	capture_end(&c, out, sizeof(out));

	assert_non_null(kd);
	assert_string_equal(out, "");
	assert_int_equal(unmapped, -1);
	assert_int_equal(nodata, -1);
	assert_int_equal(noncanon, -1);
	assert_int_equal(xlat, -1);
	/* kvm_geterr explains each failure. */
	assert_contains(msg_unmapped, "not present");
	assert_contains(msg_unmapped, "0xffffffff81002000");
	assert_int_equal(kvm_read(kd, KVA_NODATA, buf, 8), -1);
	assert_int_equal(kvm_geterrcode(kd), KVM_ENODATA);
	assert_contains(kvm_geterr(kd), "not in the dump");
	assert_int_equal(kvm_read(kd, KVA_NONCANON, buf, 8), -1);
	assert_int_equal(kvm_geterrcode(kd), KVM_EFAULT);
	assert_contains(kvm_geterr(kd), "not canonical");
	close_handle(kd);
}

/*
 * A hard error after open (kvm_read on a KVM_NO_FILES handle) is printed
 * at most once, and then as "errstr: " plus the kvm_geterr() text.
 */
static void
test_sun_hard_error_printed_once(void **state)
{
	char out[2 * KVM_ERRBUF_SIZE], want[KVM_ERRBUF_SIZE + 16], buf[8];
	struct capture c;

	(void)state;
	capture_begin(&c);
	kvm_t *kd = track(kvm_open(NULL, NULL, NULL, KVM_NO_FILES, PROG));
	ssize_t n = kd ? kvm_read(kd, KVA, buf, sizeof(buf)) : 0;
	capture_end(&c, out, sizeof(out));

	assert_non_null(kd);
	assert_int_equal(n, -1);
	if (out[0]) {
		snprintf(want, sizeof(want), "%s: %s\n", PROG, kvm_geterr(kd));
		assert_string_equal(out, want);
	}
	close_handle(kd);
}

/* ---------------------------------------------------- BSD semantics */

static void
test_bsd_never_prints(void **state)
{
	const char *cores[] = { fx.text, fx.empty, fx.missing, fx.subdir,
				"/dev/zero" };
	char errbuf[KVM_ERRBUF_SIZE], errbuf2[KVM_ERRBUF_SIZE];
	char out[KVM_ERRBUF_SIZE];
	struct capture c;

	(void)state;
	for (size_t i = 0; i < sizeof(cores) / sizeof(cores[0]); i++) {
		memset(errbuf, 0, sizeof(errbuf));
		memset(errbuf2, 0, sizeof(errbuf2));
		capture_begin(&c);
		kvm_t *kd1 = track(kvm_openfiles(NULL, cores[i], NULL, O_RDONLY,
						 errbuf));
		kvm_t *kd2 = track(kvm_open2(NULL, cores[i], O_RDONLY, errbuf2,
					     NULL));
		kvm_t *kd3 = track(kvm_openfiles(NULL, fx.dump, NULL, O_TRUNC,
						 errbuf2));
		capture_end(&c, out, sizeof(out));
		assert_null(kd1);
		assert_null(kd2);
		assert_null(kd3);
		assert_string_equal(out, "");
		assert_true(errbuf[0] != '\0');
		assert_contains(errbuf, cores[i]);
		assert_string_equal(errbuf2, "bad flags arg");
	}
}

/* Soft errors after kvm_openfiles are not printed either. */
static void
test_bsd_handle_never_prints(void **state)
{
	struct kvm_nlist nl[] = { { .n_name = "init_task" },
				  { .n_name = NULL } };
	char out[KVM_ERRBUF_SIZE], buf[8] = "";
	struct capture c;

	(void)state;
	capture_begin(&c);
	kvm_t *kd = track(kvm_openfiles(NULL, fx.dump, NULL, O_RDONLY, NULL));
	ssize_t n1 = kd ? kvm_read(kd, KVA_UNMAPPED, buf, 8) : 0;
	ssize_t n2 = kd ? kvm_write(kd, KVA, buf, 8) : 0;
	int n3 = kd ? kvm_nlist2(kd, nl) : 0;
	capture_end(&c, out, sizeof(out));
	assert_non_null(kd);
	assert_int_equal(n1, -1);
	assert_int_equal(n2, -1);
	assert_int_equal(n3, 1); /* not found: no kallsyms in this dump */
	assert_string_equal(out, "");
	close_handle(kd);
}

static void
test_bsd_errbuf_null(void **state)
{
	char out[KVM_ERRBUF_SIZE];
	struct capture c;

	(void)state;
	capture_begin(&c);
	errno = 0;
	kvm_t *kd1 = track(kvm_openfiles(NULL, fx.text, NULL, O_RDONLY, NULL));
	int e1 = errno;
	errno = 0;
	kvm_t *kd2 = track(kvm_openfiles(NULL, fx.dump, NULL, O_CREAT, NULL));
	int e2 = errno;
	errno = 0;
	kvm_t *kd3 = track(kvm_open2(NULL, fx.missing, O_RDONLY, NULL, NULL));
	int e3 = errno;
	capture_end(&c, out, sizeof(out));
	assert_null(kd1);
	assert_null(kd2);
	assert_null(kd3);
	assert_int_equal(e1, ENOEXEC);
	assert_int_equal(e2, EINVAL);
	assert_int_equal(e3, ENOENT);
	assert_string_equal(out, "");
}

/* errno after a failed open gives the class of the error. */
static void
test_bsd_errno(void **state)
{
	const struct {
		const char *core;
		int flags;
		int err;
	} cases[] = {
		{ fx.missing, O_RDONLY, ENOENT },
		{ fx.text, O_RDONLY, ENOEXEC },
		{ fx.empty, O_RDONLY, ENOEXEC },
		{ "/dev/zero", O_RDONLY, ENOEXEC },
		{ fx.dump, O_RDONLY | O_TRUNC, EINVAL },
	};
	char errbuf[KVM_ERRBUF_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		assert_null(kvm_openfiles(NULL, cases[i].core, NULL,
					  cases[i].flags, errbuf));
		if (errno != cases[i].err)
			fail_msg("%s: errno %d (%s), want %d (%s)",
				 cases[i].core, errno, strerror(errno),
				 cases[i].err, strerror(cases[i].err));
	}
}

/* A message longer than errbuf is cut to _POSIX2_LINE_MAX bytes. */
static void
test_bsd_errbuf_bounded(void **state)
{
	char path[PATH_MAX];
	char errbuf[2 * KVM_ERRBUF_SIZE];
	size_t n = 0;

	(void)state;
	/* Components of 200 characters: open fails with ENOENT. */
	n += snprintf(path, sizeof(path), "%s/missing", fx.dir);
	while (n + 202 < sizeof(path)) {
		path[n++] = '/';
		memset(path + n, 'x', 200);
		n += 200;
	}
	path[n] = '\0';
	assert_true(n > KVM_ERRBUF_SIZE);
	memset(errbuf, 0x7f, sizeof(errbuf));
	errno = 0;
	assert_null(kvm_openfiles(NULL, path, NULL, O_RDONLY, errbuf));
	assert_int_equal(errno, ENOENT);
	assert_true(strnlen(errbuf, KVM_ERRBUF_SIZE) < KVM_ERRBUF_SIZE);
	assert_memory_equal(errbuf, path, strlen(errbuf));
	for (size_t i = KVM_ERRBUF_SIZE; i < sizeof(errbuf); i++)
		assert_int_equal(errbuf[i], 0x7f);
}

/* ------------------------------------------------------------- flags */

static void
test_bad_flags(void **state)
{
	const int bad[] = { O_CREAT, O_RDONLY | O_TRUNC, O_ACCMODE,
			    O_RDWR | O_APPEND, KVM_NO_FILES | O_RDWR };
	char errbuf[KVM_ERRBUF_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(errbuf, 0, sizeof(errbuf));
		errno = 0;
		kvm_t *kd = track(kvm_openfiles(NULL, fx.dump, NULL, bad[i],
						errbuf));
		if (kd)
			fail_msg("flags 0x%x accepted", (unsigned)bad[i]);
		assert_string_equal(errbuf, "bad flags arg");
		assert_int_equal(errno, EINVAL);
	}
	/* The three access modes are all good. */
	const int good[] = { O_RDONLY, O_WRONLY, O_RDWR };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		kvm_t *kd = open_dump(fx.dump, good[i]);
		close_handle(kd);
	}
}

static void
test_no_files(void **state)
{
	char errbuf[KVM_ERRBUF_SIZE] = "", buf[8] = "";
	struct kvm_info info;

	(void)state;
	kvm_t *kd = track(kvm_openfiles(NULL, NULL, NULL, KVM_NO_FILES,
					errbuf));
	if (!kd)
		fail_msg("KVM_NO_FILES refused: %s", errbuf);
	assert_int_equal(kvm_read(kd, KVA, buf, sizeof(buf)), -1);
	assert_contains(kvm_geterr(kd), "KVM_NO_FILES");
	/* Another message in between, so that each call must set its own. */
	assert_int_equal(kvm_dump_inval(kd), -1);
	assert_int_equal(kvm_write(kd, KVA, buf, sizeof(buf)), -1);
	assert_contains(kvm_geterr(kd), "KVM_NO_FILES");
	assert_int_equal(kvm_dump_inval(kd), -1);
	assert_int_equal(kvm_read_phys(kd, PAGE_PA(PG_DATA0), buf, 8), -1);
	assert_contains(kvm_geterr(kd), "KVM_NO_FILES");
	assert_int_equal(kvm_get_info(kd, &info, sizeof(info)), 0);
	assert_int_equal(info.live, 1);
	assert_int_equal(kvm_native(kd), 1);
	close_handle(kd);

	/* A core file is not even looked at. */
	kd = track(kvm_openfiles(NULL, fx.missing, NULL, KVM_NO_FILES, errbuf));
	assert_non_null(kd);
	close_handle(kd);
}

/* ------------------------------------------------------- file names */

static void
test_exec_name_too_long(void **state)
{
	char errbuf[KVM_ERRBUF_SIZE];
	char *name = malloc(PATH_MAX + 1);

	(void)state;
	assert_non_null(name);
	memset(name, 'a', PATH_MAX);
	name[0] = '/';
	name[PATH_MAX] = '\0';

	/* PATH_MAX characters: refused, whatever the rest. */
	errno = 0;
	memset(errbuf, 0, sizeof(errbuf));
	assert_null(kvm_openfiles(name, fx.dump, NULL, O_RDONLY, errbuf));
	assert_string_equal(errbuf, "exec file name too long");
	assert_int_equal(errno, EINVAL);
	memset(errbuf, 0, sizeof(errbuf));
	assert_null(kvm_openfiles(name, NULL, NULL, KVM_NO_FILES, errbuf));
	assert_string_equal(errbuf, "exec file name too long");

	/* The same length as a core file name. */
	memset(errbuf, 0, sizeof(errbuf));
	assert_null(kvm_openfiles(NULL, name, NULL, O_RDONLY, errbuf));
	assert_string_equal(errbuf, "core file name too long");

	/* PATH_MAX - 1 characters fit (with the NUL) and are not refused. */
	name[PATH_MAX - 1] = '\0';
	kvm_t *kd = track(kvm_openfiles(name, NULL, NULL, KVM_NO_FILES,
					errbuf));
	if (!kd)
		fail_msg("a name of PATH_MAX - 1 refused: %s", errbuf);
	close_handle(kd);
	free(name);
}

/* ------------------------------------------------------------ errors */

static void
test_geterr_null(void **state)
{
	(void)state;
	const char *s = kvm_geterr(NULL);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(kvm_geterrcode(NULL), KVM_EINVAL);
}

static void
test_close(void **state)
{
	(void)state;
	errno = 0;
	assert_int_equal(kvm_close(NULL), -1);
	assert_int_equal(errno, EINVAL);

	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	close_handle(kd);
	/* A handle with an error recorded closes as well. */
	kd = open_dump(fx.dump, O_RDONLY);
	set_other_error(kd);
	close_handle(kd);
}

/* A new handle has no error recorded: kvm_geterr gives "". */
static void
test_fresh_handle_no_error(void **state)
{
	(void)state;
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	assert_string_equal(kvm_geterr(kd), "");
	assert_int_equal(kvm_geterrcode(kd), KVM_EOK);
	close_handle(kd);
}

/* A successful call leaves the previous error text alone. */
static void
test_error_text_sticky(void **state)
{
	char saved[KVM_ERRBUF_SIZE], buf[64];
	struct kvm_info info;
	kpaddr_t pa;

	(void)state;
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	assert_int_equal(kvm_read(kd, KVA_UNMAPPED, buf, 8), -1);
	snprintf(saved, sizeof(saved), "%s", kvm_geterr(kd));
	assert_true(saved[0] != '\0');
	int code = kvm_geterrcode(kd);

	assert_int_equal(kvm_read(kd, KVA, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(kvm_read2(kd, KVA, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(kvm_read(kd, KVA, buf, 0), 0);
	assert_int_equal(kvm_read_phys(kd, PAGE_PA(PG_DATA0), buf, 8), 8);
	assert_int_equal(kvm_kvatop(kd, KVA, &pa, NULL), 0);
	assert_int_equal(kvm_get_info(kd, &info, sizeof(info)), 0);
	assert_non_null(kvm_get_vmcoreinfo(kd));
	assert_int_equal(kvm_kerndisp(kd), 0);

	assert_string_equal(kvm_geterr(kd), saved);
	assert_int_equal(kvm_geterrcode(kd), code);
	close_handle(kd);
}

/* ------------------------------------------------------ reads, writes */

static void
test_read(void **state)
{
	uint8_t buf[2 * PG];

	(void)state;
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kvm_read(kd, KVA, buf, sizeof(DATA_STRING)),
			 sizeof(DATA_STRING));
	assert_string_equal((char *)buf, DATA_STRING);

	/* Across the page boundary: two data pages, one after the other. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kvm_read2(kd, KVA, buf, sizeof(buf)), sizeof(buf));
	assert_memory_equal(buf, fx.mem + PG_DATA0 * PG, 2 * PG);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kvm_read(kd, KVA + PG - 5, buf, 10), 10);
	assert_memory_equal(buf, fx.mem + PG_DATA0 * PG + PG - 5, 10);

	/* Physical reads see the same bytes. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kvm_read_phys(kd, PAGE_PA(PG_DATA1), buf, PG), PG);
	assert_memory_equal(buf, fx.mem + PG_DATA1 * PG, PG);
	close_handle(kd);
}

/* A read that runs into a hole is short, and says why. */
static void
test_read_short(void **state)
{
	uint8_t buf[64];

	(void)state;
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	assert_int_equal(kvm_read(kd, KVA_DATA1 + PG - 16, buf, 32), 16);
	assert_memory_equal(buf, fx.mem + PG_DATA1 * PG + PG - 16, 16);
	assert_int_equal(kvm_geterrcode(kd), KVM_EFAULT);
	assert_contains(kvm_geterr(kd), "0xffffffff81002000");

	/* Nothing readable at all: -1. */
	assert_int_equal(kvm_read(kd, KVA_UNMAPPED, buf, 32), -1);
	assert_int_equal(kvm_read(kd, KVA_NODATA, buf, 32), -1);
	assert_int_equal(kvm_read_phys(kd, NODATA_PA, buf, 32), -1);
	assert_contains(kvm_geterr(kd), "not in the dump");
	close_handle(kd);
}

/*
 * A dump cut in the middle of page 5: kvm_read returns the bytes up to
 * the end of the file, and kvm_geterr says the dump is truncated.
 */
static void
test_read_truncated(void **state)
{
	uint8_t buf[PG];

	(void)state;
	kvm_t *kd = open_dump(fx.trunc, O_RDONLY);
	assert_int_equal(kvm_read(kd, KVA, buf, 64), 64);
	assert_memory_equal(buf, fx.mem + PG_DATA0 * PG, 64);

	ssize_t n = kvm_read(kd, KVA_DATA1, buf, PG);
	assert_true(n != PG);
	assert_int_equal(kvm_geterrcode(kd), KVM_ETRUNC);
	/* DESIGN §1a: "short ... at the end of a truncated dump". */
	assert_int_equal(n, PG / 2);
	assert_memory_equal(buf, fx.mem + PG_DATA1 * PG, PG / 2);
	close_handle(kd);
}

static void
test_read_len0(void **state)
{
	char buf[1] = { 'x' };

	(void)state;
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	assert_int_equal(kvm_read(kd, KVA, buf, 0), 0);
	assert_int_equal(kvm_read(kd, KVA_UNMAPPED, buf, 0), 0);
	assert_int_equal(kvm_read2(kd, KVA_NONCANON, buf, 0), 0);
	assert_int_equal(kvm_read_phys(kd, NODATA_PA, buf, 0), 0);
	assert_int_equal(buf[0], 'x');
	assert_string_equal(kvm_geterr(kd), "");
	close_handle(kd);
}

static void
test_write_rdonly_fails(void **state)
{
	const char data[] = "overwritten";
	char buf[sizeof(data)];

	(void)state;
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	assert_int_equal(kvm_write(kd, KVA, data, 0), -1);
	assert_contains(kvm_geterr(kd), "read-only");
	set_other_error(kd);
	assert_int_equal(kvm_write(kd, KVA, data, sizeof(data)), -1);
	assert_contains(kvm_geterr(kd), "read-only");
	set_other_error(kd);
	assert_int_equal(kvm_write2(kd, KVA, data, sizeof(data)), -1);
	assert_contains(kvm_geterr(kd), "read-only");
	assert_int_equal(kvm_read(kd, KVA, buf, sizeof(buf)), sizeof(buf));
	assert_memory_equal(buf, DATA_STRING, sizeof(buf));
	close_handle(kd);
}

static void
check_file_bytes(const char *path, off_t off, const void *want, size_t len)
{
	uint8_t got[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_true(len <= sizeof(got));
	assert_int_equal(pread(fd, got, len, off), len);
	close(fd);
	assert_memory_equal(got, want, len);
}

static void
test_write_rdwr(void **state)
{
	const char data[] = "written by kvm_write";
	const char data2[] = "and by O_WRONLY";
	struct dump_spec plain = { 0, 0 };
	const char *path = fx.rw;
	char buf[64];
	const uint64_t where = KVA_DATA1 + 0x100;
	const off_t file_off = LOAD_OFF + PG_DATA1 * PG + 0x100;

	(void)state;
	assert_int_equal(write_dump(path, &plain), 0);

	kvm_t *kd = open_dump(path, O_RDWR);
	assert_int_equal(kvm_write(kd, KVA, data, 0), 0);
	assert_int_equal(kvm_write(kd, where, data, sizeof(data)),
			 sizeof(data));
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kvm_read(kd, where, buf, sizeof(data)), sizeof(data));
	assert_string_equal(buf, data);
	/* Up to the unmapped page: short, with the reason. */
	assert_int_equal(kvm_write2(kd, KVA_DATA1 + PG - 4, "12345678", 8), 4);
	assert_int_equal(kvm_geterrcode(kd), KVM_EFAULT);
	assert_int_equal(kvm_write(kd, KVA_UNMAPPED, data, 4), -1);
	close_handle(kd);

	/* The bytes are in the file, where page 5 lies. */
	check_file_bytes(path, file_off, data, sizeof(data));
	check_file_bytes(path, LOAD_OFF + PG_DATA1 * PG + PG - 4, "1234", 4);

	/* A fresh handle sees them. */
	kd = open_dump(path, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kvm_read(kd, where, buf, sizeof(data)), sizeof(data));
	assert_string_equal(buf, data);
	close_handle(kd);

	/* O_WRONLY writes too. */
	kd = open_dump(path, O_WRONLY);
	assert_int_equal(kvm_write(kd, KVA, data2, sizeof(data2)),
			 sizeof(data2));
	close_handle(kd);
	check_file_bytes(path, LOAD_OFF + PG_DATA0 * PG, data2, sizeof(data2));

	/* The original dump is untouched. */
	check_file_bytes(fx.dump, file_off, fx.mem + PG_DATA1 * PG + 0x100,
			 sizeof(data));
	unlink(path);
}

/* ------------------------------------------------------- bad cores */

static void
check_bad_core(const char *core, const char *needle, int err)
{
	char errbuf[KVM_ERRBUF_SIZE] = "";

	errno = 0;
	assert_null(kvm_openfiles(NULL, core, NULL, O_RDONLY, errbuf));
	int saved = errno;
	assert_contains(errbuf, core);
	assert_contains(errbuf, needle);
	assert_int_equal(count_lines(errbuf), 0);
	if (saved != err)
		fail_msg("%s: errno %d (%s), want %d (%s)", core, saved,
			 strerror(saved), err, strerror(err));
}

static void
test_bad_core_text(void **state)
{
	(void)state;
	check_bad_core(fx.text, "not a kernel dump", ENOEXEC);
	/* The message names the first 16 bytes it saw ("This is a text f"). */
	char errbuf[KVM_ERRBUF_SIZE] = "";
	assert_null(kvm_openfiles(NULL, fx.text, NULL, O_RDONLY, errbuf));
	assert_contains(errbuf,
			"(first bytes: 54 68 69 73 20 69 73 20 61 20 74 65 78 "
			"74 20 66)");
}

static void
test_bad_core_bin_sh(void **state)
{
	(void)state;
	if (access("/bin/sh", R_OK) != 0)
		skip();
	check_bad_core("/bin/sh", "not a core dump", ENOEXEC);
}

static void
test_bad_core_dev_zero(void **state)
{
	(void)state;
	check_bad_core("/dev/zero", "not a kernel dump", ENOEXEC);
}

static void
test_bad_core_empty(void **state)
{
	(void)state;
	check_bad_core(fx.empty, "empty", ENOEXEC);
}

static void
test_bad_core_directory(void **state)
{
	(void)state;
	check_bad_core(fx.subdir, "directory", EISDIR);
}

static void
test_bad_core_missing(void **state)
{
	(void)state;
	check_bad_core(fx.missing, strerror(ENOENT), ENOENT);
}

/* ------------------------------------ what a target cannot answer */

static ssize_t
write_nothing(void *cookie, const void *buf, size_t len)
{
	(void)cookie, (void)buf;
	return len;
}

static void
test_unsupported(void **state)
{
	struct nlist nl[] = { { .n_name = "init_task" }, { .n_name = NULL } };
	struct kvm_nlist nl2[] = { { .n_name = "init_task" },
				   { .n_name = NULL } };
	struct kinfo_proc kp;
	struct kinfo_proc2 kp2;
	double la[3];
	int cnt;

	(void)state;
	memset(&kp, 0, sizeof(kp));
	memset(&kp2, 0, sizeof(kp2));
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	/*
	 * kvm_nlist works, but this dump has no kallsyms tables: a name
	 * only the kernel's tables hold is missing (count 1, n_type
	 * N_UNDF) and the message says why; VMCOREINFO's SYMBOL()s resolve.
	 */
	assert_int_equal(kvm_nlist(kd, nl), 1);
	assert_int_equal(nl[0].n_type, KVM_N_UNDF);
	assert_int_equal(kvm_geterrcode(kd), KVM_ENOENT);
	assert_contains(kvm_geterr(kd), "init_task");
	assert_contains(kvm_geterr(kd), "kallsyms");
	nl2[0].n_name = "_init_top_pgt"; /* BSD's leading '_' is dropped */
	assert_int_equal(kvm_nlist2(kd, nl2), 0);
	assert_int_not_equal(nl2[0].n_type, KVM_N_UNDF);
	assert_true(nl2[0].n_value >= 0xffffffff80000000ULL);
	/*
	 * This dump has neither BTF nor kallsyms: the process calls fail
	 * saying what the process list needs, the load average that
	 * avenrun is missing.
	 */
#define assert_missing(kd, call, name)                                        \
	do {                                                                  \
		set_other_error(kd);                                          \
		call;                                                         \
		assert_contains(kvm_geterr(kd), name);                        \
		assert_int_not_equal(kvm_geterrcode(kd), KVM_EOK);            \
	} while (0)
	cnt = 12;
	assert_missing(kd,
		       assert_null(kvm_getprocs(kd, KERN_PROC_ALL, 0, &cnt)),
		       "process list");
	assert_int_equal(cnt, 0);
	assert_missing(kd,
		       assert_null(kvm_getproc2(kd, KERN_PROC_PID, 1,
						sizeof(kp2), &cnt)),
		       "process list");
	assert_missing(kd, assert_null(kvm_getargv(kd, &kp, 0)), "process list");
	assert_missing(kd, assert_null(kvm_getenvv(kd, &kp, 0)), "process list");
	assert_missing(kd, assert_null(kvm_getargv2(kd, &kp2, 0)), "process list");
	assert_missing(kd, assert_null(kvm_getenvv2(kd, &kp2, 0)), "process list");
	assert_missing(kd, assert_int_equal(kvm_getloadavg(kd, la, 3), -1),
		       "avenrun");
	/* Bad arguments are the caller's: EINVAL, whatever the target. */
	assert_missing(kd,
		       assert_null(kvm_getproc2(kd, KERN_PROC_ALL, 0, 0, &cnt)),
		       "elemsize");
	assert_missing(kd,
		       assert_null(kvm_getproc2(kd, 42, 0, sizeof(kp2), &cnt)),
		       "op");
	assert_int_equal(kvm_geterrcode(kd), KVM_EINVAL);
	assert_missing(kd, assert_null(kvm_getargv2(kd, &kp2, -1)), "nchr");
	assert_int_equal(kvm_geterrcode(kd), KVM_EINVAL);
	assert_missing(kd, assert_int_equal(kvm_getloadavg(kd, la, -1), -1),
		       "kvm_getloadavg");
	/* kvm_clearerr forgets the recorded error. */
	kvm_clearerr(kd);
	assert_int_equal(kvm_geterrcode(kd), KVM_EOK);
	assert_string_equal(kvm_geterr(kd), "");
	/*
	 * An ELF dump is not a dump device and has no dump header of ours:
	 * each kvm_dump call says so (EINVAL: the caller's mistake).
	 */
	assert_missing(kd, assert_int_equal(kvm_dump_mkheader(kd, 0), -1),
		       "not a dump device");
	assert_int_equal(kvm_geterrcode(kd), KVM_EINVAL);
	FILE *fp = tmpfile();
	assert_non_null(fp);
	assert_missing(kd, assert_int_equal(kvm_dump_wrtheader(kd, fp, 0), -1),
		       "no valid dump header");
	assert_int_equal(ftell(fp), 0); /* nothing written */
	fclose(fp);
	assert_missing(kd,
		       assert_int_equal(kvm_dump_header(kd, write_nothing,
							NULL, 0),
					-1),
		       "no valid dump header");
	assert_missing(kd, assert_int_equal(kvm_dump_inval(kd), -1),
		       "no dump header");
	assert_missing(kd, assert_int_equal(kvm_dump_write(kd, "-", NULL, NULL),
					    -1),
		       "kvm_dump_write");
	assert_int_equal(kvm_geterrcode(kd), KVM_EINVAL);
	close_handle(kd);
}

/* kvm_dump_* refuse the live kernel. */
static void
test_dump_refuses_live(void **state)
{
	char errbuf[KVM_ERRBUF_SIZE] = "";

	(void)state;
	kvm_t *kd = track(kvm_openfiles(NULL, NULL, NULL, KVM_NO_FILES,
					errbuf));
	assert_non_null(kd);
	assert_int_equal(kvm_dump_mkheader(kd, 0), -1);
	assert_contains(kvm_geterr(kd), "live kernel");
	assert_contains(kvm_geterr(kd), "kvm_dump_mkheader");
	FILE *fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(kvm_dump_wrtheader(kd, fp, 0), -1);
	assert_contains(kvm_geterr(kd), "kvm_dump_wrtheader");
	assert_contains(kvm_geterr(kd), "live kernel");
	fclose(fp);
	assert_int_equal(kvm_dump_header(kd, write_nothing, NULL, 0), -1);
	assert_contains(kvm_geterr(kd), "kvm_dump_header");
	assert_contains(kvm_geterr(kd), "live kernel");
	assert_int_equal(kvm_dump_inval(kd), -1);
	assert_contains(kvm_geterr(kd), "kvm_dump_inval");
	assert_contains(kvm_geterr(kd), "live kernel");
	close_handle(kd);
}

/* ------------------------------------------------ target description */

static void
test_kerndisp(void **state)
{
	uint8_t buf[16];

	(void)state;
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	assert_int_equal(kvm_kerndisp(kd), 0);
	assert_string_equal(kvm_geterr(kd), "");
	close_handle(kd);

	kd = open_dump(fx.kaslr, O_RDONLY);
	assert_int_equal(kvm_kerndisp(kd), (kssize_t)KASLR_OFFSET);
	/* The root comes from init_top_pgt as given: reads still work. */
	assert_int_equal(kvm_read(kd, KVA, buf, sizeof(buf)), sizeof(buf));
	assert_memory_equal(buf, DATA_STRING, sizeof(buf));
	close_handle(kd);
}

static void
test_native(void **state)
{
	(void)state;
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
#if defined(__x86_64__)
	assert_int_equal(kvm_native(kd), 1);
#else
	assert_int_equal(kvm_native(kd), 0);
#endif
	close_handle(kd);
}

static void
test_get_info(void **state)
{
	struct kvm_info info;

	(void)state;
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(kvm_get_info(kd, &info, sizeof(info)), 0);
	assert_string_equal(info.format, "elf");
	assert_string_equal(info.arch, "x86_64");
	assert_string_equal(info.release, OSRELEASE);
	assert_int_equal(info.page_size, PG);
	assert_int_equal(info.kaslr_known, 1);
	assert_int_equal(info.kaslr_offset, 0);
	assert_int_equal(info.vmcoreinfo, 1);
	assert_int_equal(info.pgtable_levels, 4);
	assert_int_equal(info.big_endian, 0);
	assert_int_equal(info.ptr_size, 8);
	assert_int_equal(info.live, 0);
	assert_int_equal(info.ncpus, 0);
	assert_int_equal(info.pgtable_root, PAGE_PA(PG_PGD));
	assert_int_equal(info.nranges, 1);
	assert_int_equal(info.crash_time, CRASHTIME);

	/* An older caller's shorter struct: nothing written past it. */
	const size_t shortsz = offsetof(struct kvm_info, release);
	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(kvm_get_info(kd, &info, shortsz), 0);
	assert_string_equal(info.format, "elf");
	assert_string_equal(info.arch, "x86_64");
	const uint8_t *p = (const uint8_t *)&info;
	for (size_t i = shortsz; i < sizeof(info); i++)
		assert_int_equal(p[i], 0xa5);
	close_handle(kd);
}

static void
test_phys_ranges_vmcoreinfo_kvatop(void **state)
{
	const struct kvm_phys_range *r = NULL;
	size_t n = 0;
	kpaddr_t pa = 0;
	uint64_t len = 0;

	(void)state;
	kvm_t *kd = open_dump(fx.dump, O_RDONLY);
	assert_int_equal(kvm_get_phys_ranges(kd, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].start, DUMP_PHYS);
	assert_int_equal(r[0].end, DUMP_PHYS + DUMP_NPAGES * PG);

	const char *v = kvm_get_vmcoreinfo(kd);
	assert_non_null(v);
	assert_contains(v, "OSRELEASE=" OSRELEASE "\n");
	assert_contains(v, "SYMBOL(init_top_pgt)=ffffffff80040000\n");

	assert_int_equal(kvm_kvatop(kd, KVA + 0x10, &pa, &len), 0);
	assert_int_equal(pa, PAGE_PA(PG_DATA0) + 0x10);
	assert_int_equal(len, PG - 0x10);
	assert_int_equal(kvm_kvatop(kd, KVA_NODATA, &pa, NULL), 0);
	assert_int_equal(pa, NODATA_PA);
	assert_int_equal(kvm_kvatop(kd, KVA_UNMAPPED, &pa, &len), -1);
	assert_int_equal(kvm_geterrcode(kd), KVM_EFAULT);
	close_handle(kd);
}

/* Each test closes, on failure too, the handles it left open. */
#define TEST(f) cmocka_unit_test_teardown(f, close_leftovers)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_sun_open_prints_one_line),
		TEST(test_sun_open_errstr_null_silent),
		TEST(test_sun_soft_errors_not_printed),
		TEST(test_sun_hard_error_printed_once),
		TEST(test_bsd_never_prints),
		TEST(test_bsd_handle_never_prints),
		TEST(test_bsd_errbuf_null),
		TEST(test_bsd_errno),
		TEST(test_bsd_errbuf_bounded),
		TEST(test_bad_flags),
		TEST(test_no_files),
		TEST(test_exec_name_too_long),
		TEST(test_geterr_null),
		TEST(test_close),
		TEST(test_fresh_handle_no_error),
		TEST(test_error_text_sticky),
		TEST(test_read),
		TEST(test_read_short),
		TEST(test_read_truncated),
		TEST(test_read_len0),
		TEST(test_write_rdonly_fails),
		TEST(test_write_rdwr),
		TEST(test_bad_core_text),
		TEST(test_bad_core_bin_sh),
		TEST(test_bad_core_dev_zero),
		TEST(test_bad_core_empty),
		TEST(test_bad_core_directory),
		TEST(test_bad_core_missing),
		TEST(test_unsupported),
		TEST(test_dump_refuses_live),
		TEST(test_kerndisp),
		TEST(test_native),
		TEST(test_get_info),
		TEST(test_phys_ranges_vmcoreinfo_kvatop),
	};

	return cmocka_run_group_tests_name("kvm(3) contract", tests,
					   group_setup, group_teardown);
}
