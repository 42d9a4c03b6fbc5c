import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { CHANNEL_TYPES, REQUEST_TYPES } from '../../src/protocol.js';
import { Hub, type HubOptions } from '../../src/worker/hub.js';
import { FakeEndpoint, endOfTask } from '../helpers/fake-endpoint.js';

/*
 * Property-based tests: generated hostile input thrown at a hub through a synchronous fake port.
 *
 * Per run of this file: 400 runs × 20 invalid messages (8,000), 100 runs × 20 messages over the rate limit
 * (2,000), and 200 runs × 25 mixed valid and invalid messages (5,000): 15,000 generated messages in all,
 * counted as they are sent and checked by the last test.
 */

const INVALID_RUNS = 400;
const INVALID_PER_RUN = 20;
const LIMITED_RUNS = 100;
const LIMITED_PER_RUN = 20;
const MIXED_RUNS = 200;
const MIXED_PER_RUN = 25;
const TOTAL =
  INVALID_RUNS * INVALID_PER_RUN + LIMITED_RUNS * LIMITED_PER_RUN + MIXED_RUNS * MIXED_PER_RUN;

/** Every type the hub may serve: generated "invalid" input never has one. */
const SERVED_TYPES: readonly string[] = [...REQUEST_TYPES, 'batch'];
/** Names a plain-object store would get wrong, plus an ordinary one. */
const CHANNELS = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'prices'];

type Message = Record<string, unknown>;

/** An invalid message to post, and for each error it must cause, the requestId it must echo. */
interface Invalid {
  data: unknown;
  /** One entry per expected error, in order; `unchecked` where the generator cannot know. */
  errors: Array<{ requestId?: number | string } | 'unchecked'>;
}

let sent = 0;

/** True when the parsed value could be a request or batch the hub would serve: such input is not "invalid". */
function mightBeServed(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const type = (value as Message).type;
  return typeof type === 'string' && SERVED_TYPES.includes(type);
}

function isServableText(text: string): boolean {
  try {
    return mightBeServed(JSON.parse(text));
  } catch {
    return false;
  }
}

const requestId = fc.oneof(fc.integer(), fc.string({ maxLength: 10 }));
const notNonEmptyString = fc.oneof(
  fc.constant(undefined),
  fc.constant(''),
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);
const notRequestId = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 3 }),
);
const unknownType = fc.oneof(
  fc.string().filter((type) => !SERVED_TYPES.includes(type)),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'batch', 'Subscribe', 'GET'),
  fc.integer(),
  fc.constant(null),
  fc.constant(undefined),
);
const channelName = fc.oneof(
  fc.constantFrom(...CHANNELS),
  fc.string({ minLength: 1, maxLength: 30 }),
);

/** A request of any type, correct in every field. */
const request = fc.record({
  type: fc.constantFrom(...REQUEST_TYPES),
  clientId: fc.string({ minLength: 1, maxLength: 10 }),
  channel: channelName,
  requestId,
  data: fc.jsonValue({ maxDepth: 3 }),
  version: fc.constant(1),
  seq: fc.integer({ min: 1, max: 1_000_000 }),
  lock: fc.string({ minLength: 1, maxLength: 10 }),
  features: fc.constant(['batch']),
});

/** A request with exactly one field made wrong, and the requestId its error must echo. */
const brokenRequest: fc.Arbitrary<{ message: Message; requestId?: number | string }> =
  request.chain((valid) => {
    const fields = ['type', 'clientId'];
    if (valid.type !== 'bye') fields.push('requestId');
    if ((CHANNEL_TYPES as readonly string[]).includes(valid.type)) fields.push('channel');
    if (valid.type === 'publish' || valid.type === 'restore') fields.push('data');
    if (valid.type === 'restore') fields.push('seq');
    if (valid.type === 'hello') fields.push('version', 'lock');
    return fc.constantFrom(...fields).chain((field) => {
      const wrong = {
        type: unknownType,
        clientId: notNonEmptyString,
        requestId: notRequestId,
        channel: notNonEmptyString,
        data: fc.constant(undefined),
        version: fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined)),
        seq: fc.oneof(
          fc.integer({ max: 0 }),
          fc.double().filter((seq) => !(Number.isSafeInteger(seq) && seq >= 1)),
          fc.constant(2 ** 53),
          fc.string(),
          fc.constant(null),
          fc.constant(undefined),
        ),
        lock: fc.oneof(fc.constant(''), fc.integer(), fc.boolean(), fc.constant(null)),
      }[field] as fc.Arbitrary<unknown>;
      return wrong.map((value) => ({
        message: { ...valid, [field]: value },
        ...(field === 'requestId' ? {} : { requestId: valid.requestId }),
      }));
    });
  });

