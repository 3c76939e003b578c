/** `run --restart`: the policy parser, when a policy restarts, Docker's back-off (src/runtime/restart-policy.ts). */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { BACKOFF_MAX_MS, formatRestartPolicy, nextBackoff, parseRestartPolicy, policyFailureRecord, shouldRestart, type RestartPolicy } from '../../src/runtime/restart-policy.js';
import { parseRecords } from '../../src/runtime/logs.js';
import { serviceUnit, startsAtBoot } from '../../src/system/boot.js';

describe('parseRestartPolicy', () => {
  it.each([
    [undefined, 'no', 0],
    ['no', 'no', 0],
    ['always', 'always', 0],
    ['unless-stopped', 'unless-stopped', 0],
    ['on-failure', 'on-failure', 0],
    ['on-failure:2', 'on-failure', 2],
    ['on-failure:0', 'on-failure', 0],
  ])('%j is %s with at most %i retries', (value, name, max) => {
    expect(parseRestartPolicy(value)).toEqual({ Name: name, MaximumRetryCount: max });
  });

  it.each([
    ['sometimes', 'invalid --restart "sometimes": expected no, on-failure[:N], always or unless-stopped'],
    ['Always', 'invalid --restart "Always": expected no, on-failure[:N], always or unless-stopped'],
    ['always:3', 'invalid --restart "always:3": only on-failure takes a maximum retry count'],
    ['on-failure:-1', 'invalid --restart "on-failure:-1": the maximum retry count must be a non-negative integer'],
    ['on-failure:x', 'invalid --restart "on-failure:x": the maximum retry count must be a non-negative integer'],
    ['on-failure:', 'invalid --restart "on-failure:": the maximum retry count must be a non-negative integer'],
  ])('refuses %j in one line', (value, message) => {
    expect(() => parseRestartPolicy(value)).toThrow(new UsageError(message));
  });

  it('prints back as typed', () => {
    expect(['no', 'always', 'unless-stopped', 'on-failure', 'on-failure:5'].map((v) => formatRestartPolicy(parseRestartPolicy(v)))).toEqual(['no', 'always', 'unless-stopped', 'on-failure', 'on-failure:5']);
  });
});

describe('shouldRestart', () => {
  const facts = (exitCode: number, restartCount = 0, stoppedByUser = false) => ({ exitCode, restartCount, stoppedByUser });

  it('no: never; always and unless-stopped: whatever the exit code', () => {
    expect(shouldRestart(parseRestartPolicy('no'), facts(1))).toBe(false);
    for (const p of ['always', 'unless-stopped']) {
      expect(shouldRestart(parseRestartPolicy(p), facts(0))).toBe(true);
      expect(shouldRestart(parseRestartPolicy(p), facts(137, 1000))).toBe(true);
    }
  });

  it('on-failure:N: only a non-zero exit, and at most N times', () => {
    const p = parseRestartPolicy('on-failure:2');
    expect(shouldRestart(p, facts(0))).toBe(false);
    expect(shouldRestart(p, facts(3, 0))).toBe(true);
    expect(shouldRestart(p, facts(3, 1))).toBe(true);
    expect(shouldRestart(p, facts(3, 2))).toBe(false);
    expect(shouldRestart(parseRestartPolicy('on-failure'), facts(3, 10_000))).toBe(true);
  });

  it('stop, kill and rm are never undone', () => {
    for (const p of ['always', 'unless-stopped', 'on-failure']) expect(shouldRestart(parseRestartPolicy(p), facts(143, 0, true))).toBe(false);
  });
});

describe('nextBackoff', () => {
  it('100 ms, doubled at each quick exit, capped at a minute', () => {
    const waits: number[] = [];
    let w: number | undefined;
    for (let i = 0; i < 12; i++) waits.push((w = nextBackoff(w, 50)));
    expect(waits).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    expect(Math.max(...waits)).toBe(BACKOFF_MAX_MS);
  });

  it('back to 100 ms once the container ran 10 s', () => {
    expect(nextBackoff(6400, 9999)).toBe(12800);
    expect(nextBackoff(6400, 10_000)).toBe(100);
    expect(nextBackoff(60_000, 3_600_000)).toBe(100);
  });
});

describe('after a reboot (system boot, system service)', () => {
  const c = (Name: RestartPolicy['Name'] | undefined, stoppedByUser?: boolean) =>
    ({ config: { restartPolicy: Name ? { Name, MaximumRetryCount: 0 } : undefined }, state: { status: 'running' as const, stoppedByUser } }) as unknown as Parameters<typeof startsAtBoot>[0];
  it('always comes back, even stopped by hand (as Docker\'s daemon start); unless-stopped unless stopped by hand; on-failure and no stay', () => {
    expect([c('always'), c('always', true), c('unless-stopped'), c('unless-stopped', true), c('on-failure'), c('no'), c(undefined)].map(startsAtBoot)).toEqual([true, true, true, false, false, false, false]);
  });
  it('the unit runs `system boot` once with this node, this minictr and this state root', () => {
    const unit = serviceUnit({ node: '/usr/bin/node', bin: '/opt/minictr/bin/minictr', env: { MINICTR_ROOT: '/srv/m root', MINICTR_RUN: undefined, HOME: '/root' } });
    expect(unit.split('\n')).toEqual([
      '[Unit]',
      'Description=minictr: start the containers whose restart policy is always or unless-stopped',
      'After=network-online.target local-fs.target',
      'Wants=network-online.target',
      '',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      'KillMode=process',
      'Environment="MINICTR_ROOT=/srv/m root"',
      'ExecStart=/usr/bin/node /opt/minictr/bin/minictr system boot',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ]);
    expect(serviceUnit({ node: '/n', bin: '/a$b/100%/m"x', env: {} })).toContain('ExecStart=/n "/a$$b/100%%/m\\"x" system boot');
    expect(() => serviceUnit({ node: '/n', bin: '/a\nb', env: {} })).toThrow('cannot contain a newline');
  });
});

describe('policyFailureRecord', () => {
  it('is one stderr record of the log that `minictr logs` reads, with the message and the time', () => {
    const rec = policyFailureRecord('no space left on device', 1_700_000_000_123);
    const { records, used } = parseRecords(Buffer.concat([rec, rec]));
    expect(used).toBe(rec.length * 2);
    expect(records).toHaveLength(2);
    expect(records[0]!.stream).toBe(2);
    expect(records[0]!.timeNs).toBe(1_700_000_000_123_000_000n);
    expect(records[0]!.data.toString()).toBe('minictr: the restart policy could not restart the container: no space left on device\n');
  });
});
