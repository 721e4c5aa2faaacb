// SPDX-License-Identifier: BSD-2-Clause
/*
 * Swapped-out user pages: the seeds' swap file argument on Linux.
 *
 * A user PTE that maps nothing may hold a swap entry (area, slot); the
 * arch plug-in decodes it.  The page is then, in this order:
 *   1. in the swap cache, still in memory (swap_map[slot] has
 *      SWAP_HAS_CACHE): found in the area's address space
 *      (swapper_spaces[area][slot >> SWAP_ADDRESS_SPACE_SHIFT], an
 *      XArray indexed by slot) and read from the dump;
 *   2. in zswap or on zram, compressed in memory: refused, said so;
 *   3. on the area's disk: slot N at byte N * PAGE_SIZE of the file or
 *      device that was given for that area.
 *
 * The areas given (kvm_openfiles' swapfile, a ':'-separated list; on the
 * running kernel /proc/swaps when none is given) are matched to the
 * dump's swap_info[] entries by what both know of the area: the size the
 * swap header gives (last_page, bad pages) against si->max and si->pages,
 * and the header itself (UUID, label) against the copy of the area's
 * first page that swapon left in the page cache, where the dump has it.
 * Order never decides.  A slot is read only when the dump's swap map says
 * it is in use.  Everything read from the dump or the files is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/fs.h> /* BLKGETSIZE64 */
#endif

#include "../kvmdump_disk.h"
#include "proc.h"
#include "swap.h"

/* include/linux/swap.h: MAX_SWAPFILES_SHIFT (5 since 2.6.18). */
#define MAX_AREAS 32
/* swap_info_struct.flags: SWP_USED, 1 since 2.6. */
#define SWP_USED 1ULL
/* swap_map[] counts: SWAP_HAS_CACHE, SWAP_MAP_BAD (include/linux/swap.h). */
#define SWAP_HAS_CACHE 0x40
#define SWAP_MAP_BAD 0x3f
/* mm/swap.h (4.11+): one address_space per 2^14 slots (64 MiB of 4K). */
#define SWAP_ADDRESS_SPACE_SHIFT 14
/* union swap_header (include/linux/swap.h): info after 1024 boot bytes. */
#define HDR_INFO 1024
#define HDR_VERSION (HDR_INFO + 0)
#define HDR_LAST_PAGE (HDR_INFO + 4)
#define HDR_NR_BAD (HDR_INFO + 8)
#define HDR_UUID (HDR_INFO + 12)
#define HDR_LABEL (HDR_INFO + 28)
#define HDR_INFO_END (HDR_INFO + 44)
/* XArray (include/linux/xarray.h): 64 slots a node (XA_CHUNK_SHIFT 6). */
#define XA_CHUNK_SHIFT 6
#define XA_CHUNK_SIZE 64
#define XA_MAX_DEPTH 12
/* d_path(): components followed, and the longest path made. */
#define PATH_DEPTH 64
#define AREA_NAME_MAX 256

struct swap_file {
	char *path;
	int fd;
	uint64_t size;
	uint32_t page_size;
	uint32_t last_page, nr_bad;
	uint8_t info[HDR_INFO_END - HDR_INFO]; /* version..label, as on disk */
	char uuid[37], label[17];
	int area;	   /* matched area, or -1 */
	const char *holds; /* why its slots cannot be read, or NULL */
};

struct swap_area {
	uint64_t si; /* struct swap_info_struct * */
	uint32_t max, pages;
	uint64_t swap_map; /* unsigned char [max] */
	uint64_t mapping;  /* the area file's f_mapping */
	char name[AREA_NAME_MAX];
	int file;      /* the given file that is this area, or -1 */
	char why[320]; /* why no file is, when file < 0 */
};

struct kvm_swap {
	struct swap_file *files;
	size_t nfiles;
	bool from_proc; /* the files came from /proc/swaps */
	int state;	/* 0 not loaded, 1 loaded, -code failed */
	char note[_POSIX2_LINE_MAX];
	unsigned nareas; /* nr_swapfiles */
	struct swap_area areas[MAX_AREAS];
	/* Layout, from BTF. */
	uint64_t o_space_pages; /* address_space.i_pages.xa_head */
	uint64_t space_size;	/* sizeof(struct address_space) */
	uint64_t swapper_spaces;
	bool no_swapper_spaces; /* not found: a 6.18+ swap cache */
	int layout_state;	/* cache_layout(): 0 not tried, 1, -code */
	char layout_note[_POSIX2_LINE_MAX];
	uint64_t vmemmap, page_size_struct;
	uint64_t o_page_flags, o_page_private, o_page_mapcount;
	int pg_head;
	uint64_t o_xa_shift, o_xa_slots;
};

/* ------------------------------------------------------------ files */

static void
hex_uuid(const uint8_t *u, char out[37])
{
	static const char hexd[] = "0123456789abcdef";
	size_t k = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hexd[u[i] >> 4];
		out[k++] = hexd[u[i] & 15];
	}
	out[k] = 0;
}

