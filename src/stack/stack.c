// SPDX-License-Identifier: BSD-2-Clause
/*
 * Kernel stacks: kvm_getstack(), kvm_getstack_cpu().  This file finds the
 * task and its stack, checks what it reads against the task itself (the
 * pid at p_paddr, the saved sp inside the stack), picks the start state
 * (a sleeping task's saved context, or the registers its CPU saved in
 * the dump) and symbolizes what the architecture's unwinder found.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../notes.h"
#include "stack.h"

/* --------------------------------------------------------- unwinders */

static const struct kvm_unwinder *
unwinder(kvm_t *kd)
{
	switch (kd->e_machine) {
	case EM_X86_64:
		return &kvm_unwind_x86_64;
	case EM_AARCH64:
		return &kvm_unwind_aarch64;
	default:
		return NULL;
	}
}

static int
state_ensure(kvm_t *kd, struct kvm_stack_state **st_ret)
{
	if (!kd->stack) {
		kd->stack = calloc(1, sizeof(*kd->stack));
		if (!kd->stack)
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
	}
	*st_ret = kd->stack;
	return 0;
}

void
kvm_stack_fini(kvm_t *kd)
{
	if (!kd->stack)
		return;
	const struct kvm_unwinder *uw = unwinder(kd);
	if (uw && uw->fini)
		uw->fini(kd);
	kvm_stack_modules_fini(kd);
	free(kd->stack->cpu_task);
	free(kd->stack);
	kd->stack = NULL;
}

/* ------------------------------------------------------------ helpers */

int
kvm_unwind_push(kvm_t *kd, struct kvm_unwind *u, uint64_t pc, uint64_t sp,
		uint64_t regs, unsigned flags)
{
	if (u->n >= KVM_STACK_MAX_FRAMES)
		return kvm_error(kd, KVM_ECORRUPT,
				 "more than %d frames (a cycle in the stack?)",
				 KVM_STACK_MAX_FRAMES);
	struct kvm_frame *f = &u->frames[u->n++];
	memset(f, 0, sizeof(*f));
	f->kf_pc = pc;
	f->kf_sp = sp;
	f->kf_regs = regs;
	f->kf_flags = flags;
	return 0;
}

int
kvm_unwind_read(kvm_t *kd, struct kvm_unwind *u, uint64_t va, void *buf,
		size_t len)
{
	size_t done;

	int err = kvm_virt_read(kd, va, buf, len, &done);
	if (err)
		return kvm_error_ctx(kd, "stack word at 0x%llx",
				     (unsigned long long)va);
	return 0;
}

int
kvm_unwind_word(kvm_t *kd, struct kvm_unwind *u, uint64_t va, uint64_t *val_ret)
{
	uint8_t b[8];
	int err = kvm_unwind_read(kd, u, va, b, 8);

	if (!err)
		*val_ret = kvm_tgt_uint(kd, b, 8);
	return err;
}

uint64_t
kvm_stack_thread_size(kvm_t *kd)
{
	static const char *const starts[] = { "__start_init_stack",
					      "__start_init_task",
					      "init_stack" };
	static const char *const ends[] = { "__end_init_stack",
					    "__end_init_task" };
	uint64_t lo = 0, hi = 0;

	if (kd->stack && kd->stack->thread_size_done)
		return kd->stack->thread_size;
	if (kd->stack)
		kd->stack->thread_size_done = true;
	for (size_t i = 0; i < sizeof(starts) / sizeof(*starts) && !lo; i++)
		if (kvm_sym_lookup(kd, starts[i], &lo))
			lo = 0;
	for (size_t i = 0; i < sizeof(ends) / sizeof(*ends) && !hi; i++)
		if (kvm_sym_lookup(kd, ends[i], &hi))
			hi = 0;
	kvm_error_clear(kd);
	if (!lo || hi <= lo)
		return 0;
	uint64_t size = hi - lo;
	/* A power of two of at least a page, as every THREAD_SIZE. */
	if (size < 4096 || size > KVM_STACK_MAX_SIZE || (size & (size - 1)))
		return 0;
	if (kd->stack)
		kd->stack->thread_size = size;
	return size;
}

/* ---------------------------------------------------------- the task */

