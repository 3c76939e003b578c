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
static const struct ctr_explain_name *names;
static size_t n_names;
static int pausing;

void ctr_explain_init(int efd, int sfd) {
  explain_fd = efd;
  sync_fd = sfd;
}

/* The memory stays the caller's (the child's copy of the config); NULL, 0 forgets it. */
void ctr_explain_names(const struct ctr_explain_name *list, size_t n) {
  names = list;
  n_names = n;
}

/* in into out with each name's value written $name (${name} before a letter, digit or _,
 * so the line stays one a shell reads the same way); the first, longest, value wins */
static size_t abbreviate(const char *in, size_t len, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 1 < cap;) {
    size_t k = 0, vl = 0;
    for (; k < n_names; k++) {
      vl = strlen(names[k].value);
      if (vl && vl <= len - i && memcmp(in + i, names[k].value, vl) == 0) break;
    }
    if (k == n_names) { out[o++] = in[i++]; continue; }
    char next = i + vl < len ? in[i + vl] : '\0';
    int brace = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9') || next == '_';
    int n = snprintf(out + o, cap - o, brace ? "${%s}" : "$%s", names[k].name);
    if (n < 0 || (size_t)n >= cap - o) break;
    o += (size_t)n;
    i += vl;
  }
  return o;
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
  if (n_names) {
    char short_line[sizeof line];
    write_all(explain_fd, short_line, abbreviate(line, (size_t)n, short_line, sizeof short_line));
  } else {
    write_all(explain_fd, line, (size_t)n);
  }
  errno = saved;
}

const char *const ctr_pause_steps[CTR_PAUSE_COUNT] = {
  [CTR_PAUSE_ROOTFS] = "rootfs", [CTR_PAUSE_PIVOT_ROOT] = "pivot_root", [CTR_PAUSE_HOSTNAME] = "hostname",
  [CTR_PAUSE_NETWORK] = "network", [CTR_PAUSE_CREDS] = "creds", [CTR_PAUSE_EXEC] = "exec",
};

void ctr_pause_init(int on) {
  pausing = on;
}

void ctr_pause(enum ctr_pause step) {
  if (!pausing) return;
  struct ctr_msg m;
  memset(&m, 0, sizeof m);
  m.type = CTR_MSG_PAUSE;
  snprintf(m.step, sizeof m.step, "%s", ctr_pause_steps[step]);
  ctr_send_msg(&m, -1);
  char b = 0;
  ssize_t n;
  while ((n = read(sync_fd, &b, 1)) < 0 && errno == EINTR) {}
  /* the parent is gone or said no (Ctrl-C at the pause): nobody to report to */
  if (n != 1 || b != CTR_RESUME) _exit(125);
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
