// SPDX-License-Identifier: BSD-2-Clause
/*
 * mkseeds-tasks DUMP NAME: write seeds of fuzz_tasks (corpus/tasks) and
 * fuzz_btf (corpus/btf) from a real dump, NAME naming them.
 *
 * The dump's BTF is cut down to the structures the process walk and the
 * stack unwinders (src/stack/) read: their members at their real offsets
 * (bitfields too, as struct orc_entry has them), with every member whose
 * type is another structure turned into bytes of its size (anonymous
 * structs and unions are kept, so dotted paths such as
 * tty_struct.ctrl.pgrp still resolve), pointers into void *, and enums
 * kept with their values.  That BTF is corpus/btf/real-NAME.  Then the
 * walk runs on the dump as fuzz_tasks will run it (every process, the
 * argv, environ and stack of the first 8, the argv of the last, whose
 * pages may be in swap, the stacks of the first two
 * CPUs, avenrun) while a hook on the format records each range of
 * physical memory it reads and a symbol resolver each symbol it looks up;
 * those bytes, the dump's VMCOREINFO, the symbols looked up and the text
 * symbols around the frames found (System.map lines) and the CPUs'
 * NT_PRSTATUS registers make corpus/tasks/real-NAME-btf-K (with the cut
 * BTF) and real-NAME-vmci-K (the same layout as OFFSET() lines), for the
 * first K reads: all of them, and shorter prefixes where the walk stops
 * part way (one of them half way through the stacks).
 *
 * Then the stacks of the CPUs alone, recorded afresh (the unwinder's
 * tables and the page-table cache emptied): real-NAME-cpus, small, and
 * the same made hostile where the unwinders must stop on their own:
 * x86_64 ORC entries that do not move sp (stack-sp0) or move it one word
 * (stack-sp8), a garbled ORC address table (stack-orc-ip), a module list
 * whose last module leads back to the first and a CPU stopped in that
 * module (stack-modloop); aarch64 frame records in a cycle on the stack
 * (stack-fpcycle) and a record off the stack that is its own caller
 * (stack-fpself).
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
#include "stack/stack.h"
#include "sym/symtab.h"

/*
 * The structures the walk (src/proc/proc_dump.c) and the unwinders
 * (src/stack/: stack.c, unwind_x86_64.c, unwind_aarch64.c) read.
 */
static const char *const keep[] = {
	"task_struct", "kthread",   "worker",	     "signal_struct",
	"pid_link",    "pid",	    "upid",	     "mm_struct",
	"mm_rss_stat", "percpu_counter", "cred",    "tty_struct",
	"tty_driver",  "list_head",
	/* the stacks */
	"thread_info", "thread_struct", "cpu_context", "inactive_task_frame",
	"orc_entry",   "pt_regs",   "frame_record_meta", "module",
	"mod_arch_specific", "module_memory", "module_layout", "rq",
	/* swapped user pages (src/proc/swap.c) */
	"swap_info_struct", "file", "path", "dentry", "qstr", "mount",
	"vfsmount", "address_space", "xarray", "xa_node", "page",
};
#define NKEEP (sizeof(keep) / sizeof(keep[0]))
/*
 * Members the unwinders name by a dotted path through a named struct:
 * VMCOREINFO spells them out (OFFSET(task_struct.thread.sp)).
 */
static const char *const dotted[][2] = {
	{ "task_struct", "thread_info.cpu" },
	{ "task_struct", "thread.sp" },
	{ "task_struct", "thread.cpu_context.fp" },
	{ "task_struct", "thread.cpu_context.sp" },
	{ "task_struct", "thread.cpu_context.pc" },
	{ "module", "arch.num_orcs" },
	{ "module", "arch.orc_unwind_ip" },
	{ "module", "arch.orc_unwind" },
	{ "module", "core_layout.base" },
	{ "module", "core_layout.text_size" },
	{ "module", "core_layout.size" },
	{ "address_space", "i_pages.xa_head" },
	{ "file", "f_path.dentry" },
	{ "file", "f_path.mnt" },
	{ "dentry", "d_name.name" },
};
/* Symbols the unwinders look up (looked up before the recorded walk). */
static const char *const stack_syms[] = {
	"__start_orc_unwind_ip", "__stop_orc_unwind_ip", "__start_orc_unwind",
	"__stop_orc_unwind",	 "__start_orc_header",	 "ret_from_fork",
	"ret_from_fork_asm",	 "__start_init_task",	 "__end_init_task",
	"__start_init_stack",	 "__end_init_stack",	 "init_stack",
	"modules",		 "runqueues",		 "__per_cpu_offset",
	/* where the per-CPU section starts (arm64: exports, not kallsyms) */
	"kernel_cpustat",	 "irq_stat",		 "cpu_number",
};
/*
 * Per-CPU variables kept in the cut BTF's .data..percpu (stack.c finds
 * runqueues by its offset there when kallsyms has no data symbols).
 */
