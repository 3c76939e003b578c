/*
 * A shorter seccomp program that decides as libseccomp's does.
 *
 * libseccomp (2.5) writes one "jeq NR" per allowed syscall and architecture: Docker's default
 * profile on x86_64 (x86_64, x32 and i386) is 974 instructions, a linear walk of ~300 compares
 * per ABI. The kernel keeps a copy of the classic BPF it is given (for checkpoint/restore):
 * 974 x 8 B is an 8 KiB kmalloc per container, under 512 instructions a 4 KiB one. Most allowed
 * numbers are consecutive (0-231 on x86_64 has few holes), so a range check per run of them
 * says the same in a fraction of the instructions, and walks fewer of them per call.
 *
 * seccomp.c keeps libseccomp for everything it knows (syscall numbers per ABI, the i386
 * socketcall/ipc multiplexers, 64-bit argument compares, bad-architecture handling) and puts
 * a fast path in front of a second libseccomp program made without the plain rules the fast
 * path decides. The fast path's answers are read off libseccomp's full program (ctr_bpf_run),
 * and the result is checked against that program (ctr_bpf_same) before it is used: a profile
 * or architecture where they differ keeps libseccomp's program as it is.
 */
#include "seccomp-short.h"

#include <stdlib.h>
#include <string.h>

#define REST_WORDS 14 /* seccomp_data after nr and arch: instruction_pointer, args[6] (u64 each) */
#define CHUNK_RANGES 100 /* jt/jf are 8 bits: ranges of one chunk reach its returns within 255 */
#define CHUNK_ACTIONS 8

int ctr_bpf_run(const struct sock_filter *f, size_t n, uint32_t nr, uint32_t arch, const uint32_t *rest, uint32_t *ret) {
  uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
  size_t pc = 0;
  while (pc < n) { /* classic BPF jumps only forward: at most n steps */
    const struct sock_filter *i = &f[pc];
    uint32_t k = i->k, src = BPF_SRC(i->code) == BPF_X ? X : k;
    switch (BPF_CLASS(i->code)) {
    case BPF_LD:
      if (i->code == (BPF_LD | BPF_W | BPF_ABS)) {
        if (k == 0) A = nr;
        else if (k == 4) A = arch;
        else if (k % 4 || k < 8 || k >= 8 + 4 * REST_WORDS) return -1;
        else if (!rest) return 0;
        else A = rest[(k - 8) / 4];
      } else if (i->code == (BPF_LD | BPF_IMM)) A = k;
      else if (i->code == (BPF_LD | BPF_MEM) && k < BPF_MEMWORDS) A = M[k];
      else return -1;
      pc++;
      break;
    case BPF_LDX:
      if (i->code == (BPF_LDX | BPF_IMM)) X = k;
      else if (i->code == (BPF_LDX | BPF_MEM) && k < BPF_MEMWORDS) X = M[k];
      else return -1;
      pc++;
      break;
    case BPF_ST: if (k >= BPF_MEMWORDS) return -1; M[k] = A; pc++; break;
    case BPF_STX: if (k >= BPF_MEMWORDS) return -1; M[k] = X; pc++; break;
    case BPF_ALU:
      switch (BPF_OP(i->code)) {
      case BPF_ADD: A += src; break;
      case BPF_SUB: A -= src; break;
      case BPF_AND: A &= src; break;
      case BPF_OR: A |= src; break;
      case BPF_XOR: A ^= src; break;
      case BPF_LSH: A = src < 32 ? A << src : 0; break;
      case BPF_RSH: A = src < 32 ? A >> src : 0; break;
      case BPF_NEG: A = -A; break;
      default: return -1;
      }
      pc++;
      break;
    case BPF_JMP: {
      int c;
      if (BPF_OP(i->code) == BPF_JA) { pc += 1 + (size_t)k; break; }
      switch (BPF_OP(i->code)) {
      case BPF_JEQ: c = A == src; break;
      case BPF_JGT: c = A > src; break;
      case BPF_JGE: c = A >= src; break;
      case BPF_JSET: c = (A & src) != 0; break;
      default: return -1;
      }
      pc += 1 + (size_t)(c ? i->jt : i->jf);
      break;
    }
    case BPF_RET:
      if (BPF_RVAL(i->code) == BPF_K) *ret = k;
      else if (BPF_RVAL(i->code) == BPF_A) *ret = A;
      else return -1;
      return 1;
    case BPF_MISC:
      if (BPF_MISCOP(i->code) == BPF_TAX) X = A;
      else A = X;
      pc++;
      break;
    default: return -1;
    }
  }
  return -1; /* ran off the end: the kernel's checker refuses such a program */
}

/* ---- the fast path ---- */

struct prog { struct sock_filter *f; size_t n, cap; };

static int emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 256;
    struct sock_filter *f = realloc(p->f, cap * sizeof *f);
    if (!f) return -1;
    p->f = f;
    p->cap = cap;
  }
  p->f[p->n++] = (struct sock_filter){ code, jt, jf, k };
  return 0;
}

