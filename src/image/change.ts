/**
 * `import --change`: the Dockerfile instructions `docker import -c` accepts that set an image's
 * config: CMD, ENTRYPOINT, ENV, WORKDIR and USER.
 */
import { UsageError } from '../errors.js';
import type { ImageConfig } from './store.js';

/** Default PATH for an image that sets none (the one Docker puts in a container). */


/** CMD/ENTRYPOINT: exec form ["a","b"] as is; shell form "a b" becomes ["/bin/sh","-c","a b"]. */
function commandForm(instr: string, arg: string): string[] {
  if (arg.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(arg);
    } catch {
      throw new UsageError(`--change ${instr}: ${arg} is not a JSON array of strings`);
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
      throw new UsageError(`--change ${instr}: ${arg} is not a JSON array of strings`);
    }
    return parsed as string[];
  }
  return ['/bin/sh', '-c', arg];
}

function setEnv(config: ImageConfig, key: string, value: string): void {
  if (!/^[^=\s]+$/.test(key)) throw new UsageError(`--change ENV: invalid variable name ${JSON.stringify(key)}`);
  const env = (config.Env ?? []).filter((e) => !e.startsWith(`${key}=`));
  env.push(`${key}=${value}`);
  config.Env = env;
}

/** Apply instructions like 'CMD ["bash"]' or 'ENV LANG=C.UTF-8' to a config (returns a copy). */
export function applyChanges(base: ImageConfig, changes: string[]): ImageConfig {
  const config: ImageConfig = { ...base, Env: [...(base.Env ?? [])] };
  for (const change of changes) {
    const m = /^\s*(\w+)\s+([\s\S]*?)\s*$/.exec(change);
    if (!m || !m[2]) throw new UsageError(`--change ${JSON.stringify(change)}: expected INSTRUCTION ARGUMENTS, e.g. 'CMD ["sh"]'`);
    const instr = m[1]!.toUpperCase();
    const arg = m[2];
    switch (instr) {
      case 'CMD':
        config.Cmd = commandForm(instr, arg);
        break;
      case 'ENTRYPOINT':
        config.Entrypoint = commandForm(instr, arg);
        break;
      case 'WORKDIR':
        if (!arg.startsWith('/')) throw new UsageError(`--change WORKDIR: ${arg} is not an absolute path`);
        config.WorkingDir = arg;
        break;
      case 'USER':
        config.User = arg;
        break;
      case 'ENV': {
        // "ENV K=V [K2=V2...]" or the old "ENV K V" form.
        if (/^[^=\s]+=/.test(arg)) {
          for (const pair of arg.split(/\s+/)) {
            const eq = pair.indexOf('=');
            if (eq <= 0) throw new UsageError(`--change ENV: ${JSON.stringify(pair)} is not KEY=VALUE`);
            setEnv(config, pair.slice(0, eq), pair.slice(eq + 1));
          }
        } else {
          const [key = '', ...value] = arg.split(/\s+/);
          setEnv(config, key, value.join(' '));
        }
        break;
      }
      default:
        throw new UsageError(`--change ${instr}: not supported (use CMD, ENTRYPOINT, ENV, WORKDIR or USER)`);
    }
  }
  return config;
}
