/** `[0, 1, …, count - 1]`. */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

/**
 * How many times a sequence of `a…`/`b…` labels switches from one publisher to the other: a case that
 * interleaves two publishers checks with it that they really interleaved.
 */
export function publisherSwitches(sequence: readonly unknown[]): number {
  let switches = 0;
  for (let index = 1; index < sequence.length; index++) {
    if (String(sequence[index]).charAt(0) !== String(sequence[index - 1]).charAt(0)) switches++;
  }
  return switches;
}
