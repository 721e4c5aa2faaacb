// SPDX-License-Identifier: BSD-2-Clause
/*
 * kcore dmesg: the kernel log, as the kernel's syslog interface prints it
 * (syslog(2) SYSLOG_ACTION_READ_ALL, what dmesg(1) shows): "[%5lu.%06lu] "
 * before every line, the lines of a multi-line record each with the
 * record's prefix (record_print_text(), kernel/printk/printk.c since
 * 5.10).  Bytes that are neither printable nor white space are written
 * as \xNN, as makedumpfile --dump-dmesg writes them, so that a damaged
 * record cannot drive the terminal.  --json: [{"ts", "level",
 * "facility", "text"}].
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "kcore.h"

/*
 * Printable ASCII and the white space of isspace() in the C locale pass;
 * bytes from 0x80 pass too (syslog(2) hands UTF-8 through unchanged).
 */
static void
put_byte(unsigned char c)
{
	if ((c >= 0x20 && c < 0x7f) || c >= 0x80 || (c >= '\t' && c <= '\r'))
		putchar(c);
	else
		printf("\\x%02x", c);
}

/*
 * indent: makedumpfile --dump-dmesg's layout instead of syslog's: the
 * continuation lines of a record start with as many spaces as the prefix
 * has characters, and records without text are left out.
 */
static void
dmesg_text(const struct kvm_log_entry *e, size_t n, bool indent)
{
	for (size_t i = 0; i < n; i++, e++) {
		char prefix[48];
		int pl = snprintf(prefix, sizeof(prefix),
				  "[%5" PRIu64 ".%06" PRIu64 "] ",
				  e->ts_nsec / 1000000000,
				  e->ts_nsec % 1000000000 / 1000);
		if (indent && e->text_len == 0)
			continue;
		fputs(prefix, stdout);
		for (size_t j = 0; j < e->text_len; j++) {
			unsigned char c = (unsigned char)e->text[j];
			if (c != '\n')
				put_byte(c);
			else if (indent)
				printf("\n%*s", pl, "");
			else
				printf("\n%s", prefix);
		}
		putchar('\n');
	}
}

static void
dmesg_json(const struct kvm_log_entry *e, size_t n)
{
	putchar('[');
	for (size_t i = 0; i < n; i++, e++) {
		printf("%s\n {\"ts\": %" PRIu64 ".%06" PRIu64 ", \"level\": ",
		       i ? "," : "", e->ts_nsec / 1000000000,
		       e->ts_nsec % 1000000000 / 1000);
		if (e->level < 0)
			printf("null");
		else
			printf("%d", e->level);
		/* Not in DESIGN's minimum; with level it gives <pri>. */
		printf(", \"facility\": ");
		if (e->facility < 0)
			printf("null");
		else
			printf("%d", e->facility);
		printf(", \"text\": ");
		json_string(stdout, e->text);
		putchar('}');
	}
	puts("\n]");
}

int
cmd_dmesg(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	const struct kvm_log_entry *e;
	size_t n;

	(void)argv;
	if (argc > 0) {
		kcore_usage_error("usage: kcore dmesg");
		return KCORE_EXIT_USAGE;
	}
	kvm_clearerr(kd);
	if (kvm_log_get(kd, &e, &n) < 0)
		return kcore_fail(kd, "dmesg");
	if (o->json)
		dmesg_json(e, n);
	else
		dmesg_text(e, n, o->indent);
	/* A partial log (a page missing from the dump): say what was lost. */
	if (kvm_geterrcode(kd) != KVM_EOK) {
		fflush(stdout);
		fprintf(stderr, "kcore: dmesg: incomplete: %s\n",
			kvm_geterr(kd));
		return KCORE_EXIT_PARTIAL;
	}
	return KCORE_EXIT_OK;
}