/* The header of a swap area: page size from where its magic sits. */
static int
file_header(kvm_t *kd, struct swap_file *f)
{
	uint8_t *b = malloc(65536);
	if (!b)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	ssize_t n = pread(f->fd, b, 65536, 0);
	if (n < 0) {
		free(b);
		return kvm_error_sys(kd, "swap area %s", f->path);
	}
	int magic = 0;
	f->page_size = kvm_swap_page_size(b, (size_t)n, &magic);
	if (magic != 2) {
		free(b);
		return kvm_error(kd, KVM_EFORMAT,
				 "swap area %s: not a Linux swap area (%s)",
				 f->path,
				 magic ? "the SWAP-SPACE of version 0, which "
					 "Linux has not used since 2.5"
				       : "no SWAPSPACE2 signature at the end "
					 "of its first page");
	}
	uint32_t v[3];
	memcpy(v, b + HDR_VERSION, sizeof(v));
	/* The header is in the byte order of the machine that made it. */
	bool swab = kd->big_endian != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	for (int i = 0; i < 3; i++)
		if (swab)
			v[i] = __builtin_bswap32(v[i]);
	f->last_page = v[1];
	f->nr_bad = v[2];
	memcpy(f->info, b + HDR_INFO, sizeof(f->info));
	hex_uuid(b + HDR_UUID, f->uuid);
	memcpy(f->label, b + HDR_LABEL, 16);
	f->label[16] = 0;
	/*
	 * Our dumper writes a dump over a swap area, past its header
	 * (KVMDUMP1, or KVMDUMP0 once saved: the pages are gone either way).
	 */
	if (pread(f->fd, b, 8, KVMDUMP_DEVICE_OFFSET) == 8 &&
	    memcmp(b, KVMDUMP_MAGIC, 7) == 0)
		f->holds = "it holds a dump written by kcore dump, which "
			   "overwrote the swapped pages";
	free(b);
	if (v[0] != 1)
		return kvm_error(kd, KVM_EFORMAT,
				 "swap area %s: swap header version %" PRIu32
				 ", not 1",
				 f->path, v[0]);
	return 0;
}

static int
file_open(kvm_t *kd, struct swap_file *f)
{
	struct stat st;

	f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return kvm_error_sys(kd, "swap area %s", f->path);
	if (fstat(f->fd, &st) != 0)
		return kvm_error_sys(kd, "swap area %s", f->path);
	if (S_ISREG(st.st_mode)) {
		f->size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
#ifdef BLKGETSIZE64
		if (ioctl(f->fd, BLKGETSIZE64, &f->size) != 0)
#endif
		{
			off_t end = lseek(f->fd, 0, SEEK_END);
			if (end < 0)
				return kvm_error_sys(kd, "swap area %s",
						     f->path);
			f->size = (uint64_t)end;
		}
	} else {
		return kvm_error(kd, KVM_EINVAL,
				 "swap area %s: neither a file nor a block "
				 "device",
				 f->path);
	}
	return file_header(kd, f);
}

static int
add_file(kvm_t *kd, struct kvm_swap *s, const char *path, size_t len)
{
	if (s->nfiles >= MAX_AREAS)
		return kvm_error(kd, KVM_EINVAL,
				 "more than %d swap areas given", MAX_AREAS);
	if (len == 0 || len >= PATH_MAX)
		return kvm_error(kd, KVM_EINVAL,
				 "swap file name empty or too long");
	struct swap_file *f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->area = -1;
	if (!(f->path = strndup(path, len)))
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	s->nfiles++;
	return file_open(kd, f);
}

static struct kvm_swap *
swap_new(kvm_t *kd)
{
	struct kvm_swap *s = calloc(1, sizeof(*s));

	if (s)
		s->files = calloc(MAX_AREAS, sizeof(*s->files));
	if (!s || !s->files) {
		if (s)
			free(s);
		kvm_error(kd, KVM_ENOMEM, "out of memory");
		return NULL;
	}
	kd->swap = s;
	return s;
}

int
kvm_swap_open(kvm_t *kd, const char *paths)
{
	struct kvm_swap *s = swap_new(kd);
	if (!s)
		return -KVM_ENOMEM;
	for (const char *p = paths; *p;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		int err = add_file(kd, s, p, len);
		if (err)
			return err;
		p += len;
		if (*p == ':')
			p++;
	}
	return 0;
}

void
kvm_swap_fini(kvm_t *kd)
{
	struct kvm_swap *s = kd->swap;

	if (!s)
		return;
	for (size_t i = 0; i < s->nfiles; i++) {
		if (s->files[i].fd >= 0)
			close(s->files[i].fd);
		free(s->files[i].path);
	}
	free(s->files);
	free(s);
	kd->swap = NULL;
}

/* /proc/swaps' names, with its octal escapes of space, tab, \n and \\. */
static void
proc_swaps(kvm_t *kd, struct kvm_swap *s)
{
	FILE *fp = fopen("/proc/swaps", "re");
	char line[4096];

	if (!fp)
		return;
	s->from_proc = true;
	if (!fgets(line, sizeof(line), fp)) { /* the heading */
		fclose(fp);
		return;
	}
	while (s->nfiles < MAX_AREAS && fgets(line, sizeof(line), fp)) {
		char name[PATH_MAX];
		size_t k = 0;
		for (const char *c = line;
		     *c && *c != ' ' && *c != '\t' && k + 1 < sizeof(name);
		     c++) {
			if (c[0] == '\\' && c[1] >= '0' && c[1] <= '3' &&
			    c[2] >= '0' && c[2] <= '7' && c[3] >= '0' &&
			    c[3] <= '7') {
				name[k++] = (char)((c[1] - '0') * 64 +
						   (c[2] - '0') * 8 +
						   (c[3] - '0'));
				c += 3;
			} else {
				name[k++] = *c;
			}
		}
		/* A file that cannot be opened is reported when needed. */
		if (k && add_file(kd, s, name, k))
			kvm_error_clear(kd);
	}
	fclose(fp);
}

/* ------------------------------------------------------ dump's areas */

static bool
off(kvm_t *kd, const char *type, const char *member, uint64_t *o)
{
	uint64_t size;

	return kvm_types_offsetof(kd, type, member, o, &size) == 0;
}

/* A pointer-sized (unsigned long) and a 32-bit kernel integer at va. */
static int
read_u64(kvm_t *kd, uint64_t va, uint64_t *v)
{
	return kvm_virt_read_uint(kd, va, (uint32_t)kd->ptr_size, v);
}

