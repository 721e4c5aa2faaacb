// SPDX-License-Identifier: BSD-2-Clause
/*
 * kcore read: hex dump (or --raw bytes) of kernel virtual memory, or with
 * --pid of a process's user memory (swapped pages through -W).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcore.h"

#define READ_DEFAULT_LEN 64
/* Bounded buffer: long reads go out in chunks. */
#define READ_CHUNK (1u << 20)

static void
hexdump_line(uint64_t addr, const uint8_t *p, size_t n)
{
	printf("%016" PRIx64 " ", addr);
	for (size_t i = 0; i < 16; i++) {
		if (i == 8)
			putchar(' ');
		if (i < n)
			printf(" %02x", p[i]);
		else
			fputs("   ", stdout);
	}
	fputs("  |", stdout);
	for (size_t i = 0; i < n; i++)
		putchar(isprint(p[i]) ? p[i] : '.');
	puts("|");
}

int
cmd_read(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	uint64_t addr, len = READ_DEFAULT_LEN;

	const struct kinfo_proc2 *proc = NULL;

	if (argc < 1 || argc > 2) {
		kcore_usage_error("usage: kcore read [--raw] [--pid PID] "
				  "ADDR|SYMBOL[+OFF] [LEN]");
		return KCORE_EXIT_USAGE;
	}
	if (o->have_pid) {
		/* User addresses: numbers only, no kernel symbols. */
		if (!kcore_parse_u64(argv[0], &addr)) {
			kcore_usage_error("bad user address '%s'", argv[0]);
			return KCORE_EXIT_USAGE;
		}
		int cnt = 0;
		proc = kvm_getproc2(kd, KERN_PROC_PID, o->pid, sizeof(*proc),
				    &cnt);
		if (!proc)
			return kcore_fail(kd, "read");
		if (cnt < 1) {
			kcore_note_error("not_found", "read: no process %d",
					 o->pid);
			fprintf(stderr, "kcore: %s\n", kcore_err_msg);
			return KCORE_EXIT_PARTIAL;
		}
	} else {
		int st = kcore_resolve(kd, argv[0], &addr);
		if (st)
			return st;
	}
	if (argc == 2 && !kcore_parse_u64(argv[1], &len)) {
		kcore_usage_error("bad length '%s'", argv[1]);
		return KCORE_EXIT_USAGE;
	}

	uint8_t *buf = malloc(READ_CHUNK);
	if (!buf) {
		perror("kcore");
		return KCORE_EXIT_OSERR;
	}
	int ret = KCORE_EXIT_OK;
	uint64_t done = 0;
	if (o->json)
		printf("{\"addr\": \"0x%" PRIx64 "\", \"data\": \"", addr);
	while (done < len) {
		size_t want = len - done > READ_CHUNK ? READ_CHUNK
						      : (size_t)(len - done);
		ssize_t n = proc ? kvm_uread2(kd, proc, addr + done, buf, want)
				 : kvm_read2(kd, addr + done, buf, want);
		size_t got = n > 0 ? (size_t)n : 0;
		if (o->raw) {
			fwrite(buf, 1, got, stdout);
		} else if (o->json) {
			for (size_t i = 0; i < got; i++)
				printf("%02x", buf[i]);
		} else {
			for (size_t i = 0; i < got; i += 16)
				hexdump_line(addr + done + i, buf + i,
					     got - i < 16 ? got - i : 16);
		}
		done += got;
		if (got < want) {
			ret = -1;
			break;
		}
	}
	free(buf);
	if (o->json) {
		printf("\", \"length\": %" PRIu64 ", \"error\": ", done);
		if (ret)
			json_string(stdout, kvm_geterr(kd));
		else
			printf("null");
		printf("}\n");
	}
	if (ret) {
		fflush(stdout);
		return kcore_fail(kd, done ? "read stopped" : "read");
	}
	return KCORE_EXIT_OK;
}
