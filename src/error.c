// SPDX-License-Identifier: BSD-2-Clause
/*
 * Error recording.  The message lives in a fixed buffer inside the handle,
 * so recording an error never allocates and ENOMEM can always be reported.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kvm_private.h"

/*
 * Messages quote names and text from the target and from callers (a type
 * name, a note's name): a control byte there must not break the one line
 * a message is (kvm_geterr, a tool's stderr).  Shown as '?'.
 */
static void
one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int __attribute__((format(printf, 3, 0)))
verror(kvm_t *kd, int code, const char *fmt, va_list ap)
{
	if (code < 0)
		code = -code;
	kd->errcode = code;
	if (kd->quiet_errors) {
		kd->errbuf[0] = '\0';
		return -code;
	}
	vsnprintf(kd->errbuf, sizeof(kd->errbuf), fmt, ap);
	one_line(kd->errbuf);
	return -code;
}

int
kvm_error(kvm_t *kd, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int ret = verror(kd, code, fmt, ap);
	va_end(ap);
	return ret;
}

int
kvm_error_sys(kvm_t *kd, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	kd->sys_errno = saved;
	va_start(ap, fmt);
	verror(kd, saved == ENOMEM ? KVM_ENOMEM : KVM_ESYS, fmt, ap);
	va_end(ap);
	if (kd->quiet_errors)
		return -kd->errcode;
	size_t n = strlen(kd->errbuf);
	snprintf(kd->errbuf + n, sizeof(kd->errbuf) - n, ": %s",
		 strerror(saved));
	errno = saved;
	return -kd->errcode;
}

int
kvm_error_ctx(kvm_t *kd, const char *fmt, ...)
{
	char old[sizeof(kd->errbuf)];
	va_list ap;

	if (kd->quiet_errors)
		return -kd->errcode;
	memcpy(old, kd->errbuf, sizeof(old));
	va_start(ap, fmt);
	int n = vsnprintf(kd->errbuf, sizeof(kd->errbuf), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(kd->errbuf) && old[0]) {
		/* Appended as far as it fits, as snprintf would cut it. */
		size_t at = (size_t)n, room = sizeof(kd->errbuf) - 1 - at;
		const char *part[2] = { ": ", old };
		for (int i = 0; i < 2; i++) {
			size_t l = strnlen(part[i], room);
			memcpy(kd->errbuf + at, part[i], l);
			at += l;
			room -= l;
		}
		kd->errbuf[at] = '\0';
	}
	one_line(kd->errbuf);
	return -kd->errcode;
}

void
kvm_warn(kvm_t *kd, const char *fmt, ...)
{
	size_t n = strlen(kd->warning);
	char w[sizeof(kd->warning)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w, sizeof(w), fmt, ap);
	va_end(ap);
	one_line(w);
	if (n == 0) {
		memcpy(kd->warning, w, sizeof(w));
		return;
	}
	/* Whole warnings only: one that does not fit is "...". */
	size_t len = strlen(w);
	if (n + 2 + len < sizeof(kd->warning)) {
		memcpy(kd->warning + n, "; ", 2);
		memcpy(kd->warning + n + 2, w, len + 1);
	} else if (n + 5 < sizeof(kd->warning) &&
		   strcmp(kd->warning + n - (n >= 3 ? 3 : n), "...") != 0)
		memcpy(kd->warning + n, "; ...", 6);
}

void
kvm_error_clear(kvm_t *kd)
{
	kd->errcode = 0;
	kd->errbuf[0] = '\0';
}

void
kvm_error_save(const kvm_t *kd, struct kvm_error_saved *s)
{
	_Static_assert(sizeof(s->msg) == sizeof(kd->errbuf),
		       "a kept message is a whole errbuf");
	s->code = kd->errcode;
	s->sys_errno = kd->sys_errno;
	memcpy(s->msg, kd->errbuf, sizeof(s->msg));
}

int
kvm_error_restore(kvm_t *kd, const struct kvm_error_saved *s)
{
	kd->errcode = s->code;
	kd->sys_errno = s->sys_errno;
	memcpy(kd->errbuf, s->msg, sizeof(kd->errbuf));
	return -s->code;
}
