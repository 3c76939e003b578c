/**
 * `minictr build`: the executor. It walks the plan (plan.ts) stage by stage, step by step,
 * holding each stage's state as an image in the making: its layers (stored in the image
 * store as they are made), its config and its history. Then:
 *
 *   RUN          a real container of this runtime (runtime/run.ts's createAttached, then
 *                runtime/start.ts: the same isolation, cgroup and network as `minictr run`;
 *                the default bridge reaches the outside through NAT), on the state's layers,
 *                with the state's Env, WorkingDir, User and SHELL, and the ARGs in scope in
 *                its environment; its upper dir becomes the step's layer exactly as
 *                `minictr commit` makes one (image/commit.ts's containerLayer)
 *   COPY, ADD    a layer written from the context or a stage's or image's root (copy.ts)
 *   the others   only the config changes (config.ts)
 *
 * A step whose parent, instruction and inputs are as before comes from the cache (cache.ts).
 * What only a step that misses needs (the RUN container path, run-step.ts; the COPY layer
 * writer, copy-layer.ts) is imported when it runs: a fully cached build loads neither.
 * The target stage's state becomes the image, tagged with every -t. Whatever fails, the
 * containers and temp dirs of the build are removed and no tag is created or moved; the
 * layers of the steps that finished stay, as the cache (system prune removes them while no
 * image uses them).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { MinictrError, NotFoundError, UsageError } from '../errors.js';
import { makeTempDir, sweepStaleTemp } from '../image/files.js';
import { parseReference, tagKey } from '../image/reference.js';
import { resolveImage } from '../image/resolve.js';
import { baseHistory, canonicalConfig, commitImage, imageIdFor, layerDirs, layerExists, layerSize, readStored, readTags, storeLayer, type HistoryEntry, type ImageConfig, type ImageRecord } from '../image/store.js';
import { parseNetworkMode, type NetworkMode } from '../network/container/mode.js';
import { resolveUser } from '../runtime/users.js';
import { createExplainer, type Explainer } from '../util/explain.js';
import { cacheGet, cacheKey, cachePut, type CachedStep } from './cache.js';
import { applyConfigStep, commandArgv, runArgEnv, stepVars } from './config.js';
import { loadContext, type BuildContext } from './context.js';
import { planCopy, type CopySpec } from './copy.js';
import { RunFailedError, StepError } from './errors.js';
import { DockerfileError, parseDockerfile, type Instruction } from './parse.js';
import { argValue, copyWords, planBuild, type BuildPlan, type Stage, type Step } from './plan.js';
import { RootView } from './rootfs.js';
import { Progress } from './progress.js';
import { expandWord, WordError } from './words.js';
import { readBoundedFile } from '../util/bounded-read.js';
import { monotonicMs } from '../util/clock.js';

export interface BuildOptions {
  context: string;
  /** -f: the Dockerfile (default CONTEXT/Dockerfile) */
  file?: string;
  tags: string[];
  buildArgs: Map<string, string>;
  target?: string;
  noCache: boolean;
  network?: string;
  progress: 'plain' | 'tty';
  explain: boolean;
  /** where progress and explain go (stderr) */
  write: (s: string) => void;
}

/** An image in the making. */
interface State {
  layers: string[];
  config: ImageConfig;
  history: HistoryEntry[];
}

export { RunFailedError, StepError };

const stateId = (s: State): string => imageIdFor(s.layers, s.config);

function asRecord(s: State): ImageRecord {
  return { id: stateId(s), tags: [], layers: s.layers, config: s.config, created: new Date().toISOString(), size: 0 };
}

/** Docker's own limit for a Dockerfile is far larger than any real one; 4 MiB is plenty. */
const DOCKERFILE_MAX = 4 * 1024 * 1024;

