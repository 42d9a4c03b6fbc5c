/**
 * Retries `assertion` until it passes, and fails with its last error after `timeoutMs`.
 *
 * For outcomes with no event to wait on, such as the hub forgetting a closed tab.
 *
 * ```ts
 * await eventually(async () => expect((await tab.stats()).clients).toBe(2));
 * ```
 */
export async function eventually(
  assertion: () => Promise<void>,
  { timeoutMs = 5_000, intervalMs = 100 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() + intervalMs > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
