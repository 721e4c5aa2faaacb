/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel types the task walker (src/proc/proc_dump.c) reads, as one
 * table: a compact layout with the kernel's type and member names (the
 * offsets are this file's, not any kernel's), in the variants the walker
 * tells apart.  From it, libbpf's btf__add_*() build the BTF
 * (fl_build_btf) and fl_vmcoreinfo() writes the OFFSET()/SIZE() lines a
 * kernel without BTF would need; fl_off() gives a member's offset to the
 * seed writer (mkseeds-types.c).  Used by fuzz_tasks.c and the seeds of
 * fuzz_btf and fuzz_tasks.  Pointers are 8 bytes.
 */
#ifndef FUZZ_LAYOUT_H
#define FUZZ_LAYOUT_H

#include <bpf/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Variants (bits): the kernels the walker knows apart. */
#define FL_OLD_PIDS 1u	 /* < 4.19: task->pids[] (pid_link), enum 0 1 2 */
#define FL_PERCPU_RSS 2u /* 6.2+: mm->rss_stat is percpu_counter[4] */
#define FL_TTY_PGRP 4u	 /* < 5.17: tty->pgrp, not tty->ctrl.pgrp */
#define FL_OLD_NAMES 8u	 /* state, real_start_time, set_child_tid */
#define FL_VARIANTS 16u

struct fl_member {
	const char *type, *name;
	uint32_t off;
	const char *mtype; /* a base type below, "ptr" or a struct's name */
	uint32_t nelem;	   /* > 0: an array of that many */
	unsigned only, never; /* variant bits it needs / it must not have */
};

struct fl_struct {
	const char *name;
	uint32_t size;
	unsigned only, never;
};

/* In the order BTF needs them: a struct before its users. */
static const struct fl_struct fl_structs[] = {
	{ "list_head", 16, 0, 0 },
	{ "hlist_node", 16, 0, 0 },
	{ "upid", 16, 0, 0 },
	{ "pid", 40, 0, 0 },
	{ "pid_link", 24, FL_OLD_PIDS, 0 },
	{ "tty_ctrl", 16, 0, FL_TTY_PGRP },
	{ "mm_rss_stat", 32, 0, FL_PERCPU_RSS },
	{ "percpu_counter", 40, FL_PERCPU_RSS, 0 },
	{ "kthread", 24, 0, 0 },
	{ "worker", 40, 0, 0 },
	{ "signal_struct", 48, 0, 0 },
	{ "task_struct", 256, 0, 0 },
	{ "mm_struct", 96, 0, FL_PERCPU_RSS },
	{ "mm_struct", 208, FL_PERCPU_RSS, 0 },
	{ "cred", 32, 0, 0 },
	{ "tty_struct", 40, 0, 0 },
	{ "tty_driver", 16, 0, 0 },
};

