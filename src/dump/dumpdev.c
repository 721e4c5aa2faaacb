// SPDX-License-Identifier: BSD-2-Clause
/*
 * Dump devices in the dump(D2DK) driver model: the driver's dump entry
 * (kvm_dumpdev_open) hands back seqflag, startblk, blkcnt, ptrblk,
 * chunksize and a dumpfunc that moves 512-byte blocks.  Random access on
 * a regular file or a block device, sequential on a pipe, socket, tape or
 * other character device, and a null device that discards.
 *
 * A random-access device, in 512-byte blocks:
 *
 *   0                 128 (64 KiB)                      ptrblk
 *   +-----------------+-----------------------------...-+--------+---+
 *   | swap header     | dump: header, CPU, DATA, ...    | trailer| % |
 *   | (left alone)    | <------------ blkcnt ---------> | header |   |
 *   +-----------------+-----------------------------...-+--------+---+
 *                                           % a partial last block, unused
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mtio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "../kvmdump_disk.h"
#include "dump.h"

/* The dump starts past a swap header of any page size (4K..64K). */
#define DUMPDEV_STARTBLK (KVMDUMP_DEVICE_OFFSET / KVM_DUMP_BLKSIZE)
/* Room for a header, a CPU segment and a few pages at the least. */
#define DUMPDEV_MINBLKS 16
/* 1 MiB per call: large enough to stream, small enough to bounce. */
#define DUMPDEV_CHUNK 2048
/* 64 KiB records: within the maximum block size of every tape drive. */
#define DUMPDEV_TAPE_CHUNK 128
/* The first 128 KiB hold every signature we look for. */
#define DUMPDEV_PROBE_BLKS 256
/* Documentation/admin-guide/devices.txt: char 9 is SCSI tape (st, nst). */
#define SCSI_TAPE_MAJOR 9

enum dumpdev_kind {
	DEV_FILE,
	DEV_BLOCK,
	DEV_PIPE,
	DEV_SOCKET,
	DEV_CHAR,
	DEV_TAPE,
	DEV_NULL,
};

static const char *const dumpdev_driver[] = {
	[DEV_FILE] = "file",	 [DEV_BLOCK] = "block", [DEV_PIPE] = "pipe",
	[DEV_SOCKET] = "socket", [DEV_CHAR] = "char",	[DEV_TAPE] = "tape",
	[DEV_NULL] = "null",
};

struct dumpdev {
	struct kvm_dumpdev pub; /* pub.priv points back here */
	enum dumpdev_kind kind;
	const char *name; /* in messages: path, or "standard output" */
	bool own_fd;	  /* false for standard output */
	bool rdonly;	  /* random device we may only read */
	uint32_t align;	  /* logical block size: I/O is aligned */
	uint64_t size;	  /* bytes of a random device */
	uint8_t *bounce;  /* aligned to align; a chunk plus two blocks */
};

/* ------------------------------------------------------------ raw I/O */

