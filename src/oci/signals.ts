/** Signals as engines spell them for `kill`: 9, KILL, SIGKILL, sigterm. */
import { constants } from 'node:os';
import { OciError } from './errors.js';

export function parseSignal(v: string | undefined): number {
  const s = (v ?? 'SIGTERM').trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw new OciError(`invalid signal ${s}: signals are 1 to 64`, 'usage');
    return n;
  }
  const name = s.toUpperCase().replace(/^SIG/, '');
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(name);
  if (rt) {
    // SIGRTMIN is 34 and SIGRTMAX 64: RTMIN+31 and above are no signal
    const n = 34 + Number(rt[1] ?? 0);
    if (n > 64) throw new OciError(`invalid signal "${s}": signals are 1 to 64 (RTMIN+30 is the last)`, 'usage');
    return n;
  }
  const n = (constants.signals as Record<string, number>)[`SIG${name}`];
  if (n === undefined) throw new OciError(`invalid signal "${s}"`, 'usage');
  return n;
}