static const char *const percpu_vars[] = { "runqueues", "kernel_cpustat",
					   "irq_stat", "cpu_number" };
#define ARGS_PROCS 8 /* as fuzz_tasks.c */
#define MAX_NOTES 2  /* as fuzz_tasks.c */
#define NOTE_REGS 34
#define MAX_NAMES 256
#define MAX_FRAMES 4096
/*
 * The live part of each stack found, from this far below its lowest
 * frame's sp to its top, goes into the seeds whole (the walk itself reads
 * only the words it looks at): the fuzzer's and the hostile seeds' walks
 * look elsewhere.
 */
#define LIVE_BELOW 512
#define MAX_PATCH 65536
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
	int ints[17]; /* by size: one "uN" type each */
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
	if (size < sizeof(c->ints) / sizeof(*c->ints) && c->ints[size] > 0)
		return c->ints[size];
	snprintf(name, sizeof(name), "u%u", size * 8);
	int id = btf__add_int(c->dst, name, (size_t)size, 0);
	if (size < sizeof(c->ints) / sizeof(*c->ints))
		c->ints[size] = id;
	return id;
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

/* .data..percpu with only percpu_vars, at their offsets. */
static void
percpu_cut(struct cut *c)
{
	int id = btf__find_by_name_kind(c->src, ".data..percpu",
					BTF_KIND_DATASEC);
	if (id <= 0)
		return;
	const struct btf_type *t = btf__type_by_id(c->src, (uint32_t)id);
	const struct btf_var_secinfo *v = btf_var_secinfos(t);
	int vars[sizeof(percpu_vars) / sizeof(*percpu_vars)];
	uint32_t offs[sizeof(vars) / sizeof(*vars)], sizes[sizeof(vars) /
							   sizeof(*vars)];
	size_t n = 0;
	/* The variables first: libbpf adds infos to the last type added. */
	for (int i = 0; i < btf_vlen(t); i++, v++) {
		const struct btf_type *vt = btf__type_by_id(c->src, v->type);
		const char *name = btf__name_by_offset(c->src, vt->name_off);
		bool want = false;
		for (size_t k = 0; k < sizeof(vars) / sizeof(*vars); k++)
			want |= strcmp(name, percpu_vars[k]) == 0;
		if (!want || !btf_is_var(vt) || n == sizeof(vars) / sizeof(*vars))
			continue;
		int type = map_type(c, vt->type, false);
		if (type < 0 ||
		    (vars[n] = btf__add_var(c->dst, name, btf_var(vt)->linkage,
					    type)) < 0)
			die(name, "a per-CPU variable cannot be added");
		offs[n] = v->offset;
		sizes[n++] = v->size;
	}
	if (n == 0)
		return;
	if (btf__add_datasec(c->dst, ".data..percpu", t->size) < 0)
		die(".data..percpu", "cannot be added");
	for (size_t i = 0; i < n; i++)
		if (btf__add_datasec_var_info(c->dst, vars[i], offs[i],
					      sizes[i]))
			die(".data..percpu", "a variable cannot be added");
}

static struct btf *
cut_btf(kvm_t *kd, const struct btf *src, FILE *vmci)
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
	for (size_t i = 0; i < sizeof(dotted) / sizeof(*dotted); i++) {
		uint64_t off, size;
		if (kvm_types_offsetof(kd, dotted[i][0], dotted[i][1], &off,
				       &size) == 0)
			fprintf(vmci, "OFFSET(%s.%s)=%llu\n", dotted[i][0],
				dotted[i][1], (unsigned long long)off);
	}
	kvm_error_clear(kd);
	int e = btf__find_by_name_kind(src, "pid_type", BTF_KIND_ENUM);
	if (e > 0)
		copy_struct(&c, (uint32_t)e);
	/* PG_head, PG_dirty, PG_writeback: swap cache pages. */
	e = btf__find_by_name_kind(src, "pageflags", BTF_KIND_ENUM);
	if (e > 0)
		copy_struct(&c, (uint32_t)e);
	percpu_cut(&c);
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