static int
layout_ensure(kvm_t *kd, struct kvm_stack_state *st)
{
	static const struct {
		const char *names;
		size_t field;
		bool required;
	} want[] = {
		{ "stack", offsetof(struct kvm_stack_state, t_stack), true },
		{ "pid", offsetof(struct kvm_stack_state, t_pid), true },
		{ "comm", offsetof(struct kvm_stack_state, t_comm), true },
		{ "exit_state", offsetof(struct kvm_stack_state, t_exit_state),
		  false },
		{ "on_cpu", offsetof(struct kvm_stack_state, t_on_cpu), false },
	};

	if (st->layout_done)
		return st->layout_err;
	st->layout_done = true;
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		int64_t *f = (int64_t *)((char *)st + want[i].field);
		uint64_t off, size;
		int err = kvm_types_offsetof(kd, "task_struct", want[i].names,
					     &off, &size);
		*f = err ? -1 : (int64_t)off;
		if (err && (want[i].required || err != -KVM_ENOENT)) {
			st->layout_err = kvm_error_ctx(kd, "kernel stacks");
			return st->layout_err;
		}
	}
	/* The CPU a task is on: thread_info.cpu since 5.16, cpu before. */
	static const char *const cpu_names[] = { "thread_info.cpu", "cpu" };
	st->t_cpu = -1;
	for (size_t i = 0; i < 2 && st->t_cpu < 0; i++) {
		uint64_t off, size;
		if (kvm_types_offsetof(kd, "task_struct", cpu_names[i], &off,
				       &size) == 0 &&
		    (size == 4 || size == 0)) {
			st->t_cpu = (int64_t)off;
		}
	}
	kvm_error_clear(kd);
	return 0;
}

/*
 * Read what the stack needs of task: pid, comm, exit state, stack; and
 * the CPU it runs on (-1: not running, or not known).
 */
static int
task_read(kvm_t *kd, struct kvm_stack_state *st, uint64_t task,
	  struct kvm_stack *ks, uint64_t *exit_state, int *on_cpu)
{
	uint64_t v;
	int err;
	size_t done;

	ks->ks_task = task;
	if ((err = kvm_virt_read_uint(kd, task + st->t_pid, 4, &v)))
		return kvm_error_ctx(kd, "task 0x%llx: pid",
				     (unsigned long long)task);
	ks->ks_pid = (int32_t)v;
	if ((err = kvm_virt_read(kd, task + st->t_comm, ks->ks_comm,
				 sizeof(ks->ks_comm) - 1, &done)))
		return kvm_error_ctx(kd, "task 0x%llx: comm",
				     (unsigned long long)task);
	ks->ks_comm[sizeof(ks->ks_comm) - 1] = '\0';
	*exit_state = 0;
	if (st->t_exit_state >= 0 &&
	    (err = kvm_virt_read_uint(kd, task + st->t_exit_state, 4,
				      exit_state)))
		return kvm_error_ctx(kd, "task 0x%llx: exit_state",
				     (unsigned long long)task);
	if ((err = kvm_virt_read_uint(kd, task + st->t_stack, kd->ptr_size,
				      &v)))
		return kvm_error_ctx(kd, "task 0x%llx: stack",
				     (unsigned long long)task);
	ks->ks_stack_base = v;
	*on_cpu = -1;
	if (st->t_on_cpu >= 0 && st->t_cpu >= 0 &&
	    kvm_virt_read_uint(kd, task + st->t_on_cpu, 4, &v) == 0 && v != 0 &&
	    kvm_virt_read_uint(kd, task + st->t_cpu, 4, &v) == 0 &&
	    v < KVM_MAX_CPUS)
		*on_cpu = (int)v;
	kvm_error_clear(kd);
	return 0;
}

/* ------------------------------------------------------ CPUs and notes */

/*
 * A per-CPU variable's address before __per_cpu_offset[cpu] is added: its
 * symbol where kallsyms has it (x86_64: an offset, nm type A); else its
 * offset in the per-CPU section from the BTF plus where that section
 * starts, told by an exported per-CPU variable (arm64's kallsyms has no
 * data symbols, its exports do: cpu_number, irq_stat, kernel_cpustat).
 */