static const struct fl_member fl_members[] = {
	{ "list_head", "next", 0, "ptr", 0, 0, 0 },
	{ "list_head", "prev", 8, "ptr", 0, 0, 0 },
	{ "hlist_node", "next", 0, "ptr", 0, 0, 0 },
	{ "hlist_node", "pprev", 8, "ptr", 0, 0, 0 },
	{ "upid", "nr", 0, "int", 0, 0, 0 },
	{ "upid", "ns", 8, "ptr", 0, 0, 0 },
	{ "pid", "count", 0, "int", 0, 0, 0 },
	{ "pid", "level", 4, "unsigned int", 0, 0, 0 },
	{ "pid", "numbers", 24, "upid", 1, 0, 0 },
	{ "pid_link", "node", 0, "hlist_node", 0, 0, 0 },
	{ "pid_link", "pid", 16, "ptr", 0, 0, 0 },
	{ "tty_ctrl", "pgrp", 0, "ptr", 0, 0, 0 },
	{ "tty_ctrl", "session", 8, "ptr", 0, 0, 0 },
	{ "mm_rss_stat", "count", 0, "long int", 4, 0, 0 },
	{ "percpu_counter", "lock", 0, "unsigned int", 0, 0, 0 },
	{ "percpu_counter", "count", 8, "long long int", 0, 0, 0 },
	{ "percpu_counter", "list", 16, "list_head", 0, 0, 0 },
	{ "percpu_counter", "counters", 32, "ptr", 0, 0, 0 },
	{ "kthread", "flags", 0, "long unsigned int", 0, 0, 0 },
	{ "kthread", "data", 8, "ptr", 0, 0, 0 },
	{ "kthread", "full_name", 16, "ptr", 0, 0, 0 },
	{ "worker", "current_work", 0, "ptr", 0, 0, 0 },
	{ "worker", "pool", 8, "ptr", 0, 0, 0 },
	{ "worker", "desc", 16, "char", 24, 0, 0 },
	{ "signal_struct", "nr_threads", 0, "int", 0, 0, 0 },
	{ "signal_struct", "pids", 8, "ptr", 4, 0, FL_OLD_PIDS },
	{ "signal_struct", "tty", 40, "ptr", 0, 0, 0 },
	{ "task_struct", "__state", 0, "unsigned int", 0, 0, FL_OLD_NAMES },
	{ "task_struct", "state", 0, "unsigned int", 0, FL_OLD_NAMES, 0 },
	{ "task_struct", "flags", 4, "unsigned int", 0, 0, 0 },
	{ "task_struct", "prio", 8, "int", 0, 0, 0 },
	{ "task_struct", "static_prio", 12, "int", 0, 0, 0 },
	{ "task_struct", "tasks", 16, "list_head", 0, 0, 0 },
	{ "task_struct", "mm", 32, "ptr", 0, 0, 0 },
	{ "task_struct", "exit_state", 40, "int", 0, 0, 0 },
	{ "task_struct", "pid", 44, "int", 0, 0, 0 },
	{ "task_struct", "tgid", 48, "int", 0, 0, 0 },
	{ "task_struct", "real_parent", 56, "ptr", 0, 0, 0 },
	{ "task_struct", "utime", 64, "long long unsigned int", 0, 0, 0 },
	{ "task_struct", "stime", 72, "long long unsigned int", 0, 0, 0 },
	{ "task_struct", "start_boottime", 80, "long long unsigned int", 0, 0,
	  FL_OLD_NAMES },
	{ "task_struct", "real_start_time", 80, "long long unsigned int", 0,
	  FL_OLD_NAMES, 0 },
	{ "task_struct", "real_cred", 88, "ptr", 0, 0, 0 },
	{ "task_struct", "comm", 96, "char", 16, 0, 0 },
	{ "task_struct", "signal", 112, "ptr", 0, 0, 0 },
	{ "task_struct", "worker_private", 120, "ptr", 0, 0, FL_OLD_NAMES },
	{ "task_struct", "set_child_tid", 120, "ptr", 0, FL_OLD_NAMES, 0 },
	{ "task_struct", "pids", 128, "pid_link", 4, FL_OLD_PIDS, 0 },
	{ "mm_struct", "pgd", 0, "ptr", 0, 0, 0 },
	{ "mm_struct", "total_vm", 8, "long unsigned int", 0, 0, 0 },
	{ "mm_struct", "arg_start", 16, "long unsigned int", 0, 0, 0 },
	{ "mm_struct", "arg_end", 24, "long unsigned int", 0, 0, 0 },
	{ "mm_struct", "env_start", 32, "long unsigned int", 0, 0, 0 },
	{ "mm_struct", "env_end", 40, "long unsigned int", 0, 0, 0 },
	{ "mm_struct", "rss_stat", 48, "mm_rss_stat", 0, 0, FL_PERCPU_RSS },
	{ "mm_struct", "rss_stat", 48, "percpu_counter", 4, FL_PERCPU_RSS, 0 },
	{ "cred", "usage", 0, "int", 0, 0, 0 },
	{ "cred", "uid", 4, "unsigned int", 0, 0, 0 },
	{ "cred", "gid", 8, "unsigned int", 0, 0, 0 },
	{ "cred", "suid", 12, "unsigned int", 0, 0, 0 },
	{ "cred", "sgid", 16, "unsigned int", 0, 0, 0 },
	{ "cred", "euid", 20, "unsigned int", 0, 0, 0 },
	{ "cred", "egid", 24, "unsigned int", 0, 0, 0 },
	{ "tty_struct", "magic", 0, "int", 0, 0, 0 },
	{ "tty_struct", "driver", 8, "ptr", 0, 0, 0 },
	{ "tty_struct", "index", 16, "int", 0, 0, 0 },
	{ "tty_struct", "ctrl", 24, "tty_ctrl", 0, 0, FL_TTY_PGRP },
	{ "tty_struct", "pgrp", 24, "ptr", 0, FL_TTY_PGRP, 0 },
	{ "tty_driver", "magic", 0, "int", 0, 0, 0 },
	{ "tty_driver", "major", 4, "int", 0, 0, 0 },
	{ "tty_driver", "minor_start", 8, "int", 0, 0, 0 },
	{ "tty_driver", "num", 12, "int", 0, 0, 0 },
};

