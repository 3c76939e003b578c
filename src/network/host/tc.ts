/**
 * Traffic control support. Delay, jitter and loss need the netem qdisc, which minimal kernels
 * leave out (CONFIG_NET_SCH_NETEM); finding that out before building anything gives a clear
 * error instead of a rollback halfway through.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { release } from 'node:os';
import { runTool } from '../../util/tool.js';

function kernelConfig(): string | undefined {
  try {
    return gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    /* not exported: try /boot */
  }
  try {
    return readFileSync(`/boot/config-${release()}`, 'utf8');
  } catch {
    return undefined;
  }
}

let config: string | undefined | null = null;

/** y, m, 'no' (not set), or undefined when the kernel's config cannot be read. */
export function kernelConfigOption(option: string): 'y' | 'm' | 'no' | undefined {
  if (config === null) config = kernelConfig();
  if (config === undefined) return undefined;
  const m = new RegExp(`^${option}=([ym])$`, 'm').exec(config);
  return m ? (m[1] as 'y' | 'm') : 'no';
}

let netem: boolean | undefined;

export async function netemAvailable(): Promise<boolean> {
  if (netem !== undefined) return netem;
  if (existsSync('/sys/module/sch_netem')) return (netem = true);
  if (existsSync(`/lib/modules/${release()}`)) {
    await runTool('modprobe', ['-q', 'sch_netem'], { allowFailure: true }).catch(() => undefined);
    if (existsSync('/sys/module/sch_netem')) return (netem = true);
  }
  // Unknown config: assume it is there and let tc report the real error.
  return (netem = kernelConfigOption('CONFIG_NET_SCH_NETEM') !== 'no');
}
