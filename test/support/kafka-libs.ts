// Fetches the Kafka broker's jars from Maven Central once into a per-user cache outside the repo.
// Maven publishes no SLF4J binding for the broker (the tarball adds it), so log4j-slf4j-impl and
// log4j-core are added by hand; Kafka 4.0/4.1 still use slf4j 1.7, hence the 1.x binding.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './processes.js';

export const KAFKA_VERSION = '4.1.1';
/** The log4j2 version Kafka 4.0.x/4.1.x ship in their tarball. */
const LOG4J2_VERSION = '2.24.3';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies';

export const MISSING_JAVA_HINT =
  'install OpenJDK 17+ and Maven (Debian: apt-get install -y openjdk-17-jre-headless maven), ' +
  'or point the tests at a running broker with KAFKA_BROKERS=host:port';

export function kafkaCacheDir(version = KAFKA_VERSION): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'crm-unify', `kafka-${version}`);
}

function pom(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.crm-unify</groupId><artifactId>kafka-broker-libs</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${LOG4J2_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${LOG4J2_VERSION}</version></dependency>
  </dependencies>
</project>
`;
}

/**
 * Directory holding every jar the broker needs. The first call downloads into a private temp
 * directory and renames it into place, so concurrent first runs never see a half-filled cache:
 * the rename is atomic and the loser simply throws its copy away.
 */
export async function ensureKafkaLibs(version = KAFKA_VERSION, log: (msg: string) => void = () => {}): Promise<string> {
  const cache = kafkaCacheDir(version);
  const libs = join(cache, 'libs');
  if (existsSync(join(libs, `kafka_2.13-${version}.jar`))) return libs;

  const mvn = findExecutable('mvn');
  if (!mvn)
    throw new Error(
      `Cannot fetch the Kafka ${version} jars: \`mvn\` is not on PATH. To run the integration tests, ${MISSING_JAVA_HINT}.`,
    );

  mkdirSync(cache, { recursive: true });
  const staging = join(cache, `libs.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(staging);
  const started = Date.now();
  log(`fetching Kafka ${version} jars with Maven into ${libs} (once per machine)`);
  try {
    const pomFile = join(staging, 'pom.xml');
    writeFileSync(pomFile, pom(version));
    await runMaven(mvn, [
      '-q',
      '-B',
      '-f',
      pomFile,
      DEPENDENCY_PLUGIN,
      `-DoutputDirectory=${staging}`,
      '-DincludeScope=runtime',
    ]);
    rmSync(pomFile);
    if (!readdirSync(staging).includes(`kafka_2.13-${version}.jar`))
      throw new Error(`Maven finished but kafka_2.13-${version}.jar is missing`);
    try {
      renameSync(staging, libs);
    } catch (error) {
      // Another process finished first (rename onto a non-empty dir fails): use its copy.
      if (!existsSync(join(libs, `kafka_2.13-${version}.jar`))) {
        throw new Error(`cannot install the jars into ${libs} (${String(error)}); if it is a broken cache, delete it`);
      }
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log(`fetched Kafka ${version} jars in ${Date.now() - started} ms`);
  return libs;
}

function runMaven(mvn: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(mvn, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`mvn ${args.join(' ')} failed with exit code ${code}:\n${output}`)),
    );
  });
}
