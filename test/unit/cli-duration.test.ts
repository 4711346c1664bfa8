/** Durations on the command line (src/cli/duration.ts): the forms accepted, the round trip of the repeat command, the refusals. */

import t from 'tap';
import fc from 'fast-check';
import { InvalidArgumentError } from 'commander';
import { durationIn, formatDuration, parseDuration } from '../../src/cli/duration.js';

const WEEK_MS = 7 * 24 * 3_600_000;

t.test('the forms the message names are accepted', async (t) => {
  const cases: Array<[string, number]> = [
    ['500ms', 500],
    ['20s', 20_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2m30s', 150_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['1.5h', 5_400_000],
    ['1h0m0s1ms', 3_600_001],
    ['1m0.5s', 60_500],
    ['0.1s', 100],
    ['90m', 5_400_000],
  ];
  for (const [text, ms] of cases) t.equal(parseDuration(text, 's'), ms, text);
  t.equal(parseDuration('1.5', 's'), 1500, 'a bare number is in the unit given: seconds');
  t.equal(parseDuration('20', 'ms'), 20, 'a bare number is in the unit given: milliseconds');
});

t.test('slips and non-durations are refused', async (t) => {
  for (const text of ['', ' ', '1x', 's', '-1s', '+1s', '1e3', '1e3ms', 'NaN', 'Infinity', '1 s', ' 1s', '1s ', '30s2m', '1m1m', '1.s', '.5s', '0x10s', '1.0005s', '1,5s', '5min', '1hr', '1S', '1sms'])
    t.equal(parseDuration(text, 's'), undefined, JSON.stringify(text));
  t.equal(parseDuration('0.0001', 's'), undefined, 'less than a whole millisecond');
  t.equal(parseDuration('9'.repeat(400) + 's', 's'), undefined, 'beyond any safe integer');
});

t.test('durationIn: bounds, and a message that names the forms and the bounds', async (t) => {
  const parse = durationIn(1, WEEK_MS, 's');
  t.equal(parse('168h'), WEEK_MS);
  for (const text of ['0', '0s', '169h', '1e400', 'NaN', '-5s', '']) {
    t.throws(() => parse(text), InvalidArgumentError, `'${text}' refused`);
  }
  let message = '';
  try {
    parse('2x');
    t.fail("'2x' was accepted");
  } catch (error) {
    message = (error as Error).message;
  }
  {
    t.match(message, /from 1ms to 168h/, 'the bounds, in the syntax the flag takes');
    t.match(message, /2m30s/, 'a compound example');
    t.match(message, /units h, m, s, ms/, 'the units');
    t.match(message, /bare number is in seconds/, 'what a bare number means');
    t.match(message, /'2x'/, 'the value given');
  }
});

t.test('formatDuration parses back to the same milliseconds, and is the shortest compound (fast-check)', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: WEEK_MS * 100 }), (ms) => {
      const text = formatDuration(ms);
      // Every unit at most once, largest first: at most four parts.
      return parseDuration(text, 's') === ms && parseDuration(text, 'ms') === ms && /^(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/.test(text);
    }),
    { numRuns: 2000 },
  );
  t.equal(formatDuration(150_000), '2m30s');
  t.equal(formatDuration(0), '0s');
  t.equal(formatDuration(3_600_001), '1h1ms');
});

t.test('any compound written from parts parses to their sum (fast-check)', async (t) => {
  const part = fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined });
  fc.assert(
    fc.property(part, part, part, part, (h, m, s, ms) => {
      const text = `${h === undefined ? '' : `${h}h`}${m === undefined ? '' : `${m}m`}${s === undefined ? '' : `${s}s`}${ms === undefined ? '' : `${ms}ms`}`;
      const expected = (h ?? 0) * 3_600_000 + (m ?? 0) * 60_000 + (s ?? 0) * 1000 + (ms ?? 0);
      return parseDuration(text, 's') === (text === '' ? undefined : expected);
    }),
    { numRuns: 2000 },
  );
  t.pass('every compound held');
});

t.test('NaN, negative, huge and fractional-millisecond amounts are refused (fast-check)', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.constant(Number.NaN), fc.double({ max: -1e-3, noNaN: true }), fc.double({ min: 1e16, noNaN: true }), fc.constant(Number.POSITIVE_INFINITY)), (x) => {
      const parse = durationIn(0, WEEK_MS, 'ms');
      try {
        parse(String(x));
        return false;
      } catch (error) {
        return error instanceof InvalidArgumentError;
      }
    }),
    { numRuns: 500 },
  );
  t.pass('every one refused');
});
