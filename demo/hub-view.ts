import { catchError, defer, exhaustMap, map, type Observable, of, scan, timer } from 'rxjs';
import type { HubStats } from '../src/index.js';
import { CHANNEL_NAMES, type DemoClient } from './channels.js';
import { byTestId, createElement } from './dom.js';
import { formatDuration, formatRate, formatRelative } from './format.js';

/** How often the hub view asks the hub for its counters. */
export const POLL_MS = 1000;

/** How many rate samples the sparkline keeps: a minute at one poll per second. */
const HISTORY = 60;

/** One poll of the hub: its counters and the rates since the previous poll, or why it failed. */
export type HubPoll =
  | {
      ok: true;
      stats: HubStats;
      /** Publishes accepted by the hub per second, since the previous poll. */
      publishRate: number;
      /** Values pushed to tabs per second, since the previous poll. */
      deliveryRate: number;
      /** The last {@link HISTORY} rates, oldest first. */
      history: ReadonlyArray<{ publishRate: number; deliveryRate: number }>;
      at: number;
    }
  | { ok: false; error: unknown; at: number };

/**
 * Polls `client.stats()` every {@link POLL_MS} and derives message rates from the counters' deltas.
 * A slow answer skips polls instead of piling them up; a failed one emits `ok: false` and polling goes on.
 */
export function pollHub(client: DemoClient): Observable<HubPoll> {
  type Sample = { stats: HubStats; at: number } | { error: unknown; at: number };
  return timer(0, POLL_MS).pipe(
    exhaustMap(() =>
      defer(() => client.stats()).pipe(
        map((stats): Sample => ({ stats, at: performance.now() })),
        catchError((error: unknown) => of<Sample>({ error, at: performance.now() })),
      ),
    ),
    scan<Sample, { poll: HubPoll; previous?: { stats: HubStats; at: number } }>(
      (state, sample) => {
        if (!('stats' in sample)) {
          return { poll: { ok: false, error: sample.error, at: Date.now() } };
        }
        const { previous } = state;
        const seconds = previous ? (sample.at - previous.at) / 1000 : 0;
        const rate = (now: number, before: number | undefined): number =>
          seconds > 0 && before !== undefined ? Math.max(0, now - before) / seconds : 0;
        const publishRate = rate(sample.stats.published, previous?.stats.published);
        const deliveryRate = rate(sample.stats.delivered, previous?.stats.delivered);
        const history = state.poll.ok ? state.poll.history : [];
        return {
          previous: sample,
          poll: {
            ok: true,
            stats: sample.stats,
            publishRate,
            deliveryRate,
            history: [...history, { publishRate, deliveryRate }].slice(-HISTORY),
            at: Date.now(),
          },
        };
      },
      { poll: { ok: false, error: undefined, at: 0 } },
    ),
    map((state) => state.poll),
  );
}

/** Renders one poll into the hub card: tiles, the channels table and the rate sparkline. */
export function renderHubView(poll: HubPoll): void {
  const card = byTestId('hub', HTMLElement);
  card.classList.toggle('stale', !poll.ok);
  if (!poll.ok) return;
  const { stats } = poll;
  byTestId('hub-clients', HTMLElement).textContent = String(stats.clients);
  byTestId('hub-channel-count', HTMLElement).textContent = String(stats.channels.length);
  byTestId('hub-publish-rate', HTMLElement).textContent = formatRate(poll.publishRate);
  byTestId('hub-delivery-rate', HTMLElement).textContent = formatRate(poll.deliveryRate);
  byTestId('hub-published', HTMLElement).textContent = stats.published.toLocaleString('en-US');
  byTestId('hub-delivered', HTMLElement).textContent = stats.delivered.toLocaleString('en-US');
  byTestId('hub-uptime', HTMLElement).textContent = formatDuration(stats.uptime);
  renderChannels(byTestId('hub-channels', HTMLTableSectionElement), stats.channels, poll.at);
  renderSparkline(byTestId('hub-sparkline', SVGSVGElement), poll.history);
}

function renderChannels(
  body: HTMLTableSectionElement,
  channels: HubStats['channels'],
  now: number,
): void {
  const order = (name: string): number => {
    const index = (CHANNEL_NAMES as ReadonlyArray<string>).indexOf(name);
    return index === -1 ? CHANNEL_NAMES.length : index;
  };
  const sorted = [...channels].sort(
    (a, b) => order(a.channel) - order(b.channel) || a.channel.localeCompare(b.channel),
  );
  if (sorted.length === 0) {
    const empty = createElement('td', { className: 'muted', text: 'No channels yet.' });
    empty.colSpan = 4;
    const row = createElement('tr');
    row.append(empty);
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(
    ...sorted.map((channel) => {
      const row = createElement('tr', { testId: 'hub-channel-row' });
      row.dataset['channel'] = channel.channel;
      const name = createElement('td');
      name.append(
        createElement('span', { className: `tag tag-${channel.channel}`, text: channel.channel }),
      );
      row.append(
        name,
        createElement('td', { className: 'num', text: String(channel.subscribers) }),
        createElement('td', { className: 'num', text: channel.published.toLocaleString('en-US') }),
        createElement('td', {
          className: 'num muted',
          text: formatRelative(channel.lastPublished, now),
        }),
      );
      return row;
    }),
  );
}

const SVG = 'http://www.w3.org/2000/svg';

/** Draws both rates of the last minute as two lines, scaled to the highest rate seen in it. */
function renderSparkline(
  svg: SVGSVGElement,
  history: ReadonlyArray<{ publishRate: number; deliveryRate: number }>,
): void {
  const width = 600;
  const height = 64;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  const peak = Math.max(
    1,
    ...history.map((sample) => Math.max(sample.publishRate, sample.deliveryRate)),
  );
  const line = (pick: (sample: { publishRate: number; deliveryRate: number }) => number): string =>
    history
      .map((sample, index) => {
        const x = width - (history.length - 1 - index) * (width / (HISTORY - 1));
        const y = height - 3 - (pick(sample) / peak) * (height - 6);
        return `${x.toFixed(1)},${y.toFixed(1)}`;
      })
      .join(' ');
  const deliveries = document.createElementNS(SVG, 'polyline');
  deliveries.setAttribute('class', 'spark-delivered');
  deliveries.setAttribute(
    'points',
    line((sample) => sample.deliveryRate),
  );
  const publishes = document.createElementNS(SVG, 'polyline');
  publishes.setAttribute('class', 'spark-published');
  publishes.setAttribute(
    'points',
    line((sample) => sample.publishRate),
  );
  svg.replaceChildren(deliveries, publishes);
  byTestId('hub-peak', HTMLElement).textContent =
    history.length < 2 ? 'collecting…' : `peak ${formatRate(peak)}/s`;
}
