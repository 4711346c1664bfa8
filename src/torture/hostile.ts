/**
 * Hostile values a torture job hands back to the runtime: results and thrown values that
 * fight the code that inspects them (a `then` getter that throws, a Proxy whose every trap
 * throws, a getter that throws something hostile in turn). A job may return, throw or
 * reject with any value, so the kworker must turn each into a `JobError` (reason 'threw')
 * and keep running. Loaded into the CPU workers through kthreads.ts.
 */

/** How the job hands its hostile value over, and what the value is. */
export const HOSTILE_KINDS = [
  'returns an object whose then getter throws',
  'returns a Proxy whose every trap throws',
  'returns an object whose getter throws',
  'returns an object whose toJSON throws',
  'returns a thenable whose then throws',
  'throws a Proxy whose every trap throws',
  'throws an object whose then getter throws',
  'throws an object whose getter throws a trapping Proxy',
  'rejects with a Proxy whose every trap throws',
  'resolves to an object whose then getter throws',
] as const;

export type HostileKind = (typeof HOSTILE_KINDS)[number];

function fail(what: string): never {
  throw new Error(`torture: ${what} (injected hostile value)`);
}

/** Every trap a Proxy over a plain object can have, each throwing. */
function trappingProxy(): object {
  const trap = (): never => fail('a Proxy trap');
  return new Proxy(
    {},
    {
      get: trap,
      set: trap,
      has: trap,
      deleteProperty: trap,
      ownKeys: trap,
      getOwnPropertyDescriptor: trap,
      defineProperty: trap,
      getPrototypeOf: trap,
      setPrototypeOf: trap,
      isExtensible: trap,
      preventExtensions: trap,
    },
  );
}

function thenGetterThrows(): object {
  return {
    get then(): never {
      return fail('a then getter');
    },
  };
}

/** What a job of this kind does with its hostile value: return it, throw it, or reject with it. */
export function actHostile(kind: HostileKind): unknown {
  switch (kind) {
    case 'returns an object whose then getter throws':
      return thenGetterThrows();
    case 'returns a Proxy whose every trap throws':
      return trappingProxy();
    case 'returns an object whose getter throws':
      return {
        get value(): never {
          return fail('a getter');
        },
      };
    case 'returns an object whose toJSON throws':
      return { toJSON: (): never => fail('toJSON') };
    case 'returns a thenable whose then throws':
      return { then: (): never => fail('a then method') };
    case 'throws a Proxy whose every trap throws':
      throw trappingProxy();
    case 'throws an object whose then getter throws':
      throw thenGetterThrows();
    case 'throws an object whose getter throws a trapping Proxy':
      throw {
        get value(): never {
          throw trappingProxy();
        },
      };
    case 'rejects with a Proxy whose every trap throws':
      return Promise.reject(trappingProxy());
    case 'resolves to an object whose then getter throws':
      return (async () => thenGetterThrows())();
  }
}
