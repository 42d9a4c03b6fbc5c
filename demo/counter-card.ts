import { fromEvent, merge, map, type Subscription } from 'rxjs';
import type { DemoClient } from './channels.js';
import { byTestId } from './dom.js';
import { flash } from './flash.js';
import type { MessageLog } from './message-log.js';

/**
 * The counter card: shows the shared `counter` and publishes +1, −1 and reset.
 *
 * The next value is computed from the last one this tab saw, so two tabs clicking in the same instant
 * may both publish the same number: pub/sub has no compare-and-set, and the demo does not pretend to.
 */
export function mountCounterCard(client: DemoClient, log: MessageLog): Subscription {
  const value = byTestId('counter-value', HTMLElement);
  const increment = byTestId('counter-inc', HTMLButtonElement);
  const decrement = byTestId('counter-dec', HTMLButtonElement);
  const reset = byTestId('counter-reset', HTMLButtonElement);
  let current = 0;

  const subscription = client.channel('counter').subscribe((count) => {
    current = count;
    value.textContent = String(count);
    value.classList.remove('empty');
    flash(value);
  });

  const next$ = merge(
    fromEvent(increment, 'click').pipe(map(() => current + 1)),
    fromEvent(decrement, 'click').pipe(map(() => current - 1)),
    fromEvent(reset, 'click').pipe(map(() => 0)),
  );
  subscription.add(
    next$.subscribe((count) => {
      // Count on from our own last click, so that quick clicks add up before the hub echoes them.
      current = count;
      client.publish('counter', count).catch((error: unknown) => {
        log.error('counter', 'publish()', error);
      });
    }),
  );
  return subscription;
}
