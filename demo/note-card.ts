import { debounceTime, distinctUntilChanged, fromEvent, map, type Subscription } from 'rxjs';
import { shortId, type DemoClient } from './channels.js';
import { byTestId } from './dom.js';
import { flash } from './flash.js';
import { formatTimeOfDay } from './format.js';
import type { MessageLog } from './message-log.js';

/** How long typing must pause before the note is published: light, so other tabs follow closely. */
const NOTE_DEBOUNCE_MS = 150;

/**
 * The note card: a textarea that publishes the shared `note` as you type, and the note as the hub has
 * it, with the tab that wrote it last.
 */
export function mountNoteCard(client: DemoClient, log: MessageLog): Subscription {
  const input = byTestId('note-input', HTMLTextAreaElement);
  const value = byTestId('note-value', HTMLElement);
  const author = byTestId('note-author', HTMLElement);
  const time = byTestId('note-time', HTMLElement);

  const subscription = client.channel('note').subscribe((note) => {
    value.textContent = note.text;
    value.classList.toggle('empty', note.text === '');
    const mine = note.by === client.clientId;
    author.textContent = mine ? `${shortId(note.by)} (this tab)` : shortId(note.by);
    time.textContent = formatTimeOfDay(note.at);
    flash(value);
    // Never overwrite what the user is typing; an unfocused textarea follows the other tabs.
    if (!mine && document.activeElement !== input) input.value = note.text;
  });

  subscription.add(
    fromEvent(input, 'input')
      .pipe(
        map(() => input.value),
        debounceTime(NOTE_DEBOUNCE_MS),
        distinctUntilChanged(),
      )
      .subscribe((text) => {
        client
          .publish('note', { text, by: client.clientId, at: Date.now() })
          .catch((error: unknown) => {
            log.error('note', 'publish()', error);
          });
      }),
  );
  return subscription;
}