/* Bytes read before EOF, or -1 with errno. */
static ssize_t
pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int
pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const uint8_t *)buf + done, len - done,
				   (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/*
 * write() to a pipe whose reader is gone raises SIGPIPE, which kills the
 * process; a library may not change the disposition, so block it in this
 * thread for the call and take back the one the call raised.  A SIGPIPE
 * that was pending already is left for its owner.
 */
static ssize_t
write_nosigpipe(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	bool was_pending = sigismember(&pending, SIGPIPE);
	ssize_t n = write(fd, buf, len);
	int saved = errno;
	if (n < 0 && saved == EPIPE && !was_pending) {
		const struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
		       errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

/* ------------------------------------------------------ random access */

/*
 * Read [a, a+n) (aligned) into the bounce buffer at boff.  The request's
 * own blocks start at blkno: an error names the first of them that
 * cannot be read.
 */
static int
rand_fill(struct dumpdev *d, size_t boff, uint64_t a, size_t n, int64_t blkno)
{
	kvm_t *kd = d->pub.kd;
	uint8_t *b = d->bounce + boff;
	ssize_t got = pread_full(d->pub.fd, b, n, a);

	if (got == (ssize_t)n)
		return 0;
	/*
	 * A read of many blocks that fails does not say which one is bad:
	 * read again one logical block at a time to name it.  If they all
	 * read now, the error was transient and the data is good.
	 */
	for (size_t u = 0; u < n; u += d->align) {
		got = pread_full(d->pub.fd, b + u, d->align, a + u);
		if (got == (ssize_t)d->align)
			continue;
		int64_t bad = (int64_t)((a + u) / KVM_DUMP_BLKSIZE);
		if (bad < blkno)
			bad = blkno;
		if (got >= 0)
			return kvm_error(kd, KVM_ETRUNC,
					 "dump device %s: block %" PRId64
					 " is past its end (was it truncated?)",
					 d->name, bad);
		return kvm_error_sys(kd,
				     "dump device %s: reading block %" PRId64,
				     d->name, bad);
	}
	return 0;
}

static int
rand_io(struct dumpdev *d, int64_t blkno, void *buf, int cmd, int nblocks)
{
	kvm_t *kd = d->pub.kd;
	int64_t last = d->pub.ptrblk;
	int err;

	if (blkno < 0 || blkno > last || nblocks > last + 1 - blkno)
		return kvm_error(kd, KVM_EINVAL,
				 "dump device %s: block %" PRId64
				 " is outside the device (blocks 0 to %" PRId64
				 ")",
				 d->name,
				 blkno < 0 || blkno > last ? blkno : last + 1,
				 last);
	if (cmd == CRASH_DOIO_WR && blkno < d->pub.startblk)
		return kvm_error(kd, KVM_EINVAL,
				 "dump device %s: block %" PRId64
				 " is before the dump area (block %" PRId64
				 " on), where the swap header lives",
				 d->name, blkno, d->pub.startblk);
	if (cmd == CRASH_DOIO_WR && d->rdonly)
		return kvm_error(kd, KVM_EINVAL,
				 "dump device %s: opened read-only", d->name);

	/*
	 * Raw devices take only whole logical blocks at aligned offsets:
	 * widen the request to them, reading what the widening adds before
	 * a write (read-modify-write).
	 */
	uint64_t mask = d->align - 1;
	uint64_t off = (uint64_t)blkno * KVM_DUMP_BLKSIZE;
	size_t len = (size_t)nblocks * KVM_DUMP_BLKSIZE;
	uint64_t a0 = off & ~mask;
	uint64_t a1 = (off + len + mask) & ~mask;
	size_t skip = (size_t)(off - a0);
	size_t n = (size_t)(a1 - a0);

	if (cmd == CRASH_DOIO_RD) {
		err = rand_fill(d, 0, a0, n, blkno);
		if (err)
			return err;
		memcpy(buf, d->bounce + skip, len);
		return 0;
	}
	err = 0;
	if (skip)
		err = rand_fill(d, 0, a0, d->align, blkno);
	/* The tail's block, unless it is the head's, read just now. */
	if (!err && ((off + len) & mask) && (!skip || n > d->align))
		err = rand_fill(d, n - d->align, a1 - d->align, d->align,
				blkno);
	if (err)
		return err;
	memcpy(d->bounce + skip, buf, len);
	if (pwrite_full(d->pub.fd, d->bounce, n, a0) < 0)
		return kvm_error_sys(kd,
				     "dump device %s: writing blocks %" PRId64
				     " to %" PRId64,
				     d->name, blkno, blkno + nblocks - 1);
	return 0;
}

static int
rand_eot(struct dumpdev *d)
{
	/* Written is not stored until the device says so. */
	if (!d->rdonly && fdatasync(d->pub.fd) < 0)
		return kvm_error_sys(d->pub.kd, "dump device %s: flushing",
				     d->name);
	return 0;
}

/* --------------------------------------------------------- sequential */

static int
seq_write(struct dumpdev *d, const void *buf, size_t len)
{
	kvm_t *kd = d->pub.kd;
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n;

		if (d->kind == DEV_SOCKET)
			n = send(d->pub.fd, p, len, MSG_NOSIGNAL);
		else if (d->kind == DEV_PIPE)
			n = write_nosigpipe(d->pub.fd, p, len);
		else
			n = write(d->pub.fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return kvm_error_sys(kd,
					     "dump device %s: the reader went away",
					     d->name);
		if (n < 0 && errno == ENOSPC && d->kind == DEV_TAPE)
			return kvm_error_sys(kd, "dump device %s: end of tape",
					     d->name);
		if (n < 0)
			return kvm_error_sys(kd, "dump device %s: writing",
					     d->name);
		if (n == 0)
			return kvm_error(kd, KVM_ESYS,
					 "dump device %s: wrote nothing",
					 d->name);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
seq_eot(struct dumpdev *d)
{
	kvm_t *kd = d->pub.kd;

	switch (d->kind) {
	case DEV_TAPE: {
		/* A filemark ends the dump's file on the tape. */
		struct mtop op = { .mt_op = MTWEOF, .mt_count = 1 };

		if (ioctl(d->pub.fd, MTIOCTOP, &op) < 0)
			return kvm_error_sys(kd,
					     "dump device %s: writing a filemark",
					     d->name);
		return 0;
	}
	case DEV_FILE:
	case DEV_CHAR:
		/* Most character devices cannot be synced: that is no loss. */
		if (fsync(d->pub.fd) < 0 && errno != EINVAL && errno != EROFS &&
		    errno != ENOTSUP)
			return kvm_error_sys(kd, "dump device %s: flushing",
					     d->name);
		return 0;
	default:
		return 0;
	}
}

/* ----------------------------------------------------------- dumpfunc */

static int
dumpdev_do(struct dumpdev *d, int64_t blkno, void *buf, int cmd, int nblocks)
{
	kvm_t *kd = d->pub.kd;
	bool seq = d->pub.seqflag == CRASH_SEQ_DEVICE;

	if (cmd == CRASH_DOIO_EOT)
		return seq ? seq_eot(d) : rand_eot(d);
	if (cmd != CRASH_DOIO_RD && cmd != CRASH_DOIO_WR)
		return kvm_error(kd, KVM_EINVAL,
				 "dump device %s: unknown command %d", d->name,
				 cmd);
	if (nblocks < 0 || nblocks > d->pub.chunksize)
		return kvm_error(
			kd, KVM_EINVAL,
			"dump device %s: %d blocks in one call (at most %d)",
			d->name, nblocks, d->pub.chunksize);
	if (nblocks > 0 && !buf)
		return kvm_error(kd, KVM_EINVAL, "dump device %s: no buffer",
				 d->name);
	if (seq && cmd == CRASH_DOIO_RD)
		return kvm_error(
			kd, KVM_ENOTSUP,
			"dump device %s: a sequential device cannot be read back",
			d->name);
	if (nblocks == 0 || d->kind == DEV_NULL)
		return 0;
	if (seq)
		return seq_write(d, buf, (size_t)nblocks * KVM_DUMP_BLKSIZE);
	return rand_io(d, blkno, buf, cmd, nblocks);
}

static int
dumpdev_func(struct kvm_dumpdev *dev, int64_t blkno, void *buf, int cmd,
	     int nblocks)
{
	return dumpdev_do(dev->priv, blkno, buf, cmd, nblocks) ? -1 : 0;
}

/* -------------------------------------------------------------- probe */

static bool
has(const uint8_t *b, size_t n, size_t off, const void *magic, size_t len)
{
	return off + len <= n && !memcmp(b + off, magic, len);
}

static uint32_t
le32_at(const uint8_t *b, size_t off)
{
	return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 |
	       (uint32_t)b[off + 2] << 16 | (uint32_t)b[off + 3] << 24;
}

/*
 * What, other than swap or a dump, the first bytes of a device hold: a
 * filesystem, a volume or a partition table, all of which a dump would
 * destroy.  past_64k: also look at signatures beyond 64 KiB (not when our
 * own label is there: those bytes are our header's).
 */
static const char *
dumpdev_foreign(const uint8_t *b, size_t n, bool past_64k)
{
	/* fs/ext4/ext4.h (v6.1): s_magic at 1024 + 0x38, features after. */
	if (n >= 1124 && b[1080] == 0x53 && b[1081] == 0xef) {
		uint32_t compat = le32_at(b, 1024 + 0x5c);
		uint32_t incompat = le32_at(b, 1024 + 0x60);

		/* EXTENTS 0x40, 64BIT 0x80, FLEX_BG 0x200; HAS_JOURNAL 4 */
		if (incompat & (0x40 | 0x80 | 0x200))
			return "an ext4 filesystem";
		return compat & 4 ? "an ext3 filesystem" : "an ext2 filesystem";
	}
	/* fs/xfs/libxfs/xfs_format.h: XFS_SB_MAGIC, big-endian, at 0. */
	if (has(b, n, 0, "XFSB", 4))
		return "an XFS filesystem";
	/* fs/btrfs: BTRFS_SUPER_INFO_OFFSET 64 KiB, magic at 0x40 in it. */
	if (past_64k && has(b, n, 65536 + 64, "_BHRfS_M", 8))
		return "a btrfs filesystem";
	/* reiserfs_fs.h: super block at 64 KiB, s_magic at 52. */
	if (past_64k && has(b, n, 65536 + 52, "ReIsEr", 6))
		return "a reiserfs filesystem";
	/* include/linux/f2fs_fs.h: F2FS_SUPER_MAGIC at F2FS_SUPER_OFFSET. */
	if (n >= 1028 && le32_at(b, 1024) == 0xf2f52010)
		return "an F2FS filesystem";
	/* fs/squashfs/squashfs_fs.h: SQUASHFS_MAGIC "hsqs" at 0. */
	if (has(b, n, 0, "hsqs", 4))
		return "a squashfs filesystem";
	/* ISO 9660: volume descriptor at sector 16 (2 KiB), id at 1. */
	if (has(b, n, 32769, "CD001", 5))
		return "an ISO 9660 filesystem";
	/* cryptsetup's LUKS1/LUKS2 header: "LUKS\xba\xbe" at 0. */
	if (has(b, n, 0, "LUKS\xba\xbe", 6))
		return "a LUKS encrypted volume";
	/* LVM2 label "LABELONE" in one of the first four sectors. */
	for (size_t s = 0; s < 4; s++)
		if (has(b, n, s * 512, "LABELONE", 8))
			return "an LVM2 physical volume";
	/* md/md_p.h: MD_SB_MAGIC; superblock 1.1 at 0, 1.2 at 4 KiB. */
	if ((n >= 4 && le32_at(b, 0) == 0xa92b4efc) ||
	    (n >= 4100 && le32_at(b, 4096) == 0xa92b4efc))
		return "an md RAID member";
	/* Boot sectors: the OEM name at 3, FAT's type string at 54/82. */
	if (has(b, n, 3, "NTFS    ", 8))
		return "an NTFS filesystem";
	if (has(b, n, 3, "EXFAT   ", 8))
		return "an exFAT filesystem";
	if (n >= 90 && (b[0] == 0xeb || b[0] == 0xe9) &&
	    (has(b, n, 54, "FAT", 3) || has(b, n, 82, "FAT32", 5)))
		return "a FAT filesystem";
	/* UEFI: the GPT header in LBA 1, for 512 or 4096-byte sectors. */
	if (has(b, n, 512, "EFI PART", 8) || has(b, n, 4096, "EFI PART", 8))
		return "a GPT partition table";
	/* An MBR: 0x55aa, and an entry of a known state with a type. */
	if (n >= 512 && b[510] == 0x55 && b[511] == 0xaa)
		for (size_t i = 0; i < 4; i++) {
			const uint8_t *e = b + 446 + 16 * i;

			if ((e[0] == 0 || e[0] == 0x80) && e[4] != 0)
				return "an MBR partition table";
		}
	return NULL;
}

/*
 * What libblkid finds in the first limit bytes of fd (0: all of it): a
 * filesystem, a RAID or LVM member, a crypto container or a partition
 * table, described into buf; NULL when none (swap is none of these).
 * Several signatures at once (libblkid's "ambivalent") count as foreign:
 * one of them is somebody's data.
 */
static const char *
dumpdev_blkid(int fd, uint64_t limit, char *buf, size_t n)
{
	blkid_probe pr = blkid_new_probe();
	const char *what = NULL;
	const char *type = NULL, *usage = NULL, *pttype = NULL;

	if (!pr)
		return NULL;
	if (blkid_probe_set_device(pr, fd, 0, (blkid_loff_t)limit) != 0)
		goto out;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
						      BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	int rc = blkid_do_safeprobe(pr);
	if (rc == -2) {
		/* Name them all: each call of blkid_do_probe finds the next. */
		size_t at = (size_t)snprintf(buf, n, "several signatures (");
		blkid_reset_probe(pr);
		while (at < n && blkid_do_probe(pr) == 0) {
			if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) &&
			    blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL))
				continue;
			at += (size_t)snprintf(buf + at, n - at, "%s%s",
					       buf[at - 1] == '(' ? "" : ", ",
					       type);
		}
		if (at < n)
			snprintf(buf + at, n - at, ", by libblkid)");
		what = buf;
		goto out;
	}
	if (rc != 0)
		goto out;
	blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
	blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
	blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL);
	if (pttype) {
		snprintf(buf, n, "a %s partition table (by libblkid)",
			 !strcmp(pttype, "dos")	  ? "MBR"
			 : !strcmp(pttype, "gpt") ? "GPT"
						  : pttype);
		what = buf;
	} else if (usage && type &&
		   (!strcmp(usage, "filesystem") || !strcmp(usage, "raid") ||
		    !strcmp(usage, "crypto"))) {
		bool vowel = strchr("aeiouAEIOU", type[0]) != NULL;
		snprintf(buf, n, "%s %s %s (by libblkid)", vowel ? "an" : "a",
			 type,
			 !strcmp(usage, "filesystem") ? "filesystem"
			 : !strcmp(usage, "raid")     ? "RAID or LVM member"
						      : "encrypted volume");
		what = buf;
	}
out:
	blkid_free_probe(pr);
	return what;
}

static bool
dumpdev_swap(const uint8_t *b, size_t n)
{
	return kvm_swap_page_size(b, n, NULL) != 0;
}

static int
dumpdev_check_label(struct dumpdev *d, int flags)
{
	kvm_t *kd = d->pub.kd;
	int64_t nblk = d->pub.ptrblk + 1;
	int err;

	if (nblk > DUMPDEV_PROBE_BLKS)
		nblk = DUMPDEV_PROBE_BLKS;
	size_t n = (size_t)nblk * KVM_DUMP_BLKSIZE;
	uint8_t *b = malloc(n);
	if (!b)
		return kvm_error(kd, KVM_ENOMEM,
				 "dump device %s: out of memory", d->name);
	err = rand_io(d, 0, b, CRASH_DOIO_RD, (int)nblk);
	if (err) {
		free(b);
		return kvm_error_ctx(kd, "dump device %s: reading its label",
				     d->name);
	}
	/* A dump of ours, valid or already saved (kvmdump_disk.h). */
	bool ours = has(b, n, KVMDUMP_DEVICE_OFFSET, KVMDUMP_MAGIC, 8) ||
		    has(b, n, KVMDUMP_DEVICE_OFFSET, KVMDUMP_MAGIC_INVAL, 8);
	/*
	 * libblkid decides; where our label is, only what lies before it
	 * (the rest is our dump, memory that may hold anything).  A bare
	 * signature that libblkid does not confirm (a damaged filesystem)
	 * is still somebody's data: the list of our own is looked at too.
	 */
	char bw[128];
	const char *what = dumpdev_blkid(d->pub.fd,
					 ours ? KVMDUMP_DEVICE_OFFSET : 0, bw,
					 sizeof(bw));
	if (!what)
		what = dumpdev_foreign(b, n, !ours);
	bool swap = dumpdev_swap(b, n);
	free(b);

	/* Never over a filesystem: not even when forced. */
	if (what)
		return kvm_error(
			kd, KVM_EINVAL,
			"dump device %s holds %s: a dump would destroy it (not even forced)",
			d->name, what);
	if (ours || swap || (flags & KVM_DUMP_FORCE))
		return 0;
	return kvm_error(
		kd, KVM_EINVAL,
		"dump device %s has neither a Linux swap signature nor a dump label: not used unless forced",
		d->name);
}

/* ---------------------------------------------------------------- open */

/* Undo the octal escapes of /proc/self/mounts and /proc/swaps. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static bool
same_file(const char *path, const struct stat *st)
{
	struct stat s;

	if (stat(path, &s) < 0 ||
	    (s.st_mode & S_IFMT) != (st->st_mode & S_IFMT))
		return false;
	if (S_ISBLK(st->st_mode))
		return s.st_rdev == st->st_rdev;
	return s.st_dev == st->st_dev && s.st_ino == st->st_ino;
}

/*
 * Whether the first field of a line of table (/proc/self/mounts or
 * /proc/swaps) names the file of st.  with_where: copy that line's
 * second field (a mount point) to where.
 */
static bool
listed_in(const char *table, bool skip_header, bool with_where,
	  const struct stat *st, char *where, size_t where_len)
{
	FILE *f = fopen(table, "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false; /* no /proc: O_EXCL still guards devices */
	for (bool first = true; !found && getline(&line, &cap, f) >= 0;
	     first = false) {
		if (first && skip_header)
			continue;
		char *save, *name = strtok_r(line, " \t\n", &save);
		char *other = strtok_r(NULL, " \t\n", &save);

		if (!name || name[0] != '/')
			continue;
		unescape(name);
		if (!same_file(name, st))
			continue;
		found = true;
		if (with_where && other) {
			unescape(other);
			snprintf(where, where_len, "%s", other);
		}
	}
	free(line);
	fclose(f);
	return found;
}

/* From userland, a device the kernel uses must not be dumped to. */
static int
check_busy(kvm_t *kd, const char *name, const struct stat *st)
{
	char where[256] = "";

	if (S_ISBLK(st->st_mode) && listed_in("/proc/self/mounts", false, true,
					      st, where, sizeof(where)))
		return kvm_error(kd, KVM_EINVAL,
				 "dump device %s is mounted on %s", name,
				 where);
	if (listed_in("/proc/swaps", true, false, st, where, sizeof(where)))
		return kvm_error(
			kd, KVM_EINVAL,
			"dump device %s is an active swap area (swapoff it first)",
			name);
	return 0;
}

static int
dumpdev_check_busy(struct dumpdev *d, const struct stat *st)
{
	return check_busy(d->pub.kd, d->name, st);
}

static int
dumpdev_open_rand(struct dumpdev *d, const struct stat *st, int flags)
{
	kvm_t *kd = d->pub.kd;
	const char *path = d->pub.path;
	bool blk = S_ISBLK(st->st_mode);
	/* A block device held by a mount, swap, dm or md refuses O_EXCL. */
	int oflags = O_CLOEXEC | (blk ? O_EXCL : 0);
	int err;

	d->pub.fd = open(path, O_RDWR | oflags);
	if (d->pub.fd < 0 &&
	    (errno == EROFS || errno == EACCES || errno == EPERM)) {
		/* Still good for reading a dump back. */
		d->pub.fd = open(path, O_RDONLY | oflags);
		d->rdonly = true;
	}
	if (d->pub.fd < 0 && errno == EBUSY)
		return kvm_error(
			kd, KVM_EINVAL,
			"dump device %s is in use (mounted, swap, or held by device-mapper or md)",
			d->name);
	if (d->pub.fd < 0)
		return kvm_error_sys(kd, "dump device %s", d->name);
	d->own_fd = true;

	struct stat fst;
	if (fstat(d->pub.fd, &fst) < 0)
		return kvm_error_sys(kd, "dump device %s", d->name);
	if ((fst.st_mode & S_IFMT) != (st->st_mode & S_IFMT))
		return kvm_error(kd, KVM_EINVAL,
				 "dump device %s changed while being opened",
				 d->name);
	/* What was opened is checked, not what the name meant before. */
	if ((err = dumpdev_check_busy(d, &fst)))
		return err;
	d->align = KVM_DUMP_BLKSIZE;
	if (blk) {
		int ssz;

		if (ioctl(d->pub.fd, BLKGETSIZE64, &d->size) < 0 ||
		    ioctl(d->pub.fd, BLKSSZGET, &ssz) < 0)
			return kvm_error_sys(kd, "dump device %s: its size",
					     d->name);
		if (ssz < KVM_DUMP_BLKSIZE || ssz > 65536 || (ssz & (ssz - 1)))
			return kvm_error(kd, KVM_ENOTSUP,
					 "dump device %s: logical block size %d",
					 d->name, ssz);
		d->align = (uint32_t)ssz;
		d->kind = DEV_BLOCK;
	} else {
		d->size = (uint64_t)fst.st_size;
		d->kind = DEV_FILE;
	}

	int64_t nblk = (int64_t)(d->size / KVM_DUMP_BLKSIZE);
	if (nblk < DUMPDEV_STARTBLK + DUMPDEV_MINBLKS + 1)
		return kvm_error(
			kd, KVM_EINVAL,
			"dump device %s: %" PRIu64
			" bytes is too small for a dump (at least %d: the dump starts 64 KiB in)",
			d->name, d->size,
			(DUMPDEV_STARTBLK + DUMPDEV_MINBLKS + 1) *
				KVM_DUMP_BLKSIZE);
	d->pub.seqflag = CRASH_RAND_DEVICE;
	d->pub.startblk = DUMPDEV_STARTBLK;
	d->pub.ptrblk = nblk - 1;
	d->pub.blkcnt = d->pub.ptrblk - d->pub.startblk;
	d->pub.chunksize = DUMPDEV_CHUNK;

	size_t balign = d->align > 4096 ? d->align : 4096;
	size_t blen = (size_t)DUMPDEV_CHUNK * KVM_DUMP_BLKSIZE + 2 * d->align;
	void *b;
	if (posix_memalign(&b, balign, blen))
		return kvm_error(kd, KVM_ENOMEM,
				 "dump device %s: out of memory", d->name);
	d->bounce = b;
	return dumpdev_check_label(d, flags);
}

/* The kind of a sequential device, from its open fd. */
static int
dumpdev_seq_kind(struct dumpdev *d, const struct stat *st)
{
	kvm_t *kd = d->pub.kd;

	if (S_ISFIFO(st->st_mode))
		d->kind = DEV_PIPE;
	else if (S_ISSOCK(st->st_mode))
		d->kind = DEV_SOCKET;
	else if (S_ISREG(st->st_mode))
		d->kind = DEV_FILE;
	else if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3))
		d->kind = DEV_NULL; /* devices.txt: char 1:3 is null */
	else if (S_ISCHR(st->st_mode) && major(st->st_rdev) == SCSI_TAPE_MAJOR)
		d->kind = DEV_TAPE;
	else if (S_ISCHR(st->st_mode) && isatty(d->pub.fd))
		return kvm_error(kd, KVM_EINVAL, "dump device %s is a terminal",
				 d->name);
	else if (S_ISCHR(st->st_mode))
		d->kind = DEV_CHAR;
	else
		return kvm_error(
			kd, KVM_EINVAL,
			"dump device %s: not a file, pipe, socket or character device",
			d->name);
	d->pub.seqflag = CRASH_SEQ_DEVICE;
	d->pub.startblk = 0;
	d->pub.ptrblk = 0;
	d->pub.blkcnt = -1;
	d->pub.chunksize = d->kind == DEV_TAPE ? DUMPDEV_TAPE_CHUNK
					       : DUMPDEV_CHUNK;
	return 0;
}

