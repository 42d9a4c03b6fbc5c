import { randomId } from '../src/id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Runs `run` with `globalThis.crypto` replaced by `replacement`, then puts the real one back. */
function withCrypto<T>(replacement: unknown, run: () => T): T {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  Object.defineProperty(globalThis, 'crypto', { value: replacement, configurable: true });
  try {
    return run();
  } finally {
    if (original) Object.defineProperty(globalThis, 'crypto', original);
    else delete (globalThis as { crypto?: unknown }).crypto;
  }
}

function manyIds(count: number): string[] {
  return Array.from({ length: count }, () => randomId());
}

describe('randomId', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('should return a UUID where crypto.randomUUID exists', () => {
    expect(typeof crypto.randomUUID).toBe('function');
    expect(randomId()).toMatch(UUID);
  });

  it("should return crypto.randomUUID's id where it exists", () => {
    jest.spyOn(crypto, 'randomUUID').mockReturnValue('00000000-0000-4000-8000-000000000000');
    expect(randomId()).toBe('00000000-0000-4000-8000-000000000000');
  });

  it('should return a different id on each of 10,000 calls', () => {
    expect(new Set(manyIds(10_000)).size).toBe(10_000);
  });

  describe.each([
    ['without crypto', undefined],
    ['where crypto has no randomUUID (an insecure context)', { getRandomValues: () => undefined }],
  ])('%s', (_where, replacement) => {
    it('should return a non-empty id', () => {
      const id = withCrypto(replacement, () => randomId());
      expect(typeof id).toBe('string');
      expect(id).toMatch(/^[0-9a-z]+-[0-9a-z]+$/);
    });

    it('should return a different id on each of 10,000 calls', () => {
      const ids = withCrypto(replacement, () => manyIds(10_000));
      expect(new Set(ids).size).toBe(10_000);
    });
  });
});
