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

/** The status a field value shows ('LIQUIDATED 2026-12-02' → 'LIQUIDATED'); '' when it shows no mark. */
export function shownStatus(value: unknown): string {
  const word = typeof value === 'string' ? (value.trim().split(/\s+/)[0] ?? '') : '';
  return markedStatuses.includes(word) ? word : '';
}

/**
 * The write that makes the field agree with a status that did not change (the sweep's check of
 * the marks): the mark when the field does not show it (loaded while already so, or a person
 * cleared it), '' when it shows a mark of a company active now, else undefined. Dates and text a
 * person typed next to the right status are left alone.
 */
export function correctionFor(status: string, shown: unknown, at: string): string | undefined {
  const now = shownStatus(shown);
  if (markedStatuses.includes(status)) return now === status ? undefined : `${status} ${at.slice(0, 10)}`;
  if (status === 'ACTIVE' && now !== '') return '';
  return undefined;
}
