import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import iconv from 'iconv-lite';
import { CrmUnifyError } from '../core/errors.js';
import { type Outcome, accept, reject } from '../model/outcome.js';

/**
 * windows-1251 → UTF-8. windows-1251 assigns a character to every byte but one (0x98), so
 * "undecodable" honestly means two things:
 *  1. the byte 0x98 — iconv-lite would turn it into U+FFFD, which must never reach the CRM;
 *  2. bytes that are really UTF-8 declared as windows-1251 (the classic "РћРћРћ" mojibake):
 *     every byte decodes, but to garbage. Detection: the input holds at least one byte ≥ 0x80 and
 *     the whole input is valid UTF-8. Real windows-1251 Russian text is practically never valid
 *     UTF-8: lower-case Cyrillic letters are 0xE0–0xFF, which in UTF-8 are 3-/4-byte lead bytes
 *     (or invalid, 0xF5–0xFF) that need 0x80–0xBF continuation bytes — in windows-1251 those are
 *     rare symbols (Ђ, №, «…), not letters. Only a short all-capitals string made of
 *     "letter + symbol" pairs could fool it; that risk is accepted and documented.
 */
const UNMAPPED = 0x98;

export interface DecodeFailure {
  offset: number;
  why: 'unmapped-byte' | 'utf8-misdeclared';
}

/** Why these bytes are not honest windows-1251, or null when they are. */
export function checkWin1251(bytes: Uint8Array): DecodeFailure | null {
  const at = bytes.indexOf(UNMAPPED);
  if (at >= 0) return { offset: at, why: 'unmapped-byte' };
  if (looksLikeUtf8(bytes)) return { offset: firstHighByte(bytes), why: 'utf8-misdeclared' };
  return null;
}

/** Valid UTF-8 with at least one multi-byte sequence (pure ASCII is both encodings at once) that reads as plausible text. */
export function looksLikeUtf8(bytes: Uint8Array): boolean {
  return firstHighByte(bytes) >= 0 && isUtf8(bytes) && plausibleText(utf8.decode(bytes));
}

const utf8 = new TextDecoder('utf-8');
/**
 * Valid UTF-8 is not enough: short windows-1251 text can be valid UTF-8 by chance ('а«ё' is
 * E0 AB B8, U+0AF8 GUJARATI). Text really written in UTF-8 here decodes to Latin, Greek or
 * Cyrillic letters and common punctuation, symbols and currency signs only.
 */
function plausibleText(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (
      c <= 0x52f ||
      (c >= 0x2000 && c <= 0x206f) ||
      (c >= 0x20a0 && c <= 0x20cf) ||
      (c >= 0x2100 && c <= 0x214f) ||
      c === 0xfeff
    )
      continue;
    return false;
  }
  return true;
}

function firstHighByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return i;
  return -1;
}

function describe(f: DecodeFailure): string {
  return f.why === 'unmapped-byte'
    ? `byte 0x98 at offset ${f.offset} has no character in windows-1251`
    : `input is valid UTF-8 (first non-ASCII byte at offset ${f.offset}), not windows-1251`;
}

/** Decode one windows-1251 field; BAD_ENCODING instead of ever producing U+FFFD or mojibake. */
export function decodeWin1251(bytes: Uint8Array): Outcome<string> {
  const failure = checkWin1251(bytes);
  if (failure) return reject('BAD_ENCODING', describe(failure));
  return accept(iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'win1251'));
}

/**
 * A string that was decoded as windows-1251 by someone else (e.g. a MySQL driver) but whose
 * bytes were UTF-8: re-encode and apply the same test. A cheap pre-check keeps this off the hot
 * path: UTF-8 Cyrillic read as windows-1251 always shows 'Р' or 'С' (0xD0/0xD1) followed by a
 * character from 0x80–0xBF.
 */
const MOJIBAKE_HINT = /[РС][\u0402-\u040F\u0452-\u045F\u0490\u0491\u00A0-\u00BF\u2013-\u2122]/u;
export function isMojibake(s: string): boolean {
  if (!MOJIBAKE_HINT.test(s)) return false;
  return looksLikeUtf8(iconv.encode(s, 'win1251'));
}

/** Stands for a 0x98 byte in `mark` mode: a private-use character, rejected by the mapper. */
export const UNDECODABLE_MARK = '\uE098';

export interface Win1251StreamOptions {
  /** `error` (default) fails the stream on 0x98; `mark` emits UNDECODABLE_MARK so that only the
   *  record holding it is rejected and a multi-GB file goes on. */
  onUnmapped?: 'error' | 'mark';
  /** Bytes sniffed at the start for mis-declared UTF-8 (default 64 KiB). */
  sniffBytes?: number;
}

