/*
 * The process's own attributes, set in the child before it execs: stdio, signal state,
 * working directory, resource limits, the session keyring, the execution domain and the
 * seccomp filter; and finding the command in the container's PATH. Each is one small step
 * of child.c (and of enter.c for `exec`).
 */
#include "minictr.h"
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif
#define KEYCTL_SETPERM 5
#define KEYCTL_DESCRIBE 6
#define KEY_USR_SEARCH 0x00080000UL

/* Node ignores SIGPIPE and libuv blocks some signals; ignored dispositions and the mask
 * survive execve, so reset them or `yes | head` would spin forever in the container. */
void ctr_reset_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Make fds 0, 1, 2 what the parent asked for. */
void ctr_setup_stdio(const int stdio[3]) {
  for (int i = 0; i < 3; i++) {
    if (stdio[i] == i) {
      fcntl(i, F_SETFD, 0);
    } else if (stdio[i] >= 0) {
      if (dup2(stdio[i], i) < 0) ctr_fail("dup2(%d, %d)", stdio[i], i);
    }
  }
  for (int i = 0; i < 3; i++)
    if (stdio[i] > 2) close(stdio[i]);
}

/* mkdir -p inside the (already pivoted) root, for -w like runc. */
static void mkdir_p(const char *path) {
  char buf[4096];
  size_t len = strlen(path);
  if (len >= sizeof buf) return;
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char saved = buf[i];
    buf[i] = '\0';
    mkdir(buf, 0755);
    buf[i] = saved;
  }
}

/* A working directory the image lacks is made (as runc does), while the root is still
 * writable: before root.readonly, not at chdir time. */
void ctr_make_cwd(const char *cwd) {
  struct stat st;
  if (stat(cwd, &st) == 0 || errno != ENOENT) return;
  ctr_explain("make the working directory, missing from the image", "mkdir -p %s", cwd);
  mkdir_p(cwd);
}

void ctr_enter_cwd(const char *cwd) {
  ctr_explain("enter the working directory", "cd %s", cwd);
  if (chdir(cwd) < 0) {
    if (errno != ENOENT) ctr_fail("chdir(%s)", cwd);
    mkdir_p(cwd);
    if (chdir(cwd) < 0) ctr_fail("chdir(%s)", cwd);
  }
  /* CVE-2024-21626: a cwd reached through a leaked fd (-w /proc/self/fd/N) lies outside our
   * root; the kernel then reports it as "(unreachable)/..." */
  char here[4096];
  if (!getcwd(here, sizeof here) || here[0] != '/') {
    errno = EPERM;
    ctr_fail("chdir(%s): working directory is outside the container", cwd);
  }
}

static const char *rlimit_name(int r) {
  static const char *names[] = { "CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE",
                                 "MEMLOCK", "AS", "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME" };
  return r >= 0 && r < (int)(sizeof names / sizeof names[0]) ? names[r] : "?";
}

void ctr_set_rlimits(const struct ctr_creds *c) {
  for (size_t i = 0; i < c->n_rlimits; i++) {
    const struct ctr_rlimit *l = &c->rlimits[i];
    struct rlimit rl = { .rlim_cur = l->soft, .rlim_max = l->hard };
    char soft[24], hard[24];
    if (l->soft == RLIM_INFINITY) strcpy(soft, "unlimited"); else snprintf(soft, sizeof soft, "%llu", (unsigned long long)l->soft);
    if (l->hard == RLIM_INFINITY) strcpy(hard, "unlimited"); else snprintf(hard, sizeof hard, "%llu", (unsigned long long)l->hard);
    ctr_explain("set a resource limit", "prlimit --%s=%s:%s  # setrlimit(RLIMIT_%s)", rlimit_name(l->resource), soft, hard,
                rlimit_name(l->resource));
    if (setrlimit(l->resource, &rl) < 0) ctr_fail("setrlimit(RLIMIT_%s, %s:%s)", rlimit_name(l->resource), soft, hard);
  }
}

