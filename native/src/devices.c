/*
 * The container's device allowlist on cgroup v2. The v1 "devices" controller (devices.allow,
 * devices.deny) does not exist there: instead the kernel runs an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup, on every open() and mknod() of a
 * device node by a process in it, and refuses the access (EPERM) when it returns 0. This is
 * what runc (libcontainer/cgroups/devices/devicefilter.go) and crun (src/libcrun/ebpf.c) do.
 *
 * The program is built here from the rule list as raw struct bpf_insn (no libbpf, no clang),
 * loaded with bpf(BPF_PROG_LOAD) and attached with bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE,
 * BPF_F_ALLOW_MULTI). Its context is struct bpf_cgroup_dev_ctx:
 *   u32 access_type   (BPF_DEVCG_ACC_{MKNOD,READ,WRITE} << 16) | BPF_DEVCG_DEV_{BLOCK,CHAR}
 *   u32 major, minor
 *
 * Semantics (OCI linux.resources.devices, Docker): rules in order, the last matching rule
 * wins, decided for each requested access bit on its own: open(O_RDWR) asks for r and w, and
 * is allowed only when the last rule matching the device that names r allows, and the last
 * that names w allows too. Rules are emitted last first; r3 holds the bits still undecided:
 *
 *   r2 = type, r3 = access, r4 = major, r5 = minor         (from the context)
 *   for each rule, last first:
 *     if r2 != TYPE goto next; if r4 != MAJOR goto next; if r5 != MINOR goto next
 *     allow:  r3 &= ~ACCESS; if r3 != 0 goto next; return 1   (every bit decided: allowed)
 *     deny:   if (r3 & ACCESS) == 0 goto next; return 0       (a bit whose last word is "no")
 *   return DEFAULT
 * (a check is left out for type a, major/minor any, or access rwm). A rule "a *:* rwm" decides
 * every bit, so nothing before it counts: the program starts at the last such rule, whose
 * allow is the default. Without one the default is deny, as in runc.
 *
 * Replacing (minictr update): the program is named "minictr_devices". attach looks for
 * programs of that name attached to the cgroup (BPF_PROG_QUERY, BPF_PROG_GET_FD_BY_ID,
 * BPF_OBJ_GET_INFO_BY_FD). One found: it is swapped atomically for the new one
 * (BPF_F_REPLACE, Linux 5.6+); there is no moment with no filter, or with both. Otherwise (or
 * on a kernel without BPF_F_REPLACE) the new program is attached first and the old ones are
 * detached after (BPF_PROG_DETACH): for that moment both run, and a device must pass both.
 * Programs others attached (systemd, say) are never touched.
 */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef BPF_F_REPLACE
#define BPF_F_REPLACE (1U << 2)
#endif

#define PROG_NAME "minictr_devices" /* 15 chars: BPF_OBJ_NAME_LEN is 16 with the NUL */

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static uint64_t ptr(const void *p) { return (uint64_t)(uintptr_t)p; }

/* ---------- building the program (the kernel's filter.h macros are not in its uapi) ---------- */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}
#define LDX_W(dst, src, off)       insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm)    insn(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src)        insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV32_IMM(dst, imm)        insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_IMM(op, dst, imm, off) insn(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define EXIT()                     insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0 = BPF_REG_0, R1, R2, R3, R4, R5 };

/* Marks a jump whose target is the next rule's first instruction, fixed once the rule's
 * length is known (a real offset is never this value: programs are far shorter). */
#define TO_NEXT INT16_MIN

static int covers_all(unsigned access) { return (access & CTR_DEV_ACC_ALL) == CTR_DEV_ACC_ALL; }

static int is_reset(const struct ctr_dev_rule *r) {
  return r->type == 'a' && r->major < 0 && r->minor < 0 && covers_all(r->access);
}

size_t ctr_devices_max_instructions(size_t n_rules) { return 6 + 8 * n_rules + 2; }

