/**
 * For the picture tests: a Vega-Lite spec run through vega (as bench/svg.ts renders it) and
 * its scenegraph walked, so that a test can check where the marks landed (a tick over its bar,
 * a bar inside its frame) rather than only what the spec says.
 */

import type { TopLevelSpec } from 'vega-lite';
import { loadVega } from '../../bench/svg.js';

export interface Placed {
  readonly mark: string;
  readonly datum: Readonly<Record<string, unknown>>;
  readonly x: number;
  readonly width: number;
  readonly y: number;
  readonly height: number;
  /** Width of the group (a facet cell, a view) the item is drawn in. */
  readonly groupWidth: number;
}

interface SceneNode {
  readonly marktype?: string;
  readonly name?: string;
  readonly items?: readonly SceneNode[];
  readonly datum?: Record<string, unknown>;
  readonly x?: number;
  readonly y?: number;
  readonly width?: number;
  readonly height?: number;
}

/** Every item of every mark whose name ends with one of `marks`, with its geometry. */
export async function placedItems(spec: TopLevelSpec, marks: readonly string[]): Promise<Placed[]> {
  const { vega, vegaLite } = await loadVega();
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    await view.runAsync();
    const found: Placed[] = [];
    const walk = (node: SceneNode, groupWidth: number): void => {
      const name = node.name ?? '';
      const wanted = node.marktype !== undefined && marks.some((m) => name.endsWith(m));
      for (const item of node.items ?? []) {
        if (wanted && item.datum !== undefined) {
          found.push({ mark: name, datum: item.datum, x: item.x ?? 0, width: item.width ?? 0, y: item.y ?? 0, height: item.height ?? 0, groupWidth });
        }
        walk(item, node.marktype === 'group' && item.width !== undefined ? item.width : groupWidth);
      }
    };
    // vega's typings give the scenegraph no root, which it has.
    walk((view.scenegraph() as unknown as { readonly root: SceneNode }).root, Infinity);
    return found;
  } finally {
    view.finalize();
  }
}
