// SPDX-License-Identifier: BSD-2-Clause
/*
 * Symbols of a vmlinux ELF (its .symtab, read with libelf).  A vmlinux
 * reduced to its symbol table (every other section SHT_NOBITS) works too:
 * only the symbol and string tables are read.
 */
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <sys/stat.h>

#include "symtab.h"

/* The nm(1) letter of a symbol, from its kind, binding and section flags. */
static char
sym_letter(const GElf_Sym *s, Elf *elf)
{
	int bind = GELF_ST_BIND(s->st_info);
	char c;

	if (s->st_shndx == SHN_ABS) {
		c = 'a';
	} else if (GELF_ST_TYPE(s->st_info) == STT_FUNC) {
		c = 't';
	} else {
		Elf_Scn *scn = elf_getscn(elf, s->st_shndx);
		GElf_Shdr sh;
		c = 'd';
		if (scn && gelf_getshdr(scn, &sh)) {
			if (sh.sh_flags & SHF_EXECINSTR)
				c = 't';
			else if (!(sh.sh_flags & SHF_WRITE))
				c = 'r';
		}
	}
	if (bind == STB_WEAK)
		return c == 't' ? 'W' : 'V';
	return bind == STB_LOCAL ? c : (char)(c - 'a' + 'A');
}

int
kvm_sym_parse_elf(kvm_t *kd, struct kvm_symtab *t, const char *path, int fd)
{
	struct stat st;
	int err = 0;

	if (fstat(fd, &st) < 0)
		return kvm_error_sys(kd, "%s", path);
	if (!kvm_libelf_ready())
		return kvm_error(kd, KVM_ENOTSUP, "libelf: %s", elf_errmsg(-1));
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return kvm_error(kd, KVM_ECORRUPT, "%s: %s", path,
				 elf_errmsg(-1));
	Elf_Scn *scn = NULL, *symscn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			symscn = scn;
			break;
		}
	}
	if (!symscn) {
		err = kvm_error(kd, KVM_ENOENT,
				"%s: ELF file without a symbol table (.symtab)",
				path);
		goto out;
	}
	gelf_getshdr(symscn, &sh);
	if (!kvm_range_ok(sh.sh_offset, sh.sh_size, st.st_size) ||
	    sh.sh_entsize == 0) {
		err = kvm_error(kd, KVM_ETRUNC,
				"%s: symbol table lies past the end of the file",
				path);
		goto out;
	}
	Elf_Data *d = elf_getdata(symscn, NULL);
	if (!d) {
		err = kvm_error(kd, KVM_ECORRUPT, "%s: symbol table: %s", path,
				elf_errmsg(-1));
		goto out;
	}
	size_t n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			break;
		int type = GELF_ST_TYPE(s.st_info);
		if (type == STT_SECTION || type == STT_FILE ||
		    s.st_shndx == SHN_UNDEF)
			continue;
		const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		err = kvm_symtab_add(kd, t, name, strlen(name), s.st_value,
				     sym_letter(&s, elf));
		if (err)
			goto out;
	}
out:
	elf_end(elf);
	return err;
}
