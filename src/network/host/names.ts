/**
 * Kernel name rules of the lab and of container networks, checked before anything is
 * created (src/names.ts holds every kind; these are the two the network code asks for).
 */
import { checkName } from '../../names.js';

export function checkIfName(name: string, where: string): void {
  checkName('interface', name, where);
}

export function checkNetnsName(name: string, where?: string): void {
  checkName('network namespace', name, where ?? 'namespace');
}
