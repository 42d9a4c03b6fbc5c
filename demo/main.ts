import './styles.css';
import { fromEvent, merge, map, type Observable, Subscription } from 'rxjs';
import type { ConnectionState } from '../src/index.js';
import { createDemoClient, shortId, type DemoChannels, type DemoClient } from './channels.js';
import { mountCounterCard } from './counter-card.js';
import { byTestId } from './dom.js';
import { formatPrice, truncate } from './format.js';
import { pollHub, renderHubView } from './hub-view.js';
import { MessageLog } from './message-log.js';
import { mountNoteCard } from './note-card.js';
import { mountPriceTickerCard } from './price-ticker-card.js';

type ChannelName = keyof DemoChannels;

/** A value of `channel` in a few words, for the log: never a JSON dump. */
function describe<K extends ChannelName>(
  client: DemoClient,
  channel: K,
  value: DemoChannels[K] | undefined,
): string {
  if (value === undefined) return 'no value yet';
  const author = (by: string): string =>
    by === client.clientId ? 'this tab' : `tab ${shortId(by)}`;
  // One cast: a generic K does not narrow `value`, and the channel name decides its type.
  const typed = { channel, value } as {
    [C in ChannelName]: { channel: C; value: DemoChannels[C] };
  }[ChannelName];
  switch (typed.channel) {
    case 'counter':
      return `= ${typed.value}`;
    case 'prices': {
      const quotes = Object.entries(typed.value.quotes)
        .map(([symbol, price]) => `${symbol} ${formatPrice(price)}`)
        .join(' · ');
      return `${quotes} (${author(typed.value.by)})`;
    }
    case 'note':
      return `“${truncate(typed.value.text, 60)}” by ${author(typed.value.by)}`;
    default: {
      const unknown: never = typed;
      return String(unknown);
    }
  }
}

/** Every value any channel delivers to this tab, described for the log. */
function channelValues(client: DemoClient): Observable<{ channel: ChannelName; text: string }> {
  const describeValues = <K extends ChannelName>(channel: K) =>
    client
      .channel(channel)
      .pipe(map((value) => ({ channel, text: describe(client, channel, value) })));
  return merge(describeValues('counter'), describeValues('prices'), describeValues('note'));
}

const CONNECTION_LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
  failed: 'Worker failed to start',
};

function start(): void {
  const status = byTestId('connection-status', HTMLElement);
  if (typeof SharedWorker === 'undefined') {
    status.dataset['state'] = 'unsupported';
    status.textContent = 'SharedWorker unsupported';
    return;
  }

  const client = createDemoClient();
  const log = new MessageLog(byTestId('log', HTMLOListElement));
  const clientId = byTestId('client-id', HTMLElement);
  clientId.textContent = shortId(client.clientId);
  clientId.title = client.clientId;
  const subscription = new Subscription();
  client.connectionState$.subscribe((state) => {
    status.dataset['state'] = state;
    status.textContent = CONNECTION_LABELS[state];
    // A closed client (the tab is leaving, or the hub speaks another protocol version) throws on every
    // call: stop the polling, the ticker and the controls with it.
    if (state === 'closed') subscription.unsubscribe();
  });

  subscription.add(mountCounterCard(client, log));
  subscription.add(mountPriceTickerCard(client, log));
  subscription.add(mountNoteCard(client, log));

  // The log subscribes to the same channels as the cards: the client shares one wire subscription per
  // channel, so this costs the hub nothing.
  subscription.add(
    channelValues(client).subscribe(({ channel, text }) => {
      log.add({ kind: 'update', channel, text });
    }),
  );
  subscription.add(pollHub(client).subscribe(renderHubView));

  subscription.add(
    fromEvent(byTestId('get-values', HTMLButtonElement), 'click').subscribe(() => {
      const get = async <K extends ChannelName>(channel: K): Promise<void> => {
        try {
          log.add({
            kind: 'get',
            channel,
            text: describe(client, channel, await client.get(channel)),
          });
        } catch (error) {
          log.error(channel, 'get()', error);
        }
      };
      // One after another, in reverse display order: the log shows the newest row on top.
      void (async () => {
        for (const channel of ['note', 'prices', 'counter'] as const) await get(channel);
      })();
    }),
  );
  subscription.add(
    fromEvent(byTestId('open-tab', HTMLButtonElement), 'click').subscribe(() => {
      window.open(window.location.href, '_blank');
    }),
  );
  for (const toggle of document.querySelectorAll<HTMLInputElement>('[data-log-filter]')) {
    subscription.add(
      fromEvent(toggle, 'change').subscribe(() => {
        log.setVisible(toggle.dataset['logFilter'] ?? '', toggle.checked);
      }),
    );
  }
  subscription.add(
    fromEvent(byTestId('log-clear', HTMLButtonElement), 'click').subscribe(() => {
      log.clear();
    }),
  );
}

start();
