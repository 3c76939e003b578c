/*
 * The container's first process, from clone() to execve(), all in C (cf. runc's nsexec.c and
 * init). This file is only the order of the steps; each step lives with its kernel concern.
 * Order matters and is the lesson:
 *   wait for the parent's host-side work (cgroups, user namespace maps, network) ->
 *   join the v1 cgroups -> join namespaces -> build the filesystem -> createContainer hooks -> pivot_root ->
 *   sysctls, masks, read-only root -> hostname -> network -> terminal -> cwd ->
 *   rlimits, keyring, personality -> capabilities, user -> (OCI: ready, wait for start,
 *   startContainer hooks) -> seccomp -> exec minictr-init from a sealed memfd.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void describe_argv(char **argv, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (char **a = argv; *a && used + 1 < len; a++) {
    int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", *a);
    if (n < 0) break;
    used += (size_t)n;
  }
}

/* OCI create: tell the parent we are ready, then block until `start` opens the fifo for
 * reading (as runc's exec.fifo). The fd is O_PATH, opened before pivot_root; reopening it
 * through /proc/self/fd gives a real write end without needing the host path. The write end
 * stays open, close-on-exec: `start` reads EOF once the command is exec'd (after the
 * startContainer hooks), and only then runs the poststart hooks. */
static void wait_for_start(const struct ctr_config *c) {
  struct ctr_msg m;
  memset(&m, 0, sizeof m);
  m.type = CTR_MSG_READY;
  ctr_send_msg(&m, -1);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", c->exec_fifo_fd);
  int fd;
  while ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 && errno == EINTR) {}
  /* nobody is left to report to: the parent (create) has exited */
  if (fd < 0) { dprintf(2, "minictr: open exec fifo: %s\n", strerror(errno)); _exit(125); }
  if (write(fd, "0", 1) < 0) _exit(125);
  close(c->exec_fifo_fd);
}

/* v1 hierarchies: join the container's cgroup by writing "0" (the writer itself) to each
 * controller's `tasks` file, before anything else runs here. The kernel skips its global
 * cgroup_threadgroup_rwsem for a thread that moves itself (cgroup_procs_write_start: no pid,
 * one thread), a lock whose write side waits for an RCU grace period: the parent writing our
 * pid to cgroup.procs paid ~10 ms on the first hierarchy. We are one thread, so `tasks` moves
 * the whole process. Done before we become the user namespace's root: the file is host
 * root's, and so are we until then. (cgroup2: cloned straight into it, CLONE_INTO_CGROUP.) */
static void join_cgroups(const struct ctr_config *c) {
  for (size_t i = 0; i < c->n_cgroup_tasks; i++) {
    const char *file = c->cgroup_tasks[i];
    ctr_explain("join the container's v1 cgroup (the child writes 0: itself)", "echo 0 > %s", file);
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) ctr_fail("write(%s, 0)", file);
    close(fd);
  }
}

/* The state hooks get: the parent wrote it (JSON.stringify) as "creating"; once `start` has
 * been called the container is "created" (runtime-spec lifecycle), which is what the
 * startContainer hooks must read. */
static void state_now_created(char *state) {
  static const char from[] = "\"status\":\"creating\"", to[] = "\"status\":\"created\"";
  char *p = state ? strstr(state, from) : NULL;
  if (!p) return;
  memcpy(p, to, sizeof to - 1);
  memmove(p + sizeof to - 1, p + sizeof from - 1, strlen(p + sizeof from - 1) + 1);
}

