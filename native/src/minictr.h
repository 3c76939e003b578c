/*
 * minictr native core: shared types.
 *
 * The parent (Node's main thread: contract.c reads the TypeScript record, spawn.c clones)
 * turns the spawn record of src/native/contract.ts into a struct ctr_config made only of
 * plain C memory, then clones. The child (child.c, in order) works on that copy with raw
 * syscalls only: no JavaScript, no malloc, nothing that could need a lock another Node
 * thread held at the moment of clone().
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
  unsigned long flags;     /* MS_* (MS_BIND, MS_REC for binds; MS_RDONLY... applied by a remount) */
  unsigned long propagation; /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE (| MS_REC), 0: leave */
  char *data;              /* fs options, may be NULL */
  int target_is_file;      /* create a file, not a directory, as the mount point */
  int copy_up;             /* tmpcopyup: the new tmpfs starts with a copy of the directory it covers;
                              on a bind (an empty volume, minictr run): the volume is filled so */
};

struct ctr_device {
  char *path;              /* inside the container, e.g. /dev/null */
  mode_t mode;             /* S_IFCHR/S_IFBLK/S_IFIFO | permissions */
  unsigned int major, minor;
  int uid, gid;            /* owner, -1: leave */
};

struct ctr_symlink {
  char *target;            /* what the link points to */
  char *path;              /* inside the container */
};

struct ctr_rlimit { int resource; uint64_t soft, hard; };

struct ctr_sysctl { char *key; char *value; }; /* key "net.ipv4.ip_forward" -> /proc/sys/net/ipv4/ip_forward */

/* An existing namespace to join with setns() instead of making a new one. */
struct ctr_nsjoin { int type; int fd; char *path; };

/* An OCI hook run by the child, with the container's state JSON on its stdin. */
struct ctr_hook {
  char *path;
  char **argv;
  char **envp;
  int timeout;             /* seconds, 0: none */
};

/* Who the process becomes, applied last before execve (caps.c, process.c). */
struct ctr_creds {
  uint64_t bounding, effective, permitted, inheritable, ambient; /* bit n = capability n */
  int last_cap;            /* /proc/sys/kernel/cap_last_cap, read by the parent */
  int uid, gid;            /* -1: keep */
  gid_t *groups; size_t n_groups; /* supplementary groups (setgroups even when empty) */
  int umask;               /* -1: leave */
  int no_new_privs;
  struct ctr_rlimit *rlimits; size_t n_rlimits;
  char *keyring;           /* join a new session keyring of this name; NULL: keep the caller's */
  long personality;        /* -1: leave */
  unsigned char *seccomp; size_t seccomp_len; unsigned seccomp_flags; /* classic BPF, compiled by the parent */
};

/* Explain output names a long path once (ID=3f2a..., C=/var/lib/minictr/containers/$ID) and
 * then writes $C: value is replaced by $name in each line (src/util/explain.ts does the same
 * for the parent's lines; the list comes sorted, longest value first). */
struct ctr_explain_name { char *name; char *value; };

