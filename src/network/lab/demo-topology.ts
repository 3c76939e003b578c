/**
 * The demo's lab as a topology: the very file examples/red-green.yaml holds (a test checks
 * they agree), so `net demo --keep` and `net up examples/red-green.yaml` are the same lab.
 */
import { validateTopology, type Topology } from './topology/schema.js';

export const DEMO_LAB = 'red-green';

export function demoTopology(bridge: 'ovs' | 'linux'): Topology {
  return validateTopology(
    {
      name: DEMO_LAB,
      hosts: {
        red: { addresses: { 'eth0-r': '10.0.0.1/24' } },
        green: { addresses: { 'eth0-g': '10.0.0.2/24' } },
      },
      switches: { ovs1: { type: bridge } },
      links: [{ endpoints: ['red:eth0-r', 'ovs1:veth-r'] }, { endpoints: ['green:eth0-g', 'ovs1:veth-g'] }],
    },
    'demo',
  );
}