#define FL_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static inline int
fl_in(unsigned v, unsigned only, unsigned never)
{
	return (v & only) == only && !(v & never);
}

/* A member's offset in variant v, or -1. */
static inline int64_t
fl_off(unsigned v, const char *type, const char *name)
{
	for (size_t i = 0; i < FL_COUNT(fl_members); i++) {
		const struct fl_member *m = &fl_members[i];
		if (fl_in(v, m->only, m->never) && strcmp(m->type, type) == 0 &&
		    strcmp(m->name, name) == 0)
			return m->off;
	}
	return -1;
}

static inline uint32_t
fl_size(unsigned v, const char *type)
{
	for (size_t i = 0; i < FL_COUNT(fl_structs); i++)
		if (fl_in(v, fl_structs[i].only, fl_structs[i].never) &&
		    strcmp(fl_structs[i].name, type) == 0)
			return fl_structs[i].size;
	return 0;
}

/* enum pid_type: PIDTYPE_PGID and _SID (4.19 added PIDTYPE_TGID). */
static inline int
fl_pidtype_pgid(unsigned v)
{
	return v & FL_OLD_PIDS ? 1 : 2;
}

static inline int
fl_pidtype_sid(unsigned v)
{
	return v & FL_OLD_PIDS ? 2 : 3;
}

