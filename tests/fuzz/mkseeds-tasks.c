// SPDX-License-Identifier: BSD-2-Clause
/*
 * mkseeds-tasks DUMP NAME: write seeds of fuzz_tasks (corpus/tasks) and
 * fuzz_btf (corpus/btf) from a real dump, NAME naming them.
 *
 * The dump's BTF is cut down to the structures the process walk reads:
 * their members at their real offsets, with every member whose type is
 * another structure turned into bytes of its size (anonymous structs and
 * unions are kept, so dotted paths such as tty_struct.ctrl.pgrp still
 * resolve), pointers into void *, and enums kept with their values.
 * That BTF is corpus/btf/real-NAME.  Then the walk runs on the dump as
 * fuzz_tasks will run it (every process, the argv and environ of the
 * first 8, avenrun) while a hook on the format records each range of
 * physical memory it reads; those bytes, the dump's VMCOREINFO and the
 * symbols make corpus/tasks/real-NAME-btf-K (with the cut BTF) and
 * real-NAME-vmci-K (the same layout as OFFSET() lines), for the first K
 * reads: all of them, and shorter prefixes where the walk stops part way.
 * Built as mkseeds_tasks; run by mkseeds-tasks.sh.
 */
#define _GNU_SOURCE
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_private.h"

/* The structures the walk (src/proc/proc_dump.c) reads. */
static const char *const keep[] = {
	"task_struct", "kthread",   "worker",	     "signal_struct",
	"pid_link",    "pid",	    "upid",	     "mm_struct",
	"mm_rss_stat", "percpu_counter", "cred",    "tty_struct",
	"tty_driver",  "list_head",
};
#define NKEEP (sizeof(keep) / sizeof(keep[0]))
#define ARGS_PROCS 8 /* as fuzz_tasks.c */
#define MAX_SPANS 65536
/* Ranges read less than this apart become one segment. */
#define GAP 64
#define MAX_SEGS 4096 /* as fuzz_tasks.c */

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "mkseeds-tasks: %s: %s\n", what, why);
	exit(1);
}

/* ------------------------------------------------------- the cut BTF */

struct cut {
	const struct btf *src;
	struct btf *dst;
	int u8, u32, ptr;
	int *done; /* src id -> dst id of a kept struct, 0: not yet */
};

static bool
kept(const char *name)
{
	for (size_t i = 0; i < NKEEP; i++)
		if (strcmp(name, keep[i]) == 0)
			return true;
	return false;
}

static int
int_of(struct cut *c, uint32_t size)
{
	char name[16];

	if (size == 1)
		return c->u8;
	if (size == 4)
		return c->u32;
	snprintf(name, sizeof(name), "u%u", size * 8);
	return btf__add_int(c->dst, name, (size_t)size, 0);
}

static int bytes_of(struct cut *c, uint32_t size)
{
	return btf__add_array(c->dst, c->u32, c->u8, size);
}

static int copy_struct(struct cut *c, uint32_t id);

/* The dst type a member of src type id gets. */
static int
map_type(struct cut *c, uint32_t id, bool bitfield)
{
	int rid = btf__resolve_type(c->src, id);
	if (rid < 0)
		return rid;
	const struct btf_type *t = btf__type_by_id(c->src, (uint32_t)rid);
	int64_t size = btf__resolve_size(c->src, (uint32_t)rid);
	const char *name = btf__name_by_offset(c->src, t->name_off);

	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
		return c->ptr;
	case BTF_KIND_INT:
		return int_of(c, t->size);
	case BTF_KIND_ENUM:
		if (bitfield)
			return int_of(c, t->size);
		return copy_struct(c, (uint32_t)rid);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (!name[0] || kept(name))
			return copy_struct(c, (uint32_t)rid);
		return bytes_of(c, (uint32_t)size);
	default:
		return bytes_of(c, size > 0 ? (uint32_t)size : 0);
	}
}

