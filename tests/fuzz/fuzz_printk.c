// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for the printk log decoders (src/proc/printk.c): the 5.10+
 * lockless ring and the 3.5-5.9 printk_log buffer, over target memory the
 * input supplies.  Input:
 *   byte 0      bit 0: printk_log (else the ring); bit 1: big-endian;
 *               bit 2: 32-bit target
 *   byte 1      k: overrides of the layout that follow (at most 8 used)
 *   3k bytes    (field index, u16 little-endian value): hostile VMCOREINFO
 *   the rest    target memory at FUZZ_BASE; the pointer variable (prb or
 *               log_buf) is its first word
 * The default layouts are Linux 6.1's, scaled by the word size, as
 * tests/unit/test_printk.c builds them (its --write-seeds makes the seeds).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_private.h"
#include "proc/printk.h"

#define FUZZ_BASE 0x10000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_mem {
	kvm_t *kd;
	const uint8_t *buf;
	size_t size;
};

static int
fuzz_read(void *arg, uint64_t va, void *buf, size_t len, size_t *done_ret)
{
	struct fuzz_mem *m = arg;
	uint64_t off = va - FUZZ_BASE;
	size_t n = 0;

	if (va >= FUZZ_BASE && off < m->size) {
		n = (size_t)KVM_MIN((uint64_t)len, m->size - off);
		memcpy(buf, m->buf + off, n);
	}
	*done_ret = n;
	if (n < len)
		return kvm_error(m->kd, KVM_EFAULT, "fuzz: 0x%llx not mapped",
				 (unsigned long long)(va + n));
	return 0;
}

static void
must(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_printk: contract broken: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned flags = data[0], k = data[1];
	if (size < 2 + 3 * (size_t)k)
		return 0;
	kvm_t *kd = calloc(1, sizeof(*kd));
	if (!kd)
		return 0;
	unsigned psz = flags & 4 ? 4 : 8;
	kd->ptr_size = (int)psz;
	kd->big_endian = flags & 2;

	struct kvm_prb_layout pl = {
		.prb = FUZZ_BASE, .rb_size = 11 * psz,
		.rb_desc_ring = 0, .rb_text_data_ring = 6 * psz,
		.dr_count_bits = 0, .dr_descs = psz, .dr_infos = 2 * psz,
		.dr_head_id = 3 * psz, .dr_tail_id = 4 * psz,
		.desc_size = 3 * psz, .desc_state_var = 0,
		.desc_text_blk_lpos = psz, .lpos_begin = 0, .lpos_next = psz,
		.info_size = 88, .info_seq = 0, .info_ts_nsec = 8,
		.info_text_len = 16, .info_caller_id = 20,
		.data_size_bits = 0, .data_data = psz, .atomic_counter = 0,
		.info_facility = 18, .info_level_bit = 19 * 8 + 5,
	};
	struct kvm_plog_layout ol = {
		.log_buf = FUZZ_BASE, .log_buf_len = FUZZ_BASE + 8,
		.first_idx = FUZZ_BASE + 12, .next_idx = FUZZ_BASE + 16,
		.hdr_size = 16, .ts_nsec = 0, .len = 8, .text_len = 10,
		.facility = 14, .level_bit = 15 * 8 + 5,
		.caller_id = KVM_PRINTK_NONE,
	};
	/* Both layouts are all uint64_t: override them as arrays. */
	uint64_t *fields = flags & 1 ? (uint64_t *)&ol : (uint64_t *)&pl;
	size_t nfields = flags & 1 ? sizeof(ol) / 8 : sizeof(pl) / 8;
	for (unsigned i = 0; i < k && i < 8; i++) {
		const uint8_t *o = data + 2 + 3 * i;
		uint64_t v = (uint64_t)o[1] | (uint64_t)o[2] << 8;
		/* 0xffff stands for KVM_PRINTK_NONE. */
		fields[o[0] % nfields] = v == 0xffff ? KVM_PRINTK_NONE : v;
	}
	struct fuzz_mem m = {
		.kd = kd,
		.buf = data + 2 + 3 * (size_t)k,
		.size = size - 2 - 3 * (size_t)k,
	};
	struct kvm_printk_src s = { kd, fuzz_read, &m };
	struct kvm_log log = { 0 };
	int err = flags & 1 ? kvm_printk_plog_read(&s, &ol, &log)
			    : kvm_printk_prb_read(&s, &pl, &log);
	kvm_log_finish(&log);
	if (err) {
		must(err < 0, "a positive error");
		must(kd->errbuf[0] != '\0', "an error without a message");
		must(strchr(kd->errbuf, '\n') == NULL, "a multi-line message");
	}
	/* Every record's text lies in the memory given, NUL-terminated. */
	/* Each record takes at least a byte of the memory given. */
	must(log.n <= (flags & 1 ? m.size + 1
				 : (size_t)1 << KVM_PRB_MAX_COUNT_BITS),
	     "more records than the buffer holds");
	size_t total = 0;
	for (size_t i = 0; i < log.n; i++) {
		const struct kvm_log_entry *e = &log.ents[i];
		must(e->text[e->text_len] == '\0', "text not terminated");
		must(e->text_len <= 0xffff, "text longer than text_len allows");
		must(e->level >= -1 && e->level <= 7, "level out of range");
		total += e->text_len;
	}
	must(total <= log.text_len, "texts outside the pool");
	kvm_log_deinit(&log);
	free(kd);
	return 0;
}
