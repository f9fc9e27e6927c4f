/** A message cut to about `max` characters at a word's end, marked with "…", for one line of a report. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const space = text.lastIndexOf(' ', max);
  return `${text.slice(0, space > max / 2 ? space : max).trimEnd()}…`;
}