/* A fresh session keyring, so keys of the caller's session (and the host root's user
 * keyring reached through it) are not this container's (as runc does). Joining by name makes
 * it the first time and finds it afterwards; the finding needs the owner's search right,
 * which a new keyring lacks (possessor all, owner view/read/link): so, as runc's init does,
 * it is added, and a process entering the container (exec) joins this same keyring. */
void ctr_join_session_keyring(const struct ctr_creds *c) {
  if (!c->keyring) return;
  ctr_explain("join the container's session keyring (made by its first process): the caller's keys stay out of reach",
              "keyctl session %s", c->keyring);
  long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, c->keyring, 0, 0, 0);
  if (id < 0) {
    if (errno == ENOSYS) return;
    ctr_fail("keyctl(KEYCTL_JOIN_SESSION_KEYRING, %s)", c->keyring);
  }
  /* "keyring;UID;GID;PERM;NAME" */
  char desc[512];
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof desc - 1, 0);
  if (n < 0) ctr_fail("keyctl(KEYCTL_DESCRIBE, %ld)", id);
  desc[(size_t)n < sizeof desc ? (size_t)n : sizeof desc - 1] = '\0';
  const char *perm_at = desc;
  for (int i = 0; i < 3 && perm_at; i++) {
    perm_at = strchr(perm_at, ';');
    if (perm_at) perm_at++;
  }
  if (!perm_at) { errno = EINVAL; ctr_fail("keyctl(KEYCTL_DESCRIBE, %ld): \"%s\"", id, desc); }
  unsigned long perm = strtoul(perm_at, NULL, 16);
  if (perm & KEY_USR_SEARCH) return;
  ctr_explain("let the keyring's owner search it, so that exec finds it by name and joins it too",
              "keyctl setperm %ld 0x%08lx", id, perm | KEY_USR_SEARCH);
  if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, perm | KEY_USR_SEARCH, 0, 0) < 0) ctr_fail("keyctl(KEYCTL_SETPERM, %ld)", id);
}

void ctr_set_personality(const struct ctr_creds *c) {
  if (c->personality < 0) return;
  ctr_explain("set the execution domain", "setarch %s  # personality(0x%lx)",
              c->personality == PER_LINUX32 ? "linux32" : "linux", (unsigned long)c->personality);
  if (personality((unsigned long)c->personality) < 0) ctr_fail("personality(0x%lx)", (unsigned long)c->personality);
}

/* The filter was compiled by the parent with libseccomp (seccomp.c); here it is only handed
 * to the kernel. After this, every syscall of the container goes through it. */
void ctr_load_seccomp(const struct ctr_creds *c) {
  if (!c->seccomp || !c->seccomp_len) return;
  ctr_explain("install the seccomp filter: from now on the kernel checks every system call",
              "seccomp(SECCOMP_SET_MODE_FILTER, 0x%x, <%zu BPF instructions>)", c->seccomp_flags, c->seccomp_len / 8);
  if (ctr_seccomp_load(c->seccomp, c->seccomp_len, c->seccomp_flags) < 0) ctr_fail("seccomp(SECCOMP_SET_MODE_FILTER)");
}

/* argv[0] as execvp would find it, with the container's PATH from envp (ours is the host's). */
int ctr_find_command(char **argv, char **envp, char *out, size_t len) {
  const char *cmd = argv[0];
  struct stat st;
  if (!cmd || !*cmd) { errno = ENOENT; return -1; }
  if (strchr(cmd, '/')) {
    if (strlen(cmd) >= len) { errno = ENAMETOOLONG; return -1; }
    strcpy(out, cmd);
    return stat(out, &st) < 0 ? -1 : 0;
  }
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (char **e = envp; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t dl = end ? (size_t)(end - p) : strlen(p);
    if (dl + strlen(cmd) + 2 < len) {
      memcpy(out, p, dl);
      out[dl] = '/';
      strcpy(out + dl + 1, cmd);
      if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) return 0;
    }
    if (!end) break;
    p = end;
  }
  errno = ENOENT;
  return -1;
}