/* The BTF of variant v, or NULL (libbpf's errno). */
static inline struct btf *
fl_build_btf(unsigned v)
{
	static const struct {
		const char *name;
		uint32_t size;
		int enc;
	} base[] = {
		{ "int", 4, BTF_INT_SIGNED },
		{ "unsigned int", 4, 0 },
		{ "long int", 8, BTF_INT_SIGNED },
		{ "long unsigned int", 8, 0 },
		{ "long long int", 8, BTF_INT_SIGNED },
		{ "long long unsigned int", 8, 0 },
		{ "char", 1, BTF_INT_CHAR },
	};
	struct {
		const char *name;
		int id;
	} ids[FL_COUNT(base) + FL_COUNT(fl_structs) + 1];
	size_t nids = 0;
	struct btf *b = btf__new_empty();

	if (!b)
		return NULL;
	int id_int = 0;
	for (size_t i = 0; i < FL_COUNT(base); i++) {
		int id = btf__add_int(b, base[i].name, base[i].size,
				      base[i].enc);
		if (id < 0)
			goto fail;
		if (i == 0)
			id_int = id;
		ids[nids].name = base[i].name;
		ids[nids++].id = id;
	}
	int id = btf__add_ptr(b, 0);
	if (id < 0)
		goto fail;
	ids[nids].name = "ptr";
	ids[nids++].id = id;
	for (size_t s = 0; s < FL_COUNT(fl_structs); s++) {
		const struct fl_struct *st = &fl_structs[s];
		if (!fl_in(v, st->only, st->never))
			continue;
		/* Member types first: fields must follow their struct. */
		int mt[16];
		size_t nm = 0;
		for (size_t i = 0; i < FL_COUNT(fl_members) && nm < 16; i++) {
			const struct fl_member *m = &fl_members[i];
			if (strcmp(m->type, st->name) != 0 ||
			    !fl_in(v, m->only, m->never))
				continue;
			int t = -1;
			for (size_t k = 0; k < nids; k++)
				if (strcmp(ids[k].name, m->mtype) == 0)
					t = ids[k].id;
			if (t < 0)
				goto fail;
			if (m->nelem)
				t = btf__add_array(b, id_int, t, m->nelem);
			if (t < 0)
				goto fail;
			mt[nm++] = t;
		}
		int sid = btf__add_struct(b, st->name, st->size);
		if (sid < 0)
			goto fail;
		nm = 0;
		for (size_t i = 0; i < FL_COUNT(fl_members) && nm < 16; i++) {
			const struct fl_member *m = &fl_members[i];
			if (strcmp(m->type, st->name) != 0 ||
			    !fl_in(v, m->only, m->never))
				continue;
			if (btf__add_field(b, m->name, mt[nm++], m->off * 8, 0))
				goto fail;
		}
		ids[nids].name = st->name;
		ids[nids++].id = sid;
	}
	if (btf__add_enum(b, "pid_type", 4) < 0)
		goto fail;
	static const char *const pt[] = { "PIDTYPE_PID", "PIDTYPE_TGID",
					   "PIDTYPE_PGID", "PIDTYPE_SID",
					   "PIDTYPE_MAX" };
	for (int i = 0, val = 0; i < 5; i++) {
		if (i == 1 && (v & FL_OLD_PIDS))
			continue;
		if (btf__add_enum_value(b, pt[i], val++))
			goto fail;
	}
	return b;
fail:
	btf__free(b);
	return NULL;
}

/*
 * The OFFSET()/SIZE() lines of variant v (with tty_struct.ctrl.pgrp as
 * the walker spells it): what a kernel without BTF would have to say.
 * Returns the length written (at most cap - 1).
 */
static inline size_t
fl_vmcoreinfo(unsigned v, char *buf, size_t cap)
{
	size_t n = 0;

#define FL_ADD(...)                                                   \
	do {                                                          \
		int k = snprintf(buf + n, cap - n, __VA_ARGS__);      \
		if (k > 0)                                            \
			n = n + (size_t)k < cap ? n + (size_t)k       \
						: cap - 1;            \
	} while (0)
	FL_ADD("OSRELEASE=6.1.0-fuzz\nPAGESIZE=4096\n");
	for (size_t i = 0; i < FL_COUNT(fl_structs); i++)
		if (fl_in(v, fl_structs[i].only, fl_structs[i].never))
			FL_ADD("SIZE(%s)=%u\n", fl_structs[i].name,
			       fl_structs[i].size);
	for (size_t i = 0; i < FL_COUNT(fl_members); i++)
		if (fl_in(v, fl_members[i].only, fl_members[i].never))
			FL_ADD("OFFSET(%s.%s)=%u\n", fl_members[i].type,
			       fl_members[i].name, fl_members[i].off);
	if (!(v & FL_TTY_PGRP))
		FL_ADD("OFFSET(tty_struct.ctrl.pgrp)=%lld\n",
		       (long long)(fl_off(v, "tty_struct", "ctrl") +
				   fl_off(v, "tty_ctrl", "pgrp")));
#undef FL_ADD
	return n;
}

#endif
