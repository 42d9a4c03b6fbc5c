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
export function resolveLimits(limits: Partial<HubLimits> = {}): HubLimits {
  const given = Object.entries(limits).filter(([, value]) => value !== undefined);
  const resolved: HubLimits = { ...DEFAULT_LIMITS, ...Object.fromEntries(given) };
  for (const [key, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new TypeError(
        `startSharedWorker(): limits.${key} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  return resolved;
}