/** Parsed JSON values that are not requests: what a batch may carry besides broken requests. */
const notARequest = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).filter((value) => !mightBeServed(value)),
  fc.constant({ type: 'batch', messages: [] }),
);

const invalid: fc.Arbitrary<Invalid> = fc.oneof(
  // Structured-clone values that are not strings: the hub only speaks JSON text.
  fc
    .anything({
      maxDepth: 2,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
    })
    .filter((value) => typeof value !== 'string')
    .map((data) => ({ data, errors: ['unchecked'] as Invalid['errors'] })),
  // Arbitrary text, JSON or not, that is not a request.
  fc
    .oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.json({ maxDepth: 3 }),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc.object({ maxDepth: 2, maxKeys: 5 }).map((value) => JSON.stringify(value)),
    )
    .filter((text) => !isServableText(text))
    .map((data) => ({ data, errors: ['unchecked'] as Invalid['errors'] })),
  // Records shaped like requests with one field of the wrong type or missing.
  brokenRequest.map(({ message, requestId: id }) => ({
    data: JSON.stringify(message),
    errors: [id === undefined ? {} : { requestId: id }],
  })),
  // Batches of such things: one error per item.
  fc
    .array(
      fc.oneof(
        brokenRequest.map(
          ({ message, requestId: id }): { item: unknown; error: Invalid['errors'][number] } => ({
            item: message,
            error: id === undefined ? {} : { requestId: id },
          }),
        ),
        notARequest.map((item) => ({ item, error: 'unchecked' as const })),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((items) => ({
      data: JSON.stringify({ type: 'batch', messages: items.map(({ item }) => item) }),
      errors: items.map(({ error }) => error),
    })),
);

/** What must not change for an invalid message: every channel, its value and the counters. */
function snapshot(hub: Hub): string {
  const { channels, clients, published, delivered } = hub.stats();
  return JSON.stringify({
    channels,
    clients,
    published,
    delivered,
    values: channels.map(({ channel }) => [channel, JSON.stringify(hub.get(channel))]),
  });
}

/**
 * `expect(actual).toEqual(expected)`, but only built when they differ: a jest assertion costs more than
 * the hub's whole work for one message, and these run 15,000 times.
 */
function expectSame(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toEqual(expected);
}

/** Sends one generated message; the hub must not throw. */
function throwAt(endpoint: FakeEndpoint, data: unknown): void {
  sent++;
  endpoint.deliver(data);
}

/** Checks that `replies` are exactly the expected errors, named `name`, echoing the readable requestIds. */
function expectErrors(replies: Message[], errors: Invalid['errors'], name: string): void {
  const shaped = replies.map((reply, index) => {
    const expected = errors[index];
    return {
      type: reply.type,
      name: reply.name,
      readable: typeof reply.error === 'string' && reply.error !== '',
      requestId: expected === 'unchecked' ? 'unchecked' : reply.requestId,
    };
  });
  expectSame(
    shaped,
    errors.map((expected) => ({
      type: 'error',
      name,
      readable: true,
      requestId: expected === 'unchecked' ? 'unchecked' : expected.requestId,
    })),
  );
}

/** A reply with its error text reduced to whether a person can read it: the rest is compared exactly. */
function shapeOf(reply: Message): Message {
  const { error, ...rest } = reply;
  return { ...rest, readable: typeof error === 'string' && error !== '' };
}

function isObject(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isReadableRequestId(value: unknown): value is number | string {
  return (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string';
}

/** A `hello` or a `bye`: sent once per connection, so never counted against the rate allowance. */
function isControl(request: unknown): boolean {
  return isObject(request) && (request.type === 'hello' || request.type === 'bye');
}

/**
 * Checks the replies to a generated message sent once the tab's allowance is spent:
 * - input refused before it is read (not a string, not JSON) is one ProtocolError without a requestId;
 * - a handshake or goodbye is served all the same: each one generated here is broken, so it is answered
 *   with its ProtocolError, in place;
 * - every other request of the message is refused, in ONE LimitError after those: a lone request's names
 *   its requestId and channel where readable; several requests' lists their readable requestIds (and
 *   none when none is readable).
 */
function expectOverRate(replies: Message[], data: unknown, errors: Invalid['errors']): void {
  let message: unknown;
  try {
    message = typeof data === 'string' ? JSON.parse(data) : undefined;
  } catch {
    message = undefined;
  }
  if (message === undefined) {
    expectErrors(replies, [{}], 'ProtocolError');
    return;
  }
  const requests =
    isObject(message) && message.type === 'batch' && Array.isArray(message.messages)
      ? (message.messages as unknown[])
      : [message];
  const served = errors.filter((_, index) => isControl(requests[index]));
  const refused = requests
    .filter((request) => !isControl(request))
    .map((request) => (isObject(request) ? request : {}));
  expectErrors(replies.slice(0, served.length), served, 'ProtocolError');
  const refusal = { type: 'error', name: 'LimitError', readable: true };
  const requestIds = refused.map(({ requestId }) => requestId).filter(isReadableRequestId);
  let expected: Message[];
  if (refused.length === 0) expected = [];
  else if (refused.length === 1) {
    const { requestId, channel } = refused[0]!;
    expected = [
      {
        ...refusal,
        ...(typeof channel === 'string' ? { channel } : {}),
        ...(isReadableRequestId(requestId) ? { requestId } : {}),
      },
    ];
  } else expected = [requestIds.length === 0 ? refusal : { ...refusal, requestIds }];
  expectSame(replies.slice(served.length).map(shapeOf), expected);
}

/**
 * What a port that announced `batch` received: every message it was posted carries the hub's instanceId
 * (once per envelope); returns the messages unpacked, without that stamp.
 */
function takeStamped(endpoint: FakeEndpoint, instanceId: string): Message[] {
  const messages: Message[] = [];
  for (const raw of endpoint.posted.splice(0)) {
    const message = JSON.parse(raw as string) as Message;
    expectSame(message.instanceId, instanceId);
    if (message.type === 'batch') {
      messages.push(...(message.messages as Message[]));
    } else if (message.type === 'welcome') {
      messages.push(message);
    } else {
      delete message.instanceId;
      messages.push(message);
    }
  }
  return messages;
}

/** A hub with one tab holding a value on each of CHANNELS, subscribed to all of them. */
async function hubWithVictim(
  values: unknown[],
  options?: HubOptions,
): Promise<{ hub: Hub; victim: FakeEndpoint; attacker: FakeEndpoint }> {
  const hub = new Hub(options);
  const victim = new FakeEndpoint();
  const attacker = new FakeEndpoint();
  hub.connect(victim);
  hub.connect(attacker);
  victim.deliver(
    JSON.stringify({
      type: 'batch',
      messages: CHANNELS.flatMap((channel, index) => [
        { type: 'subscribe', clientId: 'victim', channel, requestId: index },
        { type: 'publish', clientId: 'victim', channel, requestId: index, data: values[index] },
      ]),
    }),
  );
  await endOfTask();
  victim.take();
  return { hub, victim, attacker };
}

/** The victim's values are still the ones it published, and it is still served. */
async function expectVictimIntact(victim: FakeEndpoint, values: unknown[]): Promise<void> {
  victim.deliver(
    JSON.stringify({
      type: 'batch',
      messages: CHANNELS.map((channel, index) => ({
        type: 'get',
        clientId: 'victim',
        channel,
        requestId: index,
      })),
    }),
  );
  await endOfTask();
  expect(victim.take()).toEqual(
    // Its publishes took the hub's clock numbers 1 to 5 in turn; nothing since took one.
    CHANNELS.map((channel, index) => ({
      type: 'data',
      channel,
      data: JSON.parse(JSON.stringify(values[index])) as unknown,
      requestId: index,
      seq: index + 1,
    })),
  );
}

const victimValues = fc.array(fc.jsonValue({ maxDepth: 3 }), {
  minLength: CHANNELS.length,
  maxLength: CHANNELS.length,
});

describe('Hub (properties)', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it(`should answer each of ${(INVALID_RUNS * INVALID_PER_RUN).toLocaleString('en')} invalid messages with an error, change nothing, and keep the other tab's values`, async () => {
    await fc.assert(
      fc.asyncProperty(
        victimValues,
        fc.array(invalid, { minLength: INVALID_PER_RUN, maxLength: INVALID_PER_RUN }),
        async (values, messages) => {
          const { hub, victim, attacker } = await hubWithVictim(values);
          for (const { data, errors } of messages) {
            const before = snapshot(hub);
            throwAt(attacker, data);
            await endOfTask();
            expectErrors(attacker.take(), errors, 'ProtocolError');
            expectSame(victim.posted, []);
            expectSame(snapshot(hub), before);
          }
          await expectVictimIntact(victim, values);
        },
      ),
      { numRuns: INVALID_RUNS },
    );
  });

  it(`should answer each of ${(LIMITED_RUNS * LIMITED_PER_RUN).toLocaleString('en')} messages over the rate limit with one LimitError, change nothing, and never throw`, async () => {
    await fc.assert(
      fc.asyncProperty(
        victimValues,
        fc.array(
          fc.oneof(
            invalid,
            // A valid handshake or goodbye is served over the limit (hub.lifecycle.spec.ts): it would
            // change the tab, so only the requests that count are sent whole.
            request
              .filter((valid) => !isControl(valid))
              .map((valid) => ({
                data: JSON.stringify(valid),
                errors: [{ requestId: valid.requestId }] as Invalid['errors'],
              })),
          ),
          { minLength: LIMITED_PER_RUN, maxLength: LIMITED_PER_RUN },
        ),
        async (values, messages) => {
          // Time stands still, so the allowance never refills once spent.
          jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
          const { hub, victim, attacker } = await hubWithVictim(values, {
            limits: { maxRequestsPerSecond: CHANNELS.length * 2 },
          });
          attacker.deliver(
            JSON.stringify({
              type: 'batch',
              messages: Array.from({ length: CHANNELS.length * 2 }, () => ({ type: 'nothing' })),
            }),
          );
          await endOfTask();
          attacker.take();
          for (const { data, errors } of messages) {
            const before = snapshot(hub);
            throwAt(attacker, data);
            await endOfTask();
            expectOverRate(attacker.take(), data, errors);
            expectSame(victim.posted, []);
            expectSame(snapshot(hub), before);
          }
          jest.restoreAllMocks();
          await expectVictimIntact(victim, values);
        },
      ),
      { numRuns: LIMITED_RUNS },
    );
  });

  it(`should serve ${(MIXED_RUNS * MIXED_PER_RUN).toLocaleString('en')} mixed valid and invalid messages exactly as a model of channels says`, async () => {
    const validCommand = fc.record({
      client: fc.constantFrom(0, 1),
      type: fc.constantFrom('subscribe', 'unsubscribe', 'publish', 'get', 'clear', 'restore'),
      // Mostly the few shared names, so that publishes, clears, offers and subscriptions meet.
      channel: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...CHANNELS) },
        { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 4 }) },
      ),
      data: fc.jsonValue({ maxDepth: 3 }),
      // The old hub's seq a restore offers: few values, so that offers tie and lose as often as they win.
      seq: fc.integer({ min: 1, max: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            { weight: 3, arbitrary: validCommand.map((command) => ({ valid: command })) },
            { weight: 1, arbitrary: invalid.map((message) => ({ invalid: message })) },
          ),
          { minLength: MIXED_PER_RUN, maxLength: MIXED_PER_RUN },
        ),
        async (commands) => {
          const hub = new Hub();
          const tabs = [new FakeEndpoint(), new FakeEndpoint()] as const;
          const attacker = new FakeEndpoint();
          for (const endpoint of [...tabs, attacker]) hub.connect(endpoint);
          // Tab 1 takes batch envelopes and cleared pushes, tab 0 speaks only the original protocol.
          tabs[1].deliver(
            JSON.stringify({
              type: 'hello',
              clientId: 'tab-1',
              requestId: 0,
              version: 1,
              features: ['batch', 'cleared'],
            }),
          );
          await endOfTask();
          expectSame(takeStamped(tabs[1], hub.instanceId), [
            {
              type: 'welcome',
              requestId: 0,
              version: 1,
              instanceId: hub.instanceId,
              features: ['batch'],
              limits: {
                maxMessage: 1024 * 1024 + 4096,
                maxBatch: 128 * 1024,
                maxPayload: 1024 * 1024,
                maxRequestsPerSecond: 100_000,
              },
              startedAt: expect.any(Number) as number,
            },
          ]);
          const received = (): Message[][] => [
            tabs[0].take(),
            takeStamped(tabs[1], hub.instanceId),
          ];
          const hearsCleared = [false, true] as const;

          /** Each channel's value; `offer` is the old hub's seq of a value a restore offered. */
          const values = new Map<string, { json: string; seq: number; offer?: number }>();
          /** Channels this hub decided itself (a publish or a clear here): offers count no more. */
          const decided = new Set<string>();
          const subscriptions = [new Set<string>(), new Set<string>()] as const;
          /** The hub's one clock: every publish, clear and accepted offer takes its next number. */
          let clock = 0;
          let published = 0;

          for (const [index, command] of commands.entries()) {
            if ('invalid' in command) {
              const before = snapshot(hub);
              throwAt(attacker, command.invalid.data);
              await endOfTask();
              expectErrors(attacker.take(), command.invalid.errors, 'ProtocolError');
              expectSame(snapshot(hub), before);
              expectSame(received(), [[], []]);
              continue;
            }
            const { client, type, channel, data, seq } = command.valid;
            const requestId = index + 1;
            throwAt(
              tabs[client],
              JSON.stringify({ type, clientId: `tab-${client}`, channel, requestId, data, seq }),
            );
            await endOfTask();

            const expected: [Message[], Message[]] = [[], []];
            const mine = expected[client];
            const push = (value: { json: string; seq: number }): Message => ({
              type: 'data',
              channel,
              data: JSON.parse(value.json) as unknown,
              seq: value.seq,
            });
            const fanOut = (value: { json: string; seq: number }): void => {
              for (const [tab, channels] of subscriptions.entries()) {
                if (channels.has(channel)) expected[tab]?.push(push(value));
              }
            };
            const current = values.get(channel);
            switch (type) {
              case 'subscribe':
                subscriptions[client].add(channel);
                mine.push({
                  type: 'subscribed',
                  channel,
                  requestId,
                  ...(current ? { seq: current.seq } : {}),
                });
                if (current) mine.push(push(current));
                break;
              case 'unsubscribe':
                subscriptions[client].delete(channel);
                mine.push({ type: 'unsubscribed', channel, requestId });
                break;
              case 'publish': {
                const value = { json: JSON.stringify(data), seq: ++clock };
                values.set(channel, value);
                decided.add(channel);
                published++;
                fanOut(value);
                mine.push({ type: 'published', channel, requestId });
                break;
              }
              case 'clear': {
                const cleared = ++clock;
                decided.add(channel);
                // Only a channel that had a value has news for its subscribers.
                if (current) {
                  values.delete(channel);
                  for (const [tab, channels] of subscriptions.entries()) {
                    if (channels.has(channel) && hearsCleared[tab]) {
                      expected[tab]?.push({ type: 'cleared', channel, seq: cleared });
                    }
                  }
                }
                mine.push({ type: 'cleared', channel, requestId, seq: cleared });
                break;
              }
              case 'restore': {
                // Where this hub decided nothing, every value is an offer: the highest old seq wins.
                if (!decided.has(channel) && seq > (current?.offer ?? 0)) {
                  const json = JSON.stringify(data);
                  if (current?.offer !== undefined && current.json === json) {
                    // The value it holds, offered again: only its rank rises; no number, no push.
                    values.set(channel, { ...current, offer: seq });
                  } else {
                    const value = { json, seq: ++clock, offer: seq };
                    values.set(channel, value);
                    fanOut(value);
                  }
                }
                mine.push({ type: 'restored', channel, requestId });
                break;
              }
              case 'get':
                mine.push(
                  current ? { ...push(current), requestId } : { type: 'data', channel, requestId },
                );
                break;
            }
            expectSame(received(), expected);
            expectSame(attacker.posted, []);
            expectSame(hub.stats().published, published);
          }

          for (const { valid } of commands.filter((command) => 'valid' in command)) {
            expect(JSON.stringify(hub.get(valid.channel))).toBe(values.get(valid.channel)?.json);
          }
        },
      ),
      { numRuns: MIXED_RUNS },
    );
  });

  it(`should have thrown at least 10,000 generated messages at the hub in this run (${TOTAL.toLocaleString('en')} planned)`, () => {
    expect(sent).toBeGreaterThanOrEqual(10_000);
  });
});
