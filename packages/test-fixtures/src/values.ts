/**
 * Values that have broken spreadsheets and parsers: formula starters, quotes, separators, CR/LF, NUL, a value
 * longer than an Excel cell. The one list: the sink tests and the simulator's `hostileValues` data both use it.
 */
export const HOSTILE_VALUES: readonly string[] = [
  '=HYPERLINK("http://evil.example","click")',
  '+1',
  '-2+3',
  '@SUM(A1)',
  'say "hi", then, leave',
  'line one\r\nline two\nline three',
  '\ttabbed',
  '\rcarriage',
  'nul\u0000byte',
  'café/ünïcode-日本-🐳',
  'A'.repeat(40_000),
];