size_t ctr_devices_program(const struct ctr_dev_rule *rules, size_t n, struct bpf_insn *p) {
  size_t k = 0;
  p[k++] = LDX_W(R2, R1, 0);                /* r2 = access_type */
  p[k++] = ALU32_IMM(BPF_AND, R2, 0xffff);  /*      & 0xffff: the device type */
  p[k++] = LDX_W(R3, R1, 0);                /* r3 = access_type */
  p[k++] = ALU32_IMM(BPF_RSH, R3, 16);      /*      >> 16: the access asked for */
  p[k++] = LDX_W(R4, R1, 4);                /* r4 = major */
  p[k++] = LDX_W(R5, R1, 8);                /* r5 = minor */

  size_t first = 0;
  int dflt = 0;
  for (size_t i = 0; i < n; i++)
    if (is_reset(&rules[i])) { first = i + 1; dflt = rules[i].allow; }

  for (size_t i = n; i-- > first;) {
    const struct ctr_dev_rule *r = &rules[i];
    size_t start = k;
    if (r->type != 'a') p[k++] = JMP_IMM(BPF_JNE, R2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, TO_NEXT);
    if (r->major >= 0) p[k++] = JMP_IMM(BPF_JNE, R4, (int32_t)r->major, TO_NEXT);
    if (r->minor >= 0) p[k++] = JMP_IMM(BPF_JNE, R5, (int32_t)r->minor, TO_NEXT);
    unsigned acc = r->access & CTR_DEV_ACC_ALL;
    if (r->allow && !covers_all(acc)) {
      p[k++] = ALU32_IMM(BPF_AND, R3, (int32_t)~acc);  /* these bits are decided: allowed */
      p[k++] = JMP_IMM(BPF_JNE, R3, 0, TO_NEXT);       /* others are left: keep looking */
    } else if (!r->allow && !covers_all(acc)) {
      p[k++] = MOV32_REG(R1, R3);
      p[k++] = ALU32_IMM(BPF_AND, R1, (int32_t)acc);
      p[k++] = JMP_IMM(BPF_JEQ, R1, 0, TO_NEXT);       /* none of its bits asked for */
    }
    p[k++] = MOV32_IMM(R0, r->allow ? 1 : 0);
    p[k++] = EXIT();
    for (size_t j = start; j < k; j++)
      if (BPF_CLASS(p[j].code) == BPF_JMP && p[j].off == TO_NEXT) p[j].off = (int16_t)(k - (j + 1));
  }
  p[k++] = MOV32_IMM(R0, dflt);
  p[k++] = EXIT();
  return k;
}

/* ---------- loading, finding, attaching, detaching ---------- */

static int fail(struct ctr_dev_result *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctr_dev_result *r, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->step, sizeof r->step, fmt, ap);
  va_end(ap);
  r->err = err;
  errno = err;
  return -1;
}

/* The verifier's verdict: the last line of its log, not counting the statistics it ends
 * with ("processed 0 insns (limit 1000000) max_states_per_insn 0 ..."). */
static void last_line(char *log, char *out, size_t len) {
  for (;;) {
    size_t n = strlen(log);
    while (n && (log[n - 1] == '\n' || log[n - 1] == ' ')) log[--n] = '\0';
    char *nl = strrchr(log, '\n');
    char *line = nl ? nl + 1 : log;
    if (nl && (strncmp(line, "processed ", 10) == 0 || strncmp(line, "verification time", 17) == 0)) { *nl = '\0'; continue; }
    snprintf(out, len, "%s", line);
    return;
  }
}

