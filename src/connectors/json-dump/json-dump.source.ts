import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline, Transform, type Duplex } from 'node:stream';
import iconv from 'iconv-lite';
import streamArray from 'stream-json/streamers/stream-array.js';
import type { Envelope } from '../../core/envelope.js';
import { CrmUnifyError, errorMessage } from '../../core/errors.js';
import { createMisdeclaredUtf8Guard } from '../../normalize/encoding.js';
import { OrderedAcks } from '../../core/ordered-acks.js';
import type { PullSource, ReadResult } from '../../core/pull-source.js';
import type { JsonDumpSourceConfig } from './config.js';
import { dumpKey, parseDumpPosition, PositionWriter, type DumpPosition, type PositionStore } from './positions.js';
import { checkShape, type ShapeProblem } from './shape.js';

/** What the dump source emits: one array element, parsed but not mapped. */
export interface DumpElement {
  /** 0-based position in the array (also the envelope's offset). */
  index: number;
  value: unknown;
  /** Set when the element failed the cheap shape check: the mapper rejects it with this. */
  problem?: ShapeProblem;
}

export interface JsonDumpSourceOptions {
  config: JsonDumpSourceConfig;
  positions: PositionStore;
}

interface Opened {
  file: ReadStream;
  elements: AsyncIterator<{ key: number; value: unknown }>;
  size: number;
  mtimeMs: number;
  resumeAfter: number;
}

/** The sniffing rule (normalize/encoding.ts) is proven for windows-1251 only; its aliases count. */
const isWin1251 = (encoding: string) =>
  ['windows1251', 'win1251', 'cp1251'].includes(encoding.toLowerCase().replace(/[^a-z0-9]/g, ''));

/**
 * Shop B's JSON dump as a pull source: file → iconv-lite decoder → stream-json array streamer,
 * consumed by async iteration, so the streams fill only their small buffers and then wait for the
 * next `read()`. Memory stays constant whatever the file size. A file declared windows-1251 first
 * passes the mis-declared UTF-8 guard (it holds at most its 64 KiB window plus one chunk): a UTF-8
 * export is refused with SOURCE_STRUCTURE_BROKEN (details.why = 'utf8-misdeclared') before any
 * element is emitted, rather than loaded as mojibake.
 *
 * Position (key `json-dump/<name>`): the last contiguously acked element index with the file's
 * size and mtime; a restart skips elements up to it without emitting them (they are still parsed:
 * array elements have no byte offsets to seek to). A syntax error ends the source with
 * SOURCE_STRUCTURE_BROKEN naming the approximate byte position (bytes read from disk when it was
 * detected); elements before it were emitted as usual.
 */
export class JsonDumpSource implements PullSource<DumpElement> {
  readonly name: string;
  private readonly config: JsonDumpSourceConfig;
  private readonly positions: PositionStore;
  private readonly writer: PositionWriter;
  private readonly acks = new OrderedAcks();
  private opened: Opened | undefined;
  private ended = false;
  private failure: CrmUnifyError | undefined;
  private closed = false;
  private sawReplacement = false;

  constructor(opts: JsonDumpSourceOptions) {
    this.config = opts.config;
    this.name = opts.config.name;
    this.positions = opts.positions;
    this.writer = new PositionWriter(opts.positions);
  }

  /** Bytes read from disk so far, of the file size. */
  progress(): { bytesRead: number; fileSize: number } {
    return { bytesRead: this.opened?.file.bytesRead ?? 0, fileSize: this.opened?.size ?? 0 };
  }

  async read(max: number): Promise<ReadResult<DumpElement>> {
    this.writer.check();
    if (this.failure) throw this.failure;
    if (this.closed || this.ended) return { records: [], done: true };
    const src = (this.opened ??= await this.open());
    const records: Envelope<DumpElement>[] = [];
    while (records.length < max && !this.ended) {
      let next: IteratorResult<{ key: number; value: unknown }>;
      try {
        next = await src.elements.next();
      } catch (err) {
        this.failure = this.structureBroken(src, err);
        break;
      }
      if (next.done) {
        this.ended = true;
        this.markDoneIfSettled();
        break;
      }
      const { key, value } = next.value;
      if (key > src.resumeAfter) records.push(this.envelope(src, key, value));
    }
    if (this.failure && records.length === 0) throw this.failure;
    return { records, done: this.ended };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.opened?.file.destroy();
    await this.writer.flush();
  }

