/** A reproducible stream of random numbers: the same seed gives the same stream. */
export interface SeededRandom {
  /** A number in [0, 1). */
  next(): number;
  /** A whole number in [min, max], both included. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): tiny, fast, and good enough to drive a workload; not
 * for anything secret.
 *
 * ```ts
 * const random = createRandom(42);
 * random.int(1, 6); // the same sequence of throws on every run with seed 42
 * ```
 */
export function createRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new TypeError('pick(): items must not be empty');
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

/** A seed for one part of a run, from the run's (`deriveSeed(seed, 'elected')`): parts replay alone. */
export function deriveSeed(seed: number, part: string): number {
  let hash = seed >>> 0;
  for (const char of part) hash = Math.imul(hash ^ char.charCodeAt(0), 0x9e3779b1) >>> 0;
  return hash;
}

/**
 * The seed named by the environment variable `name` (a whole number from 0 to 2^32 - 1), or a fresh
 * random one when it is unset.
 *
 * @throws {TypeError} when the variable is set to anything else.
 */
export function seedFromEnvironment(name: string): number {
  const given = process.env[name];
  if (given === undefined || given === '') return Math.floor(Math.random() * 4_294_967_296);
  const seed = Number(given);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 4_294_967_296) {
    throw new TypeError(`${name} must be a whole number from 0 to 4294967295, got "${given}"`);
  }
  return seed;
}
