#!/usr/bin/env python3
"""Drive a command on a real pseudo-terminal, as a person at a keyboard would.

usage: pty-drive.py SCRIPT.json -- CMD...
SCRIPT.json is a list of steps: {"wait": "text"} waits until the output contains text,
{"send": "keys"} types keys ("\\u0003" is Ctrl-C), {"resize": [rows, cols]} resizes the
window (the kernel sends SIGWINCH). Prints everything the terminal showed, then
"EXIT <status>" on the last line.
"""
import fcntl, json, os, pty, select, struct, sys, termios, time

steps = json.load(open(sys.argv[1]))
cmd = sys.argv[sys.argv.index('--') + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)

fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
out = b''

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

deadline = time.time() + 15
while time.time() < deadline and pump(0.1):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
print(f"\nEXIT {os.waitstatus_to_exitcode(status)}")
