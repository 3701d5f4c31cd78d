// `npm run services -- up|down|env`: Kafka and MySQL for a developer's shell or a manual test run.
//   up    starts what is missing in the background and records it in .services/state.json
//   down  stops what `up` started
//   env   prints export lines: eval "$(npm run -s services -- env)"
// Progress goes to stderr so that stdout stays eval-able.
import { readState, STATE_FILE, writeState, type ServicesState } from './services-state.js';
import { servicesDown, servicesEnv, servicesUp } from './services.js';

function exportLines(env: Record<string, string>): string {
  const quote = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${quote(v)}`)
    .join('\n');
}

async function up(): Promise<void> {
  const services = await servicesUp({ detached: true });
  const previous = readState();
  const { kafka, mysql } = services.owned;
  const state: ServicesState = {
    kafka: kafka
      ? { brokers: kafka.brokers, version: kafka.version, pid: kafka.pid(), runDir: kafka.runDir }
      : services.sources.kafka === 'state'
        ? previous.kafka
        : { brokers: services.kafkaBrokers },
    mysql: mysql
      ? { url: mysql.url, pid: mysql.pid, runDir: mysql.runDir }
      : services.sources.mysql === 'state'
        ? previous.mysql
        : { url: services.mysqlUrl },
  };
  writeState(state);
  process.stderr.write(
    `[services] kafka: ${services.sources.kafka}, mysql: ${services.sources.mysql}; state in ${STATE_FILE}\n`,
  );
  process.stdout.write(`${exportLines(servicesEnv(services))}\n`);
}

function env(): number {
  const state = readState();
  const brokers = process.env.KAFKA_BROKERS ?? state.kafka?.brokers.join(',');
  const url = process.env.MYSQL_URL ?? state.mysql?.url;
  if (!brokers || !url) {
    process.stderr.write(
      '[services] nothing is up: run `npm run services -- up` first (or set KAFKA_BROKERS and MYSQL_URL)\n',
    );
    return 1;
  }
  process.stdout.write(`${exportLines({ KAFKA_BROKERS: brokers, MYSQL_URL: url })}\n`);
  return 0;
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up':
      await up();
      return 0;
    case 'down':
      await servicesDown();
      process.stderr.write('[services] stopped what `up` started\n');
      return 0;
    case 'env':
      return env();
    default:
      process.stderr.write('usage: npm run services -- up|down|env\n');
      return 2;
  }
}

main(process.argv[2]).then(
  // Exit explicitly: detached servers are unref'd, but a lingering client socket must not keep us.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[services] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
