import type { Command } from 'commander';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  const volume = program
    .command('volume')
    .description('manage volumes: directories on the host (volumes/NAME/_data) that containers get bind-mounted in, and that outlive them');
  volume
    .command('create')
    .description('create a volume (no name: a 64-hex name, as an anonymous volume gets); an existing one is left as it is')
    .argument('[name]', 'volume name')
    .option('--label <key=value>', 'a label (repeatable)', collect, [])
    .action(async (name: string | undefined, o: { label: string[] }) => {
      const { UsageError } = await import('../../errors.js');
      const { anonymousVolumeName, createVolume } = await import('../../volume/store.js');
      const { withVolumesLock } = await import('../../runtime/volumes.js');
      const { writeSync } = await import('node:fs');
      const labels: Record<string, string> = {};
      for (const l of o.label) {
        const eq = l.indexOf('=');
        const key = eq < 0 ? l : l.slice(0, eq);
        if (!key) throw new UsageError(`invalid --label "${l}": expected KEY=VALUE`);
        labels[key] = eq < 0 ? '' : l.slice(eq + 1);
      }
      const made = await withVolumesLock(async () => createVolume(name ?? anonymousVolumeName(), { labels }));
      writeSync(1, `${made.volume.Name}\n`);
    });
  volume
    .command('ls')
    .alias('list')
    .description('list volumes')
    .option('-q, --quiet', 'only print names', false)
    .option('-f, --filter <filter>', 'name=SUBSTRING or dangling=true|false (not used by any container); repeatable', collect, [])
    .action(async (o: { quiet: boolean; filter: string[] }) => {
      const { UsageError } = await import('../../errors.js');
      const { scanVolumes } = await import('../../volume/store.js');
      const { volumeUsers } = await import('../../runtime/volumes.js');
      const { scanContainers } = await import('../../runtime/store.js');
      const { table } = await import('../../util/format.js');
      const { relative } = await import('node:path');
      const { paths } = await import('../../paths.js');
      const { writeSync } = await import('node:fs');
      const names: string[] = [];
      let dangling: boolean | undefined;
      for (const f of o.filter) {
        const eq = f.indexOf('=');
        const key = f.slice(0, Math.max(eq, 0));
        const value = f.slice(eq + 1);
        if (key === 'name' && value) names.push(value);
        else if (key === 'dangling' && ['true', '1', 'false', '0'].includes(value)) dangling = value === 'true' || value === '1';
        else throw new UsageError(`invalid --filter "${f}": name=SUBSTRING or dangling=true|false`);
      }
      const scan = scanContainers();
      const { volumes, broken } = scanVolumes();
      const shown = volumes
        .filter((v) => !names.length || names.some((n) => v.Name.includes(n)))
        .filter((v) => dangling === undefined || (volumeUsers(v.Name, scan).length === 0) === dangling);
      // a broken record is always listed (with a name filter, when it matches)
      const brokenNames = broken.map((b) => relative(paths.volumes(), b.path).split('/')[0]!).filter((n) => !names.length || names.some((f) => n.includes(f)));
      if (o.quiet) writeSync(1, [...shown.map((v) => v.Name), ...brokenNames].map((n) => `${n}\n`).join(''));
      else writeSync(1, table(['DRIVER', 'VOLUME NAME'], [...shown.map((v) => ['local', v.Name]), ...brokenNames.map((n) => ['broken', n])]));
      for (const b of broken) writeSync(2, `minictr: broken volume record ${b.path}: ${b.problem} (kept; see 'minictr system check')\n`);
    });
  volume
    .command('inspect')
    .description('print volumes as JSON (Name, Driver, Mountpoint, CreatedAt, Labels, Scope)')
    .argument('<name...>', 'volume names')
    .action(async (names: string[]) => {
      const { NotFoundError } = await import('../../errors.js');
      const { findVolume, volumeData } = await import('../../volume/store.js');
      const { writeSync } = await import('node:fs');
      const out = names.map((n) => {
        const v = findVolume(n);
        if (!v) throw new NotFoundError(`no such volume: ${n}`);
        return { CreatedAt: v.CreatedAt, Driver: 'local', Labels: v.Labels, Mountpoint: volumeData(v.Name), Name: v.Name, Options: null, Scope: 'local' };
      });
      writeSync(1, `${JSON.stringify(out, null, 2)}\n`);
    });
  volume
    .command('rm')
    .alias('remove')
    .description('remove volumes and their data; refused for a volume a container uses (running or stopped), even with -f')
    .argument('<name...>', 'volume names')
    .option('-f, --force', 'no error for a missing volume; remove a broken record', false)
    .action(async (names: string[], o: { force: boolean }) => {
      const { removeVolume } = await import('../../runtime/volumes.js');
      const { MinictrError } = await import('../../errors.js');
      const { writeSync } = await import('node:fs');
      let failed = 0;
      for (const n of names) {
        try {
          if (await removeVolume(n, o.force)) writeSync(1, `${n}\n`);
        } catch (err) {
          if (!(err instanceof MinictrError)) throw err;
          writeSync(2, `minictr: ${err.message}\n`);
          failed = err.exitCode;
        }
      }
      if (failed) process.exitCode = failed;
    });
  volume
    .command('prune')
    .description('remove anonymous volumes no container uses (with -a, every unused volume)')
    .option('-a, --all', 'named volumes too, not only anonymous ones', false)
    .option('-f, --force', 'do not ask for confirmation', false)
    .action(async (o: { all: boolean; force: boolean }) => {
      const { pruneVolumes } = await import('../../runtime/volumes.js');
      const { humanSize } = await import('../../util/format.js');
      const { writeSync } = await import('node:fs');
      if (!o.force) {
        const { createInterface } = await import('node:readline/promises');
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const what = o.all ? 'all local volumes' : 'anonymous local volumes';
        const answer = await rl.question(`WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue? [y/N] `).catch(() => '');
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) return;
      }
      const { removed, bytes, kept } = await pruneVolumes(o.all);
      if (removed.length) writeSync(1, `Deleted Volumes:\n${removed.map((n) => `${n}\n`).join('')}\n`);
      writeSync(1, `Total reclaimed space: ${humanSize(bytes)}\n`);
      for (const k of kept) writeSync(2, `minictr: kept ${k}\n`);
    });
}
