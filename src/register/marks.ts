/**
 * What the CRM shows for a register status (issue 19): a company the register no longer lists
 * as active is marked, never deleted; REORGANIZING is marked too, as a warning (it usually ends in
 * a merger). A company active again has its mark cleared.
 */
export const markedStatuses: readonly string[] = ['LIQUIDATING', 'LIQUIDATED', 'BANKRUPT', 'REORGANIZING'];

/**
 * The status field's new value after a change `from` → `to` checked at `at` (ISO): the status and
 * the date (`LIQUIDATED 2026-12-02`), '' to clear a mark, or undefined when the CRM has nothing to
 * be told (e.g. ACTIVE after ACTIVE, or a status the register lost, which may be its own hiccup).
 */
export function markFor(from: string | null, to: string, at: string): string | undefined {
  if (markedStatuses.includes(to)) return `${to} ${at.slice(0, 10)}`;
  if (to === 'ACTIVE' && from !== null && markedStatuses.includes(from)) return '';
  return undefined;
}
