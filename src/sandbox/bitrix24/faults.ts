/**
 * Fault injection: a SPEC like `503=0.05,500=0.01,lost=0.01,latency=20-200[,seed=42]` gives per-
 * request probabilities of a 503 (QUERY_LIMIT_EXCEEDED, not executed), a 500 (not executed), a
 * 429 (OPERATION_TIME_LIMIT, not executed) and `lost` (executed, then the socket is destroyed so
 * the client never learns the outcome), plus a uniform latency range in ms. A seeded RNG makes a
 * run reproducible.
 */
import { seededRandom } from '../../core/random.js';
export interface FaultSpec {
  p503: number;
  p500: number;
  p429: number;
  lost: number;
  latencyMs: readonly [number, number];
  seed?: number;
}

export type FaultKind = 'none' | '503' | '500' | '429' | 'lost';

export const noFaults: FaultSpec = { p503: 0, p500: 0, p429: 0, lost: 0, latencyMs: [0, 0] };

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

function probability(key: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new FaultSpecError(`fault "${key}": probability must be a number from 0 to 1, got "${v}"`);
  }
  return n;
}

/** Parses a SPEC string (empty = no faults); every problem is reported with the offending part. */
export function parseFaultSpec(spec: string): FaultSpec {
  const out: { -readonly [K in keyof FaultSpec]: FaultSpec[K] } = { ...noFaults };
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0)
      throw new FaultSpecError(`fault "${part}": expected KEY=VALUE (keys: 503, 500, 429, lost, latency, seed)`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    switch (key) {
      case '503':
        out.p503 = probability(key, value);
        break;
      case '500':
        out.p500 = probability(key, value);
        break;
      case '429':
        out.p429 = probability(key, value);
        break;
      case 'lost':
        out.lost = probability(key, value);
        break;
      case 'latency': {
        const m = /^(\d+)(?:-(\d+))?$/.exec(value);
        if (!m) throw new FaultSpecError(`fault "latency": expected MS or MIN-MAX in milliseconds, got "${value}"`);
        const lo = Number(m[1]);
        const hi = m[2] === undefined ? lo : Number(m[2]);
        if (hi < lo) throw new FaultSpecError(`fault "latency": MIN ${lo} is greater than MAX ${hi}`);
        out.latencyMs = [lo, hi];
        break;
      }
      case 'seed': {
        if (!/^\d+$/.test(value))
          throw new FaultSpecError(`fault "seed": expected a non-negative integer, got "${value}"`);
        out.seed = Number(value);
        break;
      }
      default:
        throw new FaultSpecError(`fault "${key}": unknown key (known: 503, 500, 429, lost, latency, seed)`);
    }
  }
  const sum = out.p503 + out.p500 + out.p429 + out.lost;
  if (sum > 1 + 1e-9) throw new FaultSpecError(`faults: probabilities add up to ${sum}, more than 1`);
  return out;
}

/** Draws the fault and latency for one request from the current spec. */
export class FaultInjector {
  private rng: () => number;
  constructor(
    private spec: FaultSpec = noFaults,
    seed?: number,
  ) {
    const s = seed ?? spec.seed;
    this.rng = s !== undefined ? seededRandom(s) : Math.random;
  }

  /** Replaces the spec at runtime; a seed (argument or in the spec) restarts the RNG. */
  set(spec: FaultSpec | string, seed?: number): void {
    this.spec = typeof spec === 'string' ? parseFaultSpec(spec) : spec;
    const s = seed ?? this.spec.seed;
    if (s !== undefined) this.rng = seededRandom(s);
  }

  get current(): FaultSpec {
    return this.spec;
  }

  latency(): number {
    const [lo, hi] = this.spec.latencyMs;
    return hi <= 0 ? 0 : lo + Math.floor(this.rng() * (hi - lo + 1));
  }

  draw(): FaultKind {
    const { p503, p500, p429, lost } = this.spec;
    if (p503 + p500 + p429 + lost === 0) return 'none';
    let r = this.rng();
    for (const [kind, p] of [
      ['503', p503],
      ['500', p500],
      ['429', p429],
      ['lost', lost],
    ] as const) {
      if (r < p) return kind;
      r -= p;
    }
    return 'none';
  }
}

/** Fault runs are reproducible with a seed (the project's one seeded PRNG). */
export { seededRandom };