static int load(const struct bpf_insn *prog, size_t count, struct ctr_dev_result *r) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = ptr(prog);
  a.insn_cnt = (uint32_t)count;
  a.license = ptr("GPL"); /* not needed by this program type (it calls no helpers); harmless */
  memcpy(a.prog_name, PROG_NAME, sizeof PROG_NAME);
  int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
  if (fd < 0 && errno == EPERM) {
    /* before Linux 5.11 BPF memory was charged to RLIMIT_MEMLOCK: raise it, try again */
    struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
    if (setrlimit(RLIMIT_MEMLOCK, &rl) == 0) fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
  }
  if (fd >= 0) return fd;
  /* Failed: load it again with the verifier's log, to say why. (Not on the first try: with a
   * log the kernel fails a good program whose log does not fit the buffer.) */
  int err = errno;
  size_t size = 1 << 16;
  char *log = NULL;
  for (;;) {
    char *bigger = realloc(log, size);
    if (!bigger) break;
    log = bigger;
    log[0] = '\0';
    a.log_level = 1;
    a.log_buf = ptr(log);
    a.log_size = (uint32_t)size;
    fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
    if (fd >= 0) { free(log); return fd; } /* passed this time (a passing race): use it */
    if (errno != ENOSPC || size >= (1 << 24)) { err = errno; break; }
    size *= 2;
  }
  char why[256] = "";
  if (log) last_line(log, why, sizeof why);
  free(log);
  return why[0] ? fail(r, err, "bpf(BPF_PROG_LOAD) of the device filter (%zu instructions): verifier: %s", count, why)
                : fail(r, err, "bpf(BPF_PROG_LOAD) of the device filter (%zu instructions)", count);
}

static int prog_info(int fd, struct bpf_prog_info *info) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  memset(info, 0, sizeof *info);
  a.info.bpf_fd = (uint32_t)fd;
  a.info.info_len = sizeof *info;
  a.info.info = ptr(info);
  return (int)sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
}

/* fds of the programs named PROG_NAME attached (directly) to the cgroup; *n of them.
 * Returns -1 on failure (r filled). */
#define MAX_OURS 16
static int find_ours(int cgroup_fd, const char *path, int ours[MAX_OURS], size_t *n, struct ctr_dev_result *r) {
  *n = 0;
  uint32_t cap = 64, *ids = NULL;
  union bpf_attr a;
  for (;;) {
    uint32_t *bigger = realloc(ids, cap * sizeof *ids);
    if (!bigger) { free(ids); return fail(r, ENOMEM, "bpf(BPF_PROG_QUERY, %s)", path); }
    ids = bigger;
    memset(&a, 0, sizeof a);
    a.query.target_fd = (uint32_t)cgroup_fd;
    a.query.attach_type = BPF_CGROUP_DEVICE;
    a.query.prog_ids = ptr(ids);
    a.query.prog_cnt = cap;
    if (sys_bpf(BPF_PROG_QUERY, &a) == 0) break;
    if (errno != ENOSPC) { int e = errno; free(ids); return fail(r, e, "bpf(BPF_PROG_QUERY, %s, BPF_CGROUP_DEVICE)", path); }
    cap *= 4;
  }
  for (uint32_t i = 0; i < a.query.prog_cnt && *n < MAX_OURS; i++) {
    union bpf_attr g;
    memset(&g, 0, sizeof g);
    g.prog_id = ids[i];
    int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
    if (fd < 0) continue; /* detached meanwhile */
    struct bpf_prog_info info;
    if (prog_info(fd, &info) == 0 && strcmp(info.name, PROG_NAME) == 0) ours[(*n)++] = fd;
    else close(fd);
  }
  free(ids);
  return 0;
}

static void close_all(int *fds, size_t n) {
  for (size_t i = 0; i < n; i++) close(fds[i]);
}

static int detach_fd(int cgroup_fd, int prog_fd) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.target_fd = (uint32_t)cgroup_fd;
  a.attach_bpf_fd = (uint32_t)prog_fd;
  a.attach_type = BPF_CGROUP_DEVICE;
  return sys_bpf(BPF_PROG_DETACH, &a) == 0 || errno == ENOENT ? 0 : -1;
}