export async function buildImage(opts: BuildOptions): Promise<ImageRecord> {
  const started = monotonicMs();
  const keys = opts.tags.map((t) => {
    const ref = parseReference(t);
    if (ref.digest) throw new UsageError(`invalid tag ${t}: build -t takes NAME[:TAG], not a digest`);
    return tagKey(ref);
  });
  const mode = parseNetworkMode(opts.network);
  const contextDir = resolvePath(opts.context);
  const filePath = opts.file ? resolvePath(opts.file) : join(contextDir, 'Dockerfile');
  const display = opts.file ?? 'Dockerfile';
  // a regular file of bounded size (a FIFO or /dev/zero given as -f is refused at once)
  if (!existsSync(filePath)) throw new NotFoundError(`no Dockerfile: ${filePath} does not exist (use -f FILE)`);
  const text = readBoundedFile(filePath, DOCKERFILE_MAX, 'Dockerfile');
  const plan = planBuild(parseDockerfile(text, display), { buildArgs: opts.buildArgs, target: opts.target });
  const context = await loadContext(contextDir);
  const progress = new Progress(opts.progress, opts.write);
  const explain = createExplainer(opts.explain, opts.write);
  if (plan.unusedArgs.length) progress.warn(`[Warning] one or more build args were not consumed: ${plan.unusedArgs.join(', ')}`);

  // every image the build names exists before anything runs
  const images = new Map<string, ImageRecord>();
  for (const { ref, instr } of plan.images) {
    if (images.has(ref)) continue;
    try {
      images.set(ref, await resolveImage(ref));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      const what = instr.keyword === 'FROM' ? `FROM ${ref}: image not found` : `${instr.keyword} --from=${ref}: no stage of that name, and no image ${ref}`;
      throw new NotFoundError(`${plan.file}:${instr.line}: ${what} (pull it first: minictr pull ${ref})`);
    }
  }

  const run = new Runner(plan, context, images, mode, opts, progress, explain);
  try {
    const results = new Map<number, State>();
    for (const index of plan.order) results.set(index, await run.stage(plan.stages[index]!, results));
    const final = results.get(plan.target)!;
    // every step from the cache, and the image stored with these tags: nothing to write
    let img = await storedAs(stateId(final), keys);
    if (!img) {
      const layers = await Promise.all(final.layers.map(async (d) => ({ digest: d, size: await layerSize(d) })));
      for (const key of keys.length ? keys : [undefined]) img = await commitImage(key, layers, final.config, { history: final.history });
    }
    explain.note(`image sha256:${img!.id} (${final.layers.length} layer(s))${keys.length ? `, tagged ${keys.join(', ')}` : ''}`);
    progress.line(`#${run.n + 1} writing image sha256:${img!.id.slice(0, 12)}${keys.length ? `, naming to ${keys.join(', ')}` : ''} ${progress.seconds(started)}`);
    return img!;
  } finally {
    if (run.scratch) await rm(run.scratch, { recursive: true, force: true });
  }
}

/**
 * The image, when it is stored with all its layers and every key already names it (what a
 * commit would leave as it is); read without the store lock: records and tags.json are only
 * ever replaced whole (renamed over).
 */
async function storedAs(id: string, keys: string[]): Promise<ImageRecord | undefined> {
  const stored = await readStored(id);
  if (!stored || !stored.layers.every((l) => layerExists(l))) return undefined;
  const tags = await readTags();
  if (!keys.every((k) => tags[k] === id)) return undefined;
  return { ...stored, tags: Object.keys(tags).filter((k) => tags[k] === id).sort() };
}

class Runner {
  /** the step number (#N) of the last step shown */
  n = 0;
  /** the build's temp dir (the RUN logs), made by the first RUN that runs */
  scratch: string | undefined;
  /** temp dirs killed builds left were removed (before the first step that makes one) */
  private swept = false;
  constructor(
    private readonly plan: BuildPlan,
    private readonly context: BuildContext,
    private readonly images: Map<string, ImageRecord>,
    private readonly mode: NetworkMode,
    private readonly opts: BuildOptions,
    private readonly progress: Progress,
    private readonly explain: Explainer,
  ) {}

