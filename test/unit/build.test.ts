/**
 * minictr build's pure parts: the Dockerfile parser (src/build/parse.ts), word expansion
 * (words.ts), the plan (plan.ts), the config-only instructions (config.ts), .dockerignore and
 * COPY's glob matching (context.ts) and the cache key (cache.ts).
 */
import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/build/cache.js';
import { applyConfigStep, commandArgv, runArgEnv, stepVars } from '../../src/build/config.js';
import { isIgnored, matchComponent, matchPath, parseIgnore } from '../../src/build/context.js';
import { DockerfileError, parseDockerfile } from '../../src/build/parse.js';
import { exposedPorts, parseDuration, planBuild, stopSignal, workdirPath, type Step } from '../../src/build/plan.js';
import { expandWord, expandWords, keyValues } from '../../src/build/words.js';

const plan = (text: string, opts: Parameters<typeof planBuild>[1] = {}): ReturnType<typeof planBuild> => planBuild(parseDockerfile(text), opts);
const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('parseDockerfile', () => {
  it('joins continuations, drops comments (also inside an instruction), keeps the first line number', () => {
    const df = parseDockerfile('# top\nFROM busybox\n\nRUN echo a \\\n# inside\n    && echo b\ncmd ["sh"]\n');
    expect(df.instructions.map((i) => [i.keyword, i.args, i.line])).toEqual([
      ['FROM', 'busybox', 2],
      ['RUN', 'echo a     && echo b', 4],
      ['CMD', '["sh"]', 7],
    ]);
    expect(df.instructions[2]!.json).toEqual(['sh']);
  });

  it('reads the escape directive (only at the top) and flags', () => {
    const df = parseDockerfile('# escape=`\nFROM x\nCOPY --from=b --chown=1:2 a `\n  c\n');
    expect(df.escape).toBe('`');
    expect(df.instructions[1]).toMatchObject({ keyword: 'COPY', flags: [{ name: 'from', value: 'b' }, { name: 'chown', value: '1:2' }], args: 'a   c' });
    // after an instruction, "# escape=" is a comment
    expect(parseDockerfile('FROM x\n# escape=`\nRUN a \\\n b\n').instructions[1]!.args).toBe('a  b');
  });

  it('a shell-form that only looks like JSON stays shell form', () => {
    expect(parseDockerfile('FROM x\nCMD [not json]\n').instructions[1]!.json).toBeUndefined();
  });

  it.each([
    ['FROM x\nRUNN a\n', 'Dockerfile:2: unknown instruction: RUNN'],
    ['', 'Dockerfile:1: the file has no instructions'],
    ['# escape=x\nFROM a\n', 'Dockerfile:1: invalid escape character "x": use \\ or `'],
  ])('refuses %j: %s', (text, message) => {
    expect(() => parseDockerfile(text)).toThrow(DockerfileError);
    expect(err(() => parseDockerfile(text))).toBe(message);
  });
});

