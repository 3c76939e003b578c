import type { Command } from 'commander';

export function register(net: Command): void {
  const ns = net.command('ns').description('named network namespaces, interchangeable with `ip netns`');
  ns.command('add')
    .description('create a namespace (= ip netns add NAME)')
    .argument('<name>')
    .option('-q, --quiet', 'do not show the equivalent command')
    .action(async (name: string, opts: { quiet?: boolean }) => {
      const { addNetns } = await import('../../../network/host/netns.js');
      const { createOutput } = await import('../../../network/host/output.js');
      await addNetns(name, createOutput(!opts.quiet));
    });
  ns.command('del')
    .alias('rm')
    .description('remove a namespace (= ip netns del NAME)')
    .argument('<name>')
    .option('-q, --quiet', 'do not show the equivalent command')
    .action(async (name: string, opts: { quiet?: boolean }) => {
      const { delNetns } = await import('../../../network/host/netns.js');
      const { createOutput } = await import('../../../network/host/output.js');
      await delNetns(name, createOutput(!opts.quiet));
    });
  ns.command('ls')
    .alias('list')
    .description('list namespaces, including those made by ip netns add (= ip netns list)')
    .action(async () => {
      const { listNetns } = await import('../../../network/host/netns.js');
      for (const n of await listNetns()) process.stdout.write(`${n.name}${n.id !== undefined ? ` (id: ${n.id})` : ''}\n`);
    });
  ns.command('exec')
    .description('run a command in a namespace (= ip netns exec NAME CMD; honours /etc/netns/NAME/*)')
    .argument('<name>')
    .argument('[cmd...]', 'command and arguments (after --); default: your shell')
    .passThroughOptions()
    .action(async (name: string, cmd: string[]) => {
      const { execInNetns } = await import('../../../network/host/netns.js');
      process.exitCode = await execInNetns(name, cmd[0] === '--' ? cmd.slice(1) : cmd);
    });
}
