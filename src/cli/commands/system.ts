import type { Command } from 'commander';

export function register(program: Command): void {
  const system = program.command('system').description('manage minictr itself');
  system
    .command('prune')
    .alias('gc')
    .description('remove what interrupted commands left behind (containers, dirs, names, addresses, cgroups, temp files, unused layers); broken records are kept')
    .action(async () => {
      const { pruneContainers } = await import('../../runtime/prune.js');
      const { pruneImageStore } = await import('../../image/prune.js');
      const { writeSync } = await import('node:fs');
      const containers = await pruneContainers();
      const images = await pruneImageStore();
      const removed = [...containers.removed, ...images.removed];
      writeSync(1, removed.length ? removed.map((r) => `removed ${r}\n`).join('') : 'nothing to remove\n');
      // broken records, and what was kept because of them (status 0: prune did what was safe)
      for (const k of [...containers.kept, ...images.kept]) writeSync(2, `minictr: kept ${k}\n`);
    });
  system
    .command('boot')
    .description('start the containers whose restart policy brings them back after a reboot: always, and unless-stopped unless stopped by hand (what the systemd unit of `system service` runs)')
    .option('--explain', 'print each start as the minictr command it is', false)
    .action(async (o: { explain: boolean }) => {
      const { bootContainers } = await import('../../system/boot.js');
      const { createExplainer } = await import('../../util/explain.js');
      const { writeSync } = await import('node:fs');
      const r = await bootContainers(createExplainer(o.explain, (s) => writeSync(2, s)), (line) => writeSync(1, `${line}\n`));
      for (const f of r.failed) writeSync(2, `minictr: ${f.name}: ${f.error}\n`);
      if (r.failed.length) process.exitCode = 1;
    });
  system
    .command('service')
    .description('print the systemd unit that runs `minictr system boot` at boot; --install writes it to /etc/systemd/system and enables it')
    .option('--install', 'write the unit and enable it (systemctl daemon-reload, systemctl enable)', false)
    .option('--explain', 'print each host command', false)
    .action(async (o: { install: boolean; explain: boolean }) => {
      const { serviceUnit, UNIT_NAME } = await import('../../system/boot.js');
      const { MINICTR_BIN } = await import('../../util/self.js');
      const { writeSync, writeFileSync } = await import('node:fs');
      const unit = serviceUnit({ node: process.execPath, bin: MINICTR_BIN, env: process.env });
      if (!o.install) {
        writeSync(1, unit);
        return;
      }
      const { createExplainer } = await import('../../util/explain.js');
      const { hostCommand } = await import('../../util/host-command.js');
      const explain = createExplainer(o.explain, (s) => writeSync(2, s));
      const path = `/etc/systemd/system/${UNIT_NAME}`;
      explain.step(`write the unit ${path}`, `minictr system service > ${path}`);
      writeFileSync(path, unit);
      await hostCommand('systemctl', ['daemon-reload'], { explain, why: 'let systemd read it' });
      await hostCommand('systemctl', ['enable', UNIT_NAME], { explain, why: 'start it at every boot' });
      writeSync(1, `${path}\n`);
    });
  system
    .command('check')
    .description('list the records of the store that cannot be read, and what to do about each (changes nothing)')
    .action(async () => {
      const { checkStore, formatCheck } = await import('../../system/check.js');
      const { writeSync } = await import('node:fs');
      const broken = await checkStore();
      writeSync(1, formatCheck(broken));
      if (broken.length) process.exitCode = 1;
    });
}
