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

/* devices.c: the device allowlist on cgroup v2, an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE)
 * attached to the container's cgroup2 directory. Rules as in OCI linux.resources.devices:
 * evaluated in order, the last matching one wins (for each access bit). */
#define CTR_DEV_ACC_MKNOD 1u       /* = BPF_DEVCG_ACC_MKNOD */
#define CTR_DEV_ACC_READ  2u       /* = BPF_DEVCG_ACC_READ */
#define CTR_DEV_ACC_WRITE 4u       /* = BPF_DEVCG_ACC_WRITE */
#define CTR_DEV_ACC_ALL   7u
struct ctr_dev_rule {
  int allow;
  char type;               /* 'a' (char and block), 'c' or 'b' */
  int64_t major, minor;    /* -1: any */
  unsigned access;         /* CTR_DEV_ACC_* */
};
struct ctr_dev_result {
  unsigned instructions;   /* length of the program built */
  uint32_t prog_id;        /* the kernel's id of the loaded program (bpftool prog show id N) */
  int replaced;            /* earlier minictr filters it took the place of (attach) */
  int err;                 /* on failure: errno, and the step that failed */
  char step[CTR_MAX_STEP];
};
struct bpf_insn;
/* The program for rules[0..n) into prog (room for ctr_devices_max_instructions(n)); returns
 * its length. Rules must be valid (type a/b/c, major/minor -1 or a device number). */
size_t ctr_devices_program(const struct ctr_dev_rule *rules, size_t n, struct bpf_insn *prog);
size_t ctr_devices_max_instructions(size_t n_rules);
/* Load the program and attach it to an open cgroup2 directory, in place of the one minictr
 * attached before (if any). path is for messages. 0, or -1 with r->err and r->step. */
int ctr_devices_attach(int cgroup_fd, const char *path, const struct ctr_dev_rule *rules, size_t n, struct ctr_dev_result *r);
/* Detach every filter minictr attached there: how many, or -1 with r->err and r->step. */
int ctr_devices_detach(int cgroup_fd, const char *path, struct ctr_dev_result *r);

/* addon-devices.c: the Node-API functions for devices.c, registered in addon.c's init.
 * Spelled with Node-API's own struct names (napi_value is struct napi_value__ *, ...) so this
 * header needs no node_api.h. */
struct napi_env__; struct napi_value__; struct napi_callback_info__;
struct napi_value__ *ctr_js_attach_device_filter(struct napi_env__ *env, struct napi_callback_info__ *info);
struct napi_value__ *ctr_js_detach_device_filter(struct napi_env__ *env, struct napi_callback_info__ *info);

#endif
