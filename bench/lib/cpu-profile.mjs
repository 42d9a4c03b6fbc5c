/** Reads a V8 CPU profile (DevTools `.cpuprofile` format): where the time went, by function. */

/**
 * The `count` functions with the most self time, with their share of the busy (not idle) time, and the
 * busy time itself. `(program)` is the engine's native work outside JavaScript, e.g. message dispatch.
 */
export function topFunctions(profile, count = 12) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const file = url.split('/').pop().split('?')[0];
    const name = `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
    if (name === '(idle)') return;
    self.set(name, (self.get(name) ?? 0) + micros);
    total += micros;
  });
  const functions = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / total }));
  return { busyMs: total / 1000, functions };
}

export function formatTop(title, { busyMs, functions }) {
  const lines = functions.map(
    ({ name, ms, share }) =>
      `${ms.toFixed(1).padStart(9)} ms ${(share * 100).toFixed(1).padStart(5)}%  ${name}`,
  );
  return [`${title} ${busyMs.toFixed(0)} ms busy, by self time:`, ...lines].join('\n');
}
