// vitest globalSetup of the `integration` project: brings Kafka and MySQL up once per run through
// services.ts (env vars, then `npm run services -- up` state, then local MySQL, then starting
// them), hands their addresses to tests, and stops only what it started itself.
import type { TestProject } from 'vitest/node';
import { servicesDown, servicesEnv, servicesUp } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap addresses of the test Kafka, e.g. ['127.0.0.1:40123']. */
    kafkaBrokers: string[];
    /** Base URL of the test MySQL server, without a database. */
    mysqlUrl: string;
  }
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const services = await servicesUp();
  provide('kafkaBrokers', services.kafkaBrokers);
  provide('mysqlUrl', services.mysqlUrl);
  // Test workers are forked after this and inherit the environment, so code that reads the
  // env vars (the service's own config) sees the same servers.
  Object.assign(process.env, servicesEnv(services));
  return () => servicesDown(services);
}
