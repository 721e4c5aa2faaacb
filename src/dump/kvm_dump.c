// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm_dump(3): what savecore needs of a dump device.  kvm_dump_mkheader
 * finds the dump a kernel's dump routine (kvm_dump_write) left on the
 * device, kvm_dump_wrtheader/kvm_dump_header write the kcore file header
 * that goes before the copied dump data, kvm_dump_inval marks the dump
 * saved.  The layouts are src/kvmdump_disk.h's; the seeds' kvm.c is the
 * model of the calls' contract (mkheader: refuse the live kernel and a
 * second header; then enable translation).
 */
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kvmdump_disk.h"
#include "dump.h"

static int
refuse_live(kvm_t *kd, const char *what)
{
	if (kd->live || kd->flags == KVM_NO_FILES)
		return kvm_error(kd, KVM_EINVAL,
				 "%s: cannot be used on the live kernel", what);
	return 0;
}

int
kvm_dump_cpu_segment(kvm_t *kd, const struct kvm_dumpinfo *di,
		     uint8_t **buf_ret, size_t *len_ret)
{
	size_t vl = kd->vmcoreinfo_text ? strlen(kd->vmcoreinfo_text) : 0;
	size_t body = sizeof(struct kvmdump_disk_cpu) +
		      kd->nranges * sizeof(struct kvmdump_disk_range) +
		      kd->ncpus * sizeof(struct kvmdump_disk_cpustate) + vl;
	size_t len = sizeof(struct kcore_disk_seg) + ((body + 7) & ~(size_t)7);
	uint8_t *buf = calloc(1, len);

	if (!buf)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	struct kcore_disk_seg seg = {
		.c_midmag = htobe32(KCORE_MIDMAG(kd->e_machine, KCORESEG_CPU)),
		.c_size = htole32((uint32_t)body),
	};
	memcpy(buf, &seg, sizeof(seg));
	struct kvmdump_disk_cpu c = {
		.e_machine = htole16(kd->e_machine),
		.big_endian = kd->big_endian,
		.ptr_size = (uint8_t)kd->ptr_size,
		.page_size = htole32(kd->page_size),
		.pgtable_root = htole64(kd->xlat.ready ? kd->xlat.root : 0),
		.pgtable_levels =
			(int32_t)htole32(kd->xlat.ready ? kd->xlat.levels : 0),
		.kaslr_known = htole32(kd->kaslr_known),
		.kaslr_offset = (int64_t)htole64((uint64_t)kd->kaslr_offset),
		.nranges = htole32((uint32_t)kd->nranges),
		.ncpus = htole32((uint32_t)kd->ncpus),
		.vmcoreinfo_len = htole32((uint32_t)vl),
		.flags = htole32(di->flags),
		.data_size = htole64(di->data_size),
		.index_offset = htole64(di->index_offset),
		.index_count = htole64(di->index_count),
		.level = htole32(di->level),
		.compress = htole32(di->compress),
		.crash_time = htole64(di->crash_time),
	};
	uint8_t *p = buf + sizeof(seg);
	memcpy(p, &c, sizeof(c));
	p += sizeof(c);
	for (size_t i = 0; i < kd->nranges; i++, p += 16) {
		struct kvmdump_disk_range r = { htole64(kd->ranges[i].start),
						htole64(kd->ranges[i].end) };
		memcpy(p, &r, sizeof(r));
	}
	for (size_t i = 0; i < kd->ncpus; i++, p += 48) {
		const struct kvm_cpu_state *cs = &kd->cpus[i];
		struct kvmdump_disk_cpustate d = {
			.flags = htole32((cs->have_regs ? 1u : 0) |
					 (cs->have_cr ? 2u : 0)),
			.pc = htole64(cs->pc),
			.sp = htole64(cs->sp),
			.cr0 = htole64(cs->cr0),
			.cr3 = htole64(cs->cr3),
			.cr4 = htole64(cs->cr4),
		};
		memcpy(p, &d, sizeof(d));
	}
	if (vl)
		memcpy(p, kd->vmcoreinfo_text, vl);
	*buf_ret = buf;
	*len_ret = len;
	return 0;
}

KVM_EXPORT int
kvm_dump_mkheader(kvm_t *kd, off_t dump_off)
{
	int err;

	KVM_CHECK_KD(kd, -1);
	if ((err = refuse_live(kd, "kvm_dump_mkheader")))
		goto fail;
	if (kd->dump.have_header) {
		kvm_error(kd, KVM_EINVAL,
			  "kvm_dump_mkheader: %s already has a "
			  "dump header",
			  kd->corepath);
		goto fail;
	}
	if (!kd->format || !kd->format->mkheader || !kd->dump.device) {
		kvm_error(kd, KVM_EINVAL,
			  "kvm_dump_mkheader: %s is not a dump device (no swap "
			  "signature, no dump of ours)",
			  kd->corepath);
		goto fail;
	}
	if (dump_off < 0) {
		kvm_error(kd, KVM_EINVAL, "kvm_dump_mkheader: offset %lld",
			  (long long)dump_off);
		goto fail;
	}
	err = kd->format->mkheader(kd, (uint64_t)dump_off);
	if (err == -KVM_ENOENT) {
		/* No valid dump there: savecore's "no dump" answer. */
		kvm_error(kd, KVM_ENOENT, "no dump at offset %lld of %s",
			  (long long)dump_off, kd->corepath);
		return 0;
	}
	if (err)
		goto fail;
	/* Now that the dump is known, enable translation (seeds' kvm.c). */
	if ((err = kvm_setup_arch(kd)))
		goto fail;
	return (int)KVM_MIN(kd->dump.hdr_size, (uint64_t)INT32_MAX);
fail:
	kvm_report(kd);
	return -1;
}

