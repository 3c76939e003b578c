/**
 * Kernel name rules, checked before anything is created so a bad name is a one-line usage
 * error instead of a half-built lab. Interface names are at most 15 bytes (IFNAMSIZ - 1).
 */
import { UsageError } from '../../errors.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function checkIfName(name: string, where: string): void {
  if (!NAME.test(name) || name.length > 15) {
    throw new UsageError(`${where}: "${name}" is not a valid interface name (1-15 of A-Z a-z 0-9 _ . -)`);
  }
}

export function checkNetnsName(name: string, where = 'namespace'): void {
  if (!NAME.test(name) || name.length > 64) {
    throw new UsageError(`${where}: "${name}" is not a valid namespace name (1-64 of A-Z a-z 0-9 _ . -)`);
  }
}
