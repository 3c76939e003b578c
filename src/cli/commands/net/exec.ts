import type { Command } from 'commander';

export function register(net: Command): void {
  net
    .command('exec')
    .description("run a command on a lab host, Mininet style; the lab's host names resolve (/etc/netns/HOST/hosts)")
    .argument('<host>', 'host (namespace) name')
    .argument('[cmd...]', 'command and arguments (after --); default: your shell')
    .passThroughOptions()
    .addHelpText('after', '\nExample:\n  minictr net exec red -- ping -c2 green')
    .action(async (host: string, cmd: string[]) => {
      const { execInNetns } = await import('../../../network/host/netns.js');
      process.exitCode = await execInNetns(host, cmd[0] === '--' ? cmd.slice(1) : cmd);
    });
}
