// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm_write on the running kernel, inside the guest (issue 7 item 2):
 * refused on a read-only handle; on an O_RDWR one it goes through
 * /dev/mem, which either writes (the same byte back: nothing changes) or
 * fails with a message that names /dev/mem and why.  Prints one line and
 * exits 0 for either documented outcome, 1 otherwise.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <kvm.h>

int
main(void)
{
	char errbuf[KVM_ERRBUF_SIZE];
	struct nlist nl[] = { { .n_name = "linux_banner" }, { .n_name = NULL } };
	unsigned char b;

	kvm_t *ro = kvm_openfiles(NULL, NULL, NULL, O_RDONLY, errbuf);
	if (!ro) {
		printf("open O_RDONLY: %s\n", errbuf);
		return 1;
	}
	if (kvm_nlist(ro, nl) != 0 || kvm_read2(ro, nl[0].n_value, &b, 1) != 1) {
		printf("linux_banner: %s\n", kvm_geterr(ro));
		return 1;
	}
	if (kvm_write2(ro, nl[0].n_value, &b, 1) != -1 ||
	    !strstr(kvm_geterr(ro), "read-only")) {
		printf("a read-only handle wrote (or said %s)\n", kvm_geterr(ro));
		return 1;
	}
	kvm_close(ro);
	kvm_t *rw = kvm_openfiles(NULL, NULL, NULL, O_RDWR, errbuf);
	if (!rw) {
		printf("open O_RDWR: %s\n", errbuf);
		return 1;
	}
	ssize_t n = kvm_write2(rw, nl[0].n_value, &b, 1);
	if (n == 1) {
		printf("written through /dev/mem\n");
	} else if (n == -1 && strstr(kvm_geterr(rw), "/dev/mem")) {
		printf("refused: %s\n", kvm_geterr(rw));
	} else {
		printf("kvm_write2 returned %zd: %s\n", n, kvm_geterr(rw));
		return 1;
	}
	kvm_close(rw);
	return 0;
}
