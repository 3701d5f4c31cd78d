import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { concatMap, lastValueFrom, take as takeN, tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPullSource } from '../../core/pull-source.js';
import { JsonDumpSourceConfigSchema } from './config.js';
import { JsonDumpSource } from './json-dump.source.js';
import { dumpKey, type PositionStore } from './positions.js';
import { exposeGc, retainedHeap } from '../../../test/support/gc.js';

// A dump big enough that buffering it would show in the heap (~40 MB on disk, ~50 000 partners),
// written by streaming, then read through the runtime behind a slow sink, with a restart midway.
const dir = mkdtempSync(join(tmpdir(), 'json-dump-it-'));
const path = join(dir, 'partners.json');
const N = 50_000;

beforeAll(async () => {
  const out = createWriteStream(path);
  out.write('[');
  for (let i = 0; i < N; i++) {
    const partner = {
      partnerId: String(i).padStart(10, '0'),
      kind: 'ORG',
      name: `ООО "Ромашка ${i}"`,
      address: 'г. Москва, ул. Вавилова, д. 19 '.repeat(10),
      contacts: [
        { contactId: `C-${i}`, lastName: 'Иванов', firstName: 'Иван', position: 'Менеджер по закупкам '.repeat(10) },
      ],
    };
    if (!out.write(iconv.encode(`${i ? ',' : ''}\n${JSON.stringify(partner)}`, 'win1251'))) await once(out, 'drain');
  }
  out.end(']');
  await once(out, 'finish');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JsonDumpSource on a large file', () => {
  it('keeps the heap flat behind a slow sink and resumes after a restart with nothing lost', async () => {
    const data = new Map<string, string>();
    const positions: PositionStore = {
      get: async (k) => data.get(k),
      put: async (k, v) => void data.set(k, v),
      delete: async (k) => void data.delete(k),
    };
    const config = JsonDumpSourceConfigSchema.parse({ path });
    const gc = exposeGc();
    const heapBefore = retainedHeap(gc);
    let heapPeak = heapBefore;
    const seen: number[] = [];

    // First run: stop after 20 000 elements (acked in batches, like a sink would).
    const first = new JsonDumpSource({ config, positions });
    await lastValueFrom(
      fromPullSource(first, { maxInFlight: 500 }).pipe(
        takeN(20_000),
        concatMap(async (env) => {
          seen.push(env.value.index);
          env.ack();
          if (seen.length % 2000 === 0) {
            await new Promise((r) => setImmediate(r));
            heapPeak = Math.max(heapPeak, retainedHeap(gc));
          }
        }),
      ),
      { defaultValue: undefined },
    );
    await first.close();
    const committed = JSON.parse(data.get(dumpKey('shop-b.dump'))!) as { index: number };
    expect(committed.index).toBe(19_999);

    const second = new JsonDumpSource({ config, positions });
    await lastValueFrom(
      fromPullSource(second, { maxInFlight: 500 }).pipe(
        tap((env) => {
          seen.push(env.value.index);
          env.ack();
          if (seen.length % 2000 === 0) heapPeak = Math.max(heapPeak, retainedHeap(gc));
        }),
      ),
      { defaultValue: undefined },
    );
    await second.close();

    expect(seen).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(JSON.parse(data.get(dumpKey('shop-b.dump'))!)).toMatchObject({ index: N - 1, done: true });
    // The file is ~40 MB; a source that buffered it would grow the heap by far more than this.
    expect(heapPeak - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });
});
