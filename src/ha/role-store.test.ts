import { describe, expect, it } from 'vitest';
import { CrmUnifyError } from '../core/errors.js';
import { MemoryStateStore } from '../state/memory-store.js';
import type { StateOp } from '../state/store.js';
import { FenceAwareStore } from './role-store.js';
import { isFencedError } from './role.js';

const put: StateOp = { type: 'put', ns: 'positions', key: 'k', value: 'v' };

describe('FenceAwareStore', () => {
  it('reads and writes through, and says when a write was refused because another instance took over', async () => {
    const inner = new MemoryStateStore();
    const refused: unknown[] = [];
    const store = new FenceAwareStore(inner, (err) => refused.push(err), isFencedError);
    await store.batch([put]);
    expect(await store.get('positions', 'k')).toBe('v');

    const fenced = new CrmUnifyError('INSTANCE_FENCED', 'a newer writer');
    inner.batch = () => Promise.reject(new Error('topology failed', { cause: fenced }));
    await expect(store.batch([put])).rejects.toThrow('topology failed');
    inner.batch = () => Promise.reject(new CrmUnifyError('CHANGELOG_FAILED', 'broker down'));
    await expect(store.batch([put])).rejects.toThrow('broker down');
    expect(refused).toHaveLength(1);
  });
});
