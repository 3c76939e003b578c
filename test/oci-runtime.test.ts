/**
 * minictr-oci against the OCI runtime contract, the parts engines (containerd's shim, conmon,
 * buildah) rely on: the create/start split, status read from the kernel, the pid file, stdio
 * and the console socket, runc's error phrases, kill, delete --force from every state, each
 * config.json field as the container or the kernel sees it, and refusals that leave nothing.
 *
 * Root, the real kernel, no mocks. Facts come from inside the container (its /proc) or from
 * the kernel on the host (/proc/PID, cgroup files, inotify), not from minictr-oci's own report,
 * except where the report is the contract (state, errors). Each container has an id unique to
 * this run, its bundle (busybox) and the --root are below the suite's base dir, and every one
 * is checked to leave nothing behind (test/helpers/oci.ts: residue).
 */
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostCgroupDirs, unified } from './helpers/cgroup.js';
import { uniq } from './helpers/cli.js';
import {
  cgroupProcs, create, exeOf, forceDelete, makeBundle, OCI, procState, residueSettled, runtime, sections, state, until,
  workDir, type Bundle, type Spec,
} from './helpers/oci.js';

const work = workDir('oci-rt-');
const ROOT = join(work, 'state');
const made: string[] = [];
const netns: string[] = [];
const hostMounts: string[] = [];
const strays: number[] = [];

const oci = (args: string[], opts: Parameters<typeof runtime>[3] = {}) => runtime('minictr-oci', ROOT, args, opts);

async function bundle(args: string[], edit?: Parameters<typeof makeBundle>[2]): Promise<Bundle> {
  const b = await makeBundle(work, args, edit);
  made.push(b.id);
  return b;
}

async function nothingLeft(b: Bundle): Promise<void> {
  expect(await residueSettled(ROOT, b.id, b.dir), `what ${b.id} left behind`).toEqual([]);
}

async function created(b: Bundle, extra: string[] = [], fds?: number[]): Promise<{ pid: number; outFile: string; errFile: string }> {
  const pidFile = join(b.dir, 'create.pid');
  const c = await create('minictr-oci', ROOT, b, ['--pid-file', pidFile, ...extra], { fds });
  if (c.exitCode !== 0) throw new Error(`create ${b.id}: exit ${c.exitCode}: ${c.stderr}`);
  return { pid: Number(readFileSync(pidFile, 'utf8')), outFile: c.outFile, errFile: c.errFile };
}

const gone = (pid: number): boolean => {
  const s = procState(pid);
  return s === undefined || s === 'Z';
};

async function started(b: Bundle): Promise<void> {
  const r = await oci(['start', b.id]);
  if (r.exitCode !== 0) throw new Error(`start ${b.id}: exit ${r.exitCode}: ${r.stderr}`);
}

/** create, start, wait for the process to end, delete: what it printed. */
async function runToEnd(b: Bundle, extra: string[] = [], fds?: number[]): Promise<{ out: string; err: string }> {
  const c = await created(b, extra, fds);
  await started(b);
  await until(`${b.id} to end`, () => gone(c.pid));
  const d = await oci(['delete', b.id]);
  if (d.exitCode !== 0) throw new Error(`delete ${b.id}: ${d.stderr}`);
  return { out: readFileSync(c.outFile, 'utf8'), err: readFileSync(c.errFile, 'utf8') };
}

/** One line on stderr, nothing on stdout, a non-zero status. */
function expectOneLineError(r: { exitCode?: number; stdout: string; stderr: string }, phrase: string | RegExp): void {
  expect(r.exitCode, r.stderr).not.toBe(0);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  if (typeof phrase === 'string') expect(lines[0]).toContain(phrase);
  else expect(lines[0]).toMatch(phrase);
}

function capMask(names: string[]): string {
  const num: Record<string, number> = { CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_KILL: 5, CAP_SETPCAP: 8, CAP_NET_BIND_SERVICE: 10, CAP_SYS_CHROOT: 18 };
  let m = 0n;
  for (const n of names) m |= 1n << BigInt(num[n]!);
  return m.toString(16).padStart(16, '0');
}