static int
read_u32(kvm_t *kd, uint64_t va, uint32_t *v)
{
	uint64_t w;
	int err = kvm_virt_read_uint(kd, va, 4, &w);

	if (!err)
		*v = (uint32_t)w;
	return err;
}

/*
 * The path of a struct path (d_path(), fs/d_path.c): dentry names up to
 * each mount's root, then across to where the mount sits.  Bounded; on a
 * layout or memory it cannot follow, what it has (a last component).
 */
static void
path_name(kvm_t *kd, uint64_t dentry, uint64_t vfsmnt, char *out, size_t outsz)
{
	uint64_t o_name, o_parent, o_mnt, o_mparent, o_mpoint, o_mroot;
	char buf[AREA_NAME_MAX];
	size_t pos = sizeof(buf) - 1;

	buf[pos] = 0;
	out[0] = 0;
	if (!off(kd, "dentry", "d_name.name", &o_name) ||
	    !off(kd, "dentry", "d_parent", &o_parent))
		return;
	bool mounts = vfsmnt && off(kd, "mount", "mnt", &o_mnt) &&
		      off(kd, "mount", "mnt_parent", &o_mparent) &&
		      off(kd, "mount", "mnt_mountpoint", &o_mpoint) &&
		      off(kd, "vfsmount", "mnt_root", &o_mroot);
	uint64_t mnt = mounts ? vfsmnt - o_mnt : 0, mroot = 0;
	if (mounts && read_u64(kd, vfsmnt + o_mroot, &mroot))
		mounts = false;
	for (int depth = 0; depth < PATH_DEPTH && dentry; depth++) {
		uint64_t parent, name = 0;
		if (read_u64(kd, dentry + o_parent, &parent))
			break;
		if (mounts && dentry == mroot) {
			uint64_t mparent;
			if (read_u64(kd, mnt + o_mparent, &mparent) ||
			    mparent == mnt ||
			    read_u64(kd, mnt + o_mpoint, &dentry))
				break;
			mnt = mparent;
			if (read_u64(kd, mnt + o_mnt + o_mroot, &mroot))
				break;
			continue;
		}
		if (parent == dentry) /* a root */
			break;
		char comp[AREA_NAME_MAX];
		size_t done = 0;
		/* A name may end near unmapped memory: what reads counts. */
		if (read_u64(kd, dentry + o_name, &name) || !name)
			break;
		kvm_virt_read(kd, name, comp, sizeof(comp) - 1, &done);
		if (done == 0)
			break;
		comp[done] = 0;
		size_t n = strnlen(comp, done);
		if (n + 1 > pos)
			break;
		pos -= n;
		memcpy(buf + pos, comp, n);
		buf[--pos] = '/';
		dentry = parent;
	}
	snprintf(out, outsz, "%s", buf + pos);
	/* Control bytes from the dump are no part of a message. */
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

static int
areas_load(kvm_t *kd, struct kvm_swap *s)
{
	uint64_t swap_info, nr_va, o_flags, o_max, o_pages, o_map, o_file;
	uint64_t o_fdentry, o_fmnt, o_fmapping;
	uint32_t nr;

	if (kvm_sym_lookup(kd, "swap_info", &swap_info) ||
	    kvm_sym_lookup(kd, "nr_swapfiles", &nr_va))
		return kvm_error_ctx(kd, "swap areas");
	if (read_u32(kd, nr_va, &nr))
		return kvm_error_ctx(kd, "swap areas: nr_swapfiles");
	if (nr > MAX_AREAS)
		return kvm_error(kd, KVM_ECORRUPT,
				 "swap areas: nr_swapfiles is %" PRIu32
				 ", above the kernel's limit of %d",
				 nr, MAX_AREAS);
	if (!off(kd, "swap_info_struct", "flags", &o_flags) ||
	    !off(kd, "swap_info_struct", "max", &o_max) ||
	    !off(kd, "swap_info_struct", "pages", &o_pages) ||
	    !off(kd, "swap_info_struct", "swap_map", &o_map) ||
	    !off(kd, "swap_info_struct", "swap_file", &o_file))
		return kvm_error_ctx(kd, "swap areas: struct swap_info_struct");
	bool have_path = off(kd, "file", "f_path.dentry", &o_fdentry) &&
			 off(kd, "file", "f_path.mnt", &o_fmnt);
	bool have_mapping = off(kd, "file", "f_mapping", &o_fmapping);
	s->nareas = nr;
	for (unsigned i = 0; i < nr; i++) {
		struct swap_area *a = &s->areas[i];
		uint64_t flags, file = 0;
		a->file = -1;
		if (read_u64(kd, swap_info + i * (uint64_t)kd->ptr_size,
			     &a->si) ||
		    !a->si)
			continue;
		if (read_u64(kd, a->si + o_flags, &flags) ||
		    !(flags & SWP_USED) ||
		    read_u32(kd, a->si + o_max, &a->max) ||
		    read_u32(kd, a->si + o_pages, &a->pages) ||
		    read_u64(kd, a->si + o_map, &a->swap_map) ||
		    read_u64(kd, a->si + o_file, &file)) {
			a->si = 0; /* not in use, or not readable */
			continue;
		}
		uint64_t dentry = 0, mnt = 0;
		if (file && have_path &&
		    !read_u64(kd, file + o_fdentry, &dentry) &&
		    !read_u64(kd, file + o_fmnt, &mnt))
			path_name(kd, dentry, mnt, a->name, sizeof(a->name));
		if (file && have_mapping &&
		    read_u64(kd, file + o_fmapping, &a->mapping))
			a->mapping = 0;
		if (!a->name[0])
			snprintf(a->name, sizeof(a->name), "unnamed");
	}
	kvm_error_clear(kd);
	return 0;
}

/* -------------------------------------------------- memory: page cache */

static int
cache_layout_load(kvm_t *kd, struct kvm_swap *s)
{
	uint64_t vm;

	if (!off(kd, "address_space", "i_pages.xa_head", &s->o_space_pages) ||
	    kvm_types_sizeof(kd, "address_space", &s->space_size) ||
	    !off(kd, "xa_node", "shift", &s->o_xa_shift) ||
	    !off(kd, "xa_node", "slots", &s->o_xa_slots) ||
	    !off(kd, "page", "flags", &s->o_page_flags) ||
	    !off(kd, "page", "private", &s->o_page_private) ||
	    !off(kd, "page", "_mapcount", &s->o_page_mapcount) ||
	    kvm_types_sizeof(kd, "page", &s->page_size_struct))
		return kvm_error_ctx(kd, "the page cache's layout");
	int64_t head;
	if (kvm_types_enum(kd, "pageflags", "PG_head", &head) || head < 0 ||
	    head > 63)
		return kvm_error_ctx(kd, "the page cache's layout: PG_head");
	s->pg_head = (int)head;
	/*
	 * Where struct pages start (SPARSEMEM_VMEMMAP): x86_64 keeps it in
	 * vmemmap_base (4.x+, moved by KASLR); arm64 has vmemmap =
	 * VMEMMAP_START - (memstart_addr >> PAGE_SHIFT) struct pages
	 * (arch/arm64/include/asm/memory.h), memstart_addr being an s64
	 * that linear-map randomization may make negative: its VMCOREINFO
	 * gives both (NUMBER(VMEMMAP_START), NUMBER(PHYS_OFFSET)).
	 */
	if (!kvm_sym_lookup(kd, "vmemmap_base", &vm) &&
	    !read_u64(kd, vm, &s->vmemmap))
		return 0;
	int64_t start, memstart;
	uint64_t memstart_va, m;
	bool have_memstart =
		kvm_vmcoreinfo_number(&kd->vmci, "PHYS_OFFSET", &memstart);
	if (!have_memstart &&
	    !kvm_sym_lookup(kd, "memstart_addr", &memstart_va) &&
	    !read_u64(kd, memstart_va, &m)) {
		memstart = (int64_t)m;
		have_memstart = true;
	}
	if (kvm_vmcoreinfo_number(&kd->vmci, "VMEMMAP_START", &start) &&
	    have_memstart && kd->page_size) {
		/* The kernel's >> on an s64: a floor division. */
		int64_t ps = kd->page_size;
		int64_t pfn0 = memstart >= 0 ? memstart / ps
					     : -((-(memstart + 1)) / ps) - 1;
		s->vmemmap = (uint64_t)start -
			     (uint64_t)pfn0 * s->page_size_struct;
		return 0;
	}
	return kvm_error(kd, KVM_ENOTSUP,
			 "where the kernel's struct pages are is not known "
			 "(no vmemmap_base, nor VMEMMAP_START and "
			 "memstart_addr)");
}

/* The page cache's layout, found once (a failure too). */
static int
cache_layout(kvm_t *kd, struct kvm_swap *s)
{
	if (s->layout_state > 0)
		return 0;
	if (s->layout_state < 0)
		return kvm_error(kd, -s->layout_state, "%s", s->layout_note);
	int err = cache_layout_load(kd, s);
	s->layout_state = err ? err : 1;
	if (err)
		snprintf(s->layout_note, sizeof(s->layout_note), "%s",
			 kd->errbuf);
	return err;
}

/*
 * The entry at index of the XArray whose xa_head is at head_va
 * (lib/xarray.c xas_load()): a pointer, or 0 when there is none or only
 * a value (a shadow of an evicted page).  Bounded by XA_MAX_DEPTH and
 * checked at every level: each node's shift is its parent's minus 6.
 */
static int
xa_load(kvm_t *kd, struct kvm_swap *s, uint64_t head_va, uint64_t index,
	uint64_t *entry_ret)
{
	uint64_t e;
	int expect = -1;

	*entry_ret = 0;
	if (read_u64(kd, head_va, &e))
		return kvm_error_ctx(kd, "page cache");
	for (int depth = 0; depth < XA_MAX_DEPTH; depth++) {
		bool internal = (e & 3) == 2;
		if (!internal || e <= 4096) {
			/* A leaf: only index 0 sits at the head itself. */
			if (depth == 0 && index != 0)
				return 0;
			if (e & 1 || internal) /* value, or retry/zero */
				return 0;
			*entry_ret = e;
			return 0;
		}
		uint64_t node = e - 2;
		uint8_t shift;
		size_t done;
		if (kvm_virt_read(kd, node + s->o_xa_shift, &shift, 1, &done))
			return kvm_error_ctx(kd, "page cache node");
		if (shift > 60 || shift % XA_CHUNK_SHIFT ||
		    (expect >= 0 && shift != expect))
			return kvm_error(kd, KVM_ECORRUPT,
					 "page cache: node 0x%" PRIx64
					 " has shift %u",
					 node, shift);
		if (depth == 0 &&
		    (index >> shift) >= XA_CHUNK_SIZE) /* past the tree */
			return 0;
		unsigned slot = (index >> shift) & (XA_CHUNK_SIZE - 1);
		if (read_u64(kd, node + s->o_xa_slots + slot * 8ULL, &e))
			return kvm_error_ctx(kd, "page cache node");
		/* A sibling: the entry is in an earlier slot of this node. */
		if ((e & 3) == 2 && (e >> 2) < XA_CHUNK_SIZE - 1) {
			slot = (unsigned)(e >> 2);
			if (read_u64(kd, node + s->o_xa_slots + slot * 8ULL,
				     &e))
				return kvm_error_ctx(kd, "page cache node");
		}
		if (shift == 0) {
			if ((e & 3) == 2 || (e & 1))
				return 0;
			*entry_ret = e;
			return 0;
		}
		expect = shift - XA_CHUNK_SHIFT;
	}
	return kvm_error(kd, KVM_ECORRUPT, "page cache: deeper than %d levels",
			 XA_MAX_DEPTH);
}

/* The physical address of the page whose struct page is at page. */
static int
page_phys(kvm_t *kd, struct kvm_swap *s, uint64_t page, uint64_t *pa_ret)
{
	uint64_t d = page - s->vmemmap;

	if (page < s->vmemmap || d % s->page_size_struct)
		return kvm_error(kd, KVM_ECORRUPT,
				 "page cache: 0x%" PRIx64 " is not a struct "
				 "page",
				 page);
	uint64_t pfn = d / s->page_size_struct;
	if (pfn > (UINT64_MAX >> 1) / kd->page_size)
		return kvm_error(kd, KVM_ECORRUPT,
				 "page cache: 0x%" PRIx64 " is not a struct "
				 "page",
				 page);
	*pa_ret = pfn * kd->page_size;
	return 0;
}

/*
 * The page at index of an address space as it is in memory: pa of the
 * page, or 0 when the cache has none.  A large folio is stored at each
 * index it covers; its head's private (or folio->swap, 6.6+, the same
 * word) gives its first index, for swap cache folios.
 */
static int
cache_page(kvm_t *kd, struct kvm_swap *s, uint64_t space, uint64_t index,
	   bool swapcache, uint64_t *pa_ret, uint64_t *flags_ret,
	   uint64_t *page_ret)
{
	uint64_t folio, flags;
	int err;

	*pa_ret = 0;
	if (flags_ret)
		*flags_ret = 0;
	if ((err = xa_load(kd, s, space + s->o_space_pages, index, &folio)) ||
	    !folio)
		return err;
	if (read_u64(kd, folio + s->o_page_flags, &flags))
		return kvm_error_ctx(kd, "page cache: struct page 0x%" PRIx64,
				     folio);
	uint64_t sub = 0;
	if (flags & (1ULL << s->pg_head)) {
		if (!swapcache)
			return kvm_error(kd, KVM_ENOTSUP,
					 "page cache: a large folio at "
					 "index %" PRIu64,
					 index);
		uint64_t val;
		if (read_u64(kd, folio + s->o_page_private, &val))
			return kvm_error_ctx(kd, "swap cache folio");
		/*
		 * swp_entry_t (include/linux/swapops.h, 4.20+): the type in
		 * the top 5 of the 63 bits an XArray value holds.
		 */
		uint64_t first = val & ((1ULL << 58) - 1);
		if (index < first || index - first >= 512)
			return kvm_error(kd, KVM_ECORRUPT,
					 "swap cache: the folio at slot "
					 "%" PRIu64 " starts at slot %" PRIu64,
					 index, first);
		sub = index - first;
	}
	uint64_t pa = 0;
	if ((err = page_phys(kd, s, folio + sub * s->page_size_struct, &pa)))
		return err;
	*pa_ret = pa;
	if (flags_ret)
		*flags_ret = flags;
	if (page_ret)
		*page_ret = folio + sub * s->page_size_struct;
	return 0;
}

/* The address space of the swap cache that holds slot of area type. */
static int
swap_space(kvm_t *kd, struct kvm_swap *s, unsigned type, uint64_t slot,
	   uint64_t *space_ret)
{
	uint64_t arr;
	int err;

	/* Looked up once: 6.18 keeps the swap cache elsewhere. */
	if (!s->swapper_spaces && !s->no_swapper_spaces &&
	    kvm_sym_lookup(kd, "swapper_spaces", &s->swapper_spaces))
		s->no_swapper_spaces = true;
	if (s->no_swapper_spaces)
		return kvm_error(kd, KVM_ENOTSUP,
				 "no swapper_spaces: this kernel's swap "
				 "cache is not one we read");
	if ((err = cache_layout(kd, s)))
		return err;
	if (read_u64(kd, s->swapper_spaces + type * (uint64_t)kd->ptr_size,
		     &arr) ||
	    !arr)
		return kvm_error(kd, KVM_EFAULT, "swapper_spaces[%u]", type);
	*space_ret = arr + (slot >> SWAP_ADDRESS_SPACE_SHIFT) * s->space_size;
	return 0;
}

/* ----------------------------------------------------------- matching */

static void
fmt_size(uint64_t bytes, char *out, size_t outsz)
{
	if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0)
		snprintf(out, outsz, "%" PRIu64 " GiB",
			 (uint64_t)(bytes >> 30));
	else if (bytes >= (1ULL << 20))
		snprintf(out, outsz, "%" PRIu64 " MiB",
			 (uint64_t)((bytes + (1ULL << 19)) >> 20));
	else
		snprintf(out, outsz, "%" PRIu64 " KiB",
			 (uint64_t)(bytes >> 10));
}

