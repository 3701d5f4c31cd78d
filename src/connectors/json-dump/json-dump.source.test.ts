import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { CrmUnifyError } from '../../core/errors.js';
import { drain, expectCreditHeld, take } from '../../../test/sources/contract.js';
import { JsonDumpSourceConfigSchema } from './config.js';
import { JsonDumpSource } from './json-dump.source.js';
import { dumpKey, type PositionStore } from './positions.js';

const dir = mkdtempSync(join(tmpdir(), 'json-dump-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Store implements PositionStore {
  readonly data = new Map<string, string>();
  async get(k: string) {
    return this.data.get(k);
  }
  async put(k: string, v: string) {
    this.data.set(k, v);
  }
  async delete(k: string) {
    this.data.delete(k);
  }
}

const partner = (i: number) => ({
  partnerId: `P${String(i).padStart(8, '0')}`,
  kind: 'ORG',
  name: `ООО "Ромашка ${i}"`,
  fullName: `Общество с ограниченной ответственностью «Ромашка ${i}»`,
  address: '117997, г. Москва, ул. Вавилова, д. 19',
  contacts: [
    {
      contactId: `C-${i}`,
      lastName: 'Иванов',
      firstName: 'Иван',
      middleName: 'Иванович',
      position: 'Менеджер по закупкам',
    },
  ],
});

let files = 0;
function dumpFile(elements: string[], tail = ']'): string {
  const path = join(dir, `dump-${files++}.json`);
  writeFileSync(path, iconv.encode(`[\n${elements.join(',\n')}\n${tail}`, 'win1251'));
  return path;
}
const partners = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify(partner(i)));
const source = (path: string, positions: PositionStore = new Store()) =>
  new JsonDumpSource({ config: JsonDumpSourceConfigSchema.parse({ path, readChunkBytes: 4096 }), positions });

describe('JsonDumpSource', () => {
  it('streams windows-1251 Cyrillic partners one by one, exactly as written', async () => {
    const path = dumpFile(partners(500));
    const src = source(path);
    const envs = await drain(src, { chunk: 37 });
    expect(envs.map((e) => e.value.index)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(envs[123]!.value.value).toEqual(partner(123));
    expect(envs[123]!.value.problem).toBeUndefined();
    expect(envs[0]!.position).toMatchObject({ partition: 'shop-b.dump', offset: 0n });
    const { bytesRead, fileSize } = src.progress();
    expect(bytesRead).toBe(fileSize);
    await src.close();
  });

  it('resumes after the last contiguously acked index and skips what came before', async () => {
    const path = dumpFile(partners(300));
    const positions = new Store();
    const first = source(path, positions);
    const head = await take(first, 120, 50);
    for (const e of head) if (e.value.index !== 77) e.ack();
    await first.close();
    expect(JSON.parse(positions.data.get(dumpKey('shop-b.dump'))!)).toMatchObject({ index: 76 });

    const second = source(path, positions);
    const rest = await drain(second);
    await second.close();
    expect(rest.map((e) => e.value.index)).toEqual(Array.from({ length: 300 - 77 }, (_, i) => 77 + i));
    expect(JSON.parse(positions.data.get(dumpKey('shop-b.dump'))!)).toMatchObject({ index: 299, done: true });

    // Finished and acked: a third run has nothing to do.
    const third = source(path, positions);
    expect(await drain(third)).toHaveLength(0);
    await third.close();
  });

  it('starts over when the file under the name changed', async () => {
    const positions = new Store();
    const a = source(dumpFile(partners(10)), positions);
    await drain(a);
    await a.close();
    const b = source(dumpFile(partners(12)), positions);
    expect(await drain(b)).toHaveLength(12);
    await b.close();
  });

  it('emits malformed elements as raw values with a problem, and goes on', async () => {
    const bad = iconv.decode(Buffer.from([0xc0, 0x98, 0xc1]), 'win1251'); // 0x98 is unmapped in windows-1251
    const path = dumpFile([
      JSON.stringify(partner(0)),
      '42',
      '{"name":"без id"}',
      '[1,2]',
      JSON.stringify({ ...partner(4), name: bad }),
      JSON.stringify(partner(5)),
    ]);
    const envs = await drain(source(path));
    expect(envs.map((e) => e.value.problem?.reason ?? 'ok')).toEqual([
      'ok',
      'MALFORMED_RECORD',
      'MALFORMED_RECORD',
      'MALFORMED_RECORD',
      'BAD_ENCODING',
      'ok',
    ]);
    expect(envs[1]!.value).toMatchObject({
      index: 1,
      value: 42,
      problem: { detail: expect.stringContaining('a number') },
    });
    expect(envs[5]!.value.value).toEqual(partner(5));
  });

  it('ends with SOURCE_STRUCTURE_BROKEN naming the byte position when the file is truncated', async () => {
    const full = `[\n${partners(400).join(',\n')}\n]`;
    const bytes = iconv.encode(full, 'win1251');
    const path = join(dir, 'truncated.json');
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const src = source(path);
    const seen: number[] = [];
    let failure: unknown;
    try {
      for (;;) {
        const { records, done } = await src.read(50);
        for (const r of records) {
          seen.push(r.value.index);
          r.ack();
        }
        if (done) break;
      }
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(CrmUnifyError);
    expect((failure as CrmUnifyError).code).toBe('SOURCE_STRUCTURE_BROKEN');
    expect((failure as CrmUnifyError).details).toMatchObject({ bytePosition: Math.floor(bytes.length * 0.6) });
    expect((failure as Error).message).toMatch(/near byte \d+ of \d+/);
    expect(seen.length).toBeGreaterThan(200);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
    await src.close();
  });

  it('refuses a file that is not an array', async () => {
    const path = join(dir, 'object.json');
    writeFileSync(path, '{"partnerId":"1"}');
    await expect(drain(source(path))).rejects.toMatchObject({ code: 'SOURCE_STRUCTURE_BROKEN' });
  });

  it('never has more than the credit in flight behind a sink that never acks', async () => {
    const src = source(dumpFile(partners(5000)));
    expect(await expectCreditHeld(src, 7, 500)).toBe(7);
    expect(src.progress().bytesRead).toBeLessThan(src.progress().fileSize);
    await src.close();
  });
});
