/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The printk log decoders behind kvm_log_load_dump() (printk.c), apart
 * from VMCOREINFO so that the unit test and the fuzz target can run them
 * over a buffer.  Two formats:
 *   - the lockless ring buffer of Linux 5.10 and later
 *     (kernel/printk/printk_ringbuffer.[ch]): descriptors, infos and a
 *     text data ring, found through SYMBOL(prb);
 *   - the variable-length records of Linux 3.5 to 5.9 (struct printk_log,
 *     "struct log" before 3.11) in log_buf.
 * A layout names where the kernel's variables are and the offsets the
 * kernel exported for its structs; the decoders check every one of them,
 * and everything they read, before use.
 */
#ifndef KVM_PRINTK_H
#define KVM_PRINTK_H

#include <stdint.h>

#include "proc.h"

/*
 * Reads target virtual memory: kvm_virt_read()'s contract (0, or an error
 * code with *done_ret the bytes read before it).
 */
typedef int kvm_printk_read_fn(void *arg, uint64_t va, void *buf, size_t len,
			       size_t *done_ret);

/*
 * Where the decoders read.  kd gives the target's byte order
 * (kd->big_endian), its word size (kd->ptr_size, 4 or 8: the size of the
 * kernel's unsigned long and pointers) and takes the errors.
 */
struct kvm_printk_src {
	kvm_t *kd;
	kvm_printk_read_fn *read;
	void *arg;
};

/* A layout field that is unknown (level, facility, caller_id). */
#define KVM_PRINTK_NONE UINT64_MAX

/*
 * Bounds on what the target may claim.  The kernel sizes the text ring
 * from CONFIG_LOG_BUF_SHIFT (at most 25) or log_buf_len=, and gives it
 * 2^(size_bits - 5) descriptors (PRB_AVGBITS, kernel/printk/printk.c since
 * 5.10); KVM_LOG_MAX_TEXT and KVM_LOG_MAX_RECORDS are the caps.  No struct
 * of the log is near a page.
 */
#define KVM_PRB_MAX_SIZE_BITS 28  /* 2^28 == KVM_LOG_MAX_TEXT */
#define KVM_PRB_MAX_COUNT_BITS 24 /* 2^24 == KVM_LOG_MAX_RECORDS */
#define KVM_PRINTK_MAX_STRUCT 4096u

/*
 * The 5.10+ ring: VMCOREINFO's SYMBOL(prb), SIZE() and OFFSET() entries
 * (log_buf_vmcoreinfo_setup() in kernel/printk/printk.c), named after
 * them; plus the two members VMCOREINFO does not export.
 */
struct kvm_prb_layout {
	uint64_t prb;		    /* address of the pointer variable prb */
	uint64_t rb_size;	    /* SIZE(printk_ringbuffer) */
	uint64_t rb_desc_ring;	    /* OFFSET(printk_ringbuffer.desc_ring) */
	uint64_t rb_text_data_ring; /* ...text_data_ring */
	uint64_t dr_count_bits;	    /* OFFSET(prb_desc_ring.count_bits) */
	uint64_t dr_descs, dr_infos, dr_head_id, dr_tail_id;
	uint64_t desc_size; /* SIZE(prb_desc) */
	uint64_t desc_state_var, desc_text_blk_lpos;
	uint64_t lpos_begin, lpos_next; /* OFFSET(prb_data_blk_lpos.*) */
	uint64_t info_size;		/* SIZE(printk_info) */
	uint64_t info_seq, info_ts_nsec, info_text_len, info_caller_id;
	uint64_t data_size_bits, data_data; /* OFFSET(prb_data_ring.*) */
	uint64_t atomic_counter;	    /* OFFSET(atomic_long_t.counter) */
	/*
	 * From BTF or the fixed layout (see printk.c); KVM_PRINTK_NONE
	 * when unknown.  info_level_bit is the bit offset of the 3-bit
	 * level bitfield in printk_info, counted as BTF counts it.
	 */
	uint64_t info_facility;
	uint64_t info_level_bit;
};

/*
 * The 3.5-5.9 buffer: SYMBOL(log_buf), SYMBOL(log_buf_len),
 * SYMBOL(log_first_idx), SYMBOL(log_next_idx), SIZE(printk_log) and
 * OFFSET(printk_log.ts_nsec/len/text_len) ("log" for 3.5-3.10).
 */
struct kvm_plog_layout {
	uint64_t log_buf;     /* address of the pointer variable log_buf */
	uint64_t log_buf_len; /* address of the u32 log_buf_len */
	uint64_t first_idx, next_idx; /* addresses of the u32 indexes */
	uint64_t hdr_size;	      /* SIZE(printk_log) */
	uint64_t ts_nsec, len, text_len;
	uint64_t facility, level_bit, caller_id; /* or KVM_PRINTK_NONE */
};

/*
 * Fill the layouts from kd's VMCOREINFO (and BTF for what VMCOREINFO
 * lacks).  0, or -KVM_ENOENT naming the first entry missing.
 */
int kvm_printk_prb_layout(kvm_t *kd, struct kvm_prb_layout *l);
int kvm_printk_plog_layout(kvm_t *kd, struct kvm_plog_layout *l);

/*
 * Decode the log into log (empty on entry), oldest record first.  0; or
 * an error, with the records read before it (or around what was lost)
 * left in log and a message that says what was lost.
 */
int kvm_printk_prb_read(const struct kvm_printk_src *s,
			const struct kvm_prb_layout *l, struct kvm_log *log);
int kvm_printk_plog_read(const struct kvm_printk_src *s,
			 const struct kvm_plog_layout *l, struct kvm_log *log);

#endif /* KVM_PRINTK_H */
