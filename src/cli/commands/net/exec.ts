import type { Command } from 'commander';

export function register(net: Command): void {
  net
    .command('exec')
    .description("run a command on a lab host (or, with --all / --hosts, on many: each line prefixed by its host), Mininet style; the lab's host names resolve (/etc/netns/HOST/hosts)")
    .argument('[host]', 'host (namespace) name; not with --all or --hosts')
    .argument('[cmd...]', 'command and arguments (after --); default: your shell')
    .option('--all', 'run on every host of every lab that is up')
    .option('--hosts <h1,h2>', 'run on these hosts')
    .passThroughOptions()
    .addHelpText('after', '\nExamples:\n  minictr net exec red -- ping -c2 green\n  minictr net exec --all -- ip -br addr\n  minictr net exec --hosts h1,h2 -- hostname')
    .action(async (host: string | undefined, cmd: string[], opts: { all?: boolean; hosts?: string }) => {
      if (opts.all || opts.hosts !== undefined) {
        // no HOST here: what commander took for it is the command's first word
        const argv = [...(host !== undefined ? [host] : []), ...cmd];
        const { runOnMany } = await import('../../../network/lab/exec-many.js');
        process.exitCode = await runOnMany(opts, argv[0] === '--' ? argv.slice(1) : argv);
        return;
      }
      if (host === undefined) {
        const { UsageError } = await import('../../../errors.js');
        throw new UsageError('net exec: name a host, or give --all or --hosts');
      }
      const { execInNetns } = await import('../../../network/host/netns.js');
      process.exitCode = await execInNetns(host, cmd[0] === '--' ? cmd.slice(1) : cmd);
    });
}
