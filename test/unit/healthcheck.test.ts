/** Health checks: the --health-* flags, the merge with the image's HEALTHCHECK, and Docker's
 * rules for one probe's result (src/runtime/healthcheck.ts). */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { committedConfig } from '../../src/image/commit.js';
import { parseImageRecord, RecordProblem } from '../../src/image/record.js';
import { canonicalConfig } from '../../src/image/store.js';
import { applyProbe, healthArgv, healthSuffix, healthTiming, INITIAL_HEALTH, mergeHealthcheck, parseGoDuration, parseHealthFlags, type Health, type HealthConfig } from '../../src/runtime/healthcheck.js';

describe('parseGoDuration', () => {
  it.each([
    ['1s', 1e9], ['500ms', 5e8], ['1m30s', 90e9], ['1.5s', 1.5e9], ['2h', 7200e9], ['10us', 1e4], ['0', 0], ['-1s', -1e9], ['+3ms', 3e6],
  ])('%s is %d ns', (text, ns) => expect(parseGoDuration(text)).toBe(ns));

  it.each(['', '1', 's', '1x', '1s2', ' 1s', '1 s', '--1s', '1.s.s'])('%j is not a duration', (text) => expect(parseGoDuration(text)).toBeUndefined());
});

describe('parseHealthFlags', () => {
  it('keeps only what was given, in Docker\'s units', () => {
    expect(parseHealthFlags({})).toEqual({ none: false, config: {} });
    expect(parseHealthFlags({ cmd: 'curl -f localhost', interval: '1s', timeout: '500ms', startPeriod: '1m', retries: '5' })).toEqual({
      none: false,
      config: { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 1e9, Timeout: 5e8, StartPeriod: 60e9, Retries: 5 },
    });
    expect(parseHealthFlags({ none: true })).toEqual({ none: true, config: {} });
  });

  it.each([
    [{ cmd: 'true', interval: '-1s' }, 'invalid --health-interval "-1s": cannot be negative'],
    [{ cmd: 'true', timeout: 'soon' }, 'invalid --health-timeout "soon": expected a duration such as 30s, 500ms or 1m30s'],
    [{ cmd: 'true', startPeriod: '10ns' }, 'invalid --health-start-period "10ns": at least 1ms'],
    [{ cmd: 'true', retries: '-2' }, 'invalid --health-retries "-2": cannot be negative'],
    [{ cmd: 'true', retries: 'many' }, 'invalid --health-retries "many": expected an integer'],
    [{ cmd: ' ' }, 'invalid --health-cmd "": a command is needed'],
    [{ none: true, cmd: 'true' }, '--no-healthcheck conflicts with the --health-* options'],
    [{ none: true, interval: '1s' }, '--no-healthcheck conflicts with the --health-* options'],
  ])('refuses %j in one line', (flags, message) => {
    expect(() => parseHealthFlags(flags)).toThrow(new UsageError(message));
  });
});

describe('mergeHealthcheck', () => {
  const image: HealthConfig = { Test: ['CMD', 'pg_isready'], Interval: 5e9, Retries: 4 };

  it('the image\'s HEALTHCHECK, with the flags over it field by field', () => {
    expect(mergeHealthcheck(parseHealthFlags({}), image)).toEqual(image);
    expect(mergeHealthcheck(parseHealthFlags({ interval: '1s' }), image)).toEqual({ ...image, Interval: 1e9 });
    expect(mergeHealthcheck(parseHealthFlags({ cmd: 'true' }), image)).toEqual({ Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 4 });
  });

  it('none: no flags and no image check, --no-healthcheck, or Test ["NONE"]', () => {
    expect(mergeHealthcheck(parseHealthFlags({}), undefined)).toBeUndefined();
    expect(mergeHealthcheck(parseHealthFlags({ none: true }), image)).toBeUndefined();
    expect(mergeHealthcheck(parseHealthFlags({}), { Test: ['NONE'] })).toBeUndefined();
  });

  it('refuses timings without a command, and tests it cannot run', () => {
    expect(() => mergeHealthcheck(parseHealthFlags({ interval: '1s' }), undefined)).toThrow(new UsageError('the --health-* options need --health-cmd (the image has no HEALTHCHECK)'));
    expect(() => mergeHealthcheck(parseHealthFlags({}), { Test: ['SHELL', 'x'] })).toThrow(new UsageError('unknown health check test "SHELL": CMD, CMD-SHELL or NONE'));
    expect(() => mergeHealthcheck(parseHealthFlags({}), { Test: ['CMD'] })).toThrow(new UsageError('the health check has no command'));
  });

  it('what runs: CMD-SHELL through /bin/sh -c, CMD as it is; Docker\'s defaults', () => {
    expect(healthArgv({ Test: ['CMD-SHELL', 'test -f /x'] })).toEqual(['/bin/sh', '-c', 'test -f /x']);
    expect(healthArgv({ Test: ['CMD', 'test', '-f', '/x'] })).toEqual(['test', '-f', '/x']);
    expect(healthTiming({ Test: ['CMD', 'true'] })).toEqual({ intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3 });
    expect(healthTiming({ Test: ['CMD', 'true'], Interval: 1e9, Timeout: 5e8, StartPeriod: 2e9, Retries: 1 })).toEqual({ intervalMs: 1000, timeoutMs: 500, startPeriodMs: 2000, retries: 1 });
  });
});