int ctr_child_main(struct ctr_config *c) {
  ctr_explain_init(c->explain_fd, c->sync_fd);
  ctr_explain_names(c->explain_names, c->n_explain_names);
  ctr_pause_init(c->pause_steps);
  /* Until execve this process is a copy of the host's node; non-dumpable means no process in
   * the container can open our /proc/PID/exe (CVE-2019-5736) or ptrace us. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (c->die_with_parent) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  int keep[8 + 16];
  size_t nk = 0;
  int fixed[] = { c->sync_fd, c->explain_fd, c->init_fd, c->stdio[0], c->stdio[1], c->stdio[2], c->exec_fifo_fd };
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) keep[nk++] = fixed[i];
  for (size_t i = 0; i < c->n_joins && nk < sizeof keep / sizeof keep[0]; i++) keep[nk++] = c->joins[i].fd;
  ctr_close_fds_except(keep, nk, 3 + c->preserve_fds);

  /* wait until the parent has placed us in our cgroup, written our id maps and set up the
   * network; "go" carries the state JSON our hooks read (the parent knows our host pid),
   * and, with --userns=remap, the root the parent made of idmapped layers (idmap.c) */
  static char go[65536];
  ssize_t n = ctr_recvmsg_fd(c->sync_fd, go, sizeof go - 1, &c->root_fd);
  if (n < 1 || go[0] != 'g') _exit(125); /* parent gone: nothing to report to */
  go[n] = '\0';
  c->hook_state = go + 1;

  join_cgroups(c);
  if (c->clone_flags & CLONE_NEWUSER) ctr_become_userns_root();
  if (setsid() < 0) ctr_fail("setsid()");
  if (c->unshare_cgroupns) {
    ctr_explain("new cgroup namespace: our cgroup becomes the root of /sys/fs/cgroup", "unshare --cgroup");
    if (unshare(CLONE_NEWCGROUP) < 0) ctr_fail("unshare(CLONE_NEWCGROUP)");
  }
  ctr_join_namespaces(c);
  if (!c->tty) ctr_setup_stdio(c->stdio);

  ctr_pause(CTR_PAUSE_ROOTFS);
  ctr_setup_rootfs(c);
  ctr_run_hooks("createContainer", c->create_hooks, c->n_create_hooks, c->hook_state);
  ctr_pause(CTR_PAUSE_PIVOT_ROOT);
  ctr_pivot_root_to(c);
  ctr_write_sysctls(c);
  ctr_mask_paths(c);
  ctr_make_cwd(c->cwd);
  ctr_finish_root(c);

  if (c->hostname) {
    ctr_pause(CTR_PAUSE_HOSTNAME);
    ctr_explain("set the hostname in the new UTS namespace", "hostname %s", c->hostname);
    if (sethostname(c->hostname, strlen(c->hostname)) < 0) ctr_fail("sethostname(%s)", c->hostname);
  }
  if (c->domainname) {
    ctr_explain("set the NIS domain name in the new UTS namespace", "domainname %s", c->domainname);
    if (setdomainname(c->domainname, strlen(c->domainname)) < 0) ctr_fail("setdomainname(%s)", c->domainname);
  }
  if (c->loopback_up || c->net_ifname) ctr_pause(CTR_PAUSE_NETWORK);
  if (c->loopback_up) ctr_loopback_up();
  if (c->net_ifname) ctr_configure_interface(c);

  if (c->tty) {
    ctr_pty_for_parent(c->tty_rows, c->tty_cols, 1);
    /* Without minictr-init as PID 1 (OCI: the trampoline execs the command at once) nobody
     * else would make the pty the command's controlling terminal, and a shell would run
     * without job control ("can't access tty"). We are the session leader (setsid above),
     * as runc's init is when it does the same. minictr-init does it for its child otherwise:
     * the terminal must stay free for that child's own session. */
    if (c->exec_path_slot > 0) {
      ctr_explain("make the terminal the command's controlling terminal", "ioctl(0, TIOCSCTTY)");
      if (ctr_take_ctty() < 0) ctr_fail("ioctl(TIOCSCTTY)");
    }
  }

  ctr_enter_cwd(c->cwd);
  /* the command must exist before we say we are ready (runc fails `create` the same way) */
  char found[4096];
  if (c->exec_path_slot > 0) {
    if (ctr_find_command(c->argv + c->command_index, c->envp, found, sizeof found) < 0)
      ctr_fail("exec: \"%s\": executable file not found in $PATH", c->argv[c->command_index]);
    c->argv[c->exec_path_slot] = found;
  }
  ctr_pause(CTR_PAUSE_CREDS);
  ctr_set_rlimits(&c->creds);
  ctr_join_session_keyring(&c->creds);
  ctr_set_personality(&c->creds);
  /* without no_new_privs only CAP_SYS_ADMIN may load a filter: load it while we have it */
  if (!c->creds.no_new_privs) ctr_load_seccomp(&c->creds);
  ctr_apply_creds(&c->creds);
  ctr_reset_signals();

  if (c->exec_fifo_fd >= 0) {
    wait_for_start(c);
    state_now_created(c->hook_state);
  }
  ctr_run_hooks("startContainer", c->start_hooks, c->n_start_hooks, c->hook_state);
  ctr_pause(CTR_PAUSE_EXEC);
  if (c->creds.no_new_privs) ctr_load_seccomp(&c->creds);

  char shown[1024];
  describe_argv(c->argv, shown, sizeof shown);
  ctr_explain(c->exec_path_slot > 0 ? "exec the command, through minictr's init from a sealed memfd (never a host binary)"
                                    : "become PID 1: exec minictr's init from a sealed memfd; it runs the command",
              "exec %s", shown);
  ctr_execveat(c->init_fd, "", c->argv, c->envp, AT_EMPTY_PATH);
  ctr_fail("execve(minictr-init)");
}
