/*
 * Namespaces the child does not make but joins (an engine's network namespace, a pod's IPC
 * namespace: OCI `linux.namespaces[].path`), becoming root inside a new user namespace once
 * the parent has written its id maps, and the sysctls of the namespaces it is in.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *ns_name(int type) {
  switch (type) {
    case CLONE_NEWNET: return "net";
    case CLONE_NEWIPC: return "ipc";
    case CLONE_NEWUTS: return "uts";
    case CLONE_NEWCGROUP: return "cgroup";
    case CLONE_NEWNS: return "mnt";
    case CLONE_NEWPID: return "pid";
    case CLONE_NEWUSER: return "user";
    default: return "?";
  }
}

void ctr_join_namespaces(const struct ctr_config *c) {
  for (size_t i = 0; i < c->n_joins; i++) {
    const struct ctr_nsjoin *j = &c->joins[i];
    ctr_explain("join an existing namespace", "nsenter --%s=%s", ns_name(j->type), j->path);
    if (setns(j->fd, j->type) < 0) ctr_fail("setns(%s, CLONE_NEW%s)", j->path, ns_name(j->type));
    close(j->fd);
  }
}

/* In a new user namespace we start as the overflow user until the parent maps us; then
 * root of the namespace is whatever host uid the map gives container uid 0. */
void ctr_become_userns_root(void) {
  ctr_explain("become root of the new user namespace (the parent wrote uid_map and gid_map)",
              "setresgid(0, 0, 0); setresuid(0, 0, 0)");
  if (ctr_setresgid(0) < 0) ctr_fail("setresgid(0) in the user namespace");
  if (ctr_setresuid(0) < 0) ctr_fail("setresuid(0) in the user namespace");
}

/* Written through the container's own /proc, so they land in its namespaces. The keys were
 * checked by the parent to be namespaced ones (net.*, kernel.msg*, fs.mqueue.* ...). */
void ctr_write_sysctls(const struct ctr_config *c) {
  for (size_t i = 0; i < c->n_sysctls; i++) {
    const struct ctr_sysctl *s = &c->sysctls[i];
    char path[512];
    int n = snprintf(path, sizeof path, "/proc/sys/%s", s->key);
    if (n < 0 || (size_t)n >= sizeof path) { errno = ENAMETOOLONG; ctr_fail("sysctl %s", s->key); }
    for (char *p = path + 10; *p; p++) if (*p == '.') *p = '/';
    ctr_explain("set a namespaced kernel parameter", "sysctl -w %s='%s'", s->key, s->value);
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) ctr_fail("open(%s)", path);
    size_t len = strlen(s->value);
    if (write(fd, s->value, len) != (ssize_t)len) ctr_fail("write(%s, %s)", path, s->value);
    close(fd);
  }
}
