/**
 * Key layouts, in one place so every writer and reader agrees. `|` separates parts; the parts
 * that are scanned by prefix (INN, reason, source) never contain it.
 */

/** A source record within its golden record's contributions. */
export function contributionKey(source: string, sourceId: string): string {
  return `${source}|${sourceId}`;
}

/** Link key of a company source record. */
export function companyLinkKey(source: string, sourceId: string): string {
  return `co|${source}|${sourceId}`;
}

/** Link key of a contact source record. */
export function contactLinkKey(source: string, sourceId: string): string {
  return `ct|${source}|${sourceId}`;
}

/** `<inn>|<match key>` in the matchKeys namespace. */
export function matchIndexKey(inn: string, matchKey: string): string {
  return `${inn}|${matchKey}`;
}

export function positionKey(source: string, partition: string): string {
  return `${source}|${partition}`;
}

export function pendingKey(entity: 'company' | 'contact', id: string): string {
  return `${entity}|${id}`;
}

/** Golden ids: a company's is its INN (digits); a contact's starts with `C`. */
export function goldenEntity(goldenId: string): 'company' | 'contact' {
  return /^\d+$/.test(goldenId) ? 'company' : 'contact';
}
