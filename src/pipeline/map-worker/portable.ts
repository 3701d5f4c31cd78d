/**
 * A raw record as it should cross to the map thread. Structured cloning copies a typed array's
 * whole backing buffer, and sources hand out views into big ones (a Kafka fetch response, a
 * MySQL packet, Node's 8 KB Buffer pool): each such view is copied down to its own bytes, as a
 * Uint8Array (which is what the mappers take). Everything else is returned as it is, and an
 * object is copied only when something inside it was.
 */
export function portable(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) {
    if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) return value;
    return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const p = portable(v);
      if (p !== v) (out ??= value.slice())[i] = p;
    }
    return out ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // Date, Map…: cloned as they are
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    const p = portable(v);
    if (p !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = p;
  }
  return out ?? value;
}
