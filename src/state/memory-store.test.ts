import { MemoryStateStore } from './memory-store.js';
import { stateStoreContract } from './state-store.contract.js';

stateStoreContract({ name: 'memory', open: async () => new MemoryStateStore() });
