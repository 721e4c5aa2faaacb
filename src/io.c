// SPDX-License-Identifier: BSD-2-Clause
/*
 * File access for targets.  A regular file is mapped whole, so that the
 * read path is a bounds check and a memcpy; anything else (block devices,
 * /proc/vmcore, pipes are refused earlier) is read with pread.
 *
 * A makedumpfile flattened file (makedumpfile -F, QEMU's kdump output;
 * see format/flattened.c) is read in place through a record index: the
 * formats then see the logical file that "makedumpfile -R" would write,
 * without it ever being written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm_private.h"

int
kvm_file_open(kvm_t *kd, struct kvm_file *f, const char *path,
	      int oflags)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->fd = open(path, oflags | O_CLOEXEC);
	if (f->fd < 0)
		return kvm_error_sys(kd, "%s", path);
	if (fstat(f->fd, &st) < 0) {
		int err = kvm_error_sys(kd, "fstat %s", path);
		kvm_file_close(f);
		return err;
	}
	if (S_ISDIR(st.st_mode)) {
		kvm_file_close(f);
		errno = EISDIR;
		return kvm_error_sys(kd, "%s", path);
	}
	f->writable = (oflags & O_ACCMODE) != O_RDONLY;
	f->regular = S_ISREG(st.st_mode);
	if (f->regular) {
		f->size = st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(f->fd, 0, SEEK_END);
		f->size = end > 0 ? (uint64_t)end : 0;
	} else {
		/* Character devices and the like: size unknown, read on. */
		f->size = UINT64_MAX;
	}
	if (f->regular && f->size > 0 && f->size <= SIZE_MAX) {
		int prot = PROT_READ | (f->writable ? PROT_WRITE : 0);
		void *m = mmap(NULL, f->size, prot, MAP_SHARED, f->fd, 0);
		if (m != MAP_FAILED) {
			f->map = m;
			f->map_len = f->size;
			/* Dumps are read at random. */
			madvise(m, f->map_len, MADV_RANDOM);
		}
	}
	return 0;
}

void
kvm_file_close(struct kvm_file *f)
{
	if (f->map)
		munmap((void *)f->map, f->map_len);
	if (f->fd >= 0)
		close(f->fd);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

const void *
kvm_file_ptr(const struct kvm_file *f, uint64_t off, size_t len)
{
	if (!f->map || !kvm_range_ok(off, len, f->map_len))
		return NULL;
	return f->map + off;
}

int
kvm_file_read(kvm_t *kd, const struct kvm_file *f, uint64_t off,
	      void *buf, size_t len)
{
	if (!kvm_range_ok(off, len, f->size))
		return kvm_error(kd, KVM_ETRUNC,
				 "read of %zu bytes at file offset 0x%llx is "
				 "past the end of the file (%llu bytes)",
				 len, (unsigned long long)off,
				 (unsigned long long)f->size);
	const void *p = kvm_file_ptr(f, off, len);
	if (p) {
		memcpy(buf, p, len);
		return 0;
	}
	uint8_t *out = buf;
	while (len > 0) {
		if (off > INT64_MAX)
			return kvm_error(kd, KVM_EINVAL,
					 "file offset 0x%llx too large",
					 (unsigned long long)off);
		ssize_t n = pread(f->fd, out, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kvm_error_sys(kd, "read at file offset 0x%llx",
					     (unsigned long long)off);
		}
		if (n == 0)
			return kvm_error(kd, KVM_ETRUNC,
					 "file ends at offset 0x%llx",
					 (unsigned long long)off);
		out += n;
		off += n;
		len -= n;
	}
	return 0;
}

int
kvm_file_write(kvm_t *kd, struct kvm_file *f, uint64_t off,
	       const void *buf, size_t len)
{
	const uint8_t *in = buf;

	if (!f->writable)
		return kvm_error(kd, KVM_EINVAL, "file not opened for writing");
	if (!kvm_range_ok(off, len, f->size))
		return kvm_error(kd, KVM_ETRUNC,
				 "write past the end of the file");
	/* pwrite rather than the mapping: errors are reported, not SIGBUS. */
	while (len > 0) {
		ssize_t n = pwrite(f->fd, in, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kvm_error_sys(kd, "write at file offset 0x%llx",
					     (unsigned long long)off);
		}
		in += n;
		off += n;
		len -= n;
	}
	return 0;
}
