/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Dump sinks (struct kvm_dump_sink, dump.h): where a writer's bytes go.
 * A file descriptor (write, and pwrite when the file can seek), and
 * makedumpfile's flattened stream (makedumpfile.h, "makedumpfile" header
 * then (offset, size, data) records), which turns the pwrite of a writer
 * into records on a descriptor that cannot seek: a pipe, socket or tty.
 */
#ifndef KVM_DUMP_SINK_H
#define KVM_DUMP_SINK_H

#include "dump.h"

/*
 * A sink writing to fd (not closed by the sink).  A regular file or block
 * device gets write (at its current offset, onwards) and pwrite; anything
 * else write only (s->pwrite NULL).  EINTR and short writes are retried;
 * a full device (ENOSPC, EFBIG) is reported with the offset.
 */
int kvm_dump_sink_fd(kvm_t *kd, struct kvm_dump_sink *s, int fd);

/*
 * A sink whose write and pwrite become flattened records on inner (which
 * needs only write).  Writes the 4096-byte flattened header at once.
 * inner must outlive s.
 */
int kvm_dump_sink_flattened(kvm_t *kd, struct kvm_dump_sink *s,
			    struct kvm_dump_sink *inner);

/*
 * End of the output: a flattened sink writes its end record.  Nothing for
 * an fd sink.  0 or an error.
 */
int kvm_dump_sink_finish(struct kvm_dump_sink *s);

/* Free what the sink holds; it may not be used after.  NULL arg: no-op. */
void kvm_dump_sink_close(struct kvm_dump_sink *s);

/* Bytes handed to the sink so far (its logical size for flattened). */
uint64_t kvm_dump_sink_bytes(const struct kvm_dump_sink *s);

/*
 * The ELF notes both writers carry (write_elf.c), in the target's byte
 * order, as /proc/vmcore has them: NT_PRSTATUS ("CORE") per CPU, on
 * x86_64 a QEMU CPU-state note per CPU when the source gave control
 * registers, and the VMCOREINFO note.  *buf_ret is malloc'd; *vmci_off_ret
 * is the offset of the VMCOREINFO text in it (0 with no VMCOREINFO), so
 * that the kdump sub-header can point there instead of copying it.
 */
int kvm_dump_notes_build(kvm_t *kd, uint8_t **buf_ret, size_t *len_ret,
			 size_t *vmci_off_ret, size_t *vmci_len_ret);

#endif /* KVM_DUMP_SINK_H */
