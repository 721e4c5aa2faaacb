// SPDX-License-Identifier: BSD-2-Clause
/*
 * Dump devices (src/dump/dumpdev.c, dump(D2DK)): which files and devices
 * are taken and with what geometry, round trips over a whole extent,
 * blocks outside it, the sequential drivers (pipe, socket, standard
 * output, /dev/null), and a loop device with 4 KiB logical blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dump/dump.h"

#define BLK KVM_DUMP_BLKSIZE
#define FILE_SIZE (4u << 20)

struct fixture {
	kvm_t *kd;
	char dir[64];
	char path[128];
	struct kvm_dumpdev *dev;
};

#define assert_error(kd, want)                                           \
	do {                                                             \
		if (!strstr(kvm_geterr(kd), (want)))                     \
			fail_msg("error \"%s\" does not contain \"%s\"", \
				 kvm_geterr(kd), (want));                \
	} while (0)

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	f->kd = calloc(1, sizeof(*f->kd));
	snprintf(f->dir, sizeof(f->dir), "/tmp/kvm-dumpdev-XXXXXX");
	if (!f->kd || !mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/dev", f->dir);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	kvm_dumpdev_close(f->dev);
	unlink(f->path);
	rmdir(f->dir);
	free(f->kd);
	free(f);
	return 0;
}

static void
make_file(const char *path, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static void
put_bytes(const char *path, off_t off, const void *buf, size_t len)
{
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

/* A swap area by mkswap (util-linux), or by hand when it is missing. */
static void
make_swap(const char *path, off_t size)
{
	char cmd[256];

	make_file(path, size);
	snprintf(cmd, sizeof(cmd), "mkswap -p 4096 %s >/dev/null 2>&1", path);
	if (system(cmd) != 0) {
		uint32_t version = 1;

		put_bytes(path, 1024, &version, sizeof(version));
		put_bytes(path, 4096 - 10, "SWAPSPACE2", 10);
	}
}

/* The byte at 512-byte block blk, offset i, of a round trip's pass. */
static uint8_t
pat(int64_t blk, size_t i, unsigned pass)
{
	return (uint8_t)(blk * 131 + i * 7 + (i >> 8) + pass * 29 + 1);
}

static void
fill(uint8_t *buf, int64_t blk, int n, unsigned pass)
{
	for (int b = 0; b < n; b++)
		for (size_t i = 0; i < BLK; i++)
			buf[b * BLK + i] = pat(blk + b, i, pass);
}

static void
check(const uint8_t *buf, int64_t blk, int n, unsigned pass)
{
	for (int b = 0; b < n; b++)
		for (size_t i = 0; i < BLK; i++)
			if (buf[b * BLK + i] != pat(blk + b, i, pass))
				fail_msg("block %lld byte %zu is 0x%02x, not 0x%02x",
					 (long long)(blk + b), i,
					 buf[b * BLK + i],
					 pat(blk + b, i, pass));
}

static int
dev_io(struct kvm_dumpdev *dev, int64_t blk, void *buf, int cmd, int n)
{
	return dev->dumpfunc(dev, blk, buf, cmd, n);
}

/*
 * Write the whole extent, trailer block included, in calls of varying
 * sizes from a buffer that is not aligned, then read it back the same.
 */
static void
round_trip(struct kvm_dumpdev *dev, unsigned pass)
{
	static const int sizes[] = { 1, 7, 2048, 3, 64, 513, 2, 1000 };
	int max = dev->chunksize;
	uint8_t *mem = malloc((size_t)max * BLK + 1);
	uint8_t *buf = mem + 1;
	size_t k = 0;

	assert_non_null(mem);
	for (int cmd = CRASH_DOIO_WR; cmd >= CRASH_DOIO_RD; cmd--) {
		k = 0;
		for (int64_t b = dev->startblk; b <= dev->ptrblk;) {
			int n = sizes[k++ % ARRAY_SIZE(sizes)];

			if (n > max)
				n = max;
			if (n > dev->ptrblk + 1 - b)
				n = (int)(dev->ptrblk + 1 - b);
			if (cmd == CRASH_DOIO_WR)
				fill(buf, b, n, pass);
			else
				memset(buf, 0xee, (size_t)n * BLK);
			if (dev_io(dev, b, buf, cmd, n) != 0)
				fail_msg("%s: %s", cmd == CRASH_DOIO_WR ?
					 "write" : "read",
					 kvm_geterr(dev->kd));
			if (cmd == CRASH_DOIO_RD)
				check(buf, b, n, pass);
			b += n;
		}
		if (cmd == CRASH_DOIO_WR)
			assert_int_equal(
				dev_io(dev, 0, NULL, CRASH_DOIO_EOT, 0), 0);
	}
	free(mem);
}

