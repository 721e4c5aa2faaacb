/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ELF notes as dumps carry them (ELF PT_NOTE, the kdump sub-header's note
 * area): VMCOREINFO, NT_PRSTATUS per CPU and QEMU's CPU state.
 */
#ifndef KVM_NOTES_H
#define KVM_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm_private.h"

/* One note: its name without the NUL, and its descriptor. */
struct kvm_note {
	uint32_t type;
	const char *name;
	size_t namelen;
	const uint8_t *desc;
	uint32_t descsz;
};

/*
 * The note at *off of len bytes in the target's byte order: 1 with *n
 * filled and *off moved past it; 0 at the end (or at zero padding);
 * -KVM_ECORRUPT when its name or descriptor runs past len.
 */
int kvm_note_next(kvm_t *kd, const uint8_t *buf, size_t len, size_t *off,
		  struct kvm_note *n);
/* n's name is name. */
bool kvm_note_is(const struct kvm_note *n, const char *name);

/*
 * Walk len bytes of notes in the target's byte order (kd->big_endian) and
 * record what they hold in kd.  kd->e_machine must be set (QEMU's note is
 * per architecture).  A note that runs past the buffer ends the walk with
 * -KVM_ECORRUPT.  *nqemu counts QEMU notes across calls (dumps split notes
 * over several PT_NOTEs); pass the same counter each time.
 */
int kvm_notes_parse(kvm_t *kd, const uint8_t *buf, size_t len, size_t *nqemu);

#endif
