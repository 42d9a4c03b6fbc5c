import type { DBSchema, IDBPDatabase, IDBPTransaction } from 'idb';
import { describeValue } from '../protocol.js';

/** The one object store: one record per persisted channel, keyed by the channel's name. */
export const STORE = 'channels';

/**
 * The version of a record's shape, written into every record, so that a later release can read the
 * records of an earlier one as they are (and skip, with a warning, those of a newer one).
 */
export const RECORD_FORMAT = 1;

/** A persisted channel's value as it lies in IndexedDB. */
export interface ChannelRecord {
  channel: string;
  /** The value as JSON text, as the hub holds and sends it: nothing is cloned or re-serialised. */
  json: string;
  format: typeof RECORD_FORMAT;
}

/** The database's layout, for idb's typed API. */
export interface ChannelsSchema extends DBSchema {
  [STORE]: { key: string; value: ChannelRecord };
}

/** One step of the schema's history: it takes a database from version `n` to `n + 1`. */
export type Upgrade = (
  database: IDBPDatabase<unknown>,
  transaction: IDBPTransaction<unknown, ArrayLike<string>, 'versionchange'>,
) => void;

/**
 * The schema's history: `UPGRADES[n]` takes a database from version `n` to `n + 1`, and the database's
 * version is their count. A release that changes the schema appends a step and never edits an old one,
 * so a database left by any earlier release is brought up to date one step at a time.
 */
export const UPGRADES: readonly Upgrade[] = [
  (database) => {
    database.createObjectStore(STORE, { keyPath: 'channel' });
  },
];

/** The IndexedDB version of the current schema. */
export const DATABASE_VERSION = UPGRADES.length;

/**
 * Reads one stored record: the channel and its JSON text, or why the record cannot be used. The text is
 * only checked to be a string here; the hub checks that it parses, whatever the persistence.
 */
export function readRecord(key: IDBValidKey, record: unknown): [string, string] | string {
  if (typeof record !== 'object' || record === null) {
    return `the record is ${describeValue(record)}, not an object`;
  }
  const { channel, json, format } = record as Partial<Record<keyof ChannelRecord, unknown>>;
  if (format !== RECORD_FORMAT) {
    return `the record's format is ${describeValue(format)}; this release reads format ${RECORD_FORMAT}`;
  }
  if (typeof channel !== 'string' || channel !== key) {
    return `the record's channel is ${describeValue(channel)}, not its key`;
  }
  if (typeof json !== 'string') return `the record's json is ${describeValue(json)}, not a string`;
  return [channel, json];
}
