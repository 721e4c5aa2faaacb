// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for our own dump formats (src/format/kvmdump.c,
 * src/kvmdump_disk.h): dump streams, savecore's kcore files and dump
 * devices, whose dump kvm_dump_mkheader() reads at 0 and 64 KiB; then
 * reads, and kvm_dump_header() of what was found.  Body in fuzz_dump.h;
 * corpus in corpus/kvmdump (mkseeds-kvmdump.sh).
 */
#include "fuzz_dump.h"

static ssize_t
count_bytes(void *cookie, const void *buf, size_t len)
{
	(void)buf;
	*(size_t *)cookie += len;
	return (ssize_t)len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], errbuf[KVM_ERRBUF_SIZE];

	fd_run(data, size, O_RDONLY);
	int fd = memfd_create("fuzz_kvmdump", MFD_CLOEXEC);
	fd_must(fd >= 0, "memfd_create");
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);
		fd_must(n > 0, "write memfd");
		off += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	static const off_t offs[] = { 0, 65536 };
	for (int i = 0; i < 2; i++) {
		kvm_t *kd = kvm_openfiles(NULL, path, NULL, O_RDONLY, errbuf);
		if (!kd)
			break;
		int h = kvm_dump_mkheader(kd, offs[i]);
		if (h < 0)
			fd_check_msg(kvm_geterr(kd), "mkheader failed silently");
		if (h > 0) {
			size_t n = 0;
			fd_exercise(kd, data, size, 0, 0);
			if (kvm_dump_header(kd, count_bytes, &n, 0) == 0)
				fd_must(n > 0, "kvm_dump_header wrote nothing");
		}
		fd_must(kvm_close(kd) == 0, "kvm_close");
	}
	close(fd);
	return 0;
}