static int
dumpdev_open_stdout(struct dumpdev *d)
{
	struct stat st;

	d->name = "standard output";
	d->pub.fd = STDOUT_FILENO;
	if (fstat(STDOUT_FILENO, &st) < 0)
		return kvm_error_sys(d->pub.kd, "dump device %s", d->name);
	if (S_ISBLK(st.st_mode))
		return kvm_error(d->pub.kd, KVM_EINVAL,
				 "dump device %s is a block device: name it instead",
				 d->name);
	return dumpdev_seq_kind(d, &st);
}

static int
dumpdev_open_path(struct dumpdev *d, int flags)
{
	kvm_t *kd = d->pub.kd;
	const char *path = d->pub.path;
	struct stat st;

	d->name = path;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return kvm_error(
				kd, KVM_EINVAL,
				"dump device %s does not exist (a dump file is not created: make one of the size the dump may use)",
				path);
		return kvm_error_sys(kd, "dump device %s", path);
	}
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return dumpdev_open_rand(d, &st, flags);
	if (S_ISDIR(st.st_mode))
		return kvm_error(kd, KVM_EINVAL,
				 "dump device %s is a directory", path);
	if (S_ISSOCK(st.st_mode))
		return kvm_error(
			kd, KVM_EINVAL,
			"dump device %s is a socket, which cannot be opened by name: give it as standard output (\"-\")",
			path);
	/* A FIFO's open waits for its reader, as a shell's would. */
	d->pub.fd = open(path, O_WRONLY | O_CLOEXEC);
	if (d->pub.fd < 0)
		return kvm_error_sys(kd, "dump device %s", path);
	d->own_fd = true;
	if (fstat(d->pub.fd, &st) < 0)
		return kvm_error_sys(kd, "dump device %s", path);
	return dumpdev_seq_kind(d, &st);
}

