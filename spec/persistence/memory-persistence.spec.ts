import { MemoryPersistence } from '../../src/persistence/memory-persistence.js';

describe('MemoryPersistence', () => {
  describe('.write()', () => {
    it('should store values and delete those written as null', async () => {
      const persistence = new MemoryPersistence();
      await persistence.write(
        new Map([
          ['a', '1'],
          ['b', '"two"'],
        ]),
      );
      await persistence.write(
        new Map<string, string | null>([
          ['a', null],
          ['c', '{"x":3}'],
        ]),
      );
      expect(await persistence.load()).toEqual(
        new Map([
          ['b', '"two"'],
          ['c', '{"x":3}'],
        ]),
      );
    });
  });

  describe('.load()', () => {
    it('should give a copy that later writes do not change', async () => {
      const persistence = new MemoryPersistence();
      await persistence.write(new Map([['a', '1']]));
      const loaded = await persistence.load();
      await persistence.write(new Map([['a', '2']]));
      expect(loaded).toEqual(new Map([['a', '1']]));
    });
  });

  describe('.close()', () => {
    it('should keep the values for the next hub given this instance', async () => {
      const persistence = new MemoryPersistence();
      await persistence.write(new Map([['a', '1']]));
      persistence.close();
      expect(await persistence.load()).toEqual(new Map([['a', '1']]));
    });
  });
});
