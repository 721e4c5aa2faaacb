// SPDX-License-Identifier: BSD-2-Clause
/*
 * x86_64 stacks by ORC, the unwind tables the kernel keeps in its own
 * memory (arch/x86/kernel/unwind_orc.c does the same walk): for each text
 * address, where the caller's sp is (from sp, bp or a few other
 * registers), whether the frame is a call, a full pt_regs or an iret
 * frame, and where the caller's bp was saved.  The vmlinux tables are
 * found through kallsyms, a module's through struct module's arch member.
 *
 * struct orc_entry is 6 bytes: s16 sp_offset, s16 bp_offset (fp_offset
 * from 6.16), then bitfields sp_reg:4, bp_reg:4 and
 *   up to 6.2  type:2 (CALL 0, REGS 1, REGS_PARTIAL 2), end:1;
 *   6.3        type:2, signal:1, end:1;
 *   6.4 on     type:3 (UNDEFINED 0, END_OF_STACK 1, CALL 2, REGS 3,
 *              REGS_PARTIAL 4), signal:1.
 * Which one a kernel has is read from its BTF (the members and their bit
 * positions); without BTF, .orc_header (6.4 on) tells the last from the
 * others, and the release the first two apart.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

/* ORC base registers (arch/x86/include/asm/orc_types.h; never renumbered). */
enum {
	ORC_REG_UNDEFINED = 0,
	ORC_REG_PREV_SP = 1,
	ORC_REG_DX = 2,
	ORC_REG_DI = 3,
	ORC_REG_BP = 4,
	ORC_REG_SP = 5,
	ORC_REG_R10 = 6,
	ORC_REG_R13 = 7,
	ORC_REG_BP_INDIRECT = 8,
	ORC_REG_SP_INDIRECT = 9,
};

/* Frame types, as 6.4 numbers them; older layouts are mapped to these. */
enum {
	T_UNDEFINED = 0,
	T_END = 1,
	T_CALL = 2,
	T_REGS = 3,
	T_REGS_PARTIAL = 4,
};

/* struct pt_regs, in words (arch/x86/include/asm/ptrace.h). */
enum {
	PT_R15,
	PT_R14,
	PT_R13,
	PT_R12,
	PT_BP,
	PT_BX,
	PT_R11,
	PT_R10,
	PT_R9,
	PT_R8,
	PT_AX,
	PT_CX,
	PT_DX,
	PT_SI,
	PT_DI,
	PT_ORIG_AX,
	PT_IP,
	PT_CS,
	PT_FLAGS,
	PT_SP,
	PT_SS,
	PT_NREGS
};
#define PT_IRET_OFF (PT_IP * 8) /* an iret frame starts at pt_regs.ip */

/* DWARF numbers of the pt_regs words (-1: none). */
static const int8_t pt_dwarf[PT_NREGS] = { 15, 14, 13, 12, 6,  3, 11,
					   10, 9,  8,  0,  2,  1, 4,
					   5,  -1, 16, -1, -1, 7, -1 };

/* A text range and its ORC tables (vmlinux or one module). */
struct orc_table {
	uint64_t ip, orc; /* int32 ip[n], struct orc_entry orc[n] */
	uint64_t n;
	uint64_t lo, hi; /* the text addresses it covers */
	char name[64];	 /* module name; "" for vmlinux */
};

struct x86_orc {
	int state;		    /* 0 not loaded, 1 loaded, -code failed */
	char why[_POSIX2_LINE_MAX]; /* its message */
	struct orc_table vmlinux;
	struct orc_table *mods;
	size_t nmods;
	bool mods_done;
	/* Layout: bit positions counted from the entry's bit 32. */
	unsigned type_shift, type_bits;
	int end_shift, signal_shift;  /* -1: not in this layout */
	bool new_types;		      /* 6.4's type numbers */
	bool sp_indirect_deref_first; /* SP_INDIRECT as since 5.12 */
	uint64_t ret_from_fork[2];
	/* struct inactive_task_frame, task_struct.thread.sp */
	uint64_t itf_size, itf_bp, itf_ret, itf_bx, itf_r12;
	int64_t t_thread_sp;
};

