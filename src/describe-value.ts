/**
 * describeValue(): what an error message says it was given. It runs on exactly the values
 * that broke a check, so it must never throw and never run the caller's code: no
 * toString/valueOf/Symbol.toPrimitive, no JSON.stringify of objects (cycles, getters), and
 * every reflective step of an object (a Proxy trap can throw, even Array.isArray on a
 * revoked one) is guarded. It imports nothing, so the kthread definitions can use it in the
 * CPU workers.
 */

/** Characters of a string, or of a whole description, that a message shows at most. */
const MAX_CHARS = 60;
/** Own keys of an object a description lists at most. */
const MAX_KEYS = 4;

export function describeValue(value: unknown): string {
  try {
    return describe(value);
  } catch {
    return 'a value that cannot be inspected';
  }
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // String(-0) is "0", which would hide why -0 was refused where it is.
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${clip(value.toString())}n (a BigInt)`;
    case 'string':
      return quote(value);
    case 'symbol':
      return `a Symbol${value.description === undefined ? '' : ` (${quote(value.description)})`}`;
    case 'function':
      return functionName(value);
    default:
      return value === null ? 'null' : describeObject(value as object);
  }
}

/** A string in single quotes, as names appear in cpuhp's messages; escaped, clipped, with its length when clipped. */
function quote(text: string): string {
  if (text.length === 0) return "an empty string ('')";
  const clipped = text.length > MAX_CHARS;
  // JSON escapes control characters and lone surrogates; then swap its quoting for single quotes.
  const body = JSON.stringify(clipped ? text.slice(0, MAX_CHARS) : text)
    .slice(1, -1)
    .replaceAll('\\"', '"')
    .replaceAll("'", "\\'");
  return clipped ? `'${body}…' (a string of ${text.length} characters)` : `'${body}'`;
}

function clip(text: string): string {
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}

function functionName(fn: Function): string {
  const name = guarded(() => Object.getOwnPropertyDescriptor(fn, 'name')?.value);
  return typeof name === 'string' && name !== '' ? `a function (${clip(name)})` : 'a function';
}

function describeObject(object: object): string {
  const isArray = guarded(() => Array.isArray(object));
  if (isArray === undefined) return 'an object that cannot be inspected (a revoked Proxy?)';
  if (isArray) {
    const length = guarded(() => Object.getOwnPropertyDescriptor(object, 'length')?.value);
    return typeof length === 'number' ? `an array of ${length} item${length === 1 ? '' : 's'}` : 'an array';
  }
  const kind = className(object);
  const keys = guarded(() => Reflect.ownKeys(object));
  if (keys === undefined) return `${kind} whose keys cannot be listed`;
  if (keys.length === 0) return kind === 'an object' ? 'an empty object ({})' : kind;
  const names = keys.slice(0, MAX_KEYS).map((key) => (typeof key === 'symbol' ? `[${describe(key)}]` : clip(key)));
  return `${kind} with ${keys.length === 1 ? 'key' : 'keys'} ${names.join(', ')}${keys.length > MAX_KEYS ? `, … (${keys.length} keys)` : ''}`;
}

/** "an object", "a Date", "an AbortSignal": the constructor's own name, read without getters. */
function className(object: object): string {
  const proto = guarded(() => Object.getPrototypeOf(object) as object | null);
  if (proto === null) return 'an object with no prototype';
  if (proto === undefined) return 'an object';
  const ctor = guarded(() => Object.getOwnPropertyDescriptor(proto, 'constructor')?.value);
  const name = typeof ctor === 'function' ? guarded(() => Object.getOwnPropertyDescriptor(ctor, 'name')?.value) : undefined;
  if (typeof name !== 'string' || name === '' || name === 'Object') return 'an object';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${clip(name)}`;
}

/** Runs a reflective step that a Proxy trap could make throw; undefined if it did. */
function guarded<T>(step: () => T): T | undefined {
  try {
    return step();
  } catch {
    return undefined;
  }
}

/** An error's name and message, for another message; never throws, whatever was thrown. */
export function describeError(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'a value that cannot be described';
  }
}
