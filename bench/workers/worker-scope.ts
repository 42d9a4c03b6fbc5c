/** The little of `SharedWorkerGlobalScope` the baseline workers need (the WebWorker lib clashes with DOM). */
interface ConnectEvent {
  readonly ports: readonly MessagePort[];
}

interface SharedWorkerScope {
  addEventListener(type: 'connect', listener: (event: ConnectEvent) => void): void;
}

/** Calls `serve` with the port of every tab that connects to this SharedWorker. */
export function onConnect(serve: (port: MessagePort) => void): void {
  const scope = globalThis as unknown as SharedWorkerScope;
  scope.addEventListener('connect', (event) => {
    for (const port of event.ports) serve(port);
  });
}
