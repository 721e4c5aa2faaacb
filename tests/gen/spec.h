/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Spec-file helpers shared by the test-only dump generators (mkelf.c,
 * mkdiskdump.c).  They share nothing with src/: a generator and a reader
 * written from the same code would hide each other's bugs.  The including
 * file defines die() and MAX_TOKENS first.
 */
#ifndef KVM_TEST_SPEC_H
#define KVM_TEST_SPEC_H

static bool
parse_num(const char *s, uint64_t *ret)
{
	unsigned shift = 0;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*ret = (uint64_t)v << shift;
	return true;
}

static uint64_t
num(const char *s, const char *what)
{
	uint64_t v;

	if (!parse_num(s, &v))
		die("bad number '%s' for %s", s, what);
	return v;
}

/* "key=value": value if tok starts with key=, else NULL. */
static const char *
keyval(const char *tok, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(tok, key, n) == 0 && tok[n] == '=')
		return tok + n + 1;
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A token of hex digits (an even number of them) -> bytes; returns count. */
static size_t
hexbytes(const char *tok, uint8_t *out, size_t room)
{
	size_t n = strlen(tok), k = 0;

	if (n == 0 || n % 2)
		die("bad hex bytes '%s'", tok);
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(tok[i]), lo = hexval(tok[i + 1]);
		if (hi < 0 || lo < 0)
			die("bad hex bytes '%s'", tok);
		if (k >= room)
			die("too many bytes");
		out[k++] = hi << 4 | lo;
	}
	return k;
}

/* Split line in place at blanks, dropping a comment; returns the count. */
static int
tokenize(char *line, char **tok)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			*p++ = '\0';
		if (!*p || *p == '#')
			break;
		if (n >= MAX_TOKENS)
			die("more than %d words on a line", MAX_TOKENS);
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' &&
		       *p != '\n')
			p++;
	}
	*p = '\0';
	return n;
}

#endif
