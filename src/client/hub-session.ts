import { BehaviorSubject } from 'rxjs';
import { DisconnectedError, VersionMismatchError, WorkerStartError, fromWire } from '../errors.js';
import { randomId } from '../id.js';
import type { REQUEST_TYPES } from '../protocol.js';
import {
  MUTATION_TYPES,
  parseResponse,
  type Response,
  type WelcomeResponse,
  type WireLimits,
} from '../protocol.js';
import { HubLink } from './hub-link.js';
import type { LockManagerLike, Transport } from '../transport.js';
import { PendingRequests, type PendingRequest } from './pending-requests.js';

/** What the client is doing with its hub; `'failed'`: its worker could not start, and it ended. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

/** Why a session ended for good. */
export type EndReason = DisconnectedError | VersionMismatchError | WorkerStartError;

/** A request a client makes of its hub. */
export type RequestType = Exclude<(typeof REQUEST_TYPES)[number], 'hello' | 'bye' | 'ping'>;

/** What a session tells its client. */
export interface SessionEvents {
  /** A value the hub pushed for a channel. */
  push(channel: string, data: unknown, seq: number | undefined, epoch: number): void;
  /** The hub cleared a channel. */
  cleared(channel: string, seq: number | undefined): void;
  /**
   * The session is on a hub again after losing one, the same (it was only taken for dead) or a new one.
   * What the client asks for now (offers, subscriptions) goes before the requests sent again.
   */
  reopened(sameHub: boolean): void;
  /**
   * The session ended for good: another protocol version, a worker that cannot be made again, or one
   * whose script could not start.
   */
  ended(reason: EndReason): void;
}

/** What a session needs of the client's options. */
export interface SessionOptions {
  readonly timeout: number;
  readonly heartbeat: number;
  readonly locks: LockManagerLike | undefined;
}

/** Waits between attempts to reach a new worker: quick at first, then no faster than every 5 s. */
const RECONNECT_DELAYS = [0, 250, 1_000, 2_500, 5_000];

/**
 * How long a client waits, once told the hub's context is gone, before it asks for a new worker. Firefox
 * ESR lets go of the locks of a worker that closed itself before it has torn the worker down, and a
 * `new SharedWorker()` in between is handed the dying one, which never answers (seen in the browser
 * suite's history check); a moment later it makes a fresh one.
 */
const DEATH_GRACE_MS = 1_000;

const MUTATIONS: ReadonlySet<string> = new Set(MUTATION_TYPES);

const WORKER_START_FAILED =
  'the SharedWorker script failed to start: it was not found, or it threw while loading. A worker ' +
  "file that uses `import` must be started with { type: 'module' }, from a factory: " +
  "() => new SharedWorker(new URL('./channels.worker.ts', import.meta.url), " +
  "{ name: 'channels', type: 'module' })";

/**
 * One client's life with its hub, across every link it opens: the requests in flight and their replies,
 * the session id under which the hub applies each change at most once, and the reconnect when a hub is
 * lost (a fresh link, then every request still in flight sent again, after what the client puts back).
 *
 * Each link is an object of its own ({@link HubLink}) that reports nothing once closed, so nothing an old
 * link does can reach the session.
 */
