// SPDX-License-Identifier: BSD-2-Clause
/*
 * The crash summary, kvm_getcrash(): why the kernel stopped, from the dump
 * alone.  The log gives the panic line and the oops line before it (the
 * same markers crash(8) and drgn look for), and the "CPU: N PID: P Comm:"
 * line the kernel prints with them; panic_cpu (crashing_cpu on x86)
 * names the CPU where the symbols allow; that CPU's registers give the
 * stack, else the Call Trace the kernel printed.  The title and the
 * signature, as syzbot names its crashes, are the kind of failure and the
 * first functions outside the panic and oops code, with the compiler's
 * clone suffixes dropped, so that the same bug gets the same signature
 * on another boot or build.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

/* The log's markers, as crash(8) and drgn rank them. */
static const char *const panic_mark = "Kernel panic - not syncing";
static const char *const oops_marks[] = {
	"BUG:",	 "Unable to handle kernel",  "kernel BUG at",
	"Oops:", "general protection fault", "WARNING:",
};

/*
 * Functions of the panic, oops and trap paths (x86_64 and arm64): not
 * where a bug is, so titles and signatures skip them.
 */
static const char *const machinery[] = {
	"panic",
	"vpanic",
	"nmi_panic",
	"__crash_kexec",
	"crash_kexec",
	"machine_crash_shutdown",
	"native_machine_crash_shutdown",
	"crash_smp_send_stop",
	"dump_stack",
	"dump_stack_lvl",
	"show_stack",
	"show_trace_log_lvl",
	"die",
	"__die",
	"__die_body",
	"die_addr",
	"oops_begin",
	"oops_end",
	"do_trap",
	"do_error_trap",
	"handle_bug",
	"handle_invalid_op",
	"exc_invalid_op",
	"asm_exc_invalid_op",
	"exc_page_fault",
	"asm_exc_page_fault",
	"page_fault_oops",
	"kernelmode_fixup_or_oops",
	"__bad_area_nosemaphore",
	"bad_area_nosemaphore",
	"do_user_addr_fault",
	"do_kern_addr_fault",
	"exc_general_protection",
	"asm_exc_general_protection",
	"__warn",
	"warn_slowpath_fmt",
	"report_bug",
	"bug_handler",
	"call_break_hook",
	"brk_handler",
	"do_debug_exception",
	"el1_dbg",
	"el1h_64_sync_handler",
	"el1h_64_sync",
	"el1_abort",
	"do_mem_abort",
	"__do_kernel_fault",
	"die_kernel_fault",
	"do_page_fault",
	"do_translation_fault",
	"arm64_notify_die",
	"do_el1_undef",
	"do_el1_bti",
	"el1_undef",
	"bust_spinlocks",
	"console_flush_on_panic",
};

/* name without the compiler's clone suffixes (.cold, .constprop.0...). */
static void
bare_name(const char *name, char *out, size_t outsz)
{
	size_t n = strcspn(name, ".");

	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, name, n);
	out[n] = '\0';
}

static bool
is_machinery(const char *bare)
{
	for (size_t i = 0; i < sizeof(machinery) / sizeof(*machinery); i++)
		if (strcmp(bare, machinery[i]) == 0)
			return true;
	return false;
}

