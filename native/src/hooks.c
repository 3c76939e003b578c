/*
 * OCI hooks that run inside the container's namespaces (createContainer before pivot_root,
 * startContainer just before the command): fork, exec the hook with the container's state
 * JSON on its stdin, wait up to its timeout. A hook that fails or times out fails the step,
 * as the runtime-spec asks. (createRuntime, prestart, poststart and poststop run on the
 * host side, in src/oci/hooks.ts.)
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void run_hook(const char *phase, const struct ctr_hook *h, const char *state) {
  ctr_explain(phase[0] == 'c' ? "run a createContainer hook (in the container's namespaces, before pivot_root)"
                              : "run a startContainer hook (in the container, before the command)",
              "%s < state.json", h->path);
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0) ctr_fail("pipe for the %s hook %s", phase, h->path);
  long pid = ctr_clone3(0, -1);
  if (pid < 0) ctr_fail("fork for the %s hook %s", phase, h->path);
  if (pid == 0) {
    dup2(in[0], 0);
    ctr_reset_signals();
    char *argv0[] = { h->path, NULL };
    char *envp0[] = { NULL };
    execve(h->path, h->argv && h->argv[0] ? h->argv : argv0, h->envp ? h->envp : envp0);
    dprintf(2, "minictr: %s hook %s: %s\n", phase, h->path, strerror(errno));
    _exit(127);
  }
  close(in[0]);
  size_t len = state ? strlen(state) : 0, off = 0;
  struct sigaction ign, old;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old); /* a hook that ignores its stdin must not kill us */
  while (off < len) {
    ssize_t n = write(in[1], state + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* the hook does not read its stdin: fine */
    off += (size_t)n;
  }
  close(in[1]);
  sigaction(SIGPIPE, &old, NULL);
  struct timespec tick = { 0, 10 * 1000 * 1000 };
  long waited_ms = 0;
  int status = 0;
  for (;;) {
    pid_t w = waitpid((pid_t)pid, &status, WNOHANG);
    if (w == (pid_t)pid) break;
    if (w < 0 && errno != EINTR) ctr_fail("waitpid(%s hook %s)", phase, h->path);
    if (h->timeout > 0 && waited_ms >= (long)h->timeout * 1000) {
      kill((pid_t)pid, SIGKILL);
      waitpid((pid_t)pid, &status, 0);
      errno = ETIMEDOUT;
      ctr_fail("%s hook %s: timed out after %d s", phase, h->path, h->timeout);
    }
    nanosleep(&tick, NULL);
    waited_ms += 10;
  }
  if (WIFSIGNALED(status)) { errno = ECHILD; ctr_fail("%s hook %s: killed by signal %d", phase, h->path, WTERMSIG(status)); }
  if (WEXITSTATUS(status) != 0) { errno = ECHILD; ctr_fail("%s hook %s: exited with status %d", phase, h->path, WEXITSTATUS(status)); }
}

void ctr_run_hooks(const char *phase, const struct ctr_hook *hooks, size_t n, const char *state) {
  for (size_t i = 0; i < n; i++) run_hook(phase, &hooks[i], state);
}