int
kvm_dumpdev_open(kvm_t *kd, const char *path, int flags,
		 struct kvm_dumpdev **dev_ret)
{
	int err;

	*dev_ret = NULL;
	if (!path || !path[0])
		return kvm_error(kd, KVM_EINVAL, "dump device: no path");
	if (flags & ~KVM_DUMP_FORCE)
		return kvm_error(kd, KVM_EINVAL,
				 "dump device %s: bad flags %#x", path,
				 (unsigned)flags);
	struct dumpdev *d = calloc(1, sizeof(*d));
	if (!d)
		return kvm_error(kd, KVM_ENOMEM,
				 "dump device %s: out of memory", path);
	d->pub.kd = kd;
	d->pub.fd = -1;
	d->pub.priv = d;
	d->pub.dumpfunc = dumpdev_func;
	d->pub.path = strdup(path);
	if (!d->pub.path) {
		free(d);
		return kvm_error(kd, KVM_ENOMEM,
				 "dump device %s: out of memory", path);
	}
	if (!strcmp(path, "-"))
		err = dumpdev_open_stdout(d);
	else
		err = dumpdev_open_path(d, flags);
	d->pub.driver = dumpdev_driver[d->kind];
	if (err) {
		kvm_dumpdev_close(&d->pub);
		return err;
	}
	*dev_ret = &d->pub;
	return 0;
}

