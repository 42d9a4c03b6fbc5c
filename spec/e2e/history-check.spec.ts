import type {
  RequestRecord,
  StateRecord,
  SubscriptionRecord,
  TabHistory,
} from './fixtures/history-recorder.js';
import { checkHistory, type FaultTimes, type RecordedHistory } from './support/history-check.js';

// The history check's rules on small histories made by hand, so that a failing browser run is known to
// be the library's doing: each rule stays silent on a correct history and speaks on a broken one.

/** Builds a history event by event, on one clock that advances 10 ms per event. */
class HistoryBuilder {
  private now = 1_000;
  private readonly tabs = new Map<string, TabHistory & { tick: number }>();

  tab(label: string): this {
    const tab = {
      tab: label,
      tick: 0,
      requests: [] as RequestRecord[],
      subscriptions: [] as SubscriptionRecord[],
      states: [] as StateRecord[],
      failures: [] as string[],
      hubs: [{ hub: 'hub-1', at: this.now }],
      pulledAt: 0,
      pulledTick: 0,
    };
    this.tabs.set(label, tab);
    return this.state(label, 'open');
  }

  state(label: string, state: StateRecord['state']): this {
    const tab = this.of(label);
    tab.states.push({ state, at: this.clock(), tick: ++tab.tick });
    return this;
  }

  /** A Subscription and the get that proves it registered; `values` is what it will have seen. */
  subscribe(label: string, channel: string, values: string[]): this {
    const tab = this.of(label);
    tab.subscriptions.push({
      id: `${label}/s${tab.subscriptions.length}`,
      tab: label,
      channel,
      subscribedAt: this.clock(),
      subscribedTick: ++tab.tick,
      values,
    });
    return this.request(label, 'subscribe', channel, {});
  }

  publish(label: string, channel: string, value: string, outcome?: Partial<RequestRecord>): this {
    return this.request(label, 'publish', channel, { value, ...outcome });
  }

  clear(label: string, channel: string): this {
    return this.request(label, 'clear', channel, {});
  }

  get(label: string, channel: string, result: string | null, final = false): this {
    return this.request(label, 'get', channel, { result, ...(final ? { final } : {}) });
  }

  build(fresh: string, finalTabs: readonly string[], faults: FaultTimes[] = []): RecordedHistory {
    const tabs = [...this.tabs.values()].map(({ tick, ...tab }) => ({
      ...tab,
      finalHub: 'hub-1',
      pulledAt: this.clock(),
      pulledTick: tick + 1,
    }));
    return { startedAt: 0, channels: ['c'], tabs, finalTabs, fresh, faults, unquiet: [] };
  }

  /** The last Subscription of `label`, to break it after the fact. */
  last(label: string): SubscriptionRecord {
    return this.of(label).subscriptions.at(-1)!;
  }

  private request(
    label: string,
    kind: RequestRecord['kind'],
    channel: string,
    extra: Partial<RequestRecord>,
  ): this {
    const tab = this.of(label);
    tab.requests.push({
      tab: label,
      kind,
      channel,
      issuedAt: this.clock(),
      issuedTick: ++tab.tick,
      settledAt: this.clock(),
      settledTick: ++tab.tick,
      outcome: 'resolved',
      ...extra,
    });
    return this;
  }

  private clock(): number {
    this.now += 10;
    return this.now;
  }

  private of(label: string): TabHistory & { tick: number } {
    const tab = this.tabs.get(label);
    if (tab === undefined) throw new Error(`no tab ${label}`);
    return tab;
  }
}

/** Two tabs subscribed to `c` see a.1, a.2 and b.1; both get b.1 at the end, and so does a new tab. */
function correctHistory(seenByB = ['a.1', 'a.2', 'b.1']): HistoryBuilder {
  return new HistoryBuilder()
    .tab('a')
    .tab('b')
    .subscribe('a', 'c', ['a.1', 'a.2', 'b.1'])
    .subscribe('b', 'c', seenByB)
    .publish('a', 'c', 'a.1')
    .publish('a', 'c', 'a.2')
    .publish('b', 'c', 'b.1')
    .get('a', 'c', 'b.1', true)
    .get('b', 'c', 'b.1', true)
    .tab('f')
    .subscribe('f', 'c', ['b.1']);
}

function checksOf(history: RecordedHistory): string[] {
  return checkHistory(history).map((violation) => violation.check);
}

