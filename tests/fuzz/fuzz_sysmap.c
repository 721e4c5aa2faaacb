// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for the System.map / kallsyms text parser
 * (src/sym/sysmap.c) and the symbol table behind it: parse the input, then
 * look up what was parsed by name and by address.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_private.h"
#include "sym/symtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_sysmap: contract broken: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kvm_t *kd = calloc(1, sizeof(*kd));
	struct kvm_symtab t = { 0 };
	bool modules;
	int e;
	uint64_t sz;

	if (!kd)
		return 0;
	int err = kvm_sym_parse_text(kd, &t, "fuzz", (const char *)data, size,
				     &modules);
	if (err) {
		must(kd->errbuf[0] != '\0', "an error without a message");
		must(strchr(kd->errbuf, '\n') == NULL, "a multi-line message");
	}
	for (size_t i = 0; i < t.n; i++) {
		const struct kvm_sym *s = &t.syms[i];
		const struct kvm_sym *f =
			kvm_symtab_find(kd, &t, kvm_symtab_name(&t, s), &e);
		must(f != NULL && f->addr != 0 ? 1 : f != NULL, "lost a name");
		const struct kvm_sym *b = kvm_symtab_byaddr(kd, &t, s->addr,
							   &sz, &e);
		if (b)
			must(b->addr <= s->addr, "reverse lookup above");
	}
	kvm_symtab_deinit(&t);
	free(kd);
	return 0;
}
