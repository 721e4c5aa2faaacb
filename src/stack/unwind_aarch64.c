// SPDX-License-Identifier: BSD-2-Clause
/*
 * aarch64 stacks by frame records (arch/arm64/kernel/stacktrace.c): the
 * kernel is built with frame pointers, each frame holds {fp, lr} and fp
 * points at the caller's record.  The chain of a task ends at the record
 * in its own pt_regs, at the top of its stack.  Since 6.13 the records in
 * pt_regs are "meta" records ({0, 0} and a type): FINAL ends the stack,
 * PT_REGS is an exception entry, whose pt_regs give the interrupted pc and
 * fp.  Return addresses may carry a pointer-authentication code in their
 * top bits; VMCOREINFO's KERNELPACMASK says which bits to restore.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

/* struct user_pt_regs at the start of pt_regs (uapi: stable). */
#define PT_X29 (29 * 8)
#define PT_SP 248
#define PT_PC 256
#define PT_PSTATE 264

/* The stack sizes a kernel can have (THREAD_SIZE): tried in order. */
static const uint64_t thread_sizes[] = { 16384, 32768, 65536, 8192 };

/* frame_record_meta.type (arch/arm64/include/asm/stacktrace/frame.h). */
#define META_TYPE_FINAL 1
#define META_TYPE_PT_REGS 2

struct a64 {
	int state; /* 0 not loaded, 1 loaded, -code failed */
	char why[_POSIX2_LINE_MAX];
	int64_t t_fp, t_sp, t_pc;   /* task_struct.thread.cpu_context.* */
	uint64_t pt_size, pt_frame; /* sizeof(pt_regs), its stackframe */
	bool meta;		    /* 6.13+: frame_record_meta */
	uint64_t meta_type;	    /* offset of its type */
	uint64_t pac_mask;	    /* KERNELPACMASK, 0 none */
};

uint64_t
kvm_aarch64_strip_pac(uint64_t pc, uint64_t mask)
{
	/* Bit 55 tells the kernel half from the user half (TBI). */
	return (pc & (1ull << 55)) ? pc | mask : pc & ~mask;
}

static int
load(kvm_t *kd, struct a64 *a)
{
	uint64_t off, size;
	int64_t m;
	int err;

	static const char *const ctx[] = { "thread.cpu_context.fp",
					   "thread.cpu_context.sp",
					   "thread.cpu_context.pc" };
	int64_t *dst[] = { &a->t_fp, &a->t_sp, &a->t_pc };
	for (int i = 0; i < 3; i++) {
		if ((err = kvm_types_offsetof(kd, "task_struct", ctx[i], &off,
					      &size)))
			return kvm_error_ctx(kd, "aarch64 stacks");
		*dst[i] = (int64_t)off;
	}
	if ((err = kvm_types_sizeof(kd, "pt_regs", &a->pt_size)) ||
	    (err = kvm_types_offsetof(kd, "pt_regs", "stackframe", &a->pt_frame,
				      &size)))
		return kvm_error_ctx(kd, "aarch64 stacks");
	if (a->pt_size < PT_PSTATE + 8 || a->pt_size > 4096 ||
	    a->pt_frame + 16 > a->pt_size)
		return kvm_error(kd, KVM_ECORRUPT,
				 "BTF: struct pt_regs of %llu bytes with its "
				 "frame record at %llu",
				 (unsigned long long)a->pt_size,
				 (unsigned long long)a->pt_frame);
	if (kvm_types_offsetof(kd, "frame_record_meta", "type", &off, &size) ==
		    0 &&
	    a->pt_frame + off + 8 <= a->pt_size) {
		a->meta = true;
		a->meta_type = off;
	}
	if (kvm_vmcoreinfo_number(&kd->vmci, "KERNELPACMASK", &m))
		a->pac_mask = (uint64_t)m;
	kvm_error_clear(kd);
	return 0;
}

