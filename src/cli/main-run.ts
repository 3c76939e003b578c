/** `minictr run ...` from a bundle of its own (one-command.ts; bin/run-bundle.js picks it). */
import { register } from './commands/run.js';
import { oneCommandMain } from './one-command.js';

export const main = oneCommandMain('run', register);
