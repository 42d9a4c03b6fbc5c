/**
 * The wire of the two hand-written baselines: what a user writes without a library. Requests are small
 * structured-clone objects; replies are objects (raw-clone) or JSON strings (raw-json).
 */

/** A tab asks for the values of a channel: the current one at once (if any), then every update. */
export interface RawSubscribe {
  t: 'sub';
  ch: string;
}

export interface RawUnsubscribe {
  t: 'unsub';
  ch: string;
}

/** raw-clone: the value itself, re-cloned by every postMessage. */
export interface RawPublishValue {
  t: 'pub';
  ch: string;
  data: unknown;
}

/** raw-json: the value as JSON text made once by the publishing tab. */
export interface RawPublishJson {
  t: 'pub';
  ch: string;
  json: string;
}

export interface RawGet {
  t: 'get';
  ch: string;
  id: number;
}

export type RawCloneRequest = RawSubscribe | RawUnsubscribe | RawPublishValue | RawGet;
export type RawJsonRequest = RawSubscribe | RawUnsubscribe | RawPublishJson | RawGet;

/** raw-clone's push (`id` absent) and reply to a get (`id` present). */
export interface RawCloneMessage {
  ch: string;
  data: unknown;
  id?: number;
}

/** raw-json's push and get reply, parsed: the same fields as {@link RawCloneMessage}. */
export type RawJsonMessage = RawCloneMessage;
