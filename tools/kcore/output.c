// SPDX-License-Identifier: BSD-2-Clause
/* kcore: number parsing, JSON output and error-to-exit-status mapping. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0.
 */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n;
	unsigned min, v;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, v = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return n;
}

/*
 * Text from the dump for a terminal: control bytes (C0 but tab, DEL, and
 * C1 as UTF-8), bytes that are not UTF-8 and the backslash come out as
 * \xHH, so that a process name cannot clear the screen or retitle the
 * terminal of whoever looks at the dump, an argument cannot break its
 * line, and the bytes can still be told apart.
 */
void
text_string(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n = *p >= 0x80 ? utf8_len(p) : 1;
		bool c1 = n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
		if (n == 0 || c1 || (*p < 0x20 && *p != '\t') || *p == 0x7f ||
		    *p == '\\') {
			fprintf(f, "\\x%02x", *p);
			continue;
		}
		fwrite(p, 1, n, f);
		p += n - 1;
	}
}

/*
 * A JSON string of bytes from the dump.  JSON is UTF-8: a byte that is not
 * part of well-formed UTF-8 is written as the lone surrogate \udcXX, XX
 * being the byte (Python's "surrogateescape"), so the bytes can be had
 * back exactly: json.loads(...).encode("utf-8", "surrogateescape").
 */
void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80) {
			size_t n = utf8_len(p);
			if (n == 0) {
				fprintf(f, "\\udc%02x", *p);
			} else {
				fwrite(p, 1, n, f);
				p += n - 1;
			}
			continue;
		}
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

bool
kcore_time_text(uint64_t t, char *buf, size_t len)
{
	/* 9999-12-31 23:59:59 UTC: time_t and gmtime hold it everywhere. */
	const uint64_t max = 253402300799ULL;
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > max || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm)) {
		snprintf(buf, len, "%" PRIu64 " (not a time)", t);
		return false;
	}
	return true;
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

char kcore_err_msg[1024];
const char *kcore_err_code;

/* The name of a failure class in JSON error objects. */
static const char *
errcode_name(int errcode)
{
	static const char *const names[] = {
		[KVM_EOK] = "ok",
		[KVM_ESYS] = "system",
		[KVM_ENOMEM] = "no_memory",
		[KVM_EINVAL] = "invalid",
		[KVM_ENOTSUP] = "not_supported",
		[KVM_ECORRUPT] = "corrupt",
		[KVM_ENODATA] = "no_data",
		[KVM_EFAULT] = "fault",
		[KVM_ENOENT] = "not_found",
		[KVM_ETRUNC] = "truncated",
		[KVM_EFORMAT] = "format",
	};
	if (errcode >= 0 &&
	    (size_t)errcode < sizeof(names) / sizeof(names[0]) &&
	    names[errcode])
		return names[errcode];
	return "error";
}

void
kcore_note_error(const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kcore_err_msg, sizeof(kcore_err_msg), fmt, ap);
	va_end(ap);
	kcore_err_code = code;
}

int
kcore_fail(kvm_t *kd, const char *what)
{
	const char *msg = kvm_geterr(kd);

	if (what && *what)
		kcore_note_error(errcode_name(kvm_geterrcode(kd)), "%s: %s",
				 what, msg);
	else
		kcore_note_error(errcode_name(kvm_geterrcode(kd)), "%s", msg);
	fprintf(stderr, "kcore: %s\n", kcore_err_msg);
	return kcore_exit_for(kvm_geterrcode(kd));
}

void
kcore_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kcore_err_msg, sizeof(kcore_err_msg), fmt, ap);
	va_end(ap);
	kcore_err_code = "usage";
	fprintf(stderr, "kcore: %s\nTry 'kcore --help'.\n", kcore_err_msg);
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