describe('checkHistory()', () => {
  it('should find nothing wrong in a correct history', () => {
    expect(checkHistory(correctHistory().build('f', ['a', 'b']))).toEqual([]);
  });

  it('should report a value a Subscription saw twice', () => {
    const history = correctHistory(['a.1', 'a.2', 'a.2', 'b.1']).build('f', ['a', 'b']);
    expect(checksOf(history)).toEqual(['duplicate']);
  });

  it('should report a value seen that was never published', () => {
    const history = correctHistory(['a.1', 'a.2', 'x.9', 'b.1']).build('f', ['a', 'b']);
    expect(checksOf(history)).toEqual(['phantom']);
  });

  it('should report two tabs that saw two values in opposite orders', () => {
    const history = correctHistory(['a.2', 'a.1', 'b.1']).build('f', ['a', 'b']);
    expect(checksOf(history)).toContain('order');
  });

  it('should report an acknowledged value a continuously subscribed tab never saw', () => {
    const history = correctHistory(['a.1', 'b.1']).build('f', ['a', 'b']);
    expect(checkHistory(history)).toEqual([
      expect.objectContaining({ check: 'lost', tab: 'b', channel: 'c', value: 'a.2' }),
    ]);
  });

  it('should not hold a tab to values published while it reconnected', () => {
    const history = new HistoryBuilder()
      .tab('a')
      .tab('b')
      .subscribe('a', 'c', ['a.1', 'a.2', 'b.1'])
      .subscribe('b', 'c', ['a.1', 'b.1'])
      .publish('a', 'c', 'a.1')
      .state('b', 'reconnecting')
      .publish('a', 'c', 'a.2')
      .state('b', 'open')
      .publish('b', 'c', 'b.1')
      .get('a', 'c', 'b.1', true)
      .get('b', 'c', 'b.1', true)
      .tab('f')
      .subscribe('f', 'c', ['b.1'])
      .build('f', ['a', 'b']);
    expect(checkHistory(history)).toEqual([]);
  });

  it('should report tabs whose final gets disagree, and a new tab that gets something else', () => {
    const disagreeing = correctHistory().build('f', ['a', 'b']);
    disagreeing.tabs[1]!.requests.find((request) => request.final)!.result = 'a.2';
    expect(checksOf(disagreeing)).toEqual(['final']);
    const builder = correctHistory();
    builder.last('f').values.splice(0, 1, 'a.2');
    expect(checksOf(builder.build('f', ['a', 'b']))).toEqual(['final']);
  });

  it('should report a value back after an acknowledged clear, unless a restart came after', () => {
    const builder = correctHistory().clear('a', 'c');
    expect(checksOf(builder.build('f', ['a', 'b']))).toEqual(['final']);
    const restart = { what: 'kill', startedAt: 9e15, endedAt: 9e15, replaces: 'always' } as const;
    expect(checksOf(builder.build('f', ['a', 'b'], [restart]))).toEqual([]);
  });

  it('should report an Observable that errored or completed by itself', () => {
    const builder = correctHistory();
    builder.last('f').error = 'TimeoutError: subscribe("c") timed out';
    expect(checksOf(builder.build('f', ['a', 'b']))).toEqual(['observable']);
    const completed = correctHistory();
    completed.last('a').completedTick = 99;
    expect(checksOf(completed.build('f', ['a', 'b']))).toEqual(['observable']);
  });

  it('should report a request refused with anything but a TimeoutError', () => {
    const refused = correctHistory().publish('a', 'c', 'a.3', {
      outcome: 'rejected',
      errorName: 'LimitError',
      error: 'LimitError: payload limit exceeded',
    });
    expect(checksOf(refused.build('f', ['a', 'b']))).toEqual(['rejected']);
    const late = correctHistory().publish('a', 'c', 'a.3', {
      outcome: 'rejected',
      errorName: 'TimeoutError',
      error: 'TimeoutError: publish("c") timed out',
    });
    expect(checksOf(late.build('f', ['a', 'b']))).toEqual([]);
  });

  it('should report a hub replaced when no fault could replace it', () => {
    const history = correctHistory().build('f', ['a', 'b']);
    history.tabs[1]!.hubs.push({ hub: 'hub-2', at: 5_000 });
    const fault = (replaces: FaultTimes['replaces'], at: number): FaultTimes => ({
      what: replaces,
      startedAt: at,
      endedAt: at,
      replaces,
    });
    expect(checksOf(history)).toEqual(['restart']);
    expect(checksOf({ ...history, faults: [fault('never', 4_000)] })).toEqual(['restart']);
    expect(checksOf({ ...history, faults: [fault('maybe', 6_000)] })).toEqual(['restart']);
    expect(checksOf({ ...history, faults: [fault('maybe', 4_000)] })).toEqual([]);
    expect(checksOf({ ...history, faults: [fault('always', 4_000)] })).toEqual([]);
  });
});
