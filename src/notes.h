/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ELF notes as dumps carry them (ELF PT_NOTE, the kdump sub-header's note
 * area): VMCOREINFO, NT_PRSTATUS per CPU and QEMU's CPU state.
 */
#ifndef KVM_NOTES_H
#define KVM_NOTES_H

#include <stddef.h>
#include <stdint.h>

#include "kvm_private.h"

/*
 * Walk len bytes of notes in the target's byte order (kd->big_endian) and
 * record what they hold in kd.  kd->e_machine must be set (QEMU's note is
 * per architecture).  A note that runs past the buffer ends the walk with
 * -KVM_ECORRUPT.  *nqemu counts QEMU notes across calls (dumps split notes
 * over several PT_NOTEs); pass the same counter each time.
 */
int kvm_notes_parse(kvm_t *kd, const uint8_t *buf, size_t len, size_t *nqemu);

#endif
