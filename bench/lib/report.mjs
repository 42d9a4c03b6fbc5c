/** Turns the records of all repetitions into medians, a printed table with ratios, and the targets. */
import { median } from './stats.mjs';

export const LIBRARY = 'shared-channels';
const BASELINES = ['raw-clone', 'raw-json', 'broadcast'];

const NUMERIC_SKIP = new Set(['rep', 'tabs']);

/** Medians over repetitions, one entry per scenario, implementation, tab count and payload. */
export function summarise(records) {
  const groups = new Map();
  for (const record of records) {
    const key = [record.scenario, record.implementation, record.tabs, record.payload].join('|');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(record);
  }
  const summary = [];
  for (const group of groups.values()) {
    const [first] = group;
    const entry = {
      scenario: first.scenario,
      implementation: first.implementation,
      tabs: first.tabs,
      payload: first.payload,
      reps: group.length,
    };
    for (const [key, value] of Object.entries(first)) {
      if (typeof value === 'number' && !NUMERIC_SKIP.has(key)) {
        entry[key] = median(group.map((record) => record[key]));
      }
    }
    const problems = group.flatMap((record) => record.problems ?? []);
    if (problems.length > 0) entry.problems = problems;
    summary.push(entry);
  }
  return summary;
}

function find(summary, scenario, implementation, tabs, payload) {
  return summary.find(
    (entry) =>
      entry.scenario === scenario &&
      entry.implementation === implementation &&
      entry.tabs === tabs &&
      entry.payload === payload,
  );
}