describe('applyProbe', () => {
  const hc: HealthConfig = { Test: ['CMD-SHELL', 'x'], Retries: 2, StartPeriod: 10e9 };
  const started = Date.parse('2026-01-01T00:00:00Z');
  const at = (s: number, code: number, output = ''): Parameters<typeof applyProbe>[1] => {
    const t = new Date(started + s * 1000).toISOString();
    return { Start: t, End: t, ExitCode: code, Output: output };
  };
  const run = (results: Parameters<typeof applyProbe>[1][], from: Health = INITIAL_HEALTH): Health => results.reduce((h, r) => applyProbe(h, r, hc, started), from);

  it('failures in the start period do not count; a success there makes it healthy', () => {
    expect(run([at(1, 1), at(2, 1), at(3, 1)])).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(run([at(1, 1), at(2, 0)])).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
  });

  it('after it, retries failures in a row make it unhealthy; one success heals it', () => {
    expect(run([at(11, 1)])).toMatchObject({ Status: 'starting', FailingStreak: 1 });
    const sick = run([at(11, 1), at(12, 1)]);
    expect(sick).toMatchObject({ Status: 'unhealthy', FailingStreak: 2 });
    expect(run([at(13, 0)], sick)).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    // a healthy container that fails once is still healthy (1 < retries)
    expect(run([at(13, 0), at(14, 1)], sick)).toMatchObject({ Status: 'healthy', FailingStreak: 1 });
  });

  it('keeps the last 5 results, outputs cut at 4 KiB', () => {
    const h = run([1, 2, 3, 4, 5, 6, 7].map((s) => at(10 + s, s % 2, 'x'.repeat(5000))));
    expect(h.Log.map((l) => Date.parse(l.Start) - started)).toEqual([13_000, 14_000, 15_000, 16_000, 17_000]);
    expect(h.Log.every((l) => l.Output.length === 4096)).toBe(true);
  });

  it('ps: (health: starting), (healthy), (unhealthy)', () => {
    expect(healthSuffix(undefined)).toBe('');
    expect(healthSuffix(INITIAL_HEALTH)).toBe(' (health: starting)');
    expect(healthSuffix({ ...INITIAL_HEALTH, Status: 'healthy' })).toBe(' (healthy)');
    expect(healthSuffix({ ...INITIAL_HEALTH, Status: 'unhealthy' })).toBe(' (unhealthy)');
  });
});

describe("the image config's Healthcheck", () => {
  const hc = { Test: ['CMD', 'pg_isready'], Interval: 5e9, Retries: 4 };
  const record = (config: object): string => JSON.stringify({ id: 'a'.repeat(64), layers: [], config, created: '2024-01-02T03:04:05Z', size: 0 });

  it('is kept by the store and by commit; an image without one keeps its id (no new key)', () => {
    expect(canonicalConfig({ Cmd: ['sh'], Healthcheck: hc })).toEqual({ Cmd: ['sh'], Healthcheck: hc });
    expect(Object.keys(canonicalConfig({ Cmd: ['sh'], Healthcheck: undefined }))).toEqual(['Cmd']);
    expect(committedConfig({ Cmd: ['sh'], Healthcheck: hc }, { command: ['sh'], env: [], cwd: '/' } as never).Healthcheck).toEqual(hc);
    expect(parseImageRecord(record({ Healthcheck: hc }), 'a'.repeat(64)).config.Healthcheck).toEqual(hc);
  });

  it('a record with a malformed one is broken, said in a few words', () => {
    for (const bad of [{ Test: 'true' }, { Test: ['CMD', 'x'], Interval: '1s' }, []]) {
      expect(() => parseImageRecord(record({ Healthcheck: bad }), 'a'.repeat(64))).toThrow(new RecordProblem('"config.Healthcheck" is not a health check (Test, and whole numbers)'));
    }
  });
});
