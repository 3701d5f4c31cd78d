import { haBrokers, type AppConfig } from '../../config/schema.js';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { withOfflineChangelogState } from '../../ha/offline-state.js';
import type { StateStore } from '../../state/store.js';
import { withStateStore } from './state.js';

/**
 * The state store for a command that changes it (replay, register refresh and sweep, state
 * migrate). With HA on, its writes go through the state changelog, so the standby and a later
 * restore see them; it refuses while an instance runs. Without HA, the LevelDB directory as is.
 */
export function withWritableState<T>(
  config: Pick<AppConfig, 'ha' | 'sources'>,
  dir: string,
  fn: (store: StateStore) => Promise<T>,
): Promise<T> {
  if (!config.ha.enabled) return withStateStore(dir, fn);
  const kafka = createKafkaClient(haBrokers(config), `crm-unify-cli-${config.ha.app}`);
  return withOfflineChangelogState({ kafka, app: config.ha.app, dir }, fn);
}