function statusCaps(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/^(Cap\w+|NoNewPrivs|Seccomp):\s+(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

interface MountLine { mountPoint: string; root: string; options: string; optional: string; fstype: string; superOptions: string }
function mountinfo(lines: string[]): MountLine[] {
  return lines.map((l) => {
    const [left, right] = l.split(' - ');
    const f = left!.split(' ');
    const r = right!.split(' ');
    return { root: f[3]!, mountPoint: f[4]!, options: f[5]!, optional: f.slice(6).join(' '), fstype: r[0]!, superOptions: r[2] ?? '' };
  });
}

afterAll(async () => {
  for (const id of made) await forceDelete('minictr-oci', ROOT, id);
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const m of hostMounts.reverse()) await execa('umount', ['-l', m], { reject: false });
  for (const ns of netns) await execa('ip', ['netns', 'del', ns], { reject: false });
});

// ---- python helpers: what node cannot do itself (SCM_RIGHTS, a subreaper, inotify) ----

const RECV_PY = `
import json, os, socket, sys, time
path, command = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
messages, fds = [], []
while True:
    msg, got, flags, addr = socket.recv_fds(c, 4096, 16)
    if not msg and not got:
        break
    messages.append({"bytes": len(msg), "fds": len(got)})
    fds += got
out = b""
if fds:
    m = fds[0]
    os.write(m, command.encode() + b"\\n")
    end = time.time() + 10
    while time.time() < end:
        try:
            d = os.read(m, 4096)
        except OSError:
            break
        if not d:
            break
        out += d
print(json.dumps({"messages": messages, "out": out.decode(errors="replace")}), flush=True)
`;

/** A subreaper that does not reap: the container's process, killed, stays a zombie. */
const REAPER_PY = `
import ctypes, json, os, signal, subprocess, sys, time
oci, root, bundle, cid, pidfile = sys.argv[1:6]
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
env = dict(os.environ, OCI_TEST_MARK=cid)
def run(*a):
    return subprocess.run([oci, "--root", root, *a], capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)
out = open(os.path.join(bundle, "reaper.out"), "w")
subprocess.run([oci, "--root", root, "create", "--bundle", bundle, "--pid-file", pidfile, cid], stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, check=True)
pid = int(open(pidfile).read())
ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
run("start", cid)
before = json.loads(run("state", cid).stdout)["status"]
os.kill(pid, signal.SIGKILL)
for _ in range(500):
    letter = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    if letter == "Z":
        break
    time.sleep(0.01)
after = json.loads(run("state", cid).stdout)
run("delete", cid)
os.waitpid(pid, 0)
print(json.dumps({"adoptedByUs": ppid == os.getpid(), "before": before, "letter": letter, "status": after["status"], "pid": after.get("pid")}))
`;

/** The events on a directory while create runs: an atomic pid file only ever appears by rename. */
const MOUNTS_PY = `
import ctypes, fcntl, json, os, struct, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY)
buf = bytearray(8)
fcntl.ioctl(fd, 0x8008b705, buf)  # NS_GET_MNTNS_ID
req = struct.pack("IIQQQ", 32, 0, 0xffffffffffffffff, 0, struct.unpack("Q", buf)[0])  # LSMT_ROOT
ids = (ctypes.c_uint64 * 65536)()
n = libc.syscall(458, ctypes.c_char_p(req), ids, 65536, 0)  # listmount
if n < 0:
    sys.exit(f"listmount: {os.strerror(ctypes.get_errno())}")
print(json.dumps({"inNamespace": n, "visible": len(open(f"/proc/{pid}/mountinfo").read().splitlines())}))
`;

const INOTIFY_PY = `
import ctypes, json, os, struct, subprocess, sys
d, logdir = sys.argv[1], sys.argv[2]
argv = sys.argv[3:]
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_NONBLOCK)
IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x2, 0x8, 0x80, 0x100
assert libc.inotify_add_watch(fd, d.encode(), IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) >= 0
out = open(os.path.join(logdir, "inotify.out"), "w")
rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out).returncode
existed = os.path.exists(os.path.join(d, "pid"))
events = []
try:
    buf = os.read(fd, 65536)
except BlockingIOError:
    buf = b""
off = 0
while off < len(buf):
    wd, mask, cookie, n = struct.unpack_from("iIII", buf, off)
    name = buf[off + 16: off + 16 + n].rstrip(b"\\0").decode()
    events.append([name, mask])
    off += 16 + n
print(json.dumps({"rc": rc, "existedWhenCreateExited": existed, "events": events}))
`;

let py: { recv: string; reaper: string; inotify: string; mounts: string };
beforeAll(() => {
  mkdirSync(ROOT, { recursive: true });
  py = { recv: join(work, 'recv.py'), reaper: join(work, 'reaper.py'), inotify: join(work, 'inotify.py'), mounts: join(work, 'mounts.py') };
  writeFileSync(py.mounts, MOUNTS_PY);
  writeFileSync(py.recv, RECV_PY);
  writeFileSync(py.reaper, REAPER_PY);
  writeFileSync(py.inotify, INOTIFY_PY);
});

// Independent containers (ids, bundles of their own): the suites and tests run side by side.
describe.concurrent('minictr-oci', () => {
  describe('lifecycle: create, start, and a status read from the kernel', () => {
    it('after create the process waits before exec (created); start runs it; a process killed is stopped', async () => {
      const b = await bundle(['sh', '-c', 'echo ran > /out/marker; exec sleep 1000']);
      const c = await created(b);
      expect((await state('minictr-oci', ROOT, b.id)).status).toBe('created');
      // not exec'd yet: still the runtime's copy, and the command has not written its marker
      expect(exeOf(c.pid)).not.toMatch(/\/bin\/(busybox|sleep)$/);
      expect(existsSync(join(b.out, 'marker'))).toBe(false);
      await started(b);
      await until('the marker', () => existsSync(join(b.out, 'marker')));
      await until('sleep to be exec\'d', () => exeOf(c.pid).endsWith('/bin/busybox'));
      expect((await state('minictr-oci', ROOT, b.id)).status).toBe('running');
      process.kill(c.pid, 'SIGKILL'); // behind the runtime's back: only the kernel knows
      await until('the process to die', () => gone(c.pid));
      const s = await state('minictr-oci', ROOT, b.id);
      expect(s.status).toBe('stopped');
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });

    it('a cgroup frozen through the kernel file is paused; pause and resume write that file', async () => {
      const b = await bundle(['sleep', '1000']);
      await created(b);
      await started(b);
      const dirs = hostCgroupDirs(b.id);
      const v1 = dirs.find((d) => existsSync(join(d, 'freezer.state')));
      const file = v1 ? join(v1, 'freezer.state') : join(dirs.find((d) => existsSync(join(d, 'cgroup.freeze')))!, 'cgroup.freeze');
      const [frozen, thawed] = v1 ? ['FROZEN', 'THAWED'] : ['1', '0'];
      const read = (): string => (v1 ? readFileSync(file, 'utf8').trim() : /frozen (\d)/.exec(readFileSync(join(file, '..', 'cgroup.events'), 'utf8'))![1]!);
      writeFileSync(file, frozen);
      await until('the kernel to freeze it', () => read() === frozen);
      expect((await state('minictr-oci', ROOT, b.id)).status).toBe('paused');
      writeFileSync(file, thawed);
      await until('the kernel to thaw it', () => read() === thawed);
      expect((await state('minictr-oci', ROOT, b.id)).status).toBe('running');
      expect((await oci(['pause', b.id])).exitCode).toBe(0);
      expect(read()).toBe(frozen);
      expect((await state('minictr-oci', ROOT, b.id)).status).toBe('paused');
      expect((await oci(['resume', b.id])).exitCode).toBe(0);
      expect(read()).toBe(thawed);
      expect((await oci(['delete', '--force', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });

    it('a zombie (adopted by a subreaper that has not reaped it yet) is stopped', async () => {
      const b = await bundle(['sleep', '1000']);
      const r = await execa('python3', [py.reaper, OCI, ROOT, b.dir, b.id, join(b.dir, 'pid')], { reject: false, timeout: 30_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      const facts = JSON.parse(r.stdout) as { adoptedByUs: boolean; before: string; letter: string; status: string; pid: number };
      expect(facts).toEqual({ adoptedByUs: true, before: 'running', letter: 'Z', status: 'stopped', pid: 0 });
      await nothingLeft(b);
    });

    it('a pid now used by another process is stopped (the start time tells them apart)', async () => {
      const b = await bundle(['sleep', '1000']);
      const c = await created(b);
      await started(b);
      process.kill(c.pid, 'SIGKILL');
      await until('the process to die', () => gone(c.pid));
      // the kernel gives the pid to another process: stand-in, a live process of ours put in
      // the record's place (pids cannot be made to wrap around on demand)
      const other = spawn('sleep', ['30'], { stdio: 'ignore' });
      strays.push(other.pid!);
      const recordFile = join(ROOT, b.id, 'state.json');
      const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { pid: number };
      expect(record.pid).toBe(c.pid);
      writeFileSync(recordFile, JSON.stringify({ ...record, pid: other.pid }));
      const s = await state('minictr-oci', ROOT, b.id);
      expect(s.status).toBe('stopped');
      other.kill('SIGKILL');
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });
  });

  describe('the pid file', () => {
    it('exists when create exits, holds the decimal pid and no newline, and appears by an atomic rename', async () => {
      const b = await bundle(['sleep', '1000']);
      const dir = join(b.dir, 'piddir');
      mkdirSync(dir);
      const pidFile = join(dir, 'pid');
      const r = await execa('python3', [py.inotify, dir, b.dir, OCI, '--root', ROOT, 'create', '--bundle', b.dir, '--pid-file', pidFile, b.id], {
        reject: false, timeout: 30_000, env: { OCI_TEST_MARK: b.id },
      });
      expect(r.exitCode, r.stderr).toBe(0);
      const facts = JSON.parse(r.stdout) as { rc: number; existedWhenCreateExited: boolean; events: [string, number][] };
      expect(facts.rc, readFileSync(join(b.dir, 'inotify.out'), 'utf8')).toBe(0);
      expect(facts.existedWhenCreateExited).toBe(true);
      const text = readFileSync(pidFile, 'utf8');
      expect(text).toMatch(/^[1-9]\d*$/);
      expect(Number(text)).toBe((await state('minictr-oci', ROOT, b.id)).pid);
      // IN_CREATE (0x100) or IN_MODIFY (0x2) on "pid" itself would mean a reader could see it half-written
      const onPid = facts.events.filter(([name]) => name === 'pid').map(([, mask]) => mask);
      expect(onPid).toEqual([0x80]); // IN_MOVED_TO only
      expect(readdirSync(dir)).toEqual(['pid']); // no temp file left beside it
      expect((await oci(['delete', '--force', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });
  });

  describe('stdio and the terminal', () => {
    it('terminal false: the process has create\'s fds 0-2; a pipe given as stdout reaches EOF once it ends', async () => {
      const b = await bundle(['sh', '-c', 'echo to-stdout; echo to-stderr >&2; sleep 0.3; echo late']);
      const fifo = join(b.dir, 'stdout.pipe');
      await execa('mkfifo', [fifo]);
      const rd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      const wr = openSync(fifo, constants.O_WRONLY);
      const errFile = join(b.dir, 'stderr');
      const err = openSync(errFile, 'w');
      const child = spawn(OCI, ['--root', ROOT, 'create', '--bundle', b.dir, '--pid-file', join(b.dir, 'pid'), b.id], { stdio: ['ignore', wr, err], env: { ...process.env, OCI_TEST_MARK: b.id } });
      closeSync(wr); // ours: from now on only create, then the container, hold the write end
      closeSync(err);
      let out = '';
      /** what is in the pipe; true at EOF (no writer left) */
      const drain = (): boolean => {
        const buf = Buffer.alloc(4096);
        for (;;) {
          let n: number;
          try {
            n = readSync(rd, buf, 0, buf.length, null);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return false;
            throw e;
          }
          if (n === 0) return true;
          out += buf.subarray(0, n).toString();
        }
      };
      try {
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        expect(code, readFileSync(errFile, 'utf8')).toBe(0);
        const pid = Number(readFileSync(join(b.dir, 'pid'), 'utf8'));
        // create has exited; its process holds the very pipe as fd 1, and create's stderr as fd 2
        expect(statSync(`/proc/${pid}/fd/1`).ino).toBe(fstatSync(rd).ino);
        expect(statSync(`/proc/${pid}/fd/2`).ino).toBe(statSync(errFile).ino);
        await new Promise((r) => setTimeout(r, 100));
        expect(drain()).toBe(false);
        await started(b);
        await until('EOF on the pipe (nothing else may keep it open)', drain);
        expect(gone(pid)).toBe(true);
        expect(out).toBe('to-stdout\nlate\n');
        expect(readFileSync(errFile, 'utf8')).toBe('to-stderr\n');
      } finally {
        closeSync(rd);
      }
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });

    it('terminal true: the pty master comes on --console-socket as one SCM_RIGHTS message; the shell has it as its controlling tty, of consoleSize', async () => {
      const b = await bundle(['sh'], (s) => {
        s.process.terminal = true;
        s.process.consoleSize = { height: 40, width: 100 };
      });
      const sock = join(b.dir, 'console.sock');
      const recv = execa('python3', [py.recv, sock, 'tty; [ -t 0 ] && echo "IS$((1+1))TTY"; echo "TTYNR=$(cut -d" " -f7 /proc/self/stat)"; echo "SIZE=$(stty size)"; exit 3'], { reject: false, timeout: 30_000, buffer: true });
      await until('the receiver to listen', () => existsSync(sock));
      const c = await created(b, ['--console-socket', sock]);
      await started(b);
      const r = await recv;
      expect(r.exitCode, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!) as { messages: { bytes: number; fds: number }[]; out: string };
      expect(got.messages.length).toBe(1);
      expect(got.messages[0]!.fds).toBe(1);
      expect(got.out).toMatch(/\/dev\/pts\/\d+/);
      expect(got.out).toContain('IS2TTY');
      expect(Number(/TTYNR=(\d+)/.exec(got.out)?.[1] ?? 0), `tty_nr in /proc/self/stat (0: no controlling terminal)\n${got.out}`).toBeGreaterThan(0);
      expect(got.out).not.toContain('job control turned off');
      expect(got.out).toMatch(/SIZE=40 100\r?\n/); // process.consoleSize
      await until('the shell to exit', () => gone(c.pid));
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });
  });

  describe('state and errors as engines read them', () => {
    it('state prints only its JSON: ociVersion, id, status, pid, bundle, annotations', async () => {
      const b = await bundle(['sleep', '1000'], (s) => (s.annotations = { 'org.test.one': '1', 'org.test.two': 'zwei' }));
      const c = await created(b);
      const r = await oci(['state', b.id]);
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toBe('');
      const s = JSON.parse(r.stdout) as Record<string, unknown>; // the whole of stdout is one JSON value
      expect(s).toMatchObject({ id: b.id, status: 'created', pid: c.pid, bundle: b.dir, annotations: { 'org.test.one': '1', 'org.test.two': 'zwei' } });
      expect(s.ociVersion).toMatch(/^1\.\d+\.\d+/);
      expect((await oci(['delete', '--force', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });

    it('errors are one line with runc\'s phrases, and a JSON line in --log with --log-format json', async () => {
      const nope = uniq('nope', 8);
      const log = join(work, `${nope}.log`);
      expectOneLineError(await oci(['state', nope]), `container "${nope}" does not exist`);
      expectOneLineError(await oci(['--log', log, '--log-format', 'json', 'kill', nope, 'KILL']), `container "${nope}" does not exist`);
      const entry = JSON.parse(readFileSync(log, 'utf8').trimEnd().split('\n').pop()!) as { level: string; msg: string; time: string };
      expect(entry.level).toBe('error');
      expect(entry.msg).toContain(`container "${nope}" does not exist`);
      expect(Number.isNaN(Date.parse(entry.time))).toBe(false);

      const b = await bundle(['sleep', '1000']);
      const c = await created(b);
      await started(b);
      expectOneLineError(await oci(['delete', b.id]), `cannot delete container ${b.id} that is not stopped: running`);
      expect((await state('minictr-oci', ROOT, b.id)).status).toBe('running');
      process.kill(c.pid, 'SIGKILL');
      await until('it to die', () => gone(c.pid));
      expectOneLineError(await oci(['--log', log, '--log-format', 'json', 'kill', b.id, 'TERM']), 'container not running');
      expect(JSON.parse(readFileSync(log, 'utf8').trimEnd().split('\n').pop()!)).toMatchObject({ level: 'error', msg: expect.stringContaining('container not running') });
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });
  });

  describe('kill', () => {
    it('sends SIGTERM by default, and a signal by number', async () => {
      const b = await bundle(['sh', '-c', 'trap "echo USR1 >> /out/sig" USR1; trap "echo TERM >> /out/sig; exit 0" TERM; echo up > /out/ready; while :; do sleep 0.05; done']);
      const c = await created(b);
      await started(b);
      await until('the traps', () => existsSync(join(b.out, 'ready')));
      expect((await oci(['kill', b.id, '10'])).exitCode).toBe(0);
      await until('USR1', () => existsSync(join(b.out, 'sig')) && readFileSync(join(b.out, 'sig'), 'utf8').includes('USR1'));
      expect((await oci(['kill', b.id])).exitCode).toBe(0);
      await until('it to end on TERM', () => gone(c.pid));
      expect(readFileSync(join(b.out, 'sig'), 'utf8')).toBe('USR1\nTERM\n');
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });

    it.each(['KILL', 'SIGKILL'])('kill ID %s ends it', async (sig) => {
      const b = await bundle(['sleep', '1000']);
      const c = await created(b);
      await started(b);
      expect((await oci(['kill', b.id, sig])).exitCode).toBe(0);
      await until('it to die', () => gone(c.pid));
      expect((await state('minictr-oci', ROOT, b.id)).status).toBe('stopped');
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });

    it('--all reaches every process of the cgroup', async () => {
      const b = await bundle(['sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
      const c = await created(b);
      await started(b);
      await until('three processes', () => cgroupProcs(b.id).length === 3);
      const pids = cgroupProcs(b.id);
      expect(pids).toContain(c.pid);
      const ps = await oci(['ps', '--format', 'json', b.id]);
      expect(JSON.parse(ps.stdout), ps.stderr).toEqual(pids); // ps: the cgroup's processes, as the kernel lists them
      expect((await oci(['kill', b.id, 'STOP'])).exitCode).toBe(0); // the main process alone
      await until('the main process to stop', () => procState(c.pid) === 'T');
      expect(pids.filter((p) => p !== c.pid).map(procState)).not.toContain('T');
      expect((await oci(['kill', '--all', b.id, 'STOP'])).exitCode).toBe(0);
      await until('every process to stop', () => pids.every((p) => procState(p) === 'T'));
      expect((await oci(['kill', '--all', b.id, 'KILL'])).exitCode).toBe(0);
      await until('every process to die', () => pids.every(gone));
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });
  });

  describe('exec', () => {
    it('runs in every namespace and the cgroup of the container, with its exit status; --process gives user, env, cwd', async () => {
      const b = await bundle(['sleep', '1000']);
      const c = await created(b);
      await started(b);
      const nsOf = (pid: number | string): string[] =>
        ['ipc', 'mnt', 'net', 'pid', 'uts', 'cgroup'].map((n) => `${n} ${readlinkSync(`/proc/${pid}/ns/${n}`)}`);
      const r = await oci(['exec', b.id, 'sh', '-c', 'for n in ipc mnt net pid uts cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done; exit 5'], { mark: b.id });
      expect(r.exitCode, r.stderr).toBe(5);
      expect(r.stdout.trim().split('\n')).toEqual(nsOf(c.pid));
      const proc = join(b.dir, 'process.json');
      writeFileSync(proc, JSON.stringify({ args: ['sh', '-c', 'id; echo "FOO=$FOO"; pwd'], cwd: '/tmp', env: ['FOO=from-process', 'PATH=/bin'], user: { uid: 1000, gid: 1000, additionalGids: [7] } }));
      const p = await oci(['exec', '--process', proc, b.id], { mark: b.id });
      expect(p.exitCode, p.stderr).toBe(0);
      expect(p.stdout.split('\n').slice(0, 3)).toEqual(['uid=1000 gid=1000 groups=7', 'FOO=from-process', '/tmp']);
      // detached, the process keeps exec's stdio: a file, not a pipe we would wait on
      const errFd = openSync(join(b.dir, 'exec.err'), 'w');
      const detached = spawn(OCI, ['--root', ROOT, 'exec', '--detach', '--pid-file', join(b.dir, 'exec.pid'), b.id, 'sleep', '1000'], {
        stdio: ['ignore', errFd, errFd], env: { ...process.env, OCI_TEST_MARK: b.id },
      });
      closeSync(errFd);
      const code = await new Promise((resolve) => detached.on('exit', resolve));
      expect(code, readFileSync(join(b.dir, 'exec.err'), 'utf8')).toBe(0);
      const execPid = Number(readFileSync(join(b.dir, 'exec.pid'), 'utf8'));
      expect(cgroupProcs(b.id)).toContain(execPid); // the kernel puts it in the container's cgroup
      expect(nsOf(execPid)).toEqual(nsOf(c.pid));
      expect((await oci(['delete', '--force', b.id])).exitCode).toBe(0);
      await until('the exec\'d process to die with the container', () => gone(execPid));
      await nothingLeft(b);
    });
  });

  describe('delete --force', () => {
    it.each(['created', 'running', 'paused'])('removes a %s container and everything it had', async (from) => {
      const b = await bundle(['sh', '-c', 'sleep 1000 & exec sleep 1000']);
      await created(b);
      if (from !== 'created') await started(b);
      if (from === 'paused') expect((await oci(['pause', b.id])).exitCode).toBe(0);
      expect((await state('minictr-oci', ROOT, b.id)).status).toBe(from);
      const r = await oci(['delete', '--force', b.id]);
      expect(r.exitCode, r.stderr).toBe(0);
      await nothingLeft(b);
      expectOneLineError(await oci(['state', b.id]), 'does not exist');
    });

    it('removes a container whose create was killed midway (in a createRuntime hook)', async () => {
      const b = await bundle(['sleep', '1000'], (s, { dir }) => {
        s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo $$ > ${dir}/hook.pid; exec sleep 20`] }] };
      });
      const out = openSync(join(b.dir, 'create.out'), 'w');
      const child = spawn(OCI, ['--root', ROOT, 'create', '--bundle', b.dir, b.id], { stdio: ['ignore', out, out], env: { ...process.env, OCI_TEST_MARK: b.id } });
      closeSync(out);
      const exited = new Promise((r) => child.on('exit', r));
      await until('the hook to run', () => existsSync(join(b.dir, 'hook.pid')) && readFileSync(join(b.dir, 'hook.pid'), 'utf8').endsWith('\n'));
      strays.push(Number(readFileSync(join(b.dir, 'hook.pid'), 'utf8'))); // the engine's hook, not the runtime's
      expect(hostCgroupDirs(b.id).length).toBeGreaterThan(0);
      child.kill('SIGKILL');
      await exited;
      const r = await oci(['delete', '--force', b.id]);
      expect(r.exitCode, r.stderr).toBe(0);
      await nothingLeft(b);
    });
  });

  // ---- config.json, field by field ----

  describe('config.json: process, user, capabilities, rlimits, uts, mounts (a uid 1000 container)', () => {
    const CAPS = {
      bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT'],
      effective: ['CAP_CHOWN', 'CAP_KILL'],
      permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      ambient: ['CAP_NET_BIND_SERVICE'],
    };
    const RLIMITS = [
      { type: 'RLIMIT_NOFILE', soft: 1234, hard: 4321 },
      { type: 'RLIMIT_CORE', soft: 0, hard: 1048576 },
      { type: 'RLIMIT_NPROC', soft: 500, hard: 600 },
      { type: 'RLIMIT_MSGQUEUE', soft: 1000, hard: 2000 },
    ];
    const SCRIPT = [
      'echo "== args"; for a in "$0" "$@"; do echo "[$a]"; done',
      'echo "== env"; echo "FOO=[$FOO]"',
      'echo "== cwd"; pwd',
      'echo "== id"; id',
      'echo "== umask"; umask',
      'echo "== status"; grep -E "^(Cap|NoNewPrivs)" /proc/self/status',
      'echo "== limits"; cat /proc/self/limits',
      'echo "== uts"; cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname',
      'echo "== ro"; cat /ro/file; touch /ro/new 2>&1; touch /scratch/new && echo scratch-ok',
      'echo "== nobind"; ls /nb/sub',
      'echo "== rbind"; ls /rb/sub',
      'echo "== mountinfo"; cat /proc/self/mountinfo',
    ].join('\n');
    let b: Bundle;
    let preExec: Record<string, string>;
    let out: Record<string, string[]>;
    let text: string;

    beforeAll(async () => {
      const ro = join(work, 'ro-src');
      const rb = join(work, 'rbind-src');
      mkdirSync(ro, { recursive: true });
      mkdirSync(join(rb, 'sub'), { recursive: true });
      chmodSync(ro, 0o777);
      writeFileSync(join(ro, 'file'), 'ro-content\n');
      await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', join(rb, 'sub')]);
      hostMounts.push(join(rb, 'sub'));
      writeFileSync(join(rb, 'sub', 'in-submount'), '');
      b = await bundle(['sh', '-c', SCRIPT, 'argzero', 'a b', 'c'], (s) => {
        s.process.env.push('FOO=bar baz');
        s.process.cwd = '/var/wd/sub'; // not in the image: made, as runc does, though the root is read-only
        s.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 6], umask: 0o027 };
        s.process.capabilities = CAPS;
        s.process.noNewPrivileges = false;
        s.process.rlimits = RLIMITS;
        s.hostname = 'fields-host';
        s.domainname = 'fields-dom';
        s.mounts.push(
          { destination: '/ro', type: 'bind', source: ro, options: ['bind', 'ro'] },
          { destination: '/nb', type: 'bind', source: rb, options: ['bind'] },
          { destination: '/rb', type: 'bind', source: rb, options: ['rbind'] },
          { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=1777'] },
        );
      });
      const c = await created(b);
      preExec = statusCaps(readFileSync(`/proc/${c.pid}/status`, 'utf8'));
      await started(b);
      await until(`${b.id} to end`, () => gone(c.pid));
      text = readFileSync(c.outFile, 'utf8') + readFileSync(c.errFile, 'utf8');
      out = sections(readFileSync(c.outFile, 'utf8'));
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
    });

    it('process.args, env and cwd (a cwd missing from a read-only root is made)', () => {
      expect(out.args, text).toEqual(['[argzero]', '[a b]', '[c]']);
      expect(out.env).toEqual(['FOO=[bar baz]']);
      expect(out.cwd).toEqual(['/var/wd/sub']);
    });

    it('user uid, gid, additionalGids and umask', () => {
      expect(out.id, text).toEqual(['uid=1000 gid=1001 groups=5,6']);
      expect(out.umask).toEqual(['0027']);
    });

    it('capabilities: all five sets as set before exec (/proc/PID/status of the created process)', () => {
      expect(preExec).toMatchObject({
        CapBnd: capMask(CAPS.bounding), CapEff: capMask(CAPS.effective), CapPrm: capMask(CAPS.permitted),
        CapInh: capMask(CAPS.inheritable), CapAmb: capMask(CAPS.ambient),
      });
    });

    it('capabilities after exec, as the kernel computes them for uid 1000: ambient ones are kept', () => {
      const caps = statusCaps(out.status!.join('\n'));
      expect(caps, text).toMatchObject({
        CapBnd: capMask(CAPS.bounding), CapInh: capMask(CAPS.inheritable), CapAmb: capMask(CAPS.ambient),
        CapPrm: capMask(CAPS.ambient), CapEff: capMask(CAPS.ambient), NoNewPrivs: '0',
      });
    });

    it('rlimits, as /proc/self/limits shows them', () => {
      const limits = Object.fromEntries(out.limits!.slice(1).map((l) => [l.slice(0, 26).trim(), l.slice(26).trim().split(/\s+/).slice(0, 2)]));
      expect(limits['Max open files'], text).toEqual(['1234', '4321']);
      expect(limits['Max core file size']).toEqual(['0', '1048576']);
      expect(limits['Max processes']).toEqual(['500', '600']);
      expect(limits['Max msgqueue size']).toEqual(['1000', '2000']);
    });

    it('hostname and domainname', () => {
      expect(out.uts, text).toEqual(['fields-host', 'fields-dom']);
    });

    it('mounts: bind ro, bind vs rbind, tmpfs with size, proc, sysfs, devpts, mqueue, cgroup', () => {
      expect(out.ro, text).toEqual(['ro-content', 'touch: /ro/new: Read-only file system', 'scratch-ok']);
      expect(out.nobind).toEqual([]); // empty: a plain bind leaves the submount out
      expect(out.rbind).toEqual(['in-submount']);
      const m = mountinfo(out.mountinfo!);
      const at = (p: string): MountLine | undefined => m.find((l) => l.mountPoint === p);
      expect(at('/ro')?.options.split(',')).toContain('ro');
      expect(at('/scratch')).toMatchObject({ fstype: 'tmpfs', superOptions: expect.stringContaining('size=1024k') });
      expect(at('/rb/sub')?.fstype).toBe('tmpfs');
      expect(at('/nb/sub')).toBeUndefined();
      expect(at('/proc')?.fstype).toBe('proc');
      expect(at('/sys')).toMatchObject({ fstype: 'sysfs', options: expect.stringMatching(/^ro,/) });
      expect(at('/dev/pts')?.fstype).toBe('devpts');
      expect(at('/dev/mqueue')?.fstype).toBe('mqueue');
      expect(m.some((l) => (l.mountPoint === '/sys/fs/cgroup' || l.mountPoint.startsWith('/sys/fs/cgroup/')) && /^cgroup2?$/.test(l.fstype))).toBe(true);
    });

    it('leaves nothing behind', async () => {
      await nothingLeft(b);
    });
  });

  describe('config.json: namespaces, devices, resources, sysctl, masks, propagation, seccomp, keyring', () => {
    const ns = uniq('ocins', 8);
    let b: Bundle;
    let out: Record<string, string[]>;
    let text: string;
    let fd3: number;
    let hidden: number;

    beforeAll(async () => {
      await execa('ip', ['netns', 'add', ns]);
      netns.push(ns);
      const cg = unified
        ? ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/cpu.max']
        : ['/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/pids/pids.max', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/cpu/cpu.cfs_period_us'];
      const script = [
        'echo "== netns"; readlink /proc/self/ns/net',
        'echo "== utsns"; readlink /proc/self/ns/uts',
        'echo "== device"; stat -c "%F %a %u %g %t %T" /dev/oci-null',
        `echo "== cgroup"; cat ${cg.join(' ')}`,
        'echo "== sysctl"; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax',
        'echo "== masked"; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l',
        'echo "== readonly"; (echo x > /proc/sys/kernel/hostname) 2>&1; touch /in-root 2>&1',
        'echo "== seccomp"; grep -E "^Seccomp:" /proc/self/status; mkdir /out/blocked 2>&1; touch /out/allowed && echo touched',
        'echo "== keys"; cat /proc/keys',
        'echo "== fd3"; (cat <&3) 2>&1',
        'echo "== mountinfo"; cat /proc/self/mountinfo',
      ].join('\n');
      b = await bundle(['sh', '-c', script], (s) => {
        s.linux.namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }, { type: 'network', path: `/run/netns/${ns}` }];
        s.linux.devices = [{ type: 'c', path: '/dev/oci-null', major: 1, minor: 3, fileMode: 0o640, uid: 12, gid: 34 }];
        s.linux.resources = {
          devices: [{ allow: false, access: 'rwm' }],
          memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 42 }, cpu: { quota: 50000, period: 100000 },
        };
        s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '123456789' };
        s.linux.maskedPaths = s.linux.maskedPaths.filter((p: string) => p !== '/proc/keys');
        s.linux.rootfsPropagation = 'rshared';
        s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
      });
      fd3 = openSync(join(b.dir, 'config.json'), 'r');
      const c = await created(b, [], [fd3]); // fd 3 given to create, but no --preserve-fds
      hidden = await hiddenMounts(c.pid);
      await started(b);
      await until(`${b.id} to end`, () => gone(c.pid));
      closeSync(fd3);
      text = readFileSync(c.outFile, 'utf8') + readFileSync(c.errFile, 'utf8');
      out = sections(readFileSync(c.outFile, 'utf8'));
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
    });

    it('a network namespace joined by path, a uts namespace made', () => {
      expect(out.netns, text).toEqual([`net:[${statSync(`/run/netns/${ns}`).ino}]`]);
      expect(out.utsns![0]).not.toBe(`uts:[${statSync('/proc/self/ns/uts').ino}]`);
    });

    it('linux.devices: the node with its type, mode and owner', () => {
      expect(out.device, text).toEqual(['character special file 640 12 34 1 3']);
    });

    it('linux.resources: memory, pids and cpu limits in the container\'s cgroup files', () => {
      expect(out.cgroup, text).toEqual(unified ? ['67108864', '42', '50000 100000'] : ['67108864', '42', '50000', '100000']);
    });

    it('linux.sysctl: namespaced keys set in the container, not on the host', () => {
      expect(out.sysctl, text).toEqual(['1', '123456789']);
      expect(readFileSync('/proc/sys/kernel/shmmax', 'utf8').trim()).not.toBe('123456789');
    });

    it('maskedPaths and readonlyPaths; root.readonly', () => {
      expect(out.masked!.map((l) => l.trim()), text).toEqual(['0', '0']);
      expect(out.readonly).toEqual(['sh: can\'t create /proc/sys/kernel/hostname: Read-only file system', 'touch: /in-root: Read-only file system']);
      expect(mountinfo(out.mountinfo!).find((l) => l.mountPoint === '/')?.options).toMatch(/^ro,/);
    });

    it('rootfsPropagation rshared: the root mount is in a peer group', () => {
      expect(mountinfo(out.mountinfo!).find((l) => l.mountPoint === '/')?.optional, text).toMatch(/shared:\d+/);
    });

    it('linux.seccomp: a blocked call fails with EPERM, others work', () => {
      expect(out.seccomp, text).toEqual(['Seccomp:\t2', 'mkdir: can\'t create directory \'/out/blocked\': Operation not permitted', 'touched']);
      expect(existsSync(join(b.out, 'blocked'))).toBe(false);
    });

    it('a new session keyring named after the container (runc\'s default)', () => {
      expect(out.keys!.some((l) => new RegExp(`keyring\\s+(_ses\\.)?${b.id}:`).test(l)), out.keys!.join('\n')).toBe(true);
    });

    it('without --preserve-fds only fds 0-2 reach the container; with pivot_root no host mount is left in its namespace', () => {
      expect(out.fd3, text).toEqual(['sh: 3: Bad file descriptor']);
      expect(hidden).toBe(0);
    });

    it('leaves nothing behind', async () => {
      await nothingLeft(b);
    });
  });

  /**
   * Mounts in a process's mount namespace (listmount(2) with the namespace's id, Linux 6.11+)
   * against those its /proc/PID/mountinfo shows (only those below its root). After
   * pivot_root and the old root's detach they are the same; with --no-pivot (MS_MOVE + chroot)
   * the host's mounts are still in the namespace, below the container's root.
   */
  async function hiddenMounts(pid: number): Promise<number> {
    const r = await execa('python3', [py.mounts, String(pid)], { reject: false });
    if (r.exitCode !== 0) throw new Error(`listmount: ${r.stderr}`);
    const { inNamespace, visible } = JSON.parse(r.stdout) as { inNamespace: number; visible: number };
    return inNamespace - visible;
  }

  describe('create flags: --preserve-fds, --no-pivot, --no-new-keyring', () => {
    it('pass fds 3.., keep the host\'s mounts below a chroot, and keep the caller\'s session keyring', async () => {
      const b = await bundle(['sh', '-c', `echo "== fds"; cat <&3; cat <&4; (cat <&5) 2>&1; echo "== keys"; cat /proc/keys`], (s) => {
        s.linux.maskedPaths = s.linux.maskedPaths.filter((p: string) => p !== '/proc/keys');
      });
      writeFileSync(join(b.dir, 'three'), 'fd-three\n');
      writeFileSync(join(b.dir, 'four'), 'fd-four\n');
      const fds = [openSync(join(b.dir, 'three'), 'r'), openSync(join(b.dir, 'four'), 'r'), openSync(join(b.dir, 'config.json'), 'r')];
      const c = await created(b, ['--preserve-fds', '2', '--no-pivot', '--no-new-keyring'], fds);
      fds.forEach((fd) => closeSync(fd));
      expect(await hiddenMounts(c.pid)).toBeGreaterThan(0); // the host's, below the container's root
      await started(b);
      await until(`${b.id} to end`, () => gone(c.pid));
      const out = sections(readFileSync(c.outFile, 'utf8'));
      expect(out.fds, readFileSync(c.errFile, 'utf8')).toEqual(['fd-three', 'fd-four', 'sh: 5: Bad file descriptor']);
      expect(out.keys!.filter((l) => l.includes(b.id))).toEqual([]);
      expect((await oci(['delete', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });
  });

  describe('config.json: linux.cgroupsPath', () => {
    it('the process is in that cgroup (below minictr-oci/) in every hierarchy; delete removes it with its parents', async () => {
      const b = await bundle(['sleep', '1000'], (s, { id }) => (s.linux.cgroupsPath = `/${id}-parent/${id}`));
      const c = await created(b);
      const lines = readFileSync(`/proc/${c.pid}/cgroup`, 'utf8').trim().split('\n');
      const paths = new Set(lines.map((l) => l.split(':')[2]).filter((p) => p !== '/'));
      expect([...paths]).toEqual([`/minictr-oci/${b.id}-parent/${b.id}`]);
      expect(lines.some((l) => /:memory:/.test(l) || l.startsWith('0::'))).toBe(true);
      expect((await oci(['delete', '--force', b.id])).exitCode).toBe(0);
      expect(hostCgroupDirs(`${b.id}-parent`)).toEqual([]);
      await nothingLeft(b);
    });
  });

  describe('config.json: user namespace', () => {
    it('uidMappings and gidMappings: /proc/self/uid_map inside, the mapped uid on the host', async () => {
      // the container's root is host uid 100000: it must be able to reach its rootfs
      chmodSync(process.env.MINICTR_TEST_BASE ?? work, 0o711);
      chmodSync(work, 0o711);
      const b = await bundle(['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; exec sleep 1000'], (s) => {
        s.linux.namespaces.push({ type: 'user' });
        s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
        s.mounts = s.mounts.filter((m: { type: string }) => m.type !== 'cgroup');
      });
      chmodSync(b.dir, 0o711);
      const c = await created(b);
      await started(b);
      await until('its output', () => readFileSync(c.outFile, 'utf8').split('\n').length > 3);
      const lines = readFileSync(c.outFile, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
      expect(lines, readFileSync(c.errFile, 'utf8')).toEqual(['0 100000 65536', '0 200000 65536', '0']);
      const status = readFileSync(`/proc/${c.pid}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe('100000');
      expect(/^Gid:\s+(\d+)/m.exec(status)?.[1]).toBe('200000');
      expect((await oci(['delete', '--force', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });
  });

  describe('hooks', () => {
    it('prestart, createRuntime, createContainer, startContainer, poststart, poststop run in order with the state on stdin', async () => {
      const b = await bundle(['sleep', '0.5'], (s, { rootfs, out }) => {
        // each hook appends "PHASE STATE-JSON"; poststart also notes what the process runs by then
        const script = [
          '#!/bin/sh',
          's=$(cat)',
          '[ "$2" = startContainer ] && sleep 0.3', // poststart must still come after it
          'echo "$2 $s" >> "$1"',
          'if [ "$2" = poststart ]; then pid=$(echo "$s" | sed -n \'s/.*"pid": *\\([0-9]*\\).*/\\1/p\'); readlink /proc/$pid/exe > "$1.exe"; fi',
          '',
        ].join('\n');
        writeFileSync(join(rootfs, 'hook.sh'), script, { mode: 0o755 });
        const host = (phase: string) => ({ path: join(rootfs, 'hook.sh'), args: ['hook.sh', join(out, 'hooks.log'), phase] });
        s.hooks = {
          prestart: [host('prestart')],
          createRuntime: [host('createRuntime')],
          createContainer: [host('createContainer')],
          startContainer: [{ path: '/hook.sh', args: ['hook.sh', '/out/hooks.log', 'startContainer'] }], // inside the container
          poststart: [host('poststart')],
          poststop: [host('poststop')],
        };
      });
      await runToEnd(b);
      const lines = readFileSync(join(b.out, 'hooks.log'), 'utf8').trimEnd().split('\n');
      const order = lines.map((l) => l.split(' ')[0]);
      expect(order, lines.join('\n')).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
      const states = lines.map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as { id: string; bundle: string; status: string });
      for (const st of states) expect(st).toMatchObject({ id: b.id, bundle: b.dir });
      // during create: creating; start was called: created; delete: stopped
      expect(states.slice(0, 4).map((st) => st.status)).toEqual(['creating', 'creating', 'creating', 'created']);
      expect(states[5]!.status).toBe('stopped');
      // poststart: "after the user-specified process is executed" (runtime-spec): it runs the command
      expect(readFileSync(join(b.out, 'hooks.log.exe'), 'utf8').trim()).toMatch(/\/bin\/busybox$/);
      await nothingLeft(b);
    });
  });

  describe('refused: unsupported fields and bad input leave nothing', () => {
    it.each([
      ['linux.intelRdt', (s: Spec) => (s.linux.intelRdt = { closID: 'x' })],
      ['process.apparmorProfile', (s: Spec) => (s.process.apparmorProfile = 'docker-default')],
    ])('%s is refused by name', async (field, edit) => {
      const b = await bundle(['true'], edit);
      const c = await create('minictr-oci', ROOT, b);
      expectOneLineError({ exitCode: c.exitCode ?? -1, stdout: readFileSync(c.outFile, 'utf8'), stderr: c.stderr }, field);
      await nothingLeft(b);
    });

    const cases: [string, RegExp, (b: Bundle) => string[]][] = [
      ['a missing bundle', /does not exist/, () => ['--bundle', join(work, 'no-such-bundle')]],
      ['an unreadable config.json (a directory)', /config\.json/, (b) => {
        const d = join(b.dir, 'dir-bundle');
        mkdirSync(join(d, 'config.json'), { recursive: true });
        return ['--bundle', d];
      }],
      ['invalid JSON', /invalid JSON/, (b) => (writeFileSync(join(b.dir, 'config.json'), '{"ociVersion": "1.0.2",'), [])],
      ['an unknown namespace type', /linux\.namespaces\[\d+\]\.type/, (b) => (b.spec.linux.namespaces.push({ type: 'bogus' }), b.save(), [])],
      ['an unknown field', /process\.bogusField/, (b) => ((b.spec.process.bogusField = 1), b.save(), [])],
      ['a console socket that is not a socket', /not a socket/, (b) => {
        b.spec.process.terminal = true;
        b.save();
        writeFileSync(join(b.dir, 'not-a-socket'), '');
        return ['--console-socket', join(b.dir, 'not-a-socket')];
      }],
    ];
    it.each(cases)('create with %s: one clear line', async (_what, phrase, prepare) => {
      const b = await bundle(['true']);
      const extra = prepare(b);
      const r = await oci(['create', '--bundle', b.dir, ...extra, b.id], { mark: b.id });
      expectOneLineError(r, phrase);
      await nothingLeft(b);
    });

    it.each(['a/b', '..', '../escape', 'x/../../y'])('an id like %j is refused and makes nothing', async (id) => {
      const b = await bundle(['true']);
      const root = join(work, `ids-${b.id}`); // a root of its own: nothing else may appear in it
      mkdirSync(root);
      const r = await runtime('minictr-oci', root, ['create', '--bundle', b.dir, id], { mark: b.id });
      expectOneLineError(r, /invalid container id/);
      expect(readdirSync(root)).toEqual([]);
      expect(existsSync(join(work, 'escape')) || existsSync(join(work, 'y'))).toBe(false);
      await nothingLeft(b);
    });

    it('a duplicate id is refused and the first container is untouched; a bad signal is refused', async () => {
      const b = await bundle(['sleep', '1000']);
      const c = await created(b);
      const again = await create('minictr-oci', ROOT, b);
      expectOneLineError({ exitCode: again.exitCode ?? -1, stdout: '', stderr: again.stderr }, /exists/);
      expect(await state('minictr-oci', ROOT, b.id)).toMatchObject({ status: 'created', pid: c.pid });
      for (const sig of ['SIGFOO', '99', '0']) expectOneLineError(await oci(['kill', b.id, sig]), /signal/);
      expect(procState(c.pid)).not.toBe('Z');
      expect((await state('minictr-oci', ROOT, b.id)).status).toBe('created');
      expect((await oci(['delete', '--force', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });
  });

  describe('features, list, spec, --version', () => {
    it('features is JSON', async () => {
      const r = await oci(['features']);
      expect(r.exitCode).toBe(0);
      const f = JSON.parse(r.stdout) as { ociVersionMin: string; ociVersionMax: string; hooks: string[] };
      expect(f.ociVersionMin).toMatch(/^1\./);
      expect(f.hooks).toContain('createRuntime');
    });

    it('list and list --format json show the containers', async () => {
      const b = await bundle(['sleep', '1000']);
      const c = await created(b);
      const table = await oci(['list']);
      expect(table.exitCode).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE/);
      expect(table.stdout.split('\n').find((l) => l.startsWith(`${b.id} `))).toMatch(new RegExp(`^${b.id}\\s+${c.pid}\\s+created\\s+${b.dir}`));
      const json = JSON.parse((await oci(['list', '--format', 'json'])).stdout) as { id: string; status: string; pid: number }[];
      expect(json.find((s) => s.id === b.id)).toMatchObject({ status: 'created', pid: c.pid });
      expect((await oci(['delete', '--force', b.id])).exitCode).toBe(0);
      await nothingLeft(b);
    });

    it('spec writes a config.json that run runs (on a terminal)', async () => {
      const id = uniq('spec', 8);
      made.push(id);
      const dir = join(work, id);
      mkdirSync(dir);
      const { makeRootfs } = await import('./helpers/oci.js');
      await makeRootfs(join(dir, 'rootfs'));
      expect((await execa(OCI, ['spec'], { cwd: dir, reject: false })).exitCode).toBe(0);
      const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Spec;
      expect(spec.process.terminal).toBe(true);
      const r = await runtime('minictr-oci', ROOT, ['run', '--bundle', dir, id], { input: 'echo "hi-$((6*7))"; exit 3\n' });
      expect(r.exitCode, r.stdout + r.stderr).toBe(3);
      expect(r.stdout).toContain('hi-42');
      expect(await residueSettled(ROOT, id, dir)).toEqual([]);
    });

    it('--version prints the runtime and spec versions', async () => {
      const r = await oci(['--version']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^minictr-oci version \S+$/m);
      expect(r.stdout).toMatch(/^spec: 1\.\d+\.\d+$/m);
    });
  });
});
