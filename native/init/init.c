/*
 * minictr-init: PID 1 of every container (like tini or docker --init, much smaller).
 *
 *   minictr-init [--tty] -- CMD [ARGS...]       PID 1: run CMD as its child
 *   minictr-init --exec FILE -- ARGV0 [ARGS...] exec FILE at once (the trampoline)
 *
 * A PID namespace's init has two duties the command usually doesn't do: reap orphaned
 * processes (or they stay zombies forever) and pass on signals (the kernel drops signals to
 * PID 1 that it has no handler for, so `kill -TERM 1` would do nothing to a bare shell).
 * It runs the command as its child in a new session, waits on every signal with
 * sigwaitinfo(), forwards all but SIGCHLD to the command, and exits with the command's status
 * (128+N if a signal N killed it). When PID 1 exits, the kernel kills everything left.
 *
 * It is linked statically: it runs inside any image, with no libc of the image's.
 *
 * --exec is how every other process enters a container (an OCI container's PID 1, `exec`):
 * the C child that prepared it is a copy of the host's node, so its own execve() of a script
 * like `#!/proc/self/exe` would run the host's node binary inside the container
 * (CVE-2019-5736's class). It execs this binary from a sealed memfd instead, which then
 * execs the command: /proc/self/exe is never a host file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* what the parent's wait loop uses: globals, so that it can run on another stack */
static pid_t child;
static sigset_t all;

/* Forward every signal to the command, reap orphans, exit with the command's status. */
static void __attribute__((noreturn)) wait_loop(void) {
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p != child) continue; /* an orphan we adopted: reaped, nothing more to do */
      /* _exit: nothing is buffered, and exit()'s libc paths might read the unmapped stack */
      _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    }
  }
}

/*
 * The trim. The kernel puts the stack (argv, env, auxv) at the top of the address space, far
 * from the binary at 0x400000: each region costs its own PUD, PMD and PTE page (12 KiB per
 * container's init, of its 24 KiB of page tables), and on kernels before 6.x's move of the
 * vDSO to the mmap area, [vdso] and [vvar] sit right above the stack, under the same tables.
 * After fork the parent only runs wait_loop(), so it moves to a small stack in .bss, next to
 * the binary, and unmaps the old stack, [vdso] and [vvar] (musl reads the vDSO only for the
 * clock calls, which the loop never makes): the kernel frees those tables with the last
 * mapping under them. argv is copied first and /proc/PID/cmdline pointed at the copy
 * (PR_SET_MM_MAP: for one's own process it needs no capability) so that ps still shows
 * `minictr-init -- CMD`. Anything unexpected (no /proc, a seccomp profile without prctl,
 * another architecture than x86_64) leaves the process as it was.
 */
#if defined(__x86_64__) /* the stack switch is one line of asm per architecture: only this one is built and tested */
#define TRIM_MAX 8
static struct { uintptr_t start, end; } trim_ranges[TRIM_MAX];
static int trim_count;
/* The new stack: the loop uses 264 bytes of it (measured: the lowest byte written below the
 * top, read through /proc/PID/mem), and with no signal handlers and no recursion that depth
 * is fixed. Small on purpose: with libc's own variables it stays in the page the data
 * segment already dirties. */
static char trim_stack[1024] __attribute__((aligned(16)));
#define trim_stack_top ((void *)(trim_stack + sizeof trim_stack))
/* The copy of argv's and env's strings, which /proc/PID/cmdline and environ read (when
 * they do not fit, nothing is trimmed). Page-aligned, so that it lies past the data segment's last file page, in the
 * anonymous part of .bss: the kernel reads cmdline from anonymous memory only (FOLL_ANON),
 * and a copy in the memfd's data page read as empty. One page more than without it. */
static char trim_strings[1536] __attribute__((aligned(4096)));

static void __attribute__((noreturn)) trimmed_loop(void) {
  for (int i = 0; i < trim_count; i++) munmap((void *)trim_ranges[i].start, trim_ranges[i].end - trim_ranges[i].start);
  wait_loop();
}

/* an unsigned number in base 10 or 16 at *p, *p moved past it (strtoull would pull
 * musl's stdio scanner into the binary: a page more of every container's init) */
static uint64_t number(const char **p, int base) {
  uint64_t v = 0;
  for (;; (*p)++) {
    int c = **p, d = c >= '0' && c <= '9' ? c - '0' : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return v;
    v = v * (uint64_t)base + (uint64_t)d;
  }
}

/* read a /proc file whole into buf; 0 if it does not fit or cannot be read */
static size_t read_small(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fd, buf + n, size - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n == size - 1) { n = 0; break; } /* possibly more: do not guess */
  }
  close(fd);
  buf[n] = 0;
  return n;
}

/* the kernel's own values of this mm (/proc/self/stat fields 26-28 and 45-51), all of which
 * PR_SET_MM_MAP sets at once: only arg and env change */