static int by_arch_nr(const void *a, const void *b) {
  const struct ctr_bpf_decision *x = a, *y = b;
  if (x->arch != y->arch) return x->arch < y->arch ? -1 : 1;
  return (x->nr > y->nr) - (x->nr < y->nr);
}

struct range { uint32_t lo, hi, action; };

/* ranges[0..nr): "ld [0]" already done; what no range holds jumps to tail (an index in p) */
static int emit_ranges(struct prog *p, const struct range *r, size_t nr, size_t *tail_jumps, size_t *n_tail) {
  size_t i = 0;
  while (i < nr) {
    uint32_t actions[CHUNK_ACTIONS];
    size_t na = 0, end = i, len = 0;
    for (; end < nr && end - i < CHUNK_RANGES; end++) {
      size_t a = 0;
      while (a < na && actions[a] != r[end].action) a++;
      if (a == na) {
        if (na == CHUNK_ACTIONS) break;
        actions[na++] = r[end].action;
      }
      len += r[end].lo == r[end].hi ? 1 : 2;
    }
    /* layout: the range checks, "ja on", one ret per action, "ja tail" */
    size_t base = p->n, rets = base + len + 1, jtail = rets + na;
    for (size_t j = i; j < end; j++) {
      size_t a = 0;
      while (actions[a] != r[j].action) a++;
      if (r[j].lo == r[j].hi) {
        if (emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(rets + a - p->n - 1), 0, r[j].lo) < 0) return -1;
      } else {
        /* above the range: the next one; else in it from lo on, or in no range at all */
        if (emit(p, BPF_JMP | BPF_JGT | BPF_K, 1, 0, r[j].hi) < 0) return -1;
        if (emit(p, BPF_JMP | BPF_JGE | BPF_K, (uint8_t)(rets + a - p->n - 1), (uint8_t)(jtail - p->n - 1), r[j].lo) < 0) return -1;
      }
    }
    if (emit(p, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(na + 1)) < 0) return -1; /* over rets and ja tail */
    if (end == nr) tail_jumps[(*n_tail)++] = p->n - 1; /* after the last chunk: tail */
    for (size_t a = 0; a < na; a++)
      if (emit(p, BPF_RET | BPF_K, 0, 0, actions[a]) < 0) return -1;
    tail_jumps[(*n_tail)++] = p->n;
    if (emit(p, BPF_JMP | BPF_JA, 0, 0, 0) < 0) return -1;
    i = end;
  }
  return 0;
}

int ctr_bpf_prepend_ranges(struct ctr_bpf_decision *d, size_t nd, const struct sock_filter *tail, size_t tail_n,
                           struct sock_filter **out, size_t *out_n) {
  struct prog p = { 0 };
  struct range *r = malloc((nd ? nd : 1) * sizeof *r);
  /* every ja to the tail: two per chunk, one per architecture, one for the others */
  size_t *tail_jumps = malloc((2 * nd + 2 * nd + 2) * sizeof *tail_jumps), n_tail = 0;
  size_t *arch_jumps = malloc((nd ? nd : 1) * sizeof *arch_jumps), n_arch = 0;
  int rc = -1;
  if (!r || !tail_jumps || !arch_jumps) goto out;
  qsort(d, nd, sizeof *d, by_arch_nr);

  if (emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, 4) < 0) goto out; /* seccomp_data.arch */
  for (size_t i = 0; i < nd; i++) {
    if (i && d[i].arch == d[i - 1].arch) continue;
    if (emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, d[i].arch) < 0) goto out;
    arch_jumps[n_arch++] = p.n;
    if (emit(&p, BPF_JMP | BPF_JA, 0, 0, 0) < 0) goto out;
  }
  tail_jumps[n_tail++] = p.n;
  if (emit(&p, BPF_JMP | BPF_JA, 0, 0, 0) < 0) goto out; /* an architecture without a fast path */

  size_t a = 0;
  for (size_t i = 0; i < nd; a++) {
    size_t nr = 0, j = i;
    for (; j < nd && d[j].arch == d[i].arch; j++) {
      if (nr && r[nr - 1].hi == d[j].nr) { /* the same number twice (two names, one call) */
        if (r[nr - 1].action != d[j].action) goto out; /* two answers: not ours to pick */
      } else if (nr && r[nr - 1].hi + 1 == d[j].nr && r[nr - 1].action == d[j].action) {
        r[nr - 1].hi = d[j].nr;
      } else {
        r[nr++] = (struct range){ d[j].nr, d[j].nr, d[j].action };
      }
    }
    p.f[arch_jumps[a]].k = (uint32_t)(p.n - arch_jumps[a] - 1);
    if (emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, 0) < 0) goto out; /* seccomp_data.nr */
    if (emit_ranges(&p, r, nr, tail_jumps, &n_tail) < 0) goto out;
    i = j;
  }
  for (size_t i = 0; i < n_tail; i++) p.f[tail_jumps[i]].k = (uint32_t)(p.n - tail_jumps[i] - 1);
  for (size_t i = 0; i < tail_n; i++)
    if (emit(&p, tail[i].code, tail[i].jt, tail[i].jf, tail[i].k) < 0) goto out;
  *out = p.f;
  *out_n = p.n;
  p.f = NULL;
  rc = 0;
