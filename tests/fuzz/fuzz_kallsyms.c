// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for the kallsyms decoder (src/sym/kallsyms_mem.c): the input
 * is kernel memory.  A 32-byte header gives the table offsets inside it
 * (num_syms, names, token_table, token_index, offsets, relative_base as
 * u32 little-endian, relative_base 0xffffffff for none, as Linux 7.0
 * exports it; then flags); the rest is mapped at a fake kernel address
 * through a fake format and an identity-plus-base architecture, so the
 * decoder runs exactly as on a dump.  Flag bit 0: locate the tables by the
 * layout scan instead of VMCOREINFO.  Flag bit 1: VMCOREINFO gives _stext
 * too (at the base plus the header's last word), so that single names are
 * looked up before the full load, as commands do.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_private.h"
#include "sym/symtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0xffffffff81000000ULL
#define HDR 32

static const uint8_t *mem;
static size_t memlen;

static int
fake_read(kvm_t *kd, uint64_t pa, void *buf, size_t len, size_t *done)
{
	*done = 0;
	if (pa >= memlen)
		return kvm_error(kd, KVM_ENODATA, "outside the input");
	size_t n = len < memlen - pa ? len : memlen - pa;
	memcpy(buf, mem + pa, n);
	*done = n;
	return n == len ? 0 : kvm_error(kd, KVM_ENODATA, "outside the input");
}

static int
fake_kvatop(kvm_t *kd, uint64_t va, uint64_t *pa, uint64_t *len)
{
	if (va < BASE || va - BASE >= memlen)
		return kvm_error(kd, KVM_EFAULT, "unmapped 0x%llx",
				 (unsigned long long)va);
	*pa = va - BASE;
	*len = 4096 - (va & 4095);
	return 0;
}

static const struct kvm_format_ops fake_format = {
	.name = "fuzz",
	.read_phys = fake_read,
};
static const struct kvm_arch_ops fake_arch = {
	.name = "fuzz",
	.ptr_size = 8,
	.kvatop = fake_kvatop,
};

static void
must(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_kallsyms: contract broken: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	/* Seeds need tens of thousands of steps; table-like noise, all. */
	kvm_kallsyms_scan_work = 1u << 16;
	uint32_t h[8];
	memcpy(h, data, sizeof(h));
	mem = data + HDR;
	memlen = size - HDR;

	kvm_t *kd = calloc(1, sizeof(*kd));
	if (!kd)
		return 0;
	kd->core.fd = -1;
	kd->format = &fake_format;
	kd->arch = &fake_arch;
	kd->ptr_size = 8;
	kd->xlat.ready = true;
	kd->xlat.ktext_start = BASE;
	kvm_tlb_flush(kd);
	if (!(h[6] & 1)) {
		char vmci[512];
		int n = snprintf(vmci, sizeof(vmci),
				 "SYMBOL(kallsyms_num_syms)=%llx\n"
				 "SYMBOL(kallsyms_names)=%llx\n"
				 "SYMBOL(kallsyms_token_table)=%llx\n"
				 "SYMBOL(kallsyms_token_index)=%llx\n"
				 "SYMBOL(kallsyms_offsets)=%llx\n",
				 BASE + h[0], BASE + h[1], BASE + h[2],
				 BASE + h[3], BASE + h[4]);
		/* 0xffffffff: no kallsyms_relative_base, as 7.0 exports. */
		if (h[5] != 0xffffffffu)
			n += snprintf(vmci + n, sizeof(vmci) - n,
				      "SYMBOL(kallsyms_relative_base)=%llx\n",
				      BASE + h[5]);
		if (h[6] & 2)
			n += snprintf(vmci + n, sizeof(vmci) - n,
				      "SYMBOL(_stext)=%llx\n", BASE + h[7]);
		kvm_set_vmcoreinfo(kd, vmci, n);
	}
	/* Lookups before a full load (kvm_sym_kallsyms_find). */
	static const char *const quick[] = { "linux_banner", "_stext", "_end",
					     "no_such_name" };
	for (size_t i = 0; i < sizeof(quick) / sizeof(quick[0]); i++) {
		uint64_t a;
		char type;
		if (kvm_sym_kallsyms_find(kd, quick[i], &a, &type) == 0 &&
		    getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "fuzz_kallsyms_quick: %s %c at 0x%llx\n",
				quick[i], type, (unsigned long long)a);
		must(kd->errbuf[0] == '\0', "a quick lookup left an error");
	}
	kvm_sym_kallsyms_quick_free(kd);
	struct kvm_symtab t = { 0 };
	int err = kvm_sym_load_kallsyms_mem(kd, &t);
	/* FUZZ_VERBOSE: say what a seed decodes to (for writing seeds). */
	if (getenv("FUZZ_VERBOSE") && t.n)
		fprintf(stderr, "fuzz_kallsyms: %zu symbols, %s at 0x%llx, %s "
			"at 0x%llx\n", t.n, kvm_symtab_name(&t, &t.syms[0]),
			(unsigned long long)t.syms[0].addr,
			kvm_symtab_name(&t, &t.syms[t.n - 1]),
			(unsigned long long)t.syms[t.n - 1].addr);
	else if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_kallsyms: 0 symbols%s%s\n",
			err ? ", error: " : "", err ? kd->errbuf : "");
	if (err) {
		must(kd->errbuf[0] != '\0', "an error without a message");
		must(strchr(kd->errbuf, '\n') == NULL, "a multi-line message");
	}
	/* Whatever loaded must be usable. */
	int e;
	uint64_t size_ret;
	for (size_t i = 0; i < t.n && i < 64; i++) {
		const char *name = kvm_symtab_name(&t, &t.syms[i]);
		must(strlen(name) <= KVM_SYM_NAME_MAX, "name too long");
		must(kvm_symtab_find(kd, &t, name, &e) != NULL || e,
		     "a loaded name is not found");
		kvm_symtab_byaddr(kd, &t, t.syms[i].addr, &size_ret, &e);
	}
	kvm_symtab_deinit(&t);
	kvm_vmcoreinfo_deinit(&kd->vmci);
	free(kd->vmcoreinfo_text);
	free(kd);
	return 0;
}
