/**
 * The OVSDB client's framing (network/host/ovsdb.ts): ovsdb-server sends JSON-RPC messages
 * back to back with no delimiter, split anywhere across reads.
 */
import { describe, expect, it } from 'vitest';
import { JsonFramer } from '../../src/network/host/ovsdb.js';

describe('ovsdb JSON-RPC framing', () => {
  const update = { id: null, method: 'update', params: ['minictr-view', { Bridge: { 'a-uuid': { new: { name: 'br}{"x', ports: ['set', []] } } } }] };
  const echo = { id: 'echo', method: 'echo', params: [] };
  const answer = { id: 0, result: [{ rows: [{ name: 'ovs1' }, { name: 'we\\"ird[' }] }], error: null };

  it('cuts back-to-back messages apart, brackets and quotes inside strings included', () => {
    const f = new JsonFramer();
    expect(f.push(JSON.stringify(update) + JSON.stringify(echo) + '\n' + JSON.stringify(answer))).toEqual([update, echo, answer]);
  });

  it('keeps a message split across reads at any byte, and gives it once it is whole', () => {
    const text = JSON.stringify(update) + JSON.stringify(answer);
    for (let cut = 1; cut < text.length; cut++) {
      const f = new JsonFramer();
      const got = [...f.push(text.slice(0, cut)), ...f.push(text.slice(cut))];
      expect(got, `cut at ${cut}`).toEqual([update, answer]);
    }
    // one byte at a time
    const f = new JsonFramer();
    expect([...text].flatMap((ch) => f.push(ch))).toEqual([update, answer]);
  });

  it('refuses what is not JSON-RPC, and a message longer than its bound', () => {
    expect(() => new JsonFramer().push('x{}')).toThrow(/unexpected "x"/);
    expect(() => new JsonFramer().push('{}}')).toThrow(/unbalanced/);
    expect(() => new JsonFramer(10).push('{"name": "0123456789')).toThrow(/too long/);
  });
});