struct ctr_config {
  int clone_flags;         /* CLONE_NEW* made by clone() */
  int unshare_cgroupns;    /* CLONE_NEWCGROUP is done after the parent placed us in our cgroup */
  struct ctr_nsjoin *joins; size_t n_joins; /* joined after clone, before the filesystem */
  char *rootfs;            /* host path of the container root mount point */
  char *overlay_data;      /* "lowerdir=..,upperdir=..,workdir=.." or NULL: bind rootfs onto itself */
  int root_from_parent;    /* the root arrives with "go" as a mount fd (idmap.c): attach it at rootfs */
  int root_fd;             /* that mount, once received (-1 before) */
  int root_readonly;       /* remount / read-only once everything is mounted */
  unsigned long root_propagation; /* applied to / after pivot_root (MS_SLAVE|MS_REC ...), 0: private */
  int no_pivot;            /* MS_MOVE + chroot instead of pivot_root (e.g. a ramfs root) */
  struct ctr_mount *mounts; size_t n_mounts;
  struct ctr_device *devices; size_t n_devices;
  struct ctr_symlink *symlinks; size_t n_symlinks;
  char **masked; size_t n_masked;
  char **readonly; size_t n_readonly;
  struct ctr_sysctl *sysctls; size_t n_sysctls;
  char *hostname;          /* NULL: leave */
  char *domainname;        /* NULL: leave */
  char *cwd;
  char **argv;             /* minictr-init's argv: [init, --tty?, --, cmd...] or [init, --exec, <path>, --, cmd...] */
  int exec_path_slot;      /* > 0: argv[slot] gets cmd[0] as found in the container's PATH (--exec mode) */
  int command_index;       /* argv[command_index] is the command's argv[0] */
  char **envp;
  struct ctr_creds creds;
  int tty;                 /* open a pty in the container's devpts, pass the master up, bind it on /dev/console */
  unsigned short tty_rows, tty_cols; /* initial window size, so the shell starts at the right size */
  int stdio[3];            /* parent fds that become 0, 1, 2 (ignored with tty) */
  int preserve_fds;        /* fds 3 .. 3+N-1 stay open in the container (OCI --preserve-fds) */
  int loopback_up;
  char *net_ifname;        /* set: give this interface (made by the parent) an address and a default route */
  char *net_address;       /* "10.88.0.5" */
  int net_prefix;          /* 16 */
  char *net_gateway;       /* "10.88.0.1" */
  int die_with_parent;
  int cgroup_fd;           /* >= 0: clone3(CLONE_INTO_CGROUP) into it */
  char **cgroup_tasks;     /* v1 `tasks` files the child writes "0" to, to join (child.c) */
  size_t n_cgroup_tasks;
  int init_fd;             /* sealed memfd holding minictr-init: PID 1, or (--exec) the trampoline to the command */
  int exec_fifo_fd;        /* >= 0 (O_PATH): report ready, then block opening it until `start` reads */
  struct ctr_hook *create_hooks; size_t n_create_hooks; /* OCI createContainer: before pivot_root */
  struct ctr_hook *start_hooks; size_t n_start_hooks;   /* OCI startContainer: after start, before exec */
  char *hook_state;        /* the state JSON the hooks read on stdin (sent with "go") */
  int explain_fd;          /* >= 0: write each step there as it is done */
  struct ctr_explain_name *explain_names; size_t n_explain_names; /* $C for a long path in explain lines */
  int pause_steps;         /* run --step: stop before each step of enum ctr_pause (ctr_pause) */
  int sync_fd;             /* child's end of the socketpair */
};

/* Messages on the sync socket, child -> parent. */
enum ctr_msg_type {
  CTR_MSG_ERROR = 1,
  CTR_MSG_PTY = 2,         /* carries the pty master (SCM_RIGHTS) */
  CTR_MSG_PID = 3,         /* err holds a pid */
  CTR_MSG_READY = 4,       /* set up, waiting on the exec fifo (OCI create) */
  CTR_MSG_MOUNT = 5,       /* carries a detached mount (SCM_RIGHTS): idmap.c's overlay */
  CTR_MSG_PAUSE = 6,       /* run --step: step holds a ctr_pause_steps name; the child waits for CTR_RESUME */
};

/*
 * run --step, the pause contract (one place): before each step below the child sends
 * CTR_MSG_PAUSE with the step's name and blocks until the parent sends the one byte
 * CTR_RESUME on the sync socket (ctr_resume); ctr_read_reports returns 1 for a pause, and
 * TypeScript prints the step, the pid and what to look at, and waits for Enter
 * (src/runtime/step-pause.ts, whose CHILD_PAUSE_STEPS is this list, in this order; the unit
 * test test/unit/native-contract.test.ts holds the two together). Without pause_steps
 * ctr_pause returns at once: nothing is sent.
 */
enum ctr_pause { CTR_PAUSE_ROOTFS, CTR_PAUSE_PIVOT_ROOT, CTR_PAUSE_HOSTNAME, CTR_PAUSE_NETWORK, CTR_PAUSE_CREDS, CTR_PAUSE_EXEC, CTR_PAUSE_COUNT };
extern const char *const ctr_pause_steps[CTR_PAUSE_COUNT];
#define CTR_RESUME 'c'
void ctr_pause_init(int on);
void ctr_pause(enum ctr_pause step);
struct ctr_msg {
  int type;
  int err;                 /* errno, for CTR_MSG_ERROR */
  char step[CTR_MAX_STEP]; /* e.g. "pivot_root(/var/lib/minictr/containers/ab12/merged)" */
};