static int check_cgroup2(int cgroup_fd, const char *path, struct ctr_dev_result *r) {
  struct statfs s;
  if (fstatfs(cgroup_fd, &s) < 0) return fail(r, errno, "fstatfs(%s)", path);
  if (s.f_type != CGROUP2_SUPER_MAGIC) return fail(r, ENOTDIR, "%s is not a cgroup2 directory", path);
  return 0;
}

int ctr_devices_attach(int cgroup_fd, const char *path, const struct ctr_dev_rule *rules, size_t n, struct ctr_dev_result *r) {
  memset(r, 0, sizeof *r);
  if (check_cgroup2(cgroup_fd, path, r) < 0) return -1;
  struct bpf_insn *prog = calloc(ctr_devices_max_instructions(n), sizeof *prog);
  if (!prog) return fail(r, ENOMEM, "device filter for %s", path);
  size_t count = ctr_devices_program(rules, n, prog);
  r->instructions = (unsigned)count;
  int fd = load(prog, count, r);
  free(prog);
  if (fd < 0) return -1;
  struct bpf_prog_info info;
  if (prog_info(fd, &info) == 0) r->prog_id = info.id;

  int rc = -1;
  for (int attempt = 0, try_replace = 1; attempt < 5; attempt++) {
    int ours[MAX_OURS];
    size_t n_ours = 0;
    if (find_ours(cgroup_fd, path, ours, &n_ours, r) < 0) break;
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.target_fd = (uint32_t)cgroup_fd;
    a.attach_bpf_fd = (uint32_t)fd;
    a.attach_type = BPF_CGROUP_DEVICE;
    a.attach_flags = BPF_F_ALLOW_MULTI;
    int replacing = try_replace && n_ours == 1;
    if (replacing) {
      a.attach_flags |= BPF_F_REPLACE;
      a.replace_bpf_fd = (uint32_t)ours[0];
    }
    if (sys_bpf(BPF_PROG_ATTACH, &a) < 0) {
      int e = errno;
      close_all(ours, n_ours);
      if (replacing && e == EINVAL) { try_replace = 0; continue; } /* kernel before 5.6 */
      if (replacing && e == ENOENT) continue;                       /* replaced meanwhile */
      fail(r, e, "bpf(BPF_PROG_ATTACH, %s, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI%s)", path, replacing ? "|BPF_F_REPLACE" : "");
      break;
    }
    /* attached: the earlier filters go (all of them, or the rest after a replace) */
    rc = 0;
    r->replaced = replacing ? 1 : 0;
    for (size_t i = replacing ? 1 : 0; i < n_ours && rc == 0; i++) {
      if (detach_fd(cgroup_fd, ours[i]) < 0) rc = fail(r, errno, "bpf(BPF_PROG_DETACH, %s, BPF_CGROUP_DEVICE) of the previous device filter", path);
      else r->replaced++;
    }
    close_all(ours, n_ours);
    break;
  }
  if (rc < 0 && !r->err) fail(r, EAGAIN, "bpf(BPF_PROG_ATTACH, %s): the filter kept being replaced by another process", path);
  close(fd); /* the attachment holds its own reference */
  return rc;
}

int ctr_devices_detach(int cgroup_fd, const char *path, struct ctr_dev_result *r) {
  memset(r, 0, sizeof *r);
  if (check_cgroup2(cgroup_fd, path, r) < 0) return -1;
  int ours[MAX_OURS];
  size_t n_ours = 0;
  if (find_ours(cgroup_fd, path, ours, &n_ours, r) < 0) return -1;
  int detached = 0;
  for (size_t i = 0; i < n_ours; i++) {
    if (detach_fd(cgroup_fd, ours[i]) < 0) {
      int e = errno;
      close_all(ours, n_ours);
      return fail(r, e, "bpf(BPF_PROG_DETACH, %s, BPF_CGROUP_DEVICE)", path);
    }
    detached++;
  }
  close_all(ours, n_ours);
  return detached;
}
