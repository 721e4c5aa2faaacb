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

#include "kcore.h"

/* The build sets it (CMake's project version); a hand build may not. */
#ifndef KCORE_VERSION
#define KCORE_VERSION "unknown"
#endif

#define DUMP_OPTS                                                  \
	(KOPT_LEVEL | KOPT_COMPRESS | KOPT_OUTFMT | KOPT_THREADS | \
	 KOPT_FORCE | KOPT_QUIET)
#define SAVECORE_OPTS                                                   \
	(KOPT_CLEAR | KOPT_FORCE | KOPT_CHECK | KOPT_VERBOSE | KOPT_Z | \
	 KOPT_OUTFMT | KOPT_OFFSET | KOPT_QUIET | KOPT_COMPRESS | KOPT_GROUP)

static const struct kcore_cmd commands[] = {
	{ "info", "info", cmd_info, 0, false,
	  "describe the target: format, architecture, release, memory" },
	{ "read", "read [--raw] [--pid PID] ADDR|SYMBOL[+OFF] [LEN]", cmd_read,
	  KOPT_RAW | KOPT_PID, false,
	  "hex dump (or the bytes) of kernel virtual memory, or of a "
	  "process's (--pid)" },
	{ "nlist", "nlist SYMBOL...", cmd_nlist, 0, false,
	  "symbol names to addresses" },
	{ "sym", "sym ADDR...", cmd_sym, 0, false,
	  "addresses to symbol+offset" },
	{ "offsetof", "offsetof TYPE.MEMBER...", cmd_offsetof, 0, false,
	  "member offsets and sizes, from BTF" },
	{ "sizeof", "sizeof TYPE...", cmd_sizeof, 0, false,
	  "type sizes, from BTF" },
	{ "ps", "ps", cmd_ps, 0, true, "the process table" },
	{ "args", "args PID", cmd_args, 0, true,
	  "a process's arguments, one a line" },
	{ "env", "env PID", cmd_env, 0, true,
	  "a process's environment, one variable a line" },
	{ "loadavg", "loadavg", cmd_loadavg, 0, true,
	  "the 1, 5 and 15 minute load averages" },
	{ "dmesg", "dmesg [--indent]", cmd_dmesg, KOPT_INDENT, true,
	  "the kernel log" },
	{ "panic", "panic", cmd_panic, 0, false,
	  "why the kernel stopped: message, CPU, task, stack, signature" },
	{ "bt", "bt [-a] [--proc-stack] [PID...]", cmd_bt,
	  KOPT_ALL | KOPT_PROCSTACK, false,
	  "kernel stacks: of PIDs, of every process (-a), of each CPU's task" },
	{ "dump",
	  "dump [-d LEVEL] [--compress ALG] [--format kcore|elf|kdump] "
	  "[--threads N] [-f] [-q] DEVICE|-",
	  cmd_dump, DUMP_OPTS, false,
	  "write a dump of the target to a dump device, a file or stdout" },
	{ "savecore",
	  "savecore [-c] [-f] [-n] [-q] [-v] [-z] [--format "
	  "kcore|elf|kdump] [--compress ALG] [--group GROUP] "
	  "[--offset N] DEVICE DIR",
	  cmd_savecore, SAVECORE_OPTS, false,
	  "save a dump from a dump device into DIR, then clear it" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The spelling of each KOPT_* bit, for "does not apply" messages. */
static const char *const opt_names[] = {
	"--raw",    "--indent", "-d", "--compress",   "--format", "--threads",
	"--offset", "-c",	"-f", "-n",	      "-v",	  "-z",
	"-q",	    "--group",	"-a", "--proc-stack", "--pid",
};

static const struct kcore_cmd *
find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
usage(FILE *f)
{
	fputs("usage: kcore [-M core] [-N system] [--json] COMMAND [ARGS]\n"
	      "       kcore help [COMMAND] | COMMAND --help | --version\n"
	      "\n"
	      "  -M, --core FILE     dump to read (default: the live kernel)\n"
	      "  -N, --system FILE   vmlinux, System.map or kallsyms file\n"
	      "  -W, --swap FILE     a swap area of the dump's machine (repeat\n"
	      "                      for several): user pages swapped out\n"
	      "      --json          one JSON document on stdout\n"
	      "      --btf FILE      kernel types from this BTF or ELF file\n"
	      "      --zero-excluded read pages a filtered dump left out as zeros\n"
	      "      --format raw    the core is raw physical memory from 0\n"
	      "\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  kcore %s\n", commands[i].usage);
	fputs("\nAddresses and lengths are hex with 0x, decimal without.\n", f);
}

static void
command_usage(FILE *f, const struct kcore_cmd *c)
{
	fprintf(f, "usage: kcore [-M core] [-N system] [--json] %s\n\n%s.\n",
		c->usage, c->help);
	if (c->opts) {
		fputs("\nits options:", f);
		for (size_t b = 0; b < sizeof(opt_names) / sizeof(opt_names[0]);
		     b++)
			if (c->opts & (1u << b))
				fprintf(f, " %s", opt_names[b]);
		fputc('\n', f);
	}
	fputs("See kcore(1) for the details.\n", f);
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

static int
kcore_main(int argc, char **argv)
{
	enum {
		O_JSON = 256,
		O_BTF,
		O_ZEROEXCL,
		O_FORMAT,
		O_RAW,
		O_INDENT,
		O_COMPRESS,
		O_THREADS,
		O_OFFSET,
		O_VERSION,
		O_GROUP,
		O_PROCSTACK,
		O_PID
	};
	static const struct option longopts[] = {
		{ "core", required_argument, NULL, 'M' },
		{ "system", required_argument, NULL, 'N' },
		{ "swap", required_argument, NULL, 'W' },
		{ "pid", required_argument, NULL, O_PID },
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
		{ "group", required_argument, NULL, O_GROUP },
		{ "all", no_argument, NULL, 'a' },
		{ "proc-stack", no_argument, NULL, O_PROCSTACK },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct kcore_opts o = { .level = -1, .compress = -1, .outfmt = -1 };
	int c;
	uint64_t v;
	unsigned seen = 0; /* KOPT_* given */
	static char swapbuf[8192];
	size_t swaplen = 0;
	bool help = false;

	/* GNU getopt permutes: options may follow the command and its args. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":M:N:W:hd:cfnvzqa", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'M':
			o.core = optarg;
			break;
		case 'N':
			o.system = optarg;
			break;
		case 'W': {
			/* kvm_openfiles() takes the areas as one list. */
			size_t have = swaplen, add = strlen(optarg);
			if (strchr(optarg, ':') || !add ||
			    have + add + 2 > sizeof(swapbuf)) {
				kcore_usage_error("-W takes a swap file or "
						  "device whose name has no "
						  "':', not '%s'",
						  optarg);
				return KCORE_EXIT_USAGE;
			}
			if (have)
				swapbuf[swaplen++] = ':';
			memcpy(swapbuf + swaplen, optarg, add + 1);
			swaplen += add;
			o.swap = swapbuf;
			break;
		}
		case O_PID:
			if (!kcore_parse_u64(optarg, &v) || v == 0 ||
			    v > INT32_MAX) {
				kcore_usage_error("--pid takes a process id, "
						  "not '%s'",
						  optarg);
				return KCORE_EXIT_USAGE;
			}
			o.pid = (int32_t)v;
			o.have_pid = true;
			seen |= KOPT_PID;
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
				seen |= KOPT_OUTFMT;
			} else if (strcmp(optarg, "kdump") == 0) {
				o.outfmt = KVM_DUMP_KDUMP;
				seen |= KOPT_OUTFMT;
			} else if (strcmp(optarg, "kcore") == 0 ||
				   strcmp(optarg, "device") == 0) {
				o.outfmt = KVM_DUMP_DEVICE;
				seen |= KOPT_OUTFMT;
			} else if (strcmp(optarg, "auto") != 0) {
				kcore_usage_error("--format takes auto, raw, "
						  "elf, kdump or kcore, not "
						  "'%s'",
						  optarg);
				return KCORE_EXIT_USAGE;
			}
			break;
		case O_RAW:
			o.raw = true;
			seen |= KOPT_RAW;
			break;
		case O_INDENT:
			o.indent = true;
			seen |= KOPT_INDENT;
			break;
		case 'd':
			if (!kcore_parse_u64(optarg, &v) ||
			    v > KVM_DUMP_LEVEL_MAX) {
				kcore_usage_error("-d takes a dump level from 0 "
						  "to 31, not '%s'",
						  optarg);
				return KCORE_EXIT_USAGE;
			}
			o.level = (int)v;
			seen |= KOPT_LEVEL;
			break;
		case O_COMPRESS:
			if ((o.compress = kcore_compress_method(optarg)) < 0) {
				kcore_usage_error("--compress takes none, zlib, "
						  "lzo, snappy, zstd or lz4, not "
						  "'%s'",
						  optarg);
				return KCORE_EXIT_USAGE;
			}
			seen |= KOPT_COMPRESS;
			break;
		case O_THREADS:
			if (!kcore_parse_u64(optarg, &v) || v > 256) {
				kcore_usage_error("--threads takes 0 to 256");
				return KCORE_EXIT_USAGE;
			}
			o.threads = (int)v;
			seen |= KOPT_THREADS;
			break;
		case O_OFFSET:
			if (!kcore_parse_u64(optarg, &v) || v > INT64_MAX) {
				kcore_usage_error(
					"--offset takes a byte offset");
				return KCORE_EXIT_USAGE;
			}
			o.offset = v;
			o.have_offset = true;
			seen |= KOPT_OFFSET;
			break;
		case O_GROUP:
			o.group = optarg;
			seen |= KOPT_GROUP;
			break;
		case 'c':
			o.clear = true;
			seen |= KOPT_CLEAR;
			break;
		case 'f':
			o.force = true;
			seen |= KOPT_FORCE;
			break;
		case 'n':
			o.check = true;
			seen |= KOPT_CHECK;
			break;
		case 'v':
			o.verbose = true;
			seen |= KOPT_VERBOSE;
			break;
		case 'z':
			o.zflag = true;
			seen |= KOPT_Z;
			break;
		case 'q':
			o.quiet = true;
			seen |= KOPT_QUIET;
			break;
		case 'a':
			o.all = true;
			seen |= KOPT_ALL;
			break;
		case O_PROCSTACK:
			o.proc_stack = true;
			seen |= KOPT_PROCSTACK;
			break;
		case 'h':
			help = true;
			break;
		case O_VERSION:
			printf("kcore %s (libkvm)\n", KCORE_VERSION);
			return KCORE_EXIT_OK;
		case ':':
			kcore_usage_error("option %s needs an argument",
					  argv[optind - 1]);
			return KCORE_EXIT_USAGE;
		default:
			kcore_usage_error("unknown option %s",
					  argv[optind - 1]);
			return KCORE_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		if (help) {
			usage(stdout);
			return KCORE_EXIT_OK;
		}
		usage(stderr);
		return KCORE_EXIT_USAGE;
	}
	const char *name = argv[optind];
	if (strcmp(name, "help") == 0) {
		/* kcore help [COMMAND] */
		if (optind + 1 >= argc) {
			usage(stdout);
			return KCORE_EXIT_OK;
		}
		const struct kcore_cmd *hc = find_command(argv[optind + 1]);
		if (!hc || optind + 2 < argc) {
			kcore_usage_error("help: unknown command '%s'",
					  argv[optind + 1]);
			return KCORE_EXIT_USAGE;
		}
		command_usage(stdout, hc);
		return KCORE_EXIT_OK;
	}
	const struct kcore_cmd *cmd = find_command(name);
	if (!cmd) {
		kcore_usage_error("unknown command '%s'", name);
		return KCORE_EXIT_USAGE;
	}
	if (help) {
		command_usage(stdout, cmd);
		return KCORE_EXIT_OK;
	}
	/* Each command takes its own options and no other's. */
	unsigned stray = seen & ~cmd->opts;
	if (stray) {
		kcore_usage_error("%s does not apply to '%s'",
				  opt_names[__builtin_ctz(stray)], name);
		return KCORE_EXIT_USAGE;
	}
	if (o.raw && o.json) {
		kcore_usage_error("--raw and --json exclude each other");
		return KCORE_EXIT_USAGE;
	}
	if (strcmp(name, "savecore") == 0)
		return cmd_savecore_main(&o, argc - optind - 1,
					 argv + optind + 1);

	char errbuf[KVM_ERRBUF_SIZE];
	kvm_t *kd = kvm_openfiles(o.system, o.core, o.swap, O_RDONLY | o.oflags,
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
		int st = open_exit(err);
		kcore_note_error(st == KCORE_EXIT_DATAERR   ? "format"
				 : st == KCORE_EXIT_NOINPUT ? "no_input"
				 : st == KCORE_EXIT_UNAVAILABLE
					 ? "not_supported"
				 : st == KCORE_EXIT_USAGE ? "usage"
							  : "system",
				 "%s", errbuf);
		fprintf(stderr, "kcore: %s\n", errbuf);
		return st;
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

/*
 * With --json the output of a command is held until it ends: one that
 * fails without printing anything prints {"error": {...}} instead, so that
 * standard output is one JSON document in every case.
 */
static bool
wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	if (!wants_json(argc, argv))
		return kcore_main(argc, argv);
	FILE *real = stdout;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem) {
		perror("kcore");
		return KCORE_EXIT_OSERR;
	}
	stdout = mem;
	int ret = kcore_main(argc, argv);
	stdout = real;
	if (fclose(mem) != 0) {
		perror("kcore: holding the output");
		free(buf);
		return KCORE_EXIT_OSERR;
	}
	if (ret != KCORE_EXIT_OK && len == 0) {
		fputs("{\"error\": {\"code\": ", stdout);
		json_string(stdout, kcore_err_code ? kcore_err_code : "error");
		fputs(", \"message\": ", stdout);
		if (kcore_err_msg[0])
			json_string(stdout, kcore_err_msg);
		else
			printf("\"failed with exit status %d\"", ret);
		printf(", \"exit\": %d}}\n", ret);
	} else if (len) {
		fwrite(buf, 1, len, stdout);
	}
	free(buf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("kcore: writing output");
		return KCORE_EXIT_OSERR;
	}
	return ret;
}
