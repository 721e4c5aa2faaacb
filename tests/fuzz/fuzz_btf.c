// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for kernel type layouts from BTF (src/types/btf.c: the
 * header check, libbpf's parser behind it, type and member lookup through
 * typedefs, qualifiers and nested anonymous structs and unions, dotted
 * paths, bitfields, enums) and for the process walk's layout built from
 * them (src/proc/proc_dump.c).  The input is the BTF as a file holds it:
 * raw BTF, or an ELF whose .BTF section holds it (as a vmlinux); it is
 * given with kvm_set_btf_file through a memfd, to a handle with no memory.
 * Queried: the structures and members the process walk and kcore use,
 * every name of the input's string section (the first 64) as a type and
 * as a member of the type named before it, and kvm_getproc2, which builds
 * the walk's layout (and then finds no init_task).  mkseeds-tasks.c
 * writes the seeds: the fixtures' BTF cut down to the walk's structures.
 *
 * Beyond "no crash, no leak, no hang" (a typedef or a struct that
 * contains itself must end), it aborts when a failure has no one-line
 * message or a member lies outside a struct of known size.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How many strings of the input's string section are tried as names. */
#define NAMES 64

static const char *const types[] = {
	"task_struct", "struct task_struct", "mm_struct", "signal_struct",
	"cred", "pid", "upid", "tty_struct", "tty_driver", "kthread",
	"worker", "pid_link", "mm_rss_stat", "percpu_counter", "list_head",
	"union thread_union", "pid_type", "struct nonexistent", "",
};

static const char *const members[][2] = {
	{ "task_struct", "tasks" },	   { "task_struct", "tasks.next" },
	{ "task_struct", "__state" },	   { "task_struct", "se.vruntime" },
	{ "task_struct", "comm" },	   { "tty_struct", "ctrl.pgrp" },
	{ "mm_struct", "rss_stat" },	   { "mm_rss_stat", "count" },
	{ "cred", "uid" },		   { "pid", "numbers" },
	{ "task_struct", "a.b.c.d.e.f" }, { "task_struct", "." },
	{ "task_struct", "" },
};

static void
check(kvm_t *kd, int rc, const char *what)
{
	fd_must(rc == 0 || rc == -1, "a result other than 0 or -1");
	if (rc)
		fd_check_msg(kvm_geterr(kd), what);
}

static void
member(kvm_t *kd, const char *type, const char *name)
{
	uint64_t off = 0, msize = 0, tsize = 0;

	int rc = kvm_type_offsetof(kd, type, name, &off, &msize);
	check(kd, rc, "kvm_type_offsetof failed without a message");
	/* A member lies inside its struct when the struct's size is known. */
	if (rc == 0 && kvm_type_size(kd, type, &tsize) == 0 && tsize > 0 &&
	    msize > 0)
		fd_must(off <= tsize, "a member past the end of its struct");
}

/* The strings of a raw little-endian BTF's string section, if it has one. */
static void
string_names(kvm_t *kd, const uint8_t *p, size_t len)
{
	if (len < 24 || p[0] != 0x9f || p[1] != 0xeb)
		return;
	uint32_t hdr_len = fm_u32(p + 4), str_off = fm_u32(p + 16),
		 str_len = fm_u32(p + 20);
	uint64_t start = (uint64_t)hdr_len + str_off;
	if (start > len || str_len > len - start)
		return;
	const char *s = (const char *)p + start, *end = s + str_len;
	const char *prev = "task_struct";
	char name[128];
	for (int n = 0; s < end && n < NAMES; n++) {
		size_t l = strnlen(s, (size_t)(end - s));
		snprintf(name, sizeof(name), "%.*s", (int)l, s);
		uint64_t sz;
		check(kd, kvm_type_size(kd, name, &sz),
		      "kvm_type_size failed without a message");
		member(kd, prev, name);
		prev = s; /* NUL-terminated unless it is the last */
		if (s + l == end)
			break;
		s += l + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kvm_t *kd = fm_open(data, size, size, 0, EM_X86_64, false);
	if (!kd)
		return 0;
	int fd = memfd_create("fuzz_btf", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		goto out;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	kvm_setup_arch(kd); /* ptr_size, as kvm_open; no memory to walk */
	kvm_error_clear(kd);
	if (kvm_set_btf_file(kd, path))
		goto out;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint64_t sz;
		check(kd, kvm_type_size(kd, types[i], &sz),
		      "kvm_type_size failed without a message");
	}
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		member(kd, members[i][0], members[i][1]);
	string_names(kd, data, size);
	int cnt;
	if (!kvm_getproc2(kd, KERN_PROC_ALL, 0, sizeof(struct kinfo_proc2),
			  &cnt))
		fd_check_msg(kvm_geterr(kd),
			     "kvm_getproc2 failed without a message");
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_btf: %s\n", kvm_geterr(kd));
out:
	kvm_close(kd);
	if (fd >= 0)
		close(fd);
	return 0;
}
