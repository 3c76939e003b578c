/*
 * Privileges: the last thing before execve. Root in the container keeps only the capabilities
 * asked for (Docker's 14 by default) in the bounding, effective and permitted sets, with
 * inheritable and ambient empty, and no_new_privs so no setuid binary can win more back.
 */
#include "minictr.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <grp.h>
#include <unistd.h>

static void caps_hex(uint64_t caps, char *buf, size_t len) {
  snprintf(buf, len, "%016llx", (unsigned long long)caps);
}

void ctr_drop_privileges(const struct ctr_config *c) {
  char hex[32];
  caps_hex(c->caps, hex, sizeof hex);

  ctr_explain("drop capabilities from the bounding set (they can never come back)",
              "capsh --caps-bound=0x%s  # prctl(PR_CAPBSET_DROP, cap) for every other cap", hex);
  for (int cap = 0; cap <= c->last_cap; cap++) {
    if (c->caps & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) ctr_fail("prctl(PR_CAPBSET_DROP, %d)", cap);
  }

  ctr_explain("clear ambient capabilities", "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    ctr_fail("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");

  if (c->uid >= 0 && c->gid >= 0) {
    gid_t g = (gid_t)c->gid;
    ctr_explain("become the requested user (a non-root user keeps no capabilities)", "setpriv --reuid=%d --regid=%d --init-groups", c->uid, c->gid);
    if (setgroups(1, &g) < 0) ctr_fail("setgroups(%d)", c->gid);
    if (setresgid(g, g, g) < 0) ctr_fail("setresgid(%d)", c->gid);
    if (setresuid((uid_t)c->uid, (uid_t)c->uid, (uid_t)c->uid) < 0) ctr_fail("setresuid(%d)", c->uid);
  }

  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  data[0].effective = data[0].permitted = (uint32_t)(c->caps & 0xffffffffu);
  data[1].effective = data[1].permitted = (uint32_t)(c->caps >> 32);
  ctr_explain("set effective and permitted capabilities, inheritable empty",
              "capset(CapEff=CapPrm=0x%s, CapInh=0)", hex);
  /* after setuid to non-root the kernel has already emptied the sets; capset would fail */
  if ((c->uid <= 0) && syscall(SYS_capset, &hdr, data) < 0) ctr_fail("capset(0x%s)", hex);

  if (c->no_new_privs) {
    ctr_explain("no_new_privs: setuid binaries and file capabilities grant nothing more",
                "prctl(PR_SET_NO_NEW_PRIVS, 1)");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ctr_fail("prctl(PR_SET_NO_NEW_PRIVS)");
  }
}