/* explain.c: teaching output and failure reports, both from the step that does the work */
void ctr_explain_init(int fd, int sync_fd);
void ctr_explain_names(const struct ctr_explain_name *names, size_t n);
void ctr_explain(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctr_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void ctr_send_msg(const struct ctr_msg *m, int fd_to_pass);

/* syscalls.c: raw syscalls glibc may lack */
long ctr_clone3(int flags, int cgroup_fd);
int ctr_pivot_root(const char *new_root, const char *put_old);
/* this thread's ids, by the raw system calls (no glibc __nptl_setxid: syscalls.c) */
int ctr_setresuid(uid_t uid);
int ctr_setresgid(gid_t gid);
int ctr_setgroups(size_t n, const gid_t *groups);
int ctr_openat2_in_root(int rootfd, const char *path, int flags);
int ctr_close_range(unsigned first, unsigned last, unsigned flags);
int ctr_bind_fd(int fd, const char *target);
int ctr_execveat(int fd, const char *path, char *const argv[], char *const envp[], int flags);
int ctr_sendmsg_fd(int sock, const void *buf, size_t len, int fd);
/* One datagram; *fd gets the fd passed along with it (close-on-exec), or -1. */
ssize_t ctr_recvmsg_fd(int sock, void *buf, size_t len, int *fd);
/* the new mount API (kernel >= 5.2; mount_setattr >= 5.12), which glibc 2.36 lacks or
 * declares in a header that clashes with <linux/mount.h> */
#define CTR_OPEN_TREE_CLONE 1
#define CTR_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define CTR_MOUNT_ATTR_IDMAP 0x00100000ULL
int ctr_open_tree(int dfd, const char *path, unsigned flags);
int ctr_mount_setattr_idmap(int fd, int userns_fd);
int ctr_move_mount(int from_fd, const char *to_path);
void ctr_close_fds_except(const int *keep, size_t n, int preserve_upto);

/* mounts.c: the container's filesystem */
void ctr_setup_rootfs(const struct ctr_config *c);
void ctr_pivot_root_to(const struct ctr_config *c);
void ctr_mask_paths(const struct ctr_config *c);
void ctr_finish_root(const struct ctr_config *c);
void ctr_describe_mount_flags(unsigned long flags, char *buf, size_t len);

/* copyup.c: OCI tmpcopyup (covered: an fd of the directory under the mount) */
void ctr_copy_up(int covered, int mounted, const char *shown);
/* a volume bound over an image directory: filled from it when the volume is empty */
void ctr_copy_up_volume(int covered, int mounted, const char *shown, const char *volume);

/* namespaces.c: joining namespaces, becoming root in a new user namespace, sysctls */
void ctr_join_namespaces(const struct ctr_config *c);
void ctr_become_userns_root(void);
void ctr_write_sysctls(const struct ctr_config *c);

/* netif.c: the container's side of its network */
void ctr_loopback_up(void);
void ctr_configure_interface(const struct ctr_config *c);

/* terminal.c: the container's pty, master to the parent, slave as stdio */
void ctr_pty_for_parent(unsigned short rows, unsigned short cols, int bind_console);
int ctr_take_ctty(void);

/* caps.c: capabilities, user and groups, no_new_privs */
void ctr_apply_creds(const struct ctr_creds *c);

/* process.c: the process's own attributes and its exec */
void ctr_reset_signals(void);
void ctr_setup_stdio(const int stdio[3]);
void ctr_make_cwd(const char *cwd);
void ctr_enter_cwd(const char *cwd);
void ctr_set_rlimits(const struct ctr_creds *c);
void ctr_join_session_keyring(const struct ctr_creds *c);
void ctr_set_personality(const struct ctr_creds *c);
void ctr_load_seccomp(const struct ctr_creds *c);
/* Find argv[0] in envp's PATH (as execvp would, with the container's PATH); 0 or -1/errno. */
int ctr_find_command(char **argv, char **envp, char *path, size_t len);

/* hooks.c: OCI hooks the child runs */
void ctr_run_hooks(const char *phase, const struct ctr_hook *hooks, size_t n, const char *state);

/* child.c: the whole path from clone() to execve() */
int ctr_child_main(struct ctr_config *c) __attribute__((noreturn));

/* spawn.c / enter.c, called by the addon */
struct ctr_spawn_result { pid_t pid; int sync_fd; int err; char step[CTR_MAX_STEP]; };
int ctr_spawn(struct ctr_config *c, struct ctr_spawn_result *r);
/* Release the child, read what it reports. Returns 0 when it exec'd (or, with an exec fifo,
 * is ready), 1 when it paused (run --step: r->step is the step), -1 on failure (r filled). *pty_master gets the pty master fd when c->tty.
 * root_fd >= 0 is passed along with "go" (c->root_from_parent). */
int ctr_start(int sync_fd, const char *state, int root_fd, int *pty_master, struct ctr_spawn_result *r);
int ctr_read_reports(int sync_fd, int *pty_master, pid_t *inner_pid, struct ctr_spawn_result *r);
/* run --step: the child is paused (ctr_start or ctr_resume returned 1, r->step its name): let
 * it go on and read on, as ctr_start does */
int ctr_resume(int sync_fd, int *pty_master, struct ctr_spawn_result *r);
int ctr_load_init(const char *path, int *out_fd);

/* idmap.c: --userns=remap's root: an overlay of idmapped image layers, made by a helper
 * outside the container's user namespace and handed to its child */
struct ctr_idmap {
  pid_t pid;               /* the container's child: /proc/PID/ns/user is the mapping (its maps written) */
  char **layers; size_t n_layers; /* lowerdirs, top first */
  char *upperdir, *workdir;
  char *rootfs;            /* where the helper mounts it (its namespace only) to clone it */
  int explain_fd;
};
/* 0 and *mount_fd (a detached overlay mount, close-on-exec), or -1 with r filled */
int ctr_idmapped_overlay(const struct ctr_idmap *m, int *mount_fd, struct ctr_spawn_result *r);

/* detach.c: run -d, with minictr-monitor as the container's parent */
struct ctr_detach {
  char *monitor_path;
  char *log_path;
  char *exit_path;
  char **on_exit;          /* argv exec'd by the monitor after the exit (run -d --rm), or NULL */
  int keep_stdin;          /* -di: stdin is a pipe the monitor holds open */
  char **health_probe;     /* argv the monitor runs every health_interval_ms while it runs, or NULL */
  int64_t health_interval_ms;
};
/* the most arguments of a detached container's health probe, and of its exit command */
#define CTR_DETACH_MAX_ARGS 32
/* The most containers one monitor keeps (src/runtime/launch.ts groups by it). Each container
 * inherits the fd table of the process that clones it, sized by its highest open fd, and its
 * init keeps it: that process holds ~6 fds per container of the group, so at 32 the table has
 * 256 slots (2 KiB), at 128 it had 1024 (8 KiB, more than a 32nd of a monitor). */
#define CTR_MONITOR_MAX_CONTAINERS 32
#define CTR_STR_(x) #x
#define CTR_STR(x) CTR_STR_(x)
/* Clone n containers (cs[i] with ds[i]) under one minictr-monitor (detach.c). Each rs[i] gets
 * the container's pid and sync socket; on failure (rs[0] says which step) none is left. */
int ctr_spawn_detached(struct ctr_config *cs, struct ctr_detach *ds, int n, struct ctr_spawn_result *rs, int *ctl_fd);
/* The pty master of the container of that index (in its monitor's argv) to its monitor. */
int ctr_send_fd(int sock, int fd, uint32_t index);

struct ctr_enter_config {
  pid_t target;            /* a process in the container */
  int ns_flags;            /* which namespaces to join (CLONE_NEW*) */
  char **argv, **envp;     /* argv as in ctr_config (minictr-init --exec <path> -- cmd...) */
  int exec_path_slot, command_index;
  int init_fd;
  char *cwd;
  int apply_creds;         /* 0: keep the caller's (tests) */
  struct ctr_creds creds;
  int stdio[3];
  int tty;                 /* open a pty in the container and pass the master up */
  int detach;              /* the middle process exits once the command runs (its parent's subreaper adopts it) */
  int preserve_fds;
  int cgroup_fd;           /* >= 0: the exec'd process is cloned into this cgroup (v2) */
  char **cgroup_procs;     /* or: cgroup.procs files (v1) to write our pid into */
  size_t n_cgroup_procs;
  int explain_fd;
};
int ctr_enter(struct ctr_enter_config *c, struct ctr_spawn_result *r);

#endif