/* One line of text: the record up to its first newline, cut to fit. */
static void
copy_line(char *dst, size_t dstsz, const char *src)
{
	size_t n = strcspn(src, "\n");

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	/* Bytes from the dump: no control characters in a summary. */
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/*
 * The oops marker a record starts with; "BUG:" and "Oops:" also inside
 * one ("watchdog: BUG: soft lockup", arm64's "Internal error: Oops:").
 */
static const char *
oops_mark_in(const char *text)
{
	for (size_t i = 0; i < sizeof(oops_marks) / sizeof(*oops_marks); i++) {
		const char *p = strstr(text, oops_marks[i]);
		if (p && (p == text || strcmp(oops_marks[i], "BUG:") == 0 ||
			  strcmp(oops_marks[i], "Oops:") == 0))
			return oops_marks[i];
	}
	return NULL;
}

/*
 * The kind of failure in a message, without what changes from one
 * occurrence to the next (addresses, file lines, CPUs, times): cut
 * before " at ", ", address", " for address", "!", " CPU:", ": 0" (an
 * oops's error code) or " [#" (its count), then every
 * number (decimal, 0x hex, a bare hex word of 8+ digits) becomes X.
 */
void
kvm_crash_kind(const char *msg, char *out, size_t outsz)
{
	static const char *const cuts[] = { " at ", ", address", " for address",
					    "!",    " CPU:",	 ": 0",
					    " [#" };
	size_t n = strlen(msg);

	for (size_t i = 0; i < sizeof(cuts) / sizeof(*cuts); i++) {
		const char *c = strstr(msg, cuts[i]);
		if (c && c != msg && (size_t)(c - msg) < n)
			n = (size_t)(c - msg);
	}
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outsz;) {
		size_t j = i;
		if (msg[i] == '0' && i + 1 < n && msg[i + 1] == 'x') {
			for (j = i + 2;
			     j < n && isxdigit((unsigned char)msg[j]);)
				j++;
		} else if (isdigit((unsigned char)msg[i])) {
			bool hexword = i == 0 ||
				       !isalnum((unsigned char)msg[i - 1]);
			size_t d = i, h = i;
			while (d < n && isdigit((unsigned char)msg[d]))
				d++;
			while (h < n && isxdigit((unsigned char)msg[h]))
				h++;
			j = (hexword && h - i >= 8 &&
			     (h == n || !isalnum((unsigned char)msg[h])))
				    ? h
				    : d;
		} else if (isxdigit((unsigned char)msg[i]) &&
			   (i == 0 || !isalnum((unsigned char)msg[i - 1]))) {
			size_t h = i;
			bool digit = false;
			while (h < n && isxdigit((unsigned char)msg[h]))
				digit |= isdigit((unsigned char)msg[h++]) != 0;
			if (digit && h - i >= 8 &&
			    (h == n || !isalnum((unsigned char)msg[h])))
				j = h;
		}
		if (j > i) {
			out[o++] = 'X';
			i = j;
		} else {
			out[o++] = msg[i++];
		}
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == ':' ||
			 out[o - 1] == ',' || out[o - 1] == '-'))
		o--;
	out[o] = '\0';
}

/* "CPU: 1 PID: 626 Comm: kvmtest-crasher Not tainted 6.1.0 ..." */
static bool
parse_cpu_line(const char *t, struct kvm_crash *c)
{
	const char *p = strstr(t, "CPU: ");
	int cpu, pid, n = 0;
	char comm[16];

	if (!p || sscanf(p, "CPU: %d PID: %d Comm: %15s%n", &cpu, &pid, comm,
			 &n) != 3)
		return false;
	if (cpu < 0 || cpu >= KVM_MAX_CPUS || pid < 0)
		return false;
	if (c->kc_cpu < 0)
		c->kc_cpu = cpu;
	c->kc_pid = pid;
	snprintf(c->kc_comm, sizeof(c->kc_comm), "%s", comm);
	const char *tail = p + n;
	if (!c->kc_taint_known) {
		if (strstr(tail, "Not tainted"))
			snprintf(c->kc_taint_str, sizeof(c->kc_taint_str),
				 "Not tainted");
		else if ((p = strstr(tail, "Tainted: ")) != NULL)
			copy_line(c->kc_taint_str, sizeof(c->kc_taint_str),
				  p + 9);
		/* The flags end where the release begins. */
		char *sp = strstr(c->kc_taint_str, "  ");
		if (sp && sp != c->kc_taint_str)
			*sp = '\0';
	}
	return true;
}

/* The kernel's taint letters (kernel/panic.c taint_flags), by bit. */
static const char taint_letters[] = "PFSRMBUDAWCIOELKXTN";

static void
taint_from_memory(kvm_t *kd, struct kvm_crash *c)
{
	uint64_t a, v;
	uint8_t b[8];
	size_t done;

	if (kvm_sym_lookup(kd, "tainted_mask", &a) ||
	    kvm_virt_read(kd, a, b, (size_t)kd->ptr_size, &done)) {
		kvm_error_clear(kd);
		return;
	}
	v = kvm_tgt_uint(kd, b, (uint32_t)kd->ptr_size);
	c->kc_taint_known = 1;
	c->kc_taint = v;
	if (v == 0) {
		snprintf(c->kc_taint_str, sizeof(c->kc_taint_str),
			 "Not tainted");
		return;
	}
	size_t o = 0;
	for (size_t i = 0;
	     i < sizeof(taint_letters) - 1 && o + 1 < sizeof(c->kc_taint_str);
	     i++)
		if (v & (1ull << i))
			c->kc_taint_str[o++] = taint_letters[i];
	c->kc_taint_str[o] = '\0';
}

/* An int the kernel keeps (panic_cpu, crashing_cpu); false if none. */
static bool
read_int(kvm_t *kd, const char *sym, int64_t *v)
{
	uint64_t a, u;

	if (kvm_sym_lookup(kd, sym, &a) || kvm_virt_read_uint(kd, a, 4, &u)) {
		kvm_error_clear(kd);
		return false;
	}
	*v = (int32_t)u;
	return true;
}

