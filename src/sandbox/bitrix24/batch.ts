/**
 * `batch` (settings/how-to-call-rest-api/batch.md): up to 50 `method?query` commands run in order;
 * `$result[key][field]…` in a command's parameters is replaced by an earlier command's result (an
 * unresolved reference stays as literal text, as on the portal); failures go to `result_error`
 * and the call still answers 200; `halt` stops at the first failure. Commands past 50 fail with
 * ERROR_BATCH_LENGTH_EXCEEDED, a nested batch with ERROR_BATCH_METHOD_NOT_ALLOWED.
 */
import { RestError, phpArray, systemErrors, type TimeBlock } from './envelope.js';
import { parsePhpQuery, type PhpValue } from './parse-str.js';
import type { MethodResult, Params } from './methods/index.js';

export const MAX_BATCH = 50;

export type CommandOutcome = { ok: true; value: MethodResult; time: TimeBlock } | { ok: false; error: RestError };
export type CommandRunner = (method: string, params: Params) => CommandOutcome;

interface Sections {
  result: Map<string, unknown>;
  result_error: Map<string, unknown>;
  result_total: Map<string, unknown>;
  result_next: Map<string, unknown>;
  result_time: Map<string, unknown>;
}

const refRe = /\$(result|result_error|result_total|result_next|result_time)\[([^\]]*)\]((?:\[[^\]]*\])*)/g;

function lookup(
  sections: Sections,
  section: keyof Sections,
  key: string,
  path: string,
): { found: boolean; value?: unknown } {
  if (!sections[section].has(key)) return { found: false };
  let v: unknown = sections[section].get(key);
  for (const m of path.matchAll(/\[([^\]]*)\]/g)) {
    if (v === null || typeof v !== 'object') return { found: false };
    v = (v as Record<string, unknown>)[m[1] as string];
    if (v === undefined) return { found: false };
  }
  return { found: true, value: v };
}

/** Substitutes references inside one parameter value (strings only; structures are walked). */
function substitute(value: PhpValue, sections: Sections): unknown {
  if (Array.isArray(value)) return value.map((v) => substitute(v, sections));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, sections)]));
  }
  const whole = new RegExp(`^${refRe.source}$`).exec(value);
  if (whole) {
    const hit = lookup(sections, whole[1] as keyof Sections, whole[2] as string, whole[3] ?? '');
    if (hit.found) return typeof hit.value === 'object' && hit.value !== null ? hit.value : String(hit.value);
    return value;
  }
  return value.replace(refRe, (text, section: keyof Sections, key: string, path: string) => {
    const hit = lookup(sections, section, key, path);
    return hit.found && (typeof hit.value !== 'object' || hit.value === null) ? String(hit.value ?? '') : text;
  });
}

function commandsOf(cmd: unknown): Array<[string, string]> {
  if (Array.isArray(cmd)) return cmd.map((c, i) => [String(i), String(c)]);
  if (cmd && typeof cmd === 'object') return Object.entries(cmd).map(([k, c]) => [k, String(c)]);
  return [];
}

const truthy = (v: unknown): boolean => v === true || v === 1 || ['1', 'true', 'y', 'Y'].includes(String(v));

export function runBatch(params: Params, run: CommandRunner): { result: unknown; commands: number } {
  const cmd = params.cmd ?? params.CMD;
  const halt = truthy(params.halt ?? params.HALT);
  const s: Sections = {
    result: new Map(),
    result_error: new Map(),
    result_total: new Map(),
    result_next: new Map(),
    result_time: new Map(),
  };
  let executed = 0;
  for (const [index, [key, command]] of commandsOf(cmd).entries()) {
    const q = command.indexOf('?');
    const method = (q < 0 ? command : command.slice(0, q))
      .trim()
      .toLowerCase()
      .replace(/\.json$/, '');
    let outcome: CommandOutcome;
    if (index >= MAX_BATCH) outcome = { ok: false, error: systemErrors.batchLength() };
    else if (method === 'batch') outcome = { ok: false, error: systemErrors.batchNotAllowed() };
    else {
      const raw = q < 0 ? {} : parsePhpQuery(command.slice(q + 1));
      const resolved = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, substitute(v, s)]));
      executed++;
      outcome = run(method, resolved);
    }
    if (outcome.ok) {
      s.result.set(key, outcome.value.result);
      if (outcome.value.total !== undefined) s.result_total.set(key, outcome.value.total);
      if (outcome.value.next !== undefined) s.result_next.set(key, outcome.value.next);
      s.result_time.set(key, outcome.time);
    } else {
      s.result_error.set(key, outcome.error.toBody());
      if (halt) break;
    }
  }
  const render = (m: Map<string, unknown>) => phpArray([...m.entries()]);
  return {
    result: {
      result: render(s.result),
      result_error: render(s.result_error),
      result_total: render(s.result_total),
      result_next: render(s.result_next),
      result_time: render(s.result_time),
    },
    commands: executed,
  };
}