/**
 * Decides whether bytes declared windows-1251 are really UTF-8, from the first non-ASCII text:
 * a UTF-8 byte-order mark or valid multi-byte UTF-8 there is an error (SOURCE_STRUCTURE_BROKEN,
 * details.why = 'utf8-misdeclared') instead of every Cyrillic name decoding to mojibake.
 * ASCII-only chunks are released at once (both encodings read them alike), so a file whose first
 * megabytes are ASCII is still judged on its first Cyrillic text; from the first byte ≥ 0x80,
 * chunks are held until `sniffBytes` of it are seen (memory: that window plus one chunk).
 */
export class MisdeclaredUtf8Sniffer {
  private decided = false;
  private offset = 0; // stream bytes before the held chunks
  private held: Buffer[] = [];
  private window: Buffer = Buffer.alloc(0);
  private windowAt = -1; // stream offset of the window's first byte

  constructor(private readonly sniffBytes = 64 * 1024) {}

  /** The chunks that may go on now (in order), or the error that ends the stream. */
  feed(chunk: Buffer): Buffer[] | CrmUnifyError {
    if (this.decided) return [chunk];
    if (this.windowAt < 0) {
      const high = firstHighByte(chunk);
      if (high < 0) {
        this.offset += chunk.length;
        return [chunk];
      }
      this.windowAt = this.offset + high;
      this.window = chunk.subarray(high, high + this.sniffBytes);
    } else {
      this.window = Buffer.concat([this.window, chunk.subarray(0, Math.max(0, this.sniffBytes - this.window.length))]);
    }
    this.held.push(chunk);
    return this.window.length < this.sniffBytes ? [] : this.verdict(false);
  }

  /** At the end of the stream: whatever is still held, or the error. */
  end(): Buffer[] | CrmUnifyError {
    return this.decided || this.windowAt < 0 ? [] : this.verdict(true);
  }

  private verdict(final: boolean): Buffer[] | CrmUnifyError {
    this.decided = true;
    const w = this.window;
    if (this.windowAt === 0 && w[0] === 0xef && w[1] === 0xbb && w[2] === 0xbf)
      return misdeclared(0, 'starts with a UTF-8 byte-order mark');
    // A multi-byte sequence may be cut at the end of the window: drop up to 3 trailing bytes.
    for (let cut = 0; cut <= (final ? 0 : 3) && cut < w.length; cut++) {
      if (looksLikeUtf8(w.subarray(0, w.length - cut))) return misdeclared(this.windowAt, 'is valid UTF-8');
    }
    const out = this.held;
    this.held = [];
    this.window = Buffer.alloc(0);
    return out;
  }
}

function misdeclared(at: number, what: string): CrmUnifyError {
  return new CrmUnifyError(
    'SOURCE_STRUCTURE_BROKEN',
    `declared windows-1251, but the text from byte ${at} ${what} (mis-declared encoding)`,
    {
      details: { why: 'utf8-misdeclared', offset: at },
    },
  );
}

/** A Buffer pass-through that fails the stream as MisdeclaredUtf8Sniffer decides. */
export function createMisdeclaredUtf8Guard(opts: { sniffBytes?: number } = {}): Transform {
  return sniffingTransform(new MisdeclaredUtf8Sniffer(opts.sniffBytes), (c) => c);
}

function sniffingTransform(
  sniffer: MisdeclaredUtf8Sniffer,
  out: (chunk: Buffer) => Buffer | string | CrmUnifyError,
): Transform {
  const emit = (stream: Transform, chunks: Buffer[] | CrmUnifyError): CrmUnifyError | null => {
    if (chunks instanceof CrmUnifyError) return chunks;
    for (const c of chunks) {
      const o = out(c);
      if (o instanceof CrmUnifyError) return o;
      stream.push(o);
    }
    return null;
  };
  return new Transform({
    decodeStrings: true,
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      done(emit(this, sniffer.feed(chunk)));
    },
    flush(done: TransformCallback) {
      done(emit(this, sniffer.end()));
    },
  });
}

/**
 * Transform for files: windows-1251 Buffer chunks in, UTF-8 strings out, behind the
 * MisdeclaredUtf8Sniffer. A single-byte encoding has no sequences split across chunks, so each
 * chunk decodes alone.
 */
export function createWin1251DecodeStream(opts: Win1251StreamOptions = {}): Transform {
  const onUnmapped = opts.onUnmapped ?? 'error';
  let offset = 0;
  return sniffingTransform(new MisdeclaredUtf8Sniffer(opts.sniffBytes), (chunk) => {
    const at = chunk.indexOf(UNMAPPED);
    if (at >= 0 && onUnmapped === 'error')
      return new CrmUnifyError(
        'SOURCE_STRUCTURE_BROKEN',
        `byte 0x98 at offset ${offset + at} has no character in windows-1251`,
      );
    offset += chunk.length;
    const text = iconv.decode(chunk, 'win1251');
    // 0x98 is the only byte that iconv-lite turns into U+FFFD here.
    return at >= 0 ? text.replace(/\uFFFD/gu, UNDECODABLE_MARK) : text;
  });
}