static bool
swap_intact(struct kvm_dumpdev *dev)
{
	uint8_t page[8 * BLK];

	assert_int_equal(dev_io(dev, 0, page, CRASH_DOIO_RD, 8), 0);
	return !memcmp(page + sizeof(page) - 10, "SWAPSPACE2", 10);
}

/* ------------------------------------------------------ random access */

static void
test_swap_file(void **state)
{
	struct fixture *f = *state;

	make_swap(f->path, FILE_SIZE + 100);	/* a partial last block */
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev), 0);
	struct kvm_dumpdev *dev = f->dev;
	assert_string_equal(dev->driver, "file");
	assert_int_equal(dev->seqflag, CRASH_RAND_DEVICE);
	assert_int_equal(dev->startblk, 128);
	assert_int_equal(dev->ptrblk, FILE_SIZE / BLK - 1);
	assert_int_equal(dev->blkcnt, dev->ptrblk - dev->startblk);
	assert_true(dev->chunksize >= 128);
	assert_ptr_equal(dev->kd, f->kd);
	round_trip(dev, 1);
	round_trip(dev, 2);
	assert_true(swap_intact(dev));
	kvm_dumpdev_close(dev);

	/* What was written stays for the next open, which reads it. */
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev), 0);
	uint8_t buf[BLK];
	assert_int_equal(dev_io(f->dev, f->dev->ptrblk, buf, CRASH_DOIO_RD,
				1), 0);
	check(buf, f->dev->ptrblk, 1, 2);
}

static void
test_out_of_range(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[4 * BLK];

	make_swap(f->path, FILE_SIZE);
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev), 0);
	struct kvm_dumpdev *dev = f->dev;
	int64_t end = dev->ptrblk + 1;
	char want[64];

	assert_int_equal(dev_io(dev, end, buf, CRASH_DOIO_WR, 1), -1);
	snprintf(want, sizeof(want), "block %lld is outside", (long long)end);
	assert_error(f->kd, want);
	assert_int_equal(dev_io(dev, end - 1, buf, CRASH_DOIO_RD, 2), -1);
	assert_error(f->kd, want);
	assert_int_equal(dev_io(dev, -1, buf, CRASH_DOIO_RD, 1), -1);
	assert_error(f->kd, "block -1 is outside");
	assert_int_equal(dev_io(dev, INT64_MAX, buf, CRASH_DOIO_RD, 1), -1);
	assert_int_equal(dev_io(dev, end - 1, buf, CRASH_DOIO_WR, INT32_MAX),
			 -1);
	assert_int_equal(dev_io(dev, 200, buf, CRASH_DOIO_WR,
				dev->chunksize + 1), -1);
	assert_error(f->kd, "at most");
	assert_int_equal(dev_io(dev, 200, buf, CRASH_DOIO_WR, -1), -1);
	assert_int_equal(dev_io(dev, 200, buf, 42, 1), -1);
	assert_error(f->kd, "unknown command 42");
	assert_int_equal(dev_io(dev, 200, NULL, CRASH_DOIO_WR, 1), -1);
	/* The swap header before the dump area is not written over. */
	assert_int_equal(dev_io(dev, 7, buf, CRASH_DOIO_WR, 1), -1);
	assert_error(f->kd, "block 7 is before the dump area");
	assert_true(swap_intact(dev));
	/* The last block and the first are fine; nothing is a no-op. */
	assert_int_equal(dev_io(dev, end - 1, buf, CRASH_DOIO_WR, 1), 0);
	assert_int_equal(dev_io(dev, dev->startblk, buf, CRASH_DOIO_WR, 1), 0);
	assert_int_equal(dev_io(dev, 300, buf, CRASH_DOIO_WR, 0), 0);
}

