// SPDX-License-Identifier: BSD-2-Clause
/*
 * A dump file truncated while a handle has it open (issue 23): the pages
 * past the new end fault (SIGBUS) in the mapping; each read of them must
 * fail with an error that says the file shrank, never crash, and every
 * read after must fail the same way (what was read may be zeros).
 *   shrink_while_open DUMP   (the file is truncated to half: a copy)
 */
#include <fcntl.h>
#include <kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char errbuf[KVM_ERRBUF_SIZE];
	static char page[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: shrink_while_open DUMP\n");
		return 2;
	}
	kvm_t *kd = kvm_openfiles(NULL, argv[1], NULL, O_RDONLY, errbuf);
	if (!kd) {
		fprintf(stderr, "FAIL  open: %s\n", errbuf);
		return 1;
	}
	const struct kvm_phys_range *r;
	size_t nr;
	if (kvm_get_phys_ranges(kd, &r, &nr) != 0 || nr == 0) {
		fprintf(stderr, "FAIL  no ranges\n");
		return 1;
	}
	uint64_t last = r[nr - 1].end - sizeof(page);
	int fd = open(argv[1], O_RDWR);
	off_t size = lseek(fd, 0, SEEK_END);
	if (fd < 0 || ftruncate(fd, size / 2) != 0) {
		perror("FAIL  truncate");
		return 1;
	}
	int fail = 0;
	for (int i = 0; i < 2; i++) {
		ssize_t n = kvm_read_phys(kd, last, page, sizeof(page));
		const char *e = kvm_geterr(kd);
		if (n == (ssize_t)sizeof(page) || !strstr(e, "truncated while open")) {
			printf("FAIL  read %d of the last page after the truncation: "
			       "%zd, '%s'\n", i, n, e);
			fail = 1;
		} else {
			printf("ok    read %d past the new end: %s\n", i, e);
		}
	}
	/* Sticky: even a page still in the file is not trusted now. */
	if (kvm_read_phys(kd, r[0].start, page, sizeof(page)) ==
		    (ssize_t)sizeof(page) ||
	    !strstr(kvm_geterr(kd), "truncated while open")) {
		printf("FAIL  a read after the truncation succeeded\n");
		fail = 1;
	} else {
		printf("ok    later reads fail too\n");
	}
	kvm_close(kd);
	close(fd);
	return fail;
}
