/*
 * Seccomp: which system calls the container may make (the OCI linux.seccomp object).
 *
 * Two halves, on either side of clone():
 *  - the parent compiles the profile into a classic BPF program with libseccomp, the library
 *    crun uses: it knows every syscall's number on every architecture (x86_64, its i386 and
 *    x32 ABIs, aarch64, ...), and writes the arch checks a hand-made filter gets wrong (a
 *    filter that only knows x86_64 numbers is bypassed by an int 0x80 i386 call);
 *  - the child loads those bytes with the raw seccomp() syscall as its very last step before
 *    execve: no libseccomp and no malloc there, as everywhere after clone().
 *
 * Like runc: a syscall name this libseccomp does not know is skipped (profiles list the
 * syscalls of many kernels), a rule whose action is the default action is skipped (libseccomp
 * refuses them), and conditions on the same argument twice become one rule each (OR).
 *
 * libseccomp's program has one compare per allowed syscall and ABI (974 instructions for
 * Docker's default on x86_64); shorten_filter puts seccomp-short.c's range checks in front of
 * a second libseccomp program that keeps only what they do not decide (409), and keeps it only
 * if it decides every call as the first one does.
 */
#include "minictr.h"
#include "seccomp.h"
#include "seccomp-short.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif

#define MAX_ARGS 6 /* a syscall has at most six arguments */

static int bad(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, len, fmt, ap);
  va_end(ap);
  return -1;
}

/* "SCMP_ACT_ERRNO" + errnoRet -> libseccomp's action word. where: "linux.seccomp.syscalls[3]" */
static int parse_action(const char *name, int has_ret, int64_t ret, const char *where, const char *action_key,
                        const char *ret_key, uint32_t *out, char *err, size_t len) {
  int takes_ret = 0;
  if (!name) return bad(err, len, "%s.%s: missing", where, action_key);
  if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD")) *out = SCMP_ACT_KILL_THREAD;
  else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS")) *out = SCMP_ACT_KILL_PROCESS;
  else if (!strcmp(name, "SCMP_ACT_TRAP")) *out = SCMP_ACT_TRAP;
  else if (!strcmp(name, "SCMP_ACT_ALLOW")) *out = SCMP_ACT_ALLOW;
  else if (!strcmp(name, "SCMP_ACT_LOG")) *out = SCMP_ACT_LOG;
  else if (!strcmp(name, "SCMP_ACT_ERRNO") || !strcmp(name, "SCMP_ACT_TRACE")) takes_ret = 1;
  else if (!strcmp(name, "SCMP_ACT_NOTIFY"))
    return bad(err, len, "%s.%s: SCMP_ACT_NOTIFY is not supported (minictr has no seccomp listener)", where, action_key);
  else return bad(err, len, "%s.%s: unknown action \"%s\"", where, action_key, name);

  if (!takes_ret) {
    if (has_ret) return bad(err, len, "%s.%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value, not %s", where, ret_key, name);
    return 0;
  }
  /* SECCOMP_RET_DATA is 16 bits; runc's default for both is EPERM */
  if (has_ret && (ret < 0 || ret > 0xffff)) return bad(err, len, "%s.%s: must be 0 to 65535, not %lld", where, ret_key, (long long)ret);
  uint16_t data = has_ret ? (uint16_t)ret : EPERM;
  *out = !strcmp(name, "SCMP_ACT_ERRNO") ? SCMP_ACT_ERRNO(data) : SCMP_ACT_TRACE(data);
  return 0;
}

