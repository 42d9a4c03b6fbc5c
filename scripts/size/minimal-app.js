/* global SharedWorker */
// The smallest real use of the client, bundled by scripts/check-size.mjs. 'shared-channels' resolves through
// the package's own `exports`, as it does in an app that installed the package.
import { SharedWorkerClient } from 'shared-channels';

const client = new SharedWorkerClient(
  () => new SharedWorker(new URL('./channels.worker.js', import.meta.url), { type: 'module' }),
);
client.channel('x').subscribe(console.log);
