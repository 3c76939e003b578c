#!/usr/bin/env python3
"""Drive a command on a real pseudo-terminal, as a person at a keyboard would.

usage: pty-drive.py SCRIPT.json -- CMD...
SCRIPT.json is a list of steps: {"wait": "text"} waits until the output contains text,
{"send": "keys"} types keys ("\\u0003" is Ctrl-C), {"resize": [rows, cols]} resizes the
window (the kernel sends SIGWINCH). To look at the host while the command waits (run
--step): {"capture": "regex with a group", "as": "NAME"} sets $NAME to the group's last match
in the output so far, and {"sh": "command"} runs it now, with those names in its environment.
Prints everything the terminal showed, then each sh step's output after a line "SH <n>:", then
"EXIT <status>" on the last line.
"""
import fcntl, json, os, pty, re, select, struct, subprocess, sys, termios, time

steps = json.load(open(sys.argv[1]))
cmd = sys.argv[sys.argv.index('--') + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)

fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
out = b''
names = {}
shells = []

def pump(timeout):
    global out
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            out += data
    return True

for step in steps:
    if 'wait' in step:
        deadline = time.time() + 15
        mark = step['wait'].encode()
        while mark not in out and time.time() < deadline:
            if not pump(0.1):
                break
        if mark not in out:
            sys.stdout.write(out.decode(errors='replace'))
            print(f"\nTIMEOUT waiting for {step['wait']!r}")
            os.kill(pid, 9)
            sys.exit(3)
        out = out.replace(mark, b'<' + mark[1:] + b'>', 1) if step.get('consume') else out
    elif 'send' in step:
        os.write(fd, step['send'].encode())
    elif 'resize' in step:
        rows, cols = step['resize']
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    elif 'sleep' in step:
        pump(step['sleep'])
    elif 'capture' in step:
        found = re.findall(step['capture'].encode(), out)
        names[step['as']] = found[-1].decode() if found else ''
    elif 'sh' in step:
        r = subprocess.run(['sh', '-c', step['sh']], env={**os.environ, **names}, capture_output=True, timeout=15)
        shells.append((r.stdout + r.stderr).decode(errors='replace'))

deadline = time.time() + 15
while time.time() < deadline and pump(0.1):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
for i, text in enumerate(shells):
    sys.stdout.write(f"\nSH {i}:\n{text}")
print(f"\nEXIT {os.waitstatus_to_exitcode(status)}")
