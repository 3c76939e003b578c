/** Every CLI command, one file each. Keep this list sorted by how often a student types it. */
import type { Command } from 'commander';
import { register as run } from './run.js';
import { register as rm } from './rm.js';
import { register as images } from './images.js';
import { register as importImage } from './import.js';
import { register as rmi } from './rmi.js';

export type Register = (program: Command) => void;

export const commands: Register[] = [run, rm, images, importImage, rmi];
