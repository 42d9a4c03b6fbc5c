/**
 * What `run` throws, to compare whole errors (class and message) with `toStrictEqual`; fails the test when
 * `run` throws nothing.
 */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
