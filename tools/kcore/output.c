// SPDX-License-Identifier: BSD-2-Clause
/* kcore: number parsing, JSON output and error-to-exit-status mapping. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kcore.h"

bool
kcore_parse_u64(const char *s, uint64_t *ret)
{
	int base = 10;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return false;
	}
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void
json_hex(FILE *f, uint64_t v)
{
	fprintf(f, "\"0x%" PRIx64 "\"", v);
}

int
kcore_exit_for(int errcode)
{
	switch (errcode) {
	case KVM_EOK:
		return KCORE_EXIT_OK;
	case KVM_EFAULT:
	case KVM_ENODATA:
	case KVM_ENOENT:
	case KVM_ETRUNC:
		return KCORE_EXIT_PARTIAL;
	case KVM_EINVAL:
		return KCORE_EXIT_USAGE;
	case KVM_ECORRUPT:
	case KVM_EFORMAT:
		return KCORE_EXIT_DATAERR;
	case KVM_ENOTSUP:
		return KCORE_EXIT_UNAVAILABLE;
	case KVM_ENOMEM:
	case KVM_ESYS:
		return KCORE_EXIT_OSERR;
	default:
		return KCORE_EXIT_SOFTWARE;
	}
}

int
kcore_fail(kvm_t *kd, const char *what)
{
	const char *msg = kvm_geterr(kd);

	if (what && *what)
		fprintf(stderr, "kcore: %s: %s\n", what, msg);
	else
		fprintf(stderr, "kcore: %s\n", msg);
	return kcore_exit_for(kvm_geterrcode(kd));
}

void
kcore_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kcore: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'kcore --help'.\n", stderr);
}

int
kcore_resolve(kvm_t *kd, const char *arg, uint64_t *ret)
{
	uint64_t off = 0;

	if (kcore_parse_u64(arg, ret))
		return KCORE_EXIT_OK;
	char *name = strdup(arg);
	if (!name) {
		perror("kcore");
		return KCORE_EXIT_OSERR;
	}
	char *plus = strchr(name, '+');
	if (plus) {
		*plus = '\0';
		if (!kcore_parse_u64(plus + 1, &off)) {
			kcore_usage_error("bad offset in '%s'", arg);
			free(name);
			return KCORE_EXIT_USAGE;
		}
	}
	struct kvm_nlist nl[2] = { { .n_name = name }, { 0 } };
	int missing = kvm_nlist2(kd, nl);
	int st = KCORE_EXIT_OK;
	if (missing != 0)
		st = kcore_fail(kd, missing < 0 ? "nlist" : NULL);
	else
		*ret = nl[0].n_value + off;
	free(name);
	return st;
}
