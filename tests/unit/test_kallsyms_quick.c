// SPDX-License-Identifier: BSD-2-Clause
/*
 * Single-name lookups before the symbol table is loaded
 * (kvm_sym_kallsyms_find in src/sym/kallsyms_mem.c), on the sample dump:
 * they must answer as the loaded table does, leave the table unloaded,
 * hand over to the full load past their budget or for a name they do not
 * have, and refuse tables whose _stext disagrees with VMCOREINFO.
 * Without the sample dump the program exits 77.
 *
 *   test_kallsyms_quick DUMP
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"
#include "kvm_private.h"
#include "sym/symtab.h"
#include "vmcoreinfo.h"

static const char *dump;

/* Early, middle and late in the table, text and data, and the checks'. */
static const char *const names[] = {
	"_stext",    "linux_banner", "jiffies",	 "init_task",
	"avenrun",   "schedule",     "panic",	 "init_uts_ns",
	"_text",     "tainted_mask", "_end",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static kvm_t *
open_dump(void)
{
	char errbuf[KVM_ERRBUF_SIZE];
	kvm_t *kd = kvm_openfiles(NULL, dump, NULL, O_RDONLY, errbuf);

	if (!kd)
		fail_msg("open %s: %s", dump, errbuf);
	return kd;
}

static void
test_same_as_table(void **state)
{
	(void)state;
	kvm_t *quick = open_dump(), *full = open_dump();

	assert_int_equal(kvm_sym_ensure(full), 0);
	for (size_t i = 0; i < NNAMES; i++) {
		uint64_t qa = 0, fa = 0;
		char qt = 0;
		assert_int_equal(kvm_sym_kallsyms_find(quick, names[i], &qa,
						       &qt),
				 0);
		assert_int_equal(kvm_sym_lookup(full, names[i], &fa), 0);
		if (qa != fa)
			fail_msg("%s: quick 0x%llx, table 0x%llx", names[i],
				 (unsigned long long)qa,
				 (unsigned long long)fa);
		const struct kvm_sym *s;
		int err;
		s = kvm_symtab_find(full, full->symtab, names[i], &err);
		assert_non_null(s);
		assert_int_equal(qt, s->type);
	}
	/* Answered without the table. */
	assert_int_equal(quick->sym_state, 0);
	assert_null(quick->symtab);
	kvm_close(quick);
	kvm_close(full);
}

static void
test_nlist_stays_quick(void **state)
{
	(void)state;
	kvm_t *kd = open_dump();
	struct kvm_nlist nl[] = { { .n_name = "jiffies" },
				  { .n_name = "init_task" },
				  { .n_name = NULL } };

	assert_int_equal(kvm_nlist2(kd, nl), 0);
	assert_int_not_equal(nl[0].n_value, 0);
	assert_int_equal(nl[0].n_type & ~KVM_N_EXT, KVM_N_DATA);
	assert_int_equal(kd->sym_state, 0);
	/* A name not in kallsyms goes to the full load (VMCOREINFO's
	 * symbols and the rest), which then answers everything. */
	struct kvm_nlist miss[] = { { .n_name = "no_such_symbol_here" },
				    { .n_name = NULL } };
	assert_int_equal(kvm_nlist2(kd, miss), 1);
	assert_int_equal(kd->sym_state, 1);
	assert_null(kd->ksq);
	struct kvm_nlist again[] = { { .n_name = "jiffies" },
				     { .n_name = NULL } };
	assert_int_equal(kvm_nlist2(kd, again), 0);
	assert_int_equal(again[0].n_value, nl[0].n_value);
	kvm_close(kd);
}

static void
test_budget(void **state)
{
	(void)state;
	kvm_t *kd = open_dump();
	uint64_t a;

	for (int i = 0; i < 64 && kd->sym_state == 0; i++)
		assert_int_equal(kvm_sym_lookup(kd, "jiffies", &a), 0);
	/* Past the budget the table is loaded (a hash beats rescans). */
	assert_int_equal(kd->sym_state, 1);
	kvm_close(kd);
}

/* VMCOREINFO's _stext moved by a page: no quick answer. */
static void
test_stext_disagrees(void **state)
{
	(void)state;
	kvm_t *kd = open_dump();
	static char moved[32];
	uint64_t stext, a;
	char t;

	assert_true(kvm_vmcoreinfo_symbol(&kd->vmci, "_stext", &stext));
	snprintf(moved, sizeof(moved), "%llx",
		 (unsigned long long)(stext + 4096));
	for (size_t i = 0; i < kd->vmci.nents; i++)
		if (strcmp(kd->vmci.ents[i].key, "SYMBOL(_stext)") == 0)
			kd->vmci.ents[i].value = moved;
	assert_int_equal(kvm_sym_kallsyms_find(kd, "jiffies", &a, &t),
			 -KVM_ENOENT);
	assert_null(kd->symtab);
	kvm_close(kd);
}

int
main(int argc, char **argv)
{
	if (argc != 2 || access(argv[1], R_OK) != 0) {
		printf("test_kallsyms_quick: no sample dump: skipped\n");
		return 77;
	}
	dump = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_table),
		cmocka_unit_test(test_nlist_stays_quick),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_stext_disagrees),
	};
	return cmocka_run_group_tests_name("kallsyms quick lookups", tests,
					   NULL, NULL);
}
