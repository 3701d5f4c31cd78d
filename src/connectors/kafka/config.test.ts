import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { loadKafkaSourceConfig } from './config.js';

describe('loadKafkaSourceConfig', () => {
  it('fills Shop B defaults', () => {
    expect(loadKafkaSourceConfig({ brokers: ['127.0.0.1:9092'] })).toMatchObject({
      topic: 'shop-b.crm.partners',
      groupId: 'crm-unify.shop-b',
      once: false,
      commitIntervalMs: 5000,
      queueHighWater: 2000,
      queueLowWater: 500,
    });
  });

  it('reports every problem at once', () => {
    try {
      loadKafkaSourceConfig({ brokers: [], queueHighWater: 0 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues).toHaveLength(2);
    }
  });

  it('refuses a low-water mark at or above the high-water mark', () => {
    expect(() => loadKafkaSourceConfig({ brokers: ['b:1'], queueHighWater: 10, queueLowWater: 10 })).toThrow(
      /queueLowWater/,
    );
  });
});
