import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('view')
    .description("a live page of the kernel's objects: namespaces, veth pairs, bridges, containers, cgroups, labs (read-only)")
    .argument('[file]', 'a topology file to draw as planned, beside the live picture')
    .option('-p, --port <port>', 'TCP port (0: a free one)', '8017')
    .option('--listen <addr>', 'IP address to listen on; anything but loopback needs --token', '127.0.0.1')
    .option('--token <token>', 'the secret the URL must carry (default: $MINICTR_VIEW_TOKEN)')
    .addHelpText(
      'after',
      `
The page updates by itself within a second of any change (ip netns add, net up, run, rm),
marks what appeared or went away, and on a click shows how an object was made and the
command that inspects it. It serves only GET: nothing on it changes the host.

Examples:
  minictr view                          http://127.0.0.1:8017/ on this machine only
  minictr view examples/router.yaml     ...and the picture of a topology file not yet up
                                        (its own tab; ?view=planned opens on it)
  minictr view --listen 10.0.0.5 --token "$(openssl rand -hex 16)"   for a classroom`,
    )
    .action(async (file: string | undefined, o: { port: string; listen: string; token?: string }) => {
      const { runView } = await import('../../view/run.js');
      await runView({ port: o.port, listen: o.listen, token: o.token ?? process.env.MINICTR_VIEW_TOKEN, file });
    });
}