#define ORC_MAX_ENTRIES (16u << 20)

struct orc {
	int16_t sp_offset, bp_offset;
	unsigned sp_reg, bp_reg, type;
	bool signal;
};

/* ---------------------------------------------------------- loading */

static int
release_at_least(kvm_t *kd, int major, int minor)
{
	char rel[65];
	int a, b;

	if (kvm_proc_release(kd, rel, sizeof(rel)) ||
	    sscanf(rel, "%d.%d", &a, &b) != 2) {
		kvm_error_clear(kd);
		return -1;
	}
	return a > major || (a == major && b >= minor);
}

/* The orc_entry layout, from BTF when it has the type. */
static int
layout_load(kvm_t *kd, struct x86_orc *o)
{
	uint64_t tbits, tsize, bits, size;
	bool bf;
	bool has_end = kvm_types_member(kd, "orc_entry", "end", &bits, &size,
					&bf) == 0;
	int64_t end_bits = has_end ? (int64_t)bits : -1;
	bool has_signal = kvm_types_member(kd, "orc_entry", "signal", &bits,
					   &size, &bf) == 0;
	int64_t sig_bits = has_signal ? (int64_t)bits : -1;

	if (kvm_types_member(kd, "orc_entry", "type", &tbits, &tsize, &bf) ==
	    0) {
		if (tbits < 40 || tbits > 44 || (has_end && end_bits < 40) ||
		    (has_signal && sig_bits < 40))
			return kvm_error(kd, KVM_ECORRUPT,
					 "BTF: struct orc_entry has type at bit "
					 "%llu: not a layout that shipped",
					 (unsigned long long)tbits);
		o->type_shift = (unsigned)(tbits - 32);
		o->end_shift = has_end ? (int)(end_bits - 32) : -1;
		o->signal_shift = has_signal ? (int)(sig_bits - 32) : -1;
		/* 6.4 dropped end and widened type to 3 bits. */
		o->new_types = !has_end;
		o->type_bits = o->new_types ? 3 : 2;
		kvm_error_clear(kd);
		return 0;
	}
	kvm_error_clear(kd);
	/* No BTF: .orc_header exists from 6.4 on. */
	uint64_t hdr;
	if (kvm_sym_lookup(kd, "__start_orc_header", &hdr) == 0) {
		o->type_shift = 8;
		o->type_bits = 3;
		o->signal_shift = 11;
		o->end_shift = -1;
		o->new_types = true;
	} else {
		o->type_shift = 8;
		o->type_bits = 2;
		o->end_shift = 10;
		o->signal_shift = -1;
		if (release_at_least(kd, 6, 3) == 1) {
			o->signal_shift = 10;
			o->end_shift = 11;
		}
	}
	kvm_error_clear(kd);
	return 0;
}

static int
read_image(kvm_t *kd, uint64_t va, void *buf, size_t len)
{
	size_t done;

	return kvm_virt_read_image(kd, va, buf, len, &done);
}

static int
orc_ip_at(kvm_t *kd, const struct orc_table *t, uint64_t i, uint64_t *ip)
{
	uint8_t b[4];
	int err = read_image(kd, t->ip + 4 * i, b, 4);

	if (!err)
		*ip = t->ip + 4 * i +
		      (uint64_t)(int64_t)(int32_t)kvm_tgt_uint(kd, b, 4);
	return err;
}

/* Check a table's extent and find the text range it covers. */
static int
table_finish(kvm_t *kd, struct orc_table *t, const char *what)
{
	if (t->n == 0 || t->n > ORC_MAX_ENTRIES)
		return kvm_error(kd, KVM_ECORRUPT,
				 "%s: %llu ORC entries (the tables are corrupt)",
				 what, (unsigned long long)t->n);
	if (orc_ip_at(kd, t, 0, &t->lo) || orc_ip_at(kd, t, t->n - 1, &t->hi))
		return kvm_error_ctx(kd, "%s: ORC table", what);
	if (t->hi < t->lo)
		return kvm_error(kd, KVM_ECORRUPT,
				 "%s: the ORC table is not sorted", what);
	t->hi++;
	return 0;
}

