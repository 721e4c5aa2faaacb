// SPDX-License-Identifier: BSD-2-Clause
/*
 * kcore bt: kernel stacks of processes and of the tasks on each CPU
 * (kvm_getstack(3)).  --proc-stack prints a process's stack exactly as
 * its /proc/PID/stack would: "[<0>] function+0xOFF/0xSIZE", without the
 * scheduler's and the locks' functions, which the kernel leaves out.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcore.h"

/* What the kernel leaves out of /proc/PID/stack (in_sched_functions). */
struct hidden {
	uint64_t lo[2], hi[2];
	int n;
};

static void
hidden_load(kvm_t *kd, struct hidden *h)
{
	struct kvm_nlist nl[] = {
		{ .n_name = "__sched_text_start" },
		{ .n_name = "__sched_text_end" },
		{ .n_name = "__lock_text_start" },
		{ .n_name = "__lock_text_end" },
		{ .n_name = NULL },
	};

	h->n = 0;
	if (kvm_nlist2(kd, nl) < 0)
		return;
	for (int i = 0; i < 2; i++)
		if (nl[2 * i].n_type != KVM_N_UNDF &&
		    nl[2 * i + 1].n_type != KVM_N_UNDF &&
		    nl[2 * i].n_value < nl[2 * i + 1].n_value) {
			h->lo[h->n] = nl[2 * i].n_value;
			h->hi[h->n] = nl[2 * i + 1].n_value;
			h->n++;
		}
	kvm_clearerr(kd);
}

static bool
is_hidden(const struct hidden *h, uint64_t pc)
{
	for (int i = 0; i < h->n; i++)
		if (pc >= h->lo[i] && pc < h->hi[i])
			return true;
	return false;
}

/* function+0xOFF/0xSIZE [module]; without a symbol, what unknown says. */
static void
frame_name(const struct kvm_frame *f, bool addr_if_unknown)
{
	if (f->kf_sym) {
		text_string(stdout, f->kf_sym);
		printf("+0x%" PRIx64, f->kf_symoff);
		if (f->kf_symsize)
			printf("/0x%" PRIx64, f->kf_symsize);
	} else if (addr_if_unknown) {
		printf("0x%" PRIx64, f->kf_pc); /* as the kernel's %pB */
	} else {
		putchar('?');
	}
	if (f->kf_module) {
		fputs(" [", stdout);
		text_string(stdout, f->kf_module);
		putchar(']');
	}
}

static void
print_proc_stack(const struct kvm_stack *s, const struct hidden *h)
{
	int shown = 0;

	/* The kernel saves at most 64 entries (MAX_STACK_TRACE_DEPTH). */
	for (size_t i = 0; i < s->ks_nframes && shown < 64; i++) {
		const struct kvm_frame *f = &s->ks_frames[i];
		if ((f->kf_flags & KVM_FRAME_USER) || is_hidden(h, f->kf_pc))
			continue;
		fputs("[<0>] ", stdout);
		frame_name(f, true);
		putchar('\n');
		shown++;
	}
}

void
kcore_print_frames(const struct kvm_stack *s)
{
	for (size_t i = 0; i < s->ks_nframes; i++) {
		const struct kvm_frame *f = &s->ks_frames[i];
		printf(" #%-2zu 0x%016" PRIx64 " ", i, f->kf_pc);
		if (f->kf_flags & KVM_FRAME_USER)
			fputs("(user space)", stdout);
		else
			frame_name(f, false);
		if ((f->kf_flags & KVM_FRAME_REGS) && f->kf_regs)
			printf("  <registers at 0x%" PRIx64 ">", f->kf_regs);
		else if (f->kf_flags & KVM_FRAME_REGS)
			fputs("  <the CPU's registers>", stdout);
		if (f->kf_flags & KVM_FRAME_UNRELIABLE)
			fputs("  (unreliable)", stdout);
		putchar('\n');
	}
	if (s->ks_stopped[0]) {
		fputs(" ... stopped: ", stdout);
		text_string(stdout, s->ks_stopped);
		putchar('\n');
	}
}