function formatNumber(value) {
  if (value === undefined || Number.isNaN(value)) return 'n/a';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatRatio(value) {
  return value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(2)}x`;
}

function table(header, rows) {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => row[i].length)),
  );
  const line = (cells) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

/**
 * One section: a row per tab count and payload, a column per implementation (`show` formats an entry)
 * and one ratio column per baseline (`metric` picks the number compared).
 */
function section(title, summary, scenario, { implementations, keys, show, metric }) {
  const present = implementations.filter((name) =>
    summary.some((entry) => entry.scenario === scenario && entry.implementation === name),
  );
  const baselines = present.includes(LIBRARY) ? present.filter((name) => name !== LIBRARY) : [];
  const header = ['payload', 'tabs', ...present, ...baselines.map((name) => `/${name}`)];
  const rows = keys
    .filter(([tabs, payload]) =>
      present.some((name) => find(summary, scenario, name, tabs, payload)),
    )
    .map(([tabs, payload]) => {
      const entries = present.map((name) => find(summary, scenario, name, tabs, payload));
      const library = find(summary, scenario, LIBRARY, tabs, payload);
      const ratios = baselines.map((name) => {
        const baseline = find(summary, scenario, name, tabs, payload);
        return formatRatio(library && baseline ? metric(library) / metric(baseline) : undefined);
      });
      return [
        payload,
        String(tabs),
        ...entries.map((entry) => (entry ? show(entry) : 'n/a')),
        ...ratios,
      ];
    });
  return `${title}\n${table(header, rows)}`;
}

function keysOf(summary) {
  const tabs = [...new Set(summary.map((entry) => entry.tabs))].sort((a, b) => a - b);
  const payloads = [...new Set(summary.map((entry) => entry.payload))];
  return payloads.flatMap((payload) => tabs.map((count) => [count, payload]));
}

/** The targets of issue 7, each with what was measured; `pass` is undefined when not measurable. */
export function checkTargets(summary, node) {
  const tabs = [...new Set(summary.map((entry) => entry.tabs))].sort((a, b) => a - b);
  const fewest = tabs[0];
  const most = tabs[tabs.length - 1];
  const targets = [];
  const ratio = (scenario, payload, count, baseline, metric) => {
    const library = find(summary, scenario, LIBRARY, count, payload);
    const other = find(summary, scenario, baseline, count, payload);
    return library && other ? metric(library) / metric(other) : undefined;
  };
  const add = (name, value, limit, atLeast, unit = 'x') => {
    const pass = value === undefined ? undefined : atLeast ? value >= limit : value <= limit;
    targets.push({ name, value, limit, unit, pass });
  };
  const total = (entry) => entry.totalPerSecond;
  const p50 = (entry) => entry.p50;
  if (tabs.length > 0) {
    add(
      `small fan-out, ${most} tabs, vs raw-clone`,
      ratio('burst', 'small', most, 'raw-clone', total),
      most >= 16 ? 4 : 3,
      true,
    );
    add(
      `small fan-out, ${fewest} tab(s), vs raw-clone`,
      ratio('burst', 'small', fewest, 'raw-clone', total),
      3,
      true,
    );
    add(
      `10 KB fan-out, ${most} tabs, vs raw-json`,
      ratio('burst', '10kb', most, 'raw-json', total),
      1,
      true,
    );
    for (const count of new Set([fewest, most])) {
      for (const payload of ['small', '10kb']) {
        add(
          `paced latency p50, ${payload}, ${count} tab(s), vs raw-clone`,
          ratio('latency', payload, count, 'raw-clone', p50),
          1.2,
          false,
        );
      }
      add(
        `get RTT p50, ${count} tab(s), vs raw-clone`,
        ratio('get', 'small', count, 'raw-clone', p50),
        1.3,
        false,
      );
    }
    const heap = find(summary, 'heap', LIBRARY, 1, 'small');
    add('worker heap per idle channel', heap?.bytesPerChannel, 300, false, ' B');
    add('worker heap per subscription', heap?.bytesPerSubscription, 200, false, ' B');
  }
  if (node) {
    for (const route of node.routing.filter((entry) => entry.mode === 'batch')) {
      add(
        `Node hub deliveries/s, ${route.subscribers} subscriber(s)`,
        route.deliveriesPerSecond,
        1_000_000,
        true,
        '/s',
      );
    }
  }
  if (node?.hostile) targets.push(...hostileTargets(node.hostile.results));
  return targets;
}

/** The label of a hostile message, `(a)`, from its title. */
function labelOf(result) {
  return result.title.split(' ')[0];
}

/**
 * The hostile-message targets: the worst message's median hub time and peak heap. A message whose run
 * failed (out of memory, timeout) misses both.
 */
function hostileTargets(results) {
  const measured = results.filter((result) => !result.failed);
  const failed = results.filter((result) => result.failed);
  const targets = [];
  const worst = (name, limit, unit, pick) => {
    const top = measured.reduce((a, b) => (pick(b) > pick(a) ? b : a), measured[0]);
    if (failed.length > 0) {
      const labels = failed.map(labelOf).join(' ');
      targets.push({
        name: `${name}: ${labels} failed`,
        value: undefined,
        limit,
        unit,
        pass: false,
      });
    } else if (top) {
      const value = pick(top);
      targets.push({
        name: `${name}, worst ${labelOf(top)}`,
        value,
        limit,
        unit,
        pass: value <= limit,
      });
    }
  };
  worst('hostile message: hub time (median)', 50, ' ms', (result) => result.ms.median);
  worst(
    'hostile message: extra heap at peak (median)',
    10,
    ' MB',
    (result) => result.peakBytes.median / 1e6,
  );
  return targets;
}

/** A whole count, with thousands separators. */
function formatCount(value) {
  return Math.round(value).toLocaleString('en-US');
}

function formatReplies(replies) {
  if (replies.posts === 0) return 'no reply';
  const listed = replies.listed > 0 ? ` listing ${formatCount(replies.listed)} ids` : '';
  return (
    `${formatCount(replies.posts)} post, ${formatCount(replies.chars)} chars: ` +
    `${formatCount(replies.acks)} acks, ${formatCount(replies.errors)} errors${listed}`
  );
}

function hostileSection(hostile) {
  const megabytes = (spread) =>
    `${(spread.median / 1e6).toFixed(2)} [${(spread.max / 1e6).toFixed(2)}]`;
  const rows = hostile.results.map((result) =>
    result.failed
      ? [result.title, `failed: ${result.failed}`, '', '', '', '', '', '']
      : [
          result.title,
          formatCount(result.messageChars),
          formatCount(result.requests),
          `${formatNumber(result.ms.median)} [${formatNumber(result.ms.max)}]`,
          formatNumber(result.cpuMs.median),
          megabytes(result.peakBytes),
          megabytes(result.retainedBytes),
          formatReplies(result.replies),
        ],
  );
  return [
    `Node: one hostile message to a fresh hub at the default limits (it reads messages of at most ` +
      `${formatCount(hostile.maxMessage)} characters; batches filled to ${formatCount(hostile.batchChars)}); ` +
      `median [max] of ${hostile.reps}; MB = 10^6 bytes`,
    table(
      [
        'message',
        'characters',
        'requests',
        'hub ms',
        'CPU ms',
        'peak heap MB',
        'retained MB',
        'replies to the sender',
      ],
      rows,
    ),
  ].join('\n');
}

function nodeSection(node) {
  const routing = table(
    ['mode', 'subscribers', 'deliveries/s', 'publishes/s', 'posts/delivery'],
    node.routing.map((route) => [
      route.mode,
      String(route.subscribers),
      formatNumber(route.deliveriesPerSecond),
      formatNumber(route.publishesPerSecond),
      route.postsPerDelivery.toFixed(3),
    ]),
  );
  const acks = table(
    ['mode', '', 'publish->ack, one at a time (us)', 'pipelined, per publish (us)'],
    node.acks.map((ack) => [
      ack.mode,
      '',
      ack.sequentialMicros.toFixed(2),
      ack.pipelinedMicros.toFixed(2),
    ]),
  );
  const { heap } = node;
  return [
    'Node: the hub alone over a synchronous fake endpoint, small payload; rates per CPU-second',
    routing,
    '',
    acks,
    '',
    `heap for ${heap.channels.toLocaleString('en-US')} channels: ${heap.bytesPerChannel.toFixed(0)} B per channel ` +
      `(value included), ${heap.bytesPerSubscription.toFixed(0)} B per subscription`,
    ...(node.hostile ? ['', hostileSection(node.hostile)] : []),
  ].join('\n');
}

/** The printed report. */
export function formatReport(summary, node, targets) {
  const implementations = [LIBRARY, ...BASELINES];
  const keys = keysOf(summary);
  const parts = [];
  if (summary.length > 0) {
    parts.push(
      section(
        'Fan-out burst: messages/s received, total over all tabs [median per tab]',
        summary,
        'burst',
        {
          implementations,
          keys,
          show: (entry) =>
            `${formatNumber(entry.totalPerSecond)} [${formatNumber(entry.perTabPerSecond)}]`,
          metric: (entry) => entry.totalPerSecond,
        },
      ),
      section(
        'Paced latency publish->receive, ms: p50 / p99 (ratios of p50, lower is better)',
        summary,
        'latency',
        {
          implementations,
          keys,
          show: (entry) => `${formatNumber(entry.p50)} / ${formatNumber(entry.p99)}`,
          metric: (entry) => entry.p50,
        },
      ),
      section('get round trip, ms: p50 / p99 [pipelined gets/s] (ratios of p50)', summary, 'get', {
        implementations,
        keys,
        show: (entry) =>
          `${formatNumber(entry.p50)} / ${formatNumber(entry.p99)} [${formatNumber(entry.pipelinedPerSecond)}]`,
        metric: (entry) => entry.p50,
      }),
      section(
        'Worker heap, bytes: per channel (with a small value) / per subscription',
        summary,
        'heap',
        {
          implementations,
          keys,
          // Whole bytes; `|| 0` turns the -0 of a rounded -0.02 into 0.
          show: (entry) =>
            `${Math.round(entry.bytesPerChannel) || 0} / ${Math.round(entry.bytesPerSubscription) || 0}`,
          metric: (entry) => entry.bytesPerChannel,
        },
      ),
    );
  }
  if (node) parts.push(nodeSection(node));
  if (targets.length > 0) {
    const rows = targets.map((target) => [
      target.pass === undefined ? 'n/a' : target.pass ? 'PASS' : 'MISS',
      target.name,
      target.value === undefined
        ? 'n/a'
        : target.unit === 'x'
          ? `${target.value.toFixed(3)}x`
          : `${formatNumber(target.value)}${target.unit}`,
      `${target.unit === 'x' ? '' : ''}${target.limit.toLocaleString('en-US')}${target.unit === 'x' ? 'x' : target.unit}`,
    ]);
    parts.push(`Targets (issue 7)\n${table(['', 'target', 'measured', 'limit'], rows)}`);
  }
  const problems = summary.filter((entry) => entry.problems);
  for (const entry of problems) {
    parts.push(
      `! ${entry.scenario} ${entry.implementation} ${entry.tabs} tabs ${entry.payload}: ${entry.problems.slice(0, 5).join('; ')}`,
    );
  }
  return parts.join('\n\n');
}
