// SPDX-License-Identifier: BSD-2-Clause
/*
 * LiME memory images ("lime" output format of the LiME kernel module,
 * header version 1; lime_disk.h): physical ranges, each behind a header,
 * read through the physical memmap.  LiME records no architecture.
 */
#include <elf.h>
#include <string.h>

#include "format.h"
#include "lime_disk.h"

struct lime_priv {
	struct kvm_memmap mem;
};

static int
lime_probe(kvm_t *kd, const uint8_t *head, size_t headlen)
{
	uint32_t magic;

	(void)kd;
	if (headlen < sizeof(struct lime_disk_header))
		return -KVM_ENOPROBE;
	memcpy(&magic, head, sizeof(magic));
	if (le32toh(magic) != LIME_MAGIC)
		return -KVM_ENOPROBE;
	return 0;
}

static int
lime_open(kvm_t *kd)
{
	struct lime_priv *p = calloc(1, sizeof(*p));
	uint64_t off = 0;
	int err;

	if (!p)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	kd->fmt_priv = p;
	/*
	 * LiME has no architecture field.  It is mostly used on x86_64, so
	 * that is what we assume; a later change may tell aarch64 (and
	 * others) from the memory's contents.
	 */
	kd->e_machine = EM_X86_64;
	kd->ptr_size = 8;
	kd->big_endian = false;

	/* Each range takes at least its 32-byte header: the walk ends. */
	while (kd->core.size - off >= sizeof(struct lime_disk_header)) {
		struct lime_disk_header h;
		err = kvm_file_read(kd, &kd->core, off, &h, sizeof(h));
		if (err)
			return kvm_error_ctx(kd, "LiME: range header");
		uint64_t s = le64toh(h.s_addr), e = le64toh(h.e_addr);
		if (le32toh(h.magic) != LIME_MAGIC)
			return kvm_error(kd, KVM_ECORRUPT,
					 "LiME: no range header at offset "
					 "0x%llx (magic 0x%08x)",
					 (unsigned long long)off,
					 le32toh(h.magic));
		if (le32toh(h.version) != LIME_VERSION)
			return kvm_error(kd, KVM_ENOTSUP,
					 "LiME: header version %u at offset "
					 "0x%llx (we read %d)",
					 le32toh(h.version),
					 (unsigned long long)off, LIME_VERSION);
		/* e_addr is inclusive: [0, 2^64 - 1] would not fit a size. */
		if (e < s || e - s == UINT64_MAX)
			return kvm_error(kd, KVM_ECORRUPT,
					 "LiME: range 0x%llx-0x%llx at offset "
					 "0x%llx is not valid",
					 (unsigned long long)s,
					 (unsigned long long)e,
					 (unsigned long long)off);
		uint64_t len = e - s + 1;
		off += sizeof(h);
		/*
		 * A range that runs past the end of the file stays: its
		 * missing bytes read as "truncated", which is the truth.
		 */
		err = kvm_memmap_add(kd, &p->mem, s, len, off, len);
		if (err)
			return kvm_error_ctx(kd, "LiME: range at offset 0x%llx",
					     (unsigned long long)off -
						     sizeof(h));
		if (len > kd->core.size - off)
			break;
		off += len;
	}
	if (p->mem.nsegs == 0)
		return kvm_error(kd, KVM_ECORRUPT, "LiME: no memory ranges");
	err = kvm_memmap_finish(kd, &p->mem);
	if (!err)
		err = kvm_set_phys_ranges(kd, &p->mem);
	if (!err)
		kvm_expect_end(kd, kvm_memmap_file_end(&p->mem));
	return err;
}

const struct kvm_format_ops kvm_format_lime = {
	.name = "lime",
	.probe = lime_probe,
	.open = lime_open,
	.read_phys = kvm_memmap_fmt_read,
	.phys_ptr = kvm_memmap_fmt_ptr,
	.held = kvm_memmap_fmt_held,
	.write_phys = kvm_memmap_fmt_write,
	.close = kvm_memmap_fmt_close,
};
