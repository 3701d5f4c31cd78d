/**
 * Source read rates: Shop A's full extract (MySQL), Shop B's topic (Kafka) and a windows-1251 JSON
 * dump read end to end, each through the runtime's credit-limited pull (fromPullSource) with
 * every record acked at once. The dump's peak RSS is measured in a child process that does
 * nothing but read the dump, so this process' own memory (generators, clients) does not count.
 *
 *   npx tsx bench/sources.bench.ts          (DUMP_MB=1024 by default; MYSQL_ROWS, KAFKA_MESSAGES)
 * prints one JSON line:
 *   {"bench":"sources","mysqlFullPerSec":…,"kafkaPerSec":…,"dumpPerSec":…,"dumpPeakRssMB":…,"dumpMB":…}
 * Services come from the test harness (KAFKA_BROKERS / MYSQL_URL, or started and stopped here).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import iconv from 'iconv-lite';
import { lastValueFrom, tap } from 'rxjs';
import { fromPullSource, type PullSource } from '../src/core/pull-source.js';
import { JsonDumpSourceConfigSchema } from '../src/connectors/json-dump/config.js';
import { JsonDumpSource } from '../src/connectors/json-dump/json-dump.source.js';
import type { PositionStore } from '../src/core/positions.js';

// MySQL and Kafka modules are imported where they are used, so the child that measures the
// dump's memory loads nothing but the dump reader.

/** Drains a source under a credit limit, acking each record as it arrives; records/s. */
export async function readRate<T>(
  source: PullSource<T>,
  maxInFlight = 1000,
): Promise<{ records: number; perSec: number }> {
  let records = 0;
  const t0 = performance.now();
  await lastValueFrom(
    fromPullSource(source, { maxInFlight }).pipe(
      tap((env) => {
        records++;
        env.ack();
      }),
    ),
    { defaultValue: undefined },
  );
  const seconds = (performance.now() - t0) / 1000;
  await source.close();
  return { records, perSec: Math.round(records / seconds) };
}

/** Shop A's full extract over `rows` companies in a throwaway cp1251 database. */
export async function benchMysqlFull(baseUrl: string, rows = 100_000): Promise<{ records: number; perSec: number }> {
  const { default: mysql } = await import('mysql2/promise');
  const { MysqlSourceConfigSchema } = await import('../src/connectors/mysql/config.js');
  const { MysqlFullSource } = await import('../src/connectors/mysql/mysql-full.source.js');
  const { MemoryPositionStore } = await import('../src/core/positions.js');
  const name = `bench_sources_${Date.now().toString(36)}`;
  const admin = await mysql.createConnection({ uri: baseUrl, charset: 'UTF8MB4_UNICODE_CI' });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  try {
    await admin.query(`USE \`${name}\``);
    await admin.query(`CREATE TABLE companies (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(500) NOT NULL, inn VARCHAR(32) NULL, kpp VARCHAR(32) NULL,
      address TEXT NULL, phone VARCHAR(100) NULL, email VARCHAR(255) NULL,
      status ENUM('active','blocked','deleted') NOT NULL DEFAULT 'active',
      created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, KEY idx_updated (updated_at, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=cp1251`);
    for (let i = 0; i < rows; i += 2000) {
      const batch = Array.from({ length: Math.min(2000, rows - i) }, (_, k) => [
        `ООО «Ромашка ${i + k}»`,
        '7707083893',
        '773601001',
        '117997, г. Москва, ул. Вавилова, д. 19',
        '+7 (495) 500-55-50',
        'info@romashka.ru',
        '2024-01-01 10:00:00',
        '2024-01-01 10:00:00',
      ]);
      await admin.query(
        'INSERT INTO companies (name, inn, kpp, address, phone, email, created_at, updated_at) VALUES ?',
        [batch],
      );
    }
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    const config = MysqlSourceConfigSchema.parse({ url: url.toString(), tables: ['companies'], pageSize: 1000 });
    return await readRate(new MysqlFullSource({ config, positions: new MemoryPositionStore() }));
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}

/** Shop B's topic: `messages` partner events on 3 partitions, read once by a new group. */
export async function benchKafka(brokers: string[], messages = 100_000): Promise<{ records: number; perSec: number }> {
  const { createKafkaClient } = await import('../src/connectors/kafka/client.js');
  const { KafkaSourceConfigSchema } = await import('../src/connectors/kafka/config.js');
  const { KafkaSource } = await import('../src/connectors/kafka/kafka.source.js');
  const kafka = createKafkaClient(brokers, 'crm-unify-bench');
  const topic = `bench-sources-${Date.now().toString(36)}`;
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    for (let i = 0; i < messages; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, messages - i) }, (_, k) => ({
        key: `P${i + k}`,
        value: JSON.stringify({
          eventId: `e${i + k}`,
          type: 'PARTNER_UPSERT',
          occurredAt: new Date().toISOString(),
          partner: partner(i + k),
        }),
      }));
      await producer.send({ topic, messages: batch });
    }
    const config = KafkaSourceConfigSchema.parse({ brokers, topic, groupId: `${topic}-g`, once: true, maxWaitMs: 200 });
    return await readRate(new KafkaSource({ config, kafka }));
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
}