static int
ensure(kvm_t *kd, struct a64 **a_ret)
{
	struct a64 *a = kd->stack->arch;

	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		kd->stack->arch = a;
	}
	if (a->state == 0) {
		int err = load(kd, a);
		a->state = err ? err : 1;
		if (err)
			snprintf(a->why, sizeof(a->why), "%s", kd->errbuf);
	}
	if (a->state < 0)
		return kvm_error(kd, -a->state, "%s", a->why);
	*a_ret = a;
	return 0;
}

static void
set_reg(struct kvm_unwind *u, int dwarf, uint64_t v)
{
	u->regs[dwarf] = v;
	u->valid |= 1ull << dwarf;
}

/* The largest stack the unwinder may read before the size is known. */
static uint64_t
max_size(const struct kvm_unwind *u)
{
	return u->stack_size ? u->stack_size : thread_sizes[2];
}

static int
a64_start_sleeping(kvm_t *kd, struct kvm_unwind *u)
{
	struct a64 *a;
	uint64_t fp, sp, pc;
	int err;

	if ((err = ensure(kd, &a)))
		return err;
	if ((err = kvm_unwind_word(kd, u, u->task + a->t_fp, &fp)) ||
	    (err = kvm_unwind_word(kd, u, u->task + a->t_sp, &sp)) ||
	    (err = kvm_unwind_word(kd, u, u->task + a->t_pc, &pc)))
		return kvm_error_ctx(kd, "thread.cpu_context");
	if (sp < u->stack_base || sp - u->stack_base >= max_size(u))
		return kvm_error(kd, KVM_ECORRUPT,
				 "the saved sp 0x%llx is not on the task's "
				 "stack at 0x%llx",
				 (unsigned long long)sp,
				 (unsigned long long)u->stack_base);
	set_reg(u, KVM_REG_AARCH64_FP, fp);
	set_reg(u, KVM_REG_AARCH64_SP, sp);
	set_reg(u, KVM_REG_AARCH64_PC, kvm_aarch64_strip_pac(pc, a->pac_mask));
	u->at_regs = false;
	return 0;
}

static int
a64_start_cpu(kvm_t *kd, struct kvm_unwind *u, const struct kvm_cpu_state *c)
{
	struct a64 *a;
	int err;

	if ((err = ensure(kd, &a)))
		return err;
	if (c->ngregs < 34)
		return kvm_error(kd, KVM_ECORRUPT,
				 "the CPU's NT_PRSTATUS holds %u registers, "
				 "not aarch64's 34",
				 c->ngregs);
	for (int i = 0; i < 33; i++)
		set_reg(u, i, c->gregs[i]);
	u->regs[KVM_REG_AARCH64_LR] =
		kvm_aarch64_strip_pac(u->regs[KVM_REG_AARCH64_LR], a->pac_mask);
	u->mode = c->gregs[33];
	u->at_regs = true;
	/* Without the task, its stack is the aligned block around sp. */
	if (!u->stack_base && u->stack_size)
		u->stack_base = c->gregs[31] & ~(u->stack_size - 1);
	return 0;
}

/* Is fp the record in the task's own pt_regs, for some stack size? */
static bool
is_final(struct kvm_unwind *u, const struct a64 *a, uint64_t fp)
{
	if (!u->stack_base)
		return false;
	for (size_t i = 0; i < sizeof(thread_sizes) / sizeof(*thread_sizes);
	     i++) {
		uint64_t s = thread_sizes[i];
		if (u->stack_size && s != u->stack_size)
			continue;
		if (fp == u->stack_base + s - a->pt_size + a->pt_frame) {
			u->stack_size = s;
			return true;
		}
	}
	return false;
}

