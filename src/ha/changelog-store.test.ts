import { describe, expect, it } from 'vitest';
import { CrmUnifyError } from '../core/errors.js';
import { MemoryStateStore } from '../state/memory-store.js';
import type { StateOp } from '../state/store.js';
import { decodeRecord, type ChangelogMessage } from './changelog-codec.js';
import { appliedOffset } from './changelog-offset.js';
import { ChangelogStateStore } from './changelog-store.js';

const put = (key: string, value: string): StateOp => ({ type: 'put', ns: 'matchKeys', key, value });

/** A changelog in memory: each write is one transaction; `hold` keeps the next one in flight. */
class FakeChangelog {
  readonly transactions: StateOp[][] = [];
  private offset = -1;
  failWith: unknown = null;
  private gate: Promise<void> = Promise.resolve();

  hold(): () => void {
    let open!: () => void;
    this.gate = new Promise<void>((r) => (open = r));
    return open;
  }

  async writeMessages(messages: readonly ChangelogMessage[]): Promise<string> {
    await this.gate;
    if (this.failWith) throw this.failWith;
    this.transactions.push(messages.map((m, i) => decodeRecord({ ...m, offset: String(i) })));
    this.offset += messages.length + 1; // data, then a commit marker
    return String(this.offset - 1);
  }
}

describe('ChangelogStateStore (changelog in memory)', () => {
  it('groups the batches that queue during a transaction into the next one, in order', async () => {
    const log = new FakeChangelog();
    const inner = new MemoryStateStore();
    const store = new ChangelogStateStore(inner, log, 't');
    const open = log.hold();
    const first = store.batch([put('k', '0')]);
    await new Promise((r) => setImmediate(r));
    const rest = [1, 2, 3].map((i) => store.batch([put('k', String(i)), put(`k${i}`, 'x')]));
    open();
    await Promise.all([first, ...rest]);
    expect(log.transactions.map((t) => t.length)).toEqual([1, 6]);
    expect(
      log.transactions[1]!.filter((op) => op.key === 'k').map((op) => (op.type === 'put' ? op.value : null)),
    ).toEqual(['1', '2', '3']);
    expect(await inner.get('matchKeys', 'k')).toBe('3');
    expect(await appliedOffset(inner, 't')).toBe('7');
    // The applied offset is LevelDB's own: never mirrored.
    expect(log.transactions.flat().some((op) => op.ns === 'positions')).toBe(false);
  });

  it('after a failed changelog write applies nothing and refuses every later batch', async () => {
    const log = new FakeChangelog();
    const inner = new MemoryStateStore();
    const store = new ChangelogStateStore(inner, log, 't');
    await store.batch([put('a', '1')]);
    log.failWith = new CrmUnifyError('INSTANCE_FENCED', 'another instance took over');
    const open = log.hold();
    const failing = store.batch([put('a', '2')]);
    const queued = store.batch([put('b', '1')]);
    open();
    await expect(failing).rejects.toMatchObject({ code: 'INSTANCE_FENCED' });
    await expect(queued).rejects.toMatchObject({ code: 'INSTANCE_FENCED' });
    await expect(store.batch([put('c', '1')])).rejects.toMatchObject({ code: 'INSTANCE_FENCED' });
    expect(await inner.get('matchKeys', 'a')).toBe('1');
    expect(await inner.get('matchKeys', 'b')).toBeUndefined();
  });

  it('a LevelDB apply that fails breaks the store, also for the group written meanwhile', async () => {
    const log = new FakeChangelog();
    const inner = new MemoryStateStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batch = inner.batch.bind(inner);
    let calls = 0;
    inner.batch = async (ops) => {
      if (++calls === 1) {
        await gate; // the next transaction goes out while this apply is slow, then it fails
        throw new Error('disk full');
      }
      return batch(ops);
    };
    const store = new ChangelogStateStore(inner, log, 't');
    const first = store.batch([put('a', '1')]);
    await new Promise((r) => setImmediate(r));
    const second = store.batch([put('b', '1')]);
    while (log.transactions.length < 2) await new Promise((r) => setImmediate(r));
    release();
    await expect(first).rejects.toThrow('disk full');
    await expect(second).rejects.toThrow('disk full');
    await expect(store.batch([put('c', '1')])).rejects.toThrow('disk full');
    expect(await inner.get('matchKeys', 'b')).toBeUndefined();
  });

  it('refuses a bad op alone, before the changelog, and nothing after close', async () => {
    const log = new FakeChangelog();
    const store = new ChangelogStateStore(new MemoryStateStore(), log, 't');
    await expect(store.batch([put('a', undefined as unknown as string)])).rejects.toMatchObject({
      code: 'STATE_STORE_FAILED',
    });
    await store.batch([put('a', '1')]);
    expect(log.transactions).toHaveLength(1);
    await store.close();
    await expect(store.batch([put('b', '1')])).rejects.toMatchObject({ code: 'STATE_STORE_FAILED' });
    expect(log.transactions).toHaveLength(1);
  });
});