out:
  free(p.f);
  free(r);
  free(tail_jumps);
  free(arch_jumps);
  return rc;
}

/* ---- the check ---- */

struct set { uint32_t *v; size_t n, cap; };

static int add(struct set *s, uint32_t v) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 512;
    uint32_t *w = realloc(s->v, cap * sizeof *w);
    if (!w) return -1;
    s->v = w;
    s->cap = cap;
  }
  s->v[s->n++] = v;
  return 0;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* k-1, k, k+1 of every constant compared with (nrs), and of those compared with what the
 * program loaded from the arguments or masked it with (args): between two constants the
 * syscall number is decided alike, so these numbers see every answer the program can give.
 * Every compare counts for nrs (a block reached by a jump may compare a number loaded
 * elsewhere); args only take the compares after an argument's load (libseccomp loads the
 * word at the start of each argument check), to keep the arguments' battery small. */
static int add3(struct set *s, uint32_t k) {
  return add(s, k - 1) < 0 || add(s, k) < 0 || add(s, k + 1) < 0 ? -1 : 0;
}

static int constants(const struct sock_filter *f, size_t n, struct set *nrs, struct set *args) {
  uint32_t loaded = 0;
  for (size_t i = 0; i < n; i++) {
    uint16_t c = f[i].code;
    if (c == (BPF_LD | BPF_W | BPF_ABS)) loaded = f[i].k;
    int cmp = BPF_CLASS(c) == BPF_JMP && BPF_OP(c) != BPF_JA && BPF_SRC(c) == BPF_K;
    int alu = BPF_CLASS(c) == BPF_ALU && BPF_SRC(c) == BPF_K;
    if (cmp && add3(nrs, f[i].k) < 0) return -1;
    if (((cmp && loaded >= 8) || alu) && add3(args, f[i].k) < 0) return -1;
  }
  return 0;
}

static size_t uniq(struct set *s) {
  size_t m = 0;
  qsort(s->v, s->n, sizeof *s->v, cmp_u32);
  for (size_t i = 0; i < s->n; i++)
    if (!m || s->v[m - 1] != s->v[i]) s->v[m++] = s->v[i];
  return s->n = m;
}

/* a and b on (nr, arch) with arguments from the constants: 1 same, 0 not, -1 unreadable */
static int same_with_args(const struct sock_filter *a, size_t an, const struct sock_filter *b, size_t bn, uint32_t nr,
                          uint32_t arch, const struct set *vals) {
  uint32_t rest[REST_WORDS];
  for (size_t v = 0; v < vals->n; v++) {
    for (int w = -1; w < REST_WORDS; w++) { /* w -1: every word the value */
      uint32_t ra, rb;
      for (int x = 0; x < REST_WORDS; x++) rest[x] = w < 0 || x == w ? vals->v[v] : 0;
      int sa = ctr_bpf_run(a, an, nr, arch, rest, &ra), sb = ctr_bpf_run(b, bn, nr, arch, rest, &rb);
      if (sa < 0 || sb < 0) return -1;
      if (ra != rb) return 0;
    }
  }
  return 1;
}

int ctr_bpf_same(const struct sock_filter *a, size_t an, const struct sock_filter *b, size_t bn, const uint32_t *archs, size_t nt) {
  struct set nrs = { 0 }, vals = { 0 };
  int rc = -1;
  if (constants(a, an, &nrs, &vals) < 0 || constants(b, bn, &nrs, &vals) < 0) goto out;
  if (add(&nrs, 0) < 0 || add(&nrs, UINT32_MAX) < 0 || add(&vals, 0) < 0 || add(&vals, UINT32_MAX) < 0) goto out;
  uniq(&nrs);
  uniq(&vals);
  for (size_t t = 0; t <= nt; t++) {
    uint32_t arch = t < nt ? archs[t] : 0; /* 0: no architecture's token */
    for (size_t i = 0; i < nrs.n; i++) {
      uint32_t ra = 0, rb = 0;
      int sa = ctr_bpf_run(a, an, nrs.v[i], arch, NULL, &ra), sb = ctr_bpf_run(b, bn, nrs.v[i], arch, NULL, &rb);
      if (sa < 0 || sb < 0) goto out;
      if (sa != sb || (sa == 1 && ra != rb)) { rc = 0; goto out; }
      if (sa == 0) {
        int s = same_with_args(a, an, b, bn, nrs.v[i], arch, &vals);
        if (s != 1) { rc = s; goto out; }
      }
    }
  }
  rc = 1;
out:
  free(nrs.v);
  free(vals.v);
  return rc;
}
