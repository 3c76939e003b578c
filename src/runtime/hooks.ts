/**
 * OCI hooks that run on the host side, in the runtime's namespaces: prestart and
 * createRuntime (during create, once the namespaces exist and before pivot_root),
 * poststart (after start) and poststop (after delete). Each gets the container's state
 * JSON on stdin. (createContainer and startContainer run inside the container: the C child
 * runs them, native/src/hooks.c.)
 */
import { MinictrError } from '../errors.js';
import type { Explainer } from '../util/explain.js';
import { shellLine } from '../util/shell.js';
import { runTool } from '../util/tool.js';
import type { HookName, OciHook, OciState } from '../spec/config.js';

export class HookError extends MinictrError {}

/** Run the hooks of one phase in order; the first failure stops them (and the operation). */
export async function runHostHooks(phase: HookName, hooks: OciHook[] | undefined, state: OciState, explain: Explainer): Promise<void> {
  for (const h of hooks ?? []) {
    const args = h.args?.length ? h.args : [h.path];
    explain.step(`run a ${phase} hook, with the container's state on stdin`, `${shellLine(args)} < state.json`);
    const env = Object.fromEntries((h.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const r = await runTool(h.path, args.slice(1), { argv0: args[0], env, input: JSON.stringify(state), allowFailure: true, timeoutMs: h.timeout ? h.timeout * 1000 : undefined })
      .catch((err: Error) => {
        throw new HookError(`${phase} hook ${h.path}: ${err.message.split('\n')[0]}`);
      });
    if (r.exitCode !== 0) {
      const why = (r.stderr || r.stdout).trim().split('\n').pop();
      throw new HookError(`${phase} hook ${h.path} exited with status ${r.exitCode}${why ? `: ${why}` : ''}`);
    }
  }
}