/* The symbols the walk looked up, by name (the resolver says "not mine"). */
static char *names[MAX_NAMES];
static size_t nnames;

static int
rec_name(const char *name, kvaddr_t *addr)
{
	(void)addr;
	for (size_t i = 0; i < nnames; i++)
		if (strcmp(names[i], name) == 0)
			return -1;
	if (nnames < MAX_NAMES && !(names[nnames] = strdup(name)))
		die("symbols", "out of memory");
	nnames += nnames < MAX_NAMES;
	return -1;
}

/* The frames the stacks found: their symbols go into the seed. */
static struct kvm_frame frames[MAX_FRAMES];
static size_t nframes;
/* Where the reads of the stacks start. */
static size_t stack_spans;

/* Read (and so record) the live part of the stack ks was found on. */
static void
live_touch(kvm_t *kd, const struct kvm_stack *ks)
{
	uint64_t lo = UINT64_MAX, top = ks->ks_stack_base + ks->ks_stack_size;
	uint8_t buf[4096];
	size_t done;

	for (size_t i = 0; i < ks->ks_nframes; i++) {
		uint64_t sp = ks->ks_frames[i].kf_sp;
		if (sp >= ks->ks_stack_base && sp < top)
			lo = KVM_MIN(lo, sp);
	}
	if (!ks->ks_stack_base || lo == UINT64_MAX)
		return;
	lo = KVM_MAX(lo - KVM_MIN(lo - ks->ks_stack_base,
				  (uint64_t)LIVE_BELOW), ks->ks_stack_base);
	for (uint64_t va = lo; va < top; va += done) {
		done = KVM_MIN(sizeof(buf), top - va);
		if (kvm_virt_read(kd, va, buf, done, &done) || done == 0)
			break;
	}
	kvm_error_clear(kd);
}

static void
stack_note(kvm_t *kd, const struct kvm_stack *ks, const char *what, int id)
{
	if (!ks) {
		fprintf(stderr, "mkseeds-tasks: stack of %s %d: %s\n", what, id,
			kvm_geterr(kd));
		return;
	}
	for (size_t i = 0; i < ks->ks_nframes && nframes < MAX_FRAMES; i++)
		frames[nframes++] = ks->ks_frames[i];
	live_touch(kd, ks);
	fprintf(stderr, "mkseeds-tasks: stack of %s %d (pid %d %s): %zu frames, "
		"%s%s\n",
		what, id, ks->ks_pid, ks->ks_comm, ks->ks_nframes,
		ks->ks_stopped[0] ? "stopped: " : "complete",
		ks->ks_stopped);
}

/*
 * What the x86_64 unwinder's modules_load() reads (src/stack/
 * unwind_x86_64.c): the module list, each module's name, ORC table
 * bounds and text, and the first and last address of its ORC table.  No
 * stack of the fixtures runs through a module, so the walk does not read
 * them; the seeds hold them for the fuzzer's return addresses that do.
 */
static uint64_t mod_node[64], mod_text[64]; /* list nodes, text bases */
static size_t nmod;