static int
percpu_symbol(kvm_t *kd, const char *name, uint64_t *addr_ret)
{
	static const char *const anchors[] = { "kernel_cpustat", "irq_stat",
					       "cpu_number" };
	uint64_t off, a, aoff;

	if (kvm_sym_lookup(kd, name, addr_ret) == 0)
		return 0;
	if (kvm_types_percpu_offset(kd, name, &off))
		return -KVM_ENOENT;
	for (size_t i = 0; i < sizeof(anchors) / sizeof(*anchors); i++)
		if (kvm_sym_lookup(kd, anchors[i], &a) == 0 &&
		    kvm_types_percpu_offset(kd, anchors[i], &aoff) == 0 &&
		    a >= aoff) {
			*addr_ret = a - aoff + off;
			return 0;
		}
	return -KVM_ENOENT;
}

/* Per-CPU current tasks through runqueues.curr, when the symbols allow. */
static void
cpu_tasks_ensure(kvm_t *kd, struct kvm_stack_state *st)
{
	uint64_t rq, pco, curr_off, size;

	if (st->cpus_done)
		return;
	st->cpus_done = true;
	if (percpu_symbol(kd, "runqueues", &rq) ||
	    kvm_sym_lookup(kd, "__per_cpu_offset", &pco) ||
	    kvm_types_offsetof(kd, "rq", "curr", &curr_off, &size)) {
		kvm_error_clear(kd);
		return;
	}
	size_t n = KVM_MAX(kd->ncpus, (size_t)1);
	st->cpu_task = calloc(n, sizeof(*st->cpu_task));
	if (!st->cpu_task)
		return;
	st->ncpu_task = n;
	for (size_t i = 0; i < n; i++) {
		uint64_t off, curr;
		if (kvm_virt_read_uint(kd, pco + 8 * i, 8, &off) ||
		    kvm_virt_read_uint(kd, rq + off + curr_off, 8, &curr))
			continue;
		st->cpu_task[i] = curr;
	}
	kvm_error_clear(kd);
}

/*
 * CPU cpu's note as the kernel saved it at the crash in its per-CPU
 * crash_notes buffer (an ELF note: "CORE", NT_PRSTATUS): which CPU it
 * belongs to is then certain.  1 found (*c), 0 none (no kdump, or the
 * symbols are not there).
 */
static int
cpu_note_memory(kvm_t *kd, int cpu, struct kvm_cpu_state *c)
{
	uint64_t cn, pco, ptr, off;
	uint8_t b[12 + 8 + 512];
	size_t done;

	if (kvm_sym_lookup(kd, "crash_notes", &cn) ||
	    kvm_sym_lookup(kd, "__per_cpu_offset", &pco) ||
	    kvm_virt_read_uint(kd, cn, 8, &ptr) ||
	    kvm_virt_read_uint(kd, pco + 8 * (uint64_t)cpu, 8, &off) ||
	    kvm_virt_read(kd, ptr + off, b, sizeof(b), &done)) {
		kvm_error_clear(kd);
		return 0;
	}
	struct kvm_note n;
	size_t at = 0;
	kd->quiet_errors++;
	int r = kvm_note_next(kd, b, sizeof(b), &at, &n);
	kd->quiet_errors--;
	kvm_error_clear(kd);
	if (r <= 0 || !kvm_note_is(&n, "CORE") || n.type != NT_PRSTATUS ||
	    n.descsz < KVM_PRSTATUS_REGS + 8 ||
	    n.descsz > sizeof(b) - (size_t)(n.desc - b))
		return 0;
	memset(c, 0, sizeof(*c));
	kvm_prstatus_parse(kd, c, n.desc, n.descsz);
	bool any = false;
	for (unsigned i = 0; i < c->ngregs; i++)
		any |= c->gregs[i] != 0;
	return c->have_prstatus && any;
}

/*
 * The NT_PRSTATUS note of CPU cpu.  The kernel's own copy in crash_notes
 * when the dump has it (kdump).  Else: QEMU numbers its notes' pr_pid as
 * the CPU + 1; the kernel's notes hold the pid of the task on the CPU, in
 * the order of the CPUs that were online, which a caller cannot trust:
 * then a note counts only when its pid is the one of the CPU's task.
 */
