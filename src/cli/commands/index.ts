/** Every CLI command, one file each. Keep this list sorted by how often a student types it. */
import type { Command } from 'commander';
import { register as run } from './run.js';
import { register as rm } from './rm.js';
import { register as startCmd } from './start.js';
import { register as stopCmd } from './stop.js';
import { register as killCmd } from './kill.js';
import { register as restartCmd } from './restart.js';
import { register as waitCmd } from './wait.js';
import { register as psCmd } from './ps.js';
import { register as logsCmd } from './logs.js';
import { register as execCmd } from './exec.js';
import { register as inspectCmd } from './inspect.js';
import { register as topCmd } from './top.js';
import { register as statsCmd } from './stats.js';
import { register as updateCmd } from './update.js';
import { register as pauseCmd } from './pause.js';
import { register as unpauseCmd } from './unpause.js';
import { register as infoCmd } from './info.js';
import { register as systemCmd } from './system.js';
import { register as networkCmd } from './network.js';
import { register as volumeCmd } from './volume.js';
import { register as doctorCmd } from './doctor.js';
import { register as images } from './images.js';
import { register as importImage } from './import.js';
import { register as rmi } from './rmi.js';
import { register as pull } from './pull.js';
import { register as commit } from './commit.js';
import { register as buildCmd } from './build.js';
import { register as exportCmd } from './export.js';
import { register as historyCmd } from './history.js';
import { register as netCmd } from './net.js';
import { register as viewCmd } from './view.js';
import { register as tagCmd } from './tag.js';
import { register as pushCmd } from './push.js';
import { register as saveCmd } from './save.js';
import { register as loadCmd } from './load.js';
import { register as loginCmd } from './login.js';
import { register as restartPolicyCmd } from './restart-policy.js';
import { register as healthProbeCmd } from './health-probe.js';

import { register as composeCmd } from './compose.js';

export type Register = (program: Command) => void;

/** A command file's register function and the top-level command names it registers (login.ts
 * registers login and logout): `minictr NAME ...` builds only that entry's commands
 * (main.ts). test/unit/cli-commands.test.ts checks the names against what each registers. */
export interface CommandEntry {
  readonly names: readonly string[];
  readonly register: Register;
}

const entry = (register: Register, ...names: string[]): CommandEntry => ({ names, register });

export const commandEntries: readonly CommandEntry[] = [
  entry(run, 'run'), entry(psCmd, 'ps'), entry(execCmd, 'exec'), entry(logsCmd, 'logs'),
  entry(startCmd, 'start'), entry(stopCmd, 'stop'), entry(restartCmd, 'restart'),
  entry(killCmd, 'kill'), entry(waitCmd, 'wait'), entry(inspectCmd, 'inspect'), entry(topCmd, 'top'),
  entry(statsCmd, 'stats'), entry(updateCmd, 'update'), entry(pauseCmd, 'pause'),
  entry(unpauseCmd, 'unpause'), entry(rm, 'rm'), entry(pull, 'pull'), entry(pushCmd, 'push'),
  entry(tagCmd, 'tag'), entry(images, 'images'), entry(buildCmd, 'build'), entry(commit, 'commit'),
  entry(exportCmd, 'export'), entry(historyCmd, 'history'), entry(importImage, 'import'),
  entry(saveCmd, 'save'), entry(loadCmd, 'load'), entry(rmi, 'rmi'),
  entry(loginCmd, 'login', 'logout'), entry(networkCmd, 'network'), entry(volumeCmd, 'volume'),
  entry(composeCmd, 'compose'), entry(netCmd, 'net'), entry(viewCmd, 'view'), entry(doctorCmd, 'doctor'),
  entry(infoCmd, 'info'), entry(systemCmd, 'system'), entry(restartPolicyCmd, 'restart-policy'),
  entry(healthProbeCmd, 'health-probe'),
];

export const commands: Register[] = commandEntries.map((e) => e.register);

/** The entry that registers top-level command NAME (a name or an alias), if any. */
export function commandEntry(name: string): CommandEntry | undefined {
  return commandEntries.find((e) => e.names.includes(name));
}
