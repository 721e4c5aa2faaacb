// SPDX-License-Identifier: BSD-2-Clause
/*
 * ELF note walking shared by the formats that carry notes (ELF vmcore and
 * kdump-compressed, whose sub-header holds the same notes).  Each note is
 * a 12-byte header (namesz, descsz, type), the name and the descriptor,
 * each padded to 4 bytes (the ELF gABI; Linux uses 4 on 64-bit too).
 */
#include <elf.h>
#include <string.h>

#include "notes.h"

/*
 * QEMU's x86 CPU-state note ("QEMU", type 0), QEMUCPUState in QEMU's
 * target/i386/arch_dump.c (version 1 since QEMU 1.7): u32 version, u32 size,
 * 16 GPRs, rip, rflags (8 bytes each), 10 segment records of 24 bytes, then
 * cr[0..4].  Later QEMUs append fields and grow "size".
 */
#define QEMU_CPUSTATE_CR0 392
#define QEMU_CPUSTATE_MIN (QEMU_CPUSTATE_CR0 + 5 * 8)

static void
qemu_note(kvm_t *kd, const uint8_t *desc, size_t len, size_t idx)
{
	uint64_t cr[5];
	uint32_t size;

	if (kd->e_machine != EM_X86_64 || len < QEMU_CPUSTATE_MIN)
		return;
	memcpy(&size, desc + 4, 4);
	size = kvm_tgt32(kd, size);
	if (size < QEMU_CPUSTATE_MIN || size > len)
		return;
	/* The QEMU notes follow the PRSTATUS ones, one per CPU, in order. */
	if (idx >= kd->ncpus)
		return;
	memcpy(cr, desc + QEMU_CPUSTATE_CR0, sizeof(cr));
	struct kvm_cpu_state *c = &kd->cpus[idx];
	c->have_cr = true;
	c->cr0 = kvm_tgt64(kd, cr[0]);
	c->cr3 = kvm_tgt64(kd, cr[3]);
	c->cr4 = kvm_tgt64(kd, cr[4]);
}

/* Keep what a stack unwind starts from: pr_pid and the registers. */
void
kvm_prstatus_parse(kvm_t *kd, struct kvm_cpu_state *c, const uint8_t *desc,
		   size_t len)
{
	uint32_t pid;

	/* elf_prstatus ends with pr_fpvalid and padding: 8 bytes. */
	if (len < KVM_PRSTATUS_REGS + 8)
		return;
	memcpy(&pid, desc + KVM_PRSTATUS_PID, 4);
	c->pr_pid = (int32_t)kvm_tgt32(kd, pid);
	size_t n = (len - KVM_PRSTATUS_REGS - 8) / 8;
	c->ngregs = (unsigned)KVM_MIN(n, (size_t)KVM_PRSTATUS_MAX_REGS);
	for (unsigned i = 0; i < c->ngregs; i++) {
		uint64_t v;
		memcpy(&v, desc + KVM_PRSTATUS_REGS + 8 * i, 8);
		c->gregs[i] = kvm_tgt64(kd, v);
	}
	c->have_prstatus = true;
}

static inline size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

int
kvm_note_next(kvm_t *kd, const uint8_t *buf, size_t len, size_t *offp,
	      struct kvm_note *n)
{
	size_t off = *offp;

	if (off > len || len - off < 12)
		return 0;
	uint32_t h[3];
	memcpy(h, buf + off, sizeof(h));
	uint32_t namesz = kvm_tgt32(kd, h[0]);
	uint32_t descsz = kvm_tgt32(kd, h[1]);
	uint32_t type = kvm_tgt32(kd, h[2]);
	size_t name_off = off + 12;
	if (namesz == 0 && descsz == 0 && type == 0)
		return 0; /* zero padding after the last note */
	if (pad4(namesz) > len - name_off)
		return kvm_error(kd, KVM_ECORRUPT,
				 "note at offset %zu: name of %u bytes runs "
				 "past the notes (%zu bytes)",
				 off, namesz, len);
	size_t desc_off = name_off + pad4(namesz);
	if (pad4(descsz) > len - desc_off && descsz > len - desc_off)
		return kvm_error(kd, KVM_ECORRUPT,
				 "note at offset %zu: descriptor of %u bytes "
				 "runs past the notes (%zu bytes)",
				 off, descsz, len);
	n->type = type;
	n->name = (const char *)buf + name_off;
	n->namelen = namesz;
	/* n_namesz counts the NUL; tolerate writers that omit it. */
	if (n->namelen > 0 && n->name[n->namelen - 1] == '\0')
		n->namelen--;
	n->desc = buf + desc_off;
	n->descsz = descsz;
	/* The last descriptor may lack its padding. */
	*offp = desc_off + KVM_MIN(pad4(descsz), len - desc_off);
	return 1;
}

bool
kvm_note_is(const struct kvm_note *n, const char *name)
{
	size_t l = strlen(name);

	return n->namelen == l && memcmp(n->name, name, l) == 0;
}

int
kvm_notes_parse(kvm_t *kd, const uint8_t *buf, size_t len, size_t *nqemu)
{
	struct kvm_note n;
	size_t off = 0;
	int r;

	/* Each note consumes at least 12 bytes: the walk ends. */
	while ((r = kvm_note_next(kd, buf, len, &off, &n)) > 0) {
		int err = 0;
		if (kvm_note_is(&n, "VMCOREINFO")) {
			err = kvm_set_vmcoreinfo(kd, (const char *)n.desc,
						 n.descsz);
		} else if (kvm_note_is(&n, "CORE") && n.type == NT_PRSTATUS) {
			struct kvm_cpu_state *c = kvm_cpu_add(kd);
			if (!c)
				err = -kd->errcode;
			else
				kvm_prstatus_parse(kd, c, n.desc, n.descsz);
		} else if (kvm_note_is(&n, "QEMU")) {
			qemu_note(kd, n.desc, n.descsz, (*nqemu)++);
		}
		if (err)
			return err;
	}
	return r;
}