function partner(i: number): Record<string, unknown> {
  return {
    partnerId: String(i).padStart(10, '0'),
    kind: i % 5 === 0 ? 'IE' : 'ORG',
    name: `ООО "Ромашка ${i}"`,
    fullName: `Общество с ограниченной ответственностью "Ромашка ${i}"`,
    taxNumbers: [
      { type: 'INN', value: '7707083893' },
      { type: 'KPP', value: '773601001' },
      { type: 'OGRN', value: '1027700132195' },
    ],
    address: '117997, г. Москва, ул. Вавилова, д. 19',
    phones: ['+7 (495) 500-55-50', '8 800 555 55 50 доб. 123'],
    emails: ['Info@Romashka.ru '],
    bankAccounts: [
      {
        bik: '044525225',
        account: '40702810938000000001',
        corrAccount: '30101810400000000225',
        bankName: 'ПАО СБЕРБАНК',
      },
    ],
    blocked: false,
    changedAt: '2023-10-01T12:00:00Z',
    contacts: [
      {
        contactId: `C-${i}`,
        lastName: 'Иванов',
        firstName: 'Иван',
        middleName: 'Иванович',
        position: 'Менеджер по закупкам',
        phones: ['8-916-123-45-67'],
        emails: [],
      },
    ],
  };
}

/** Writes a windows-1251 dump of about `mb` MiB by streaming (never the whole file in memory). */
export async function writeDump(path: string, mb: number): Promise<{ bytes: number; elements: number }> {
  const out = createWriteStream(path);
  const target = mb * 1024 * 1024;
  let bytes = 0;
  let elements = 0;
  const write = async (text: string) => {
    const chunk = iconv.encode(text, 'win1251');
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await write('[\n');
  while (bytes < target) {
    const parts: string[] = [];
    for (let k = 0; k < 500; k++) parts.push(JSON.stringify(partner(elements++)));
    await write((elements > 500 ? ',\n' : '') + parts.join(',\n'));
  }
  await write('\n]\n');
  out.end();
  await once(out, 'finish');
  return { bytes, elements };
}

/** Reads a dump end to end in this process: elements/s and this process' peak RSS. */
export async function readDump(path: string): Promise<{ records: number; perSec: number; peakRssMB: number }> {
  const config = JsonDumpSourceConfigSchema.parse({ path });
  const data = new Map<string, string>();
  const positions: PositionStore = {
    get: async (k) => data.get(k),
    put: async (k, v) => void data.set(k, v),
    delete: async (k) => void data.delete(k),
  };
  const { records, perSec } = await readRate(new JsonDumpSource({ config, positions }));
  return { records, perSec, peakRssMB: Math.round(peakRssKiB() / 1024) };
}

/**
 * The kernel's high-water mark of this process' resident set, in KiB: no sampling gaps. On Linux
 * it is VmHWM from /proc/self/status, which belongs to this program's own address space.
 * getrusage's maxRSS (process.resourceUsage) is NOT usable in a child: Linux carries it over
 * fork + exec, so a child of a 600 MB parent reports at least 600 MB whatever it does itself.
 */
export function peakRssKiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS;
}

/** readDump in a fresh child process (with `nodeFlags`, e.g. a heap cap), so only the dump reading's memory is measured. */
export function readDumpInChild(
  path: string,
  nodeFlags: readonly string[] = [],
): { records: number; perSec: number; peakRssMB: number } {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, [...nodeFlags, '--import', 'tsx', self, '--read-dump', path], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { records: number; perSec: number; peakRssMB: number };
}

export async function main(): Promise<void> {
  const dumpMB = Number(process.env.DUMP_MB ?? 1024);
  const { servicesUp, servicesDown } = await import('../test/support/services.js');
  const services = await servicesUp({ log: (m) => process.stderr.write(`[services] ${m}\n`) });
  const dir = mkdtempSync(join(tmpdir(), 'crm-unify-bench-'));
  try {
    const mysqlFull = await benchMysqlFull(services.mysqlUrl, Number(process.env.MYSQL_ROWS ?? 100_000));
    const kafka = await benchKafka(services.kafkaBrokers, Number(process.env.KAFKA_MESSAGES ?? 100_000));
    const path = join(dir, 'partners.json');
    await writeDump(path, dumpMB);
    const dump = readDumpInChild(path);
    console.log(
      JSON.stringify({
        bench: 'sources',
        mysqlFullPerSec: mysqlFull.perSec,
        kafkaPerSec: kafka.perSec,
        dumpPerSec: dump.perSec,
        dumpPeakRssMB: dump.peakRssMB,
        dumpMB: Math.round(statSync(path).size / 1024 / 1024),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await servicesDown(services);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--read-dump') console.log(JSON.stringify(await readDump(process.argv[3]!)));
  else await main();
}