/*
 * The Call Trace the kernel printed after line i: " func+0x1/0x2" lines
 * up to "</TASK>" or the next marker, "?" guesses left out.
 */
static void
log_frames(const struct kvm_log_entry *e, size_t n, size_t i,
	   struct kvm_crash *c)
{
	bool in_trace = false;

	for (size_t k = i; k < n && k < i + 400 && c->kc_nlogframes < 16; k++) {
		const char *t = e[k].text;
		if (strstr(t, "Call trace:") || strstr(t, "Call Trace:")) {
			in_trace = true;
			continue;
		}
		if (!in_trace)
			continue;
		while (*t == ' ')
			t++;
		if (*t == '<' || *t == '?')
			continue; /* <TASK>, <IRQ>, guesses */
		const char *plus = strstr(t, "+0x");
		if (!plus || plus == t) {
			if (c->kc_nlogframes)
				break; /* the trace ended */
			continue;
		}
		size_t len = (size_t)(plus - t);
		if (len >= sizeof(c->kc_logframes[0]) || memchr(t, ' ', len))
			continue;
		memcpy(c->kc_logframes[c->kc_nlogframes], t, len);
		c->kc_logframes[c->kc_nlogframes++][len] = '\0';
	}
}

/* Title and signature from the kind and the first frames that count. */
static void
name_it(struct kvm_crash *c)
{
	const char *what = c->kc_cause[0] ? c->kc_cause : c->kc_message;
	char kind[128], fn[3][64];
	int nf = 0;

	kvm_crash_kind(what, kind, sizeof(kind));
	if (c->kc_stack) {
		for (size_t i = 0; i < c->kc_stack->ks_nframes && nf < 3; i++) {
			const struct kvm_frame *f = &c->kc_stack->ks_frames[i];
			if (!f->kf_sym || (f->kf_flags & KVM_FRAME_USER))
				continue;
			bare_name(f->kf_sym, fn[nf], sizeof(fn[nf]));
			if (!is_machinery(fn[nf]) &&
			    (nf == 0 || strcmp(fn[nf], fn[nf - 1])))
				nf++;
		}
	} else {
		for (size_t i = 0; i < c->kc_nlogframes && nf < 3; i++) {
			bare_name(c->kc_logframes[i], fn[nf], sizeof(fn[nf]));
			if (!is_machinery(fn[nf]) &&
			    (nf == 0 || strcmp(fn[nf], fn[nf - 1])))
				nf++;
		}
	}
	if (nf)
		snprintf(c->kc_title, sizeof(c->kc_title), "%.120s in %s", kind,
			 fn[0]);
	else
		snprintf(c->kc_title, sizeof(c->kc_title), "%.120s", kind);
	int o = snprintf(c->kc_signature, sizeof(c->kc_signature), "%.120s",
			 kind);
	for (int i = 0; i < nf && o > 0 && (size_t)o < sizeof(c->kc_signature);
	     i++)
		o += snprintf(c->kc_signature + o,
			      sizeof(c->kc_signature) - (size_t)o, "|%s",
			      fn[i]);
}

KVM_EXPORT const struct kvm_crash *
kvm_getcrash(kvm_t *kd)
{
	return kvm_getcrash2(kd, 0);
}

/*
 * The panic line, and the first oops line before it, into c's message,
 * cause and uptime.  Returns the index of the first of them, n if none.
 */
static size_t
log_marks(const struct kvm_log_entry *e, size_t n, struct kvm_crash *c)
{
	size_t panic_i = n, cause_i = n;
	for (size_t i = 0; i < n; i++) {
		if (panic_i == n && strstr(e[i].text, panic_mark))
			panic_i = i;
		const char *m = oops_mark_in(e[i].text);
		if (cause_i == n && m && (i < panic_i || panic_i == n)) {
			/* A warning is a cause only when a panic follows. */
			if (strcmp(m, "WARNING:") != 0)
				cause_i = i;
			else if (panic_i == n)
				for (size_t k = i + 1; k < n && k < i + 400;
				     k++)
					if (strstr(e[k].text, panic_mark)) {
						cause_i = i;
						break;
					}
		}
	}
	if (panic_i < n)
		copy_line(c->kc_message, sizeof(c->kc_message),
			  strstr(e[panic_i].text, panic_mark));
	if (cause_i < n) {
		copy_line(c->kc_cause, sizeof(c->kc_cause), e[cause_i].text);
		if (!c->kc_message[0])
			memcpy(c->kc_message, c->kc_cause,
			       sizeof(c->kc_message));
	}
	size_t first = KVM_MIN(panic_i, cause_i);
	if (first < n)
		c->kc_uptime_nsec = e[panic_i < n ? panic_i : cause_i].ts_nsec;
	return first;
}