/* A read that fails names the block (an fd that cannot be read). */
static void
test_unreadable_block(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[4 * BLK];

	make_swap(f->path, FILE_SIZE);
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev), 0);
	int wfd = open(f->path, O_WRONLY);
	assert_true(wfd >= 0);
	assert_int_equal(dup2(wfd, f->dev->fd), f->dev->fd);
	close(wfd);
	assert_int_equal(dev_io(f->dev, 200, buf, CRASH_DOIO_RD, 4), -1);
	assert_error(f->kd, "reading block 200: ");
	assert_error(f->kd, f->path);
	assert_int_equal(kvm_geterrcode(f->kd), KVM_ESYS);
}

static void
test_ext4_refused(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "mkfs.ext4 -q -F %s 4M >/dev/null 2>&1",
		 f->path);
	if (system(cmd) != 0) {
		/* The superblock's magic and INCOMPAT_EXTENTS, by hand. */
		static const uint8_t magic[2] = { 0x53, 0xef };
		static const uint8_t extents[4] = { 0x40 };

		make_file(f->path, FILE_SIZE);
		put_bytes(f->path, 1080, magic, sizeof(magic));
		put_bytes(f->path, 1024 + 0x60, extents, sizeof(extents));
	}
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev),
			 -KVM_EINVAL);
	assert_null(f->dev);
	assert_error(f->kd, "ext4 filesystem");
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, KVM_DUMP_FORCE,
					  &f->dev), -KVM_EINVAL);
	assert_error(f->kd, "ext4 filesystem");
	/* Even with a swap signature on top. */
	put_bytes(f->path, 4096 - 10, "SWAPSPACE2", 10);
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev),
			 -KVM_EINVAL);
	assert_error(f->kd, "ext4");
}

static void
test_foreign_named(void **state)
{
	struct fixture *f = *state;
	static const uint8_t mbr_entry[16] = { 0x80, 0, 0, 0, 0x83 };
	static const uint8_t sig55aa[2] = { 0x55, 0xaa };
	static const struct {
		off_t off;
		const char *magic;
		const char *name;
	} sigs[] = {
		{ 0, "XFSB", "XFS" },
		{ 65536 + 64, "_BHRfS_M", "btrfs" },
		{ 32769, "CD001", "ISO 9660" },
		{ 512, "LABELONE", "LVM2" },
		{ 0, "LUKS\xba\xbe", "LUKS" },
		{ 512, "EFI PART", "GPT" },
		{ 0, "hsqs", "squashfs" },
		{ 3, "NTFS    ", "NTFS" },
		{ 0, "\xeb\x3c\x90mkfs.fat", "" }, /* completed below */
	};

	for (size_t i = 0; i + 1 < ARRAY_SIZE(sigs); i++) {
		make_swap(f->path, FILE_SIZE);
		put_bytes(f->path, sigs[i].off, sigs[i].magic,
			  strlen(sigs[i].magic));
		assert_int_equal(kvm_dumpdev_open(f->kd, f->path,
						  KVM_DUMP_FORCE, &f->dev),
				 -KVM_EINVAL);
		assert_error(f->kd, sigs[i].name);
	}
	make_file(f->path, FILE_SIZE);
	put_bytes(f->path, 0, sigs[8].magic, strlen(sigs[8].magic));
	put_bytes(f->path, 54, "FAT16   ", 8);
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, KVM_DUMP_FORCE,
					  &f->dev), -KVM_EINVAL);
	assert_error(f->kd, "FAT");

	make_file(f->path, FILE_SIZE);
	put_bytes(f->path, 446 + 16, mbr_entry, sizeof(mbr_entry));
	put_bytes(f->path, 510, sig55aa, sizeof(sig55aa));
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, KVM_DUMP_FORCE,
					  &f->dev), -KVM_EINVAL);
	assert_error(f->kd, "MBR partition table");
}

static void
test_zeros_need_force(void **state)
{
	struct fixture *f = *state;

	make_file(f->path, FILE_SIZE);
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev),
			 -KVM_EINVAL);
	assert_error(f->kd, "neither a Linux swap signature nor a dump label");
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, KVM_DUMP_FORCE,
					  &f->dev), 0);
	assert_int_equal(f->dev->ptrblk, FILE_SIZE / BLK - 1);
	round_trip(f->dev, 3);
	kvm_dumpdev_close(f->dev);
	f->dev = NULL;
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 2, &f->dev),
			 -KVM_EINVAL);
	assert_error(f->kd, "bad flags");
}

