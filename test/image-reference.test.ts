/**
 * Image names: the CLI's answer to a bad name (a clear one-line error, exit 2, nothing
 * created). Docker's NAME[:TAG][@DIGEST] rules themselves are unit tests:
 * test/unit/image-reference.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { minictr } from './helpers/cli.js';
import { craftTar, scratchDir, storeSnapshot } from './helpers/image-fixtures.js';

describe('minictr import with an invalid name', () => {
  it.each([['../x'], ['a:b:c'], [''], ['a'.repeat(300)], ['UPPER']])(
    'refuses %j: one line, exit 2, store untouched',
    async (name) => {
      const dir = await scratchDir();
      const tar = await craftTar(join(dir, 'ok.tar'), [{ name: 'hello', content: 'hi\n' }]);
      const before = storeSnapshot();
      const r = await minictr(['import', tar, name]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/^minictr: invalid image reference ".*": .+\n?$/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(storeSnapshot()).toEqual(before);
    },
  );
});