static void
modules_touch(kvm_t *kd)
{
	uint64_t head, o_list, o_name, o_orcs, o_ip, o_orc, o_base, o_tsize;
	uint64_t size, nsize, mb, ms;
	uint8_t b[64];
	size_t done;

	if (kd->e_machine != 62 || kvm_sym_lookup(kd, "modules", &head) ||
	    kvm_types_offsetof(kd, "module", "list", &o_list, &size) ||
	    kvm_types_offsetof(kd, "module", "name", &o_name, &nsize) ||
	    kvm_types_offsetof(kd, "module", "arch.num_orcs", &o_orcs,
			       &size) ||
	    kvm_types_offsetof(kd, "module", "arch.orc_unwind_ip", &o_ip,
			       &size) ||
	    kvm_types_offsetof(kd, "module", "arch.orc_unwind", &o_orc,
			       &size))
		goto out;
	if (kvm_types_offsetof(kd, "module", "mem", &o_base, &size) == 0 &&
	    kvm_types_offsetof(kd, "module_memory", "base", &mb, &size) == 0 &&
	    kvm_types_offsetof(kd, "module_memory", "size", &ms, &size) == 0) {
		o_tsize = o_base + ms;
		o_base += mb;
	} else if (kvm_types_offsetof(kd, "module", "core_layout.base",
				      &o_base, &size) ||
		   (kvm_types_offsetof(kd, "module", "core_layout.text_size",
				       &o_tsize, &size) &&
		    kvm_types_offsetof(kd, "module", "core_layout.size",
				       &o_tsize, &size))) {
		goto out;
	}
	size = size == 8 ? 8 : 4;
	if (kvm_virt_read(kd, head, b, 8, &done))
		goto out;
	uint64_t next = kvm_tgt_uint(kd, b, 8);
	nmod = 0;
	for (int count = 0; next != head && count < 64; count++) {
		uint64_t mod = next - o_list, n, ip, nx;
		if (kvm_virt_read(kd, next, b, 16, &done))
			break;
		nx = kvm_tgt_uint(kd, b, 8);
		if (kvm_virt_read(kd, mod + o_name, b, KVM_MIN(nsize, 63),
				  &done) ||
		    kvm_virt_read(kd, mod + o_orcs, b, 4, &done))
			break;
		n = kvm_tgt_uint(kd, b, 4);
		if (kvm_virt_read(kd, mod + o_orc, b, 8, &done) ||
		    kvm_virt_read(kd, mod + o_base, b, 8, &done))
			break;
		mod_node[nmod] = next;
		mod_text[nmod++] = kvm_tgt_uint(kd, b, 8);
		if (kvm_virt_read(kd, mod + o_tsize, b, size, &done) ||
		    kvm_virt_read(kd, mod + o_ip, b, 8, &done))
			break;
		ip = kvm_tgt_uint(kd, b, 8);
		if (n && n <= (16u << 20) && ip &&
		    (kvm_virt_read(kd, ip, b, 4, &done) ||
		     kvm_virt_read(kd, ip + 4 * (n - 1), b, 4, &done)))
			break;
		next = nx;
	}
out:
	kvm_error_clear(kd);
}

/* As fuzz_tasks.c calls the library; ncpu CPUs' stacks. */
static void
walk(kvm_t *kd, int ncpu)
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
	/*
	 * The last process: the newest, a test process whose argv may be in
	 * swap (x86_64-6.1-swap), where the swap layer reads swap_info[].
	 */
	if (cnt > n) {
		struct kinfo_proc2 last = p[cnt - 1];
		if (!kvm_getargv2(kd, &last, 0))
			fprintf(stderr, "mkseeds-tasks: argv of pid %d: %s\n",
				last.p_pid, kvm_geterr(kd));
	}
	if (n > 0) {
		int c2;
		kvm_getproc2(kd, KERN_PROC_PID, first[n - 1].p_pid,
			     sizeof(*p), &c2);
	}
	stack_spans = nspans;
	for (int i = 0; i < n; i++)
		stack_note(kd, kvm_getstack(kd, &first[i]), "pid",
			   first[i].p_pid);
	for (int cpu = 0; cpu < ncpu; cpu++)
		stack_note(kd, kvm_getstack_cpu(kd, cpu), "CPU", cpu);
	modules_touch(kd);
	double la[3];
	kvm_getloadavg(kd, la, 3);
	fprintf(stderr, "mkseeds-tasks: %d processes, %zu reads (%zu for the "
		"stacks)\n", cnt, nspans, nspans - stack_spans);
}

/* ------------------------------------------------ hostile variants */

/* Bytes of memory a hostile seed holds instead of the dump's. */
struct patch {
	uint64_t pa;
	uint8_t b;
};
static struct patch patches[MAX_PATCH];
static size_t npatch;

/* Target-order (little-endian: both targets) len bytes of val at va. */
static void
patch_va(kvm_t *kd, uint64_t va, uint64_t val, int len)
{
	for (int i = 0; i < len && npatch < MAX_PATCH; i++) {
		kpaddr_t pa;
		if (kvm_kvatop(kd, va + (uint64_t)i, &pa, NULL) == 0)
			patches[npatch++] = (struct patch){ pa, (uint8_t)(val >> 8 * i) };
	}
	kvm_error_clear(kd);
}

/*
 * Each entry of the table at [t0, t1) (entries of esize bytes) that the
 * recorded reads touched: its index and address, to fn.
 */
static void
table_entries_read(kvm_t *kd, uint64_t t0, uint64_t t1, unsigned esize,
		   void (*fn)(kvm_t *, uint64_t va, uint64_t idx))
{
	for (uint64_t va = t0 & ~4095ull; va < t1; va += 4096) {
		kpaddr_t pa;
		if (kvm_kvatop(kd, va, &pa, NULL))
			continue;
		for (size_t i = 0; i < nspans; i++) {
			uint64_t lo = KVM_MAX(spans[i].pa, pa);
			uint64_t hi = KVM_MIN(spans[i].pa + spans[i].len, pa + 4096);
			if (lo >= hi)
				continue;
			uint64_t vlo = KVM_MAX(va + (lo - pa), t0);
			uint64_t vhi = KVM_MIN(va + (hi - pa), t1);
			for (uint64_t e = (vlo - t0) / esize;
			     vhi > vlo && e <= (vhi - 1 - t0) / esize; e++)
				fn(kd, t0 + e * esize, e);
		}
	}
	kvm_error_clear(kd);
}

