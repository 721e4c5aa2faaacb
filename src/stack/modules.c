// SPDX-License-Identifier: BSD-2-Clause
/*
 * Loaded modules, for the unwinders and for naming frames: the module
 * list (the kernel's `modules`) through BTF, each module's name, core
 * text range, x86_64 ORC tables (struct module's arch member) and its
 * symbols (struct mod_kallsyms: an ELF symbol table and its strings).  A
 * frame in a module is named as the kernel's kallsyms names it: the
 * closest defined, named symbol at or below the pc that is not an ARM
 * mapping symbol ($x, $d...), sized up to the next one or the end of the
 * text (kernel/module/kallsyms.c find_kallsyms_symbol()).
 *
 * The list is read once; a list that loops or breaks keeps the modules
 * read before it, and a module whose symbols cannot be read is still
 * named.
 */
#include <stdlib.h>
#include <string.h>

#include "stack.h"

#define MAX_MODULES 8192
/* Far above any module (the largest have ~20k symbols). */
#define MAX_MODULE_SYMS (1u << 18)
#define ELF64_SYM_SIZE 24

struct modlist {
	bool done;
	struct kvm_module *mods;
	size_t n;
	/*
	 * The symbol table last read (frames come in runs from one module):
	 * a stack is not a re-read of up to 6 MiB a frame.
	 */
	const struct kvm_module *tab_of;
	uint8_t *tab;
};

static bool
off(kvm_t *kd, const char *type, const char *member, uint64_t *o,
    uint64_t *size)
{
	uint64_t s;

	return kvm_types_offsetof(kd, type, member, o, size ? size : &s) == 0;
}

static void
load(kvm_t *kd, struct modlist *ml)
{
	uint64_t head, o_list, o_name, nsize, o_base, o_tsize, size;
	uint32_t tsize_size = 4;

	if (kvm_sym_lookup(kd, "modules", &head) ||
	    !off(kd, "module", "list", &o_list, NULL) ||
	    !off(kd, "module", "name", &o_name, &nsize))
		return;
	/* Text: mem[MOD_TEXT] (the first) since 6.4, core_layout before. */
	uint64_t o_mem, mb, ms;
	if (off(kd, "module", "mem", &o_mem, NULL) &&
	    off(kd, "module_memory", "base", &mb, NULL) &&
	    off(kd, "module_memory", "size", &ms, &size)) {
		o_base = o_mem + mb;
		o_tsize = o_mem + ms;
		tsize_size = (uint32_t)(size ? size : 4);
	} else if (off(kd, "module", "core_layout.base", &o_base, NULL) &&
		   (off(kd, "module", "core_layout.text_size", &o_tsize,
			&size) ||
		    off(kd, "module", "core_layout.size", &o_tsize, &size))) {
		tsize_size = (uint32_t)(size ? size : 4);
	} else {
		return;
	}
	if (tsize_size != 4 && tsize_size != 8)
		return;
	/* Optional: ORC (x86_64) and the symbols. */
	uint64_t o_norcs, o_oip, o_orc, o_ks, o_st, o_nst, o_str;
	bool orc = off(kd, "module", "arch.num_orcs", &o_norcs, NULL) &&
		   off(kd, "module", "arch.orc_unwind_ip", &o_oip, NULL) &&
		   off(kd, "module", "arch.orc_unwind", &o_orc, NULL);
	bool syms = off(kd, "module", "kallsyms", &o_ks, NULL) &&
		    off(kd, "mod_kallsyms", "symtab", &o_st, NULL) &&
		    off(kd, "mod_kallsyms", "num_symtab", &o_nst, NULL) &&
		    off(kd, "mod_kallsyms", "strtab", &o_str, NULL);
	kvm_error_clear(kd);

	uint64_t next, prev = head;
	if (kvm_virt_read_uint(kd, head, 8, &next))
		return;
	for (size_t count = 0; next != head && count < MAX_MODULES; count++) {
		uint64_t mod = next - o_list, nx, back, v;
		struct kvm_module m;
		size_t done;
		memset(&m, 0, sizeof(m));
		if (kvm_virt_read_uint(kd, next, 8, &nx) ||
		    kvm_virt_read_uint(kd, next + 8, 8, &back) || back != prev)
			break;
		size_t nl = KVM_MIN((size_t)nsize, sizeof(m.name) - 1);
		if (kvm_virt_read(kd, mod + o_name, m.name, nl, &done))
			break;
		m.name[nl] = '\0';
		if (kvm_virt_read_uint(kd, mod + o_base, 8, &m.text_lo) ||
		    kvm_virt_read_uint(kd, mod + o_tsize, tsize_size, &v) ||
		    m.text_lo + v < m.text_lo)
			break;
		m.text_hi = m.text_lo + v;
		if (orc &&
		    kvm_virt_read_uint(kd, mod + o_norcs, 4, &m.norcs) == 0 &&
		    (kvm_virt_read_uint(kd, mod + o_oip, 8, &m.orc_ip) ||
		     kvm_virt_read_uint(kd, mod + o_orc, 8, &m.orc)))
			m.norcs = 0;
		uint64_t ks;
		if (syms && kvm_virt_read_uint(kd, mod + o_ks, 8, &ks) == 0 &&
		    ks &&
		    kvm_virt_read_uint(kd, ks + o_st, 8, &m.symtab) == 0 &&
		    kvm_virt_read_uint(kd, ks + o_nst, 4, &v) == 0 &&
		    kvm_virt_read_uint(kd, ks + o_str, 8, &m.strtab) == 0)
			m.nsyms = v <= MAX_MODULE_SYMS ? (uint32_t)v : 0;
		struct kvm_module *grown =
			realloc(ml->mods, (ml->n + 1) * sizeof(*grown));
		if (!grown)
			break;
		ml->mods = grown;
		ml->mods[ml->n++] = m;
		prev = next;
		next = nx;
	}
	kvm_error_clear(kd);
}