/* What the dump says of a given file as one of its areas. */
enum verdict {
	NOT_AREA,   /* sizes or contents disagree: why says how */
	SIZES_ONLY, /* sizes agree; the dump holds nothing more to check */
	VERIFIED,   /* the header, or swap cache pages, agree too */
};

/* swap_map bytes scanned for swap cache pages, and pages compared. */
#define VERIFY_MAP_SCAN (4u << 20)
#define VERIFY_PAGES 8

/*
 * Compare the clean pages of the area's swap cache (swap_map says
 * SWAP_HAS_CACHE; neither PG_dirty nor PG_writeback: what memory holds
 * is what was written, or what was read back) with the same slots of f.
 * *same and *differ count them; *slot_ret is the first that differed.
 */
static void
verify_content(kvm_t *kd, struct kvm_swap *s, unsigned type,
	       const struct swap_area *a, const struct swap_file *f, int *same,
	       int *differ, uint64_t *slot_ret)
{
	int64_t dirty, wb;
	uint8_t map[4096];
	uint8_t *mem = NULL, *disk = NULL;

	*same = *differ = 0;
	if (kvm_types_enum(kd, "pageflags", "PG_dirty", &dirty) ||
	    kvm_types_enum(kd, "pageflags", "PG_writeback", &wb) || dirty < 0 ||
	    dirty > 63 || wb < 0 || wb > 63)
		goto out;
	mem = malloc(kd->page_size);
	disk = malloc(kd->page_size);
	if (!mem || !disk)
		goto out;
	uint64_t end = KVM_MIN((uint64_t)a->max, VERIFY_MAP_SCAN);
	for (uint64_t base = 0; base < end && *same + *differ < VERIFY_PAGES;
	     base += sizeof(map)) {
		size_t n = (size_t)KVM_MIN(end - base, sizeof(map)), done;
		if (kvm_virt_read(kd, a->swap_map + base, map, n, &done)) {
			kvm_error_clear(kd);
			continue;
		}
		for (size_t i = 0; i < n && *same + *differ < VERIFY_PAGES;
		     i++) {
			uint64_t slot = base + i, space, pa, flags;
			if (!(map[i] & SWAP_HAS_CACHE) || slot == 0 ||
			    (map[i] & ~SWAP_HAS_CACHE) == SWAP_MAP_BAD ||
			    (slot + 1) * kd->page_size > f->size)
				continue;
			uint64_t pa_page;
			if (swap_space(kd, s, type, slot, &space))
				goto out; /* no swap cache to compare with */
			if (cache_page(kd, s, space, slot, true, &pa, &flags,
				       &pa_page) ||
			    !pa) {
				kvm_error_clear(kd);
				continue;
			}
			/*
			 * A mapped page may have been written through a
			 * dirty PTE since it came in; an unmapped one
			 * (readahead, or reclaim under way) is as written.
			 */
			uint32_t mapcount;
			if (flags & (1ULL << dirty | 1ULL << wb |
				     1ULL << s->pg_head) ||
			    read_u32(kd, pa_page + s->o_page_mapcount,
				     &mapcount) ||
			    mapcount != UINT32_MAX) {
				kvm_error_clear(kd);
				continue;
			}
			size_t got;
			if (kvm_phys_read(kd, pa, mem, kd->page_size, &got) ||
			    pread(f->fd, disk, kd->page_size,
				  (off_t)(slot * kd->page_size)) !=
				    (ssize_t)kd->page_size) {
				kvm_error_clear(kd);
				continue;
			}
			if (memcmp(mem, disk, kd->page_size) == 0) {
				(*same)++;
			} else {
				if (!*differ)
					*slot_ret = slot;
				(*differ)++;
			}
		}
	}
out:
	free(mem);
	free(disk);
	kvm_error_clear(kd);
}