static void
test_label(void **state)
{
	struct fixture *f = *state;

	/* ondevice's magics, valid and saved, 64 KiB in. */
	make_file(f->path, FILE_SIZE);
	put_bytes(f->path, 65536, "KVMDUMP0", 8);
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev), 0);
	kvm_dumpdev_close(f->dev);
	f->dev = NULL;
	/* Whatever our header holds, it is not taken for btrfs. */
	put_bytes(f->path, 65536, "KVMDUMP1", 8);
	put_bytes(f->path, 65536 + 64, "_BHRfS_M", 8);
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev), 0);
	kvm_dumpdev_close(f->dev);
	f->dev = NULL;
	put_bytes(f->path, 65536, "KVMDUMP2", 8);
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev),
			 -KVM_EINVAL);
}

static void
test_refused_files(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, KVM_DUMP_FORCE,
					  &f->dev), -KVM_EINVAL);
	assert_error(f->kd, "does not exist");
	assert_int_equal(access(f->path, F_OK), -1);

	make_swap(f->path, (128 + 16) * BLK);
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, KVM_DUMP_FORCE,
					  &f->dev), -KVM_EINVAL);
	assert_error(f->kd, "too small");
	make_swap(f->path, (128 + 17) * BLK);
	assert_int_equal(kvm_dumpdev_open(f->kd, f->path, 0, &f->dev), 0);
	assert_int_equal(f->dev->blkcnt, 16);
	kvm_dumpdev_close(f->dev);
	f->dev = NULL;

	assert_int_equal(kvm_dumpdev_open(f->kd, f->dir, 0, &f->dev),
			 -KVM_EINVAL);
	assert_error(f->kd, "directory");
	assert_int_equal(kvm_dumpdev_open(f->kd, "", 0, &f->dev), -KVM_EINVAL);

	/* A socket by name cannot be opened. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char sock[100];
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sock, sizeof(sock), "%s/sock", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(kvm_dumpdev_open(f->kd, sock, 0, &f->dev),
			 -KVM_EINVAL);
	assert_error(f->kd, "socket");
	close(s);
	unlink(sock);
}

/* --------------------------------------------------------- sequential */

struct reader {
	int fd;
	uint8_t *buf;
	size_t cap, len;
};

static void *
reader_run(void *arg)
{
	struct reader *r = arg;
	ssize_t n;

	while ((n = read(r->fd, r->buf + r->len, r->cap - r->len)) > 0)
		r->len += (size_t)n;
	return NULL;
}

static void
assert_sequential(struct kvm_dumpdev *dev, const char *driver)
{
	assert_string_equal(dev->driver, driver);
	assert_int_equal(dev->seqflag, CRASH_SEQ_DEVICE);
	assert_int_equal(dev->startblk, 0);
	assert_int_equal(dev->ptrblk, 0);
	assert_int_equal(dev->blkcnt, -1);
	assert_true(dev->chunksize >= 1);
}

static void
test_pipe(void **state)
{
	struct fixture *f = *state;
	static const int sizes[] = { 1, 300, 2048, 5, 129 };
	int p[2];
	char path[64];
	int total = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		total += sizes[i];
	struct reader r = { .cap = (size_t)total * BLK + 1 };
	r.buf = malloc(r.cap);
	uint8_t *buf = malloc(2048 * BLK);
	assert_non_null(r.buf);
	assert_non_null(buf);
	assert_int_equal(pipe(p), 0);
	r.fd = p[0];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	assert_int_equal(kvm_dumpdev_open(f->kd, path, 0, &f->dev), 0);
	close(p[1]);
	assert_sequential(f->dev, "pipe");
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, reader_run, &r), 0);

	/* blkno is ignored: the blocks arrive in the order written. */
	int64_t blk = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		fill(buf, blk, sizes[i], 4);
		assert_int_equal(dev_io(f->dev, 99999, buf, CRASH_DOIO_WR,
					sizes[i]), 0);
		blk += sizes[i];
	}
	assert_int_equal(dev_io(f->dev, 0, buf, CRASH_DOIO_RD, 1), -1);
	assert_error(f->kd, "cannot be read back");
	assert_int_equal(dev_io(f->dev, 0, NULL, CRASH_DOIO_EOT, 0), 0);
	kvm_dumpdev_close(f->dev);
	f->dev = NULL;
	assert_int_equal(pthread_join(t, NULL), 0);
	close(p[0]);
	assert_int_equal(r.len, (size_t)total * BLK);
	check(r.buf, 0, total, 4);
	free(r.buf);
	free(buf);
}

