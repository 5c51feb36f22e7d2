/**
 * Metrics, model and split files are read by people (and diffed in pull requests): indent objects, but keep
 * arrays of numbers or strings (confusion-matrix rows, label lists) on one line.
 */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return `${text.replace(/\[\s*((?:(?:-?[\d.e+-]+|"(?:[^"\\]|\\.)*"|true|false|null)\s*,?\s*)*)\]/g, (_, items: string) =>
    `[${items.split(/,\s*\n\s*/).join(', ').trim()}]`,
  )}\n`;
}
