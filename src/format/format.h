/* SPDX-License-Identifier: BSD-2-Clause */
/* The format plug-ins known to registry.c. */
#ifndef KVM_FORMAT_H
#define KVM_FORMAT_H

#include "../kvm_private.h"

extern const struct kvm_format_ops kvm_format_raw;
extern const struct kvm_format_ops kvm_format_flattened;
extern const struct kvm_format_ops kvm_format_kdump;
extern const struct kvm_format_ops kvm_format_elf;
extern const struct kvm_format_ops kvm_format_lime;
extern const struct kvm_format_ops kvm_format_kvmdump;

#endif
