import type { Endpoint } from './protocol.js';

/**
 * The seam between a client and wherever its hub runs, shared by the client (which opens endpoints),
 * the SharedWorker transport and the elected and local transports (which make them).
 */

/** The part of the Web Locks API (`navigator.locks`) the library uses: exclusive locks by name. */
export interface LockManagerLike {
  request(name: string, callback: () => unknown): Promise<unknown>;
}

/** What fires `error` when the hub behind an endpoint is lost: a SharedWorker, or an elected leader. */
export interface HubEvents {
  addEventListener?(type: 'error', listener: (event: unknown) => void): void;
  removeEventListener?(type: 'error', listener: (event: unknown) => void): void;
}

/** A port to the hub, and what reports the hub's loss when anything does (for its `error` event). */
export interface OpenedEndpoint {
  endpoint: Endpoint;
  hub?: HubEvents;
}

/**
 * How a client reaches its hub: a SharedWorker; a hub run by one tab the tabs elected, over
 * BroadcastChannel (where SharedWorker is missing); or a hub in this tab alone (where Web Locks or
 * BroadcastChannel are missing too).
 */
export type TransportMode = 'shared-worker' | 'elected' | 'local';

/** Opens a client's endpoints to its hub (a fresh one each time the hub was lost) and ends what it started. */
export interface Transport {
  readonly mode: TransportMode;
  /** False when a lost hub cannot be reached again (a SharedWorker given as an object). */
  readonly canReopen: boolean;
  open(): OpenedEndpoint;
  close(): void;
}

/**
 * The part of a dedicated `Worker` an elected leader uses to run the hub in the app's worker file (the
 * client's `fallbackWorker`).
 */
export interface DedicatedWorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message' | 'error', listener: (event: { data?: unknown }) => void): void;
  terminate(): void;
}
