import { describe, expect, it } from 'vitest';
import type { Envelope } from '../core/envelope.js';
import type { CanonicalChange } from '../model/index.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { StateRejectSink } from './state-rejects.js';

const company: CanonicalChange = {
  kind: 'company',
  contacts: [],
  company: {
    source: 'shop-b',
    sourceId: 'P1',
    changedAt: '2026-01-01T00:00:00Z',
    kind: 'ORG',
    name: 'Ромашка',
    phones: [],
    emails: [],
    requisite: { inn: '7707083893' },
    bankAccounts: [],
    blocked: false,
  },
};
const env = (value: unknown): Envelope<unknown> => ({
  value,
  source: 'shop-b.partners',
  position: { partition: '0', offset: 1n },
  ack: () => {},
  nack: () => {},
});

describe('StateRejectSink', () => {
  it('keeps the company record of an EGRUL_NOT_FOUND reject (for the register sweep), and of no other', async () => {
    const store = new MemoryStateStore();
    const sink = new StateRejectSink(store);
    await sink.reject(env(company), 'EGRUL_NOT_FOUND', 'INN 7707083893 is not in the register', 'P1');
    await sink.reject(env(company), 'EGRUL_NOT_ACTIVE', 'INN 7707083893 is LIQUIDATED in the register', 'P1');
    await sink.reject(env({ partnerId: 'P2' }), 'EGRUL_NOT_FOUND', 'INN 7707083893 is not in the register', 'P2');
    expect((await store.get('rejects', 'shop-b.partners|0@1|P1|EGRUL_NOT_FOUND'))?.held).toEqual(company);
    expect(
      (await store.get('rejectsByReason', 'EGRUL_NOT_FOUND|shop-b.partners|0@1|P1|EGRUL_NOT_FOUND'))?.held,
    ).toEqual(company);
    expect((await store.get('rejects', 'shop-b.partners|0@1|P1|EGRUL_NOT_ACTIVE'))?.held).toBeUndefined();
    expect((await store.get('rejects', 'shop-b.partners|0@1|P2|EGRUL_NOT_FOUND'))?.held).toBeUndefined();
  });
});
