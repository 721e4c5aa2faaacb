/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * src/stack: kernel stacks from the dump alone (DESIGN §5a).  stack.c
 * holds the public calls, finds the task and its stack, symbolizes the
 * frames; one unwinder per architecture (unwind_x86_64.c: ORC tables read
 * from the kernel's memory; unwind_aarch64.c: frame records) sits behind
 * struct kvm_unwinder.
 */
#ifndef KVM_STACK_H
#define KVM_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kvm_private.h"

/*
 * Bounds for hostile targets.  The kernel's own unwinds stop at 64 frames
 * (/proc/PID/stack) or a page of them; a deep real stack has ~100.  A task
 * stack is 16 KiB (x86_64, arm64 4K pages), 32 KiB with KASAN, 64 KiB on
 * arm64 64K pages: 1 MiB bounds any.
 */
#define KVM_STACK_MAX_FRAMES 256
#define KVM_STACK_MAX_SIZE (1u << 20)

/* One unwind in progress: what the unwinder starts from and builds. */
struct kvm_unwind {
	uint64_t task;			 /* task_struct */
	uint64_t stack_base, stack_size; /* its task stack */
	int cpu; /* started from this CPU's registers, or -1 */
	/* Registers, DWARF numbers (include/kvm.h KVM_REG_*). */
	uint64_t regs[KVM_STACK_NREGS];
	uint64_t valid;
	/*
	 * The start state: regs came from a CPU's saved exception state (the
	 * pc is the interrupted instruction), not from a call's return.
	 */
	bool at_regs;
	uint64_t mode; /* at_regs: x86_64 cs, aarch64 pstate */
	struct kvm_frame *frames;
	size_t n;
	char stopped[160];
};

/* One per architecture. */
struct kvm_unwinder {
	uint16_t e_machine;
	/*
	 * Fill u->regs from the saved context of a task that is not running
	 * (x86_64: thread.sp and struct inactive_task_frame; aarch64:
	 * thread.cpu_context).  u->stack_* are set.
	 */
	int (*start_sleeping)(kvm_t *kd, struct kvm_unwind *u);
	/*
	 * Fill u->regs from a CPU's NT_PRSTATUS registers (c->gregs).
	 */
	int (*start_cpu)(kvm_t *kd, struct kvm_unwind *u,
			 const struct kvm_cpu_state *c);
	/*
	 * Walk from u->regs, adding frames with kvm_unwind_push() (the first
	 * one is the start pc).  0 when the stack's end was reached (the
	 * last frame then has KVM_FRAME_END); else an error, recorded, with
	 * the frames found so far kept.
	 */
	int (*walk)(kvm_t *kd, struct kvm_unwind *u);
	void (*fini)(kvm_t *kd);
};

extern const struct kvm_unwinder kvm_unwind_x86_64;
extern const struct kvm_unwinder kvm_unwind_aarch64;

/* Longest symbol name kept for a module frame. */
#define KVM_STACK_NAME_MAX 128

/* A loaded module (modules.c). */
struct kvm_module {
	char name[64];
	uint64_t text_lo, text_hi;   /* its core text */
	uint64_t orc_ip, orc, norcs; /* x86_64: struct module's arch */
	uint64_t symtab, strtab;     /* struct mod_kallsyms */
	uint32_t nsyms;
};

/* The modules, read once (a broken list: those read before the break). */
const struct kvm_module *kvm_stack_modules(kvm_t *kd, size_t *n_ret);
/* The module whose text holds pc, or NULL. */
const struct kvm_module *kvm_stack_module_at(kvm_t *kd, uint64_t pc);
/*
 * The module symbol covering pc, as the kernel's kallsyms names it: name
 * (namesz bytes), its start and size (to the next symbol or the end of
 * the text).  0, or -KVM_ENOENT.
 */
int kvm_stack_module_sym(kvm_t *kd, const struct kvm_module *m, uint64_t pc,
			 char *name, size_t namesz, uint64_t *start_ret,
			 uint64_t *size_ret);
void kvm_stack_modules_fini(kvm_t *kd);

/* What the handle keeps (kd->stack). */
struct kvm_stack_state {
	void *arch; /* the unwinder's tables, its own type */
	struct kvm_stack result;
	struct kvm_frame frames[KVM_STACK_MAX_FRAMES];
	/* Module frames' names (kf_module, kf_sym point in here). */
	char modnames[KVM_STACK_MAX_FRAMES][64];
	char symnames[KVM_STACK_MAX_FRAMES][KVM_STACK_NAME_MAX];
	struct modlist *mods; /* modules.c */
	/* Resolved once: task_struct members (offset -1: none). */
	bool layout_done;
	int layout_err;
	int64_t t_stack, t_pid, t_comm, t_exit_state, t_on_cpu, t_cpu;
	/* The last crash summary returned (crash.c). */
	struct kvm_crash crash;
	/* A CPU's note as the kernel saved it in crash_notes (stack.c). */
	struct kvm_cpu_state mem_note;
	/* kvm_stack_thread_size(), once: 0 unknown. */
	bool thread_size_done;
	uint64_t thread_size;
	/* Per-CPU current tasks, once (kvm_stack_cpu_task()). */
	bool cpus_done;
	uint64_t *cpu_task;
	size_t ncpu_task;
};

/*
 * Add a frame: pc, sp, flags (KVM_FRAME_*); regs the pt_regs address for
 * KVM_FRAME_REGS.  0, or -KVM_ECORRUPT past KVM_STACK_MAX_FRAMES.
 */
int kvm_unwind_push(kvm_t *kd, struct kvm_unwind *u, uint64_t pc, uint64_t sp,
		    uint64_t regs, unsigned flags);
/* Read len bytes at va for the unwinder: 0 or an error (recorded). */
int kvm_unwind_read(kvm_t *kd, struct kvm_unwind *u, uint64_t va, void *buf,
		    size_t len);
/* As kvm_unwind_read() of one target-order 64-bit word. */
int kvm_unwind_word(kvm_t *kd, struct kvm_unwind *u, uint64_t va,
		    uint64_t *val_ret);
/* Is [va, va + len) inside the task stack? */
static inline bool
kvm_unwind_on_stack(const struct kvm_unwind *u, uint64_t va, uint64_t len)
{
	return va >= u->stack_base && len <= u->stack_size &&
	       va - u->stack_base <= u->stack_size - len;
}
/*
 * The kernel's THREAD_SIZE: from the init task's stack (init_stack ..
 * __end_init_task or __end_init_stack) when kallsyms has it; 0 unknown.
 */
uint64_t kvm_stack_thread_size(kvm_t *kd);
/*
 * An aarch64 code address without its pointer-authentication code: mask
 * is VMCOREINFO's KERNELPACMASK (the PAC bits); bit 55 says whether the
 * address is the kernel's (bits set) or user space's (bits clear).
 */
uint64_t kvm_aarch64_strip_pac(uint64_t pc, uint64_t mask);
/*
 * The kind of failure a panic or oops line names, for titles and
 * signatures (crash.c): what varies between occurrences (addresses,
 * numbers, file lines) left out.
 */
void kvm_crash_kind(const char *msg, char *out, size_t outsz);

#endif /* KVM_STACK_H */