static int
vmlinux_load(kvm_t *kd, struct x86_orc *o)
{
	uint64_t ip0, ip1, orc0, orc1;
	int err;

	if ((err = kvm_sym_lookup(kd, "__start_orc_unwind_ip", &ip0)) ||
	    (err = kvm_sym_lookup(kd, "__stop_orc_unwind_ip", &ip1)) ||
	    (err = kvm_sym_lookup(kd, "__start_orc_unwind", &orc0)) ||
	    (err = kvm_sym_lookup(kd, "__stop_orc_unwind", &orc1))) {
		if (err == -KVM_ENOENT) {
			/* The cause first: kvm_error() writes kd->errbuf. */
			char why[sizeof(kd->errbuf)];
			snprintf(why, sizeof(why), "%s", kd->errbuf);
			return kvm_error(kd, KVM_ENOTSUP,
					 "no ORC unwind tables (a kernel "
					 "without CONFIG_UNWINDER_ORC?): %s",
					 why);
		}
		return err;
	}
	if (ip1 < ip0 || orc1 < orc0 || (ip1 - ip0) % 4 ||
	    (orc1 - orc0) / 6 != (ip1 - ip0) / 4 || (orc1 - orc0) % 6)
		return kvm_error(kd, KVM_ECORRUPT,
				 "the ORC tables' bounds disagree (%llu bytes "
				 "of addresses, %llu of entries)",
				 (unsigned long long)(ip1 - ip0),
				 (unsigned long long)(orc1 - orc0));
	o->vmlinux.ip = ip0;
	o->vmlinux.orc = orc0;
	o->vmlinux.n = (ip1 - ip0) / 4;
	return table_finish(kd, &o->vmlinux, "vmlinux");
}

static int
unwinder_load(kvm_t *kd, struct x86_orc *o)
{
	uint64_t off, size;
	int err;

	if ((err = layout_load(kd, o)) || (err = vmlinux_load(kd, o)))
		return err;
	int r = release_at_least(kd, 5, 12);
	o->sp_indirect_deref_first = r != 0; /* unknown: the newer meaning */
	static const char *const rff[] = { "ret_from_fork_asm",
					   "ret_from_fork" };
	for (int i = 0; i < 2; i++)
		if (kvm_sym_lookup(kd, rff[i], &o->ret_from_fork[i]))
			o->ret_from_fork[i] = 0;
	kvm_error_clear(kd);
	if ((err = kvm_types_offsetof(kd, "task_struct", "thread.sp", &off,
				      &size)))
		return kvm_error_ctx(kd, "x86_64 stacks");
	o->t_thread_sp = (int64_t)off;
	/* struct inactive_task_frame: stable since 4.9; BTF when it has it. */
	o->itf_size = 56;
	o->itf_r12 = 24;
	o->itf_bx = 32;
	o->itf_bp = 40;
	o->itf_ret = 48;
	if (kvm_types_sizeof(kd, "inactive_task_frame", &size) == 0 &&
	    size >= 16 && size <= 256) {
		o->itf_size = size;
		if (kvm_types_offsetof(kd, "inactive_task_frame", "bp", &off,
				       &size) == 0)
			o->itf_bp = off;
		if (kvm_types_offsetof(kd, "inactive_task_frame", "ret_addr",
				       &off, &size) == 0)
			o->itf_ret = off;
		if (kvm_types_offsetof(kd, "inactive_task_frame", "bx", &off,
				       &size) == 0)
			o->itf_bx = off;
		if (kvm_types_offsetof(kd, "inactive_task_frame", "r12", &off,
				       &size) == 0)
			o->itf_r12 = off;
	}
	kvm_error_clear(kd);
	if (o->itf_bp + 8 > o->itf_size || o->itf_ret + 8 > o->itf_size ||
	    o->itf_bx + 8 > o->itf_size || o->itf_r12 + 32 > o->itf_size)
		return kvm_error(kd, KVM_ECORRUPT,
				 "BTF: struct inactive_task_frame's members lie "
				 "past its end");
	return 0;
}

