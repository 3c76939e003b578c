/**
 * A path beside one of our modules, from its import.meta.url: the files at a fixed place in
 * the checkout (bin/minictr, build/Release/, profiles/). Not through node:url's URL parser:
 * the first URL a process parses was ~0.6 M instructions of each run's start, paid by
 * whichever of these came first (BENCHMARKS.md, "the run module's start, counted by
 * module"). Our modules' URLs are `file://` and a percent-encoded absolute path (node's
 * import.meta.url, the bundle's pathToFileURL(__filename)); any other goes to fileURLToPath.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function besideModule(moduleUrl: string, ...relative: string[]): string {
  const file = moduleUrl.startsWith('file:///') ? decodeURIComponent(moduleUrl.slice('file://'.length)) : fileURLToPath(moduleUrl);
  return join(dirname(file), ...relative);
}