/* A kept struct, union or enum; anonymous ones each get their own copy. */
static int
copy_struct(struct cut *c, uint32_t id)
{
	if (c->done[id])
		return c->done[id];
	const struct btf_type *t = btf__type_by_id(c->src, id);
	const char *name = btf__name_by_offset(c->src, t->name_off);
	int n = btf_vlen(t), r;

	if (btf_is_enum(t)) {
		r = btf__add_enum(c->dst, name, t->size);
		for (int i = 0; r > 0 && i < n; i++) {
			const struct btf_enum *e = btf_enum(t) + i;
			if (btf__add_enum_value(
				    c->dst,
				    btf__name_by_offset(c->src, e->name_off),
				    e->val))
				return -1;
		}
		return c->done[id] = r;
	}
	/* Member types first: libbpf adds fields to the last type added. */
	int *mt = calloc((size_t)n + 1, sizeof(*mt));
	if (!mt)
		die("BTF", "out of memory");
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < n; i++) {
		bool bf = btf_member_bitfield_size(t, (uint32_t)i) != 0;
		if ((mt[i] = map_type(c, m[i].type, bf)) < 0)
			die(name, "a member type cannot be copied");
	}
	r = btf_is_struct(t) ? btf__add_struct(c->dst, name, t->size)
			     : btf__add_union(c->dst, name, t->size);
	for (int i = 0; r > 0 && i < n; i++)
		if (btf__add_field(c->dst,
				   btf__name_by_offset(c->src, m[i].name_off),
				   mt[i], btf_member_bit_offset(t, (uint32_t)i),
				   btf_member_bitfield_size(t, (uint32_t)i)))
			die(name, "a field cannot be added");
	free(mt);
	if (r < 0)
		die(name, "cannot be added");
	/* Named types are shared; anonymous ones belong to their member. */
	if (name[0])
		c->done[id] = r;
	return r;
}

/* OFFSET() lines for every member of t, dotted into anonymous members. */
static void
offsets(FILE *f, const struct btf *b, const char *sname, const char *prefix,
	uint32_t id, uint64_t base_bits, int depth)
{
	const struct btf_type *t = btf__type_by_id(b, id);
	const struct btf_member *m = btf_members(t);

	if (depth > 8)
		return;
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *mn = btf__name_by_offset(b, m[i].name_off);
		uint64_t bits = base_bits + btf_member_bit_offset(t, (uint32_t)i);
		const struct btf_type *mt =
			btf__type_by_id(b, (uint32_t)btf__resolve_type(b, m[i].type));
		char path[256];
		snprintf(path, sizeof(path), "%s%s%s", prefix,
			 prefix[0] && mn[0] ? "." : "", mn);
		if ((btf_is_struct(mt) || btf_is_union(mt)) && mt->name_off == 0)
			/* Anonymous: its members are the outer's (or dotted). */
			offsets(f, b, sname, path,
				(uint32_t)btf__resolve_type(b, m[i].type), bits,
				depth + 1);
		if (mn[0] && bits % 8 == 0 &&
		    btf_member_bitfield_size(t, (uint32_t)i) == 0)
			fprintf(f, "OFFSET(%s.%s)=%llu\n", sname, path,
				(unsigned long long)(bits / 8));
	}
}

