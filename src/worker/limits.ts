import { LimitError } from '../errors.js';
import { checkChannel } from '../protocol.js';

/** What one hub accepts. Exceeding a limit rejects that request with a `LimitError`; nothing else changes. */
export interface HubLimits {
  /** Largest value, in characters of its JSON text. Default 1 MiB (1,048,576). */
  maxPayload: number;
  /** Longest channel name, in characters. Default 256. */
  maxChannelName: number;
  /** Most channels one hub holds. Default 100,000. */
  maxChannels: number;
  /** Most channels one tab subscribes to at once. Default 10,000. */
  maxSubscriptionsPerClient: number;
  /**
   * Most requests one tab sends per second, averaged: a tab may burst this many at once, then is refilled
   * at this rate. Default 100,000, far above a legitimate burst of 10,000 publishes in a row.
   */
  maxRequestsPerSecond: number;
}

export const DEFAULT_LIMITS: Readonly<HubLimits> = {
  maxPayload: 1024 * 1024,
  maxChannelName: 256,
  maxChannels: 100_000,
  maxSubscriptionsPerClient: 10_000,
  maxRequestsPerSecond: 100_000,
};

/** The defaults, overridden by what the caller gave, each checked to be a positive whole number. */
export function resolveLimits(
  limits: { [K in keyof HubLimits]?: HubLimits[K] | undefined } = {},
): HubLimits {
  const given = Object.entries(limits).filter(([, value]) => value !== undefined);
  const resolved: HubLimits = { ...DEFAULT_LIMITS, ...Object.fromEntries(given) };
  for (const [key, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new TypeError(
        `new Hub(): limits.${key} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  return resolved;
}

/** Throws a `LimitError` when a value's JSON is over `maxPayload`; returns it otherwise. */
export function checkPayload(json: string, limits: HubLimits): string {
  if (json.length > limits.maxPayload) {
    throw new LimitError(
      `payload limit exceeded: ${json.length} characters of JSON (limits.maxPayload is ${limits.maxPayload})`,
    );
  }
  return json;
}

/** Throws unless `name` is a channel name this hub takes: a non-empty string within `maxChannelName`. */
export function checkChannelName(
  name: unknown,
  call: string,
  limits: HubLimits,
): asserts name is string {
  checkChannel(name, call);
  if (name.length > limits.maxChannelName) {
    throw new LimitError(
      `channel name limit exceeded: ${name.length} characters (limits.maxChannelName is ${limits.maxChannelName})`,
    );
  }
}