  private async sweep(): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    await sweepStaleTemp();
  }

  private fail(instr: Instruction, problem: string): never {
    throw new DockerfileError(this.plan.file, instr.line, problem);
  }

  async stage(stage: Stage, done: Map<number, State>): Promise<State> {
    const total = stage.steps.length + 1;
    const label = (i: number): string => `[${stage.name ? `${stage.name} ` : ''}${i}/${total}]`;
    let state: State;
    const t0 = monotonicMs();
    const n = ++this.n;
    if (stage.base.kind === 'scratch') state = { layers: [], config: {}, history: [] };
    else if (stage.base.kind === 'stage') state = structuredClone(done.get(stage.base.index)!);
    else {
      const img = this.images.get(stage.base.ref)!;
      state = { layers: [...img.layers], config: structuredClone(img.config), history: baseHistory(img) };
    }
    this.explain.note(`${stage.from.text}: start from ${stage.base.kind === 'scratch' ? 'an empty root' : `image ${stateId(state).slice(0, 12)} (${state.layers.length} layer(s))`}`);
    this.progress.line(`#${n} ${label(1)} ${stage.from.text} ${this.progress.seconds(t0)}`);

    // ARGs in scope in this stage (globals only once re-declared)
    const args = new Map<string, string | undefined>();
    let cmdSet = false;
    for (const [i, step] of stage.steps.entries()) {
      const sn = ++this.n;
      const head = `#${sn} ${label(i + 2)} ${oneLine(step.instr.text)}`;
      const vars = stepVars(state.config, args);
      try {
        if (step.kind === 'ARG') {
          for (const d of step.args) args.set(d.name, argValue(d, this.opts.buildArgs, this.plan.globalArgs, stepVars(state.config, args), this.plan.escape));
          // in the history (as BuildKit and buildah record it), not in the config
          state = { ...state, history: [...state.history, this.historyRow(step.instr.text, true)] };
          this.progress.line(`${head} 0.0s`);
          continue;
        }
        const t = monotonicMs();
        const r = await this.step(stage, step, state, vars, args, done, cmdSet, head, sn);
        if (step.kind === 'CMD') cmdSet = true;
        state = r.state;
        this.progress.line(`${head} ${r.cached ? 'CACHED' : this.progress.seconds(t)}`);
      } catch (err) {
        if (err instanceof WordError) this.fail(step.instr, err.message);
        // a step's own error (a COPY source outside the context, a refused archive) names
        // the instruction's file and line too
        if (err instanceof MinictrError && !(err instanceof DockerfileError) && !(err instanceof RunFailedError)) {
          throw new StepError(`${this.plan.file}:${step.instr.line}: ${err.message}`, err.exitCode);
        }
        throw err;
      }
    }
    return state;
  }

  /** One step through the cache: its key, then a hit, or the work and a new entry. */
  private async step(stage: Stage, step: Step, state: State, vars: Map<string, string>, args: Map<string, string | undefined>, done: Map<number, State>, cmdSet: boolean, head: string, sn: number): Promise<{ state: State; cached: boolean }> {
    const parent = stateId(state);
    let instruction: string;
    let inputs: string[] = [];
    let work: () => Promise<CachedStep>;
    if (step.kind === 'RUN') {
      if (!state.layers.length) this.fail(step.instr, 'RUN needs a root filesystem with the command in it: this stage is FROM scratch with no files yet');
      const argv = commandArgv(state.config, step);
      const env = runArgEnv(state.config, args);
      instruction = JSON.stringify(['RUN', argv, env]);
      work = () => this.runStep(step.instr, state, argv, env, head, sn);
    } else if (step.kind === 'COPY' || step.kind === 'ADD') {
      const spec = this.copySpec(stage, step, state, vars, done);
      const copy = await planCopy(spec);
      instruction = JSON.stringify([step.kind, spec.sources, spec.dest, spec.workdir, spec.owner ?? null, spec.chmod ?? null]);
      inputs = [copy.digest];
      work = async () => {
        await this.sweep();
        const { copyLayer } = await import('./copy-layer.js');
        const layer = await copyLayer(spec, copy, this.explain);
        await storeLayer(layer);
        this.explain.note(`${step.kind}: ${copy.count} entr${copy.count === 1 ? 'y' : 'ies'} written; layer ${layer.digest} stored (${layer.size} bytes)`);
        return { layer: layer.digest, config: state.config, history: this.historyRow(step.instr.text, false) };
      };
    } else {
      const config = canonicalConfig(applyConfigStep(state.config, step, vars, this.plan.escape, cmdSet));
      instruction = JSON.stringify([step.kind, config]);
      work = () => {
        this.explain.note(`${step.kind}: only the image config changes (no container, no layer)`);
        return Promise.resolve({ config, history: this.historyRow(step.instr.text, true) });
      };
    }
    const key = cacheKey({ parent, instruction, inputs });
    if (!this.opts.noCache) {
      const hit = await cacheGet(key);
      if (hit && (!hit.layer || layerExists(hit.layer))) {
        this.explain.note(`cache hit ${key.slice(0, 12)}: the same parent ${parent.slice(0, 12)}, instruction and inputs as an earlier build${hit.layer ? `: layer ${hit.layer} reused` : ''}`);
        return { state: apply(state, hit), cached: true };
      }
    }
    const result = await work();
    await cachePut(key, result);
    return { state: apply(state, result), cached: false };
  }

  private historyRow(createdBy: string, empty: boolean): HistoryEntry {
    const h: HistoryEntry = { created: new Date().toISOString(), createdBy: createdBy.replace(/\s+/g, ' ').trim(), comment: 'minictr build' };
    if (empty) h.emptyLayer = true;
    return h;
  }

  private copySpec(stage: Stage, step: Extract<Step, { kind: 'COPY' | 'ADD' }>, state: State, vars: Map<string, string>, done: Map<number, State>): CopySpec {
    const { sources, dest } = copyWords(step.instr, vars, this.plan.escape);
    const target = new RootView(layerDirs(asRecord(state)), { layers: true, escape: 'clamp', name: `stage ${stage.name ?? stage.index}` });
    let source: CopySpec['source'] = { context: this.context };
    if (step.from) {
      const from = step.from.kind === 'stage' ? done.get(step.from.index)! : this.images.get(step.from.ref)!;
      const name = step.from.kind === 'stage' ? `stage ${this.plan.stages[step.from.index]!.name ?? step.from.index}` : `image ${step.from.ref}`;
      source = { view: new RootView(layerDirs(asRecord({ layers: from.layers, config: from.config, history: [] })), { layers: true, escape: 'clamp', name }) };
    }
    const spec: CopySpec = { keyword: step.kind, source, sources, dest, workdir: state.config.WorkingDir || '/', target };
    if (step.chown) {
      const who = expandWord(step.chown, vars, this.plan.escape);
      try {
        spec.owner = resolveUser(who, { layers: layerDirs(asRecord(state)) });
      } catch (err) {
        this.fail(step.instr, `${step.kind} --chown=${who}: ${(err as Error).message}`);
      }
    }
    if (step.chmod !== undefined) spec.chmod = step.chmod;
    return spec;
  }

  /** RUN: a container on the state's layers; its changes become the step's layer (run-step.ts, loaded only now). */
  private async runStep(instr: Instruction, state: State, argv: string[], env: string[], head: string, sn: number): Promise<CachedStep> {
    const { runStep } = await import('./run-step.js');
    await this.sweep();
    this.scratch ??= await makeTempDir('build');
    return runStep({
      file: this.plan.file,
      instr,
      image: asRecord(state),
      config: state.config,
      argv,
      env,
      head,
      sn,
      scratch: this.scratch,
      mode: this.mode,
      explainFlag: this.opts.explain,
      progress: this.progress,
      explain: this.explain,
      historyRow: (createdBy, empty) => this.historyRow(createdBy, empty),
      oneLine,
    });
  }
}

function apply(state: State, r: CachedStep): State {
  return { layers: r.layer ? [...state.layers, r.layer] : state.layers, config: r.config, history: [...state.history, r.history] };
}

const oneLine = (s: string): string => {
  const t = s.replace(/\s+/g, ' ');
  return t.length > 80 ? `${t.slice(0, 79)}…` : t;
};
