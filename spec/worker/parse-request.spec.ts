import { isInvalidRequest, parseRequest } from '../../src/worker/parse-request.js';

describe('parse-request', () => {
  describe('parseRequest()', () => {
    describe('valid requests', () => {
      it.each(['subscribe', 'unsubscribe', 'get'] as const)(
        'should read a %s request with exactly its fields',
        (type) => {
          expect(
            parseRequest({ type, clientId: 'tab-1', channel: 'prices', requestId: 7, extra: true }),
          ).toStrictEqual({ type, clientId: 'tab-1', requestId: 7, channel: 'prices' });
        },
      );

      it('should read a publish request with its data', () => {
        expect(
          parseRequest({
            type: 'publish',
            clientId: 'tab-1',
            channel: 'prices',
            requestId: 'r-1',
            data: { BTC: 45000, list: [1, 'two', null] },
          }),
        ).toStrictEqual({
          type: 'publish',
          clientId: 'tab-1',
          requestId: 'r-1',
          channel: 'prices',
          data: { BTC: 45000, list: [1, 'two', null] },
        });
      });

      it.each([null, 0, false, ''])('should accept %p as published data', (data) => {
        expect(
          parseRequest({ type: 'publish', clientId: 'c', channel: 'x', requestId: 1, data }),
        ).toStrictEqual({ type: 'publish', clientId: 'c', requestId: 1, channel: 'x', data });
      });

      it('should accept 0 and the empty string as requestIds', () => {
        expect(parseRequest({ type: 'get', clientId: 'c', channel: 'x', requestId: 0 })).toEqual({
          type: 'get',
          clientId: 'c',
          requestId: 0,
          channel: 'x',
        });
        expect(parseRequest({ type: 'get', clientId: 'c', channel: 'x', requestId: '' })).toEqual({
          type: 'get',
          clientId: 'c',
          requestId: '',
          channel: 'x',
        });
      });

      it('should read a stats request without a channel', () => {
        expect(
          parseRequest({ type: 'stats', clientId: 'c', requestId: 3, channel: 'ignored' }),
        ).toStrictEqual({ type: 'stats', clientId: 'c', requestId: 3 });
      });

      it('should read a hello request and keep only the string features', () => {
        expect(
          parseRequest({
            type: 'hello',
            clientId: 'c',
            requestId: 1,
            version: 1,
            features: ['batch', 42, null, 'future'],
          }),
        ).toStrictEqual({
          type: 'hello',
          clientId: 'c',
          requestId: 1,
          version: 1,
          features: ['batch', 'future'],
        });
      });

      it('should read a hello request without features as having none', () => {
        expect(
          parseRequest({ type: 'hello', clientId: 'c', requestId: 1, version: 2, features: 'x' }),
        ).toStrictEqual({ type: 'hello', clientId: 'c', requestId: 1, version: 2, features: [] });
      });

      it('should read a hello request with the liveness lock it names', () => {
        expect(
          parseRequest({
            type: 'hello',
            clientId: 'c',
            requestId: 1,
            version: 1,
            lock: 'tab-lock',
          }),
        ).toStrictEqual({
          type: 'hello',
          clientId: 'c',
          requestId: 1,
          version: 1,
          features: [],
          lock: 'tab-lock',
        });
      });

      it('should read a ping request', () => {
        expect(
          parseRequest({ type: 'ping', clientId: 'c', requestId: 5, channel: 'ignored' }),
        ).toStrictEqual({ type: 'ping', clientId: 'c', requestId: 5 });
      });

      it('should read a restore request with its data and sequence number', () => {
        expect(
          parseRequest({
            type: 'restore',
            clientId: 'c',
            channel: 'prices',
            requestId: 2,
            data: null,
            seq: 41,
          }),
        ).toStrictEqual({
          type: 'restore',
          clientId: 'c',
          requestId: 2,
          channel: 'prices',
          data: null,
          seq: 41,
          epoch: 0,
        });
      });

      it("should read a restore request's epoch, the old hub's start", () => {
        expect(
          parseRequest({
            type: 'restore',
            clientId: 'c',
            channel: 'prices',
            requestId: 2,
            data: 1,
            seq: 3,
            epoch: 1_700_000_000_000,
          }),
        ).toMatchObject({ seq: 3, epoch: 1_700_000_000_000 });
      });

      it('should read a bye request, which needs no requestId', () => {
        expect(parseRequest({ type: 'bye', clientId: 'c' })).toStrictEqual({
          type: 'bye',
          clientId: 'c',
        });
      });

      it.each(['__proto__', 'constructor', 'hasOwnProperty'])(
        'should read %p as an ordinary channel name',
        (channel) => {
          const message = JSON.parse(
            `{"type":"get","clientId":"c","channel":${JSON.stringify(channel)},"requestId":1}`,
          ) as unknown;
          expect(parseRequest(message)).toStrictEqual({
            type: 'get',
            clientId: 'c',
            requestId: 1,
            channel,
          });
        },
      );
    });

    describe('invalid requests', () => {
      it.each([
        [null, 'null'],
        [undefined, 'undefined'],
        [42, '42 (number)'],
        ['subscribe', '"subscribe" (string)'],
        [true, 'true (boolean)'],
        [[{ type: 'get' }], 'an array'],
      ])('should refuse %p as not an object', (message, described) => {
        expect(parseRequest(message)).toStrictEqual({
          invalid: `message must be a JSON object, got ${described}`,
        });
      });

      it('should refuse an unknown type and keep the readable requestId and channel', () => {
        expect(
          parseRequest({ type: 'delete', clientId: 'c', channel: 'x', requestId: 5 }),
        ).toStrictEqual({
          invalid: 'unknown message type "delete" (string)',
          requestId: 5,
          channel: 'x',
        });
      });

      it.each([
        [{}, 'undefined'],
        [{ type: 42 }, '42 (number)'],
        [{ type: 'batch', messages: [] }, '"batch" (string)'],
        [{ type: '__proto__' }, '"__proto__" (string)'],
        [{ type: 'constructor' }, '"constructor" (string)'],
        [{ type: 'toString' }, '"toString" (string)'],
      ])('should refuse %p as of unknown type', (message, described) => {
        expect(parseRequest(message)).toStrictEqual({
          invalid: `unknown message type ${described}`,
        });
      });

      it.each([
        [undefined, 'undefined'],
        ['', '"" (string)'],
        [7, '7 (number)'],
        [null, 'null'],
        [{ id: 'c' }, 'an object'],
      ])('should refuse the clientId %p', (clientId, described) => {
        expect(
          parseRequest({ type: 'subscribe', clientId, channel: 'x', requestId: 1 }),
        ).toStrictEqual({
          invalid: `subscribe: clientId must be a non-empty string, got ${described}`,
          requestId: 1,
          channel: 'x',
        });
      });

      it('should refuse a bye without a clientId', () => {
        expect(parseRequest({ type: 'bye' })).toStrictEqual({
          invalid: 'bye: clientId must be a non-empty string, got undefined',
        });
      });

      it.each([
        [undefined, 'undefined'],
        [null, 'null'],
        [true, 'true (boolean)'],
        [{}, 'an object'],
        [[1], 'an array'],
        [Infinity, 'Infinity (number)'],
        [NaN, 'NaN (number)'],
      ])('should refuse the requestId %p and keep the readable channel', (requestId, described) => {
        expect(
          parseRequest({ type: 'publish', clientId: 'c', channel: 'x', requestId, data: 1 }),
        ).toStrictEqual({
          invalid: `publish: requestId must be a number or a string, got ${described}`,
          channel: 'x',
        });
      });

      it.each(['stats', 'hello', 'ping'])(
        'should refuse a %s request without a requestId',
        (type) => {
          expect(parseRequest({ type, clientId: 'c', version: 1 })).toStrictEqual({
            invalid: `${type}: requestId must be a number or a string, got undefined`,
          });
        },
      );

      it.each(['subscribe', 'unsubscribe', 'publish', 'get', 'restore'])(
        'should refuse a %s request with a missing, empty or non-string channel',
        (type) => {
          for (const [channel, described] of [
            [undefined, 'undefined'],
            ['', '"" (string)'],
            [42, '42 (number)'],
            [null, 'null'],
            [['x'], 'an array'],
            [{ name: 'x' }, 'an object'],
          ] as const) {
            expect(
              parseRequest({ type, clientId: 'c', channel, requestId: 9, data: 1, seq: 1 }),
            ).toStrictEqual({
              invalid: `${type}: channel must be a non-empty string, got ${described}`,
              requestId: 9,
            });
          }
        },
      );

      it('should refuse a publish without data', () => {
        expect(
          parseRequest({ type: 'publish', clientId: 'c', channel: 'x', requestId: 1 }),
        ).toStrictEqual({ invalid: 'publish: data is required', requestId: 1, channel: 'x' });
        expect(
          parseRequest({
            type: 'publish',
            clientId: 'c',
            channel: 'x',
            requestId: 1,
            data: undefined,
          }),
        ).toStrictEqual({ invalid: 'publish: data is required', requestId: 1, channel: 'x' });
      });

      it.each([
        ['', '"" (string)'],
        [5, '5 (number)'],
        [null, 'null'],
      ])('should refuse a hello whose lock is %p', (lock, described) => {
        expect(
          parseRequest({ type: 'hello', clientId: 'c', requestId: 4, version: 1, lock }),
        ).toStrictEqual({
          invalid: `hello: lock must be a non-empty string, got ${described}`,
          requestId: 4,
        });
      });

      it('should refuse a restore without data', () => {
        expect(
          parseRequest({ type: 'restore', clientId: 'c', channel: 'x', requestId: 1, seq: 1 }),
        ).toStrictEqual({ invalid: 'restore: data is required', requestId: 1, channel: 'x' });
      });

      it.each([
        [undefined, 'undefined'],
        [0, '0 (number)'],
        [-3, '-3 (number)'],
        [1.5, '1.5 (number)'],
        [2 ** 53, '9007199254740992 (number)'],
        ['7', '"7" (string)'],
        [null, 'null'],
      ])('should refuse a restore whose seq is %p', (seq, described) => {
        expect(
          parseRequest({
            type: 'restore',
            clientId: 'c',
            channel: 'x',
            requestId: 1,
            data: 1,
            seq,
          }),
        ).toStrictEqual({
          invalid: `restore: seq must be a positive integer, got ${described}`,
          requestId: 1,
          channel: 'x',
        });
      });

      it('should refuse a hello whose version is not a number', () => {
        expect(
          parseRequest({ type: 'hello', clientId: 'c', requestId: 4, version: '1' }),
        ).toStrictEqual({
          invalid: 'hello: version must be a number, got "1" (string)',
          requestId: 4,
        });
      });
    });
  });

  describe('isInvalidRequest()', () => {
    it('should tell a refused message from a request', () => {
      expect(isInvalidRequest(parseRequest(null))).toBe(true);
      expect(isInvalidRequest(parseRequest({ type: 'bye', clientId: 'c' }))).toBe(false);
    });
  });
});
