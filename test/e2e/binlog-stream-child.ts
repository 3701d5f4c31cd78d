// The binlog stream as a process of its own, for the kill -9 test (binlog-kill.integration.test.ts):
// `node --import tsx binlog-stream-child.ts <database url> <journal file> [once]`.
// Whenever the source commits a position, one line is appended to the journal: the position and
// the changes received up to it since the last line, in one write() — as the state store commits
// positions in the batch of the state they produced. A SIGKILL at any moment leaves a journal
// whose changes end exactly at its last position (the page cache outlives the process).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { MysqlBinlogSource } from '../../src/connectors/mysql/binlog.source.js';
import { MysqlSourceConfigSchema } from '../../src/connectors/mysql/config.js';
import { binlogKey, type PositionStore } from '../../src/connectors/mysql/positions.js';

export interface StreamState {
  position: string;
  received: string[];
}

/** The last committed position and every change committed with the positions up to it. */
export function readState(file: string): StreamState {
  const state: StreamState = { position: '', received: [] };
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text) continue;
    const entry = JSON.parse(text) as { position: string; lines: string[] };
    state.position = entry.position;
    state.received.push(...entry.lines);
  }
  return state;
}

/** A new journal that starts at `position`. */
export function startJournal(file: string, position: string): void {
  writeFileSync(file, `${JSON.stringify({ position, lines: [] })}\n`);
}

/** What the test compares: the change, the row, and its name (which carries a version). */
export const line = (v: { op?: string; table: string; row: Record<string, unknown> }) =>
  `${v.op} ${v.table} ${String(v.row.id)} ${String(v.row.name ?? v.row.full_name)}`;

async function main(url: string, file: string, once: boolean): Promise<void> {
  const start = readState(file).position;
  // Received and not yet in the journal, with the position each moves the committed position to.
  const pending: Array<{ line: string; resume: string }> = [];
  const positions: PositionStore = {
    get: async (key) => (key === binlogKey('shop-a') ? start : undefined),
    put: async (key, value) => {
      if (key !== binlogKey('shop-a')) return;
      // A change's own position covers it and everything before it; a commit past another
      // transaction (nothing pending) covers everything received.
      const i = pending.map((p) => p.resume).lastIndexOf(value);
      const covered = pending.splice(0, i < 0 ? pending.length : i + 1);
      appendFileSync(file, `${JSON.stringify({ position: value, lines: covered.map((p) => p.line) })}\n`);
    },
    delete: async () => {},
  };
  const config = MysqlSourceConfigSchema.parse({ url, mode: 'binlog', once, pollIntervalMs: 100, reconnectBaseMs: 50 });
  const source = new MysqlBinlogSource({ config, positions });
  for (;;) {
    const { records, done } = await source.read(50);
    for (const r of records) {
      pending.push({ line: line(r.value), resume: r.position.resume! });
      r.ack();
    }
    if (done) break;
    // A little slower than the server, so a kill finds changes read and not yet committed.
    if (!once) await sleep(20);
  }
  await source.close();
}

const [url, file, mode] = process.argv.slice(2);
// Only when run as the child, not when the test imports the helpers above.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && url && file) {
  main(url, file, mode === 'once').then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
