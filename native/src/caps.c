/*
 * Privileges: the last thing before execve. The process keeps exactly the capabilities asked
 * for in each of the five sets (by default Docker's 14 in bounding, effective and permitted;
 * inheritable and ambient empty), becomes the requested user with its supplementary groups,
 * and gets no_new_privs so no setuid binary can win more back. The order is runc's:
 * bounding set first (it needs CAP_SETPCAP), then the user change with PR_SET_KEEPCAPS (or
 * setuid would empty the sets), then capset, then the ambient set.
 */
#include "minictr.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void describe_groups(const struct ctr_creds *c, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < c->n_groups && used + 12 < len; i++)
    used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? "," : "", (unsigned)c->groups[i]);
}

void ctr_apply_creds(const struct ctr_creds *c) {
  ctr_explain("drop capabilities from the bounding set (they can never come back)",
              "capsh --caps-bound=0x%016llx  # prctl(PR_CAPBSET_DROP, cap) for every other cap", (unsigned long long)c->bounding);
  for (int cap = 0; cap <= c->last_cap; cap++) {
    if (c->bounding & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) ctr_fail("prctl(PR_CAPBSET_DROP, %d)", cap);
  }

  if (c->uid >= 0 && c->gid >= 0) {
    char groups[256];
    describe_groups(c, groups, sizeof groups);
    ctr_explain("become the requested user and groups", "setpriv --reuid=%d --regid=%d --groups=%s", c->uid, c->gid,
                *groups ? groups : "''");
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) ctr_fail("prctl(PR_SET_KEEPCAPS)");
    if (ctr_setgroups(c->n_groups, c->groups) < 0) ctr_fail("setgroups(%s)", *groups ? groups : "none");
    if (ctr_setresgid((gid_t)c->gid) < 0) ctr_fail("setresgid(%d)", c->gid);
    if (ctr_setresuid((uid_t)c->uid) < 0) ctr_fail("setresuid(%d)", c->uid);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) ctr_fail("prctl(PR_SET_KEEPCAPS, 0)");
  }

  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)(c->effective >> (32 * i));
    data[i].permitted = (uint32_t)(c->permitted >> (32 * i));
    data[i].inheritable = (uint32_t)(c->inheritable >> (32 * i));
  }
  ctr_explain("set the effective, permitted and inheritable capabilities",
              "capset(CapEff=0x%016llx, CapPrm=0x%016llx, CapInh=0x%016llx)", (unsigned long long)c->effective,
              (unsigned long long)c->permitted, (unsigned long long)c->inheritable);
  if (syscall(SYS_capset, &hdr, data) < 0) ctr_fail("capset(CapEff=0x%016llx)", (unsigned long long)c->effective);

  /* The kernel raises an ambient capability only if it is both permitted and inheritable.
   * Engines list ambient caps without inheritable ones (buildah run copies its effective set
   * into ambient and leaves inheritable empty); runc raises them one by one and only warns
   * when one fails, so the same spec must run here too: the others are left out. */
  uint64_t ambient = c->ambient & c->permitted & c->inheritable;
  ctr_explain("set the ambient capabilities (kept across exec by a non-root user), those also permitted and inheritable",
              "prctl(PR_CAP_AMBIENT_CLEAR_ALL) + raise 0x%016llx", (unsigned long long)ambient);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    ctr_fail("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  for (int cap = 0; cap <= c->last_cap; cap++) {
    if (!(ambient & (1ULL << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) ctr_fail("prctl(PR_CAP_AMBIENT_RAISE, %d)", cap);
  }

  if (c->umask >= 0) {
    ctr_explain("set the file mode creation mask", "umask %04o", (unsigned)c->umask);
    umask((mode_t)c->umask);
  }
  if (c->no_new_privs) {
    ctr_explain("no_new_privs: setuid binaries and file capabilities grant nothing more",
                "prctl(PR_SET_NO_NEW_PRIVS, 1)");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ctr_fail("prctl(PR_SET_NO_NEW_PRIVS)");
  }
}
