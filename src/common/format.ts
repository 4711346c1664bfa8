/**
 * Output helpers shared by the command line, torture and the benchmarks: an aligned text
 * table and number formats.
 */

export type Align = 'left' | 'right';

export interface Column {
  readonly header: string;
  /** Numbers read best right-aligned; default left. */
  readonly align?: Align;
}

/**
 * Renders rows under their headers, each column as wide as its widest cell and two spaces
 * between columns. Trailing blanks are trimmed so the output diffs cleanly.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        return column.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n');
}

// A fixed locale, so output does not change with the machine's language settings.
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count with thousands separators: 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** Milliseconds to microsecond precision, the resolution the latency histograms record. */
export function formatMs(ms: number): string {
  return ms.toFixed(3);
}

/** "1 CPU", "2 CPUs". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}
