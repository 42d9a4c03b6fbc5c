let count = 0;

/** A channel name no other case (or earlier run against the same hub) has used: `prefix-<n>-<random>`. */
export function freshChannel(prefix: string): string {
  count += 1;
  return `${prefix}-${count}-${Math.random().toString(36).slice(2, 8)}`;
}
