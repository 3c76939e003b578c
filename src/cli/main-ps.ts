/** `minictr ps ...` from a bundle of its own (one-command.ts; bin/run-bundle.js picks it). */
import { register } from './commands/ps.js';
import { oneCommandMain } from './one-command.js';

export const main = oneCommandMain('ps', register);
