/* bench/seccomp-filter.sh's holder: seccomp-hold [FILE] loads FILE (struct sock_filter[]) as its seccomp filter, then sleeps until killed */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  static struct sock_filter f[4096];
  if (argc > 1) {
    FILE *in = fopen(argv[1], "rb");
    if (!in) { perror(argv[1]); return 1; }
    size_t n = fread(f, sizeof f[0], 4096, in);
    fclose(in);
    struct sock_fprog p = { .len = (unsigned short)n, .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p)) { perror("seccomp"); return 1; }
  }
  write(1, "x", 1);
  for (;;) pause();
}
