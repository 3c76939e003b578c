/**
 * Explain output names long paths once and writes $NAME after that (src/util/explain.ts; the
 * C child does the same in native/src/explain.c): the short lines must mean, to a shell given
 * the definitions, exactly the long ones.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { abbreviate, byLength, containerNames, createExplainer, nameDefinitions } from '../../src/util/explain.js';

const ID = '3f2a'.repeat(16);
const DIR = `/var/lib/minictr/containers/${ID}`;
const LAYERS = [`/var/lib/minictr/layers/${'ab'.repeat(32)}/diff`, `/var/lib/minictr/layers/${'cd'.repeat(32)}/diff`];
const NAMES = containerNames(ID, DIR, LAYERS);

describe('abbreviate', () => {
  it('writes the longest matching value as its name, an id inside a path too', () => {
    const names = byLength(NAMES);
    expect(abbreviate(`mount -t overlay overlay -o lowerdir=${LAYERS[0]}:${LAYERS[1]},upperdir=${DIR}/upper ${DIR}/merged`, names)).toBe('mount -t overlay overlay -o lowerdir=$L1:$L2,upperdir=$C/upper $C/merged');
    expect(abbreviate(`echo 5 > /sys/fs/cgroup/pids/minictr/${ID}/pids.max`, names)).toBe('echo 5 > /sys/fs/cgroup/pids/minictr/$ID/pids.max');
  });

  it('braces a name that a letter, digit or _ follows, and leaves other text alone', () => {
    expect(abbreviate(`${ID}_x ${ID}1 ${ID}.log ${ID}`, byLength(NAMES))).toBe('${ID}_x ${ID}1 $ID.log $ID');
    expect(abbreviate('no path here', byLength(NAMES))).toBe('no path here');
    expect(abbreviate(`${DIR}/merged`, [])).toBe(`${DIR}/merged`);
  });

  it('the definitions, then the short line, give a shell the long line back', () => {
    const long = `pivot_root ${DIR}/merged ${DIR}/merged/.old; ls ${LAYERS[1]}; echo ${ID}x`;
    const defs = nameDefinitions(NAMES);
    expect(defs).toEqual([`ID=${ID}`, 'C=/var/lib/minictr/containers/$ID', `L1=${LAYERS[0]}`, `L2=${LAYERS[1]}`]);
    const short = abbreviate(long, byLength(NAMES));
    const expanded = execFileSync('sh', ['-c', `${defs.join('; ')}; printf '%s' "${short}"`], { encoding: 'utf8' });
    expect(expanded).toBe(long);
  });
});

describe('an explainer with names', () => {
  it('prints the definitions once, then short lines; without names, the raw ones', () => {
    let text = '';
    const e = createExplainer(true, (s) => (text += s));
    e.step('mount the root', `mount ${DIR}/merged`);
    e.nameLongPaths(NAMES);
    e.step(`pivot into ${DIR}`, `pivot_root ${DIR}/merged ${DIR}/merged`);
    e.note(`container ${ID} is running`);
    expect(text).toBe(
      `  mount the root\n    $ mount ${DIR}/merged\n` +
        '  names for the long paths below (--explain=full writes them out)\n' +
        `    $ ID=${ID}\n    $ C=/var/lib/minictr/containers/$ID\n    $ L1=${LAYERS[0]}\n    $ L2=${LAYERS[1]}\n` +
        '  pivot into $C\n    $ pivot_root $C/merged $C/merged\n' +
        '  # container $ID is running\n',
    );
    expect(e.names.map((n) => n.name)).toEqual(['L1', 'L2', 'C', 'ID']);
  });

  it('a silent explainer prints nothing and names nothing', () => {
    const e = createExplainer(false, () => {
      throw new Error('wrote');
    });
    e.nameLongPaths(NAMES);
    e.step('x', DIR);
    expect(e.names).toEqual([]);
  });
});