static int mm_map_now(struct prctl_mm_map *m) {
  char buf[1024];
  if (!read_small("/proc/self/stat", buf, sizeof buf)) return -1;
  const char *p = strrchr(buf, ')');
  if (!p) return -1;
  uint64_t f[52] = {0};
  int field = 2;
  for (p++; *p && field < 51;) {
    while (*p == ' ') p++;
    if (!*p) break;
    f[++field] = number(&p, 10); /* field 3, the state letter, reads as 0: unused */
    while (*p && *p != ' ') p++;
  }
  if (field < 51) return -1;
  memset(m, 0, sizeof *m);
  m->start_code = f[26]; m->end_code = f[27]; m->start_stack = f[28];
  m->start_data = f[45]; m->end_data = f[46]; m->start_brk = f[47];
  m->arg_start = f[48]; m->arg_end = f[49]; m->env_start = f[50]; m->env_end = f[51];
  m->brk = (uint64_t)syscall(SYS_brk, 0);
  m->exe_fd = (uint32_t)-1; /* keep /proc/PID/exe: the memfd */
  return 0;
}

/* the special mappings to unmap: the stack and the vDSO's ([vdso], [vvar], [vvar_vclock]) */
static int find_ranges(void) {
  char buf[4096];
  if (!read_small("/proc/self/maps", buf, sizeof buf)) return -1;
  trim_count = 0;
  for (char *line = buf; *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    char *name = strchr(line, '[');
    if (name && (strcmp(name, "[stack]") == 0 || strcmp(name, "[vdso]") == 0 || strncmp(name, "[vvar", 5) == 0)) {
      if (trim_count == TRIM_MAX) return -1;
      const char *q = line;
      trim_ranges[trim_count].start = (uintptr_t)number(&q, 16);
      q++; /* the '-' */
      trim_ranges[trim_count].end = (uintptr_t)number(&q, 16);
      trim_count++;
    }
    if (!nl) break;
    line = nl + 1;
  }
  return trim_count > 0 ? 0 : -1;
}

static void trim_and_wait(void) {
  struct prctl_mm_map m;
  if (mm_map_now(&m) < 0 || find_ranges() < 0) return;
  struct prctl_mm_map orig = m;
  size_t args = m.arg_end - m.arg_start, env = m.env_end - m.env_start;
  if (args == 0 || args > sizeof trim_strings) return;
  memcpy(trim_strings, (void *)(uintptr_t)m.arg_start, args);
  m.arg_start = (uintptr_t)trim_strings;
  m.arg_end = m.arg_start + args;
  if (env > sizeof trim_strings - args) return; /* a long environment: kept where it is, so environ still reads it */
  memcpy(trim_strings + args, (void *)(uintptr_t)m.env_start, env);
  m.env_start = m.arg_end;
  m.env_end = m.env_start + env;
  if (prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&m, sizeof m, 0) != 0) return;
  /* what ps will read, read back before the original goes: else undo and keep the stack */
  char back[sizeof trim_strings + 1];
  if (read_small("/proc/self/cmdline", back, sizeof back) != args || memcmp(back, trim_strings, args) != 0) {
    m.arg_start = orig.arg_start; m.arg_end = orig.arg_end;
    m.env_start = orig.env_start; m.env_end = orig.env_end;
    prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&m, sizeof m, 0);
    return;
  }
  void *top = trim_stack_top;
  /* 16-byte aligned before the call, as the ABI wants; trimmed_loop never returns */
  __asm__ volatile("mov %0, %%rsp\n\tcall *%1\n\tud2" : : "r"(top), "r"(trimmed_loop) : "memory");
  __builtin_unreachable();
}
#else
static void trim_and_wait(void) {}
#endif

int main(int argc, char **argv) {
  int tty = 0, cmd = -1;
  const char *exec_file = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--tty") == 0) tty = 1;
    else if (strcmp(argv[i], "--exec") == 0 && i + 1 < argc) exec_file = argv[++i];
    else if (strcmp(argv[i], "--") == 0) { cmd = i + 1; break; }
  }
  if (cmd < 0 || cmd >= argc) {
    fprintf(stderr, "usage: minictr-init [--tty] -- CMD [ARGS...] | --exec FILE -- ARGV0 [ARGS...]\n");
    return 125;
  }
  if (exec_file) {
    execv(exec_file, argv + cmd);
    int e = errno;
    fprintf(stderr, "minictr: exec %s: %s\n", argv[cmd], strerror(e));
    return e == ENOENT ? 127 : 126;
  }

  sigset_t old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);

  child = fork();
  if (child < 0) {
    fprintf(stderr, "minictr-init: fork: %s\n", strerror(errno));
    return 125;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    setsid();
    /* the pty becomes the command's controlling terminal: job control, Ctrl-C, SIGWINCH */
    if (tty && ioctl(0, TIOCSCTTY, 0) < 0) fprintf(stderr, "minictr-init: TIOCSCTTY: %s\n", strerror(errno));
    execvp(argv[cmd], argv + cmd);
    int e = errno;
    fprintf(stderr, "minictr: exec %s: %s\n", argv[cmd], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }

  trim_and_wait(); /* returns only if it could not trim */
  wait_loop();
}