static void
print_text(const struct kvm_stack *s)
{
	if (s->ks_task) {
		printf("PID %d (", s->ks_pid);
		text_string(stdout, s->ks_comm);
		printf(") task 0x%" PRIx64, s->ks_task);
		if (s->ks_cpu >= 0)
			printf(" on CPU %d", s->ks_cpu);
	} else {
		/* No per-CPU offsets among the symbols: the task is unknown. */
		printf("CPU %d (task unknown)", s->ks_cpu);
	}
	putchar('\n');
	kcore_print_frames(s);
}

static void
print_json(const struct kvm_stack *s)
{
	if (s->ks_task) {
		printf("{\"pid\": %d, \"comm\": ", s->ks_pid);
		json_string(stdout, s->ks_comm);
		fputs(", \"task\": ", stdout);
		json_hex(stdout, s->ks_task);
	} else {
		fputs("{\"pid\": null, \"comm\": null, \"task\": null", stdout);
	}
	if (s->ks_cpu >= 0)
		printf(", \"cpu\": %d", s->ks_cpu);
	else
		fputs(", \"cpu\": null", stdout);
	fputs(", \"frames\": [", stdout);
	for (size_t i = 0; i < s->ks_nframes; i++) {
		const struct kvm_frame *f = &s->ks_frames[i];
		printf("%s{\"pc\": ", i ? ", " : "");
		json_hex(stdout, f->kf_pc);
		fputs(", \"sp\": ", stdout);
		json_hex(stdout, f->kf_sp);
		fputs(", \"symbol\": ", stdout);
		if (f->kf_sym) {
			json_string(stdout, f->kf_sym);
			printf(", \"offset\": %" PRIu64 ", \"size\": %" PRIu64,
			       f->kf_symoff, f->kf_symsize);
		} else {
			fputs("null", stdout);
		}
		fputs(", \"module\": ", stdout);
		if (f->kf_module)
			json_string(stdout, f->kf_module);
		else
			fputs("null", stdout);
		printf(", \"regs\": %s, \"unreliable\": %s, \"user\": %s}",
		       f->kf_flags & KVM_FRAME_REGS ? "true" : "false",
		       f->kf_flags & KVM_FRAME_UNRELIABLE ? "true" : "false",
		       f->kf_flags & KVM_FRAME_USER ? "true" : "false");
	}
	printf("], \"complete\": %s, \"stopped\": ",
	       s->ks_stopped[0] ? "false" : "true");
	if (s->ks_stopped[0])
		json_string(stdout, s->ks_stopped);
	else
		fputs("null", stdout);
	putchar('}');
}

struct bt_run {
	kvm_t *kd;
	const struct kcore_opts *o;
	bool proc_stack;
	struct hidden hidden;
	int printed; /* JSON elements so far */
	int status;
};

static void
json_error(struct bt_run *r, const char *key, int id, const char *msg)
{
	printf("%s\n {\"%s\": %d, \"error\": ", r->printed++ ? "," : "", key,
	       id);
	json_string(stdout, msg);
	putchar('}');
}

static void
show(struct bt_run *r, const struct kvm_stack *s, const char *key, int id)
{
	if (!s) {
		char what[48];
		snprintf(what, sizeof(what), "bt: %s %d", key, id);
		int st = kcore_fail(r->kd, what);
		if (r->status == KCORE_EXIT_OK)
			r->status = st == KCORE_EXIT_OK ? KCORE_EXIT_PARTIAL
							: st;
		if (r->o->json)
			json_error(r, key, id, kvm_geterr(r->kd));
		return;
	}
	if (s->ks_stopped[0]) {
		fprintf(stderr, "kcore: bt: %s %d: incomplete: %s\n", key, id,
			s->ks_stopped);
		if (r->status == KCORE_EXIT_OK)
			r->status = KCORE_EXIT_PARTIAL;
	}
	if (r->o->json) {
		printf("%s\n ", r->printed++ ? "," : "");
		print_json(s);
	} else if (r->proc_stack) {
		print_proc_stack(s, &r->hidden);
	} else {
		if (r->printed++)
			putchar('\n');
		print_text(s);
	}
}

