/**
 * Telling errors apart without reading their messages (docs/design.md, "Errors": codes are stable,
 * messages are not). Shared by torture, the command line and the benchmarks.
 */

/** The error's `code` (cpuhp's ERR_CPUHP_..., Node's ERR_... and ABORT_ERR), if it has a string one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  try {
    const code: unknown = (error as { readonly code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined; // a hostile value whose getter throws has no code to go by
  }
}

/** " (code X)" for an error that has a code, to follow a description of it; "" for one without. */
export function codeNote(error: unknown): string {
  const code = errorCode(error);
  return code === undefined ? '' : ` (code ${code})`;
}
