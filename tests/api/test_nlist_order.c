// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm.h and libelf's <nlist.h> in one program: both compile, struct nlist
 * is one type, and kvm_nlist resolves through it.  Built twice, with
 * NLIST_FIRST (<nlist.h> first) and without (kvm.h first).
 *
 *   test_nlist_order_{a,b} DUMP
 */
#ifdef NLIST_FIRST
#include <nlist.h>
#include <kvm.h>
#else
#include <kvm.h>
#include <nlist.h>
#endif

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	char errbuf[KVM_ERRBUF_SIZE];
	kvm_t *kd = argc > 1 ? kvm_openfiles(NULL, argv[1], NULL, O_RDONLY,
					     errbuf)
			     : NULL;
	struct nlist nl[3];

	if (!kd) {
		fprintf(stderr, "%s\n", argc > 1 ? errbuf : "usage: DUMP");
		return 1;
	}
	memset(nl, 0, sizeof(nl));
	nl[0].n_name = (char *)"_stext";
	nl[1].n_name = (char *)"no_such_symbol";
	int r = kvm_nlist(kd, nl);
	printf("kvm_nlist: %d missing, _stext 0x%lx type %u\n", r,
	       (unsigned long)nl[0].n_value, nl[0].n_type);
	int ok = r == 1 && nl[0].n_value != 0 && nl[0].n_type != KVM_N_UNDF &&
		 nl[1].n_type == KVM_N_UNDF;
	kvm_close(kd);
	return ok ? 0 : 1;
}
