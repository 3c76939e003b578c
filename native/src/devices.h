/*
 * devices.c's interface (parent side only): the device allowlist of a cgroup v2 directory.
 */
#ifndef MINICTR_DEVICES_H
#define MINICTR_DEVICES_H

#include "minictr.h"

/* devices.c: the device allowlist on cgroup v2, an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE)
 * attached to the container's cgroup2 directory. Rules as in OCI linux.resources.devices:
 * evaluated in order, the last matching one wins (for each access bit). */
#define CTR_DEV_ACC_MKNOD 1u       /* = BPF_DEVCG_ACC_MKNOD */
#define CTR_DEV_ACC_READ  2u       /* = BPF_DEVCG_ACC_READ */
#define CTR_DEV_ACC_WRITE 4u       /* = BPF_DEVCG_ACC_WRITE */
#define CTR_DEV_ACC_ALL   7u
struct ctr_dev_rule {
  int allow;
  char type;               /* 'a' (char and block), 'c' or 'b' */
  int64_t major, minor;    /* -1: any */
  unsigned access;         /* CTR_DEV_ACC_* */
};
struct ctr_dev_result {
  unsigned instructions;   /* length of the program built */
  uint32_t prog_id;        /* the kernel's id of the loaded program (bpftool prog show id N) */
  int replaced;            /* earlier minictr filters it took the place of (attach) */
  int err;                 /* on failure: errno, and the step that failed */
  char step[CTR_MAX_STEP];
};
struct bpf_insn;
/* The program for rules[0..n) into prog (room for ctr_devices_max_instructions(n)); returns
 * its length. Rules must be valid (type a/b/c, major/minor -1 or a device number). */
size_t ctr_devices_program(const struct ctr_dev_rule *rules, size_t n, struct bpf_insn *prog);
size_t ctr_devices_max_instructions(size_t n_rules);
/* Load the program and attach it to an open cgroup2 directory, in place of the one minictr
 * attached before (if any). path is for messages. 0, or -1 with r->err and r->step. */
int ctr_devices_attach(int cgroup_fd, const char *path, const struct ctr_dev_rule *rules, size_t n, struct ctr_dev_result *r);
/* Detach every filter minictr attached there: how many, or -1 with r->err and r->step. */
int ctr_devices_detach(int cgroup_fd, const char *path, struct ctr_dev_result *r);

#endif
