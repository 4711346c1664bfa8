/**
 * The names of cpuhp's built-in hotplug states, bottom-up, like `enum cpuhp_state` in the
 * kernel's include/linux/cpuhotplug.h. The rules, as the kernel's header states its own:
 *
 * - A CPU's position is the number of states whose startup has run for it. Coming up runs
 *   the startups from the bottom; going down runs the teardowns from the top.
 * - Every built-in state has a prefix that setupState refuses and removeState keeps, so a
 *   user's states (setupState) always stand above them, as the kernel's dynamic
 *   CPUHP_AP_ONLINE_DYN states stand above its static ones.
 * - Each state's callbacks are named functions owned by the file of their subsystem; the
 *   table that puts them in order is built in src/hotplug/builtin-states.ts.
 *
 * Torture, removeState and the tests import these names; none spells them out.
 */

/** bringup_cpu()/takedown: the CPU's worker wakes (or is started), or is made dormant (or ended). */
export const CPUHP_BRINGUP_CPU = 'cpuhp:bringup';
/** The CPU dies (DYING, DEAD): the kworker that was let finish its job parks, and the CPU's queued jobs move. */
export const CPUHP_AP_DYING = 'cpuhp:dying';
/** smpboot_unpark_threads()/smpboot_park_threads(): the CPU's bound threads run, or are quiesced by the strategy. */
export const CPUHP_AP_SMPBOOT_THREADS = 'smpboot:threads';

/** The built-in states, bottom-up: index 0 is the first startup of a CPU coming up. */
export const BUILTIN_STATES = [CPUHP_BRINGUP_CPU, CPUHP_AP_DYING, CPUHP_AP_SMPBOOT_THREADS] as const;

export type BuiltinStateName = (typeof BUILTIN_STATES)[number];

/** Names starting with these are the built-in states': setupState refuses them, removeState keeps them. */
export const RESERVED_STATE_PREFIXES = ['cpuhp:', 'smpboot:'] as const;

export function isBuiltinState(name: string): boolean {
  return RESERVED_STATE_PREFIXES.some((prefix) => name.startsWith(prefix));
}