static struct btf *
cut_btf(const struct btf *src, FILE *vmci)
{
	struct cut c = { .src = src, .dst = btf__new_empty() };
	uint32_t n = btf__type_cnt(src);

	if (!c.dst)
		die("BTF", "btf__new_empty failed");
	c.done = calloc(n, sizeof(*c.done));
	if (!c.done)
		die("BTF", "out of memory");
	c.u8 = btf__add_int(c.dst, "u8", 1, 0);
	c.u32 = btf__add_int(c.dst, "u32", 4, 0);
	c.ptr = btf__add_ptr(c.dst, 0);
	for (size_t i = 0; i < NKEEP; i++) {
		int id = btf__find_by_name_kind(src, keep[i], BTF_KIND_STRUCT);
		if (id <= 0)
			continue; /* the kernel has no such struct (kthread) */
		copy_struct(&c, (uint32_t)id);
		offsets(vmci, src, keep[i], "", (uint32_t)id, 0, 0);
		uint64_t size = btf__type_by_id(src, (uint32_t)id)->size;
		fprintf(vmci, "SIZE(%s)=%llu\n", keep[i],
			(unsigned long long)size);
	}
	int e = btf__find_by_name_kind(src, "pid_type", BTF_KIND_ENUM);
	if (e > 0)
		copy_struct(&c, (uint32_t)e);
	free(c.done);
	return c.dst;
}

/* ------------------------------------------------ the recorded memory */

static const struct kvm_format_ops *real_ops;
static struct kvm_format_ops rec_ops;
/* The byte ranges read, in the order first read. */
struct span {
	uint64_t pa, len;
};
static struct span spans[MAX_SPANS];
static size_t nspans;

static int
rec_read(kvm_t *kd, uint64_t pa, void *buf, size_t len, size_t *done)
{
	if (nspans < MAX_SPANS && len)
		spans[nspans++] = (struct span){ pa, len };
	return real_ops->read_phys(kd, pa, buf, len, done);
}

static void
walk(kvm_t *kd)
{
	int cnt = 0;
	struct kinfo_proc2 *p =
		kvm_getproc2(kd, KERN_PROC_ALL, 0, sizeof(*p), &cnt);

	if (!p)
		die("kvm_getproc2", kvm_geterr(kd));
	struct kinfo_proc2 first[ARGS_PROCS];
	int n = cnt < ARGS_PROCS ? cnt : ARGS_PROCS;
	memcpy(first, p, (size_t)n * sizeof(*p));
	for (int i = 0; i < n; i++) {
		kvm_getargv2(kd, &first[i], 0);
		kvm_getenvv2(kd, &first[i], 24);
	}
	double la[3];
	kvm_getloadavg(kd, la, 3);
	fprintf(stderr, "mkseeds-tasks: %d processes, %zu reads\n", cnt,
		nspans);
}

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static void
put(FILE *f, const void *p, size_t len)
{
	if (len && fwrite(p, 1, len, f) != len)
		die("write", strerror(errno));
}

static void
put_le(FILE *f, uint64_t v, int bytes)
{
	uint8_t b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> 8 * i);
	put(f, b, (size_t)bytes);
}

static void
write_seed(kvm_t *kd, const char *path, const char *vmci, size_t vlen,
	   const void *btf, size_t blen, uint64_t init_task,
	   uint64_t avenrun, size_t k)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		die(path, strerror(errno));
	struct span *sp = malloc(k * sizeof(*sp));
	if (!sp)
		die(path, "out of memory");
	memcpy(sp, spans, k * sizeof(*sp));
	qsort(sp, k, sizeof(*sp), span_cmp);
	/* Merged: each segment covers ranges that overlap or nearly touch. */
	size_t nseg = 0;
	for (size_t i = 0; i < k; i++) {
		if (nseg && sp[i].pa <= sp[nseg - 1].pa + sp[nseg - 1].len + GAP) {
			uint64_t end = KVM_MAX(sp[nseg - 1].pa + sp[nseg - 1].len,
					       sp[i].pa + sp[i].len);
			sp[nseg - 1].len = end - sp[nseg - 1].pa;
		} else {
			sp[nseg++] = sp[i];
		}
	}
	if (nseg > MAX_SEGS)
		die(path, "more segments than fuzz_tasks reads");
	put_le(f, (kd->e_machine == 183) | (kd->big_endian ? 2 : 0), 1);
	put_le(f, 0, 3);
	put_le(f, vlen, 4);
	put_le(f, blen, 4);
	put_le(f, 0, 4);
	put_le(f, init_task, 8);
	put_le(f, avenrun, 8);
	put(f, vmci, vlen);
	put(f, btf, blen);
	for (size_t i = 0; i < nseg; i++) {
		uint8_t *buf = calloc(1, sp[i].len);
		size_t done = 0;
		if (!buf)
			die(path, "out of memory");
		put_le(f, sp[i].pa, 8);
		put_le(f, sp[i].len, 4);
		put_le(f, 0, 4);
		if (real_ops->read_phys(kd, sp[i].pa, buf, sp[i].len, &done))
			kvm_error_clear(kd);
		put(f, buf, sp[i].len);
		free(buf);
	}
	if (fclose(f))
		die(path, strerror(errno));
	free(sp);
}