static int
ensure(kvm_t *kd, struct x86_orc **o_ret)
{
	struct x86_orc *o = kd->stack->arch;

	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o)
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		kd->stack->arch = o;
	}
	if (o->state == 0) {
		int err = unwinder_load(kd, o);
		o->state = err ? err : 1;
		if (err)
			snprintf(o->why, sizeof(o->why), "%s", kd->errbuf);
	}
	if (o->state < 0)
		return kvm_error(kd, -o->state, "%s", o->why);
	*o_ret = o;
	return 0;
}

/* The loaded modules' tables (modules.c reads the list), once. */
static void
modules_load(kvm_t *kd, struct x86_orc *o)
{
	size_t n;

	if (o->mods_done)
		return;
	o->mods_done = true;
	const struct kvm_module *m = kvm_stack_modules(kd, &n);
	if (!n || !(o->mods = calloc(n, sizeof(*o->mods))))
		return;
	for (size_t i = 0; i < n; i++) {
		struct orc_table t = { .ip = m[i].orc_ip,
				       .orc = m[i].orc,
				       .n = m[i].norcs };
		memcpy(t.name, m[i].name, sizeof(t.name));
		if (t.n && t.n <= ORC_MAX_ENTRIES && t.ip && t.orc &&
		    table_finish(kd, &t, t.name) == 0) {
			/* Text without entries still names its module. */
			t.lo = KVM_MIN(t.lo, m[i].text_lo);
			t.hi = KVM_MAX(t.hi, m[i].text_hi);
		} else {
			t.n = 0;
			t.lo = m[i].text_lo;
			t.hi = m[i].text_hi;
		}
		o->mods[o->nmods++] = t;
	}
	kvm_error_clear(kd);
}

/* ----------------------------------------------------------- lookup */

static void
decode(kvm_t *kd, const struct x86_orc *o, const uint8_t e[6], struct orc *r)
{
	uint16_t bits = (uint16_t)kvm_tgt_uint(kd, e + 4, 2);

	r->sp_offset = (int16_t)kvm_tgt_uint(kd, e, 2);
	r->bp_offset = (int16_t)kvm_tgt_uint(kd, e + 2, 2);
	r->sp_reg = bits & 0xf;
	r->bp_reg = (bits >> 4) & 0xf;
	unsigned type = (bits >> o->type_shift) & ((1u << o->type_bits) - 1);
	bool end = o->end_shift >= 0 && ((bits >> o->end_shift) & 1);
	r->signal = o->signal_shift >= 0 && ((bits >> o->signal_shift) & 1);
	if (o->new_types) {
		r->type = type;
	} else if (r->sp_reg == ORC_REG_UNDEFINED) {
		/* Before 6.4: no sp is the end when flagged, else unknown. */
		r->type = end ? T_END : T_UNDEFINED;
	} else {
		r->type = type <= 2 ? type + T_CALL : T_UNDEFINED;
	}
}

/*
 * The entry for ip: 1 found (*r; *mod the module name or NULL; *t_ret
 * and *idx_ret where it is), 0 none, or an error.  The rightmost entry
 * at or below ip, as the kernel's __orc_find (section terminators are
 * weak duplicates).
 */
