/*
 * minictr native core: shared types.
 *
 * The parent (Node's main thread, in addon.c/spawn.c) turns the TypeScript spec into a
 * struct ctr_config made only of plain C memory, then clones. The child (child.c) works on
 * that copy with raw syscalls only: no JavaScript, no malloc, nothing that could need a lock
 * another Node thread held at the moment of clone().
 */
#ifndef MINICTR_H
#define MINICTR_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#define CTR_MAX_STEP 512

/* A mount, applied inside the new root before pivot_root. target is a path inside the
 * container; it is resolved with openat2(RESOLVE_IN_ROOT) so a symlink in the image can
 * never send it to the host. */
struct ctr_mount {
  char *source;
  char *target;
  char *fstype;
  unsigned long flags;     /* MS_* */
  char *data;              /* fs options, may be NULL */
  int target_is_file;      /* create a file, not a directory, as the mount point */
};

struct ctr_device {
  char *path;              /* inside the container, e.g. /dev/null */
  mode_t mode;             /* S_IFCHR | 0666 */
  unsigned int major, minor;
};

struct ctr_symlink {
  char *target;            /* what the link points to */
  char *path;              /* inside the container */
};

struct ctr_config {
  int clone_flags;         /* CLONE_NEW* */
  int unshare_cgroupns;    /* CLONE_NEWCGROUP is done after the parent placed us in our cgroup */
  char *rootfs;            /* host path of the container root mount point */
  char *overlay_data;      /* "lowerdir=..,upperdir=..,workdir=.." or NULL: bind rootfs */
  struct ctr_mount *mounts; size_t n_mounts;
  struct ctr_device *devices; size_t n_devices;
  struct ctr_symlink *symlinks; size_t n_symlinks;
  char **masked; size_t n_masked;
  char **readonly; size_t n_readonly;
  char *hostname;          /* NULL: leave */
  char *cwd;
  char **argv;             /* for init: already "minictr-init", [flags], "--", cmd... */
  char **envp;
  uint64_t caps;           /* bit n = capability n kept (bounding, effective, permitted) */
  int uid, gid;            /* >= 0: run as this user (a non-root user keeps no capabilities) */
  int last_cap;            /* /proc/sys/kernel/cap_last_cap, read by the parent */
  int no_new_privs;
  int tty;                 /* open a pty in the container's devpts and pass the master up */
  unsigned short tty_rows, tty_cols; /* initial window size, so the shell starts at the right size */
  int stdio[3];            /* parent fds that become 0, 1, 2 (ignored with tty) */
  int loopback_up;
  char *net_ifname;        /* set: give this interface (made by the parent) an address and a default route */
  char *net_address;       /* "10.88.0.5" */
  int net_prefix;          /* 16 */
  char *net_gateway;       /* "10.88.0.1" */
  int net_tx_csum_off;     /* OVS userspace datapath: no TX checksum offload (ethtool -K eth0 tx off) */
  int netns_fd;            /* >= 0: join this network namespace (--network container:X / netns:N) */
  char *netns_path;        /* its path, for messages */
  int die_with_parent;
  int cgroup_fd;           /* >= 0: clone3(CLONE_INTO_CGROUP) into it */
  int init_fd;             /* sealed memfd holding minictr-init, exec'd as PID 1 */
  int explain_fd;          /* >= 0: write each step there as it is done */
  int sync_fd;             /* child's end of the socketpair */
};

/* Messages on the sync socket, child -> parent. */
enum ctr_msg_type { CTR_MSG_ERROR = 1, CTR_MSG_PTY = 2, CTR_MSG_PID = 3 /* err holds the pid */ };
struct ctr_msg {
  int type;
  int err;                 /* errno, for CTR_MSG_ERROR */
  char step[CTR_MAX_STEP]; /* e.g. "pivot_root(/var/lib/minictr/containers/ab12/merged)" */
};

