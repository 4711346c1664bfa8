/**
 * How wide a line of text is, for vega's layout when it renders without a canvas. Vega then
 * guesses 0.8 em for every character, half again the real width of sans-serif text, and lays
 * every title, label and legend out that much wider: the pictures came out with wide blank
 * columns. vega takes a replacement for exactly this (textMetrics.width, as vl-convert sets
 * it); this one sums each character's advance.
 *
 * Advances are Helvetica's (its AFM metrics, in thousandths of an em), scaled up to DejaVu
 * Sans, the widest of the fonts 'sans-serif' becomes (Helvetica, Arial, DejaVu): a label may
 * end a little short of its room, never past it. Bold text is a tenth wider.
 */

/** Advances of ' ' (32) to '~' (126), Helvetica, 1/1000 em. */
const ASCII_ADVANCES = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' ' to '/'
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // digits
  278, 278, 584, 584, 584, 556, 1015, // ':' to '@'
  667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // 'A' to 'Z'
  278, 278, 278, 469, 556, 333, // '[' to '`'
  556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // 'a' to 'z'
  334, 260, 334, 584, // '{' to '~'
] as const;
/** Any other character (arrows, ÷, ≤, accented letters): about a digit's width, a little more. */
const OTHER_ADVANCE = 600;
/** DejaVu Sans ÷ Helvetica, over lowercase text. */
const WIDEST_SANS = 1.12;
const BOLD = 1.1;

/** The part of a vega text item this reads (vega-scenegraph's own defaults: 11 px, normal weight). */
export interface TextItem {
  readonly fontSize?: number;
  readonly fontWeight?: string | number;
}

function isBold(weight: string | number | undefined): boolean {
  return weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' && weight >= 600) || (typeof weight === 'string' && Number(weight) >= 600);
}

/** Width in px of `text` set in `item`'s font size and weight. */
export function textWidth(item: TextItem, text: unknown): number {
  const line = text === null || text === undefined ? '' : String(text).trim();
  const size = item.fontSize ?? 11;
  let thousandths = 0;
  for (const char of line) {
    const code = char.codePointAt(0)!;
    thousandths += code >= 32 && code <= 126 ? ASCII_ADVANCES[code - 32]! : OTHER_ADVANCE;
  }
  return (thousandths / 1000) * size * WIDEST_SANS * (isBold(item.fontWeight) ? BOLD : 1);
}

/**
 * `lines` with each one longer than `maxWidth` px (at `item`'s size) broken at spaces into
 * several: a picture's long notes (warnings, skipped rows) would otherwise set its width.
 */
export function wrapLines(lines: readonly string[], maxWidth: number, item: TextItem = {}): string[] {
  return lines.flatMap((line) => {
    const out: string[] = [];
    let current = '';
    for (const word of line.split(' ')) {
      const next = current === '' ? word : `${current} ${word}`;
      if (current !== '' && textWidth(item, next) > maxWidth) {
        out.push(current);
        current = `  ${word}`;
      } else {
        current = next;
      }
    }
    out.push(current);
    return out;
  });
}
