/**
 * --explain prints each kernel step as it is done, from the code that does it: the lines
 * appear in the order the child performs them, and a failing step is the last one printed;
 * the firewall rules it prints are the ones the kernel then has.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';

describe('run --explain', () => {
  it('shows every step with its shell equivalent, in order', async () => {
    const r = await minictr(['run', '--rm', '--explain', '--hostname', 'explained', 'busybox', 'hostname']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('explained');
    const commands = r.stderr.split('\n').filter((l) => l.trim().startsWith('$ ')).map((l) => l.trim().slice(2));
    const order = [
      /^unshare --fork --pid --mount --uts --ipc --net/,
      /^unshare --cgroup/,
      /^mount --make-rprivate \//,
      /^mount -t overlay overlay -o lowerdir=.*upperdir=.*workdir=/,
      /^mount -t proc .* proc .*\/merged\/proc$/,
      /^mknod -m 666 .*\/dev\/null c 1 3$/,
      /^pivot_root /,
      /^umount -l \//,
      /^mount --bind -o ro \/proc\/sys \/proc\/sys$/,
      /^hostname explained$/,
      /^ip link set lo up$/,
      /^capsh --caps-bound=0x00000000a80425fb/,
      /^prctl\(PR_SET_NO_NEW_PRIVS, 1\)$/,
      /^exec minictr-init -- hostname$/,
    ];
    let at = 0;
    for (const re of order) {
      const idx = commands.findIndex((c, i) => i >= at && re.test(c));
      expect(idx, `step ${re} after line ${at}:\n${commands.join('\n')}`).toBeGreaterThanOrEqual(at);
      at = idx + 1;
    }
  });

  it('names the long paths once ($ID, $C, $L1): a shell given the names reads the real paths; --explain=full writes them out', async () => {
    const r = await minictr(['run', '--rm', '--explain', '--network', 'none', 'busybox', 'true']);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').map((l) => l.trim());
    const defs = lines.filter((l) => /^\$ (ID|C|L\d+)=/.test(l)).map((l) => l.slice(2));
    expect(defs.map((d) => d.split('=')[0])).toEqual(['ID', 'C', 'L1']);
    const id = defs[0]!.slice(3);
    // the C child's lines (the overlay, pivot_root) use the names as well as the parent's
    const overlay = lines.find((l) => l.startsWith('$ mount -t overlay'))!;
    expect(overlay).toBe('$ mount -t overlay overlay -o lowerdir=$L1,upperdir=$C/upper,workdir=$C/work $C/merged');
    expect(lines).toContain('$ pivot_root $C/merged $C/merged');
    expect(lines).toContain('$ mkdir /sys/fs/cgroup/pids/minictr/$ID');
    expect(r.stderr.split(id).length - 1).toBe(1); // only in its definition
    const real = await execa('sh', ['-c', `${defs.join('; ')}; printf '%s' "${overlay.slice(2)}"`]);
    expect(real.stdout).toMatch(new RegExp(`^mount -t overlay overlay -o lowerdir=${process.env.MINICTR_ROOT}/layers/[0-9a-f]{64}/diff,upperdir=${process.env.MINICTR_ROOT}/containers/${id}/upper,workdir=\\S+ ${process.env.MINICTR_ROOT}/containers/${id}/merged$`));

    const full = await minictr(['run', '--rm', '--explain=full', '--network', 'none', 'busybox', 'true']);
    expect(full.exitCode, full.stderr).toBe(0);
    expect(full.stderr).not.toMatch(/\$(ID|C|L1)\b|names for the long paths/);
    expect(full.stderr).toMatch(new RegExp(`\\$ pivot_root ${process.env.MINICTR_ROOT}/containers/[0-9a-f]{64}/merged `));
  });

  it('a failing step is reported as step + errno, and is the last step shown', async () => {
    // /proc/self/fd/7 is nothing in the child: chdir fails with ENOENT or ENOTDIR
    const r = await minictr(['run', '--rm', '--explain', '-w', '/proc/self/fd/7', 'busybox', 'true']);
    expect(r.exitCode).toBe(125);
    const last = r.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(/^minictr: chdir\(\/proc\/self\/fd\/7\).*: (No such file or directory|Not a directory|Operation not permitted)$/);
  });
});

describe('run --explain: the firewall', () => {
  it('rules are printed as they are added, from the text that runs: each is then in the kernel as printed', async () => {
    // nftables for both, whatever other runs on this host do to the iptables policy meanwhile
    const env = { ...process.env, MINICTR_FIREWALL: 'nftables', MINICTR_BRIDGE_FIREWALL: 'nftables' };
    const net = uniq('ex-');
    expect((await minictr(['network', 'create', '--subnet', `10.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}.0/24`, net], { env })).exitCode).toBe(0);
    const bridge = JSON.parse((await minictr(['network', 'inspect', net])).stdout)[0].bridge as string;
    const name = uniq('ex-');
    const port = 20000 + Math.floor(Math.random() * 20000);
    try {
      const r = await minictr(['run', '-d', '--explain', '--name', name, '--network', net, '-p', `${port}:80`, 'busybox', 'sleep', '60'], { env });
      expect(r.exitCode, r.stderr).toBe(0);
      const info = JSON.parse((await minictr(['inspect', name])).stdout)[0];
      const [ip, id] = [info.NetworkSettings.IPAddress as string, info.Id as string];
      const mac = `02:42:${ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join(':')}`;
      const veth = `veth${id.slice(0, 11)}`;
      // the nft scripts, as printed: `$ nft -f - <<EOF` ... `EOF`
      const lines = r.stderr.split('\n').map((l) => l.trim());
      const rules: string[] = [];
      for (let i = 0; i < lines.length; i++) {
        if (lines[i] !== '$ nft -f - <<EOF') continue;
        for (i++; lines[i] !== 'EOF'; i++) if (lines[i]!.startsWith('add rule ')) rules.push(lines[i]!);
      }
      const tagNet = `comment "minictr:net:${bridge}"`;
      const tagCtr = `comment "minictr:ctr:${id.slice(0, 12)}"`;
      expect(lines).toContain(`add element ip minictr bridges { "${bridge}" }`);
      expect(rules).toEqual([
        `add rule ip minictr forward iifname "${bridge}" oifname "${bridge}" accept ${tagNet}`,
        // the drop towards every other wired network: the members of the set bridges
        `add rule ip minictr forward iifname "${bridge}" oifname @bridges drop ${tagNet}`,
        `add rule ip minictr forward iifname "${bridge}" accept ${tagNet}`,
        `add rule ip minictr forward oifname "${bridge}" ct state established,related accept ${tagNet}`,
        `add rule ip minictr forward oifname "${bridge}" ct status dnat accept ${tagNet}`,
        expect.stringMatching(new RegExp(`^add rule ip minictr postrouting ip saddr [0-9./]+ oifname != "${bridge}" masquerade ${tagNet}$`)),
        `add rule ip minictr postrouting ip saddr 127.0.0.0/8 oifname "${bridge}" masquerade ${tagNet}`,
        `add rule ip minictr input iifname "${bridge}" ip daddr 127.0.0.0/8 ct status & dnat == 0 drop ${tagNet}`,
        `add rule bridge minictr-${bridge} ports iifname . ether saddr . arp saddr ether . arp saddr ip @arp_ok accept`,
        `add rule bridge minictr-${bridge} ports iifname . ether saddr . ip saddr @ip_ok accept`,
        `add rule bridge minictr-${bridge} ports iifname @guarded drop`,
        `add rule ip minictr prerouting fib daddr type local tcp dport ${port} dnat to ${ip}:80 ${tagCtr}`,
        `add rule ip minictr output fib daddr type local tcp dport ${port} dnat to ${ip}:80 ${tagCtr}`,
      ]);
      // printed right when they are added: the anti-spoofing rules after the veth is on the bridge
      const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
      // the port's elements, sent by the addon's child right after it made the veth
      expect(at(/^\$ ip link add \S+ master /)).toBeLessThan(at(/^\$ nft add element bridge /));
      // and the kernel has each one as printed (nft lists "& dnat == 0" as "! dnat", and a set
      // of one as its element)
      const canonical = (body: string): string => body.replace('ct status & dnat == 0', 'ct status ! dnat').replace(/\{ ("[^"]*") \}/, '$1');
      for (const rule of rules) {
        const [, family, table, chain, body] = /^add rule (\S+) (\S+) (\S+) (.*)$/.exec(rule)!;
        const listed = (await execa('nft', ['list', 'chain', family!, table!, chain!])).stdout.split('\n').map((l) => l.trim());
        expect(listed, rule).toContain(canonical(body!));
      }
      // the port itself is three set elements (printed as the nft commands they are), each in
      // its set as printed
      const elements = lines.filter((l) => l.startsWith(`$ nft add element bridge minictr-${bridge} `));
      expect(elements).toEqual([
        `$ nft add element bridge minictr-${bridge} arp_ok '{ "${veth}" . ${mac} . ${mac} . ${ip} ${tagCtr} }'`,
        `$ nft add element bridge minictr-${bridge} ip_ok '{ "${veth}" . ${mac} . ${ip} ${tagCtr} }'`,
        `$ nft add element bridge minictr-${bridge} guarded '{ "${veth}" ${tagCtr} }'`,
      ]);
      for (const el of elements) {
        const [, family, table, set, body] = /^\$ nft add element (\S+) (\S+) (\S+) '\{ (.*) \}'$/.exec(el)!;
        expect((await execa('nft', ['list', 'set', family!, table!, set!])).stdout, el).toContain(body!);
      }
    } finally {
      await minictr(['rm', '-f', name], { env });
      await minictr(['network', 'rm', '-f', net], { env });
    }
    const tables = (await execa('nft', ['list', 'ruleset'])).stdout;
    expect(tables).not.toContain(`minictr:net:${bridge}`);
    expect(tables).not.toContain(`minictr-${bridge}`);
  });
});
