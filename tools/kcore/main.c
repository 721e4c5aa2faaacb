// SPDX-License-Identifier: BSD-2-Clause
/*
 * kcore: look inside Linux kernels and crash dumps through libkvm.
 * Global options (-M, -N, --json) may stand anywhere; a command's own
 * options anywhere after it (DESIGN §1).  Built on the public API only.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "kcore.h"

static const struct kcore_cmd commands[] = {
	{ "info", "info", cmd_info, false, false },
	{ "read", "read [--raw] ADDR|SYMBOL[+OFF] [LEN]", cmd_read, true, false },
	{ "nlist", "nlist SYMBOL...", cmd_nlist, false, false },
	{ "sym", "sym ADDR...", cmd_sym, false, false },
	{ "offsetof", "offsetof TYPE.MEMBER...", cmd_offsetof, false, false },
	{ "sizeof", "sizeof TYPE...", cmd_sizeof, false, false },
	{ "ps", "ps", cmd_ps, false, true },
	{ "args", "args PID", cmd_args, false, true },
	{ "env", "env PID", cmd_env, false, true },
	{ "loadavg", "loadavg", cmd_loadavg, false, true },
	{ "dmesg", "dmesg [--indent]", cmd_dmesg, false, true },
	{ "dump", "dump [-d LEVEL] [--compress ALG] [--format kcore|elf|kdump] "
		  "[--threads N] [-f] [-q] DEVICE|-", cmd_dump, false, false },
	{ "savecore", "savecore [-c] [-f] [-n] [-v] [-z] [--format "
		      "kcore|elf|kdump] [--offset N] DEVICE DIR",
	  cmd_savecore, false, false },
};

static void
usage(FILE *f)
{
	fputs("usage: kcore [-M core] [-N system] [--json] COMMAND [ARGS]\n"
	      "\n"
	      "  -M, --core FILE     dump to read (default: the live kernel)\n"
	      "  -N, --system FILE   vmlinux, System.map or kallsyms file\n"
	      "      --json          one JSON document on stdout\n"
	      "      --btf FILE      kernel types from this BTF or ELF file\n"
	      "      --zero-excluded read pages a filtered dump left out as zeros\n"
	      "      --format raw    the core is raw physical memory from 0\n"
	      "\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  kcore %s\n", commands[i].usage);
	fputs("\nAddresses and lengths are hex with 0x, decimal without.\n",
	      f);
}

/* Exit status for a failed kvm_openfiles(), from the errno it set. */
static int
open_exit(int err)
{
	switch (err) {
	case ENOENT:
	case EACCES:
	case EPERM:
	case EISDIR:
		return KCORE_EXIT_NOINPUT;
	case ENOEXEC:
	case EBADMSG:
		return KCORE_EXIT_DATAERR;
	case ENOTSUP:
		return KCORE_EXIT_UNAVAILABLE;
	case EINVAL:
		return KCORE_EXIT_USAGE;
	default:
		return KCORE_EXIT_OSERR;
	}
}