  private async open(): Promise<Opened> {
    const { size, mtimeMs } = await stat(this.config.path);
    const stored = parseDumpPosition(await this.positions.get(dumpKey(this.name)));
    // Another file under the same name (a new export): its element N is not ours; start over.
    const same = stored !== undefined && stored.size === size && stored.mtimeMs === mtimeMs;
    const file = createReadStream(this.config.path, { highWaterMark: this.config.readChunkBytes });
    // pipeline() wires errors through: a failing stage destroys the last one, whose iterator throws.
    // streamValues off: the assembler uses only packed tokens, and half the tokens go away.
    const parser = streamArray.withParserAsStream({ streamValues: false });
    const out: Duplex = isWin1251(this.config.encoding)
      ? pipeline(
          file,
          createMisdeclaredUtf8Guard(),
          iconv.decodeStream(this.config.encoding),
          this.replacementWatch(),
          parser,
          () => {},
        )
      : pipeline(file, iconv.decodeStream(this.config.encoding), this.replacementWatch(), parser, () => {});
    if (same && stored.done) this.ended = true;
    return { file, elements: out[Symbol.asyncIterator](), size, mtimeMs, resumeAfter: same ? stored.index : -1 };
  }

  /**
   * Notes whether the decoder produced U+FFFD at all. Until it has, elements skip the deep
   * encoding check (a walk over every string) — clean files, the normal case, pay one scan per
   * decoded chunk. Parsing lags decoding, so once flagged every later element is checked.
   */
  private replacementWatch(): Transform {
    return new Transform({
      decodeStrings: false,
      encoding: 'utf8',
      transform: (chunk: string, _enc, done) => {
        if (!this.sawReplacement && chunk.includes('\uFFFD')) this.sawReplacement = true;
        done(null, chunk);
      },
    });
  }

  private envelope(src: Opened, index: number, value: unknown): Envelope<DumpElement> {
    const offset = BigInt(index);
    this.acks.track(this.name, offset);
    const problem = checkShape(value, this.sawReplacement);
    return {
      value: problem ? { index, value, problem } : { index, value },
      position: { partition: this.name, offset, resume: String(index) },
      source: this.name,
      ack: () => {
        const moved = this.acks.ack(this.name, offset);
        if (moved) this.commit({ index: Number(moved.offset), size: src.size, mtimeMs: src.mtimeMs });
        this.markDoneIfSettled();
      },
      nack: () => {},
    };
  }

  private markDoneIfSettled(): void {
    const src = this.opened;
    if (!src || !this.ended || this.acks.pending() > 0) return;
    const last = this.acks.committable(this.name);
    this.commit({
      index: last ? Number(last.offset) : src.resumeAfter,
      size: src.size,
      mtimeMs: src.mtimeMs,
      done: true,
    });
  }

  private commit(position: DumpPosition): void {
    this.writer.set(dumpKey(this.name), JSON.stringify(position));
  }

  private structureBroken(src: Opened, err: unknown): CrmUnifyError {
    const bytePosition = src.file.bytesRead;
    if (err instanceof CrmUnifyError && err.details?.why === 'utf8-misdeclared') {
      const at = Number(err.details.offset);
      return new CrmUnifyError(
        'SOURCE_STRUCTURE_BROKEN',
        `${this.config.path}: ${err.message} (near byte ${at} of ${src.size}); set the dump's encoding to utf-8 if the export is UTF-8`,
        {
          cause: err,
          details: {
            ...err.details,
            path: this.config.path,
            declared: this.config.encoding,
            bytePosition: at,
            fileSize: src.size,
          },
        },
      );
    }
    return new CrmUnifyError(
      'SOURCE_STRUCTURE_BROKEN',
      `${this.config.path} is not a well-formed JSON array: ${errorMessage(err)} (near byte ${bytePosition} of ${src.size})`,
      { cause: err, details: { path: this.config.path, bytePosition, fileSize: src.size } },
    );
  }
}
