/** The output helpers (src/common/format.ts) that the command line, torture and the benchmarks share. */

import t from 'tap';
import { formatCount, formatMs, plural, renderTable } from '../../src/common/format.js';

t.test('renderTable aligns each column to its widest cell and trims trailing blanks', async (t) => {
  const table = renderTable(
    [{ header: 'CPU', align: 'right' }, { header: 'state' }, { header: 'note' }],
    [
      ['0', 'online', ''],
      ['12', 'offline', 'down'],
    ],
  );
  t.equal(table, ['CPU  state    note', '  0  online', ' 12  offline  down'].join('\n'));
});

t.test('numbers: counts with separators, ms to the microsecond, plurals', async (t) => {
  t.equal(formatCount(1234567), '1,234,567');
  t.equal(formatCount(0.6), '1', 'a count is whole');
  t.equal(formatMs(1.23456), '1.235');
  t.equal(plural(1, 'CPU'), '1 CPU');
  t.equal(plural(2, 'CPU'), '2 CPUs');
  t.equal(plural(1500, 'child', 'children'), '1,500 children');
});