/*
 * Is file f area a?  Sizes first (swapon sets si->max to last_page + 1
 * and si->pages to the good pages, fewer for a swap file with holes).
 * Then what the dump holds of the area: the copy of its first page that
 * swapon left in the page cache (UUID and label, byte for byte), else
 * the clean pages of its swap cache against the same slots of f.
 */
static enum verdict
file_is_area(kvm_t *kd, struct kvm_swap *s, unsigned type,
	     const struct swap_area *a, const struct swap_file *f, char *why,
	     size_t whysz)
{
	if (f->page_size != kd->page_size) {
		snprintf(why, whysz,
			 "%s has %" PRIu32 "-byte pages, the "
			 "dump %" PRIu32,
			 f->path, f->page_size, kd->page_size);
		return NOT_AREA;
	}
	if ((uint64_t)f->last_page + 1 != a->max ||
	    (uint64_t)a->pages + f->nr_bad > f->last_page) {
		snprintf(why, whysz,
			 "%s has %" PRIu64 " pages (%" PRIu32
			 " bad), the area %" PRIu32 " (%" PRIu32 " usable)",
			 f->path, (uint64_t)f->last_page + 1, f->nr_bad, a->max,
			 a->pages);
		return NOT_AREA;
	}
	uint64_t pa = 0;
	uint8_t info[sizeof(f->info)];
	size_t got;
	if (a->mapping && !cache_layout(kd, s) &&
	    !cache_page(kd, s, a->mapping, 0, false, &pa, NULL, NULL) && pa &&
	    !kvm_phys_read(kd, pa + HDR_INFO, info, sizeof(info), &got)) {
		if (memcmp(info, f->info, sizeof(info)) == 0)
			return VERIFIED;
		char uuid[37];
		hex_uuid(info + (HDR_UUID - HDR_INFO), uuid);
		snprintf(why, whysz,
			 "%s is the swap area with UUID %s, the "
			 "dump's has UUID %s",
			 f->path, f->uuid, uuid);
		return NOT_AREA;
	}
	kvm_error_clear(kd);
	int same, differ;
	uint64_t slot = 0;
	verify_content(kd, s, type, a, f, &same, &differ, &slot);
	if (differ) {
		snprintf(why, whysz,
			 "slot %" PRIu64 " of %s differs from "
			 "the page the dump's swap cache holds for it (%d of "
			 "%d pages compared differ)",
			 slot, f->path, differ, same + differ);
		return NOT_AREA;
	}
	if (same)
		return VERIFIED;
	uint64_t want = (uint64_t)a->max * kd->page_size;
	char cut[96] = "";
	if (f->size < want)
		snprintf(cut, sizeof(cut),
			 "; and it is cut short: %" PRIu64 " of %" PRIu64
			 " bytes",
			 f->size, want);
	snprintf(why, whysz,
		 "%s has its size, but the dump holds nothing "
		 "to check its contents against (neither the area's header "
		 "nor a page of its swap cache)%s",
		 f->path, cut);
	return SIZES_ONLY;
}