/* A reader that goes away is an error, and SIGPIPE does not kill us. */
static void
test_pipe_epipe(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[4 * BLK];
	int p[2];
	char path[64];
	sigset_t pending;

	signal(SIGPIPE, SIG_DFL);
	assert_int_equal(pipe(p), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	assert_int_equal(kvm_dumpdev_open(f->kd, path, 0, &f->dev), 0);
	close(p[1]);
	close(p[0]);
	assert_int_equal(dev_io(f->dev, 0, buf, CRASH_DOIO_WR, 4), -1);
	assert_error(f->kd, "the reader went away");
	sigpending(&pending);
	assert_false(sigismember(&pending, SIGPIPE));
}

static void
test_socket_stdout(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[4 * BLK], got[4 * BLK];
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	dup2(sv[1], STDOUT_FILENO);
	close(sv[1]);
	int err = kvm_dumpdev_open(f->kd, "-", 0, &f->dev);
	int wr = -1, wr2 = -1;
	char driver[16] = "";
	if (!err) {
		snprintf(driver, sizeof(driver), "%s", f->dev->driver);
		fill(buf, 0, 4, 5);
		wr = dev_io(f->dev, 0, buf, CRASH_DOIO_WR, 4);
		ssize_t n = recv(sv[0], got, sizeof(got), MSG_WAITALL);
		(void)n;
		close(sv[0]);
		wr2 = dev_io(f->dev, 0, buf, CRASH_DOIO_WR, 4);
		kvm_dumpdev_close(f->dev);
	}
	int still = fcntl(STDOUT_FILENO, F_GETFD);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f->dev = NULL;
	assert_int_equal(err, 0);
	assert_string_equal(driver, "socket");
	assert_int_equal(wr, 0);
	check(got, 0, 4, 5);
	assert_int_equal(wr2, -1);
	assert_error(f->kd, "standard output: the reader went away");
	assert_true(still >= 0);	/* fd 1 is not closed */
}

static void
test_stdout_pipe(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[3 * BLK], got[3 * BLK + 1];
	int p[2];
	char driver[16] = "";
	int seq = 0;

	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	dup2(p[1], STDOUT_FILENO);
	close(p[1]);
	int err = kvm_dumpdev_open(f->kd, "-", 0, &f->dev);
	int wr = -1, eot = -1;
	if (!err) {
		snprintf(driver, sizeof(driver), "%s", f->dev->driver);
		seq = f->dev->seqflag;
		fill(buf, 7, 3, 6);
		wr = dev_io(f->dev, 0, buf, CRASH_DOIO_WR, 3);
		eot = dev_io(f->dev, 0, NULL, CRASH_DOIO_EOT, 0);
		kvm_dumpdev_close(f->dev);
		f->dev = NULL;
	}
	int still = fcntl(STDOUT_FILENO, F_GETFD);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(err, 0);
	assert_string_equal(driver, "pipe");
	assert_int_equal(seq, CRASH_SEQ_DEVICE);
	assert_int_equal(wr, 0);
	assert_int_equal(eot, 0);
	assert_true(still >= 0);
	ssize_t n = read(p[0], got, sizeof(got));
	assert_int_equal(n, 3 * BLK);
	check(got, 7, 3, 6);
	close(p[0]);
}

static void
test_null(void **state)
{
	struct fixture *f = *state;
	uint8_t *buf = calloc(2048, BLK);

	assert_non_null(buf);
	assert_int_equal(kvm_dumpdev_open(f->kd, "/dev/null", 0, &f->dev), 0);
	assert_sequential(f->dev, "null");
	for (int i = 0; i < 64; i++)
		assert_int_equal(dev_io(f->dev, i, buf, CRASH_DOIO_WR,
					f->dev->chunksize), 0);
	assert_int_equal(dev_io(f->dev, 0, buf, CRASH_DOIO_RD, 1), -1);
	assert_int_equal(dev_io(f->dev, 0, NULL, CRASH_DOIO_EOT, 0), 0);
	free(buf);
	kvm_dumpdev_close(NULL);
}

/* ---------------------------------------------- block device (loop) */

/*
 * A loop device with 4 KiB logical blocks over a swap file: 512-byte
 * blocks are read-modify-written through the bounce buffer.  Needs root
 * and /dev/loop-control; skipped otherwise.  LO_FLAGS_AUTOCLEAR detaches
 * it when the last fd closes, even if the test dies.
 */
static int
loop_attach(const char *backing, char *dev, size_t len)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	int bfd = open(backing, O_RDWR | O_CLOEXEC);

	if (ctl < 0 || bfd < 0)
		goto fail;
	for (int tries = 0; tries < 8; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			break;
		snprintf(dev, len, "/dev/loop%d", n);
		int lfd = open(dev, O_RDWR | O_CLOEXEC);
		if (lfd < 0)
			break;
		struct loop_config cfg = {
			.fd = (uint32_t)bfd,
			.block_size = 4096,
			.info.lo_flags = LO_FLAGS_AUTOCLEAR,
		};
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
			close(ctl);
			close(bfd);
			return lfd;
		}
		close(lfd);
		if (errno != EBUSY)
			break;
	}
