import type { OperatorFunction } from 'rxjs';
import type { Envelope } from '../../core/envelope.js';
import { stage, type StageHooks } from '../../core/stage.js';
import type { CanonicalChange, Outcome } from '../../model/index.js';

export type Mapper<Raw> = (raw: Raw) => Outcome<CanonicalChange>;

/**
 * map → normalize → validate: a store's mapper turns a raw record into a clean canonical change
 * or a reason-coded reject. A mapper that throws on input nobody foresaw rejects that record as
 * MALFORMED_RECORD instead of stopping the pipeline (the good records around it go on).
 */
export function mapStage<Raw>(
  mapper: Mapper<Raw>,
  hooks: StageHooks,
  onWarnings?: (source: string, warnings: readonly string[]) => void,
): OperatorFunction<Envelope<Raw>, Envelope<CanonicalChange>> {
  return stage(
    'map',
    (raw: Raw, env) => {
      const out = mapper(raw);
      if (out.ok && out.warnings.length) onWarnings?.(env.source, out.warnings);
      return out;
    },
    hooks,
    { onError: 'reject' },
  );
}
