/**
 * run --step's pauses (src/runtime/step-pause.ts): every step the child can stop at has its
 * words and commands, and each pause names its step and the pid the commands look at.
 */
import { describe, expect, it } from 'vitest';
import { PAUSE_POINTS } from '../../src/native/index.js';
import { pauseText } from '../../src/runtime/step-pause.js';

const at = { pid: 4242, cgroupDir: '/sys/fs/cgroup/pids/minictr/abc' };

describe('pauseText', () => {
  it.each([...PAUSE_POINTS, 'veth', 'idmap'])('%s: its name, the pid, and commands about that pid', (step) => {
    const text = pauseText(step, at);
    expect(text).toMatch(new RegExp(`^\\n\\[step\\] ${step}: \\S.* \\(host pid 4242\\)\\n  look from another terminal:\\n`));
    const look = text.split('\n').filter((l) => l.startsWith('    '));
    expect(look.length).toBeGreaterThanOrEqual(1);
    expect(look.length).toBeLessThanOrEqual(3);
    expect(look.every((l) => l.includes('/proc/4242/') || l.includes('-t 4242 '))).toBe(true);
  });

  it('before clone there is no pid: the cgroup steps say so and look at the cgroup tree', () => {
    for (const step of ['cgroup', 'clone']) {
      const text = pauseText(step, { cgroupDir: at.cgroupDir });
      expect(text).toContain(`[step] ${step}: `);
      expect(text).toContain('(no process yet)');
      expect(text).toContain('ls /sys/fs/cgroup/pids/minictr/\n');
    }
  });
});
