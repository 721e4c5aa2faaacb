// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel release (uname -r) of a dump that has no VMCOREINFO
 * OSRELEASE: from linux_banner ("Linux version RELEASE (builder) ...",
 * init/version.c), else from init_uts_ns.name.release (struct
 * new_utsname: six char[65] fields, release the third; the offset of
 * name in struct uts_namespace from BTF, as it moved when kref left it
 * in 5.11).  Both come from the dump's symbols; without them, a scan of
 * the kernel image for the banner.  What is read must look like a release
 * (printable, no spaces) or it is not taken.
 */
#include <stdlib.h>
#include <string.h>

#include "proc.h"

#define UTS_LEN 65

static bool
release_ok(const char *r)
{
	if (!r[0])
		return false;
	for (const char *p = r; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return false;
	return true;
}

static int
from_banner(kvm_t *kd, char *out, size_t outsz)
{
	char r[UTS_LEN + 1];
	uint64_t addr;
	int err;

	if ((err = kvm_sym_lookup(kd, "linux_banner", &addr)))
		return err;
	if (!kvm_banner_at(kd, addr, r, sizeof(r)))
		return kvm_error(kd, KVM_ECORRUPT,
				 "linux_banner at 0x%llx does not read "
				 "\"Linux version\"",
				 (unsigned long long)addr);
	if (!release_ok(r) || strlen(r) >= UTS_LEN)
		return kvm_error(kd, KVM_ECORRUPT,
				 "linux_banner: no release after "
				 "\"Linux version\"");
	snprintf(out, outsz, "%s", r);
	return 0;
}

static int
from_uts(kvm_t *kd, char *out, size_t outsz)
{
	uint64_t addr, name_off, rel_off, size;
	char r[UTS_LEN + 1];
	size_t done;
	int err;

	if ((err = kvm_sym_lookup(kd, "init_uts_ns", &addr)) ||
	    (err = kvm_types_offsetof(kd, "uts_namespace", "name", &name_off,
				      &size)))
		return err;
	if (kvm_types_offsetof(kd, "new_utsname", "release", &rel_off, &size)) {
		kvm_error_clear(kd);
		rel_off = 2 * UTS_LEN;
	}
	if ((err = kvm_virt_read(kd, addr + name_off + rel_off, r, UTS_LEN,
				 &done)))
		return kvm_error_ctx(kd, "reading init_uts_ns");
	r[UTS_LEN] = '\0';
	/* char release[65]: 64 bytes and its NUL. */
	if (!release_ok(r) || strlen(r) >= UTS_LEN)
		return kvm_error(kd, KVM_ECORRUPT,
				 "init_uts_ns.name.release is not a release");
	snprintf(out, outsz, "%.*s", UTS_LEN - 1, r);
	return 0;
}

/* The banner scan reads this much of the image, in chunks. */
#define BANNER_SCAN_MAX (128u << 20)
#define BANNER_SCAN_CHUNK (1u << 20)

struct banner_scan {
	char *out;
	size_t outsz;
};

static int
banner_window(void *arg, uint64_t va, const uint8_t *b, size_t n, size_t starts)
{
	static const char prefix[] = "Linux version ";
	const size_t pl = sizeof(prefix) - 1;
	struct banner_scan *bs = arg;

	(void)va;
	/* A match must start before starts and end within n. */
	const uint8_t *end = b + KVM_MIN(starts + pl - 1, n);
	for (const uint8_t *p = b; p < b + starts;) {
		p = memmem(p, (size_t)(end - p), prefix, pl);
		if (!p)
			break;
		char r[UTS_LEN + 1];
		size_t k = 0;
		for (const uint8_t *q = p + pl; k < UTS_LEN && q < b + n; q++)
			r[k++] = (char)*q;
		r[k] = '\0';
		size_t len = strcspn(r, " ");
		p++;
		if (len == k || r[0] < '0' || r[0] > '9')
			continue;
		r[len] = '\0';
		if (!release_ok(r))
			continue;
		snprintf(bs->out, bs->outsz, "%s", r);
		return 1;
	}
	return 0;
}

/*
 * Neither symbol known (arm64's kallsyms holds text symbols only, and
 * without VMCOREINFO the exported ones may not be found): the banner
 * itself, in the kernel image.  A release starts with a digit, which
 * keeps format strings ("Linux version %s") out.
 */
static int
from_scan(kvm_t *kd, char *out, size_t outsz)
{
	struct banner_scan bs = { out, outsz };
	uint64_t base = kd->xlat.ktext_start;

	if (!base)
		return kvm_error(kd, KVM_ENOENT,
				 "no kernel text address to scan for the "
				 "banner from");
	int r = kvm_scan_image(kd, base, BANNER_SCAN_MAX, BANNER_SCAN_CHUNK,
			       14 + UTS_LEN, banner_window, &bs);
	if (r < 0)
		return r;
	if (r > 0)
		return 0;
	return kvm_error(kd, KVM_ENOENT,
			 "no \"Linux version\" banner in the first %u MiB "
			 "of the kernel image",
			 BANNER_SCAN_MAX >> 20);
}

static int
release_find(kvm_t *kd, char *out, size_t outsz)
{
	char why[KVM_ERRBUF_SIZE];

	if (from_banner(kd, out, outsz) == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", kd->errbuf);
	kvm_error_clear(kd);
	if (from_uts(kd, out, outsz) == 0)
		return 0;
	kvm_error_clear(kd);
	if (from_scan(kd, out, outsz) == 0)
		return 0;
	return kvm_error_ctx(kd, "kernel release: %s; and init_uts_ns", why);
}

/*
 * Looked for once per handle, found or not: the unwinders and the process
 * walk each ask, and a failed search may have scanned 128 MiB of image.
 */
int
kvm_proc_release(kvm_t *kd, char *out, size_t outsz)
{
	if (!kd->release_tried) {
		kd->release_tried = true;
		int err = release_find(kd, kd->release, sizeof(kd->release));
		if (err) {
			kd->release[0] = '\0';
			kd->release_code = -err;
			/* Found under quiet errors, errbuf may be empty. */
			snprintf(kd->release_why, sizeof(kd->release_why), "%s",
				 kd->errbuf[0] ? kd->errbuf
					       : "kernel release not found");
		}
	}
	if (kd->release[0]) {
		snprintf(out, outsz, "%s", kd->release);
		return 0;
	}
	return kvm_error(kd, kd->release_code, "%s", kd->release_why);
}