static struct modlist *
list_of(kvm_t *kd)
{
	if (!kd->stack && !(kd->stack = calloc(1, sizeof(*kd->stack))))
		return NULL;
	if (!kd->stack->mods &&
	    !(kd->stack->mods = calloc(1, sizeof(struct modlist))))
		return NULL;
	struct modlist *ml = kd->stack->mods;
	if (!ml->done) {
		ml->done = true;
		load(kd, ml);
	}
	return ml;
}

const struct kvm_module *
kvm_stack_modules(kvm_t *kd, size_t *n_ret)
{
	struct modlist *ml = list_of(kd);

	*n_ret = ml ? ml->n : 0;
	return ml ? ml->mods : NULL;
}

const struct kvm_module *
kvm_stack_module_at(kvm_t *kd, uint64_t pc)
{
	size_t n;
	const struct kvm_module *m = kvm_stack_modules(kd, &n);

	for (size_t i = 0; i < n; i++)
		if (pc >= m[i].text_lo && pc < m[i].text_hi)
			return &m[i];
	return NULL;
}

/* ARM mapping symbols ($a, $x, $d, $t, optionally ".N"): not functions. */
static bool
mapping_symbol(const char *s)
{
	return s[0] == '$' && s[1] && strchr("axtd", s[1]) &&
	       (s[2] == '\0' || s[2] == '.');
}

int
kvm_stack_module_sym(kvm_t *kd, const struct kvm_module *m, uint64_t pc,
		     char *name, size_t namesz, uint64_t *start_ret,
		     uint64_t *size_ret)
{
	uint64_t best = 0, bestval = 0, nextval = m->text_hi;
	size_t done;
	struct modlist *ml = kd->stack ? kd->stack->mods : NULL;

	if (!ml || !m->nsyms || !m->symtab || !m->strtab || namesz < 2)
		return -KVM_ENOENT;
	size_t len = (size_t)m->nsyms * ELF64_SYM_SIZE;
	if (ml->tab_of != m) {
		free(ml->tab);
		ml->tab_of = NULL;
		if (!(ml->tab = malloc(len)))
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		if (kvm_virt_read(kd, m->symtab, ml->tab, len, &done)) {
			free(ml->tab);
			ml->tab = NULL;
			kvm_error_clear(kd);
			return -KVM_ENOENT;
		}
		ml->tab_of = m;
	}
	const uint8_t *tab = ml->tab;
	/* Elf64_Sym: st_name u32, st_info, st_other, st_shndx u16, value. */
	char nb[KVM_STACK_NAME_MAX];
	for (uint32_t i = 1; i < m->nsyms; i++) {
		const uint8_t *s = tab + (size_t)i * ELF64_SYM_SIZE;
		uint64_t val = kvm_tgt_uint(kd, s + 8, 8);
		if (kvm_tgt_uint(kd, s + 6, 2) == 0) /* SHN_UNDEF */
			continue;
		if (!(val <= pc && val > bestval) &&
		    !(val > pc && val < nextval))
			continue;
		uint64_t sn = kvm_tgt_uint(kd, s, 4);
		done = 0;
		kvm_virt_read(kd, m->strtab + sn, nb, 4, &done);
		if (done < 1 || nb[0] == '\0' ||
		    (done >= 3 && mapping_symbol(nb)))
			continue;
		if (val <= pc && val > bestval) {
			best = i;
			bestval = val;
		} else {
			nextval = val;
		}
	}
	kvm_error_clear(kd);
	if (!best)
		return -KVM_ENOENT;
	uint64_t sn = kvm_tgt_uint(kd, tab + best * ELF64_SYM_SIZE, 4);
	done = 0;
	kvm_virt_read(kd, m->strtab + sn, name, namesz - 1, &done);
	kvm_error_clear(kd);
	name[KVM_MIN(done, namesz - 1)] = '\0';
	if (!memchr(name, '\0', namesz) || !name[0])
		return -KVM_ENOENT;
	*start_ret = bestval;
	*size_ret = nextval - bestval;
	return 0;
}

void
kvm_stack_modules_fini(kvm_t *kd)
{
	if (kd->stack && kd->stack->mods) {
		struct modlist *ml = kd->stack->mods;
		free(ml->tab);
		free(ml->mods);
		free(ml);
		kd->stack->mods = NULL;
	}
}
