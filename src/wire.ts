/**
 * The encoders of the wire protocol, beside its decoders in `protocol.ts`. Messages are built as JSON text
 * by hand where they carry a value: the value's JSON is made once, when it is published, and spliced into
 * every message that carries it, never parsed and serialised again per subscriber.
 *
 * No other file builds a message by string surgery.
 */
import { toWire } from './errors.js';
import type { AckResponse, WireLimits } from './protocol.js';

type RequestId = number | string;

/** A message's requestId as a JSON field, or nothing when it has none. */
function requestIdField(requestId: RequestId | undefined): string {
  return requestId === undefined ? '' : `,"requestId":${JSON.stringify(requestId)}`;
}

function seqField(seq: number | undefined): string {
  return seq === undefined ? '' : `,"seq":${seq}`;
}

/** A channel's value: pushed to a subscriber (no requestId), or the reply to `get`. */
export function encodeData(
  channel: string,
  json: string,
  seq: number,
  requestId?: RequestId,
): string {
  return `{"type":"data","channel":${JSON.stringify(channel)},"data":${json}${requestIdField(requestId)},"seq":${seq}}`;
}

/** The reply to `get` for a channel without a value. */
export function encodeNoData(channel: string, requestId: RequestId): string {
  return `{"type":"data","channel":${JSON.stringify(channel)}${requestIdField(requestId)}}`;
}

/** `subscribed`, `unsubscribed`, `published` or `restored`; `seq` only on `subscribed` (see AckResponse). */
export function encodeAck(
  type: AckResponse['type'],
  channel: string,
  requestId: RequestId,
  seq?: number,
): string {
  return `{"type":"${type}","channel":${JSON.stringify(channel)}${requestIdField(requestId)}${seqField(seq)}}`;
}

/** The reply to `clear` (with its requestId), or the push that tells a subscriber (without). */
export function encodeCleared(channel: string, seq: number, requestId?: RequestId): string {
  return `{"type":"cleared","channel":${JSON.stringify(channel)}${requestIdField(requestId)},"seq":${seq}}`;
}

/** A refusal: of one request (`requestId`), of several (`requestIds`), or of an unreadable message. */
export function encodeError(
  error: unknown,
  requestId?: RequestId,
  channel?: string,
  requestIds?: readonly RequestId[],
): string {
  const { name, message } = toWire(error);
  return JSON.stringify({ type: 'error', error: message, name, channel, requestId, requestIds });
}

/** The hub's answer to `hello`. */
export function encodeWelcome(fields: {
  requestId: RequestId;
  version: number;
  instanceId: string;
  features: readonly string[];
  lock: string | undefined;
  limits: WireLimits;
  startedAt: number;
}): string {
  return JSON.stringify({ type: 'welcome', ...fields });
}

/** A request from a tab: `body` holds its fields after `clientId` (`,"channel":"x","requestId":1`). */
export function encodeRequest(type: string, clientIdJson: string, body: string): string {
  return `{"type":"${type}","clientId":${clientIdJson}${body}}`;
}

/** Several messages as one; `fields` (`,"settled":4`) go on the envelope. */
export function encodeBatch(messages: readonly string[], fields = ''): string {
  return `{"type":"batch"${fields},"messages":[${messages.join(',')}]}`;
}

/** A single message with extra top-level fields (`,"instanceId":"x"`) spliced in before its end. */
export function withFields(message: string, fields: string): string {
  return fields === '' ? message : `${message.slice(0, -1)}${fields}}`;
}

/**
 * Reads the requestId of a message too big to parse, from the first characters only: clients write it
 * before the value (`{"type":"publish","clientId":"...","channel":"...","requestId":7,"data":...}`), so a
 * refusal can still name the request it refuses at O(1) cost.
 */
export function peekRequestId(raw: string): RequestId | undefined {
  const match = /"requestId":(?:(\d{1,15})\b|("(?:[^"\\]|\\.){0,128}"))/.exec(raw.slice(0, 2048));
  if (!match) return undefined;
  if (match[1] !== undefined) return Number(match[1]);
  try {
    return JSON.parse(match[2]!) as string;
  } catch {
    return undefined;
  }
}
