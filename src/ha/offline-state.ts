import type { Kafka } from 'kafkajs';
import { CrmUnifyError, errorMessage } from '../core/errors.js';
import type { StateStore } from '../state/store.js';
import { openChangelogState } from './changelog-open.js';
import { haNames } from './config.js';

/**
 * Refuses while any instance of the deployment is up: a member of the lease group (the active
 * instance or a standby) would be fenced by our changelog writer, or, as a standby, would miss
 * nothing but hold a state we are about to change under it. The HA counterpart of LevelDB's lock.
 */
export async function assertNoInstanceRunning(kafka: Kafka, app: string): Promise<void> {
  const { leaseGroup } = haNames(app);
  const admin = kafka.admin();
  let members: number;
  try {
    await admin.connect();
    const { groups } = await admin.describeGroups([leaseGroup]);
    members = groups[0]?.members.length ?? 0;
  } catch (err) {
    throw new CrmUnifyError(
      'SERVICE_UNAVAILABLE',
      `cannot ask Kafka whether an HA instance runs: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (members > 0) {
    throw new CrmUnifyError(
      'STATE_STORE_LOCKED',
      `${members} crm-unify instance(s) of ha.app "${app}" are running (members of the lease group ${leaseGroup}): ` +
        'stop every instance, the standby too, before changing the state from the command line',
      { details: { leaseGroup, members } },
    );
  }
}

/**
 * Runs `fn` on the state of a stopped HA deployment, every write going to the changelog first,
 * as the active instance's would: the standby (and a restore) see what a command line changed.
 * The state is caught up with the changelog before `fn` reads it.
 */
export async function withOfflineChangelogState<T>(
  o: { kafka: Kafka; app: string; dir: string },
  fn: (store: StateStore) => Promise<T>,
): Promise<T> {
  await assertNoInstanceRunning(o.kafka, o.app);
  const { changelogTopic, transactionalId } = haNames(o.app);
  const state = await openChangelogState({ kafka: o.kafka, dir: o.dir, topic: changelogTopic, transactionalId });
  try {
    return await fn(state.store);
  } finally {
    await state.close();
  }
}