void
kvm_dumpdev_close(struct kvm_dumpdev *dev)
{
	if (!dev)
		return;
	struct dumpdev *d = dev->priv;

	if (d->own_fd && dev->fd >= 0)
		close(dev->fd);
	free(d->bounce);
	free(dev->path);
	free(d);
}

/* A dump file of a format we write or read, by its first bytes. */
static bool
dump_signature(const uint8_t *b, size_t n)
{
	/* An ELF core (e_type ET_CORE, either byte order). */
	if (has(b, n, 0, "\177ELF", 4) && n >= 18 &&
	    ((b[5] == 1 && b[16] == 4 && b[17] == 0) ||
	     (b[5] == 2 && b[16] == 0 && b[17] == 4)))
		return true;
	return has(b, n, 0, "KDUMP   ", 8) || has(b, n, 0, "DISKDUMP", 8) ||
	       has(b, n, 0, "makedumpfile", 12) ||
	       has(b, n, 0, KVMDUMP_MAGIC, 8) ||
	       has(b, n, KVMDUMP_DEVICE_OFFSET, KVMDUMP_MAGIC, 8) ||
	       has(b, n, KVMDUMP_DEVICE_OFFSET, KVMDUMP_MAGIC_INVAL, 8);
}

int
kvm_dumpdev_open_file(kvm_t *kd, const char *path, int flags, int *fd_ret,
		      bool *created_ret)
{
	struct stat st, fst;
	char bw[128];
	int err;

	*fd_ret = -1;
	*created_ret = false;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return kvm_error_sys(kd, "%s", path);
		/* New: ours alone, never through a file made meanwhile. */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);
		if (fd < 0)
			return kvm_error_sys(kd, "%s", path);
		*fd_ret = fd;
		*created_ret = true;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return kvm_error(kd, KVM_EINVAL, "%s is a directory", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		/* A pipe, a tape, /dev/null: written as a stream. */
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return kvm_error_sys(kd, "%s", path);
		*fd_ret = fd;
		return 0;
	}
	int fd = open(path,
		      O_RDWR | O_CLOEXEC | (S_ISBLK(st.st_mode) ? O_EXCL : 0));
	if (fd < 0 && errno == EBUSY)
		return kvm_error(
			kd, KVM_EINVAL,
			"%s is in use (mounted, swap, or held by device-mapper or md)",
			path);
	if (fd < 0)
		return kvm_error_sys(kd, "%s", path);
	if (fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev ||
	    fst.st_ino != st.st_ino) {
		close(fd);
		return kvm_error(kd, KVM_EINVAL,
				 "%s changed while being opened", path);
	}
	/* What was opened is checked, not what the name meant before. */
	if ((err = check_busy(kd, path, &fst))) {
		close(fd);
		return err;
	}
	size_t n = (size_t)DUMPDEV_PROBE_BLKS * KVM_DUMP_BLKSIZE;
	uint8_t *b = calloc(1, n);
	if (!b) {
		close(fd);
		return kvm_error(kd, KVM_ENOMEM, "%s: out of memory", path);
	}
	ssize_t got = pread(fd, b, n, 0);
	size_t have = got > 0 ? (size_t)got : 0;
	bool dump = dump_signature(b, have);
	bool swap = dumpdev_swap(b, have);
	/* A dump of ours holds memory, which may hold anything: not probed. */
	const char *what = dump ? NULL : dumpdev_blkid(fd, 0, bw, sizeof(bw));
	if (!what && !dump)
		what = dumpdev_foreign(b, have, true);
	free(b);
	if (what) {
		close(fd);
		return kvm_error(
			kd, KVM_EINVAL,
			"%s holds %s: a dump would destroy it (not even forced)",
			path, what);
	}
	bool empty = S_ISREG(st.st_mode) && st.st_size == 0;
	if (!dump && !swap && !empty && !(flags & KVM_DUMP_FORCE)) {
		close(fd);
		return kvm_error(
			kd, KVM_EINVAL,
			"%s exists and holds neither a dump nor a swap area: not written over unless forced",
			path);
	}
	if (S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) {
		err = kvm_error_sys(kd, "%s", path);
		close(fd);
		return err;
	}
	*fd_ret = fd;
	return 0;
}
