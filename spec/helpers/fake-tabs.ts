import type { LockManagerLike } from '../../src/worker/hub.js';
import { FakeBroadcastBus, type FakeBroadcastChannel } from './fake-broadcast-channel.js';
import { FakeLockManager } from './fake-locks.js';

/**
 * One origin's shared browser state, as seen by the fake tabs of a test: one lock manager and one
 * BroadcastChannel bus.
 */
export class FakeOrigin {
  readonly lockManager = new FakeLockManager();
  readonly bus = new FakeBroadcastBus();

  /** Opens a tab of this origin. */
  tab(): FakeTab {
    return new FakeTab(this);
  }
}

/**
 * A tab of a {@link FakeOrigin}: its Web Locks and BroadcastChannels. `crash()` kills it as a browser
 * does: its channels go silent both ways, the locks it holds pass to the next tab in line, and the
 * requests it was waiting on are dropped.
 */
export class FakeTab {
  alive = true;
  private readonly held = new Set<string>();

  constructor(private readonly origin: FakeOrigin) {}

  readonly locks: LockManagerLike = {
    request: (name, callback) =>
      this.origin.lockManager.request(name, () => {
        // A request of a dead tab is dropped: granted now, it is released at once.
        if (!this.alive) return undefined;
        this.held.add(name);
        return Promise.resolve(callback()).finally(() => this.held.delete(name));
      }),
  };

  readonly createChannel = (name: string): FakeBroadcastChannel =>
    this.origin.bus.channel(name, () => this.alive);

  crash(): void {
    this.alive = false;
    for (const name of this.held) this.origin.lockManager.crash(name);
    this.held.clear();
  }
}
