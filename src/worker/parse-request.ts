import {
  CHANNEL_TYPES,
  REQUEST_TYPES,
  describeValue,
  isRecord,
  isRequestId,
  type JsonValue,
  type Request,
} from '../protocol.js';

/** A request the hub could not accept, with what it could read of it. */
export interface InvalidRequest {
  invalid: string;
  requestId?: number | string;
  channel?: string;
}

const REQUEST_TYPE_SET: ReadonlySet<string> = new Set(REQUEST_TYPES);
const CHANNEL_TYPE_SET: ReadonlySet<string> = new Set(CHANNEL_TYPES);

/** What an error reply can still carry of a refused message: its requestId and channel, if readable. */
function readable(requestId: unknown, channel: unknown): Omit<InvalidRequest, 'invalid'> {
  return {
    ...(isRequestId(requestId) ? { requestId } : {}),
    ...(typeof channel === 'string' ? { channel } : {}),
  };
}

/**
 * Turns one untrusted, already JSON-parsed message into a typed request, or says why it is not one.
 * Handlers only ever see what this returns.
 */
export function parseRequest(message: unknown): Request | InvalidRequest {
  if (!isRecord(message))
    return { invalid: `message must be a JSON object, got ${describeValue(message)}` };
  const { type, clientId, channel, requestId } = message;
  if (typeof type !== 'string' || !REQUEST_TYPE_SET.has(type)) {
    return {
      invalid: `unknown message type ${describeValue(type)}`,
      ...readable(requestId, channel),
    };
  }
  if (typeof clientId !== 'string' || clientId === '') {
    return {
      invalid: `${type}: clientId must be a non-empty string, got ${describeValue(clientId)}`,
      ...readable(requestId, channel),
    };
  }
  if (type === 'bye') return { type, clientId };
  if (!isRequestId(requestId)) {
    return {
      invalid: `${type}: requestId must be a number or a string, got ${describeValue(requestId)}`,
      ...readable(requestId, channel),
    };
  }
  if (type === 'stats' || type === 'ping') return { type, clientId, requestId };
  if (type === 'hello') {
    const { version, features, lock, session } = message;
    if (typeof version !== 'number') {
      return {
        invalid: `hello: version must be a number, got ${describeValue(version)}`,
        requestId,
      };
    }
    if (lock !== undefined && (typeof lock !== 'string' || lock === '')) {
      return {
        invalid: `hello: lock must be a non-empty string, got ${describeValue(lock)}`,
        requestId,
      };
    }
    if (session !== undefined && (typeof session !== 'string' || session === '')) {
      return {
        invalid: `hello: session must be a non-empty string, got ${describeValue(session)}`,
        requestId,
      };
    }
    const known = Array.isArray(features)
      ? features.filter((f): f is string => typeof f === 'string')
      : [];
    return {
      type,
      clientId,
      requestId,
      version,
      features: known,
      ...(lock ? { lock } : {}),
      ...(session ? { session } : {}),
    };
  }
  if (CHANNEL_TYPE_SET.has(type) && (typeof channel !== 'string' || channel === '')) {
    return {
      invalid: `${type}: channel must be a non-empty string, got ${describeValue(channel)}`,
      requestId,
    };
  }
  const name = channel as string;
  switch (type) {
    case 'publish':
    case 'restore': {
      if (!('data' in message) || message.data === undefined) {
        return { invalid: `${type}: data is required`, requestId, channel: name };
      }
      const data = message.data as JsonValue;
      if (type === 'publish') {
        const again = message.again === true ? { again: true } : {};
        return { type, clientId, requestId, channel: name, data, ...again };
      }
      const { seq } = message;
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
        return {
          invalid: `restore: seq must be a positive integer, got ${describeValue(seq)}`,
          requestId,
          channel: name,
        };
      }
      const epoch =
        typeof message.epoch === 'number' && Number.isFinite(message.epoch) ? message.epoch : 0;
      return { type, clientId, requestId, channel: name, data, seq, epoch };
    }
    case 'subscribe':
    case 'unsubscribe':
    case 'get':
    case 'clear':
      return { type, clientId, requestId, channel: name };
    default:
      return { invalid: `unknown message type ${describeValue(type)}`, requestId };
  }
}

/** True when {@link parseRequest} refused the message. */
export function isInvalidRequest(parsed: Request | InvalidRequest): parsed is InvalidRequest {
  return 'invalid' in parsed;
}