/* explain.c: teaching output and failure reports, both from the step that does the work */
void ctr_explain_init(int fd, int sync_fd);
void ctr_explain(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctr_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void ctr_send_msg(const struct ctr_msg *m, int fd_to_pass);

/* syscalls.c: raw syscalls glibc may lack */
long ctr_clone3(int flags, int cgroup_fd);
int ctr_pivot_root(const char *new_root, const char *put_old);
int ctr_openat2_in_root(int rootfd, const char *path, int flags);
int ctr_close_range(unsigned first, unsigned last, unsigned flags);
int ctr_execveat(int fd, const char *path, char *const argv[], char *const envp[], int flags);
int ctr_sendmsg_fd(int sock, const void *buf, size_t len, int fd);
void ctr_close_fds_except(const int *keep, size_t n);

/* mounts.c: the container's filesystem */
void ctr_setup_rootfs(const struct ctr_config *c);
void ctr_pivot_root_to(const struct ctr_config *c);
void ctr_mask_paths(const struct ctr_config *c);

void ctr_describe_mount_flags(unsigned long flags, char *buf, size_t len);

/* terminal.c: the container's pty, master to the parent, slave as stdio */
void ctr_pty_for_parent(unsigned short rows, unsigned short cols);
int ctr_take_ctty(void);

/* caps.c: privileges */
void ctr_drop_privileges(const struct ctr_config *c);

/* seccomp.c: the container's syscall filter (OCI linux.seccomp). The parent compiles the
 * profile to classic BPF with libseccomp; the child only loads those bytes, last thing
 * before execve, with the raw seccomp() syscall: no libseccomp, no malloc after clone. */
struct ctr_seccomp_arg {
  int64_t index;           /* 0..5: which syscall argument */
  uint64_t value;          /* compared with it (MASKED_EQ: the mask) */
  uint64_t value_two;      /* MASKED_EQ: what the masked argument must equal */
  char *op;                /* "SCMP_CMP_EQ", "SCMP_CMP_MASKED_EQ", ... */
};
struct ctr_seccomp_syscall {
  char **names; size_t n_names;
  char *action;            /* "SCMP_ACT_ERRNO", ... */
  int has_errno_ret; int64_t errno_ret; /* ERRNO: the errno (default EPERM); TRACE: the trace value */
  struct ctr_seccomp_arg *args; size_t n_args; /* all must match (AND) */
};
struct ctr_seccomp_profile {
  char *default_action;
  int has_default_errno_ret; int64_t default_errno_ret;
  char **architectures; size_t n_architectures; /* "SCMP_ARCH_X86_64", ...; the native one is always in */
  char **flags; size_t n_flags;                 /* "SECCOMP_FILTER_FLAG_TSYNC", ... */
  struct ctr_seccomp_syscall *syscalls; size_t n_syscalls;
};
struct ctr_seccomp_filter {
  void *bpf; size_t len;   /* struct sock_filter[], malloc'd; len in bytes */
  unsigned flags;          /* SECCOMP_FILTER_FLAG_* word for seccomp(SECCOMP_SET_MODE_FILTER) */
  size_t allowed;          /* distinct syscalls of this machine's architecture that got an ALLOW rule */
};
/* Parent only. 0, or -1 with err set to one line that names the field, e.g.
 * 'linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"'. *invalid is 1 when the
 * profile is at fault, 0 when the system is (memory, memfd). */
int ctr_seccomp_compile(const struct ctr_seccomp_profile *p, struct ctr_seccomp_filter *out,
                        char *err, size_t errlen, int *invalid);
void ctr_seccomp_free(struct ctr_seccomp_filter *f);
/* Child side, safe after clone(): no allocation. 0, or -1 with errno. Needs no_new_privs or
 * CAP_SYS_ADMIN. */
int ctr_seccomp_load(const void *bpf, size_t len, unsigned flags);

/* child.c: the whole path from clone() to execve() */
int ctr_child_main(struct ctr_config *c) __attribute__((noreturn));
void ctr_reset_signals(void);
void ctr_setup_stdio(const int stdio[3]);
void ctr_enter_cwd(const char *cwd);

/* spawn.c / enter.c, called by the addon */
struct ctr_spawn_result { pid_t pid; int sync_fd; int err; char step[CTR_MAX_STEP]; };
int ctr_spawn(struct ctr_config *c, struct ctr_spawn_result *r);
/* Release the child, read what it reports. Returns 0 when it exec'd, -1 on failure (r filled).
 * *pty_master gets the pty master fd when c->tty. */
int ctr_start(int sync_fd, int *pty_master, struct ctr_spawn_result *r);
int ctr_read_reports(int sync_fd, int *pty_master, pid_t *inner_pid, struct ctr_spawn_result *r);
int ctr_load_init(const char *path, int *out_fd);

/* detach.c: run -d, with minictr-monitor as the container's parent */
struct ctr_detach {
  char *monitor_path;
  char *log_path;
  char *exit_path;
  char **on_exit;          /* argv exec'd by the monitor after the exit (run -d --rm), or NULL */
  int keep_stdin;          /* -di: stdin is a pipe the monitor holds open */
};
int ctr_spawn_detached(struct ctr_config *c, struct ctr_detach *d, struct ctr_spawn_result *r, pid_t *monitor_pid, int *ctl_fd);
int ctr_send_fd(int sock, int fd);

struct ctr_enter_config {
  pid_t target;            /* a process in the container */
  int ns_flags;            /* which namespaces to join (CLONE_NEW*) */
  char **argv, **envp;
  char *cwd;
  uint64_t caps; int last_cap; int apply_caps; int no_new_privs;
  int uid, gid;
  int stdio[3];
  int tty;                 /* open a pty in the container and pass the master up */
  int cgroup_fd;           /* >= 0: the exec'd process is cloned into this cgroup (v2) */
  char **cgroup_procs;     /* or: cgroup.procs files (v1) to write our pid into */
  size_t n_cgroup_procs;
  int explain_fd;
};
int ctr_enter(struct ctr_enter_config *c, struct ctr_spawn_result *r);

/* addon-seccomp.c: Node-API glue for seccomp.c, registered by addon.c */
#include <node_api.h>
napi_value ctr_js_compile_seccomp(napi_env env, napi_callback_info info);
napi_value ctr_js_seccomp_load(napi_env env, napi_callback_info info);

#endif
