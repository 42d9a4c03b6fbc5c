import { LimitError, ProtocolError } from '../errors.js';
import { hasNonFiniteNumber } from './non-finite.js';
import { describeValue, isRecord, isRequestId } from '../protocol.js';
import { encodeError, peekRequestId } from '../wire.js';

/** Room for a message's own fields around the largest value it may carry (clientId, channel, ids). */
export const ENVELOPE = 4096;

/** The smallest a batch may always be, so tight value limits do not make tabs send one request a hop. */
const MIN_BATCH = 64 * 1024;

const BATCH_START = /^\s*\{\s*"type"\s*:\s*"batch"/;

/**
 * The largest batch a hub reads, in characters. A batch is the only message that can hold many requests,
 * so its size bounds what one message can cost the hub (one parse, and a refusal or an answer for each
 * request in it); a client splits what it sends to fit.
 */
const MAX_BATCH = 128 * 1024;

/** After this many refusals in one message, the rest of it is refused in one reply, unread. */
export const MAX_REFUSALS = 64;

/** The largest message a hub with this value limit reads: one request carrying the largest value. */
export function maxMessageFor(maxPayload: number): number {
  return Math.max(maxPayload, MIN_BATCH) + ENVELOPE;
}

/** The largest batch a hub with this value limit reads. */
export function maxBatchFor(maxPayload: number): number {
  return Math.min(MAX_BATCH, maxMessageFor(maxPayload));
}

/** A message the hub could read: its requests in order, and what the client says it has settled. */
export interface OpenedMessage {
  readonly requests: readonly unknown[];
  /** The client settled every request it numbered up to this (see `Session.forgetThrough`). */
  readonly settled: number | undefined;
  /**
   * True when the text holds a number JSON parsing turned into Infinity (`1e400`): the requests carrying
   * one must be refused, since their value would change on the way.
   */
  readonly nonFinite: boolean;
}

/** A message refused unread, with the requestId when one could be read at no cost. */
export interface RefusedMessage {
  readonly refused: Error;
  readonly requestId?: number | string;
}

/**
 * The first step of every message a port delivers: bound its size before parsing (parsing is the costly
 * part of a flood), parse it, and unwrap a batch. Costs O(1) for a message it refuses, and one parse for
 * one it reads.
 */
export function openMessage(
  raw: unknown,
  maxMessage: number,
  maxBatch = maxMessage,
): OpenedMessage | RefusedMessage {
  if (typeof raw !== 'string') {
    return {
      refused: new ProtocolError(`message must be a JSON string, got ${describeValue(raw)}`),
    };
  }
  if (raw.length > maxBatch && raw.length <= maxMessage && BATCH_START.test(raw.slice(0, 64))) {
    return {
      refused: new LimitError(
        `payload limit exceeded: batch of ${raw.length} characters (the hub reads batches of at most ${maxBatch}; split it)`,
      ),
    };
  }
  if (raw.length > maxMessage) {
    const refused = new LimitError(
      `payload limit exceeded: message of ${raw.length} characters (the hub reads at most ${maxMessage}; limits.maxPayload)`,
    );
    // A batch's first requestId is one request's among many: only a lone request is named.
    const lone = !BATCH_START.test(raw.slice(0, 64));
    const requestId = lone ? peekRequestId(raw) : undefined;
    return requestId === undefined ? { refused } : { refused, requestId };
  }
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return { refused: new ProtocolError('message is not valid JSON') };
  }
  const settled =
    isRecord(message) &&
    typeof message.settled === 'number' &&
    Number.isSafeInteger(message.settled)
      ? message.settled
      : undefined;
  const batch =
    isRecord(message) && message.type === 'batch' && Array.isArray(message.messages)
      ? message.messages
      : undefined;
  return { requests: batch ?? [message], settled, nonFinite: hasNonFiniteNumber(raw, message) };
}

/** True for a `hello` or a `bye`: what a well-behaved connection sends once, not counted by the rate limit. */
export function isControl(request: unknown): boolean {
  return isRecord(request) && (request.type === 'hello' || request.type === 'bye');
}

/**
 * The one reply to every request of a message over the rate allowance: O(1) work per request, nothing
 * applied. A lone request is refused as the original protocol has it; several together, by requestId.
 */
export function encodeOverRate(refused: readonly unknown[], maxRequestsPerSecond: number): string {
  const error = new LimitError(
    `request rate limit exceeded: more than ${maxRequestsPerSecond} requests per second from this tab (limits.maxRequestsPerSecond)`,
  );
  return encodeRefusedTogether(refused, error);
}

/**
 * The one reply to the rest of a message after {@link MAX_REFUSALS} refusals in it: a client that
 * follows the protocol never gets there, and a flood of bad requests costs O(1) each.
 */
export function encodeRefusedRest(rest: readonly unknown[]): string {
  const error = new ProtocolError(
    `more than ${MAX_REFUSALS} requests of this message were refused; the remaining ${rest.length} were refused unread`,
  );
  return encodeRefusedTogether(rest, error);
}

/** One refusal for several requests: a lone one as the original protocol has it, several by requestId. */
function encodeRefusedTogether(refused: readonly unknown[], error: Error): string {
  const requestIds: Array<number | string> = [];
  for (const request of refused) {
    const requestId = isRecord(request) ? request.requestId : undefined;
    if (isRequestId(requestId)) {
      requestIds.push(requestId);
    }
  }
  if (refused.length === 1) {
    const channel = isRecord(refused[0]) ? refused[0].channel : undefined;
    return encodeError(error, requestIds[0], typeof channel === 'string' ? channel : undefined);
  }
  return encodeError(error, undefined, undefined, requestIds.length > 0 ? requestIds : undefined);
}
