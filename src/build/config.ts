/**
 * What the config-only instructions do to an image config (ENV, LABEL, WORKDIR, USER,
 * EXPOSE, VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL, CMD, ENTRYPOINT), and the variables a step
 * sees (its stage's ARGs under the image's ENV, as Docker gives ENV the last word). Pure code.
 */
import type { HealthConfig, ImageConfig } from '../image/store.js';
import { exposedPorts, stopSignal, volumePaths, workdirPath, type Step } from './plan.js';
import { expandWord, expandWords, keyValues, type Vars } from './words.js';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** The config's Env as a map (NAME -> value). */
export function envMap(config: ImageConfig): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of config.Env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) m.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return m;
}

/** The variables for expansion: the ARGs in scope, then the ENV (ENV wins, as in Docker). */
export function stepVars(config: ImageConfig, args: ReadonlyMap<string, string | undefined>): Map<string, string> {
  const vars = new Map<string, string>();
  for (const [k, v] of args) if (v !== undefined) vars.set(k, v);
  for (const [k, v] of envMap(config)) vars.set(k, v);
  return vars;
}

/** ARG values a RUN gets in its environment (those ENV does not set), as NAME=VALUE. */
export function runArgEnv(config: ImageConfig, args: ReadonlyMap<string, string | undefined>): string[] {
  const env = envMap(config);
  return [...args].filter((e): e is [string, string] => e[1] !== undefined && !env.has(e[0])).map(([k, v]) => `${k}=${v}`);
}

/** A RUN, CMD or ENTRYPOINT as the argv it stands for (shell form: through SHELL). */
export function commandArgv(config: ImageConfig, step: { exec?: string[]; shell?: string }): string[] {
  return step.exec ? [...step.exec] : [...(config.Shell ?? DEFAULT_SHELL), step.shell ?? ''];
}

function setEnv(env: string[], key: string, value: string): string[] {
  return [...env.filter((e) => !e.startsWith(`${key}=`)), `${key}=${value}`];
}

/** The config after a config-only step (a copy; the input is not changed). */
/** cmdSet: a CMD came earlier in this stage (ENTRYPOINT then keeps it). */
export function applyConfigStep(config: ImageConfig, step: Step, vars: Vars, escape: string, cmdSet = false): ImageConfig {
  const c: ImageConfig = { ...config };
  const a = step.instr.args;
  switch (step.kind) {
    case 'ENV': {
      let env = [...(c.Env ?? [])];
      for (const [k, v] of keyValues(a, vars, escape, 'ENV')) env = setEnv(env, k, v);
      c.Env = env;
      break;
    }
    case 'LABEL':
      c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(keyValues(a, vars, escape, 'LABEL')) };
      break;
    case 'WORKDIR':
      c.WorkingDir = workdirPath(c.WorkingDir, expandWord(a, vars, escape));
      break;
    case 'USER':
      c.User = expandWord(a, vars, escape);
      break;
    case 'EXPOSE': {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const p of exposedPorts(expandWords(a, vars, escape))) ports[p] = {};
      c.ExposedPorts = ports;
      break;
    }
    case 'VOLUME': {
      const vols = { ...(c.Volumes ?? {}) };
      for (const p of volumePaths(step.instr, vars, escape)) vols[p] = {};
      c.Volumes = vols;
      break;
    }
    case 'STOPSIGNAL':
      c.StopSignal = stopSignal(expandWord(a, vars, escape));
      break;
    case 'HEALTHCHECK': {
      const h = step.health;
      const test = h.none ? ['NONE'] : h.exec ? ['CMD', ...h.exec] : ['CMD-SHELL', h.shell ?? ''];
      const hc: HealthConfig = { Test: test };
      if (h.interval !== undefined) hc.Interval = h.interval;
      if (h.timeout !== undefined) hc.Timeout = h.timeout;
      if (h.startPeriod !== undefined) hc.StartPeriod = h.startPeriod;
      if (h.retries !== undefined) hc.Retries = h.retries;
      c.Healthcheck = hc;
      break;
    }
    case 'SHELL':
      c.Shell = [...step.shell];
      break;
    case 'CMD':
      c.Cmd = commandArgv(c, step);
      break;
    case 'ENTRYPOINT':
      c.Entrypoint = commandArgv(c, step);
      // as Docker: an ENTRYPOINT drops the CMD the base image had (not one set in this stage)
      if (!cmdSet) delete c.Cmd;
      break;
    default:
      throw new Error(`${step.kind} is not a config-only step`);
  }
  return c;
}