/* Write the kcore file header through write_buf; never seeks. */
static int
write_header(kvm_t *kd, kvm_write_buf_fn *write_buf, void *cookie, int dumpsize,
	     const char *what)
{
	int err;

	if ((err = refuse_live(kd, what)))
		return err;
	if (!kd->dump.have_header)
		return kvm_error(kd, KVM_EINVAL,
				 "%s: no valid dump header (kvm_dump_mkheader "
				 "first)",
				 what);
	struct kvm_dumpinfo di = kd->dump;
	if (dumpsize > 0)
		di.data_size = (uint64_t)dumpsize;
	uint8_t *cpu;
	size_t cpulen;
	if ((err = kvm_dump_cpu_segment(kd, &di, &cpu, &cpulen)))
		return err;
	struct kcore_disk_hdr h = {
		.c_midmag = htobe32(KCORE_MIDMAG(kd->e_machine, 0)),
		.c_hdrsize = htole16(sizeof(h)),
		.c_seghdrsize = htole16(sizeof(struct kcore_disk_seg)),
		.c_nseg = htole32(2),
	};
	/* c_size is 32 bits: larger dumps say so and the CPU data tells. */
	struct kcore_disk_seg data = {
		.c_midmag = htobe32(KCORE_MIDMAG(kd->e_machine, KCORESEG_DATA)),
		.c_size = htole32(di.data_size > UINT32_MAX
					  ? UINT32_MAX
					  : (uint32_t)di.data_size),
	};
	const void *parts[3] = { &h, cpu, &data };
	size_t lens[3] = { sizeof(h), cpulen, sizeof(data) };
	for (int i = 0; i < 3 && !err; i++)
		if (write_buf(cookie, parts[i], lens[i]) != (ssize_t)lens[i])
			err = kvm_error_sys(kd, "%s: writing the header", what);
	free(cpu);
	return err;
}

KVM_EXPORT int
kvm_dump_header(kvm_t *kd, kvm_write_buf_fn *write_buf, void *cookie,
		int dumpsize)
{
	KVM_CHECK_KD(kd, -1);
	if (!write_buf) {
		kvm_error(kd, KVM_EINVAL, "kvm_dump_header: no write function");
		kvm_report(kd);
		return -1;
	}
	if (write_header(kd, write_buf, cookie, dumpsize, "kvm_dump_header")) {
		kvm_report(kd);
		return -1;
	}
	return 0;
}

static ssize_t
write_stdio(void *cookie, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, cookie) == len ? (ssize_t)len : -1;
}

KVM_EXPORT int
kvm_dump_wrtheader(kvm_t *kd, FILE *fp, int dumpsize)
{
	KVM_CHECK_KD(kd, -1);
	if (!fp) {
		kvm_error(kd, KVM_EINVAL, "kvm_dump_wrtheader: no file");
		kvm_report(kd);
		return -1;
	}
	if (write_header(kd, write_stdio, fp, dumpsize, "kvm_dump_wrtheader")) {
		kvm_report(kd);
		return -1;
	}
	return 0;
}

/*
 * Overwrite the 8-byte magic at off with the invalidated one, through a
 * buffer aligned to (and as large as) a 4 KiB block: raw devices take
 * only whole aligned blocks.
 */
static int
inval_at(kvm_t *kd, uint64_t off)
{
	const size_t bs = 4096;
	uint64_t base = off & ~(uint64_t)(bs - 1);
	void *buf;
	int err = 0;

	if (posix_memalign(&buf, bs, bs) != 0)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	size_t n = (size_t)KVM_MIN((uint64_t)bs, kd->core.size - base);
	if (pread(kd->core.fd, buf, n, (off_t)base) != (ssize_t)n) {
		err = kvm_error_sys(kd, "kvm_dump_inval: reading %s at 0x%llx",
				    kd->corepath, (unsigned long long)base);
	} else if (memcmp((uint8_t *)buf + (off - base), KVMDUMP_MAGIC, 8) ==
		   0) {
		memcpy((uint8_t *)buf + (off - base), KVMDUMP_MAGIC_INVAL, 8);
		if (pwrite(kd->core.fd, buf, n, (off_t)base) != (ssize_t)n ||
		    fsync(kd->core.fd) != 0)
			err = kvm_error_sys(kd,
					    "kvm_dump_inval: writing %s at "
					    "0x%llx",
					    kd->corepath,
					    (unsigned long long)base);
	}
	free(buf);
	return err;
}

KVM_EXPORT int
kvm_dump_inval(kvm_t *kd)
{
	int err;

	KVM_CHECK_KD(kd, -1);
	if ((err = refuse_live(kd, "kvm_dump_inval")))
		goto fail;
	if (!kd->dump.have_header || !kd->dump.device) {
		kvm_error(kd, KVM_EINVAL,
			  "kvm_dump_inval: no dump header on a "
			  "dump device (kvm_dump_mkheader first)");
		goto fail;
	}
	if (!kd->core.writable) {
		kvm_error(kd, KVM_EINVAL,
			  "kvm_dump_inval: %s was opened "
			  "read-only",
			  kd->corepath);
		goto fail;
	}
	/*
	 * The first header is what kvm_dump_mkheader reads: once it is
	 * marked, the dump is never saved again, whatever happens next.
	 */
	if ((err = inval_at(kd, kd->dump.dump_off)))
		goto fail;
	uint64_t last = (kd->core.size / KVMDUMP_HDR_SIZE - 1) *
			KVMDUMP_HDR_SIZE;
	if (last > kd->dump.dump_off && (err = inval_at(kd, last)))
		goto fail;
	kd->dump.have_header = false;
	return 0;
fail:
	kvm_report(kd);
	return -1;
}