/* The stack: the CPU's registers, else the trace the kernel printed. */
static void
crash_stack(kvm_t *kd, struct kvm_crash *c, bool log_only)
{
	if (!log_only && c->kc_cpu >= 0 && (size_t)c->kc_cpu < kd->ncpus) {
		c->kc_stack = kvm_getstack_cpu(kd, c->kc_cpu);
		if (c->kc_stack && c->kc_stack->ks_nframes &&
		    (c->kc_stack->ks_frames[0].kf_flags & KVM_FRAME_USER))
			c->kc_stack = NULL; /* the CPU was in user space */
	}
	kvm_error_clear(kd);
	if (c->kc_stack) {
		snprintf(c->kc_stack_from, sizeof(c->kc_stack_from),
			 "registers");
		if (c->kc_pid < 0 && c->kc_stack->ks_task) {
			c->kc_pid = c->kc_stack->ks_pid;
			memcpy(c->kc_comm, c->kc_stack->ks_comm,
			       sizeof(c->kc_comm));
		}
	} else if (c->kc_nlogframes) {
		snprintf(c->kc_stack_from, sizeof(c->kc_stack_from), "log");
	}
}

KVM_EXPORT const struct kvm_crash *
kvm_getcrash2(kvm_t *kd, int flags)
{
	const struct kvm_log_entry *e = NULL;
	size_t n = 0;
	struct kvm_info info;

	KVM_CHECK_KD(kd, NULL);
	if (flags & ~KVM_CRASH_LOG) {
		kvm_error(kd, KVM_EINVAL, "kvm_getcrash2: unknown flags 0x%x",
			  (unsigned)flags);
		kvm_report(kd);
		return NULL;
	}
	const bool log_only = flags & KVM_CRASH_LOG;
	if (!kd->stack && !(kd->stack = calloc(1, sizeof(*kd->stack)))) {
		kvm_error(kd, KVM_ENOMEM, "out of memory");
		return NULL;
	}
	struct kvm_crash *c = &kd->stack->crash;
	memset(c, 0, sizeof(*c));
	c->kc_cpu = -1;
	c->kc_pid = -1;
	if (kvm_get_info(kd, &info, sizeof(info)) == 0)
		c->kc_crash_time = info.crash_time;
	bool have_log = kvm_log_get(kd, &e, &n) == 0 && n > 0;
	char log_why[200] = "";
	if (!have_log) {
		snprintf(log_why, sizeof(log_why), "%.190s",
			 kd->errbuf[0] ? kd->errbuf : "the log is empty");
		e = NULL;
		n = 0;
	}
	kvm_error_clear(kd);

	size_t first = log_marks(e, n, c);

	/*
	 * The CPU: panic_cpu (crashing_cpu on x86), else the log's line.
	 * KVM_CRASH_LOG reads no symbol: the log's line only.
	 */
	int64_t v;
	bool have_pcpu = false;
	if (!log_only) {
		if ((have_pcpu = read_int(kd, "panic_cpu", &v)) && v >= 0 &&
		    v < KVM_MAX_CPUS)
			c->kc_cpu = (int)v;
		else if (read_int(kd, "crashing_cpu", &v) && v >= 0 &&
			 v < KVM_MAX_CPUS)
			c->kc_cpu = (int)v;
		taint_from_memory(kd, c);
	}
	for (size_t i = first; i < n && i < first + 64; i++)
		if (parse_cpu_line(e[i].text, c))
			break;
	c->kc_panicked = first < n || c->kc_cpu >= 0;
	if (!c->kc_panicked) {
		/* No sign of a panic is an answer only where one was looked for. */
		if (!have_log && (log_only || !have_pcpu))
			snprintf(c->kc_unknown, sizeof(c->kc_unknown),
				 "%sno log: %s",
				 log_only ? "" : "no panic_cpu, and ", log_why);
		c->kc_cpu = -1;
		kvm_error_clear(kd);
		return c;
	}
	if (first < n)
		log_frames(e, n, first, c);
	crash_stack(kd, c, log_only);
	if (!c->kc_message[0])
		snprintf(c->kc_message, sizeof(c->kc_message),
			 "panic_cpu is %d, and the log holds no panic message",
			 c->kc_cpu);
	name_it(c);
	return c;
}
