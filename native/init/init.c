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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

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

  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);

  pid_t child = fork();
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
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return WEXITSTATUS(status);
    }
  }
}