export class HubSession {
  /** Where the connection stands; see `SharedWorkerClient.connectionState$`. */
  readonly state$ = new BehaviorSubject<ConnectionState>('connecting');
  /** The id under which the hub knows this client on every link. */
  private readonly id = randomId();
  private readonly pending = new PendingRequests();
  private link!: HubLink;
  /** The instanceId of the last hub that welcomed this session: a new one means a restarted hub. */
  private hubInstanceId: string | undefined = undefined;
  private nextRequestId = 1;
  private reconnectAttempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly events: SessionEvents,
    private readonly options: SessionOptions,
  ) {
    this.openLink();
  }

  /** The id of the current link on the wire. */
  get clientId(): string {
    return this.link.clientId;
  }

  /** The hub's limits, once it said them. */
  get limits(): WireLimits | undefined {
    return this.link.limits;
  }

  /**
   * Sends one request and waits for its reply. `onReply` runs synchronously when the reply arrives,
   * before the port's next message is read: a subscription must be live before the value that follows
   * its `subscribed` reply.
   */
  request(
    type: RequestType,
    channel: string | undefined,
    timeout: number | undefined,
    extra = '',
    onReply?: (response: Response) => void,
  ): Promise<Response> {
    const requestId = this.nextRequestId++;
    const wait = timeout ?? this.options.timeout;
    const label = channel === undefined ? `${type}()` : `${type}(${JSON.stringify(channel)})`;
    const channelField = channel === undefined ? '' : `,"channel":${JSON.stringify(channel)}`;
    // The requestId before the value, so a hub can name a request too big to read (see peekRequestId).
    const body = `${channelField},"requestId":${requestId}${extra}`;
    return new Promise<Response>((resolve, reject) => {
      this.pending.add(requestId, {
        label,
        resend: { type, body },
        timeout: wait,
        deadline: Date.now() + wait,
        settle: (response) => {
          onReply?.(response);
          resolve(response);
          this.settled(type);
        },
        fail: (error) => {
          reject(error);
          this.settled(type);
        },
      });
      // While reconnecting, it waits in `pending` for the new hub.
      if (this.state$.value !== 'reconnecting') this.link.send(type, body);
    });
  }

  /**
   * Ends the session. With `drain`, changes already sent keep waiting for their answer on the open link,
   * which closes once none is left; otherwise (the page is going, the versions differ, the worker could
   * not start) everything ends now. Every other request fails with an error made from `reason`.
   */
  close(reason: EndReason, drain: boolean): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const open = this.state$.value === 'open' || this.state$.value === 'connecting';
    const isChange = (request: PendingRequest): boolean =>
      request.resend !== undefined && MUTATIONS.has(request.resend.type);
    this.pending.failAll(
      (request) => {
        if (reason instanceof VersionMismatchError) {
          return new VersionMismatchError(`${request.label}: ${reason.message}`);
        }
        if (reason instanceof WorkerStartError) {
          return new WorkerStartError(`${request.label}: ${reason.message}`);
        }
        if (isChange(request)) {
          return new DisconnectedError(
            `${request.label}: the client disconnected before the hub answered; it may have been applied`,
          );
        }
        return new DisconnectedError(`${request.label} was cancelled: the client disconnected`);
      },
      (request) => !(drain && open && isChange(request)),
    );
    this.state$.next(reason instanceof WorkerStartError ? 'failed' : 'closed');
    this.finishClose();
  }

  private settled(type: RequestType): void {
    if (MUTATIONS.has(type)) this.link.noteSettled();
    this.finishClose();
  }

  /** Once a closed session has no answer left to wait for, its link and transport go. */
  private finishClose(): void {
    if (!this.closed || this.pending.size > 0) return;
    // What this tab already queued still goes, so a publish right before disconnect() is not lost.
    this.link.close(true);
    this.transport.close();
  }

  /** Opens a link to the hub; the link greets it once this tab holds its liveness lock. */
  private openLink(): void {
    this.link = new HubLink(
      this.transport.open(),
      {
        message: (raw) => this.receive(raw),
        welcomed: (welcome) => this.opened(welcome),
        refused: (name, error) => {
          if (name === 'VersionMismatchError') this.events.ended(new VersionMismatchError(error));
          // A hub that predates the handshake answers "unknown message type": it is served as it is.
          else this.state$.next('open');
        },
        lost: (died) => this.reconnect(died),
        failed: () => this.events.ended(new WorkerStartError(WORKER_START_FAILED)),
      },
      {
        locks: this.options.locks,
        session: this.id,
        heartbeat: this.options.heartbeat,
        timeout: this.options.timeout,
        settled: () => (this.pending.oldest ?? this.nextRequestId) - 1,
        startErrors: this.transport.mode === 'shared-worker',
      },
    );
  }

  /** The hub welcomed the link. After a reconnect, the client puts back what the old hub knew first. */
  private opened(welcome: WelcomeResponse): void {
    const reconnected = this.state$.value === 'reconnecting';
    const sameHub = welcome.instanceId === this.hubInstanceId;
    this.hubInstanceId = welcome.instanceId;
    this.reconnectAttempt = 0;
    this.state$.next('open');
    if (!reconnected) return;
    // Requests that were in flight or asked for while reconnecting, taken before the client's join them.
    const resend = this.pending.resendable();
    this.events.reopened(sameHub);
    // To a new hub, a publish says it is sent again: if its value is what the tabs offered back, the
    // old hub applied it before it died (a tab saw it), and the new one does not apply it twice.
    for (const { type, body } of resend) {
      this.link.send(type, !sameHub && type === 'publish' ? `${body},"again":true` : body);
    }
  }

  /** The hub is lost (its life lock was granted, a worker error, no answer): start over on a fresh one. */
  private reconnect(died = false): void {
    if (this.closed) return;
    if (!this.transport.canReopen) {
      this.events.ended(
        new DisconnectedError(
          'the hub is gone, and a SharedWorker given as an object cannot be made again: pass a factory or a URL',
        ),
      );
      return;
    }
    this.state$.next('reconnecting');
    this.link.close();
    const backOff = RECONNECT_DELAYS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS.length - 1)]!;
    // The grace is for a SharedWorker (see DEATH_GRACE_MS); an elected hub is found anew by its announcement.
    const delay =
      died && this.transport.mode === 'shared-worker' ? Math.max(backOff, DEATH_GRACE_MS) : backOff;
    this.reconnectAttempt++;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (this.closed) return;
      try {
        this.openLink();
      } catch {
        this.reconnect();
      }
    }, delay);
  }

  private receive(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    const response = parseResponse(message);
    if (!response) return;
    if (response.type === 'batch') {
      for (const item of response.messages) {
        const inner = parseResponse(item);
        if (inner && inner.type !== 'batch') this.handle(inner);
      }
    } else {
      this.handle(response);
    }
  }

  private handle(response: Exclude<Response, { type: 'batch' }>): void {
    if (this.link.answer(response)) return;
    switch (response.type) {
      case 'data':
        if (response.requestId === undefined) {
          this.events.push(
            response.channel,
            response.data,
            response.seq,
            this.link.welcome?.startedAt ?? 0,
          );
        } else this.pending.settle(Number(response.requestId), response);
        return;
      case 'error':
        if (response.requestId !== undefined) {
          this.pending.fail(Number(response.requestId), fromWire(response.name, response.error));
        }
        for (const requestId of response.requestIds ?? []) {
          this.pending.fail(Number(requestId), fromWire(response.name, response.error));
        }
        return;
      case 'cleared':
        if (response.requestId === undefined) this.events.cleared(response.channel, response.seq);
        else this.pending.settle(Number(response.requestId), response);
        return;
      case 'subscribed':
      case 'unsubscribed':
      case 'published':
      case 'restored':
      case 'stats':
      case 'welcome':
      case 'pong':
        this.pending.settle(Number(response.requestId), response);
        return;
      default: {
        const unknown: never = response;
        return unknown;
      }
    }
  }
}