static int
orc_find_at(kvm_t *kd, struct x86_orc *o, uint64_t ip, struct orc *r,
	    const char **mod, const struct orc_table **t_ret, uint64_t *idx_ret)
{
	const struct orc_table *t = NULL;

	*mod = NULL;
	if (ip >= o->vmlinux.lo && ip < o->vmlinux.hi) {
		t = &o->vmlinux;
	} else {
		modules_load(kd, o);
		for (size_t i = 0; i < o->nmods; i++)
			if (ip >= o->mods[i].lo && ip < o->mods[i].hi) {
				t = &o->mods[i];
				*mod = t->name;
				break;
			}
	}
	if (!t || t->n == 0)
		return 0;
	uint64_t lo = 0, hi = t->n, v;
	int err;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if ((err = orc_ip_at(kd, t, mid, &v)))
			return kvm_error_ctx(kd, "ORC table");
		if (v <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	uint8_t e[6];
	if ((err = read_image(kd, t->orc + 6 * (lo - 1), e, 6)))
		return kvm_error_ctx(kd, "ORC entry");
	decode(kd, o, e, r);
	*t_ret = t;
	*idx_ret = lo - 1;
	return 1;
}

/*
 * A CPU's saved pc may lie in code that ORC does not describe: the kernel
 * that took a kdump saved the panicking CPU's registers in __crash_kexec,
 * which objtool leaves without entries in some builds.  Then look up the
 * stack, as crash(8) does for such a task, for the first word that is a
 * return address from a direct call to the function holding the pc: the
 * caller's frame, from which ORC goes on.  A guess, flagged.  1 found
 * (s->ip, s->sp set), 0 none, or an error.
 */
#define SCAN_BYTES 2048

static int
scan_for_caller(kvm_t *kd, struct x86_orc *o, struct kvm_unwind *u,
		uint64_t *ip, uint64_t *sp)
{
	const char *name, *mod;
	uint64_t start, size, rstart, rsize;
	struct orc r;
	const struct orc_table *t;
	uint64_t idx;

	if (kvm_sym_at(kd, *ip, &name, &start, &size)) {
		kvm_error_clear(kd);
		return 0;
	}
	for (uint64_t a = *sp; a - *sp < SCAN_BYTES; a += 8) {
		uint64_t w;
		uint8_t call[5];
		if (kvm_unwind_word(kd, u, a, &w))
			break;
		if (w < 5 || kvm_sym_at(kd, w - 1, &name, &rstart, &rsize))
			continue;
		if (read_image(kd, w - 5, call, 5) || call[0] != 0xe8)
			continue;
		int32_t rel = (int32_t)kvm_tgt_uint(kd, call + 1, 4);
		if (w + (uint64_t)(int64_t)rel != start)
			continue;
		int f = orc_find_at(kd, o, w - 1, &r, &mod, &t, &idx);
		if (f < 0)
			return f;
		if (f == 0 || r.type != T_CALL)
			continue;
		*ip = w;
		*sp = a + 8;
		return 1;
	}
	kvm_error_clear(kd);
	return 0;
}

/* ------------------------------------------------------------ start */

static void
set_reg(struct kvm_unwind *u, int dwarf, uint64_t v)
{
	u->regs[dwarf] = v;
	u->valid |= 1ull << dwarf;
}

static int
x86_start_sleeping(kvm_t *kd, struct kvm_unwind *u)
{
	struct x86_orc *o;
	uint64_t sp;
	uint8_t f[256];
	int err;

	if ((err = ensure(kd, &o)))
		return err;
	if ((err = kvm_unwind_word(kd, u, u->task + o->t_thread_sp, &sp)))
		return kvm_error_ctx(kd, "thread.sp");
	if (!u->stack_size)
		u->stack_size = 16384; /* THREAD_SIZE without KASAN */
	if (!kvm_unwind_on_stack(u, sp, o->itf_size))
		return kvm_error(kd, KVM_ECORRUPT,
				 "the saved sp 0x%llx is not on the task's "
				 "stack [0x%llx, +0x%llx)",
				 (unsigned long long)sp,
				 (unsigned long long)u->stack_base,
				 (unsigned long long)u->stack_size);
	if ((err = kvm_unwind_read(kd, u, sp, f, o->itf_size)))
		return err;
	set_reg(u, KVM_REG_X86_64_RSP, sp + o->itf_size);
	set_reg(u, KVM_REG_X86_64_RBP, kvm_tgt_uint(kd, f + o->itf_bp, 8));
	set_reg(u, KVM_REG_X86_64_RIP, kvm_tgt_uint(kd, f + o->itf_ret, 8));
	set_reg(u, 3, kvm_tgt_uint(kd, f + o->itf_bx, 8));
	for (int i = 0; i < 4; i++) /* r12..r15 lie r15 first */
		set_reg(u, 12 + i,
			kvm_tgt_uint(kd, f + o->itf_r12 - 8 * (uint64_t)i, 8));
	u->at_regs = false;
	return 0;
}

static int
x86_start_cpu(kvm_t *kd, struct kvm_unwind *u, const struct kvm_cpu_state *c)
{
	struct x86_orc *o;
	int err;

	if ((err = ensure(kd, &o)))
		return err;
	if (c->ngregs < PT_NREGS)
		return kvm_error(kd, KVM_ECORRUPT,
				 "the CPU's NT_PRSTATUS holds %u registers, "
				 "not x86_64's %d",
				 c->ngregs, PT_NREGS);
	for (int i = 0; i < PT_NREGS; i++)
		if (pt_dwarf[i] >= 0)
			set_reg(u, pt_dwarf[i], c->gregs[i]);
	if (!u->stack_size)
		u->stack_size = 16384;
	u->at_regs = true;
	u->mode = c->gregs[PT_CS];
	return 0;
}

/* ------------------------------------------------------------- walk */

struct state {
	uint64_t ip, sp, bp;
	uint64_t pt[PT_NREGS]; /* the registers of the last pt_regs frame */
	bool have_pt, full_pt;
	bool signal; /* ip is not a return address */
	bool unreliable;
};

static bool
user_mode(const struct state *s)
{
	return s->have_pt && (s->pt[PT_CS] & 3) != 0;
}

static int
get_reg(kvm_t *kd, const struct state *s, int pt, uint64_t ip, uint64_t *v)
{
	if (!s->have_pt || (!s->full_pt && pt < PT_IP))
		return kvm_error(kd, KVM_ECORRUPT,
				 "ORC at 0x%llx needs a register no frame saved",
				 (unsigned long long)ip);
	*v = s->pt[pt];
	return 0;
}

/* The frame-pointer guess for text without ORC (BPF JIT, trampolines). */
static const struct orc orc_fp = {
	.sp_reg = ORC_REG_BP,
	.sp_offset = 16,
	.bp_reg = ORC_REG_PREV_SP,
	.bp_offset = -16,
	.type = T_CALL,
};

/* The caller's sp, as entry r says to find it. */
static int
orc_prev_sp(kvm_t *kd, const struct x86_orc *o, struct kvm_unwind *u,
	    const struct state *s, const struct orc *rp, uint64_t *sp_ret)
{
	const struct orc r = *rp;
	bool indirect = false;
	uint64_t sp = 0;
	int err;

	switch (r.sp_reg) {
	case ORC_REG_SP:
		sp = s->sp + (uint64_t)(int64_t)r.sp_offset;
		break;
	case ORC_REG_BP:
		sp = s->bp + (uint64_t)(int64_t)r.sp_offset;
		break;
	case ORC_REG_SP_INDIRECT:
		sp = o->sp_indirect_deref_first
			     ? s->sp
			     : s->sp + (uint64_t)(int64_t)r.sp_offset;
		indirect = true;
		break;
	case ORC_REG_BP_INDIRECT:
		sp = s->bp + (uint64_t)(int64_t)r.sp_offset;
		indirect = true;
		break;
	case ORC_REG_R10:
	case ORC_REG_R13:
	case ORC_REG_DI:
	case ORC_REG_DX: {
		/* The caller's sp in a register the last pt_regs saved. */
		static const int pt_of[] = { [ORC_REG_R10] = PT_R10,
					     [ORC_REG_R13] = PT_R13,
					     [ORC_REG_DI] = PT_DI,
					     [ORC_REG_DX] = PT_DX };
		if ((err = get_reg(kd, s, pt_of[r.sp_reg], s->ip, &sp)))
			return err;
		break;
	}
	default:
		return kvm_error(kd, KVM_ECORRUPT,
				 "ORC at 0x%llx: unknown sp register %u",
				 (unsigned long long)s->ip, r.sp_reg);
	}
	if (indirect) {
		if ((err = kvm_unwind_word(kd, u, sp, &sp)))
			return err;
		if (r.sp_reg == ORC_REG_SP_INDIRECT &&
		    o->sp_indirect_deref_first)
			sp += (uint64_t)(int64_t)r.sp_offset;
	}
	*sp_ret = sp;
	return 0;
}

/* The caller's ip and sp (and saved registers), by r's type. */
static int
orc_restore(kvm_t *kd, struct kvm_unwind *u, struct state *s,
	    const struct orc *rp, uint64_t sp, uint64_t *regs_at,
	    unsigned *flags)
{
	const struct orc r = *rp;
	int err;

	switch (r.type) {
	case T_CALL:
		if ((err = kvm_unwind_word(kd, u, sp - 8, &s->ip)))
			return err;
		s->sp = sp;
		s->have_pt = false;
		s->signal = r.signal;
		break;
	case T_REGS: {
		uint8_t b[PT_NREGS * 8];
		if ((err = kvm_unwind_read(kd, u, sp, b, sizeof(b))))
			return err;
		for (int i = 0; i < PT_NREGS; i++)
			s->pt[i] = kvm_tgt_uint(kd, b + 8 * i, 8);
		s->have_pt = s->full_pt = true;
		s->ip = s->pt[PT_IP];
		s->sp = s->pt[PT_SP];
		s->signal = true;
		*regs_at = sp;
		*flags = KVM_FRAME_REGS;
		break;
	}
	default: { /* T_REGS_PARTIAL: an iret frame, ip cs flags sp ss */
		uint8_t b[5 * 8];
		if ((err = kvm_unwind_read(kd, u, sp, b, sizeof(b))))
			return err;
		for (int i = 0; i < 5; i++)
			s->pt[PT_IP + i] = kvm_tgt_uint(kd, b + 8 * i, 8);
		s->have_pt = true;
		s->full_pt = false;
		s->ip = s->pt[PT_IP];
		s->sp = s->pt[PT_SP];
		s->signal = true;
		*regs_at = sp - PT_IRET_OFF;
		*flags = KVM_FRAME_REGS;
		break;
	}
	}
	return 0;
}

/* The caller's bp, as entry r says to find it. */
static int
orc_prev_bp(kvm_t *kd, struct kvm_unwind *u, struct state *s,
	    const struct orc *rp, uint64_t sp)
{
	const struct orc r = *rp;
	uint64_t v;
	int err;

	switch (r.bp_reg) {
	case ORC_REG_UNDEFINED:
		if (s->have_pt && s->full_pt)
			s->bp = s->pt[PT_BP];
		break;
	case ORC_REG_PREV_SP:
		if ((err = kvm_unwind_word(kd, u,
					   sp + (uint64_t)(int64_t)r.bp_offset,
					   &s->bp)))
			return err;
		break;
	case ORC_REG_BP:
		if ((err = kvm_unwind_word(kd, u,
					   s->bp + (uint64_t)(int64_t)
							   r.bp_offset,
					   &v)))
			return err;
		s->bp = v;
		break;
	default:
		return kvm_error(kd, KVM_ECORRUPT,
				 "ORC at 0x%llx: unknown bp register %u",
				 (unsigned long long)s->ip, r.bp_reg);
	}
	return 0;
}

static int
step(kvm_t *kd, struct x86_orc *o, struct kvm_unwind *u, struct state *s,
     bool *done)
{
	struct orc r = orc_fp;
	const char *mod;
	uint64_t sp = 0;
	int err;

	*done = false;
	if (user_mode(s)) {
		*done = true;
		return 0;
	}
	uint64_t look = s->signal ? s->ip : s->ip - 1;
	const struct orc_table *t = NULL;
	uint64_t idx = 0;
	int found = orc_find_at(kd, o, look, &r, &mod, &t, &idx);
	if (found < 0)
		return found;
	if ((!found || r.type == T_UNDEFINED) && u->at_regs && u->n == 1) {
		uint64_t ip = s->ip, csp = s->sp;
		int got = scan_for_caller(kd, o, u, &ip, &csp);
		if (got < 0)
			return got;
		if (!got)
			return kvm_error(kd, KVM_ENODATA,
					 "no unwind data for the CPU's pc 0x%llx, "
					 "and no caller found on the stack",
					 (unsigned long long)s->ip);
		/* The caller's frame; ORC goes on from there. */
		s->ip = ip;
		s->sp = csp;
		s->have_pt = false;
		s->signal = false;
		s->unreliable = true;
		return kvm_unwind_push(kd, u, ip, csp, 0, KVM_FRAME_UNRELIABLE);
	}
	if (!found) {
		r = orc_fp;
		s->unreliable = true;
	}
	switch (r.type) {
	case T_END:
		*done = true;
		return 0;
	case T_CALL:
	case T_REGS:
	case T_REGS_PARTIAL:
		break;
	default:
		return kvm_error(kd, KVM_ECORRUPT,
				 "no unwind data for 0x%llx (ORC type %u)",
				 (unsigned long long)s->ip, r.type);
	}
	if ((err = orc_prev_sp(kd, o, u, s, &r, &sp)))
		return err;
	uint64_t prev_sp = s->sp, regs_at = 0;
	unsigned flags = 0;
	if ((err = orc_restore(kd, u, s, &r, sp, &regs_at, &flags)) ||
	    (err = orc_prev_bp(kd, u, s, &r, sp)))
		return err;
	/* Bad data must not loop: on one stack, sp only grows. */
	if (!user_mode(s) && kvm_unwind_on_stack(u, prev_sp, 8) &&
	    kvm_unwind_on_stack(u, s->sp, 8) && s->sp <= prev_sp)
		return kvm_error(kd, KVM_ECORRUPT,
				 "the stack goes the wrong way at 0x%llx "
				 "(sp 0x%llx after 0x%llx)",
				 (unsigned long long)s->ip,
				 (unsigned long long)s->sp,
				 (unsigned long long)prev_sp);
	if (user_mode(s))
		flags |= KVM_FRAME_USER;
	if (s->unreliable)
		flags |= KVM_FRAME_UNRELIABLE;
	return kvm_unwind_push(kd, u, s->ip, s->sp, regs_at, flags);
}

static int
x86_walk(kvm_t *kd, struct kvm_unwind *u)
{
	struct x86_orc *o;
	struct state s = { 0 };
	int err;

	if ((err = ensure(kd, &o)))
		return err;
	s.ip = u->regs[KVM_REG_X86_64_RIP];
	s.sp = u->regs[KVM_REG_X86_64_RSP];
	s.bp = u->regs[KVM_REG_X86_64_RBP];
	unsigned flags = 0;
	if (u->at_regs) {
		/* The CPU's registers: a full pt_regs, ip not a return. */
		for (int i = 0; i < PT_NREGS; i++)
			s.pt[i] = pt_dwarf[i] >= 0 ? u->regs[pt_dwarf[i]] : 0;
		s.pt[PT_CS] = u->mode;
		s.have_pt = s.full_pt = true;
		s.signal = true;
		flags = KVM_FRAME_REGS | (user_mode(&s) ? KVM_FRAME_USER : 0);
	} else {
		/* A task that never ran resumes at ret_from_fork: no call. */
		s.signal = s.ip && (s.ip == o->ret_from_fork[0] ||
				    s.ip == o->ret_from_fork[1]);
	}
	if ((err = kvm_unwind_push(kd, u, s.ip, s.sp, 0, flags)))
		return err;
	for (;;) {
		bool done;
		if ((err = step(kd, o, u, &s, &done)))
			return err;
		if (done) {
			u->frames[u->n - 1].kf_flags |= KVM_FRAME_END;
			return 0;
		}
	}
}

static void
x86_fini(kvm_t *kd)
{
	struct x86_orc *o = kd->stack ? kd->stack->arch : NULL;

	if (o) {
		free(o->mods);
		free(o);
		kd->stack->arch = NULL;
	}
}

const struct kvm_unwinder kvm_unwind_x86_64 = {
	.e_machine = EM_X86_64,
	.start_sleeping = x86_start_sleeping,
	.start_cpu = x86_start_cpu,
	.walk = x86_walk,
	.fini = x86_fini,
};
