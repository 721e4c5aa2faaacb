// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel log as both loaders (printk.c from a dump, proc_live.c from
 * syslog(2)) build it: an array of records and one pool of their texts,
 * grown geometrically and bounded by KVM_LOG_MAX_*.
 */
#include <stdlib.h>
#include <string.h>

#include "proc.h"

static int
log_grow(kvm_t *kd, void **p, size_t *cap, size_t need, size_t elem, size_t max)
{
	if (need <= *cap)
		return 0;
	if (need > max)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kernel log: more than %zu %s", max,
				 elem == 1 ? "bytes of text" : "records");
	size_t n = *cap ? *cap : (elem == 1 ? 65536 : 1024);
	while (n < need)
		n *= 2;
	if (n > max)
		n = max;
	void *q = realloc(*p, n * elem);
	if (!q)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	*p = q;
	*cap = n;
	return 0;
}

int
kvm_log_add(kvm_t *kd, struct kvm_log *log, uint64_t seq, uint64_t ts_nsec,
	    int level, int facility, uint32_t caller_id, const char *text,
	    size_t len)
{
	int err;

	if ((err = log_grow(kd, (void **)&log->ents, &log->cap, log->n + 1,
			    sizeof(*log->ents), KVM_LOG_MAX_RECORDS)))
		return err;
	if ((err = log_grow(kd, (void **)&log->text, &log->text_cap,
			    log->text_len + len + 1, 1, KVM_LOG_MAX_TEXT)))
		return err;
	struct kvm_log_entry *e = &log->ents[log->n++];
	memcpy(log->text + log->text_len, text, len);
	log->text[log->text_len + len] = '\0';
	/* An offset until kvm_log_finish(): the pool may still move. */
	e->text = (const char *)(uintptr_t)log->text_len;
	e->text_len = len;
	log->text_len += len + 1;
	e->seq = seq;
	e->ts_nsec = ts_nsec;
	e->level = level;
	e->facility = facility;
	e->caller_id = caller_id;
	return 0;
}

void
kvm_log_finish(struct kvm_log *log)
{
	if (log->finished)
		return;
	for (size_t i = 0; i < log->n; i++)
		log->ents[i].text = log->text + (uintptr_t)log->ents[i].text;
	log->finished = true;
}

void
kvm_log_deinit(struct kvm_log *log)
{
	free(log->ents);
	free(log->text);
	memset(log, 0, sizeof(*log));
}
