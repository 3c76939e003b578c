/*
 * The container's terminal (run -t, exec -t): a pty from the container's own devpts instance,
 * so `tty` inside names a real file there. The master goes up to the parent over the sync
 * socket (minictr relays it to the user's terminal, the monitor logs it, or minictr-oci hands
 * it to the engine's console socket); the slave becomes fds 0, 1 and 2 and /dev/console.
 */
#include "minictr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* /dev/console is the terminal too (runtime-spec "dev/console"): bind the slave over it. */
static void bind_console(int master) {
  unsigned int n;
  if (ioctl(master, TIOCGPTN, &n) < 0) ctr_fail("ioctl(/dev/ptmx, TIOCGPTN)");
  char slave[64];
  snprintf(slave, sizeof slave, "/dev/pts/%u", n);
  ctr_explain("make /dev/console the container's terminal", "mount --bind %s /dev/console", slave);
  int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
  else if (errno != EEXIST && errno != ENXIO && errno != EACCES) ctr_fail("create /dev/console");
  if (mount(slave, "/dev/console", NULL, MS_BIND, NULL) < 0) ctr_fail("mount(%s, /dev/console, bind)", slave);
}

void ctr_pty_for_parent(unsigned short rows, unsigned short cols, int console) {
  ctr_explain("open a terminal in the container's own devpts", "open(\"/dev/ptmx\") + ioctl(TIOCGPTPEER)");
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) ctr_fail("open(/dev/ptmx)");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) ctr_fail("ioctl(/dev/ptmx, TIOCSPTLCK)");
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) ctr_fail("ioctl(/dev/ptmx, TIOCGPTPEER)");
  if (console) bind_console(master);
  if (rows && cols) {
    struct winsize ws = { .ws_row = rows, .ws_col = cols };
    ioctl(slave, TIOCSWINSZ, &ws);
  }
  struct ctr_msg m;
  memset(&m, 0, sizeof m);
  m.type = CTR_MSG_PTY;
  ctr_send_msg(&m, master);
  close(master);
  int fds[3] = { slave, slave, slave };
  ctr_setup_stdio(fds);
  close(slave);
}

/* Make fd 0 (the pty slave) our controlling terminal; we must be a session leader. */
int ctr_take_ctty(void) {
  return ioctl(0, TIOCSCTTY, 0);
}
