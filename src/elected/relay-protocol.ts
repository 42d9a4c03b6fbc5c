import { randomId } from '../id.js';
import { PROTOCOL_VERSION, isRecord } from '../protocol.js';

/**
 * The wire of elected mode, beneath the hub protocol: how tabs find the leader, and how the hub
 * protocol's JSON strings travel between a tab and the leader's hub over BroadcastChannels.
 *
 * Every channel is named from one scope (`shared-channels:v1`, or `shared-channels:v1:<name>` for a
 * client given a `name`), so tabs of a deploy that speaks another protocol version elect a hub of their
 * own, as a versioned worker URL gives them a worker of their own:
 * - `<scope>`: every tab. A leader announces itself there; a tab that knows no leader asks.
 * - `<scope>:leader:<leaderId>`: the leader's inbox: each port's messages, tagged with the port's id.
 * - `<scope>:port:<portId>`: one port's inbox: the hub's messages for that port, as they are.
 *
 * A BroadcastChannel delivers to every other object of its name in the origin, so a channel that one
 * object alone listens to is a private line: a value sent to one tab costs one delivery, not one per tab.
 *
 * A leader given the app's worker file (`fallbackWorker`) runs the hub in a dedicated Worker of its own:
 * it posts that worker a {@link HostRequest}, and the worker answers {@link HostReady} once the hub
 * listens on the leader's inbox; only then does the leader announce itself.
 */

/** The part of `BroadcastChannel` elected mode uses. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

/** Makes a BroadcastChannel: `(name) => new BroadcastChannel(name)` in a browser, a fake in tests. */
export type CreateChannel = (name: string) => BroadcastChannelLike;

/**
 * A leader says who it is: once when it takes office, and again whenever a tab asks. `term` orders
 * leaders: a tab follows the announcement with the highest `(term, leader)` it has heard.
 */
export interface LeaderAnnouncement {
  type: 'leader';
  leader: string;
  term: number;
  /**
   * The Web Lock the leader's hub holds for its whole life: a tab that waits for it learns that this
   * leader's hub is gone, and binds no new port to it.
   */
  lock?: string;
}

/** A tab that knows no leader asks the current one to announce itself. */
export interface LeaderQuery {
  type: 'query';
}

/** A leader asks the dedicated worker it started to serve as the hub of `leader`'s inbox in `scope`. */
export interface HostRequest {
  type: 'shared-channels:host';
  leader: string;
  scope: string;
}

/**
 * The worker's answer: the hub listens on the leader's inbox. `lock` is the Web Lock the hub holds for
 * its whole life, so that the leader learns when its worker died.
 */
export interface HostReady {
  type: 'shared-channels:hosting';
  leader: string;
  lock?: string;
}

/** What travels on the `<scope>` channel. */
export type BusMessage = LeaderAnnouncement | LeaderQuery;

/** A port's message for the hub, on the leader's inbox. */
export interface RelayedMessage {
  port: string;
  /** The hub-protocol message, as the client posted it. */
  data: unknown;
  /**
   * Set on a port's first message only: only it makes the hub serve a port it does not know, so a late
   * message from a port the hub already forgot cannot bring that port back.
   */
  open?: true;
}

/** The scope every channel and lock of elected mode is named from. */
export function scopeName(name?: string): string {
  const scope = `shared-channels:v${PROTOCOL_VERSION}`;
  return name === undefined || name === '' ? scope : `${scope}:${name}`;
}

/** The Web Lock whose holder is the leader. */
export function leaderLockName(scope: string): string {
  return `${scope}:leader`;
}

export function leaderInboxName(scope: string, leader: string): string {
  return `${scope}:leader:${leader}`;
}

export function portInboxName(scope: string, port: string): string {
  return `${scope}:port:${port}`;
}

/** A fresh id for a leader or a port; ids name channels, so they must not repeat across tabs. */
export const newId = randomId;

/** True when announcement `a` names a later leader than `b` (or `b` is none). */
export function isNewer(a: LeaderAnnouncement, b: LeaderAnnouncement | undefined): boolean {
  if (b === undefined) return true;
  return a.term > b.term || (a.term === b.term && a.leader > b.leader);
}

/**
 * Reads a message of the `<scope>` channel, or `undefined` for anything else. Every page of the origin
 * may post there, so nothing is trusted.
 */
export function parseBusMessage(raw: unknown): BusMessage | undefined {
  if (!isRecord(raw)) return undefined;
  if (raw.type === 'query') return { type: 'query' };
  if (
    raw.type === 'leader' &&
    typeof raw.leader === 'string' &&
    raw.leader !== '' &&
    typeof raw.term === 'number' &&
    Number.isFinite(raw.term)
  ) {
    const announcement: LeaderAnnouncement = { type: 'leader', leader: raw.leader, term: raw.term };
    if (typeof raw.lock === 'string' && raw.lock !== '') announcement.lock = raw.lock;
    return announcement;
  }
  return undefined;
}

/** Reads a message of the leader's inbox, or `undefined` for anything else. */
export function parseRelayedMessage(raw: unknown): RelayedMessage | undefined {
  if (!isRecord(raw) || typeof raw.port !== 'string' || raw.port === '') return undefined;
  return raw.open === true
    ? { port: raw.port, data: raw.data, open: true }
    : { port: raw.port, data: raw.data };
}

/** Reads a leader's {@link HostRequest}, or `undefined` for any other message a worker is posted. */
export function parseHostRequest(raw: unknown): HostRequest | undefined {
  if (!isRecord(raw) || raw.type !== 'shared-channels:host') return undefined;
  if (typeof raw.leader !== 'string' || raw.leader === '') return undefined;
  if (typeof raw.scope !== 'string' || raw.scope === '') {
    return undefined;
  }
  return { type: 'shared-channels:host', leader: raw.leader, scope: raw.scope };
}

/** Reads a worker's {@link HostReady} for `leader`, or `undefined` for anything else it posts. */
export function parseHostReady(raw: unknown, leader: string): HostReady | undefined {
  if (!isRecord(raw) || raw.type !== 'shared-channels:hosting' || raw.leader !== leader) {
    return undefined;
  }
  return typeof raw.lock === 'string'
    ? { type: 'shared-channels:hosting', leader, lock: raw.lock }
    : { type: 'shared-channels:hosting', leader };
}
