/*
 * seccomp.c's interface: the parent compiles a profile (OCI linux.seccomp) to classic BPF
 * with libseccomp; the child only loads the bytes (ctr_seccomp_load, no allocation).
 */
#ifndef MINICTR_SECCOMP_H
#define MINICTR_SECCOMP_H

#include <stdint.h>
#include <stddef.h>

struct ctr_seccomp_arg {
  int64_t index;           /* 0..5: which syscall argument */
  uint64_t value;          /* compared with it (MASKED_EQ: the mask) */
  uint64_t value_two;      /* MASKED_EQ: what the masked argument must equal */
  char *op;                /* "SCMP_CMP_EQ", "SCMP_CMP_MASKED_EQ", ... */
};
struct ctr_seccomp_syscall {
  char **names; size_t n_names;
  char *action;            /* "SCMP_ACT_ERRNO", ... */
  int has_errno_ret; int64_t errno_ret; /* ERRNO: the errno (default EPERM); TRACE: the trace value */
  struct ctr_seccomp_arg *args; size_t n_args; /* all must match (AND) */
};
struct ctr_seccomp_profile {
  char *default_action;
  int has_default_errno_ret; int64_t default_errno_ret;
  char **architectures; size_t n_architectures; /* "SCMP_ARCH_X86_64", ...; the native one is always in */
  char **flags; size_t n_flags;                 /* "SECCOMP_FILTER_FLAG_TSYNC", ... */
  struct ctr_seccomp_syscall *syscalls; size_t n_syscalls;
};
struct ctr_seccomp_filter {
  void *bpf; size_t len;   /* struct sock_filter[], malloc'd; len in bytes */
  unsigned flags;          /* SECCOMP_FILTER_FLAG_* word for seccomp(SECCOMP_SET_MODE_FILTER) */
  size_t allowed;          /* distinct syscalls of this machine's architecture that got an ALLOW rule */
};
/* Parent only. shorten: the range fast path in front (seccomp-short.h) when it decides the
 * same, else libseccomp's program as it is. 0, or -1 with err set to one line that names the field, e.g.
 * 'linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"'. *invalid is 1 when the
 * profile is at fault, 0 when the system is (memory, memfd). */
int ctr_seccomp_compile(const struct ctr_seccomp_profile *p, int shorten, struct ctr_seccomp_filter *out,
                        char *err, size_t errlen, int *invalid);
void ctr_seccomp_free(struct ctr_seccomp_filter *f);
/* Child side, safe after clone(): no allocation. 0, or -1 with errno. Needs no_new_privs or
 * CAP_SYS_ADMIN. */
int ctr_seccomp_load(const void *bpf, size_t len, unsigned flags);

#endif