static void
match(kvm_t *kd, struct kvm_swap *s)
{
	for (unsigned i = 0; i < s->nareas; i++) {
		struct swap_area *a = &s->areas[i];
		if (!a->si)
			continue;
		if (!s->nfiles) {
			snprintf(a->why, sizeof(a->why),
				 "which was not given: use -W");
			continue;
		}
		int found = -1, nfound = 0, unsure = 0;
		char why[256] = "";
		for (size_t k = 0; k < s->nfiles; k++) {
			char w[256];
			const struct swap_file *f = &s->files[k];
			if (f->fd < 0)
				continue;
			enum verdict v =
				file_is_area(kd, s, i, a, f, w, sizeof(w));
			/*
			 * The running kernel's own /proc/swaps names its
			 * areas: there the sizes are enough.
			 */
			if (v == SIZES_ONLY && s->from_proc &&
			    strcmp(f->path, a->name) == 0)
				v = VERIFIED;
			if (v == VERIFIED) {
				found = (int)k;
				nfound++;
			} else {
				unsure += v == SIZES_ONLY;
				if (!why[0] || v == SIZES_ONLY)
					snprintf(why, sizeof(why), "%s", w);
			}
		}
		if (nfound == 1 && s->files[found].area < 0) {
			a->file = found;
			s->files[found].area = (int)i;
		} else if (nfound > 1) {
			snprintf(a->why, sizeof(a->why),
				 "which %d of the given files match, and the "
				 "dump does not say which",
				 nfound);
		} else if (nfound == 1) {
			snprintf(a->why, sizeof(a->why),
				 "whose file %s also matches area %d",
				 s->files[found].path, s->files[found].area);
		} else {
			snprintf(a->why, sizeof(a->why),
				 "which none of the given files is known to "
				 "be (%s)%s",
				 why, s->from_proc || unsure ? "" : ": use -W");
		}
	}
}

