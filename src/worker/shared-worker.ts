// The ready-to-serve worker bundle (`shared-channels/shared-worker.js`): it starts a hub on load.
// Which channels persist comes from its URL: `shared-worker.js?persist=settings,cart:*` (or `*`).
import { parsePersistQuery } from './persist-query.js';
import { startSharedWorker } from './start-shared-worker.js';

const { location } = globalThis as unknown as { location: { search: string } };
startSharedWorker({ persist: parsePersistQuery(location.search) });
