/* bench/seccomp-filter.sh's holder: seccomp-hold [FILE|none [once|calls]] loads FILE
 * (struct sock_filter[]; none: no filter) as its seccomp filter, writes how long seccomp(2) took (microseconds), then
 * sleeps until killed; "once": exits; "calls": first times a few calls under the filter (ns
 * per call, best of 5 loops of 100000), early and late in libseccomp's list, one refused */
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
  if (argc > 1 && strcmp(argv[1], "none") != 0) { /* "none": no filter, for the baseline */
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
  if (argc > 2 && !strcmp(argv[2], "calls")) {
    static const struct { const char *name; long nr; long a; } c[] = {
      { "read(-1)", SYS_read, -1 }, { "getpid", SYS_getpid, 0 }, { "gettid", SYS_gettid, 0 },
      { "getrandom(0)", SYS_getrandom, 0 }, { "keyctl(refused)", SYS_keyctl, 0 },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
      double best = 1e18;
      for (int r = 0; r < 5; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int j = 0; j < 100000; j++) syscall(c[i].nr, c[i].a, 0, 0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 100000;
        if (ns < best) best = ns;
      }
      printf("%s %.0f\n", c[i].name, best);
    }
    return 0;
  }
  fflush(stdout);
  if (argc > 2 && !strcmp(argv[2], "once")) return 0;
  for (;;) pause();
}
