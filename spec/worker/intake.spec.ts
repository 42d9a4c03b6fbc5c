import { LimitError, ProtocolError } from '../../src/errors.js';
import * as nonFinite from '../../src/worker/non-finite.js';
import {
  ENVELOPE,
  maxMessageFor,
  openMessage,
  type OpenedMessage,
  type RefusedMessage,
} from '../../src/worker/intake.js';

const MAX = 10_000;

/** The refusal, failing the test when the message was read. */
function refusal(result: OpenedMessage | RefusedMessage): RefusedMessage {
  if (!('refused' in result)) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
  return result;
}

/** What was read, failing the test when the message was refused. */
function opened(result: OpenedMessage | RefusedMessage): OpenedMessage {
  if ('refused' in result) throw new Error(`expected a message, got ${String(result.refused)}`);
  return result;
}

/** A publish of `size` characters or so, with its requestId before its value as clients write it. */
function publishOf(size: number, requestId: number | string = 7): string {
  return JSON.stringify({
    type: 'publish',
    clientId: 'tab-1',
    channel: 'a',
    requestId,
    data: 'x'.repeat(size),
  });
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('intake', () => {
  describe('openMessage()', () => {
    it.each([
      [42, '42 (number)'],
      [{ type: 'get' }, 'an object'],
      [null, 'null'],
      [undefined, 'undefined'],
    ])('should refuse %p, which is not a string, with a ProtocolError', (raw, described) => {
      const { refused, requestId } = refusal(openMessage(raw, MAX));
      expect(refused).toEqual(new ProtocolError(`message must be a JSON string, got ${described}`));
      expect(refused).toBeInstanceOf(ProtocolError);
      expect(requestId).toBeUndefined();
    });

    it('should refuse a message over the size limit without parsing it', () => {
      const raw = publishOf(MAX);
      const parse = jest.spyOn(JSON, 'parse');
      const result = refusal(openMessage(raw, MAX));
      expect(parse).not.toHaveBeenCalled();
      expect(result.refused).toEqual(
        new LimitError(
          `payload limit exceeded: message of ${raw.length} characters (the hub reads at most ${MAX}; limits.maxPayload)`,
        ),
      );
      expect(result.refused).toBeInstanceOf(LimitError);
    });

    it('should name the requestId of a lone request it refuses for its size', () => {
      expect(refusal(openMessage(publishOf(MAX, 7), MAX)).requestId).toBe(7);
      expect(refusal(openMessage(publishOf(MAX, 'r-7'), MAX)).requestId).toBe('r-7');
    });

    it('should name the requestId of a lone request to a channel called batch', () => {
      const raw = JSON.stringify({
        type: 'publish',
        clientId: 'tab-1',
        channel: 'batch',
        requestId: 7,
        data: 'x'.repeat(MAX),
      });
      expect(refusal(openMessage(raw, MAX)).requestId).toBe(7);
    });

    it('should name no requestId when it refuses a batch for its size', () => {
      const raw = `{"type":"batch","messages":[${publishOf(MAX / 2, 1)},${publishOf(MAX / 2, 2)}]}`;
      const result = refusal(openMessage(raw, MAX));
      expect(result.refused).toBeInstanceOf(LimitError);
      expect(result).not.toHaveProperty('requestId');
    });

    it('should name no requestId when a refused message has none in its first 2 KB', () => {
      const raw = `{"type":"publish","clientId":"tab-1","channel":"a","data":"${'x'.repeat(MAX)}","requestId":7}`;
      expect(refusal(openMessage(raw, MAX))).not.toHaveProperty('requestId');
    });

    it('should read a message of exactly the size limit', () => {
      const raw = publishOf(100);
      expect(opened(openMessage(raw, raw.length)).requests).toEqual([JSON.parse(raw)]);
      expect(refusal(openMessage(raw, raw.length - 1)).refused).toBeInstanceOf(LimitError);
    });

    it('should refuse invalid JSON with a ProtocolError', () => {
      const { refused, requestId } = refusal(openMessage('{"type":"get","requestId":1', MAX));
      expect(refused).toEqual(new ProtocolError('message is not valid JSON'));
      expect(refused).toBeInstanceOf(ProtocolError);
      expect(requestId).toBeUndefined();
    });

    it('should give a lone message as the only request, whatever it holds', () => {
      expect(opened(openMessage('{"type":"get","requestId":1}', MAX))).toEqual({
        requests: [{ type: 'get', requestId: 1 }],
        settled: undefined,
        nonFinite: false,
      });
      expect(opened(openMessage('null', MAX)).requests).toEqual([null]);
      expect(opened(openMessage('[1,2]', MAX)).requests).toEqual([[1, 2]]);
    });

    it('should unwrap a batch into its requests, in order, with one parse', () => {
      const parse = jest.spyOn(JSON, 'parse');
      const result = opened(
        openMessage('{"type":"batch","messages":[{"type":"get","requestId":1},7,null]}', MAX),
      );
      expect(parse).toHaveBeenCalledTimes(1);
      expect(result.requests).toEqual([{ type: 'get', requestId: 1 }, 7, null]);
    });

    it('should keep a batch without a messages array as one request for the hub to refuse', () => {
      expect(opened(openMessage('{"type":"batch","messages":{}}', MAX)).requests).toEqual([
        { type: 'batch', messages: {} },
      ]);
    });

    it('should read what the client settled from a batch or a lone message', () => {
      expect(opened(openMessage('{"type":"batch","settled":4,"messages":[]}', MAX)).settled).toBe(
        4,
      );
      expect(opened(openMessage('{"type":"get","settled":0}', MAX)).settled).toBe(0);
    });

    it.each(['1.5', '"4"', '1e400', '9007199254740993', 'null'])(
      'should read no settled from settled: %s',
      (value) => {
        expect(
          opened(openMessage(`{"type":"batch","settled":${value},"messages":[]}`, MAX)).settled,
        ).toBeUndefined();
      },
    );

    it('should flag a number that JSON parses as Infinity', () => {
      const raw = '{"type":"publish","clientId":"t","channel":"a","requestId":1,"data":1e400}';
      expect(JSON.parse(raw)).toHaveProperty('data', Infinity);
      expect(opened(openMessage(raw, MAX)).nonFinite).toBe(true);
      expect(opened(openMessage('{"data":[-2.5E+0400]}', MAX)).nonFinite).toBe(true);
      expect(opened(openMessage(`{"data":${'9'.repeat(400)}}`, MAX)).nonFinite).toBe(true);
    });

    it('should not flag finite numbers, nor 1e400 written inside a string', () => {
      expect(opened(openMessage('{"data":[1e300,-1e-400,12345]}', MAX)).nonFinite).toBe(false);
      expect(opened(openMessage('{"data":"1e400"}', MAX)).nonFinite).toBe(false);
    });

    it("should tell non-finite numbers with hasNonFiniteNumber, given the message's text", () => {
      const check = jest.spyOn(nonFinite, 'hasNonFiniteNumber');
      const raw = '{"data":1e400}';
      expect(opened(openMessage(raw, MAX)).nonFinite).toBe(true);
      expect(check).toHaveBeenCalledTimes(1);
      expect(check.mock.calls[0]?.[0]).toBe(raw);
    });
  });

  describe('maxMessageFor()', () => {
    it('should give a batch room for 64 KiB of values, however small the value limit', () => {
      expect(maxMessageFor(1)).toBe(64 * 1024 + ENVELOPE);
      expect(maxMessageFor(1000)).toBe(64 * 1024 + 4096);
      expect(maxMessageFor(64 * 1024)).toBe(64 * 1024 + 4096);
    });

    it('should give room for the largest value and its envelope above that', () => {
      expect(maxMessageFor(64 * 1024 + 1)).toBe(64 * 1024 + 1 + 4096);
      expect(maxMessageFor(1024 * 1024)).toBe(1024 * 1024 + 4096);
    });
  });
});
