import type { Producer, ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../core/envelope.js';
import type { RejectSink } from '../../core/rejects.js';
import { dlqHeaders, KafkaDlqRejectSink } from './dlq.sink.js';
import type { KafkaRawRecord } from './record.js';

const raw: KafkaRawRecord = {
  topic: 'shop-b.crm.partners',
  partition: 2,
  offset: '41',
  key: Buffer.from('P1'),
  value: Buffer.from('not json'),
  tombstone: false,
  headers: { trace: 't' },
  timestamp: '1700000000000',
};
const env = (partition: string): Envelope<unknown> => ({
  value: {},
  position: { partition, offset: 41n },
  source: 's',
  ack: () => {},
  nack: () => {},
});

function setup(opts: { failSend?: boolean } = {}) {
  const events: string[] = [];
  const sent: ProducerRecord[] = [];
  const producer = {
    send: async (r: ProducerRecord) => {
      events.push('dlq');
      if (opts.failSend) throw new Error('broker down');
      sent.push(r);
      return [];
    },
  } as unknown as Producer;
  const inner: RejectSink = { reject: async (_e, reason) => void events.push(`inner:${reason}`) };
  const sink = new KafkaDlqRejectSink({
    producer,
    inner,
    now: () => new Date('2024-01-01T00:00:00Z'),
    lookup: (p) => (p.partition === 'shop-b.crm.partners-2' && p.offset === 41n ? raw : undefined),
  });
  return { sink, events, sent };
}

describe('KafkaDlqRejectSink', () => {
  it('dead-letters the original key and value with context headers, then records the reject', async () => {
    const { sink, events, sent } = setup();
    await sink.reject(env('shop-b.crm.partners-2'), 'MALFORMED_RECORD', 'not JSON at 0');
    expect(events).toEqual(['dlq', 'inner:MALFORMED_RECORD']);
    expect(sent[0]).toMatchObject({ topic: 'shop-b.crm.partners.dlq', acks: -1 });
    const msg = sent[0]!.messages[0]!;
    expect(msg.key).toEqual(Buffer.from('P1'));
    expect(msg.value).toEqual(Buffer.from('not json'));
    expect(msg.headers).toEqual({
      trace: 't',
      [dlqHeaders.reason]: 'MALFORMED_RECORD',
      [dlqHeaders.detail]: 'not JSON at 0',
      [dlqHeaders.topic]: 'shop-b.crm.partners',
      [dlqHeaders.partition]: '2',
      [dlqHeaders.offset]: '41',
      [dlqHeaders.at]: '2024-01-01T00:00:00.000Z',
    });
  });

  it('passes envelopes of other sources to the inner sink only', async () => {
    const { sink, events } = setup();
    await sink.reject(env('shop-a.companies'), 'MISSING_INN', 'x');
    expect(events).toEqual(['inner:MISSING_INN']);
  });

  it('does not record the reject (so the record is not acked) when the DLQ write fails', async () => {
    const { sink, events } = setup({ failSend: true });
    await expect(sink.reject(env('shop-b.crm.partners-2'), 'MALFORMED_RECORD', 'x')).rejects.toThrow('broker down');
    expect(events).toEqual(['dlq']);
  });
});
