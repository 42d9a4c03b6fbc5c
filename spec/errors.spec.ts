import {
  DisconnectedError,
  LimitError,
  ProtocolError,
  TimeoutError,
  VersionMismatchError,
  WorkerStartError,
  fromWire,
  toWire,
} from '../src/errors.js';

const CLASSES = [
  ['TimeoutError', TimeoutError],
  ['DisconnectedError', DisconnectedError],
  ['VersionMismatchError', VersionMismatchError],
  ['LimitError', LimitError],
  ['ProtocolError', ProtocolError],
  ['WorkerStartError', WorkerStartError],
] as const;

describe('errors', () => {
  describe.each(CLASSES)('%s', (name, ErrorClass) => {
    it('should be an Error with its name and message', () => {
      const error = new ErrorClass('what went wrong');
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.message).toBe('what went wrong');
      expect(String(error)).toBe(`${name}: what went wrong`);
    });

    it('should be rebuilt as the same class after crossing the wire', () => {
      const wire = toWire(new ErrorClass('limit hit'));
      expect(wire).toStrictEqual({ name, message: 'limit hit' });
      const rebuilt = fromWire(wire.name, wire.message);
      expect(rebuilt).toBeInstanceOf(ErrorClass);
      expect(rebuilt.name).toBe(name);
      expect(rebuilt.message).toBe('limit hit');
    });

    it('should survive JSON on the way', () => {
      const wire = JSON.parse(JSON.stringify(toWire(new ErrorClass('m')))) as {
        name: string;
        message: string;
      };
      expect(fromWire(wire.name, wire.message)).toBeInstanceOf(ErrorClass);
    });
  });

  describe('toWire()', () => {
    it('should keep the name of a built-in error', () => {
      expect(toWire(new TypeError('bad'))).toStrictEqual({ name: 'TypeError', message: 'bad' });
    });

    it('should turn a thrown non-error into an Error with its text', () => {
      expect(toWire('oops')).toStrictEqual({ name: 'Error', message: 'oops' });
      expect(toWire(42)).toStrictEqual({ name: 'Error', message: '42' });
      expect(toWire(undefined)).toStrictEqual({ name: 'Error', message: 'undefined' });
    });
  });

  describe('fromWire()', () => {
    it('should rebuild an unknown name as a plain Error carrying that name', () => {
      const error = fromWire('TypeError', 'bad');
      expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
      expect(error.name).toBe('TypeError');
      expect(error.message).toBe('bad');
    });

    it('should rebuild a missing or empty name as a plain Error', () => {
      for (const name of [undefined, '']) {
        const error = fromWire(name, 'no name');
        expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
        expect(error.name).toBe('Error');
        expect(error.message).toBe('no name');
      }
    });

    it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
      'should not resolve %p through Object.prototype',
      (name) => {
        const error = fromWire(name, 'hostile');
        expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
        expect(error).toBeInstanceOf(Error);
        expect(error.name).toBe(name);
        expect(error.message).toBe('hostile');
      },
    );
  });
});
