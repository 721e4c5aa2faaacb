// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for the process walk of a dump (src/proc/proc_dump.c and
 * kinfo.c): the task list from init_task, each task's signal, cred, mm,
 * pid and tty structures, kthread names, argv and environ read through
 * the task's own page tables, and avenrun; over hostile memory and a
 * hostile layout (member offsets from a BTF blob or from VMCOREINFO's
 * OFFSET() lines, both in the input).  Input (integers little-endian):
 *   0   u8   flags: bit 0 arm64 (else x86_64); 1 big-endian target
 *   1   u8[3] unused
 *   4   u32  vlen: bytes of VMCOREINFO text
 *   8   u32  blen: bytes of BTF (0: the layout is VMCOREINFO's)
 *   12  u32  unused
 *   16  u64  init_task (its symbol; 0: none)
 *   24  u64  avenrun (its symbol; 0: none)
 *   32  vlen bytes of VMCOREINFO, blen bytes of BTF, then the physical
 *       memory as fuzz_mem.h reads it, at most 4096 segments
 * The handle is set up as kvm_open sets up a dump (kvm_setup_arch over
 * the VMCOREINFO), then the public calls run: kvm_getproc2 (all, and by
 * pid), kvm_getargv2 and kvm_getenvv2 of the first processes with and
 * without a cap, kvm_getloadavg.  mkseeds-tasks.c writes the seeds: the
 * memory the walks of the fixtures' dumps read, with their BTF cut down to
 * the structures the walk uses, and with the same layout as OFFSET() lines.
 *
 * Beyond "no crash, no leak, no hang" (a cyclic list must end), it aborts
 * when the contract breaks: a failure without a one-line message, a count
 * below 0, a vector that is not NULL-terminated or exceeds its cap, a load
 * average that is not a finite number.
 */
#define _GNU_SOURCE
#include <math.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_mem.h"
#include "sym/symtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 32
/* Slab-allocated tasks lie all over memory: many small segments. */
#define MAX_SEGS 4096
/* Processes whose argv and environ are read (each costs a page walk). */
#define ARGS_PROCS 8

static void
check_vector(kvm_t *kd, char **v, int nchr, const char *what)
{
	if (!v) {
		fd_check_msg(kvm_geterr(kd), what);
		return;
	}
	size_t chars = 0;
	for (size_t i = 0; v[i]; i++) {
		fd_must(i < (1u << 20), "a vector without its NULL");
		chars += strlen(v[i]);
	}
	if (nchr > 0)
		fd_must(chars <= (size_t)nchr, "a vector over its cap");
}

/* BTF from the input through a memfd, as kvm_set_btf_file reads a file. */
static int
btf_memfd(kvm_t *kd, const uint8_t *p, size_t len)
{
	int fd = memfd_create("fuzz_tasks_btf", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, p, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (kvm_set_btf_file(kd, path)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
add_symbols(kvm_t *kd, uint64_t init_task, uint64_t avenrun)
{
	kd->symtab = calloc(1, sizeof(*kd->symtab));
	if (!kd->symtab)
		return -1;
	if ((init_task &&
	     kvm_symtab_add(kd, kd->symtab, "init_task", 9, init_task, 'D')) ||
	    (avenrun &&
	     kvm_symtab_add(kd, kd->symtab, "avenrun", 7, avenrun, 'B')))
		return -1;
	kd->sym_state = 1; /* kvm_sym_ensure: loaded */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	unsigned flags = data[0];
	uint64_t vlen = fm_u32(data + 4), blen = fm_u32(data + 8);
	if (vlen > size - HDR || blen > size - HDR - vlen)
		return 0;
	const uint8_t *vtext = data + HDR, *btf = vtext + vlen;

	kvm_t *kd = fm_open(data, size, HDR + vlen + blen, MAX_SEGS,
			    flags & 1 ? EM_AARCH64 : EM_X86_64, flags & 2);
	if (!kd)
		return 0;
	int btf_fd = -1;
	if (vlen && kvm_set_vmcoreinfo(kd, (const char *)vtext, vlen))
		goto out;
	if (kvm_setup_arch(kd)) {
		fd_check_msg(kd->errbuf, "kvm_setup_arch failed without a "
			     "message");
		goto out;
	}
	if (add_symbols(kd, fm_u64(data + 16), fm_u64(data + 24)))
		goto out;
	if (blen && (btf_fd = btf_memfd(kd, btf, blen)) < 0)
		goto out;

	int cnt = -1;
	struct kinfo_proc2 *p =
		kvm_getproc2(kd, KERN_PROC_ALL, 0, sizeof(*p), &cnt);
	if (!p) {
		fd_check_msg(kvm_geterr(kd), "kvm_getproc2 failed without a "
			     "message");
	} else {
		fd_must(cnt >= 0, "a negative process count");
		for (int i = 0; i < cnt; i++)
			fd_must(memchr(p[i].p_comm, '\0',
				       sizeof(p[i].p_comm)) != NULL,
				"p_comm without its NUL");
		/* The array is replaced by the next call: keep the first. */
		struct kinfo_proc2 first[ARGS_PROCS];
		int n = cnt < ARGS_PROCS ? cnt : ARGS_PROCS;
		memcpy(first, p, (size_t)n * sizeof(*p));
		for (int i = 0; i < n; i++) {
			check_vector(kd, kvm_getargv2(kd, &first[i], 0),
				     0, "kvm_getargv2 failed without a message");
			check_vector(kd, kvm_getenvv2(kd, &first[i], 24), 24,
				     "kvm_getenvv2 failed without a message");
		}
		if (n > 0) {
			int c2 = -1;
			struct kinfo_proc2 *q = kvm_getproc2(
				kd, KERN_PROC_PID, first[n - 1].p_pid,
				sizeof(*q), &c2);
			if (!q)
				fd_check_msg(kvm_geterr(kd),
					     "kvm_getproc2 by pid failed without "
					     "a message");
		}
	}
	double la[3];
	int nla = kvm_getloadavg(kd, la, 3);
	if (nla < 0) {
		fd_check_msg(kvm_geterr(kd), "kvm_getloadavg failed without a "
			     "message");
	} else {
		fd_must(nla <= 3, "kvm_getloadavg stored too many");
		for (int i = 0; i < nla; i++)
			fd_must(isfinite(la[i]) && la[i] >= 0,
				"a load average that is no number");
	}
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_tasks: %s, %d processes, loadavg %d%s%s\n",
			blen ? "BTF" : "VMCOREINFO", cnt, nla,
			p ? "" : ": ", p ? "" : kvm_geterr(kd));
out:
	kvm_close(kd);
	if (btf_fd >= 0)
		close(btf_fd);
	return 0;
}
