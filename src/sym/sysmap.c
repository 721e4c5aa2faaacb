// SPDX-License-Identifier: BSD-2-Clause
/*
 * System.map and kallsyms-format text ("ADDR TYPE NAME[\t[MODULE]]" a
 * line, as nm(1) and /proc/kallsyms print).  Both look the same: the
 * caller decides about relocation.  A malformed line ends the parse with
 * an error naming it: a truncated file must not pass for a whole one.
 */
#include <ctype.h>
#include <string.h>

#include "symtab.h"

static bool
parse_hex(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*ret = v;
	return true;
}

/*
 * Parse buf into t.  Returns 0, or -KVM_ECORRUPT naming the first bad
 * line.  nm(1) and /proc/kallsyms end every line with a newline: a file
 * whose last line has none was cut short, and is refused as such.
 */
int
kvm_sym_parse_text(kvm_t *kd, struct kvm_symtab *t, const char *path,
		   const char *buf, size_t len, bool *modules_ret)
{
	size_t lineno = 0, pos = 0;

	*modules_ret = false;
	if (len > 0 && buf[len - 1] != '\n') {
		size_t lines = 1;
		for (size_t i = 0; i < len; i++)
			lines += buf[i] == '\n';
		return kvm_error(kd, KVM_ECORRUPT,
				 "%s: line %zu ends without a newline: the file "
				 "is truncated",
				 path, lines);
	}
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl ? 1 : 0);
		lineno++;
		if (ll == 0)
			continue;
		/* ADDR */
		size_t a = 0;
		while (a < ll && isxdigit((unsigned char)line[a]))
			a++;
		uint64_t addr;
		if (a == 0 || a >= ll || line[a] != ' ' ||
		    !parse_hex(line, a, &addr))
			goto bad;
		/* TYPE */
		if (a + 3 > ll || !isalpha((unsigned char)line[a + 1]) ||
		    line[a + 2] != ' ')
			goto bad;
		char type = line[a + 1];
		/* NAME, then optional "\t[module]" */
		const char *name = line + a + 3;
		size_t nlen = ll - (a + 3);
		const char *tab = memchr(name, '\t', nlen);
		if (tab) {
			*modules_ret = true;
			nlen = tab - name;
		}
		if (nlen == 0 || memchr(name, ' ', nlen))
			goto bad;
		int err = kvm_symtab_add(kd, t, name, nlen, addr, type);
		if (err)
			return err;
	}
	/* /proc/kallsyms read without privilege shows every address as 0. */
	bool all_zero = t->n > 0;
	for (size_t i = 0; i < t->n && all_zero; i++)
		all_zero = t->syms[i].addr == 0;
	if (all_zero && t->n > 16)
		return kvm_error(kd, KVM_EINVAL,
				 "%s: every address is 0 (kallsyms read without "
				 "privilege, or kptr_restrict): use it as root",
				 path);
	return 0;
bad:
	return kvm_error(kd, KVM_ECORRUPT,
			 "%s: line %zu is not \"ADDRESS TYPE NAME\" as in a "
			 "System.map or kallsyms file",
			 path, lineno);
}
