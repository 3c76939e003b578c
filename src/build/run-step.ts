/**
 * A RUN step that missed the cache: a real container of this runtime on the state's layers
 * (runtime/run.ts's createAttached, then runtime/start.ts), whose upper dir becomes the
 * step's layer exactly as `minictr commit` makes one (image/commit.ts's containerLayer).
 *
 * Loaded by build.ts only when a RUN has to run: a build whose steps all come from the cache
 * never loads the runtime's start path, the layer archiver or the tar code (about a third of
 * a warm build's CPU time once Node has started).
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { containerLayer } from '../image/commit.js';
import { layerDirs, storeLayer, type HistoryEntry, type ImageConfig, type ImageRecord } from '../image/store.js';
import { formatNetworkMode, type NetworkMode } from '../network/container/mode.js';
import { destroyContainer } from '../runtime/destroy.js';
import { createAttached } from '../runtime/run.js';
import { startContainer } from '../runtime/start.js';
import type { Explainer } from '../util/explain.js';
import type { CachedStep } from './cache.js';
import { RunFailedError } from './errors.js';
import type { Instruction } from './parse.js';
import type { Progress } from './progress.js';

export interface RunStep {
  /** the Dockerfile's name as shown, for the error */
  file: string;
  instr: Instruction;
  /** the image the container runs on (the state so far) */
  image: ImageRecord;
  config: ImageConfig;
  argv: string[];
  env: string[];
  /** the step's progress header and number (#N) */
  head: string;
  sn: number;
  /** where the RUN's output log goes */
  scratch: string;
  mode: NetworkMode;
  explainFlag: boolean;
  progress: Progress;
  explain: Explainer;
  historyRow: (createdBy: string, empty: boolean) => HistoryEntry;
  oneLine: (s: string) => string;
}

export async function runStep(r: RunStep): Promise<CachedStep> {
  const { image, config, argv } = r;
  const container = await createAttached(
    {
      image: image.id,
      imageId: image.id,
      command: argv,
      env: r.env,
      cwd: config.WorkingDir || '/',
      user: config.User || undefined,
      tty: false,
      interactive: false,
      autoRemove: true,
      volumes: [],
      tmpfs: [],
      network: { mode: formatNetworkMode(r.mode), ports: [] },
    },
    r.mode,
  );
  const log = join(r.scratch, `run-${r.sn}.log`);
  const fd = openSync(log, 'w+');
  const tail = r.progress.follow(fd, r.sn, r.head);
  let status: number | undefined;
  try {
    r.explain.note(`RUN in container ${container.config.name} (${container.config.id.slice(0, 12)}) on image ${image.id.slice(0, 12)}: ${argv.join(' ')}`);
    status = (await startContainer(container, { detach: false, explain: r.explainFlag, image, output: fd, keepFiles: true })) ?? 0;
    tail.stop();
    if (status !== 0) {
      r.progress.failed(tail.lines(), r.sn);
      throw new RunFailedError(`${r.file}:${r.instr.line}: ${r.oneLine(r.instr.text)}: the command exited with status ${status}`);
    }
    const layer = await containerLayer(container, layerDirs(image), { explain: r.explain });
    if (!layer) {
      r.explain.note(`container ${container.config.name} changed no file: no layer`);
      return { config, history: r.historyRow(`RUN ${argv.join(' ')}`, true) };
    }
    await storeLayer(layer);
    r.explain.note(`container ${container.config.name}'s upper dir is layer ${layer.digest} (${layer.size} bytes), stored`);
    return { layer: layer.digest, config, history: r.historyRow(`RUN ${argv.join(' ')}`, false) };
  } finally {
    tail.stop();
    closeSync(fd);
    // a container that failed to start was removed by startContainer (it is --rm)
    if (existsSync(container.dir)) await destroyContainer(container);
  }
}