int
main(int argc, char **argv)
{
	enum { O_JSON = 256, O_BTF, O_ZEROEXCL, O_FORMAT, O_RAW, O_INDENT,
	       O_COMPRESS, O_THREADS, O_OFFSET };
	static const struct option longopts[] = {
		{ "core", required_argument, NULL, 'M' },
		{ "system", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, O_JSON },
		{ "btf", required_argument, NULL, O_BTF },
		{ "zero-excluded", no_argument, NULL, O_ZEROEXCL },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "raw", no_argument, NULL, O_RAW },
		{ "indent", no_argument, NULL, O_INDENT },
		{ "level", required_argument, NULL, 'd' },
		{ "compress", required_argument, NULL, O_COMPRESS },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "offset", required_argument, NULL, O_OFFSET },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kcore_opts o = { .level = -1, .compress = -1, .outfmt = -1 };
	int c;
	uint64_t v;

	/*
	 * libbpf prints its parse diagnostics by default; kcore reports
	 * errors itself, through kvm_geterr().
	 */
	libbpf_set_print(NULL);

	/* GNU getopt permutes: options may follow the command and its args. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":M:N:hd:cfnvzq", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'M':
			o.core = optarg;
			break;
		case 'N':
			o.system = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_BTF:
			o.btf = optarg;
			break;
		case O_ZEROEXCL:
			o.oflags |= KVM_ZERO_EXCLUDED;
			break;
		case O_FORMAT:
			/*
			 * Input formats are recognised by content; raw has
			 * none.  dump and savecore name their output format.
			 */
			if (strcmp(optarg, "raw") == 0) {
				o.oflags |= KVM_RAW_PHYS;
			} else if (strcmp(optarg, "elf") == 0) {
				o.outfmt = KVM_DUMP_ELF;
			} else if (strcmp(optarg, "kdump") == 0) {
				o.outfmt = KVM_DUMP_KDUMP;
			} else if (strcmp(optarg, "kcore") == 0 ||
				   strcmp(optarg, "device") == 0) {
				o.outfmt = KVM_DUMP_DEVICE;
			} else if (strcmp(optarg, "auto") != 0) {
				kcore_usage_error("--format takes auto, raw, "
						  "elf, kdump or kcore, not "
						  "'%s'", optarg);
				return KCORE_EXIT_USAGE;
			}
			break;
		case O_RAW:
			o.raw = true;
			break;
		case O_INDENT:
			o.indent = true;
			break;
		case 'd':
			if (!kcore_parse_u64(optarg, &v) ||
			    v > KVM_DUMP_LEVEL_MAX) {
				kcore_usage_error("-d takes a dump level from 0 "
						  "to 31, not '%s'", optarg);
				return KCORE_EXIT_USAGE;
			}
			o.level = (int)v;
			break;
		case O_COMPRESS:
			if ((o.compress = kcore_compress_method(optarg)) < 0) {
				kcore_usage_error("--compress takes none, zlib, "
						  "lzo, snappy, zstd or lz4, not "
						  "'%s'", optarg);
				return KCORE_EXIT_USAGE;
			}
			break;
		case O_THREADS:
			if (!kcore_parse_u64(optarg, &v) || v > 256) {
				kcore_usage_error("--threads takes 0 to 256");
				return KCORE_EXIT_USAGE;
			}
			o.threads = (int)v;
			break;
		case O_OFFSET:
			if (!kcore_parse_u64(optarg, &v) || v > INT64_MAX) {
				kcore_usage_error("--offset takes a byte offset");
				return KCORE_EXIT_USAGE;
			}
			o.offset = v;
			o.have_offset = true;
			break;
		case 'c':
			o.clear = true;
			break;
		case 'f':
			o.force = true;
			break;
		case 'n':
			o.check = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'z':
			o.zflag = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return KCORE_EXIT_OK;
		case ':':
			kcore_usage_error("option %s needs an argument",
					  argv[optind - 1]);
			return KCORE_EXIT_USAGE;
		default:
			kcore_usage_error("unknown option %s", argv[optind - 1]);
			return KCORE_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return KCORE_EXIT_USAGE;
	}
	const char *name = argv[optind];
	const struct kcore_cmd *cmd = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		kcore_usage_error("unknown command '%s'", name);
		return KCORE_EXIT_USAGE;
	}
	if (o.raw && !cmd->takes_raw) {
		kcore_usage_error("--raw does not apply to '%s'", name);
		return KCORE_EXIT_USAGE;
	}
	bool dumping = strcmp(name, "dump") == 0 || strcmp(name, "savecore") == 0;
	if (!dumping && (o.level >= 0 || o.compress >= 0 || o.outfmt >= 0 ||
			 o.threads || o.have_offset || o.clear || o.force ||
			 o.check || o.verbose || o.zflag || o.quiet)) {
		kcore_usage_error("dump and savecore options do not apply to "
				  "'%s'", name);
		return KCORE_EXIT_USAGE;
	}
	if (strcmp(name, "savecore") == 0)
		return cmd_savecore_main(&o, argc - optind - 1,
					 argv + optind + 1);
	if (o.indent && strcmp(name, "dmesg") != 0) {
		kcore_usage_error("--indent applies to dmesg only");
		return KCORE_EXIT_USAGE;
	}
	if (o.raw && o.json) {
		kcore_usage_error("--raw and --json exclude each other");
		return KCORE_EXIT_USAGE;
	}

	char errbuf[KVM_ERRBUF_SIZE];
	kvm_t *kd = kvm_openfiles(o.system, o.core, NULL, O_RDONLY | o.oflags,
				  errbuf);
	if (!kd && !o.core && cmd->live_fallback) {
		/*
		 * The running kernel's memory cannot be read (no /proc/kcore,
		 * not root, lockdown): processes, argv, environ, the load
		 * average and the log still come from /proc and syslog(2).
		 */
		fprintf(stderr, "kcore: %s; using /proc instead\n", errbuf);
		kd = kvm_openfiles(NULL, NULL, NULL, KVM_NO_FILES, errbuf);
	}
	if (!kd) {
		int err = errno;
		fprintf(stderr, "kcore: %s\n", errbuf);
		return open_exit(err);
	}
	/* A dump whose headers had to be read around says so, whatever runs. */
	struct kvm_info info;
	if (kvm_get_info(kd, &info, sizeof(info)) == 0 && info.warning[0])
		fprintf(stderr, "kcore: warning: %s\n", info.warning);
	if (o.btf && kvm_set_btf_file(kd, o.btf) < 0) {
		int st = kcore_fail(kd, "--btf");
		kvm_close(kd);
		return st;
	}
	int ret = cmd->run(kd, &o, argc - optind - 1, argv + optind + 1);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("kcore: writing output");
		ret = KCORE_EXIT_OSERR;
	}
	kvm_close(kd);
	return ret;
}
