/* bench/seccomp-filter.sh's holder: seccomp-hold [FILE [once]] loads FILE (struct sock_filter[])
 * as its seccomp filter, writes how long seccomp(2) took (microseconds), then sleeps until
 * killed, or with "once" exits */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  static struct sock_filter f[4096];
  double us = 0;
  if (argc > 1) {
    FILE *in = fopen(argv[1], "rb");
    if (!in) { perror(argv[1]); return 1; }
    size_t n = fread(f, sizeof f[0], 4096, in);
    fclose(in);
    struct sock_fprog p = { .len = (unsigned short)n, .filter = f };
    struct timespec a, b;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("prctl"); return 1; }
    clock_gettime(CLOCK_MONOTONIC, &a);
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (rc) { perror("seccomp"); return 1; }
    us = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
  }
  printf("%.1f\n", us);
  fflush(stdout);
  if (argc > 2 && !strcmp(argv[2], "once")) return 0;
  for (;;) pause();
}
