import { LimitError } from '../src/errors.js';
import {
  encodeAck,
  encodeBatch,
  encodeCleared,
  encodeData,
  encodeError,
  encodeNoData,
  encodeRequest,
  encodeWelcome,
  peekRequestId,
  withFields,
} from '../src/wire.js';

/** A channel name that JSON must escape: a quote, a backslash, a newline and a non-ASCII letter. */
const AWKWARD = 'a"b\\c\nd-é';

/** Parses what an encoder made; a test compares the object, so that it says what the text means. */
function parsed(json: string): unknown {
  return JSON.parse(json);
}

/** A publish whose requestId comes first and whose value runs far past the first 2 KB. */
function hugePublish(requestIdJson: string): string {
  return `{"type":"publish","clientId":"tab-1","channel":"a","requestId":${requestIdJson},"data":"${'x'.repeat(100_000)}"}`;
}

describe('wire', () => {
  describe('encodeData()', () => {
    it('should encode a pushed value with its seq and no requestId', () => {
      expect(parsed(encodeData(AWKWARD, '{"BTC":45000}', 3))).toEqual({
        type: 'data',
        channel: AWKWARD,
        data: { BTC: 45000 },
        seq: 3,
      });
    });

    it('should encode the reply to get with its requestId, a number or a string', () => {
      expect(parsed(encodeData('a', '[1,2]', 7, 12))).toEqual({
        type: 'data',
        channel: 'a',
        data: [1, 2],
        requestId: 12,
        seq: 7,
      });
      expect(parsed(encodeData('a', 'null', 1, 'r"1'))).toEqual({
        type: 'data',
        channel: 'a',
        data: null,
        requestId: 'r"1',
        seq: 1,
      });
    });

    it('should splice the value text in as it is, without serialising it again', () => {
      expect(encodeData('a', '{"b": 1}', 2)).toBe(
        '{"type":"data","channel":"a","data":{"b": 1},"seq":2}',
      );
    });
  });

  describe('encodeNoData()', () => {
    it('should encode the reply to get of an empty channel without data or seq', () => {
      expect(parsed(encodeNoData(AWKWARD, 'g'))).toEqual({
        type: 'data',
        channel: AWKWARD,
        requestId: 'g',
      });
    });
  });

  describe('encodeAck()', () => {
    it.each(['subscribed', 'unsubscribed', 'published', 'restored'] as const)(
      'should encode %s with the channel and the requestId',
      (type) => {
        expect(parsed(encodeAck(type, AWKWARD, 4))).toEqual({
          type,
          channel: AWKWARD,
          requestId: 4,
        });
      },
    );

    it('should add the seq of the current value when one is given', () => {
      expect(parsed(encodeAck('subscribed', 'a', 'x', 9))).toEqual({
        type: 'subscribed',
        channel: 'a',
        requestId: 'x',
        seq: 9,
      });
    });
  });

  describe('encodeCleared()', () => {
    it('should encode the reply to clear with its requestId and its seq', () => {
      expect(parsed(encodeCleared(AWKWARD, 5, 3))).toEqual({
        type: 'cleared',
        channel: AWKWARD,
        requestId: 3,
        seq: 5,
      });
    });

    it('should encode the push to subscribers without a requestId', () => {
      expect(parsed(encodeCleared('a', 6))).toEqual({ type: 'cleared', channel: 'a', seq: 6 });
    });
  });

  describe('encodeError()', () => {
    it('should carry the error class and message of the refusal of one request', () => {
      expect(parsed(encodeError(new LimitError('too big'), 2, AWKWARD))).toEqual({
        type: 'error',
        error: 'too big',
        name: 'LimitError',
        channel: AWKWARD,
        requestId: 2,
      });
    });

    it('should list the requestIds of several requests refused in one reply', () => {
      expect(
        parsed(encodeError(new LimitError('slow down'), undefined, undefined, [3, 'b'])),
      ).toEqual({
        type: 'error',
        error: 'slow down',
        name: 'LimitError',
        requestIds: [3, 'b'],
      });
    });

    it('should encode a message that could not be read with neither requestId nor channel', () => {
      expect(parsed(encodeError(new TypeError('no')))).toEqual({
        type: 'error',
        error: 'no',
        name: 'TypeError',
      });
    });

    it('should encode something thrown that is not an Error as an Error with its text', () => {
      expect(parsed(encodeError('boom', 1))).toEqual({
        type: 'error',
        error: 'boom',
        name: 'Error',
        requestId: 1,
      });
    });
  });

  describe('encodeWelcome()', () => {
    const fields = {
      requestId: 1,
      version: 1,
      instanceId: 'hub-1',
      features: ['batch'],
      limits: { maxMessage: 69_632, maxPayload: 1000, maxRequestsPerSecond: 50 },
      startedAt: 1_700_000_000_000,
    };

    it("should name the hub's life lock and its limits", () => {
      expect(parsed(encodeWelcome({ ...fields, lock: 'shared-channels:hub:hub-1' }))).toEqual({
        type: 'welcome',
        ...fields,
        lock: 'shared-channels:hub:hub-1',
      });
    });

    it('should leave lock out when the hub holds none', () => {
      const welcome = parsed(encodeWelcome({ ...fields, lock: undefined }));
      expect(welcome).toEqual({ type: 'welcome', ...fields });
      expect(welcome).not.toHaveProperty('lock');
    });
  });

  describe('encodeRequest()', () => {
    it('should put the type and the clientId before the given fields', () => {
      const json = encodeRequest(
        'publish',
        JSON.stringify(AWKWARD),
        ',"channel":"a","requestId":1,"data":2',
      );
      expect(parsed(json)).toEqual({
        type: 'publish',
        clientId: AWKWARD,
        channel: 'a',
        requestId: 1,
        data: 2,
      });
      expect(peekRequestId(json)).toBe(1);
    });
  });

  describe('encodeBatch()', () => {
    it('should wrap the messages in order, with the envelope fields', () => {
      const json = encodeBatch(
        [encodeAck('published', 'a', 1), encodeCleared('b', 2)],
        ',"settled":4',
      );
      expect(parsed(json)).toEqual({
        type: 'batch',
        settled: 4,
        messages: [
          { type: 'published', channel: 'a', requestId: 1 },
          { type: 'cleared', channel: 'b', seq: 2 },
        ],
      });
    });

    it('should wrap no messages as an empty batch', () => {
      expect(parsed(encodeBatch([]))).toEqual({ type: 'batch', messages: [] });
    });
  });

  describe('withFields()', () => {
    it('should add the fields to the end of a message', () => {
      expect(parsed(withFields(encodeAck('published', 'a', 1), ',"instanceId":"hub-1"'))).toEqual({
        type: 'published',
        channel: 'a',
        requestId: 1,
        instanceId: 'hub-1',
      });
    });

    it('should return the message itself when there are no fields', () => {
      const message = encodeAck('published', 'a', 1);
      expect(withFields(message, '')).toBe(message);
    });
  });

  describe('peekRequestId()', () => {
    it('should read a numeric requestId from the start of a huge message', () => {
      expect(peekRequestId(hugePublish('7'))).toBe(7);
    });

    it('should read a string requestId, escapes included', () => {
      expect(peekRequestId(hugePublish('"r-1"'))).toBe('r-1');
      expect(peekRequestId(hugePublish(JSON.stringify('a"b\\c')))).toBe('a"b\\c');
    });

    it('should read nothing from a message that has no requestId', () => {
      expect(
        peekRequestId(
          `{"type":"publish","clientId":"tab-1","channel":"a","data":"${'x'.repeat(100_000)}"}`,
        ),
      ).toBeUndefined();
    });

    it('should read nothing from a message whose requestId comes after the first 2 KB', () => {
      const raw = `{"type":"publish","clientId":"tab-1","channel":"a","data":"${'x'.repeat(2048)}","requestId":7}`;
      expect(JSON.parse(raw)).toHaveProperty('requestId', 7);
      expect(peekRequestId(raw)).toBeUndefined();
    });

    it('should read nothing from a requestId that is not a number or a string', () => {
      expect(peekRequestId(hugePublish('null'))).toBeUndefined();
      expect(peekRequestId(hugePublish('{"n":1}'))).toBeUndefined();
    });

    it('should read nothing from a number too long to be read exactly', () => {
      expect(peekRequestId(hugePublish('1234567890123456'))).toBeUndefined();
      expect(peekRequestId(hugePublish('123456789012345'))).toBe(123_456_789_012_345);
    });
  });
});