static int sp_offset_to;

static void
orc_sp(kvm_t *kd, uint64_t va, uint64_t idx)
{
	(void)idx;
	patch_va(kd, va, (uint64_t)(uint16_t)sp_offset_to, 2);
}

static void
orc_ip(kvm_t *kd, uint64_t va, uint64_t idx)
{
	/* Knuth's multiplicative hash: addresses in no order. */
	patch_va(kd, va, (uint32_t)((idx + 1) * 2654435761u), 4);
}

/* ------------------------------------------------------- the symbols */

struct symline {
	uint64_t addr;
	char type;
	const char *name;
};
static struct symline syml[MAX_NAMES + 2 * MAX_FRAMES];
static size_t nsyml;

static void
sym_keep(const struct kvm_symtab *t, const struct kvm_sym *s,
	 const char *as)
{
	const char *name = as ? as : kvm_symtab_name(t, s);

	if (strcmp(name, "init_task") == 0 || strcmp(name, "avenrun") == 0)
		return; /* the header has them */
	for (size_t i = 0; i < nsyml; i++)
		if (syml[i].addr == s->addr && strcmp(syml[i].name, name) == 0)
			return;
	if (nsyml < sizeof(syml) / sizeof(*syml))
		syml[nsyml++] = (struct symline){ s->addr, s->type, name };
}

/*
 * System.map lines: each symbol the walk looked up, as lookup_one()
 * (src/sym/nlist.c) finds it, and for each frame the text symbol that
 * names it and the one after (which gives its size).
 */
static char *
symbol_text(kvm_t *kd, size_t *len_ret)
{
	struct kvm_symtab *t = kd->symtab;
	int err;
	uint64_t size;

	for (size_t i = 0; i < nnames; i++) {
		const struct kvm_sym *s = kvm_symtab_find(kd, t, names[i], &err);
		if (!s && names[i][0] == '_')
			s = kvm_symtab_find(kd, t, names[i] + 1, &err);
		if (s)
			sym_keep(t, s, names[i]);
	}
	for (size_t i = 0; i < nframes; i++) {
		const struct kvm_frame *f = &frames[i];
		if (f->kf_flags & KVM_FRAME_USER)
			continue;
		uint64_t at = (f->kf_flags & KVM_FRAME_REGS) ? f->kf_pc
							     : f->kf_pc - 1;
		const struct kvm_sym *s = kvm_symtab_byaddr(kd, t, at, &size,
							   &err);
		if (!s)
			continue;
		sym_keep(t, s, NULL);
		if (size && (s = kvm_symtab_byaddr(kd, t, s->addr + size,
						   &size, &err)))
			sym_keep(t, s, NULL);
	}
	kvm_error_clear(kd);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		die("symbols", strerror(errno));
	for (size_t i = 0; i < nsyml; i++)
		fprintf(f, "%016llx %c %s\n", (unsigned long long)syml[i].addr,
			syml[i].type, syml[i].name);
	fclose(f);
	*len_ret = len;
	return text;
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

/* What every seed of a dump holds besides its layout and memory. */
struct common {
	const char *syms;
	size_t slen;
	unsigned ncpu; /* CPU notes: cpus[0..ncpu) */
	const struct kvm_cpu_state *cpus;
	uint64_t init_task, avenrun;
};

static void
write_seed(kvm_t *kd, const char *path, const char *vmci, size_t vlen,
	   const void *btf, size_t blen, const struct common *cm, size_t k)
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
	put_le(f, (kd->e_machine == 183) | (kd->big_endian ? 2 : 0) |
			  cm->ncpu << 2,
	       1);
	put_le(f, 0, 3);
	put_le(f, vlen, 4);
	put_le(f, blen, 4);
	put_le(f, cm->slen, 4);
	put_le(f, cm->init_task, 8);
	put_le(f, cm->avenrun, 8);
	put(f, vmci, vlen);
	put(f, btf, blen);
	put(f, cm->syms, cm->slen);
	for (unsigned i = 0; i < cm->ncpu; i++) {
		const struct kvm_cpu_state *c = &cm->cpus[i];
		put_le(f, (uint32_t)c->pr_pid, 4);
		for (unsigned r = 0; r < NOTE_REGS; r++)
			put_le(f, r < c->ngregs ? c->gregs[r] : 0, 8);
	}
	uint64_t bytes = 0, patched = 0;
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
		for (size_t j = 0; j < npatch; j++)
			if (patches[j].pa >= sp[i].pa &&
			    patches[j].pa - sp[i].pa < sp[i].len) {
				buf[patches[j].pa - sp[i].pa] = patches[j].b;
				patched++;
			}
		put(f, buf, sp[i].len);
		bytes += sp[i].len;
		free(buf);
	}
	if (fclose(f))
		die(path, strerror(errno));
	fprintf(stderr, "mkseeds-tasks: %s: %zu reads, %zu segments, %llu "
		"bytes of memory (%llu of %zu patched)\n", path, k, nseg,
		(unsigned long long)bytes, (unsigned long long)patched, npatch);
	free(sp);
}

