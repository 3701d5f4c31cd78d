import { defer, finalize, type OperatorFunction } from 'rxjs';
import type { Envelope } from '../../core/envelope.js';
import { stage, type StageHooks } from '../../core/stage.js';
import type { CanonicalChange, Outcome } from '../../model/index.js';
import { acquireMapThread, isWorkerMapper, releaseMapThread } from '../map-worker/map-thread.js';

export type Mapper<Raw> = (raw: Raw) => Outcome<CanonicalChange>;

export interface MapStageOptions {
  /** Map on the process's map thread when the mapper can run there (`workerMapper`). Default false. */
  thread?: boolean;
}

/**
 * map → normalize → validate: a store's mapper turns a raw record into a clean canonical change
 * or a reason-coded reject. A mapper that throws on input nobody foresaw rejects that record as
 * MALFORMED_RECORD instead of stopping the pipeline (the good records around it go on). On the
 * map thread the outcomes are the same (the thread answers in order, so records stay in order).
 */
export function mapStage<Raw>(mapper: Mapper<Raw>, hooks: StageHooks, onWarnings?: (source: string, warnings: readonly string[]) => void,
  options: MapStageOptions = {}): OperatorFunction<Envelope<Raw>, Envelope<CanonicalChange>> {
  const noted = (out: Outcome<CanonicalChange>, env: Envelope<Raw>) => {
    if (out.ok && out.warnings.length) onWarnings?.(env.source, out.warnings);
    return out;
  };
  if (!options.thread || !isWorkerMapper(mapper)) {
    return stage('map', (raw: Raw, env) => noted(mapper(raw), env), hooks, { onError: 'reject' });
  }
  return (records) => defer(() => {
    const thread = acquireMapThread();
    return records.pipe(
      // Every record read goes to the thread at once: the source's credit bounds how many.
      stage('map', async (raw: Raw, env) => noted(await thread.map(mapper, raw), env), hooks, { onError: 'reject', concurrency: Infinity }),
      finalize(() => releaseMapThread(thread)),
    );
  });
}
