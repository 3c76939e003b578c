import type { Command } from 'commander';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Ask on the terminal, as docker login does; the password is not echoed. */
async function prompt(question: string, hidden: boolean): Promise<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  let muted = false;
  // once the question is out, nothing of what is typed is echoed (a redraw included)
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (text: string) => {
    if (!muted) process.stderr.write(text);
    else if (text.includes('\n')) process.stderr.write('\n');
  };
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, resolve);
      muted = hidden;
    });
  } finally {
    rl.close();
  }
}

export function register(program: Command): void {
  program
    .command('login')
    .description('log in to a registry: the login is checked, then kept in $DOCKER_CONFIG/config.json (~/.docker)')
    .argument('<registry>', 'HOST[:PORT] of the registry')
    .option('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (visible to other users in ps: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin', false)
    .option('--insecure', 'allow plain HTTP to the registry (localhost and 127.0.0.0/8 always are)', false)
    .option('--explain', 'print each registry request as the curl command it stands for', false)
    .addHelpText(
      'after',
      '\nThe file is Docker\'s: {"auths": {"HOST:PORT": {"auth": base64("USER:PASSWORD")}}}, mode 0600;\n' +
        'pull and push use it.\n\n' +
        'Example:\n  echo secret | minictr login -u alice --password-stdin 127.0.0.1:5000\n',
    )
    .action(async (registry: string, o: { username?: string; password?: string; passwordStdin: boolean; insecure: boolean; explain: boolean }) => {
      const { UsageError } = await import('../../errors.js');
      if (o.password !== undefined && o.passwordStdin) throw new UsageError('login: --password and --password-stdin are mutually exclusive');
      if (o.passwordStdin && !o.username) throw new UsageError('login: --password-stdin needs a user name (-u USER)');
      const tty = Boolean(process.stdin.isTTY) && !o.passwordStdin;
      const username = o.username ?? (tty ? await prompt('Username: ', false) : undefined);
      const password = o.passwordStdin ? await readStdin() : (o.password ?? (tty ? await prompt('Password: ', true) : undefined));
      const { login } = await import('../../image/login.js');
      const { createExplainer } = await import('../../util/explain.js');
      const file = await login(registry, { username: username ?? '', password: password ?? '', insecure: o.insecure, explain: createExplainer(o.explain) });
      process.stdout.write(`Login Succeeded (stored in ${file})\n`);
    });
  program
    .command('logout')
    .description('forget the login for a registry')
    .argument('<registry>', 'HOST[:PORT] of the registry')
    .action(async (registry: string) => {
      const { logout } = await import('../../image/login.js');
      const { normalizeRegistry } = await import('../../image/auth.js');
      const had = await logout(registry);
      process.stdout.write(had ? `Removing login credentials for ${normalizeRegistry(registry)}\n` : `Not logged in to ${normalizeRegistry(registry)}\n`);
    });
}