static int
ensure(kvm_t *kd, struct kvm_swap **s_ret)
{
	struct kvm_swap *s = kd->swap;
	int err;

	if (!s) {
		if (!(s = swap_new(kd)))
			return -KVM_ENOMEM;
		if (kd->live)
			proc_swaps(kd, s);
	}
	*s_ret = s;
	if (s->state > 0)
		return 0;
	if (s->state < 0)
		return kvm_error(kd, -s->state, "%s", s->note);
	if ((err = areas_load(kd, s))) {
		s->state = err;
		snprintf(s->note, sizeof(s->note), "%s", kd->errbuf);
		return err;
	}
	match(kd, s);
	kvm_error_clear(kd);
	s->state = 1;
	return 0;
}

/* ------------------------------------------------------------ reading */

static int
area_error(kvm_t *kd, const struct kvm_swap *s, unsigned type,
	   const struct kvm_swp_entry *e, const char *what)
{
	const struct swap_area *a = &s->areas[type];
	char size[32];

	fmt_size((uint64_t)a->max * kd->page_size, size, sizeof(size));
	return kvm_error(kd, KVM_ENODATA,
			 "page in swap area %u (%s, %s), slot %" PRIu64 ", %s",
			 type, a->name, size, e->offset, what);
}

/*
 * Is slot of area type in zswap's tree (mm/zswap.c)?  Until 6.10 each
 * area has an rb-tree (zswap_trees[type]->rbroot) of zswap_entry keyed by
 * offset (swpentry, a swp_entry_t, since 6.6); since 6.10 ("mm: zswap:
 * replace RB-tree with xarray") zswap_trees[type] is an array of
 * XArrays, one per SWAP_ADDRESS_SPACE_SHIFT slots, indexed by slot.
 * 1 yes, 0 no, -code when the layout is not one of these.
 */
static int
zswap_has(kvm_t *kd, struct kvm_swap *s, unsigned type, uint64_t slot)
{
	uint64_t trees, tree, o_root, o_node, o_key, o_left, o_right;

	if (kvm_sym_lookup(kd, "zswap_trees", &trees) ||
	    read_u64(kd, trees + type * (uint64_t)kd->ptr_size, &tree))
		return kvm_error_ctx(kd, "zswap_trees");
	if (!tree)
		return 0;
	if (off(kd, "zswap_tree", "rbroot", &o_root) &&
	    off(kd, "zswap_entry", "rbnode", &o_node) &&
	    (off(kd, "zswap_entry", "offset", &o_key) ||
	     off(kd, "zswap_entry", "swpentry", &o_key)) &&
	    off(kd, "rb_node", "rb_left", &o_left) &&
	    off(kd, "rb_node", "rb_right", &o_right)) {
		kvm_error_clear(kd);
		uint64_t node;
		if (read_u64(kd, tree + o_root, &node))
			return kvm_error_ctx(kd, "zswap tree");
		/* A balanced tree of 2^32 entries is 64 deep. */
		for (int depth = 0; node && depth < 128; depth++) {
			uint64_t key;
			if (read_u64(kd, node - o_node + o_key, &key))
				return kvm_error_ctx(kd, "zswap entry");
			/* swp_entry_t: the slot in the low 58 bits. */
			key &= (1ULL << 58) - 1;
			if (key == slot)
				return 1;
			if (read_u64(kd, node + (slot < key ? o_left : o_right),
				     &node))
				return kvm_error_ctx(kd, "zswap tree");
		}
		return node ? kvm_error(kd, KVM_ECORRUPT,
					"zswap tree deeper than 128")
			    : 0;
	}
	uint64_t xsize;
	if (!kvm_types_sizeof(kd, "xarray", &xsize) && !cache_layout(kd, s)) {
		uint64_t xa = tree + (slot >> SWAP_ADDRESS_SPACE_SHIFT) * xsize,
			 entry;
		uint64_t o_head;
		if (!off(kd, "xarray", "xa_head", &o_head))
			return kvm_error_ctx(kd, "zswap");
		int err = xa_load(kd, s, xa + o_head, slot, &entry);
		if (err)
			return kvm_error_ctx(kd, "zswap tree");
		return entry != 0;
	}
	return kvm_error_ctx(kd, "zswap's tree");
}

