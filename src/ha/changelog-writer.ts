import type { Kafka, Producer } from 'kafkajs';
import { CrmUnifyError, errorMessage } from '../core/errors.js';
import type { StateOp } from '../state/store.js';
import { encodeOp, splitByBytes, type ChangelogMessage } from './changelog-codec.js';

/**
 * Under the broker's default message.max.bytes (1 MB) with margin, so a topic created by hand
 * (without the changelog's 8 MB) still takes every batch.
 */
export const MAX_SEND_BYTES = 900 * 1024;

/**
 * kafkajs groups a send's messages by partition copying its list for every message (quadratic):
 * 9 000 small messages in one send cost tens of millions of copies; 1 000 keep it negligible.
 */
export const MAX_SEND_MESSAGES = 1_000;

export interface ChangelogWriterOptions {
  kafka: Kafka;
  topic: string;
  /** The one transactional id of the deployment (haNames(app).transactionalId). */
  transactionalId: string;
  /** How long the broker lets a transaction stay open before aborting it; default 60 s. */
  transactionTimeoutMs?: number;
  maxSendBytes?: number;
  /** Messages per send; default MAX_SEND_MESSAGES. */
  maxSendMessages?: number;
}

/**
 * Writes state ops to the changelog, each call in one Kafka transaction. Every instance uses the
 * same transactional id, so opening a writer fences the previous one: the broker bumps the
 * producer epoch, aborts the old one's open transaction, and refuses its later writes, which
 * surface here as INSTANCE_FENCED (the zombie must stop). Values are never logged: they hold
 * personal data.
 */
export class ChangelogWriter {
  private readonly producer: Producer;
  private readonly maxSendBytes: number;
  private readonly maxSendMessages: number;
  private broken: CrmUnifyError | null = null;

  constructor(private readonly opts: ChangelogWriterOptions) {
    this.producer = opts.kafka.producer({
      transactionalId: opts.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: opts.transactionTimeoutMs ?? 60_000,
    });
    this.maxSendBytes = opts.maxSendBytes ?? MAX_SEND_BYTES;
    this.maxSendMessages = opts.maxSendMessages ?? MAX_SEND_MESSAGES;
  }

  /**
   * Connects and takes the transactional id: kafkajs sends InitProducerId on its first
   * transaction, so one is begun and ended here (an empty abort sends nothing more). From now on
   * an older writer with the same id is fenced.
   */
  async open(): Promise<void> {
    try {
      await this.producer.connect();
      const tx = await this.producer.transaction();
      await tx.abort();
    } catch (err) {
      throw this.fail(err, 'cannot open the state changelog writer');
    }
  }

  /** Writes `ops` in one transaction; returns the offset of the last message (a decimal string). */
  write(ops: readonly StateOp[]): Promise<string> {
    return this.writeMessages(ops.map(encodeOp));
  }

  /** As `write`, for messages already encoded (the store encodes early to refuse bad ops alone). */
  async writeMessages(messages: readonly ChangelogMessage[]): Promise<string> {
    if (messages.length === 0) throw new TypeError('ChangelogWriter.write: nothing to write');
    return (await this.writeChunks([messages]))!;
  }

  /**
   * Writes every chunk of `chunks` in one transaction, sending as they come (a whole state, more
   * than memory should hold at once); returns the offset of the last message, null for none.
   */
  async writeStream(chunks: AsyncIterable<readonly StateOp[]>): Promise<string | null> {
    async function* encoded() {
      for await (const ops of chunks) yield ops.map(encodeOp);
    }
    return this.writeChunks(encoded());
  }

  private async writeChunks(
    chunks: Iterable<readonly ChangelogMessage[]> | AsyncIterable<readonly ChangelogMessage[]>,
  ): Promise<string | null> {
    if (this.broken) throw this.broken;
    let tx: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      tx = await this.producer.transaction();
      let last: bigint | null = null;
      for await (const messages of chunks) {
        for (const chunk of splitByBytes(messages, this.maxSendBytes, this.maxSendMessages)) {
          const [meta] = await tx.send({ topic: this.opts.topic, acks: -1, messages: chunk });
          if (meta?.baseOffset === undefined) throw new Error('the broker returned no offset');
          last = BigInt(meta.baseOffset) + BigInt(chunk.length - 1);
        }
      }
      await tx.commit();
      return last === null ? null : last.toString();
    } catch (err) {
      if (tx?.isActive()) await tx.abort().catch(() => undefined); // a fenced producer cannot abort: fine
      throw this.fail(err, 'state changelog write failed');
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  /** Maps a kafkajs error to ours; a fenced writer stays broken (its id belongs to another instance now). */
  private fail(err: unknown, what: string): CrmUnifyError {
    if (err instanceof CrmUnifyError) return err; // a bad op (encodeOp): ours already
    if (isFenced(err)) {
      this.broken = new CrmUnifyError(
        'INSTANCE_FENCED',
        `another instance took over: its changelog writer fenced this one (${errorMessage(err)})`,
        { cause: err, details: { transactionalId: this.opts.transactionalId } },
      );
      return this.broken;
    }
    return new CrmUnifyError('CHANGELOG_FAILED', `${what} (${this.opts.topic}): ${errorMessage(err)}`, {
      cause: err,
      details: { topic: this.opts.topic },
    });
  }
}

/**
 * kafkajs reports a newer producer with the same transactional id as INVALID_PRODUCER_EPOCH (47),
 * or as PRODUCER_FENCED (90), which it does not know and names "Unknown error code 90"; either
 * may come wrapped (retries exhausted, a non-retriable wrapper).
 */
export function isFenced(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { type?: unknown; code?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
  if (e.type === 'INVALID_PRODUCER_EPOCH' || e.type === 'PRODUCER_FENCED') return true;
  if (typeof e.message === 'string' && /Unknown error code 90\b|PRODUCER_FENCED|with an old epoch/.test(e.message))
    return true;
  const errors = (err as { errors?: unknown }).errors;
  return (
    isFenced(e.cause, depth + 1) ||
    isFenced(e.originalError, depth + 1) ||
    (Array.isArray(errors) && errors.some((x) => isFenced(x, depth + 1)))
  );
}
