import { parentPort } from 'node:worker_threads';
import type { MapRequest, MapResponse, MapResult } from './protocol.js';

/**
 * The map worker's loop: maps each batch of raw records with the mapper the request names
 * (module URL + export, imported once) and answers with one JSON text for the whole batch (a
 * JSON.parse on the main thread is about three times cheaper than structured-clone decoding).
 */
const mappers = new Map<string, Promise<(raw: unknown) => unknown>>();

function mapperOf(module: string, name: string): Promise<(raw: unknown) => unknown> {
  const key = `${module}#${name}`;
  let m = mappers.get(key);
  if (!m) {
    m = import(module).then((mod: Record<string, unknown>) => {
      const fn = mod[name];
      if (typeof fn !== 'function') throw new TypeError(`map worker: ${module} has no function export ${name}`);
      return fn as (raw: unknown) => unknown;
    });
    mappers.set(key, m);
  }
  return m;
}

const port = parentPort!;
// Batches are answered in the order they came: the main thread relies on it.
let chain = Promise.resolve();
port.on('message', (req: MapRequest) => {
  chain = chain.then(async () => {
    let res: MapResponse;
    try {
      const fn = await mapperOf(req.module, req.name);
      const results = req.items.map((raw): MapResult => {
        try {
          return { o: fn(raw) };
        } catch (err) {
          return { e: err instanceof Error ? err.message : String(err) };
        }
      });
      res = { id: req.id, json: JSON.stringify(results) };
    } catch (err) {
      res = { id: req.id, failed: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(res);
  });
});
