/** "1 file", "3 files": counts in messages, so that no output says "1 files". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The singular of a plural unit name ("iterations" → "iteration", "entries" → "entry"); others as they are. */
export function singularUnit(unit: string): string {
  if (unit.endsWith('ies')) return `${unit.slice(0, -3)}y`;
  if (unit.endsWith('s') && !unit.endsWith('ss')) return unit.slice(0, -1);
  return unit;
}
