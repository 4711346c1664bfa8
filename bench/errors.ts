/** How the benchmarks put an error caught during a measurement into words. */

/** The message, prefixed by the error's class when it is not a plain Error (HotplugError: ...). */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
}

/** The message alone: for tallying rejections by what they said. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