static const struct kvm_cpu_state *
cpu_note(kvm_t *kd, int cpu, int32_t pid)
{
	bool qemu = kd->ncpus > 0;

	if (cpu >= 0 && cpu_note_memory(kd, cpu, &kd->stack->mem_note))
		return &kd->stack->mem_note;

	for (size_t i = 0; i < kd->ncpus; i++)
		if (!kd->cpus[i].have_prstatus ||
		    kd->cpus[i].pr_pid != (int32_t)i + 1)
			qemu = false;
	if (cpu < 0 || (size_t)cpu >= kd->ncpus)
		return NULL;
	const struct kvm_cpu_state *c = &kd->cpus[cpu];
	if (!c->have_prstatus)
		return NULL;
	if (qemu)
		return c;
	if (c->pr_pid == pid)
		return c;
	/* Out of order: the one note with that pid, if only one has it. */
	const struct kvm_cpu_state *found = NULL;
	for (size_t i = 0; i < kd->ncpus; i++) {
		if (kd->cpus[i].have_prstatus && kd->cpus[i].pr_pid == pid) {
			if (found)
				return NULL;
			found = &kd->cpus[i];
		}
	}
	return pid != 0 ? found : NULL;
}

/* ------------------------------------------------------------ symbols */

/*
 * Name the frames.  A return address is looked up one byte back, as the
 * kernel's %pB does: a call that ends its function returns past its end.
 */
static void
symbolize(kvm_t *kd, struct kvm_stack_state *st, struct kvm_unwind *u)
{
	for (size_t i = 0; i < u->n; i++) {
		struct kvm_frame *f = &u->frames[i];
		const char *name;
		uint64_t start, size;
		if (f->kf_flags & KVM_FRAME_USER)
			continue;
		uint64_t at = (f->kf_flags & KVM_FRAME_REGS) ? f->kf_pc
							     : f->kf_pc - 1;
		/* A module's text first: the kernel's last symbol has no end. */
		const struct kvm_module *m = kvm_stack_module_at(kd, at);
		if (m) {
			memcpy(st->modnames[i], m->name,
			       sizeof(st->modnames[i]));
			f->kf_module = st->modnames[i];
			if (kvm_stack_module_sym(kd, m, at, st->symnames[i],
						 sizeof(st->symnames[i]),
						 &start, &size) == 0) {
				f->kf_sym = st->symnames[i];
				f->kf_symoff = f->kf_pc - start;
				f->kf_symsize = size;
			}
		} else if (kvm_sym_at(kd, at, &name, &start, &size) == 0) {
			f->kf_sym = name;
			f->kf_symoff = f->kf_pc - start;
			f->kf_symsize = size;
		}
	}
	kvm_error_clear(kd);
}

/* ------------------------------------------------------------- unwind */

static const struct kvm_stack *
finish(kvm_t *kd, struct kvm_stack_state *st, struct kvm_unwind *u, int err)
{
	struct kvm_stack *ks = &st->result;

	if (err && u->n == 0) {
		kvm_report(kd);
		return NULL;
	}
	/* The message first: symbolizing clears it. */
	ks->ks_stopped[0] = '\0';
	if (err) {
		/* Cut to fit: the message's start says what stopped it. */
		size_t n = strnlen(kd->errbuf, sizeof(ks->ks_stopped) - 1);
		memcpy(ks->ks_stopped, kd->errbuf, n);
		ks->ks_stopped[n] = '\0';
	}
	symbolize(kd, st, u);
	memcpy(ks->ks_regs, u->regs, sizeof(ks->ks_regs));
	ks->ks_regs_valid = u->valid;
	ks->ks_cpu = u->cpu;
	ks->ks_nframes = u->n;
	ks->ks_frames = st->frames;
	ks->ks_stack_size = u->stack_size;
	return ks;
}

static const struct kvm_stack *
unwind_task(kvm_t *kd, struct kvm_stack_state *st,
	    const struct kvm_unwinder *uw, struct kvm_unwind *u,
	    const struct kvm_cpu_state *c)
{
	int err;

	/*
	 * The stack is read where the unwinder looks, through the page
	 * cache: a frame chain touches a page or two of its 16 KiB, and in
	 * a compressed dump each page read costs a decompression.
	 */
	err = c ? uw->start_cpu(kd, u, c) : uw->start_sleeping(kd, u);
	if (err) {
		kvm_report(kd);
		return NULL;
	}
	err = uw->walk(kd, u);
	return finish(kd, st, u, err);
}