static void
zombie(struct bt_run *r, const struct kinfo_proc2 *p)
{
	if (r->o->json) {
		json_error(r, "pid", p->p_pid,
			   "a zombie: it has exited and its stack is freed");
	} else if (!r->proc_stack) {
		if (r->printed++)
			putchar('\n');
		printf("PID %d (", p->p_pid);
		text_string(stdout, p->p_comm);
		puts("): a zombie, its stack is freed");
	}
}

static void
bt_pid(struct bt_run *r, int pid)
{
	int n;
	struct kinfo_proc2 *p =
		kvm_getproc2(r->kd, KERN_PROC_PID, pid, sizeof(*p), &n);
	if (p && n == 0) {
		kcore_note_error("not_found", "bt: no process %d", pid);
		fprintf(stderr, "kcore: %s\n", kcore_err_msg);
		if (r->o->json)
			json_error(r, "pid", pid, kcore_err_msg);
		r->status = r->status ? r->status : KCORE_EXIT_PARTIAL;
		return;
	}
	if (!p) {
		show(r, NULL, "pid", pid);
		return;
	}
	struct kinfo_proc2 kp = p[0];
	show(r, kvm_getstack(r->kd, &kp), "pid", pid);
}

int
cmd_bt(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	struct bt_run r = { .kd = kd, .o = o, .proc_stack = o->proc_stack };
	uint64_t v;

	if (o->all && argc) {
		kcore_usage_error("bt: -a takes no PID");
		return KCORE_EXIT_USAGE;
	}
	if (r.proc_stack && (o->all || argc == 0)) {
		kcore_usage_error("bt --proc-stack takes PIDs");
		return KCORE_EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++)
		if (!kcore_parse_u64(argv[i], &v) || v > INT32_MAX) {
			kcore_usage_error("bt: '%s' is not a PID", argv[i]);
			return KCORE_EXIT_USAGE;
		}
	if (r.proc_stack)
		hidden_load(kd, &r.hidden);
	if (o->json)
		putchar('[');
	if (argc) {
		for (int i = 0; i < argc; i++) {
			kcore_parse_u64(argv[i], &v);
			kvm_clearerr(kd);
			bt_pid(&r, (int)v);
		}
	} else {
		/* -a: every process; both: the task on each CPU. */
		if (o->all) {
			int n;
			kvm_clearerr(kd);
			struct kinfo_proc2 *p = kvm_getproc2(kd, KERN_PROC_ALL,
							     0, sizeof(*p), &n);
			if (!p) {
				int st = kcore_fail(kd,
						    "bt -a: the process list");
				r.status = st == KCORE_EXIT_OK
						   ? KCORE_EXIT_PARTIAL
						   : st;
				if (o->json) {
					printf("%s\n {\"error\": ",
					       r.printed++ ? "," : "");
					json_string(stdout, kvm_geterr(kd));
					putchar('}');
				}
			} else {
				/* The list lives until the next kvm call. */
				struct kinfo_proc2 *copy =
					n ? malloc((size_t)n * sizeof(*p))
					  : NULL;
				if (n && !copy) {
					fprintf(stderr,
						"kcore: out of memory\n");
					return KCORE_EXIT_OSERR;
				}
				if (n)
					memcpy(copy, p, (size_t)n * sizeof(*p));
				for (int i = 0; i < n; i++) {
					kvm_clearerr(kd);
					if (copy[i].p_stat == 'Z') {
						/* No stack, and no failure of -a. */
						zombie(&r, &copy[i]);
						continue;
					}
					show(&r, kvm_getstack(kd, &copy[i]),
					     "pid", copy[i].p_pid);
				}
				free(copy);
			}
		}
		struct kvm_info info;
		if (kvm_get_info(kd, &info, sizeof(info)) == 0)
			for (int c = 0; c < info.ncpus; c++) {
				kvm_clearerr(kd);
				show(&r, kvm_getstack_cpu(kd, c), "cpu", c);
			}
	}
	if (o->json)
		puts(r.printed ? "\n]" : "]");
	return r.status;
}