int
main(int argc, char **argv)
{
	char err[_POSIX2_LINE_MAX], path[4096];

	if (argc != 3) {
		fprintf(stderr, "usage: mkseeds-tasks DUMP NAME\n");
		return 2;
	}
	const char *here = getenv("CORPUS");
	if (!here)
		die("CORPUS", "not set (the corpus directory)");
	kvm_t *kd = kvm_openfiles(NULL, argv[1], NULL, O_RDONLY, err);
	if (!kd)
		die(argv[1], err);
	uint64_t sz;
	if (kvm_type_size(kd, "task_struct", &sz) || !kd->btf)
		die("BTF", kvm_geterr(kd));
	struct kvm_nlist nl[] = { { .n_name = "init_task" },
				  { .n_name = "avenrun" },
				  { .n_name = NULL } };
	if (kvm_nlist2(kd, nl) < 0 || !nl[0].n_value)
		die("init_task", kvm_geterr(kd));

	/* The cut BTF, and the VMCOREINFO that says the same. */
	char *offs = NULL;
	size_t offs_len = 0;
	FILE *of = open_memstream(&offs, &offs_len);
	if (!of)
		die("VMCOREINFO", strerror(errno));
	struct btf *cut = cut_btf(kd->btf, of);
	fclose(of);
	uint32_t blen;
	const void *braw = btf__raw_data(cut, &blen);
	if (!braw)
		die("BTF", "btf__raw_data failed");
	snprintf(path, sizeof(path), "%s/btf/real-%s", here, argv[2]);
	FILE *f = fopen(path, "wb");
	if (!f)
		die(path, strerror(errno));
	put(f, braw, blen);
	fclose(f);
	const char *vtext = kd->vmcoreinfo_text ? kd->vmcoreinfo_text : "";
	size_t vlen = strlen(vtext);
	char *vfull = malloc(vlen + offs_len + 1);
	if (!vfull)
		die("VMCOREINFO", "out of memory");
	memcpy(vfull, vtext, vlen);
	memcpy(vfull + vlen, offs, offs_len + 1);

	/* The walk, recorded; the caches emptied so that it reads again. */
	real_ops = kd->format;
	rec_ops = *kd->format;
	rec_ops.read_phys = rec_read;
	rec_ops.phys_ptr = NULL;
	kd->format = &rec_ops;
	kvm_tlb_flush(kd);
	walk(kd);
	kd->format = real_ops;

	size_t ks[] = { nspans, nspans / 4, 16 };
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		if (ks[i] == 0 || (i > 0 && ks[i] >= ks[i - 1]))
			continue;
		snprintf(path, sizeof(path), "%s/tasks/real-%s-btf-%zu", here,
			 argv[2], ks[i]);
		write_seed(kd, path, vtext, vlen, braw, blen, nl[0].n_value,
			   nl[1].n_value, ks[i]);
		snprintf(path, sizeof(path), "%s/tasks/real-%s-vmci-%zu", here,
			 argv[2], ks[i]);
		write_seed(kd, path, vfull, vlen + offs_len, NULL, 0,
			   nl[0].n_value, nl[1].n_value, ks[i]);
	}
	btf__free(cut);
	free(offs);
	free(vfull);
	kvm_close(kd);
	return 0;
}