static int
prepare(kvm_t *kd, struct kvm_stack_state **st_ret,
	const struct kvm_unwinder **uw_ret)
{
	int err;

	if (kd->flags == KVM_NO_FILES || !kd->format)
		return kvm_error(kd, KVM_ENOTSUP,
				 "kernel stacks need the kernel's memory "
				 "(KVM_NO_FILES)");
	*uw_ret = unwinder(kd);
	if (!*uw_ret)
		return kvm_error(kd, KVM_ENOTSUP,
				 "no stack unwinder for %s targets",
				 kvm_machine_name(kd->e_machine));
	if ((err = state_ensure(kd, st_ret)))
		return err;
	return layout_ensure(kd, *st_ret);
}

KVM_EXPORT const struct kvm_stack *
kvm_getstack(kvm_t *kd, const struct kinfo_proc2 *p)
{
	struct kvm_stack_state *st;
	const struct kvm_unwinder *uw;
	uint64_t exit_state;
	int cpu;

	KVM_CHECK_KD(kd, NULL);
	if (!p) {
		kvm_error(kd, KVM_EINVAL, "kvm_getstack: no process");
		return NULL;
	}
	if (prepare(kd, &st, &uw)) {
		kvm_report(kd);
		return NULL;
	}
	struct kvm_stack *ks = &st->result;
	memset(ks, 0, sizeof(*ks));
	if (task_read(kd, st, p->p_paddr, ks, &exit_state, &cpu)) {
		kvm_report(kd);
		return NULL;
	}
	if (ks->ks_pid != p->p_pid) {
		kvm_error(kd, KVM_ECORRUPT,
			  "pid %d: the task at 0x%llx has pid %d", p->p_pid,
			  (unsigned long long)p->p_paddr, ks->ks_pid);
		return NULL;
	}
	if (exit_state) {
		kvm_error(kd, KVM_ENODATA,
			  "pid %d has exited (a zombie): its stack is freed",
			  p->p_pid);
		return NULL;
	}
	if (!ks->ks_stack_base) {
		kvm_error(kd, KVM_ENODATA, "pid %d has no stack", p->p_pid);
		return NULL;
	}
	struct kvm_unwind u = { .task = p->p_paddr,
				.stack_base = ks->ks_stack_base,
				.cpu = -1,
				.frames = st->frames };
	u.stack_size = kvm_stack_thread_size(kd);
	const struct kvm_cpu_state *c = NULL;
	if (cpu >= 0) {
		c = cpu_note(kd, cpu, ks->ks_pid);
		if (!c) {
			kvm_error(kd, KVM_ENODATA,
				  "pid %d was running on CPU %d, and the dump "
				  "holds no registers of that CPU",
				  p->p_pid, cpu);
			return NULL;
		}
		u.cpu = cpu;
	}
	return unwind_task(kd, st, uw, &u, c);
}

KVM_EXPORT const struct kvm_stack *
kvm_getstack_cpu(kvm_t *kd, int cpu)
{
	struct kvm_stack_state *st;
	const struct kvm_unwinder *uw;
	uint64_t exit_state;
	int on_cpu;

	KVM_CHECK_KD(kd, NULL);
	if (prepare(kd, &st, &uw)) {
		kvm_report(kd);
		return NULL;
	}
	if (cpu < 0 || (size_t)cpu >= kd->ncpus) {
		kvm_error(kd, KVM_EINVAL,
			  "CPU %d: the dump holds the registers of %zu CPUs",
			  cpu, kd->ncpus);
		return NULL;
	}
	struct kvm_stack *ks = &st->result;
	memset(ks, 0, sizeof(*ks));
	ks->ks_pid = -1; /* until the CPU's task is known */
	cpu_tasks_ensure(kd, st);
	uint64_t task = (size_t)cpu < st->ncpu_task ? st->cpu_task[cpu] : 0;
	struct kvm_unwind u = { .cpu = cpu, .frames = st->frames };
	const struct kvm_cpu_state *c = cpu_note(kd, cpu, -1);
	if (!c)
		c = &kd->cpus[cpu];
	if (task) {
		if (task_read(kd, st, task, ks, &exit_state, &on_cpu)) {
			kvm_report(kd);
			return NULL;
		}
		u.task = task;
		u.stack_base = ks->ks_stack_base;
		c = cpu_note(kd, cpu, ks->ks_pid);
	}
	if (!c || !c->have_prstatus) {
		kvm_error(kd, KVM_ENODATA, "CPU %d: no registers in the dump",
			  cpu);
		return NULL;
	}
	u.stack_size = kvm_stack_thread_size(kd);
	return unwind_task(kd, st, uw, &u, c);
}
