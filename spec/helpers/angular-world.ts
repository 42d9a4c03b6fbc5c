import {
  createEnvironmentInjector,
  Injector,
  type EnvironmentInjector,
  type EnvironmentProviders,
  type Provider,
} from '@angular/core';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Endpoint } from '../../src/protocol.js';
import type { HubOptions } from '../../src/worker/hub.js';
import { createTestHub, type TestHub } from './wire.js';

/** A hub, a worker factory that reaches it over real ports, and injectors, all ended in `afterEach`. */
export interface AngularWorld {
  testHub: TestHub;
  /** A worker factory for `provideSharedChannels`: each call opens a fresh port to the hub. */
  readonly worker: () => Endpoint;
  /** How many times `worker` was called. */
  made(): number;
  /** An environment injector, a root one by default (no platform: `PLATFORM_ID` is not provided). */
  injector(
    providers: Array<Provider | EnvironmentProviders>,
    parent?: EnvironmentInjector,
  ): EnvironmentInjector;
  close(): void;
}

export function createAngularWorld(options?: HubOptions): AngularWorld {
  const testHub = createTestHub(options);
  const ports: MessagePort[] = [];
  const injectors: EnvironmentInjector[] = [];
  let made = 0;
  return {
    testHub,
    worker() {
      made++;
      const { port1, port2 } = new MessageChannel();
      ports.push(port1, port2);
      testHub.hub.connect(port2 as unknown as Endpoint);
      return port1 as unknown as Endpoint;
    },
    made: () => made,
    injector(providers, parent = Injector.NULL as EnvironmentInjector) {
      const injector = createEnvironmentInjector(providers, parent);
      injectors.push(injector);
      return injector;
    },
    close() {
      // Children first: destroying a parent destroys no child environment injector.
      for (const injector of injectors.reverse()) if (!injector.destroyed) injector.destroy();
      testHub.close();
      for (const port of ports) port.close();
    },
  };
}
