/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Swapped-out user pages (src/proc/swap.c): the swap areas given to
 * kvm_openfiles() (or, on the running kernel, those /proc/swaps lists),
 * matched to the dump's swap_info[] entries, and the reads of a slot.
 */
#ifndef KVM_PROC_SWAP_H
#define KVM_PROC_SWAP_H

#include <stddef.h>
#include <stdint.h>

#include "../kvm_private.h"

/*
 * Read len bytes at pgoff of the page that swap entry e names (what a
 * user PTE held, decoded by the arch): from the swap cache when the page
 * is still in memory, else from the area's file.  0, or -code with a
 * message that names the area and, when its file was not given, the
 * option that gives it.
 */
int kvm_swap_read(kvm_t *kd, const struct kvm_swp_entry *e, uint64_t pgoff,
		  void *buf, size_t len);

#endif /* KVM_PROC_SWAP_H */
