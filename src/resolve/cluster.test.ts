import { describe, expect, it } from 'vitest';
import { assignGoldenIds, connectedComponents } from './cluster.js';

describe('clustering', () => {
  it('joins records transitively through shared keys', () => {
    expect(
      connectedComponents([
        { id: 'a', keys: ['email:x'] },
        { id: 'b', keys: ['email:x', 'phone:1'] },
        { id: 'c', keys: ['phone:1'] },
        { id: 'd', keys: ['phone:2'] },
      ]),
    ).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('keeps the oldest golden id on a merge and names the absorbed one', () => {
    const prev = new Map([
      ['a', { id: 'G2', seq: 2 }],
      ['b', { id: 'G1', seq: 1 }],
    ]);
    const r = assignGoldenIds([['a', 'b', 'c']], prev, [
      { id: 'G2', seq: 2 },
      { id: 'G1', seq: 1 },
    ]);
    expect(r.components).toEqual([{ members: ['a', 'b', 'c'], id: 'G1', absorbed: ['G2'] }]);
  });

  it('gives the split-off part no id (a new golden contact) and empties ids with no member left', () => {
    const prev = new Map([
      ['a', { id: 'G1', seq: 1 }],
      ['b', { id: 'G1', seq: 1 }],
    ]);
    const r = assignGoldenIds([['a'], ['b']], prev, [
      { id: 'G1', seq: 1 },
      { id: 'G9', seq: 9 },
    ]);
    expect(r.components.map((c) => c.id)).toEqual(['G1', null]);
    expect(r.emptied).toEqual(['G9']);
  });
});
