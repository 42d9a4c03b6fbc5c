import { LeaderElection } from '../../src/elected/leader-election.js';
import { FakeLockManager } from '../helpers/fake-locks.js';
import { FakeOrigin } from '../helpers/fake-tabs.js';

const LOCK = 'shared-channels:v1:leader';

/** Lets granted locks run their callbacks. */
function granted(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('LeaderElection', () => {
  let elections: LeaderElection[];

  beforeEach(() => {
    elections = [];
  });

  afterEach(() => {
    for (const election of elections) election.close();
  });

  function candidate(locks: FakeLockManager, elected: string[], id: string): LeaderElection {
    const election = new LeaderElection(locks, LOCK, () => elected.push(id));
    elections.push(election);
    return election;
  }

  it('should make the first tab to ask the leader, and keep the others waiting', async () => {
    const locks = new FakeLockManager();
    const elected: string[] = [];
    const first = candidate(locks, elected, 'first');
    const second = candidate(locks, elected, 'second');
    await granted();
    expect(elected).toEqual(['first']);
    expect(first.leading).toBe(true);
    expect(second.leading).toBe(false);
    expect(locks.isHeld(LOCK)).toBe(true);
  });

  it('should pass the lead to the next tab in line when the leader withdraws', async () => {
    const locks = new FakeLockManager();
    const elected: string[] = [];
    const first = candidate(locks, elected, 'first');
    const second = candidate(locks, elected, 'second');
    candidate(locks, elected, 'third');
    await granted();
    first.close();
    await granted();
    expect(elected).toEqual(['first', 'second']);
    expect(first.leading).toBe(false);
    expect(second.leading).toBe(true);
  });

  it("should pass the lead to the next tab in line when the leader's tab crashes", async () => {
    const origin = new FakeOrigin();
    const leaderTab = origin.tab();
    const elected: string[] = [];
    elections.push(new LeaderElection(leaderTab.locks, LOCK, () => elected.push('leader')));
    elections.push(new LeaderElection(origin.tab().locks, LOCK, () => elected.push('next')));
    await granted();
    leaderTab.crash();
    await granted();
    expect(elected).toEqual(['leader', 'next']);
  });

  it('should never lead once it gave up waiting, and let the next tab lead instead', async () => {
    const locks = new FakeLockManager();
    const elected: string[] = [];
    const first = candidate(locks, elected, 'first');
    const quitter = candidate(locks, elected, 'quitter');
    candidate(locks, elected, 'third');
    await granted();
    quitter.close();
    first.close();
    await granted();
    await granted();
    expect(elected).toEqual(['first', 'third']);
    expect(quitter.leading).toBe(false);
  });

  it('should never lead when the lock manager refuses the request', async () => {
    const elected: string[] = [];
    const refusing = { request: () => Promise.reject(new Error('AbortError')) };
    const election = new LeaderElection(refusing, LOCK, () => elected.push('never'));
    await granted();
    expect(election.leading).toBe(false);
    expect(elected).toEqual([]);
  });
});