/* zswap: compressed copies in memory, with nothing written to disk. */
static int
zswap_check(kvm_t *kd, struct kvm_swap *s, unsigned type,
	    const struct kvm_swp_entry *e)
{
	uint64_t va;
	uint32_t n;

	if (kvm_sym_lookup(kd, "zswap_stored_pages", &va)) {
		kvm_error_clear(kd);
		return 0; /* no zswap in this kernel */
	}
	/*
	 * atomic_t until 6.12, atomic_long_t since: the low 32 bits on a
	 * little-endian machine, where a count of pages fits.
	 */
	if (read_u32(kd, va, &n))
		return kvm_error_ctx(kd, "zswap_stored_pages");
	if (!n)
		return 0;
	int in = zswap_has(kd, s, type, e->offset);
	if (in == 0)
		return 0;
	if (in > 0)
		return kvm_error(kd, KVM_ENOTSUP,
				 "page in swap area %u, slot %" PRIu64
				 ", is in "
				 "zswap: compressed in memory, not readable "
				 "(its disk slot was never written)",
				 type, e->offset);
	return kvm_error_ctx(kd,
			     "page in swap area %u, slot %" PRIu64 ": "
			     "zswap holds %" PRIu32 " pages, and whether this "
			     "is one cannot be told",
			     type, e->offset, n);
}

int
kvm_swap_read(kvm_t *kd, const struct kvm_swp_entry *e, uint64_t pgoff,
	      void *buf, size_t len)
{
	struct kvm_swap *s;
	int err;

	if (pgoff >= kd->page_size || len > kd->page_size - pgoff)
		return kvm_error(kd, KVM_EINVAL, "swap read past a page");
	if ((err = ensure(kd, &s)))
		return err;
	if (e->type < s->nareas && !s->areas[e->type].si)
		return kvm_error(kd, KVM_ENODATA,
				 "the page table entry 0x%" PRIx64 " names "
				 "swap area %u, which the dump has not in "
				 "use, or whose swap_info_struct does not read",
				 e->pte, e->type);
	if (e->type >= s->nareas)
		return kvm_error(kd, KVM_ENODATA,
				 "the page table entry 0x%" PRIx64 " holds "
				 "no swap entry of the dump's %u swap areas "
				 "(type %u: a page under migration, device "
				 "memory, or a marker)",
				 e->pte, s->nareas, e->type);
	const struct swap_area *a = &s->areas[e->type];
	if (e->offset == 0 || e->offset >= a->max)
		return area_error(kd, s, e->type, e, "is outside the area");
	uint8_t count;
	size_t done;
	if (kvm_virt_read(kd, a->swap_map + e->offset, &count, 1, &done))
		return kvm_error_ctx(kd, "swap area %u: swap_map[%" PRIu64 "]",
				     e->type, e->offset);
	if (count == 0)
		return area_error(kd, s, e->type, e,
				  "is free in the swap map, though a page "
				  "table names it");
	if ((count & ~SWAP_HAS_CACHE) == SWAP_MAP_BAD)
		return area_error(kd, s, e->type, e,
				  "is a bad page of the area");
	if (count & SWAP_HAS_CACHE) {
		uint64_t space, pa = 0;
		if ((err = swap_space(kd, s, e->type, e->offset, &space)))
			return kvm_error_ctx(kd,
					     "page in swap area %u, slot "
					     "%" PRIu64 ", which is in the "
					     "swap cache",
					     e->type, e->offset);
		if ((err = cache_page(kd, s, space, e->offset, true, &pa, NULL,
				      NULL)))
			return kvm_error_ctx(kd, "swap area %u, slot %" PRIu64,
					     e->type, e->offset);
		if (pa) {
			size_t got;
			if ((err = kvm_phys_read(kd, pa + pgoff, buf, len,
						 &got)))
				return kvm_error_ctx(kd,
						     "swap cache page of "
						     "slot %" PRIu64,
						     e->offset);
			return 0;
		}
	}
	if (strncmp(a->name, "/dev/zram", 9) == 0 ||
	    strncmp(a->name, "zram", 4) == 0)
		return area_error(kd, s, e->type, e,
				  "on zram: compressed in memory, not "
				  "readable");
	if ((err = zswap_check(kd, s, e->type, e)))
		return err;
	if (a->file < 0)
		return area_error(kd, s, e->type, e, a->why);
	const struct swap_file *f = &s->files[a->file];
	if (f->holds)
		return area_error(kd, s, e->type, e, f->holds);
	uint64_t at = e->offset * kd->page_size + pgoff;
	if (at + len > f->size) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "past the end of %s (%" PRIu64 " bytes, cut short)",
			 f->path, f->size);
		return area_error(kd, s, e->type, e, msg);
	}
	ssize_t n = pread(f->fd, buf, len, (off_t)at);
	if (n < 0)
		return kvm_error_sys(kd, "swap area %s", f->path);
	if ((size_t)n != len)
		return kvm_error(kd, KVM_ENODATA,
				 "swap area %s: short read "
				 "at byte %" PRIu64,
				 f->path, at);
	return 0;
}
