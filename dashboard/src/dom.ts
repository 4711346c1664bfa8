/**
 * Tiny DOM helpers (no framework). The page updates several times a second, so every view
 * keeps its elements and writes only what changed: setText and setClass compare first, and
 * KeyedList reuses one element per key, moving one only when the order changed.
 */

/** The element with this id, which index.html has; a missing one is a bug of the page. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** A new element with a class and text (textContent: nothing is ever parsed as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className !== '') node.className = className;
  if (text !== '') node.textContent = text;
  return node;
}

export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** Adds or removes one class. */
export function setClass(node: Element, name: string, on: boolean): void {
  if (node.classList.contains(name) !== on) node.classList.toggle(name, on);
}

/** Sets a data-* attribute, only when it changes. */
export function setData(node: HTMLElement, key: string, value: string): void {
  if (node.dataset[key] !== value) node.dataset[key] = value;
}

export function show(node: HTMLElement, visible: boolean): void {
  setClass(node, 'hidden', !visible);
}

/** A number for people: integers as they are, others with `digits` decimals. */
export function num(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return '–';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

/** ms as "12.3 ms" or "1.25 s". */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

/**
 * Elements keyed by K inside `container`, in the order update() is given. make() builds an
 * element once per key; elements whose key is gone are removed. Order is fixed by moving only
 * the elements not already in place, so a steady list costs no DOM writes at all. The
 * container holds nothing else after `head`.
 */
export class KeyedList<K, N extends HTMLElement> {
  private readonly nodes = new Map<K, N>();

  constructor(
    private readonly container: HTMLElement,
    private readonly make: (key: K) => N,
    /** A fixed first child of the container (a group's heading) that the list keeps after. */
    private readonly head: ChildNode | null = null,
  ) {}

  /** The elements for `keys`, in that order; the caller then fills each. */
  update(keys: readonly K[]): N[] {
    const wanted = new Set(keys);
    for (const [key, node] of this.nodes) {
      if (!wanted.has(key)) {
        node.remove();
        this.nodes.delete(key);
      }
    }
    const out: N[] = [];
    let cursor: ChildNode | null = this.head === null ? this.container.firstChild : this.head.nextSibling;
    for (const key of keys) {
      let node = this.nodes.get(key);
      if (node === undefined) {
        node = this.make(key);
        this.nodes.set(key, node);
      }
      if (node !== cursor) this.container.insertBefore(node, cursor);
      else cursor = cursor.nextSibling;
      out.push(node);
    }
    return out;
  }

  get(key: K): N | undefined {
    return this.nodes.get(key);
  }
}
