import { DEFAULT_LIMITS, resolveLimits, type HubLimits } from '../../src/worker/limits.js';
import { thrownBy } from '../helpers/thrown-by.js';

describe('DEFAULT_LIMITS', () => {
  it('should be 1 MiB of payload, 256-character names, 100,000 channels, 10,000 subscriptions per tab and 100,000 requests per second per tab', () => {
    expect(DEFAULT_LIMITS).toStrictEqual({
      maxPayload: 1_048_576,
      maxChannelName: 256,
      maxChannels: 100_000,
      maxSubscriptionsPerClient: 10_000,
      maxRequestsPerSecond: 100_000,
    });
  });
});

describe('resolveLimits()', () => {
  it('should return the defaults when given nothing', () => {
    expect(resolveLimits()).toStrictEqual(DEFAULT_LIMITS);
    expect(resolveLimits({})).toStrictEqual(DEFAULT_LIMITS);
  });

  it('should return a copy, so changing it leaves the defaults alone', () => {
    const limits = resolveLimits();
    limits.maxPayload = 1;
    expect(DEFAULT_LIMITS.maxPayload).toBe(1_048_576);
  });

  it('should override only the limits given', () => {
    expect(resolveLimits({ maxPayload: 100, maxChannels: 5 })).toStrictEqual({
      ...DEFAULT_LIMITS,
      maxPayload: 100,
      maxChannels: 5,
    });
  });

  it('should keep the default for a limit given as undefined', () => {
    const limits: Partial<HubLimits> = { maxPayload: undefined, maxChannels: 5 };
    expect(resolveLimits(limits)).toStrictEqual({ ...DEFAULT_LIMITS, maxChannels: 5 });
  });

  it.each([
    ['maxPayload', 0, '0'],
    ['maxChannelName', -1, '-1'],
    ['maxChannels', 1.5, '1.5'],
    ['maxSubscriptionsPerClient', NaN, 'NaN'],
    ['maxPayload', Infinity, 'Infinity'],
    ['maxChannels', '10', '10'],
    ['maxChannelName', null, 'null'],
    ['maxRequestsPerSecond', 0.5, '0.5'],
  ] as const)('should refuse %s = %p with a TypeError that names it', (key, value, shown) => {
    expect(thrownBy(() => resolveLimits({ [key]: value as never }))).toStrictEqual(
      new TypeError(`new Hub(): limits.${key} must be a positive integer, got ${shown}`),
    );
  });
});
