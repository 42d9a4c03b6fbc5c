import { createElement } from './dom.js';
import { formatTimeOfDay } from './format.js';

/** What a log row is about: a value the hub pushed to this tab, the answer to a `get`, or a failed call. */
export type LogKind = 'update' | 'get' | 'error';

/** One row of the message log. */
export interface LogEntry {
  kind: LogKind;
  channel: string;
  text: string;
  /** Epoch ms; now when left out. */
  at?: number;
}

const KIND_LABELS: Record<LogKind, string> = {
  update: '',
  get: 'get',
  error: 'error',
};

/** The message log: newest row first, at most `capacity` rows, optionally hiding some channels. */
export class MessageLog {
  private readonly hidden = new Set<string>();

  constructor(
    private readonly list: HTMLOListElement,
    private readonly capacity = 50,
  ) {}

  /** Adds `entry` on top and drops the oldest rows beyond the capacity. Hidden channels are skipped. */
  add(entry: LogEntry): void {
    if (this.hidden.has(entry.channel) && entry.kind !== 'error') return;
    const row = createElement('li', { className: `log-row kind-${entry.kind}`, testId: 'log-row' });
    row.dataset['channel'] = entry.channel;
    row.dataset['kind'] = entry.kind;
    const text = createElement('span', { className: 'log-text' });
    const label = KIND_LABELS[entry.kind];
    if (label !== '') text.append(createElement('span', { className: 'log-kind', text: label }));
    text.append(entry.text);
    row.append(
      createElement('time', {
        className: 'log-time',
        text: formatTimeOfDay(entry.at ?? Date.now()),
      }),
      createElement('span', { className: `tag tag-${entry.channel}`, text: entry.channel }),
      text,
    );
    this.list.prepend(row);
    while (this.list.childElementCount > this.capacity) this.list.lastElementChild?.remove();
  }

  /** Removes every row. */
  clear(): void {
    this.list.replaceChildren();
  }

  /** Shows or hides the later rows of `channel`; rows already shown stay. */
  setVisible(channel: string, visible: boolean): void {
    if (visible) this.hidden.delete(channel);
    else this.hidden.add(channel);
  }

  /** Logs a rejected call, so that a failure is seen on the page and not only in the console. */
  error(channel: string, call: string, error: unknown): void {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.add({ kind: 'error', channel, text: `${call} failed: ${message}` });
  }
}
