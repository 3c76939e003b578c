/*
 * Enter a running container (`exec`, `minictr-oci exec`): fork a C child, setns() there into
 * the container's namespaces, and fork again so the command is really inside the PID
 * namespace (setns(CLONE_NEWPID) only affects children). The command then gets the
 * container's limits, keyring, capabilities, user and seccomp filter, and is exec'd through
 * minictr-init from a sealed memfd, as PID 1 is. Node itself never calls setns.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct { int flag; const char *name; } ns_order[] = {
  /* user first (it owns the others), cgroup next (needs the host's view), mnt last (it
   * changes our root and /proc) */
  { CLONE_NEWUSER, "user" }, { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" },
  { CLONE_NEWNET, "net" }, { CLONE_NEWPID, "pid" }, { CLONE_NEWNS, "mnt" },
};
#define N_NS (sizeof ns_order / sizeof ns_order[0])

int ctr_enter(struct ctr_enter_config *c, struct ctr_spawn_result *r) {
  memset(r, 0, sizeof *r);
  int nsfd[N_NS];
  for (size_t i = 0; i < N_NS; i++) {
    nsfd[i] = -1;
    if (!(c->ns_flags & ns_order[i].flag)) continue;
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)c->target, ns_order[i].name);
    nsfd[i] = open(p, O_RDONLY | O_CLOEXEC);
    if (nsfd[i] < 0) {
      r->err = errno;
      snprintf(r->step, sizeof r->step, "open(%s)", p);
      for (size_t j = 0; j < i; j++) if (nsfd[j] >= 0) close(nsfd[j]);
      return -1;
    }
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    r->err = errno;
    strcpy(r->step, "socketpair(AF_UNIX, SOCK_SEQPACKET)");
    return -1;
  }
  long pid = ctr_clone3(0, -1);
  if (pid == 0) {
    close(sv[0]);
    ctr_explain_init(c->explain_fd, sv[1]);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    int keep[7 + N_NS] = { sv[1], c->explain_fd, c->stdio[0], c->stdio[1], c->stdio[2], c->cgroup_fd, c->init_fd };
    for (size_t i = 0; i < N_NS; i++) keep[7 + i] = nsfd[i];
    ctr_close_fds_except(keep, 7 + N_NS, 3 + c->preserve_fds);
    char pidbuf[32];
    int plen = snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
    for (size_t i = 0; i < c->n_cgroup_procs; i++) {
      ctr_explain("join the container's cgroup", "echo %d > %s", (int)getpid(), c->cgroup_procs[i]);
      int fd = open(c->cgroup_procs[i], O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, pidbuf, (size_t)plen) != plen) ctr_fail("write(%s)", c->cgroup_procs[i]);
      close(fd);
    }
    for (size_t i = 0; i < N_NS; i++) {
      if (nsfd[i] < 0) continue;
      ctr_explain("join a namespace of the container", "nsenter --%s=/proc/%d/ns/%s", ns_order[i].name,
                  (int)c->target, ns_order[i].name);
      if (setns(nsfd[i], ns_order[i].flag) < 0) ctr_fail("setns(/proc/%d/ns/%s)", (int)c->target, ns_order[i].name);
      close(nsfd[i]);
    }
    long inner = ctr_clone3(0, c->cgroup_fd);
    if (inner < 0) ctr_fail("fork() inside the container");
    if (inner == 0) {
      if (c->tty) {
        ctr_pty_for_parent(0, 0, 0);
        if (setsid() < 0) ctr_fail("setsid()");
        if (ctr_take_ctty() < 0) ctr_fail("ioctl(TIOCSCTTY)");
      } else {
        /* a session of its own, so the command cannot reach the caller's terminal (TIOCSTI) */
        if (setsid() < 0) ctr_fail("setsid()");
        ctr_setup_stdio(c->stdio);
      }
      if (c->cwd) ctr_enter_cwd(c->cwd);
      char found[4096];
      if (ctr_find_command(c->argv + c->command_index, c->envp, found, sizeof found) < 0)
        ctr_fail("exec: \"%s\": executable file not found in $PATH", c->argv[c->command_index]);
      c->argv[c->exec_path_slot] = found;
      if (c->apply_creds) {
        ctr_set_rlimits(&c->creds);
        ctr_join_session_keyring(&c->creds);
        if (!c->creds.no_new_privs) ctr_load_seccomp(&c->creds);
        ctr_apply_creds(&c->creds);
      }
      ctr_reset_signals();
      if (c->apply_creds && c->creds.no_new_privs) ctr_load_seccomp(&c->creds);
      ctr_explain("run the command, through minictr's init from a sealed memfd (never a host binary)", "exec %s", c->argv[c->command_index]);
      ctr_execveat(c->init_fd, "", c->argv, c->envp, AT_EMPTY_PATH);
      ctr_fail("execve(minictr-init)");
    }
    /* report the inner pid, then step aside: our end of the socket closes, so the parent
     * sees EOF once the command has exec'd */
    struct ctr_msg m;
    memset(&m, 0, sizeof m);
    m.type = CTR_MSG_PID;
    m.err = (int)inner;
    ctr_send_msg(&m, -1);
    /* wait until the command has exec'd (or failed): the inner's copy of the socket closes */
    close(sv[1]);
    if (c->explain_fd >= 0) close(c->explain_fd);
    for (int i = 0; i < 3; i++) if (c->stdio[i] > 2) close(c->stdio[i]);
    /* --detach: step aside at once; the command is adopted by our parent's subreaper */
    if (c->detach) _exit(0);
    ctr_reset_signals();
    int status;
    while (waitpid((pid_t)inner, &status, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
    _exit(WEXITSTATUS(status));
  }
  int e = errno;
  close(sv[1]);
  for (size_t i = 0; i < N_NS; i++) if (nsfd[i] >= 0) close(nsfd[i]);
  if (pid < 0) {
    close(sv[0]);
    r->err = e;
    strcpy(r->step, "fork()");
    return -1;
  }
  r->pid = (pid_t)pid;
  r->sync_fd = sv[0];
  return 0;
}
