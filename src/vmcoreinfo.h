/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VMCOREINFO: the KEY=VALUE text the kernel exports for dump tools
 * (kernel/crash_core.c; SYMBOL() and NUMBER() etc. since 2.6.24), parsed
 * into a sorted table with typed getters.
 */
#ifndef KVM_VMCOREINFO_H
#define KVM_VMCOREINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's note is one page; allow for big pages, refuse more. */
#define KVM_VMCOREINFO_MAX (1u << 20)
#define KVM_VMCOREINFO_MAX_ENTRIES 16384

struct kvm_vmci_entry {
	const char *key;   /* "SYMBOL(init_top_pgt)", NUL-terminated */
	const char *value; /* "ffffffffbc010000" */
};

struct kvm_vmcoreinfo {
	char *buf; /* private copy, keys and values point into it */
	struct kvm_vmci_entry *ents;
	size_t nents;
};

/*
 * Parse len bytes of text (not necessarily NUL-terminated; it ends at the
 * first NUL, as the kernel pads its note).  Lines without '=' are skipped;
 * a later duplicate key wins.  Returns 0, -KVM_ENOMEM, or -KVM_ECORRUPT
 * (more than KVM_VMCOREINFO_MAX bytes).
 */
int kvm_vmcoreinfo_parse(struct kvm_vmcoreinfo *v, const char *text,
			 size_t len);
void kvm_vmcoreinfo_deinit(struct kvm_vmcoreinfo *v);

/* Raw value of KEY, or NULL. */
const char *kvm_vmcoreinfo_get(const struct kvm_vmcoreinfo *v, const char *key);
/* SYMBOL(name): hex address.  False when absent or malformed. */
bool kvm_vmcoreinfo_symbol(const struct kvm_vmcoreinfo *v, const char *name,
			   uint64_t *ret);
/* NUMBER(name): decimal (may be negative) or 0x-hex. */
bool kvm_vmcoreinfo_number(const struct kvm_vmcoreinfo *v, const char *name,
			   int64_t *ret);
/* OFFSET(name), SIZE(name), LENGTH(name): decimal. */
bool kvm_vmcoreinfo_offset(const struct kvm_vmcoreinfo *v, const char *name,
			   uint64_t *ret);
bool kvm_vmcoreinfo_size(const struct kvm_vmcoreinfo *v, const char *name,
			 uint64_t *ret);
bool kvm_vmcoreinfo_length(const struct kvm_vmcoreinfo *v, const char *name,
			   uint64_t *ret);
/* A bare key with a hex value (KERNELOFFSET). */
bool kvm_vmcoreinfo_hex(const struct kvm_vmcoreinfo *v, const char *key,
			uint64_t *ret);
/* A bare key with a decimal value (PAGESIZE, CRASHTIME). */
bool kvm_vmcoreinfo_dec(const struct kvm_vmcoreinfo *v, const char *key,
			uint64_t *ret);

#endif /* KVM_VMCOREINFO_H */
