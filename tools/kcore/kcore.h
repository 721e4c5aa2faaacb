/* SPDX-License-Identifier: BSD-2-Clause */
/* kcore: shared declarations of the command-line tool (public API only). */
#ifndef KCORE_H
#define KCORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <kvm.h>

/* Exit statuses (sysexits.h values where one fits; kcore(1) lists them). */
enum {
	KCORE_EXIT_OK = 0,
	KCORE_EXIT_PARTIAL = 1,	     /* a read stopped short, a name unknown */
	KCORE_EXIT_USAGE = 64,	     /* EX_USAGE */
	KCORE_EXIT_DATAERR = 65,     /* EX_DATAERR: corrupt or unknown dump */
	KCORE_EXIT_NOINPUT = 66,     /* EX_NOINPUT: cannot open the target */
	KCORE_EXIT_UNAVAILABLE = 69, /* EX_UNAVAILABLE: not supported */
	KCORE_EXIT_SOFTWARE = 70,    /* EX_SOFTWARE */
	KCORE_EXIT_OSERR = 71,	     /* EX_OSERR: out of memory, syscalls */
};

struct kcore_opts {
	const char *core;   /* -M */
	const char *system; /* -N */
	const char *swap;   /* -W, several joined by ':' */
	const char *btf;    /* --btf */
	int oflags;	    /* --zero-excluded, --format raw */
	bool json;
	bool raw;
	bool indent; /* dmesg --indent: makedumpfile's layout */
	/* dump and savecore */
	int level;	 /* -d; -1 unset */
	int compress;	 /* --compress; -1 unset */
	int outfmt;	 /* --format elf|kdump|kcore; -1 unset */
	int threads;	 /* --threads */
	uint64_t offset; /* --offset: where the dump starts on the device */
	bool have_offset;
	bool clear, force, check, verbose, zflag, quiet; /* -c -f -n -v -z -q */
	const char *group; /* savecore --group: saved files 0640 to it */
	bool all;	   /* bt -a */
	bool proc_stack;   /* bt --proc-stack */
	int32_t pid;	   /* read --pid: a process's user memory */
	bool have_pid;
};

/* A command's own options, as bits of struct kcore_cmd's opts. */
enum {
	KOPT_RAW = 1 << 0,	  /* --raw */
	KOPT_INDENT = 1 << 1,	  /* --indent */
	KOPT_LEVEL = 1 << 2,	  /* -d */
	KOPT_COMPRESS = 1 << 3,	  /* --compress */
	KOPT_OUTFMT = 1 << 4,	  /* --format elf|kdump|kcore */
	KOPT_THREADS = 1 << 5,	  /* --threads */
	KOPT_OFFSET = 1 << 6,	  /* --offset */
	KOPT_CLEAR = 1 << 7,	  /* -c */
	KOPT_FORCE = 1 << 8,	  /* -f */
	KOPT_CHECK = 1 << 9,	  /* -n */
	KOPT_VERBOSE = 1 << 10,	  /* -v */
	KOPT_Z = 1 << 11,	  /* -z */
	KOPT_QUIET = 1 << 12,	  /* -q */
	KOPT_GROUP = 1 << 13,	  /* --group */
	KOPT_ALL = 1 << 14,	  /* -a */
	KOPT_PROCSTACK = 1 << 15, /* --proc-stack */
	KOPT_PID = 1 << 16,	  /* --pid */
};

struct kcore_cmd {
	const char *name;
	const char *usage;
	int (*run)(kvm_t *kd, const struct kcore_opts *o, int argc,
		   char **argv);
	unsigned opts; /* KOPT_* it takes */
	/* Without -M, falls back to /proc when kernel memory is unreadable. */
	bool live_fallback;
	const char *help; /* one line: what it does */
};

/*
 * The last failure kcore reported on stderr, for the JSON error object
 * that --json prints when a command fails without output.
 */
extern char kcore_err_msg[1024];
extern const char *kcore_err_code;

int cmd_info(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_read(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_nlist(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_sym(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_offsetof(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_sizeof(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_ps(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_args(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_env(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_loadavg(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_panic(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
/* A stack's frames, one a line, as kcore bt prints them. */
void kcore_print_frames(const struct kvm_stack *s);
int cmd_bt(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_dmesg(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_dump(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
/* savecore opens the device itself: no kd. */
int cmd_savecore(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv);
int cmd_savecore_main(const struct kcore_opts *o, int argc, char **argv);
/* "zlib" -> KVM_COMPRESS_ZLIB ...; -1 unknown. */
int kcore_compress_method(const char *name);
/* A progress bar on stderr when it is a terminal (callback form). */
void kcore_progress(void *arg, uint64_t done, uint64_t total);

/*
 * Resolve "ADDR" or "SYMBOL[+OFF]" (OFF hex with 0x, decimal without).
 * Returns 0, or an exit status after printing why.
 */
int kcore_resolve(kvm_t *kd, const char *arg, uint64_t *ret);

/* Print "kcore: message" and return the exit status for kd's last error. */
int kcore_fail(kvm_t *kd, const char *what);
int kcore_exit_for(int errcode);
void kcore_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Record (not print) a failure for the --json error object. */
void kcore_note_error(const char *code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse "0x..." as hex and anything else as decimal; false if malformed. */
bool kcore_parse_u64(const char *s, uint64_t *ret);

/* JSON output helpers. */
void json_string(FILE *f, const char *s);
/* Bytes from the dump on a terminal: controls and non-UTF-8 as \xHH. */
void text_string(FILE *f, const char *s);
void json_hex(FILE *f, uint64_t v);
/*
 * A time from a dump (seconds since the epoch) as "YYYY-MM-DD HH:MM:SS
 * UTC"; false, and buf saying so, when it is none a calendar shows (a
 * hostile header: past the year 9999).
 */
bool kcore_time_text(uint64_t t, char *buf, size_t len);

#endif
