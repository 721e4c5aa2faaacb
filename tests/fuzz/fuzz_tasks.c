// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for the process walk of a dump (src/proc/proc_dump.c and
 * kinfo.c): the task list from init_task, each task's signal, cred, mm,
 * pid and tty structures, kthread names, argv and environ read through
 * the task's own page tables, and avenrun; and for the kernel stacks of
 * the processes and the CPUs (src/stack/: x86_64's ORC tables and module
 * list read from memory, aarch64's frame records); over hostile memory
 * and a hostile layout (member offsets from a BTF blob or from
 * VMCOREINFO's OFFSET() lines, both in the input).  Input (integers
 * little-endian):
 *   0   u8   flags: bit 0 arm64 (else x86_64); 1 big-endian target;
 *            bits 2-3 CPU notes (0-2; 3 counts as 2)
 *   1   u8[3] unused
 *   4   u32  vlen: bytes of VMCOREINFO text
 *   8   u32  blen: bytes of BTF (0: the layout is VMCOREINFO's)
 *   12  u32  slen: bytes of symbols, System.map text (0: none)
 *   16  u64  init_task (its symbol; 0: none)
 *   24  u64  avenrun (its symbol; 0: none)
 *   32  vlen bytes of VMCOREINFO, blen bytes of BTF, slen bytes of
 *       symbols ("ADDR TYPE NAME" lines), then the CPU notes, each
 *       { u32 pr_pid; u64 regs[34] } (NT_PRSTATUS's pid and registers:
 *       27 of them count on x86_64, all 34 on aarch64), then the
 *       physical memory as fuzz_mem.h reads it, at most 4096 segments
 * The handle is set up as kvm_open sets up a dump (the CPU notes, then
 * kvm_setup_arch over the VMCOREINFO), then the public calls run:
 * kvm_getproc2 (all, and by pid), kvm_getargv2 and kvm_getenvv2 of the
 * first processes with and without a cap, kvm_getargv2 of the last (its
 * pages may be in swap: swap_info[], the swap map and the swap cache's
 * XArray, read from the input), kvm_getstack of the first
 * processes, kvm_getstack_cpu of each CPU and of two that are not there,
 * kvm_getloadavg.  mkseeds-tasks.c writes the seeds: the memory the walks
 * of the fixtures' dumps read, with their BTF cut down to the structures
 * the walks use, and with the same layout as OFFSET() lines.
 *
 * Beyond "no crash, no leak, no hang" (a cyclic list or frame chain must
 * end), it aborts when the contract breaks: a failure without a one-line
 * message, a count below 0, a vector that is not NULL-terminated or
 * exceeds its cap, a load average that is not a finite number; a stack
 * without frames or with more than 256, strings without their NUL, a
 * stack whose last frame has KVM_FRAME_END while ks_stopped says why it
 * stopped (or neither), KVM_FRAME_END on a frame that is not the last, a
 * CPU that is not there answering.
 */
#define _GNU_SOURCE
#include <math.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_mem.h"
#include "stack/stack.h"
#include "sym/symtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 32
/* Slab-allocated tasks lie all over memory: many small segments. */
#define MAX_SEGS 4096
/* Processes whose argv, environ and stack are read (each costs a page
   walk). */
#define ARGS_PROCS 8
/* CPU notes: u32 pr_pid, u64 regs[34]. */
#define NOTE_REGS 34
#define NOTE_SIZE (4 + 8 * NOTE_REGS)
#define MAX_NOTES 2
/* CPUs whose stacks are read. */
#define STACK_CPUS 8

static void
check_vector(kvm_t *kd, char **v, int nchr, const char *what)
{
	if (!v) {
		fd_check_msg(kvm_geterr(kd), what);
		return;
	}
	size_t chars = 0;
	for (size_t i = 0; v[i]; i++) {
		fd_must(i < (1u << 20), "a vector without its NULL");
		chars += strlen(v[i]);
	}
	if (nchr > 0)
		fd_must(chars <= (size_t)nchr, "a vector over its cap");
}

/* BTF from the input through a memfd, as kvm_set_btf_file reads a file. */
static int
btf_memfd(kvm_t *kd, const uint8_t *p, size_t len)
{
	int fd = memfd_create("fuzz_tasks_btf", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, p, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (kvm_set_btf_file(kd, path)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The symbol table: the symbol block (a line that does not parse ends it,
 * the lines before stay, as fuzz_sysmap tests that parser), init_task and
 * avenrun.
 */
static int
add_symbols(kvm_t *kd, const uint8_t *text, size_t slen, uint64_t init_task,
	    uint64_t avenrun)
{
	bool modules;

	kd->symtab = calloc(1, sizeof(*kd->symtab));
	if (!kd->symtab)
		return -1;
	if (slen && kvm_sym_parse_text(kd, kd->symtab, "fuzz symbols",
				       (const char *)text, slen, &modules)) {
		if (kd->errcode == KVM_ENOMEM)
			return -1;
		kvm_error_clear(kd);
	}
	if ((init_task &&
	     kvm_symtab_add(kd, kd->symtab, "init_task", 9, init_task, 'D')) ||
	    (avenrun &&
	     kvm_symtab_add(kd, kd->symtab, "avenrun", 7, avenrun, 'B')))
		return -1;
	kd->sym_state = 1; /* kvm_sym_ensure: loaded */
	return 0;
}

/* The CPU notes, as a dump's NT_PRSTATUS notes give them. */
static int
add_cpus(kvm_t *kd, const uint8_t *p, unsigned n)
{
	unsigned ngregs = kd->e_machine == EM_AARCH64 ? 34 : 27;

	for (unsigned i = 0; i < n; i++, p += NOTE_SIZE) {
		struct kvm_cpu_state *c = kvm_cpu_add(kd);
		if (!c)
			return -1;
		c->have_prstatus = true;
		c->pr_pid = (int32_t)fm_u32(p);
		c->ngregs = ngregs;
		for (unsigned r = 0; r < ngregs; r++)
			c->gregs[r] = fm_u64(p + 4 + 8 * r);
	}
	return 0;
}

/* What the stack calls found, for FUZZ_VERBOSE. */
struct stack_tally {
	int asked, got, complete;
	size_t frames, named;
	char first_err[128];  /* the first failure's message */
	char first_stop[160]; /* the first partial stack's ks_stopped */
};

/*
 * A stack as src/stack/stack.c's finish() makes it: at least the start
 * frame (a walk that found none fails), at most KVM_STACK_MAX_FRAMES;
 * ks_stopped empty exactly when the walk reached the stack's end, which
 * the last frame, and only it, says with KVM_FRAME_END.
 */
static void
check_stack(kvm_t *kd, const struct kvm_stack *ks, const char *what,
	    struct stack_tally *t)
{
	t->asked++;
	if (!ks) {
		fd_check_msg(kvm_geterr(kd), what);
		/*
		 * A message that says its first clause twice was formatted
		 * from itself (kd->errbuf as an argument of kvm_error): the
		 * cause after it is lost (regress-stack-orc-msg-overlap).
		 */
		const char *m = kvm_geterr(kd), *colon = strstr(m, ": ");
		if (colon && colon - m >= 8) {
			size_t k = (size_t)(colon - m);
			fd_must(strncmp(colon + 2, m, k) != 0,
				"an error message formatted from itself");
		}
		if (!t->first_err[0])
			snprintf(t->first_err, sizeof(t->first_err), "%s",
				 kvm_geterr(kd));
		return;
	}
	t->got++;
	fd_must(ks->ks_nframes >= 1, "a stack without frames");
	fd_must(ks->ks_nframes <= KVM_STACK_MAX_FRAMES,
		"a stack of more than 256 frames");
	fd_must(ks->ks_frames != NULL, "a stack's frames are NULL");
	fd_must(memchr(ks->ks_stopped, '\0', sizeof(ks->ks_stopped)) != NULL,
		"ks_stopped without its NUL");
	fd_must(strchr(ks->ks_stopped, '\n') == NULL,
		"ks_stopped spans lines");
	fd_must(memchr(ks->ks_comm, '\0', sizeof(ks->ks_comm)) != NULL,
		"ks_comm without its NUL");
	fd_must(ks->ks_stack_size <= KVM_STACK_MAX_SIZE,
		"a stack size over the bound");
	for (size_t i = 0; i < ks->ks_nframes; i++) {
		const struct kvm_frame *f = &ks->ks_frames[i];
		if (f->kf_sym) {
			fd_must(memchr(f->kf_sym, '\0', KVM_SYM_NAME_MAX + 1) !=
					NULL,
				"kf_sym without its NUL");
			t->named++;
		}
		if (f->kf_module)
			fd_must(memchr(f->kf_module, '\0', 64) != NULL,
				"kf_module without its NUL");
		if (i + 1 < ks->ks_nframes)
			fd_must(!(f->kf_flags & KVM_FRAME_END),
				"KVM_FRAME_END on a frame that is not the last");
	}
	bool end = ks->ks_frames[ks->ks_nframes - 1].kf_flags & KVM_FRAME_END;
	fd_must(end == (ks->ks_stopped[0] == '\0'),
		end ? "KVM_FRAME_END, and ks_stopped says why it stopped"
		    : "no KVM_FRAME_END, and ks_stopped is empty");
	t->frames += ks->ks_nframes;
	t->complete += end;
	if (!end && !t->first_stop[0])
		snprintf(t->first_stop, sizeof(t->first_stop), "%s",
			 ks->ks_stopped);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	unsigned flags = data[0];
	uint64_t vlen = fm_u32(data + 4), blen = fm_u32(data + 8);
	uint64_t slen = fm_u32(data + 12);
	unsigned nnotes = KVM_MIN((flags >> 2) & 3, MAX_NOTES);
	if (vlen > size - HDR || blen > size - HDR - vlen ||
	    slen > size - HDR - vlen - blen ||
	    (uint64_t)nnotes * NOTE_SIZE > size - HDR - vlen - blen - slen)
		return 0;
	const uint8_t *vtext = data + HDR, *btf = vtext + vlen;
	const uint8_t *stext = btf + blen, *notes = stext + slen;

	kvm_t *kd = fm_open(data, size,
			    HDR + vlen + blen + slen + nnotes * NOTE_SIZE,
			    MAX_SEGS, flags & 1 ? EM_AARCH64 : EM_X86_64,
			    flags & 2);
	if (!kd)
		return 0;
	int btf_fd = -1;
	struct stack_tally ts = { 0 }, tc = { 0 };
	if (add_cpus(kd, notes, nnotes))
		goto out;
	if (vlen && kvm_set_vmcoreinfo(kd, (const char *)vtext, vlen))
		goto out;
	if (kvm_setup_arch(kd)) {
		fd_check_msg(kd->errbuf, "kvm_setup_arch failed without a "
			     "message");
		goto out;
	}
	if (add_symbols(kd, stext, slen, fm_u64(data + 16), fm_u64(data + 24)))
		goto out;
	if (blen && (btf_fd = btf_memfd(kd, btf, blen)) < 0)
		goto out;

	int cnt = -1;
	struct kinfo_proc2 *p =
		kvm_getproc2(kd, KERN_PROC_ALL, 0, sizeof(*p), &cnt);
	if (!p) {
		fd_check_msg(kvm_geterr(kd), "kvm_getproc2 failed without a "
			     "message");
	} else {
		fd_must(cnt >= 0, "a negative process count");
		for (int i = 0; i < cnt; i++)
			fd_must(memchr(p[i].p_comm, '\0',
				       sizeof(p[i].p_comm)) != NULL,
				"p_comm without its NUL");
		/* The array is replaced by the next call: keep the first. */
		struct kinfo_proc2 first[ARGS_PROCS];
		int n = cnt < ARGS_PROCS ? cnt : ARGS_PROCS;
		memcpy(first, p, (size_t)n * sizeof(*p));
		for (int i = 0; i < n; i++) {
			check_vector(kd, kvm_getargv2(kd, &first[i], 0),
				     0, "kvm_getargv2 failed without a message");
			check_vector(kd, kvm_getenvv2(kd, &first[i], 24), 24,
				     "kvm_getenvv2 failed without a message");
		}
		/* The last: its argv may be in swap (src/proc/swap.c). */
		if (cnt > n) {
			struct kinfo_proc2 last = p[cnt - 1];
			check_vector(kd, kvm_getargv2(kd, &last, 0), 0,
				     "kvm_getargv2 failed without a message");
		}
		if (n > 0) {
			int c2 = -1;
			struct kinfo_proc2 *q = kvm_getproc2(
				kd, KERN_PROC_PID, first[n - 1].p_pid,
				sizeof(*q), &c2);
			if (!q)
				fd_check_msg(kvm_geterr(kd),
					     "kvm_getproc2 by pid failed without "
					     "a message");
		}
		for (int i = 0; i < n; i++) {
			const struct kvm_stack *ks = kvm_getstack(kd, &first[i]);
			check_stack(kd, ks, "kvm_getstack failed without a "
				    "message", &ts);
			if (ks) {
				fd_must(ks->ks_pid == first[i].p_pid,
					"kvm_getstack: another pid's stack");
				/* Its CPU's note may be the kernel's own copy
				   (crash_notes), for a CPU the dump's notes
				   lack: any CPU the kernel can have. */
				fd_must(ks->ks_cpu >= -1 &&
						ks->ks_cpu < KVM_MAX_CPUS,
					"kvm_getstack: a CPU that cannot be");
			}
		}
	}
	int ncpu = (int)KVM_MIN(kd->ncpus, (size_t)STACK_CPUS);
	for (int cpu = 0; cpu < ncpu; cpu++) {
		const struct kvm_stack *ks = kvm_getstack_cpu(kd, cpu);
		check_stack(kd, ks, "kvm_getstack_cpu failed without a message",
			    &tc);
		if (ks)
			fd_must(ks->ks_cpu == cpu,
				"kvm_getstack_cpu: another CPU's stack");
	}
	/* CPUs the dump does not hold: refused, with a message. */
	int bad[2] = { -1, (int)kd->ncpus };
	for (int i = 0; i < 2; i++) {
		fd_must(kvm_getstack_cpu(kd, bad[i]) == NULL,
			"kvm_getstack_cpu of a CPU that is not there");
		fd_check_msg(kvm_geterr(kd), "kvm_getstack_cpu refused a CPU "
			     "without a message");
	}
	fd_must(kvm_getstack(kd, NULL) == NULL, "kvm_getstack of no process");
	fd_check_msg(kvm_geterr(kd), "kvm_getstack refused no process without "
		     "a message");
	double la[3];
	int nla = kvm_getloadavg(kd, la, 3);
	if (nla < 0) {
		fd_check_msg(kvm_geterr(kd), "kvm_getloadavg failed without a "
			     "message");
	} else {
		fd_must(nla <= 3, "kvm_getloadavg stored too many");
		for (int i = 0; i < nla; i++)
			fd_must(isfinite(la[i]) && la[i] >= 0,
				"a load average that is no number");
	}
	if (getenv("FUZZ_VERBOSE")) {
		fprintf(stderr, "fuzz_tasks: %s, %d processes, loadavg %d%s%s\n",
			blen ? "BTF" : "VMCOREINFO", cnt, nla,
			p ? "" : ": ", p ? "" : kvm_geterr(kd));
		const struct stack_tally *tl[2] = { &ts, &tc };
		for (int i = 0; i < 2; i++)
			fprintf(stderr,
				"fuzz_tasks: %s stacks %d of %d, %zu frames "
				"(%zu named), %d complete%s%s%s%s\n",
				i ? "CPU" : "process", tl[i]->got,
				tl[i]->asked, tl[i]->frames, tl[i]->named,
				tl[i]->complete,
				tl[i]->first_stop[0] ? "; stopped: " : "",
				tl[i]->first_stop,
				tl[i]->first_err[0] ? "; failed: " : "",
				tl[i]->first_err);
	}
out:
	kvm_close(kd);
	if (btf_fd >= 0)
		close(btf_fd);
	return 0;
}