fail:
	if (ctl >= 0)
		close(ctl);
	if (bfd >= 0)
		close(bfd);
	return -1;
}

static void
test_loop_4k(void **state)
{
	struct fixture *f = *state;
	char dev[32];
	static uint8_t buf[16 * BLK];

	if (geteuid() != 0)
		skip();
	make_swap(f->path, FILE_SIZE);
	int lfd = loop_attach(f->path, dev, sizeof(dev));
	if (lfd < 0)
		skip();
	int ssz = 0;
	assert_int_equal(ioctl(lfd, BLKSSZGET, &ssz), 0);
	assert_int_equal(ssz, 4096);
	int err = kvm_dumpdev_open(f->kd, dev, 0, &f->dev);
	if (err)
		fail_msg("%s: %s", dev, kvm_geterr(f->kd));
	assert_string_equal(f->dev->driver, "block");
	assert_int_equal(f->dev->ptrblk, FILE_SIZE / BLK - 1);

	/* Held with O_EXCL: a second opener is told it is in use. */
	struct kvm_dumpdev *dev2 = NULL;
	assert_int_equal(kvm_dumpdev_open(f->kd, dev, 0, &dev2), -KVM_EINVAL);
	assert_error(f->kd, "in use");

	/* Odd blocks inside 4 KiB ones: the neighbours must survive. */
	round_trip(f->dev, 7);
	fill(buf, 129, 3, 8);
	assert_int_equal(dev_io(f->dev, 129, buf, CRASH_DOIO_WR, 3), 0);
	fill(buf, 1001, 9, 8);
	assert_int_equal(dev_io(f->dev, 1001, buf, CRASH_DOIO_WR, 9), 0);
	assert_int_equal(dev_io(f->dev, 0, NULL, CRASH_DOIO_EOT, 0), 0);
	assert_int_equal(dev_io(f->dev, 128, buf, CRASH_DOIO_RD, 1), 0);
	check(buf, 128, 1, 7);
	assert_int_equal(dev_io(f->dev, 129, buf, CRASH_DOIO_RD, 4), 0);
	check(buf, 129, 3, 8);
	check(buf + 3 * BLK, 132, 1, 7);
	assert_int_equal(dev_io(f->dev, 1000, buf, CRASH_DOIO_RD, 11), 0);
	check(buf, 1000, 1, 7);
	check(buf + BLK, 1001, 9, 8);
	check(buf + 10 * BLK, 1010, 1, 7);
	assert_true(swap_intact(f->dev));
	kvm_dumpdev_close(f->dev);
	f->dev = NULL;
	close(lfd);

	/* Through the loop device, the backing file got the same bytes. */
	int fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 11 * BLK, 1000 * BLK), 11 * BLK);
	check(buf, 1000, 1, 7);
	check(buf + BLK, 1001, 9, 8);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_swap_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_block, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ext4_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_foreign_named, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zeros_need_force, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_label, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipe_epipe, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_socket_stdout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stdout_pipe, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_4k, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
