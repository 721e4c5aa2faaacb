/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The symbol table every source feeds (vmlinux symtab, System.map or
 * kallsyms text, kallsyms decoded from the target, VMCOREINFO SYMBOL()s):
 * names in one string pool, a hash for name lookups and an address-sorted
 * index for reverse lookups, both built on first use.
 */
#ifndef KVM_SYMTAB_H
#define KVM_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kvm_private.h"

/* Bounds for hostile sources: far above any kernel (~200k symbols). */
#define KVM_SYMTAB_MAX_SYMS (8u << 20)
#define KVM_SYMTAB_MAX_NAMES (512u << 20)
#define KVM_SYM_NAME_MAX 1024

struct kvm_sym {
	uint64_t addr;
	uint32_t name; /* offset in the pool */
	char type;     /* nm(1) letter: T t D d R r B b A W V ... */
};

struct kvm_symtab {
	struct kvm_sym *syms;
	size_t n, cap;
	char *pool;
	size_t pool_len, pool_cap;
	/*
	 * Built lazily: open-addressed hash of index+1 (0 = empty), and each
	 * slot's full name hash, so that probes compare names only when the
	 * hashes agree.
	 */
	uint32_t *hash;
	uint32_t *hashv;
	size_t hash_mask;
	size_t hashed;	/* syms[0..hashed) are in the hash */
	unsigned scans; /* lookups answered by a scan, before the hash */
	/* Built lazily: indices sorted by address (absolute symbols out). */
	uint32_t *by_addr;
	size_t n_by_addr;
};

int kvm_symtab_add(kvm_t *kd, struct kvm_symtab *t, const char *name,
		   size_t len, uint64_t addr, char type);
/*
 * For a source that decodes names in place: kvm_symtab_room() gives room
 * bytes at the end of the pool (NULL, error set, if memory is short);
 * kvm_symtab_push() then adds the len bytes from room + skip as the next
 * symbol's name (what kvm_symtab_add does, without the copy).  Room is
 * valid until the next call that adds.  kvm_symtab_reserve() makes room
 * for nsyms more symbols up front.
 */
int kvm_symtab_reserve(kvm_t *kd, struct kvm_symtab *t, size_t nsyms);
char *kvm_symtab_room(kvm_t *kd, struct kvm_symtab *t, size_t room);
int kvm_symtab_push(kvm_t *kd, struct kvm_symtab *t, size_t skip, size_t len,
		    uint64_t addr, char type);
/* First symbol added under name, or NULL (may return -ENOMEM via err). */
const struct kvm_sym *kvm_symtab_find(kvm_t *kd, struct kvm_symtab *t,
				      const char *name, int *err);
/* Symbol at or below addr, or NULL. */
const struct kvm_sym *kvm_symtab_byaddr(kvm_t *kd, struct kvm_symtab *t,
					uint64_t addr, uint64_t *size_ret,
					int *err);
static inline const char *
kvm_symtab_name(const struct kvm_symtab *t, const struct kvm_sym *s)
{
	return t->pool + s->name;
}
/* Keep only the first n symbols (undo a source that failed halfway). */
void kvm_symtab_truncate(struct kvm_symtab *t, size_t n);
void kvm_symtab_deinit(struct kvm_symtab *t);

/*
 * Sources, each adding to t with the addresses as the source holds them;
 * errors are recorded in kd.  *modules_ret: the text had "[module]" tags
 * (so it is /proc/kallsyms, with run-time addresses).
 */
int kvm_sym_parse_text(kvm_t *kd, struct kvm_symtab *t, const char *path,
		       const char *buf, size_t len, bool *modules_ret);
int kvm_sym_parse_elf(kvm_t *kd, struct kvm_symtab *t, const char *path,
		      int fd);
int kvm_sym_load_kallsyms_mem(kvm_t *kd, struct kvm_symtab *out);
/*
 * One name from the kallsyms tables VMCOREINFO names, without loading the
 * table: 0 with its address and nm(1) letter, or -KVM_ENOENT when it is
 * not answered this way (not there, no such tables, a check failed: the
 * full load then decides, and says why).  Never sets an error.
 */
int kvm_sym_kallsyms_find(kvm_t *kd, const char *name, uint64_t *addr_ret,
			  char *type_ret);
void kvm_sym_kallsyms_quick_free(kvm_t *kd);
/*
 * The steps a layout scan may take (default 2^26, far above a real
 * kernel's million); the fuzz target lowers it, so that inputs made of
 * table-like memory do not slow the campaign down.
 */
extern uint64_t kvm_kallsyms_scan_work;
/*
 * Find name in the kernel image's exported-symbol table and add that whole
 * table to t (src/sym/ksymtab.c).  *scans counts the image scans this
 * handle made (each reads the whole image); past a few it gives up.
 * Returns 0 when symbols were added, -KVM_ENOENT when name's table was not
 * found (no message), or another error.
 */
int kvm_sym_load_ksymtab(kvm_t *kd, struct kvm_symtab *t, const char *name,
			 int *scans);

#endif
