/** Polling for what the kernel or another process will show soon, in the host tests. */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** f's first value that is neither undefined nor false, polled every 50 ms; after ms, an
 * error naming what did not come (what() is read then: it can name the last value seen). */
export async function until<T>(what: string | (() => string), f: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`not in time: ${typeof what === 'function' ? what() : what}`);
    await sleep(50);
  }
}