/*
 * Where a per-CPU variable that kallsyms does not have lies (before a
 * CPU's offset is added), as src/stack/stack.c's percpu_symbol() finds it:
 * its offset in the BTF's .data..percpu from where an exported per-CPU
 * variable's symbol says the section starts.  0, or -1 (kallsyms has it,
 * or the BTF does not).
 */
static int
percpu_address(kvm_t *kd, const char *name, uint64_t *addr_ret)
{
	static const char *const anchors[] = { "kernel_cpustat", "irq_stat",
					       "cpu_number" };
	uint64_t off, a, aoff;
	int ret = -1;

	if (kvm_sym_lookup(kd, name, &a) == 0 ||
	    kvm_types_percpu_offset(kd, name, &off))
		goto out;
	for (size_t i = 0; i < sizeof(anchors) / sizeof(*anchors); i++)
		if (kvm_sym_lookup(kd, anchors[i], &a) == 0 &&
		    kvm_types_percpu_offset(kd, anchors[i], &aoff) == 0 &&
		    a >= aoff) {
			*addr_ret = a - aoff + off;
			ret = 0;
			break;
		}
out:
	kvm_error_clear(kd);
	return ret;
}

/*
 * A dump without VMCOREINFO (x86_64-6.12, as `virsh dump` writes them):
 * the library found the page-table root in a CPU's CR3 and the KASLR
 * offset in memory; fuzz_tasks sets the handle up from VMCOREINFO, so the
 * seeds say what was found in the kernel's words (init_top_pgt,
 * phys_base, KERNELOFFSET, pgtable_l5_enabled).  phys_base is chosen so
 * that the root is the one the walk used, the CR3's (its page tables are
 * what the walk read), not init_top_pgt's; only the root comes of it.
 * NULL when there is nothing to say.
 */
static char *
found_vmcoreinfo(kvm_t *kd)
{
	uint64_t sym;
	char *text = NULL;

	if (kd->e_machine != 62 || !kd->kaslr_known || !kd->xlat.ready ||
	    kvm_sym_lookup(kd, "init_top_pgt", &sym)) {
		kvm_error_clear(kd);
		return NULL;
	}
	/* root = init_top_pgt - __START_KERNEL_map + phys_base */
	uint64_t phys_base = kd->xlat.root - (sym - 0xffffffff80000000ull);
	if (asprintf(&text,
		     "SYMBOL(init_top_pgt)=%llx\nNUMBER(phys_base)=%lld\n"
		     "KERNELOFFSET=%llx\nNUMBER(pgtable_l5_enabled)=%d\n",
		     (unsigned long long)sym, (long long)phys_base,
		     (unsigned long long)kd->kaslr_offset,
		     kd->xlat.levels == 5) < 0)
		die("VMCOREINFO", "out of memory");
	return text;
}

/*
 * The CPUs' stacks alone, recorded afresh, and their hostile variants
 * (the top of this file says which).
 */
