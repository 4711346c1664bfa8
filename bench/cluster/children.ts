/**
 * The processes a row forks (cpuhp machines, plain BullMQ workers), known here until the row
 * stops them, so that an interrupted run (Ctrl-C), which stops waiting for the row under way,
 * can still kill them rather than leave them fetching from a Redis about to go away.
 * (Forked with an IPC channel, each also ends itself when this process exits.)
 */

export interface Child {
  /** SIGKILL, at once. */
  kill(): Promise<void>;
}

const open = new Set<Child>();

/** Known until `forget`. */
export function track<C extends Child>(child: C): C {
  open.add(child);
  return child;
}

export function forget(child: Child): void {
  open.delete(child);
}

/** Kills every child a row left open; resolves once they have exited. */
export async function killOpenChildren(): Promise<void> {
  const children = [...open];
  open.clear();
  await Promise.allSettled(children.map((c) => c.kill()));
}
