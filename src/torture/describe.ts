/** An error as a report names it: its class and message, or the value itself if it is not an Error. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