static void
cpu_seeds(kvm_t *kd, const char *here, const char *name, const char *vmci,
	  size_t vlen, const void *btf, size_t blen, const struct common *cm0)
{
	static struct kvm_frame best[KVM_STACK_MAX_FRAMES];
	size_t nbest = 0;
	int best_cpu = -1;
	char path[4096];

	if (cm0->ncpu == 0)
		return;
	nspans = 0;
	kvm_stack_fini(kd);
	kvm_tlb_flush(kd);
	bool text_only = kd->sym_text_only;
	size_t ncpus = kd->ncpus;
	kd->sym_text_only = false;
	kd->ncpus = cm0->ncpu;
	kd->format = &rec_ops;
	for (unsigned cpu = 0; cpu < cm0->ncpu; cpu++) {
		const struct kvm_stack *ks = kvm_getstack_cpu(kd, (int)cpu);
		if (ks)
			live_touch(kd, ks);
		if (ks && ks->ks_nframes > nbest) {
			nbest = ks->ks_nframes;
			best_cpu = (int)cpu;
			memcpy(best, ks->ks_frames, nbest * sizeof(*best));
		}
	}
	modules_touch(kd);
	kd->format = real_ops;
	kd->ncpus = ncpus;
	kd->sym_text_only = text_only;
	kvm_error_clear(kd);
	fprintf(stderr, "mkseeds-tasks: the CPUs' stacks alone: %zu reads; "
		"CPU %d has %zu frames\n", nspans, best_cpu, nbest);

	struct common cm = *cm0;
	struct kvm_cpu_state cpus[MAX_NOTES];
	memcpy(cpus, cm0->cpus, cm.ncpu * sizeof(*cpus));
	cm.cpus = cpus;
	npatch = 0;
	snprintf(path, sizeof(path), "%s/tasks/real-%s-cpus", here, name);
	write_seed(kd, path, vmci, vlen, btf, blen, &cm, nspans);
	uint64_t ip0, ip1, orc0, orc1;
	if (kd->e_machine == 62 &&
	    kvm_sym_lookup(kd, "__start_orc_unwind_ip", &ip0) == 0 &&
	    kvm_sym_lookup(kd, "__stop_orc_unwind_ip", &ip1) == 0 &&
	    kvm_sym_lookup(kd, "__start_orc_unwind", &orc0) == 0 &&
	    kvm_sym_lookup(kd, "__stop_orc_unwind", &orc1) == 0) {
		static const struct {
			const char *name;
			int to;
		} sps[] = { { "sp0", 0 }, { "sp8", 8 } };
		for (size_t i = 0; i < sizeof(sps) / sizeof(*sps); i++) {
			npatch = 0;
			sp_offset_to = sps[i].to;
			table_entries_read(kd, orc0, orc1, 6, orc_sp);
			snprintf(path, sizeof(path),
				 "%s/tasks/hostile-%s-stack-%s", here, name,
				 sps[i].name);
			write_seed(kd, path, vmci, vlen, btf, blen, &cm, nspans);
		}
		npatch = 0;
		table_entries_read(kd, ip0, ip1, 4, orc_ip);
		snprintf(path, sizeof(path), "%s/tasks/hostile-%s-stack-orc-ip",
			 here, name);
		write_seed(kd, path, vmci, vlen, btf, blen, &cm, nspans);
	}
	kvm_error_clear(kd);
	if (kd->e_machine == 62 && nmod >= 2 && best_cpu >= 0) {
		npatch = 0;
		/* The last module's next: the first (its prev still the head). */
		patch_va(kd, mod_node[nmod - 1], mod_node[0], 8);
		cpus[best_cpu].gregs[16] = mod_text[0] + 0x10; /* rip */
		snprintf(path, sizeof(path), "%s/tasks/hostile-%s-stack-modloop",
			 here, name);
		write_seed(kd, path, vmci, vlen, btf, blen, &cm, nspans);
		cpus[best_cpu] = cm0->cpus[best_cpu];
	}
	if (kd->e_machine == 183 && nbest >= 4) {
		/* Record i lies at frames[i + 1].kf_sp - 16; the third's
		   next: the first. */
		npatch = 0;
		patch_va(kd, best[3].kf_sp - 16, best[1].kf_sp - 16, 8);
		snprintf(path, sizeof(path), "%s/tasks/hostile-%s-stack-fpcycle",
			 here, name);
		write_seed(kd, path, vmci, vlen, btf, blen, &cm, nspans);
	}
	uint64_t pco;
	if (kd->e_machine == 183 && best_cpu > 0 &&
	    kvm_sym_lookup(kd, "__per_cpu_offset", &pco) == 0) {
		/*
		 * Off the stack the records' direction proves nothing: a
		 * record that is its own caller, in __per_cpu_offset[0] (CPU
		 * 0 then has no task), and the CPU's fp at it.
		 */
		npatch = 0;
		patch_va(kd, pco, pco, 8);
		cpus[best_cpu].gregs[29] = pco;
		snprintf(path, sizeof(path), "%s/tasks/hostile-%s-stack-fpself",
			 here, name);
		write_seed(kd, path, vmci, vlen, btf, blen, &cm, nspans);
		cpus[best_cpu] = cm0->cpus[best_cpu];
	}
	kvm_error_clear(kd);
	npatch = 0;
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
	struct btf *cut = cut_btf(kd, kd->btf, of);
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
	char *found = kd->vmcoreinfo_text ? NULL : found_vmcoreinfo(kd);
	const char *vtext = kd->vmcoreinfo_text ? kd->vmcoreinfo_text
			    : found			 ? found
							 : "";
	size_t vlen = strlen(vtext);
	char *vfull = malloc(vlen + offs_len + 1);
	if (!vfull)
		die("VMCOREINFO", "out of memory");
	memcpy(vfull, vtext, vlen);
	memcpy(vfull + vlen, offs, offs_len + 1);

	/*
	 * The symbols the unwinders want, found now: kallsyms without data
	 * symbols makes the library scan the image's exported symbols for
	 * them, which the recorded walk must not do (the seeds give the
	 * symbols).  Then the walk runs with only what the table has, as
	 * fuzz_tasks gives it, and the names it looks up are recorded.
	 */
	for (size_t i = 0; i < sizeof(stack_syms) / sizeof(*stack_syms); i++) {
		uint64_t a;
		if (kvm_sym_lookup(kd, stack_syms[i], &a) == 0)
			rec_name(stack_syms[i], &a);
	}
	kvm_error_clear(kd);
	bool text_only = kd->sym_text_only;
	kd->sym_text_only = false;
	kd->resolver = rec_name;
	/* The CPU notes the seeds hold (fuzz_tasks reads at most 2). */
	struct common cm = { .init_task = nl[0].n_value,
			     .avenrun = nl[1].n_value,
			     .cpus = kd->cpus };
	while (cm.ncpu < KVM_MIN(kd->ncpus, (size_t)MAX_NOTES) &&
	       kd->cpus[cm.ncpu].have_prstatus)
		cm.ncpu++;
	size_t ncpus = kd->ncpus;
	kd->ncpus = cm.ncpu;

	/* The walk, recorded; the caches emptied so that it reads again. */
	real_ops = kd->format;
	rec_ops = *kd->format;
	rec_ops.read_phys = rec_read;
	rec_ops.phys_ptr = NULL;
	kd->format = &rec_ops;
	kvm_tlb_flush(kd);
	walk(kd, (int)cm.ncpu);
	kd->format = real_ops;
	kd->ncpus = ncpus;
	kd->resolver = NULL;
	kd->sym_text_only = text_only;
	char *syms = symbol_text(kd, &cm.slen);
	cm.syms = syms;
	fprintf(stderr, "mkseeds-tasks: %zu symbols looked up, %zu lines of "
		"symbols, %u CPU notes\n", nnames, nsyml, cm.ncpu);
	/*
	 * Without BTF, the VMCOREINFO seeds cannot place runqueues by its
	 * per-CPU offset: they get the address the BTF gave, as a symbol.
	 */
	struct common cmv = cm;
	char *vsyms = NULL;
	uint64_t rq;
	if (percpu_address(kd, "runqueues", &rq) == 0) {
		if (asprintf(&vsyms, "%s%016llx D runqueues\n", syms,
			     (unsigned long long)rq) < 0)
			die("symbols", "out of memory");
		cmv.syms = vsyms;
		cmv.slen = strlen(vsyms);
	}

	size_t ks[] = { nspans, stack_spans + (nspans - stack_spans) / 2,
			nspans / 4, 16 };
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		if (ks[i] == 0 || (i > 0 && ks[i] >= ks[i - 1]))
			continue;
		snprintf(path, sizeof(path), "%s/tasks/real-%s-btf-%zu", here,
			 argv[2], ks[i]);
		write_seed(kd, path, vtext, vlen, braw, blen, &cm, ks[i]);
		snprintf(path, sizeof(path), "%s/tasks/real-%s-vmci-%zu", here,
			 argv[2], ks[i]);
		write_seed(kd, path, vfull, vlen + offs_len, NULL, 0, &cmv,
			   ks[i]);
	}
	cpu_seeds(kd, here, argv[2], vtext, vlen, braw, blen, &cm);
	free(syms);
	free(vsyms);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	btf__free(cut);
	free(offs);
	free(vfull);
	free(found);
	kvm_close(kd);
	return 0;
}
