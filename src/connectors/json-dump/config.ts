import iconv from 'iconv-lite';
import { z } from 'zod';
import { parseConfig } from '../../core/config.js';

/** Shop B's historical export: one JSON array of Partner objects, windows-1251, up to several GB. */
export const JsonDumpSourceConfigSchema = z.object({
  name: z.string().min(1).default('shop-b.dump').describe("source name: the position key and the envelopes' source"),
  path: z.string().min(1).describe('the dump file'),
  encoding: z
    .string()
    .default('windows-1251')
    .refine((e) => iconv.encodingExists(e), 'an encoding iconv-lite knows')
    .describe("the file's text encoding"),
  readChunkBytes: z
    .number()
    .int()
    .min(4096)
    .default(256 * 1024)
    .describe('bytes read from disk at a time; with the decoder and parser buffers this bounds memory'),
});

export type JsonDumpSourceConfig = Readonly<z.infer<typeof JsonDumpSourceConfigSchema>>;

export function loadJsonDumpSourceConfig(input: Record<string, unknown>): JsonDumpSourceConfig {
  return parseConfig(JsonDumpSourceConfigSchema, input, 'json-dump');
}