static int parse_op(const char *name, enum scmp_compare *out) {
  static const struct { const char *name; enum scmp_compare op; } ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  for (size_t i = 0; name && i < sizeof ops / sizeof ops[0]; i++)
    if (!strcmp(name, ops[i].name)) { *out = ops[i].op; return 0; }
  return -1;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64": every architecture libseccomp knows */
static uint32_t parse_arch(const char *name) {
  char lower[32];
  if (!name || strncmp(name, "SCMP_ARCH_", 10) != 0 || strlen(name + 10) >= sizeof lower) return 0;
  size_t i = 0;
  for (const char *p = name + 10; *p; p++) lower[i++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
  lower[i] = '\0';
  return seccomp_arch_resolve_name(lower);
}

static int parse_flags(const struct ctr_seccomp_profile *p, unsigned *out, char *err, size_t len) {
  *out = 0;
  for (size_t i = 0; i < p->n_flags; i++) {
    const char *f = p->flags[i];
    if (!strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC")) *out |= SECCOMP_FILTER_FLAG_TSYNC;
    else if (!strcmp(f, "SECCOMP_FILTER_FLAG_LOG")) *out |= SECCOMP_FILTER_FLAG_LOG;
    else if (!strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW")) *out |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    else return bad(err, len, "linux.seccomp.flags[%zu]: unknown flag \"%s\" (minictr knows SECCOMP_FILTER_FLAG_TSYNC, "
                    "SECCOMP_FILTER_FLAG_LOG and SECCOMP_FILTER_FLAG_SPEC_ALLOW)", i, f);
  }
  return 0;
}

/* The conditions of one rule. Sets *repeated when an argument is compared more than once. */
static int parse_args(const struct ctr_seccomp_syscall *s, size_t si, struct scmp_arg_cmp *cmp, int *repeated,
                      char *err, size_t len) {
  unsigned seen = 0;
  *repeated = 0;
  for (size_t j = 0; j < s->n_args; j++) {
    const struct ctr_seccomp_arg *a = &s->args[j];
    enum scmp_compare op;
    if (a->index < 0 || a->index >= MAX_ARGS)
      return bad(err, len, "linux.seccomp.syscalls[%zu].args[%zu].index: must be 0 to 5, not %lld", si, j, (long long)a->index);
    if (parse_op(a->op, &op) < 0) {
      if (!a->op) return bad(err, len, "linux.seccomp.syscalls[%zu].args[%zu].op: missing", si, j);
      return bad(err, len, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator \"%s\"", si, j, a->op);
    }
    if (seen & (1u << a->index)) *repeated = 1;
    seen |= 1u << a->index;
    cmp[j] = (struct scmp_arg_cmp){ .arg = (unsigned)a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two };
  }
  return 0;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* seccomp_export_bpf writes to an fd: a memfd, read back into malloc'd memory */
static int export_bpf(scmp_filter_ctx ctx, struct ctr_seccomp_filter *out, char *err, size_t len) {
  int fd = memfd_create("minictr-seccomp", MFD_CLOEXEC);
  if (fd < 0) return bad(err, len, "seccomp: memfd_create: %s", strerror(errno));
  int rc = seccomp_export_bpf(ctx, fd);
  struct stat st;
  if (rc < 0) { close(fd); return bad(err, len, "seccomp: seccomp_export_bpf: %s", strerror(-rc)); }
  if (fstat(fd, &st) < 0) { rc = errno; close(fd); return bad(err, len, "seccomp: fstat(memfd): %s", strerror(rc)); }
  size_t size = (size_t)st.st_size, got = 0;
  out->bpf = malloc(size ? size : 1);
  if (!out->bpf) { close(fd); return bad(err, len, "seccomp: out of memory"); }
  while (got < size) {
    ssize_t n = pread(fd, (char *)out->bpf + got, size - got, (off_t)got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      rc = n < 0 ? errno : EIO;
      close(fd); free(out->bpf); out->bpf = NULL;
      return bad(err, len, "seccomp: read back the exported filter: %s", strerror(rc));
    }
    got += (size_t)n;
  }
  close(fd);
  out->len = size;
  return 0;
}

/* The architectures and the rules of p, into a new context. skip[n]: leave out the n-th
 * name (counting every rule's names in order). allowed (may be NULL): the ALLOW-ed numbers of
 * this machine's architecture, *n_allowed of them. */
static scmp_filter_ctx build(const struct ctr_seccomp_profile *p, uint32_t def, const unsigned char *skip, int *allowed,
                             size_t *n_allowed, char *err, size_t errlen, int *invalid) {
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) { bad(err, errlen, "linux.seccomp.defaultAction: libseccomp refused %s (is it too new for this kernel?)", p->default_action); return NULL; }

  for (size_t i = 0; i < p->n_architectures; i++) {
    uint32_t arch = parse_arch(p->architectures[i]);
    if (!arch) { bad(err, errlen, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i, p->architectures[i]); goto fail; }
    int r = seccomp_arch_add(ctx, arch);
    if (r == -EDOM) { bad(err, errlen, "linux.seccomp.architectures[%zu]: %s cannot share a filter with this machine's architecture (another byte order)", i, p->architectures[i]); goto fail; }
    if (r < 0 && r != -EEXIST) { bad(err, errlen, "linux.seccomp.architectures[%zu]: libseccomp refused %s: %s", i, p->architectures[i], strerror(-r)); goto fail; }
  }

  for (size_t i = 0, n = 0; i < p->n_syscalls; n += p->syscalls[i].n_names, i++) {
    const struct ctr_seccomp_syscall *s = &p->syscalls[i];
    char where[64];
    uint32_t action;
    struct scmp_arg_cmp cmp[MAX_ARGS];
    int repeated;
    snprintf(where, sizeof where, "linux.seccomp.syscalls[%zu]", i);
    if (parse_action(s->action, s->has_errno_ret, s->errno_ret, where, "action", "errnoRet", &action, err, errlen) < 0) goto fail;
    if (s->n_names == 0) { bad(err, errlen, "%s.names: must list at least one syscall", where); goto fail; }
    if (s->n_args > MAX_ARGS) { bad(err, errlen, "%s.args: at most 6 conditions, not %zu", where, s->n_args); goto fail; }
    if (parse_args(s, i, cmp, &repeated, err, errlen) < 0) goto fail;
    if (action == def) continue; /* libseccomp refuses a rule that does what the default does */

    for (size_t k = 0; k < s->n_names; k++) {
      if (skip && skip[n + k]) continue;
      int nr = seccomp_syscall_resolve_name(s->names[k]);
      if (nr == __NR_SCMP_ERROR) continue; /* not known here: skipped, like runc */
      int r = 0;
      if (!repeated) {
        r = seccomp_rule_add_array(ctx, action, nr, (unsigned)s->n_args, s->n_args ? cmp : NULL);
      } else {
        /* libseccomp ANDs the conditions of a rule and cannot compare one argument twice:
         * as runc does, each condition becomes a rule of its own */
        for (size_t j = 0; j < s->n_args && r == 0; j++) r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[j]);
      }
      if (r == -ENOMEM) *invalid = 0;
      if (r < 0) { bad(err, errlen, "%s: libseccomp refused the rule for \"%s\": %s", where, s->names[k], strerror(-r)); goto fail; }
      if (allowed && action == SCMP_ACT_ALLOW && nr >= 0) allowed[(*n_allowed)++] = nr; /* < 0: only on another arch */
    }
  }
  return ctx;
fail:
  seccomp_release(ctx);
  return NULL;
}

/* The token the kernel puts in seccomp_data.arch for an ABI: libseccomp's SCMP_ARCH_* are
 * AUDIT_ARCH_* values, except x32's, which the kernel reports as x86_64 (with bit 30 set in
 * the number). Another one wrong here only means ctr_bpf_same refuses the short program. */
static uint32_t arch_token(uint32_t arch) {
  return arch == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : arch;
}

/* The short program (seccomp-short.c) for p in place of full, when it decides the same: the
 * fast path takes every name whose rules are all unconditional and that libseccomp's program
 * decides whatever the arguments, on every architecture; the tail is libseccomp's program
 * without those names. Anything else (out of memory, a check that fails): full stays. */
static void shorten_filter(const struct ctr_seccomp_profile *p, uint32_t def, size_t total, struct ctr_seccomp_filter *full) {
  const struct sock_filter *pf = full->bpf;
  size_t pn = full->len / sizeof *pf;
  uint32_t archs[16], tokens[16];
  size_t na = 0, nt = 0, nd = 0;
  unsigned char *skip = calloc(total ? total : 1, 1);
  int *conditional = malloc((total ? total : 1) * sizeof *conditional);
  size_t n_cond = 0;
  struct ctr_bpf_decision *d = malloc((total ? total : 1) * 16 * sizeof *d);
  struct sock_filter *out = NULL;
  struct ctr_seccomp_filter tail = { 0 };
  scmp_filter_ctx ctx = NULL;
  char err[256];
  int invalid;
  if (!skip || !conditional || !d) goto out;

  archs[na++] = seccomp_arch_native();
  for (size_t i = 0; i < p->n_architectures; i++) {
    uint32_t a = parse_arch(p->architectures[i]);
    size_t j = 0;
    while (j < na && archs[j] != a) j++;
    if (j < na) continue;
    if (na == sizeof archs / sizeof archs[0]) goto out;
    archs[na++] = a;
  }
  for (size_t i = 0; i < na; i++) {
    size_t j = 0;
    while (j < nt && tokens[j] != arch_token(archs[i])) j++;
    if (j == nt) tokens[nt++] = arch_token(archs[i]);
  }
  /* a name with a condition anywhere stays whole in the tail */
  for (size_t i = 0; i < p->n_syscalls; i++)
    for (size_t k = 0; p->syscalls[i].n_args && k < p->syscalls[i].n_names; k++)
      conditional[n_cond++] = seccomp_syscall_resolve_name(p->syscalls[i].names[k]);

  for (size_t i = 0, n = 0; i < p->n_syscalls; n += p->syscalls[i].n_names, i++) {
    const struct ctr_seccomp_syscall *s = &p->syscalls[i];
    uint32_t action;
    if (s->n_args || parse_action(s->action, s->has_errno_ret, s->errno_ret, "", "", "", &action, err, sizeof err) < 0 || action == def) continue;
    for (size_t k = 0; k < s->n_names; k++) {
      int nr = seccomp_syscall_resolve_name(s->names[k]), ok = nr != __NR_SCMP_ERROR;
      for (size_t c = 0; ok && c < n_cond; c++) ok = conditional[c] != nr;
      size_t first = nd;
      for (size_t a = 0; ok && a < na; a++) {
        int anr = seccomp_syscall_resolve_name_arch(archs[a], s->names[k]);
        uint32_t ret;
        /* < 0: not a call there (_llseek on x86_64): nothing to decide; or one libseccomp
         * writes as two, its own number and the multiplexer's (i386's socket calls are
         * socketcall(2) too, "rewritten" to 102): that name is the tail's, whole */
        if (anr < 0) { ok = seccomp_syscall_resolve_name_rewrite(archs[a], s->names[k]) < 0; continue; }
        ok = ctr_bpf_run(pf, pn, (uint32_t)anr, arch_token(archs[a]), NULL, &ret) == 1;
        if (ok) d[nd++] = (struct ctr_bpf_decision){ arch_token(archs[a]), (uint32_t)anr, ret };
      }
      if (ok) skip[n + k] = 1;
      else nd = first;
    }
  }
  if (!nd) goto out;
  ctx = build(p, def, skip, NULL, NULL, err, sizeof err, &invalid);
  if (!ctx || export_bpf(ctx, &tail, err, sizeof err) < 0) goto out;
  size_t on;
  if (ctr_bpf_prepend_ranges(d, nd, tail.bpf, tail.len / sizeof *pf, &out, &on) < 0) goto out;
  if (on < pn && on <= BPF_MAXINSNS && ctr_bpf_same(pf, pn, out, on, tokens, nt) == 1) {
    free(full->bpf);
    full->bpf = out;
    full->len = on * sizeof *out;
    out = NULL;
  }
out:
  free(out);
  free(tail.bpf);
  if (ctx) seccomp_release(ctx);
  free(d);
  free(conditional);
  free(skip);
}

int ctr_seccomp_compile(const struct ctr_seccomp_profile *p, int shorten, struct ctr_seccomp_filter *out,
                        char *err, size_t errlen, int *invalid) {
  uint32_t def;
  memset(out, 0, sizeof *out);
  *invalid = 1;
  if (parse_action(p->default_action, p->has_default_errno_ret, p->default_errno_ret, "linux.seccomp",
                   "defaultAction", "defaultErrnoRet", &def, err, errlen) < 0)
    return -1;
  if (parse_flags(p, &out->flags, err, errlen) < 0) return -1;

  size_t total = 0;
  for (size_t i = 0; i < p->n_syscalls; i++) total += p->syscalls[i].n_names;
  int *allowed = malloc((total ? total : 1) * sizeof *allowed);
  size_t n_allowed = 0;
  int rc = -1;
  scmp_filter_ctx ctx = NULL;
  if (!allowed) { *invalid = 0; bad(err, errlen, "seccomp: out of memory"); goto out; }
  ctx = build(p, def, NULL, allowed, &n_allowed, err, errlen, invalid);
  if (!ctx) goto out;

  *invalid = 0;
  if (export_bpf(ctx, out, err, errlen) < 0) goto out;
  if (shorten) shorten_filter(p, def, total, out);
  qsort(allowed, n_allowed, sizeof *allowed, cmp_int);
  for (size_t i = 0; i < n_allowed; i++)
    if (i == 0 || allowed[i] != allowed[i - 1]) out->allowed++;
  rc = 0;
out:
  free(allowed);
  if (ctx) seccomp_release(ctx);
  return rc;
}

void ctr_seccomp_free(struct ctr_seccomp_filter *f) {
  free(f->bpf);
  f->bpf = NULL;
  f->len = 0;
}

/* Child side: after clone, so only the raw syscall on memory the parent prepared. */
int ctr_seccomp_load(const void *bpf, size_t len, unsigned flags) {
  if (!bpf || len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    errno = EINVAL;
    return -1;
  }
  struct sock_fprog prog = { .len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = (struct sock_filter *)bpf };
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0 && errno == ENOSYS && flags == 0) /* kernels before 3.17: only the prctl */
    rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
  if (rc > 0) { errno = ESRCH; return -1; } /* TSYNC: rc is a thread that could not take the filter */
  return rc < 0 ? -1 : 0;
}