static int
a64_walk(kvm_t *kd, struct kvm_unwind *u)
{
	struct a64 *a;
	int err;

	if ((err = ensure(kd, &a)))
		return err;
	uint64_t fp = u->regs[KVM_REG_AARCH64_FP];
	uint64_t pc = u->regs[KVM_REG_AARCH64_PC];
	unsigned flags = 0;
	if (u->at_regs) {
		flags = KVM_FRAME_REGS;
		if ((u->mode & 0xf) ==
		    0) { /* EL0: user mode, no kernel stack */
			err = kvm_unwind_push(kd, u, pc,
					      u->regs[KVM_REG_AARCH64_SP], 0,
					      KVM_FRAME_REGS | KVM_FRAME_USER |
						      KVM_FRAME_END);
			return err;
		}
	}
	if ((err = kvm_unwind_push(kd, u, pc, u->regs[KVM_REG_AARCH64_SP], 0,
				   flags)))
		return err;
	/*
	 * A CPU's registers: the interrupted function may not have saved
	 * its lr in a record yet; the kernel's unwind of such a task starts
	 * from lr likewise only through the records, so do the same.
	 */
	uint64_t prev = 0;
	for (;;) {
		if (is_final(u, a, fp)) {
			u->frames[u->n - 1].kf_flags |= KVM_FRAME_END;
			return 0;
		}
		if (fp == 0)
			return kvm_error(kd, KVM_ECORRUPT,
					 "the frame chain ends (fp 0) before "
					 "the task's pt_regs");
		if (fp & 7)
			return kvm_error(kd, KVM_ECORRUPT,
					 "frame record at 0x%llx is not aligned",
					 (unsigned long long)fp);
		/* On one stack records only go up: a cycle cannot last. */
		bool on = u->stack_base && fp >= u->stack_base &&
			  fp - u->stack_base < max_size(u);
		if (on && prev && fp <= prev)
			return kvm_error(kd, KVM_ECORRUPT,
					 "the frame chain goes the wrong way at "
					 "0x%llx (after 0x%llx)",
					 (unsigned long long)fp,
					 (unsigned long long)prev);
		uint8_t rec[16];
		if ((err = kvm_unwind_read(kd, u, fp, rec, 16)))
			return err;
		uint64_t nfp = kvm_tgt_uint(kd, rec, 8);
		uint64_t lr = kvm_tgt_uint(kd, rec + 8, 8);
		uint64_t regs_at = 0;
		flags = 0;
		/*
		 * Before 6.13 the final record is {0, 0} in the task's
		 * pt_regs.  A CPU's task we could not name has no known
		 * stack: its pt_regs must then end a THREAD_SIZE-aligned
		 * block (the smallest size divides the others).
		 */
		if (!a->meta && nfp == 0 && lr == 0 && !u->stack_base &&
		    ((fp - a->pt_frame + a->pt_size) & (thread_sizes[0] - 1)) ==
			    0) {
			u->frames[u->n - 1].kf_flags |= KVM_FRAME_END;
			return 0;
		}
		if (a->meta && nfp == 0 && lr == 0) {
			uint64_t type;
			if ((err = kvm_unwind_word(kd, u, fp + a->meta_type,
						   &type)))
				return err;
			if (type == META_TYPE_FINAL) {
				u->frames[u->n - 1].kf_flags |= KVM_FRAME_END;
				return 0;
			}
			if (type != META_TYPE_PT_REGS)
				return kvm_error(kd, KVM_ECORRUPT,
						 "frame record at 0x%llx: "
						 "unknown meta type %llu",
						 (unsigned long long)fp,
						 (unsigned long long)type);
			regs_at = fp - a->pt_frame;
			if ((err = kvm_unwind_word(kd, u, regs_at + PT_PC,
						   &lr)) ||
			    (err = kvm_unwind_word(kd, u, regs_at + PT_X29,
						   &nfp)))
				return err;
			flags = KVM_FRAME_REGS;
		}
		prev = on ? fp : prev;
		lr = kvm_aarch64_strip_pac(lr, a->pac_mask);
		if ((err = kvm_unwind_push(kd, u, lr, fp + 16, regs_at, flags)))
			return err;
		fp = nfp;
	}
}

static void
a64_fini(kvm_t *kd)
{
	if (kd->stack) {
		free(kd->stack->arch);
		kd->stack->arch = NULL;
	}
}

const struct kvm_unwinder kvm_unwind_aarch64 = {
	.e_machine = EM_AARCH64,
	.start_sleeping = a64_start_sleeping,
	.start_cpu = a64_start_cpu,
	.walk = a64_walk,
	.fini = a64_fini,
};
