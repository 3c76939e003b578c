/** minictr-oci's verbs, one file each, in the order runc lists them. */
import type { Command } from 'commander';
import { register as create } from './create.js';
import { register as start } from './start.js';
import { register as state } from './state.js';
import { register as kill } from './kill.js';
import { register as del } from './delete.js';
import { register as exec } from './exec.js';
import { register as ps } from './ps.js';
import { register as pause } from './pause.js';
import { register as update } from './update.js';
import { register as run } from './run.js';
import { register as info } from './info.js';

export const ociVerbs: ((program: Command) => void)[] = [create, start, state, kill, del, exec, ps, pause, update, run, info];
