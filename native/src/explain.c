/*
 * Teaching output and failure reports for the child.
 *
 * Each kernel step in the child calls ctr_explain() right before it acts, so --explain shows
 * exactly what is done, in order. A failing step calls ctr_fail() with the same name, which
 * sends "step: errno" to the parent over the sync socket and exits: no failure is silent.
 * Only snprintf and write(2) are used: safe in a child cloned from a multithreaded process.
 */
#include "minictr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int explain_fd = -1;
static int sync_fd = -1;

void ctr_explain_init(int efd, int sfd) {
  explain_fd = efd;
  sync_fd = sfd;
}

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    buf += n;
    len -= (size_t)n;
  }
}

void ctr_explain(const char *what, const char *fmt, ...) {
  if (explain_fd < 0) return;
  int saved = errno;
  char line[2048];
  int n = snprintf(line, sizeof line, "  %s\n    $ ", what);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof line) n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof line - 1) n = (int)sizeof line - 2;
  line[n++] = '\n';
  write_all(explain_fd, line, (size_t)n);
  errno = saved;
}

void ctr_send_msg(const struct ctr_msg *m, int fd_to_pass) {
  ctr_sendmsg_fd(sync_fd, m, sizeof *m, fd_to_pass);
}

void ctr_fail(const char *fmt, ...) {
  struct ctr_msg m;
  memset(&m, 0, sizeof m);
  m.type = CTR_MSG_ERROR;
  m.err = errno;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m.step, sizeof m.step, fmt, ap);
  va_end(ap);
  if (sync_fd >= 0) ctr_send_msg(&m, -1);
  _exit(125);
}
