// SPDX-License-Identifier: BSD-2-Clause
/*
 * kcore dump: write the target's memory to a dump device (the on-device
 * format, for savecore), or to an ELF or kdump-compressed file.  What is
 * printed goes to stderr: stdout may be the dump itself ("-").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kcore.h"

int
kcore_compress_method(const char *name)
{
	static const char *const names[] = { "none",   "zlib", "lzo",
					     "snappy", "zstd", "lz4" };

	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

/* A bar on a terminal, redrawn at most ten times a second. */
void
kcore_progress(void *arg, uint64_t done, uint64_t total)
{
	static struct timespec last;
	const char *what = arg;
	struct timespec now;

	if (!isatty(2))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < total && now.tv_sec == last.tv_sec &&
	    now.tv_nsec - last.tv_nsec < 100000000)
		return;
	last = now;
	int pct = total ? (int)(done * 100 / total) : 100;
	char bar[41];
	memset(bar, '#', 40 * (size_t)pct / 100);
	memset(bar + 40 * pct / 100, '.', 40 - 40 * (size_t)pct / 100);
	bar[40] = '\0';
	fprintf(stderr, "\r%s [%s] %3d%% %" PRIu64 "/%" PRIu64 " pages", what,
		bar, pct, done, total);
	if (done >= total)
		fputc('\n', stderr);
}

int
cmd_dump(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	if (argc != 1) {
		kcore_usage_error("usage: kcore dump [options] DEVICE|-");
		return KCORE_EXIT_USAGE;
	}
	int format = o->outfmt >= 0 ? o->outfmt : KVM_DUMP_DEVICE;
	/*
	 * Defaults: lz4 on a dump device (the fastest codec: a crashed
	 * machine should reboot soon), zlib in kdump files (what
	 * makedumpfile -c writes), ELF stores pages as they are.
	 */
	int compress = o->compress;
	if (compress < 0)
		compress = format == KVM_DUMP_DEVICE  ? KVM_COMPRESS_LZ4
			   : format == KVM_DUMP_KDUMP ? KVM_COMPRESS_ZLIB
						      : KVM_COMPRESS_NONE;
	struct kvm_dump_opts opts = {
		.size = sizeof(opts),
		.format = format,
		.level = o->level >= 0 ? o->level : 0,
		.compress = compress,
		.threads = o->threads,
		.flags = o->force ? KVM_DUMP_FORCE : 0,
		.progress = o->quiet ? NULL : kcore_progress,
		.progress_arg = "dump",
	};
	struct kvm_dump_result r;
	int st = kvm_dump_write(kd, argv[0], &opts, &r);
	if (st < 0)
		return kcore_fail(kd, "dump");
	if (!o->quiet)
		fprintf(stderr,
			"kcore: dump: %" PRIu64 " pages: %" PRIu64
			" written, %" PRIu64 " excluded (level %d), %" PRIu64
			" not in the source; %" PRIu64 " bytes to %s\n",
			r.pages, r.pages_written, r.pages_excluded, opts.level,
			r.pages_missing, r.bytes, argv[0]);
	if (st == 1) {
		fprintf(stderr,
			"kcore: dump: incomplete: %s is too small; "
			"what fit is marked so\n",
			argv[0]);
		return KCORE_EXIT_PARTIAL;
	}
	return KCORE_EXIT_OK;
}
