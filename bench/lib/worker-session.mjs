/**
 * A DevTools session on a SharedWorker, to read its heap.
 *
 * Playwright lists no SharedWorker targets, so this goes through the browser's own CDP session:
 * `Target.getTargets` finds the `shared_worker`, `Target.attachToTarget` attaches. Playwright's
 * CDPSession cannot address a flattened child session (it has no `sessionId` parameter, and
 * `Target.sendMessageToTarget` refuses flat sessions: "When using flat protocol, messages are routed to
 * the target via the sessionId attribute"), so the session is attached with `flatten: false` and
 * commands travel inside `Target.sendMessageToTarget`.
 */
export class WorkerSession {
  #browserSession;
  #sessionId;
  #nextId = 1;
  #pending = new Map();
  #onMessage = (event) => {
    if (event.sessionId !== this.#sessionId) return;
    const message = JSON.parse(event.message);
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    this.#pending.delete(message.id);
    if (message.error) pending.reject(new Error(`${pending.method}: ${message.error.message}`));
    else pending.resolve(message.result);
  };

  constructor(browserSession, sessionId) {
    this.#browserSession = browserSession;
    this.#sessionId = sessionId;
    browserSession.on('Target.receivedMessageFromTarget', this.#onMessage);
  }

  /** Attaches to the shared worker whose script URL contains `urlPart`. */
  static async attach(browser, urlPart) {
    const browserSession = await browser.newBrowserCDPSession();
    const { targetInfos } = await browserSession.send('Target.getTargets');
    const target = targetInfos.find((t) => t.type === 'shared_worker' && t.url.includes(urlPart));
    if (target === undefined) {
      await browserSession.detach();
      throw new Error(`no shared_worker target with ${urlPart} in its URL`);
    }
    const { sessionId } = await browserSession.send('Target.attachToTarget', {
      targetId: target.targetId,
      flatten: false,
    });
    return new WorkerSession(browserSession, sessionId);
  }

  send(method, params = {}) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, method });
      this.#browserSession
        .send('Target.sendMessageToTarget', {
          sessionId: this.#sessionId,
          message: JSON.stringify({ id, method, params }),
        })
        .catch(reject);
    });
  }

  /** The worker's used JS heap in bytes, after a full garbage collection. */
  async heapUsed() {
    await this.send('HeapProfiler.collectGarbage');
    await this.send('HeapProfiler.collectGarbage');
    const { usedSize } = await this.send('Runtime.getHeapUsage');
    return usedSize;
  }

  async detach() {
    this.#browserSession.off('Target.receivedMessageFromTarget', this.#onMessage);
    await this.#browserSession.detach();
  }
}
