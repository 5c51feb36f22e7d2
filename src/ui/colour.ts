/**
 * Whether to colour output, by the conventions users set in their shells: `FORCE_COLOR` (any value
 * but `0`/`false` forces colour, even into a pipe; it wins over NO_COLOR, as in Node itself),
 * `NO_COLOR` (https://no-color.org: present and not empty turns colour off, even on a terminal),
 * else colour only on a terminal whose TERM is not `dumb`. chalk alone ignores NO_COLOR.
 */
export function useColour(stream: { isTTY?: boolean | undefined }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}
