// SPDX-License-Identifier: BSD-2-Clause
/*
 * kcore panic: why the kernel stopped (kvm_getcrash(3)), for a person
 * (text) or a fleet that groups thousands of dumps (--json: title and
 * signature).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kcore.h"

static void
json_str_or_null(const char *key, const char *v)
{
	printf(", \"%s\": ", key);
	if (v && *v)
		json_string(stdout, v);
	else
		fputs("null", stdout);
}

static void
frame_text(char *buf, size_t len, const struct kvm_frame *f)
{
	if (f->kf_flags & KVM_FRAME_USER)
		snprintf(buf, len, "(user space)");
	else if (f->kf_sym)
		snprintf(buf, len, "%s+0x%" PRIx64 "/0x%" PRIx64 "%s%s%s",
			 f->kf_sym, f->kf_symoff, f->kf_symsize,
			 f->kf_module ? " [" : "",
			 f->kf_module ? f->kf_module : "",
			 f->kf_module ? "]" : "");
	else
		snprintf(buf, len, "0x%" PRIx64, f->kf_pc);
}

static void
print_json(const struct kvm_crash *c, const struct kvm_info *info,
	   const double *la, int nla)
{
	printf("{\"panicked\": %s", c->kc_panicked ? "true" : "false");
	printf(", \"known\": %s", c->kc_unknown[0] ? "false" : "true");
	json_str_or_null("unknown", c->kc_unknown);
	json_str_or_null("message", c->kc_message);
	json_str_or_null("cause", c->kc_cause);
	json_str_or_null("title", c->kc_title);
	json_str_or_null("signature", c->kc_signature);
	if (c->kc_cpu >= 0)
		printf(", \"cpu\": %d", c->kc_cpu);
	else
		fputs(", \"cpu\": null", stdout);
	if (c->kc_pid >= 0)
		printf(", \"pid\": %d", c->kc_pid);
	else
		fputs(", \"pid\": null", stdout);
	json_str_or_null("comm", c->kc_comm);
	if (c->kc_crash_time)
		printf(", \"crash_time\": %" PRIu64, c->kc_crash_time);
	else
		fputs(", \"crash_time\": null", stdout);
	if (c->kc_uptime_nsec)
		printf(", \"uptime\": %" PRIu64 ".%06" PRIu64,
		       c->kc_uptime_nsec / 1000000000,
		       c->kc_uptime_nsec % 1000000000 / 1000);
	else
		fputs(", \"uptime\": null", stdout);
	json_str_or_null("taint", c->kc_taint_str);
	fputs(", \"loadavg\": ", stdout);
	if (nla == 3)
		printf("[%.2f, %.2f, %.2f]", la[0], la[1], la[2]);
	else
		fputs("null", stdout);
	json_str_or_null("release", info->release);
	json_str_or_null("stack_from", c->kc_stack_from);
	fputs(", \"stack\": [", stdout);
	char buf[256];
	if (c->kc_stack) {
		for (size_t i = 0; i < c->kc_stack->ks_nframes; i++) {
			frame_text(buf, sizeof(buf),
				   &c->kc_stack->ks_frames[i]);
			fputs(i ? ", " : "", stdout);
			json_string(stdout, buf);
		}
	} else {
		for (size_t i = 0; i < c->kc_nlogframes; i++) {
			fputs(i ? ", " : "", stdout);
			json_string(stdout, c->kc_logframes[i]);
		}
	}
	puts("]}");
}

static void
line(const char *key, const char *v)
{
	printf("%-13s", key);
	text_string(stdout, v && *v ? v : "-");
	putchar('\n');
}

int
cmd_panic(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	struct kvm_info info;
	double la[3];

	(void)argv;
	if (argc != 0) {
		kcore_usage_error("usage: kcore panic");
		return KCORE_EXIT_USAGE;
	}
	if (kvm_get_info(kd, &info, sizeof(info)) != 0)
		return kcore_fail(kd, "panic");
	const struct kvm_crash *c = kvm_getcrash(kd);
	if (!c)
		return kcore_fail(kd, "panic");
	int nla = kvm_getloadavg(kd, la, 3);
	kvm_clearerr(kd);
	if (o->json) {
		print_json(c, &info, la, nla);
		return c->kc_unknown[0] ? KCORE_EXIT_PARTIAL : KCORE_EXIT_OK;
	}
	if (c->kc_unknown[0]) {
		fputs("panicked     unknown: ", stdout);
		text_string(stdout, c->kc_unknown);
		putchar('\n');
		fprintf(stderr, "kcore: panic: cannot tell whether the kernel "
				"panicked\n");
		return KCORE_EXIT_PARTIAL;
	}
	if (!c->kc_panicked) {
		puts("panicked     no: the log holds no panic or oops, and no "
		     "CPU was marked as panicking (a dump of a running kernel)");
		line("release", info.release);
		return KCORE_EXIT_OK;
	}
	line("panicked", "yes");
	line("title", c->kc_title);
	line("message", c->kc_message);
	if (c->kc_cause[0])
		line("cause", c->kc_cause);
	line("signature", c->kc_signature);
	char buf[128];
	if (c->kc_cpu >= 0) {
		snprintf(buf, sizeof(buf), "%d", c->kc_cpu);
		line("CPU", buf);
	}
	if (c->kc_pid >= 0) {
		printf("%-13sPID %d (", "task", c->kc_pid);
		text_string(stdout, c->kc_comm);
		puts(")");
	}
	if (c->kc_crash_time) {
		kcore_time_text(c->kc_crash_time, buf, sizeof(buf));
		line("crash time", buf);
	}
	if (c->kc_uptime_nsec) {
		snprintf(buf, sizeof(buf), "%" PRIu64 ".%06" PRIu64 " s",
			 c->kc_uptime_nsec / 1000000000,
			 c->kc_uptime_nsec % 1000000000 / 1000);
		line("uptime", buf);
	}
	line("taint", c->kc_taint_str);
	if (nla == 3) {
		snprintf(buf, sizeof(buf), "%.2f %.2f %.2f", la[0], la[1],
			 la[2]);
		line("load average", buf);
	}
	line("release", info.release);
	if (c->kc_stack) {
		puts("stack        (from the CPU's registers in the dump)");
		kcore_print_frames(c->kc_stack);
	} else if (c->kc_nlogframes) {
		puts("stack        (the Call Trace the kernel printed; the dump "
		     "holds no registers of that CPU)");
		for (size_t i = 0; i < c->kc_nlogframes; i++) {
			fputs("     ", stdout);
			text_string(stdout, c->kc_logframes[i]);
			putchar('\n');
		}
	}
	return KCORE_EXIT_OK;
}
