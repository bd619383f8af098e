/** The in-memory last-seen store against the contract (it is also the contract's model). */
import { MemoryLastSeenStore } from '../../src/last-seen/memory-last-seen-store.js';
import type { LastSeenStore } from '../../src/ports/last-seen-store.js';
import { describeLastSeenStoreContract } from '../contracts/last-seen-store.contract.js';

describeLastSeenStoreContract(
  'memory',
  async () => {
    const opened: LastSeenStore[] = [];
    return {
      async open(options) {
        const store = new MemoryLastSeenStore({ now: options?.now });
        opened.push(store);
        return store;
      },
      corruptions: {},
      async cleanup() {
        await Promise.all(opened.map((store) => store.close()));
      },
    };
  },
  { persistent: false },
);
