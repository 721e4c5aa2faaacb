// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for savecore's decision (tools/kcore/cmd_savecore.c): the
 * input is a dump device from the dump's first byte on (it is written 64
 * KiB into a swap area, as kcore dump puts it).  savecore runs on it, into
 * an empty directory, and whatever it decides (save, refuse, clear):
 *
 *   - a dump marked saved (the magic changed) was saved: a vmcore.N is
 *     there, and every page that the device's dump (a copy taken before)
 *     reads, it reads the same; and a device's dump that does not read
 *     is never marked saved;
 *   - its exit status says the same: 0 or 3 exactly when marked saved;
 *   - a dump kept (exit 2) left no vmcore.N (only vmcore.N.raw with -f);
 *   - saved files are mode 0600.
 *
 * The first input byte's bit 0 asks for -f; bits 1-2 pick the format
 * (kcore, kdump, elf).  Files live under $TMPDIR (a tmpfs is faster).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/kcore/kcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEV_OFF 65536

static char dev[4096], copy[4096], dir[4096];

static void
must(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_savecore: contract broken: %s\n", what);
		abort();
	}
}

static void
paths(void)
{
	if (dev[0])
		return;
	const char *t = getenv("TMPDIR");
	if (!t || !t[0])
		t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dev, sizeof(dev), "%s/fuzz-savecore.%d.dev", t, (int)getpid());
	snprintf(copy, sizeof(copy), "%s/fuzz-savecore.%d.copy", t,
		 (int)getpid());
	snprintf(dir, sizeof(dir), "%s/fuzz-savecore.%d.dir", t, (int)getpid());
}

static int
write_device(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	/* A swap signature (mm/swapfile.c), then the dump 64 KiB in. */
	static uint8_t head[DEV_OFF];
	memset(head, 0, sizeof(head));
	memcpy(head + 4096 - 10, "SWAPSPACE2", 10);
	int ok = pwrite(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
		 pwrite(fd, data, size, DEV_OFF) == (ssize_t)size;
	close(fd);
	return ok ? 0 : -1;
}

static bool
marked_saved(void)
{
	char m[8] = { 0 };
	int fd = open(dev, O_RDONLY);
	bool inval = fd >= 0 && pread(fd, m, 8, DEV_OFF) == 8 &&
		     memcmp(m, "KVMDUMP0", 8) == 0;
	if (fd >= 0)
		close(fd);
	return inval;
}

/* Every page the device's dump reads, the saved file reads the same. */
static void
check_saved(const char *saved)
{
	char errbuf[KVM_ERRBUF_SIZE];
	kvm_t *a = kvm_openfiles(NULL, copy, NULL, O_RDONLY, errbuf);
	must(a != NULL, "a dump marked saved: the device did not open");
	must(kvm_dump_mkheader(a, DEV_OFF) > 0,
	     "a dump marked saved had no valid header");
	kvm_t *b = kvm_openfiles(NULL, saved, NULL, O_RDONLY, errbuf);
	must(b != NULL, "a dump marked saved: the saved file does not open");
	struct kvm_info ia;
	kvm_get_info(a, &ia, sizeof(ia));
	uint32_t ps = ia.page_size ? ia.page_size : 4096;
	uint8_t *pa = malloc(ps), *pb = malloc(ps);
	const struct kvm_phys_range *r;
	size_t nr;
	kvm_get_phys_ranges(a, &r, &nr);
	uint64_t budget = 1 << 16; /* pages: the target's own limit */
	for (size_t i = 0; i < nr && budget; i++)
		for (uint64_t p = r[i].start; p + ps <= r[i].end && budget;
		     p += ps, budget--) {
			if (kvm_read_phys(a, p, pa, ps) != (ssize_t)ps) {
				int c = kvm_geterrcode(a);
				must(c == KVM_ENODATA || c == KVM_ETRUNC,
				     "a dump marked saved has a page that "
				     "does not read");
				continue;
			}
			must(kvm_read_phys(b, p, pb, ps) == (ssize_t)ps &&
				     memcmp(pa, pb, ps) == 0,
			     "the saved file differs from the dump marked saved");
		}
	free(pa);
	free(pb);
	kvm_close(a);
	kvm_close(b);
}

static void
cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[8192];

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(dir);
	unlink(dev);
	unlink(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	paths();
	uint8_t flags = data[0];
	data++, size--;
	if (write_device(dev, data, size) || write_device(copy, data, size) ||
	    (mkdir(dir, 0700) != 0)) {
		cleanup();
		return 0;
	}
	static const int formats[] = { KVM_DUMP_DEVICE, KVM_DUMP_KDUMP,
				       KVM_DUMP_ELF, KVM_DUMP_DEVICE };
	struct kcore_opts o = { .level = -1, .compress = -1,
				.outfmt = formats[(flags >> 1) & 3],
				.quiet = true, .force = flags & 1 };
	char *argv[] = { dev, dir, NULL };
	int st = cmd_savecore_main(&o, 2, argv);
	/* Marked saved by this run (the input may say so already). */
	bool inval = size >= 8 && memcmp(data, "KVMDUMP1", 8) == 0 &&
		     marked_saved();

	/* What is in DIR: vmcore.N, vmcore.N.raw, bounds. */
	char saved[8192] = "";
	bool raw = false;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "vmcore.", 7) != 0)
			continue;
		char p[8192];
		struct stat st_;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		must(stat(p, &st_) == 0 && (st_.st_mode & 0777) == 0600,
		     "a saved file is not mode 0600");
		if (strstr(e->d_name, ".raw"))
			raw = true;
		else
			snprintf(saved, sizeof(saved), "%s", p);
	}
	if (d)
		closedir(d);
	must(inval == (st == 0 || st == 3),
	     "the exit status and the device disagree on whether it was saved");
	if (inval) {
		must(saved[0] != '\0', "a dump marked saved, and no file");
		check_saved(saved);
	} else {
		must(!saved[0] || st != 2, "a dump kept, and a vmcore.N left");
		must(!raw || o.force, "a raw file without -f");
	}
	cleanup();
	return 0;
}
