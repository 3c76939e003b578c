// holdAddress (src/network/container/ipam.ts): a container's recorded address is its own again
// before its interface is wired, or refused when another container took it meanwhile.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allocateAddress, holdAddress, leasePath, releaseAddress } from '../../src/network/container/ipam.js';

const root = mkdtempSync(join(tmpdir(), 'minictr-ipam-'));
beforeAll(() => vi.stubEnv('MINICTR_ROOT', root));
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const net = { name: 'holdnet', subnet: '10.77.0.0/29', gateway: '10.77.0.1' } as Parameters<typeof allocateAddress>[0];

describe('holdAddress', () => {
  it('keeps a lease the container holds, takes back a freed one, refuses one another container took', () => {
    const ip = allocateAddress(net, A);
    holdAddress('holdnet', ip, A);
    expect(readFileSync(leasePath('holdnet', ip)!, 'utf8')).toBe(A);
    // freed (the sweep of a dead --rm container), then held again at its start
    releaseAddress('holdnet', ip, A);
    holdAddress('holdnet', ip, A);
    expect(readFileSync(leasePath('holdnet', ip)!, 'utf8')).toBe(A);
    // freed, then leased to another container before the start
    releaseAddress('holdnet', ip, A);
    holdAddress('holdnet', ip, B);
    expect(() => holdAddress('holdnet', ip, A)).toThrow(`address ${ip} on network holdnet was given to container bbbbbbbbbbbb`);
    expect(readFileSync(leasePath('holdnet', ip)!, 'utf8')).toBe(B);
  });

  it('refuses an address that is not one', () => {
    expect(() => holdAddress('holdnet', '../x', A)).toThrow('no valid address on network holdnet');
  });
});
