/**
 * The lab across two machines with Open vSwitch on the kernel datapath and both tunnel types:
 * vm1 is this machine itself (OVS runs in its network namespace; its daemon cannot be moved
 * into an emulated machine), vm2 a network namespace joined to it by a veth underlay
 * (test/helpers/machines.ts). On vm1 an OVS bridge with OVS's own gre and vxlan ports; on vm2
 * the kernel's gretap and vxlan devices on two Linux bridges, so each tunnel is OVS talking to
 * Linux. Needs the openvswitch and ip_gre modules: this host's kernel has neither, so the file
 * is skipped here and runs in the VM suite (test/vm/run-vm-tests.sh, Debian's kernel).
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniq } from './helpers/cli.js';
import { machineLinks, minictrOn } from './helpers/machines.js';
import { ensureOvsRunning, haveOvs, leftovers, sh, writeTopology } from './net-helpers.js';

const loads = async (mod: string): Promise<boolean> => (await sh('modprobe', ['-q', mod])).exitCode === 0;
const READY = (await haveOvs()) && (await loads('openvswitch')) && (await loads('ip_gre')) && (await loads('vxlan'));

const p = uniq('o', 4);
const vm2 = `${p}m2`;
const octet = 1 + Math.floor(Math.random() * 250);
const addr = { vm1: `198.19.${octet}.1`, vm2: `198.19.${octet}.2` };
const [red, green, blue] = [`${p}red`, `${p}grn`, `${p}blu`];
const on = (m: 'vm1' | 'vm2', args: string[]) => minictrOn(m === 'vm1' ? undefined : vm2, `${p}-${m}`, args);

/** Set once the test has taken its lab down itself: afterAll need not (each minictr call costs seconds under TCG). */
let down = false;
/** OVS was stopped before: stopped again after, so the machine is left as found. */
let ovsWasRunning = true;

describe.skipIf(!READY)('a lab across two machines: OVS kernel datapath with gre and vxlan ports (skipped without the openvswitch and ip_gre modules: the VM suite runs it)', () => {
  beforeAll(async () => {
    ovsWasRunning = (await sh('ovs-vsctl', ['--timeout=2', 'show'])).exitCode === 0;
    await ensureOvsRunning();
    expect((await sh('ip', ['netns', 'add', vm2])).exitCode).toBe(0);
    for (const c of [
      ['link', 'add', `${p}u1`, 'type', 'veth', 'peer', 'name', `${p}u2`, 'netns', vm2],
      ['addr', 'add', `${addr.vm1}/24`, 'dev', `${p}u1`],
      ['-n', vm2, 'addr', 'add', `${addr.vm2}/24`, 'dev', `${p}u2`],
      ['link', 'set', `${p}u1`, 'up'],
      ['-n', vm2, 'link', 'set', `${p}u2`, 'up'],
    ]) {
      expect((await sh('ip', c)).stderr).toBe('');
    }
  });

  afterAll(async () => {
    if (!down) for (const m of ['vm1', 'vm2'] as const) await on(m, ['net', 'down', '-q', p]);
    await sh('ip', ['link', 'del', `${p}u1`]);
    await sh('ip', ['netns', 'del', vm2]);
    if (!ovsWasRunning) await sh('/usr/share/openvswitch/scripts/ovs-ctl', ['stop']);
  });

  it('red on OVS (vm1) reaches green over GRE and blue over VXLAN (Linux bridges on vm2); down on each side leaves nothing', async () => {
    const file = writeTopology(`${p}-ovs`, {
      name: p,
      machines: { vm1: { address: addr.vm1, dev: `${p}u1` }, vm2: { address: addr.vm2, dev: `${p}u2` } },
      hosts: {
        [red]: { machine: 'vm1', addresses: { eth0: '10.62.0.1/24' } },
        [green]: { machine: 'vm2', addresses: { eth0: '10.62.0.2/24' } },
        [blue]: { machine: 'vm2', addresses: { eth0: '10.62.0.3/24' } },
      },
      switches: { [`${p}s1`]: { machine: 'vm1', type: 'ovs' }, [`${p}s2`]: { machine: 'vm2' }, [`${p}s3`]: { machine: 'vm2' } },
      links: [
        { endpoints: [`${red}:eth0`, `${p}s1`] },
        { endpoints: [`${green}:eth0`, `${p}s2`] },
        { endpoints: [`${blue}:eth0`, `${p}s3`] },
        { type: 'gre', endpoints: [`${p}s1:${p}g1`, `${p}s2:${p}g2`], vni: 9 },
        { type: 'vxlan', endpoints: [`${p}s1:${p}x1`, `${p}s3:${p}x3`], vni: 6000 + octet },
      ],
    });
    const up1 = await on('vm1', ['net', 'up', file, '--machine', 'vm1']);
    expect(up1.exitCode, up1.stderr).toBe(0);
    expect(up1.stderr).toContain(`$ ovs-vsctl add-port ${p}s1 ${p}g1 -- set interface ${p}g1 type=gre options:remote_ip=${addr.vm2}`);
    const up2 = await on('vm2', ['net', 'up', file, '--machine', 'vm2']);
    expect(up2.exitCode, up2.stderr).toBe(0);
    expect(up2.stderr).toContain(`$ ip link add ${p}g2 mtu 1458 type gretap local ${addr.vm2} remote ${addr.vm1} key 9 dev ${p}u2`);

    // OVS's view: the kernel datapath, with OVS's own tunnel ports (no kernel device by their names)
    expect((await sh('ovs-vsctl', ['get', 'bridge', `${p}s1`, 'datapath_type'])).stdout.trim()).toBe('system');
    expect((await sh('ovs-vsctl', ['get', 'interface', `${p}g1`, 'type'])).stdout.trim()).toBe('gre');
    expect((await sh('ovs-vsctl', ['get', 'interface', `${p}x1`, 'type'])).stdout.trim()).toBe('vxlan');
    expect((await sh('ovs-dpctl', ['show'])).stdout).toMatch(/gre_sys|gre/);

    for (const [to, ip] of [[green, '10.62.0.2'], [blue, '10.62.0.3']]) {
      const ping = await sh('ip', ['netns', 'exec', red, 'ping', '-c', '1', '-W', '5', to!]);
      expect(ping.exitCode, `${to}: ${ping.stdout}${ping.stderr}`).toBe(0);
      expect(ping.stdout).toContain(`(${ip})`);
    }
    // TCP over GRE, full-size: the 1450 of red's cable (the smaller of its two tunnels) fits both
    const server = execa('ip', ['netns', 'exec', green, 'busybox', 'nc', '-l', '-p', '5062'], { reject: false, timeout: 60_000 });
    const line = 'x'.repeat(3000);
    let sent = { exitCode: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 100 && sent.exitCode !== 0; i++) {
      sent = await sh('ip', ['netns', 'exec', red, 'bash', '-c', `echo ${line} > /dev/tcp/10.62.0.2/5062`]);
      if (sent.exitCode !== 0) await new Promise((res) => setTimeout(res, 100));
    }
    expect(sent.exitCode, sent.stderr).toBe(0);
    expect(String((await server).stdout)).toBe(line);

    for (const m of ['vm1', 'vm2'] as const) expect((await on(m, ['net', 'down', '-q', file])).exitCode).toBe(0);
    down = true;
    expect((await sh('ovs-vsctl', ['br-exists', `${p}s1`])).exitCode).toBe(2);
    expect(await machineLinks(vm2, `${p}u`)).toEqual([]);
    expect((await leftovers(p)).filter((x) => x !== `netns ${vm2}` && x !== `link ${p}u1`)).toEqual([]);
  });
});
