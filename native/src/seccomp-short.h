/*
 * seccomp-short.c's interface: pure classic-BPF helpers (no libseccomp, no system calls) that
 * put a range-based fast path in front of a libseccomp program and check that the result
 * decides every system call as the original does. Used by seccomp.c in the parent.
 */
#ifndef MINICTR_SECCOMP_SHORT_H
#define MINICTR_SECCOMP_SHORT_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/* Runs a seccomp program on { nr, arch, rest }, rest being seccomp_data's words from offset 8
 * (instruction pointer, then the six 64-bit arguments, low word first: 14 words). rest NULL:
 * "any arguments", and the run stops when the program reads one. 1: *ret is the action;
 * 0: rest was NULL and the action depends on the arguments; -1: not a program this reads. */
int ctr_bpf_run(const struct sock_filter *f, size_t n, uint32_t nr, uint32_t arch, const uint32_t *rest, uint32_t *ret);

/* One syscall the fast path decides, whatever its arguments. */
struct ctr_bpf_decision { uint32_t arch, nr, action; };

/* The fast path for d (any order; sorted here) followed by tail: per architecture, runs of
 * consecutive numbers with the same action become one range check; what it does not decide
 * goes on to tail, unchanged. *out is malloc'd. 0, or -1 (out of memory, too many actions). */
int ctr_bpf_prepend_ranges(struct ctr_bpf_decision *d, size_t nd, const struct sock_filter *tail, size_t tail_n,
                           struct sock_filter **out, size_t *out_n);

/* 1 when a and b return the same action for every syscall number, on each of the nt
 * architectures (and on one they do not name), and, where the action depends on the
 * arguments, for arguments built from every constant either program compares with; 0 when
 * they differ, -1 when either is not a program this reads. */
int ctr_bpf_same(const struct sock_filter *a, size_t an, const struct sock_filter *b, size_t bn, const uint32_t *archs, size_t nt);

#endif
