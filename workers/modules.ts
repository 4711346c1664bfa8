/** Loads the kthread modules of a runtime and indexes their cpuhp definitions by export name. */

import { definitionKind, type Definition, type DefinitionKind } from '../src/kthread/definition.js';
import type { ModuleCatalogue } from '../src/protocol/control-plane.js';

export interface LoadedModules {
  readonly definitions: ReadonlyMap<string, Definition>;
  readonly catalogue: ModuleCatalogue;
}

export async function loadModules(urls: readonly string[]): Promise<LoadedModules> {
  const definitions = new Map<string, Definition>();
  const origin = new Map<string, string>();
  for (const url of urls) {
    const namespace = (await import(url)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(namespace)) {
      if (definitionKind(value) === undefined) continue;
      const previous = origin.get(name);
      if (previous !== undefined) {
        throw new Error(`export '${name}' is defined by both ${previous} and ${url}; rename one of them`);
      }
      definitions.set(name, value as Definition);
      origin.set(name, url);
    }
  }
  const catalogue: Record<string, DefinitionKind> = {};
  for (const [name, definition] of definitions) catalogue[name] = definitionKind(definition)!;
  return { definitions, catalogue };
}