describe('words', () => {
  const vars = new Map([['A', 'one'], ['EMPTY', ''], ['SP', 'x y']]);
  it.each([
    ['$A', 'one'],
    ['${A}-x', 'one-x'],
    ["'$A'", '$A'],
    ['"$A b"', 'one b'],
    ['\\$A', '$A'],
    ['${NOPE:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${A:+alt}', 'alt'],
    ['${NOPE:+alt}', ''],
  ])('expandWord %s -> %s', (input, out) => {
    expect(expandWord(input, vars, '\\')).toBe(out);
  });

  it('expandWords splits unquoted values; keyValues reads both ENV forms', () => {
    expect(expandWords('$SP "$SP"', vars, '\\')).toEqual(['x', 'y', 'x y']);
    expect(keyValues('A=1 B="two words" C=$A', vars, '\\', 'ENV')).toEqual([['A', '1'], ['B', 'two words'], ['C', 'one']]);
    expect(keyValues('KEY the rest  of it', vars, '\\', 'ENV')).toEqual([['KEY', 'the rest  of it']]);
    expect(err(() => keyValues('A="open', vars, '\\', 'ENV'))).toMatch(/^unmatched "/);
    expect(err(() => expandWord('${NOPE:?must be set}', vars, '\\'))).toBe('NOPE: must be set');
  });
});

describe('planBuild', () => {
  it('stages, ARG before FROM, --build-arg, the stages --target needs (not the others)', () => {
    const p = plan('ARG V=1\nFROM base:$V AS one\nRUN a\nFROM busybox AS two\nRUN b\nFROM one AS three\nCOPY --from=two /x /y\nFROM three AS four\n', {
      buildArgs: new Map([['V', '2'], ['UNUSED', 'x']]),
      target: 'three',
    });
    expect(p.stages.map((s) => s.base)).toEqual([{ kind: 'image', ref: 'base:2' }, { kind: 'image', ref: 'busybox' }, { kind: 'stage', index: 0 }, { kind: 'stage', index: 2 }]);
    expect(p.target).toBe(2);
    expect(p.order).toEqual([0, 1, 2]);
    expect(p.images.map((i) => i.ref)).toEqual(['base:2', 'busybox']);
    expect(p.unusedArgs).toEqual(['UNUSED']);
  });

  it('COPY --from: a stage by name or number, else an image', () => {
    const p = plan('FROM a AS b\nFROM c\nCOPY --from=b x y\nCOPY --from=0 x y\nCOPY --from=img:1 x y\n');
    expect(p.stages[1]!.steps.map((s) => (s as Extract<Step, { kind: 'COPY' | 'ADD' }>).from)).toEqual([
      { kind: 'stage', index: 0 },
      { kind: 'stage', index: 0 },
      { kind: 'image', ref: 'img:1' },
    ]);
  });

  it.each([
    ['RUN a\n', 'Dockerfile:1: RUN before the first FROM: only ARG may come before FROM'],
    ['FROM a\nCOPY onlyone\n', 'Dockerfile:2: COPY needs a source and a destination (COPY SRC... DEST)'],
    ['FROM a\nCOPY --from=later x y\nFROM b AS later\n', 'Dockerfile:2: COPY --from=later: stage later is defined after this instruction'],
    ['FROM a\nCOPY --link x y\n', 'Dockerfile:2: COPY --link is not supported by minictr (COPY takes --from, --chown, --chmod)'],
    ['FROM a AS x\nFROM b AS x\n', 'Dockerfile:2: stage name x is used twice'],
    ['FROM a\nONBUILD RUN x\n', 'Dockerfile:2: ONBUILD is not supported by minictr'],
    ['FROM a\nSHELL /bin/bash\n', 'Dockerfile:2: SHELL needs a JSON array, e.g. SHELL ["/bin/bash", "-c"]'],
    ['FROM a\nHEALTHCHECK --interval=soon CMD x\n', 'Dockerfile:2: HEALTHCHECK --interval=soon: not a duration (e.g. 30s, 1m30s)'],
  ])('refuses %j', (text, message) => {
    expect(err(() => plan(text))).toBe(message);
  });

  it('--target that no stage has', () => {
    expect(err(() => plan('FROM a AS one\n', { target: 'two' }))).toBe('Dockerfile:1: --target two: no stage of that name (the stages are one)');
  });

  it('durations, ports, signals, workdirs', () => {
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('500ms')).toBe(5e8);
    expect(parseDuration('5')).toBeUndefined();
    expect(exposedPorts(['80', '53/udp', '8000-8002/tcp'])).toEqual(['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
    expect(stopSignal('term')).toBe('SIGTERM');
    expect(stopSignal('9')).toBe('9');
    expect(workdirPath('/app', 'sub/../x')).toBe('/app/x');
    expect(workdirPath(undefined, 'rel')).toBe('/rel');
  });
});

describe('config-only steps', () => {
  const steps = (text: string): Step[] => plan(`FROM a\n${text}`).stages[0]!.steps;
  const apply = (text: string, base = {}): ReturnType<typeof applyConfigStep> =>
    steps(text).reduce((c, s) => applyConfigStep(c, s, stepVars(c, new Map()), '\\', false), base);

  it('ENV, LABEL, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL, CMD', () => {
    const c = apply('ENV A=1 B=2\nENV A=3\nLABEL x="y z"\nWORKDIR /app\nWORKDIR sub\nUSER $A\nEXPOSE 80 53/udp\nVOLUME ["/data"]\nSTOPSIGNAL INT\nHEALTHCHECK --interval=30s --retries=3 CMD curl -f x\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\n');
    expect(c).toEqual({
      Env: ['B=2', 'A=3'],
      Labels: { x: 'y z' },
      WorkingDir: '/app/sub',
      User: '3',
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      Volumes: { '/data': {} },
      StopSignal: 'SIGINT',
      Healthcheck: { Test: ['CMD-SHELL', 'curl -f x'], Interval: 30e9, Retries: 3 },
      Shell: ['/bin/bash', '-c'],
      Cmd: ['/bin/bash', '-c', 'echo hi'],
    });
  });

  it("ENTRYPOINT drops the base image's CMD, not one set in the stage", () => {
    const [entry] = steps('ENTRYPOINT ["x"]\n');
    expect(applyConfigStep({ Cmd: ['base'] }, entry!, new Map(), '\\', false)).toEqual({ Entrypoint: ['x'] });
    expect(applyConfigStep({ Cmd: ['mine'] }, entry!, new Map(), '\\', true)).toEqual({ Entrypoint: ['x'], Cmd: ['mine'] });
  });

  it('RUN: shell form through SHELL; ARGs in its env unless ENV sets them; ENV wins in expansion', () => {
    expect(commandArgv({}, { shell: 'echo $A' })).toEqual(['/bin/sh', '-c', 'echo $A']);
    expect(commandArgv({ Shell: ['/bin/bash', '-eu', '-c'] }, { shell: 'x' })).toEqual(['/bin/bash', '-eu', '-c', 'x']);
    expect(commandArgv({}, { exec: ['a', 'b'] })).toEqual(['a', 'b']);
    const args = new Map<string, string | undefined>([['A', 'arg'], ['B', 'b'], ['UNSET', undefined]]);
    expect(runArgEnv({ Env: ['A=env'] }, args)).toEqual(['B=b']);
    expect(stepVars({ Env: ['A=env'] }, args).get('A')).toBe('env');
  });
});

describe('.dockerignore and COPY globs', () => {
  it('filepath.Match components and ** across them', () => {
    expect(matchComponent('*.txt', 'a.txt')).toBe(true);
    expect(matchComponent('*.txt', 'a.md')).toBe(false);
    expect(matchComponent('?.t[xy]t', 'a.tyt')).toBe(true);
    expect(matchComponent('[!a]*', 'abc')).toBe(false);
    expect(matchPath(['**', '*.log'], ['a', 'b', 'c.log'])).toBe(true);
    expect(matchPath(['**', '*.log'], ['c.log'])).toBe(true);
    expect(matchPath(['*.log'], ['a', 'c.log'])).toBe(false);
  });

  it('rules: comments, leading /, exceptions (the last match wins), a parent dir excludes its contents', () => {
    const rules = parseIgnore('# comment\n\n/build\n*.log\n!keep.log\n**/tmp\n');
    expect(isIgnored(rules, 'build/out/x')).toBe(true);
    expect(isIgnored(rules, 'a.log')).toBe(true);
    expect(isIgnored(rules, 'keep.log')).toBe(false);
    expect(isIgnored(rules, 'sub/a.log')).toBe(false);
    expect(isIgnored(rules, 'deep/er/tmp/f')).toBe(true);
    expect(isIgnored(rules, 'src/main.c')).toBe(false);
  });
});

describe('cacheKey', () => {
  it('changes with the parent, the instruction and each input digest, and only with them', () => {
    const k = cacheKey({ parent: 'p', instruction: 'RUN x', inputs: ['sha256:a'] });
    expect(cacheKey({ parent: 'p', instruction: 'RUN x', inputs: ['sha256:a'] })).toBe(k);
    expect(cacheKey({ parent: 'q', instruction: 'RUN x', inputs: ['sha256:a'] })).not.toBe(k);
    expect(cacheKey({ parent: 'p', instruction: 'RUN y', inputs: ['sha256:a'] })).not.toBe(k);
    expect(cacheKey({ parent: 'p', instruction: 'RUN x', inputs: ['sha256:b'] })).not.toBe(k);
    expect(cacheKey({ parent: 'p', instruction: 'RUN x' })).not.toBe(k);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
  });
});
