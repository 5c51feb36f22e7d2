/**
 * Per-stage resources: what a stage holds while it runs (`resources: {cpu: 2, memory: 8GB, gpu: 1}`)
 * and, in the config, how much of each there is. `cpu` and `memory` default to this machine's;
 * any other name is a pool whose size the config declares. Amounts are plain numbers; `memory`
 * is in bytes and may be written with a unit.
 */

/** Resources every machine has; other names are pools declared in the config. */
export const MACHINE_RESOURCES = ['cpu', 'memory'] as const;

export const RESOURCE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 2 ** 10,
  kib: 2 ** 10,
  mi: 2 ** 20,
  mib: 2 ** 20,
  gi: 2 ** 30,
  gib: 2 ** 30,
  ti: 2 ** 40,
  tib: 2 ** 40,
};

/**
 * Bytes from `8GB`, `512MiB`, `1.5G` or a plain number of bytes. GB/G are decimal (10^9), as
 * machines' memory is sold; GiB/Gi binary (2^30).
 */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = SIZE_UNITS[(match[2] || 'b').toLowerCase()];
  return unit === undefined ? undefined : Number(match[1]) * unit;
}

/** `cpu: 2`, `memory: 8 GB`, `gpu: 1`: for messages. */
export function describeAmount(resource: string, amount: number): string {
  if (resource !== 'memory') return `${resource}: ${amount}`;
  const [unit, size] = amount >= 1e12 ? ['TB', 1e12] : amount >= 1e9 ? ['GB', 1e9] : amount >= 1e6 ? ['MB', 1e6] : ['bytes', 1];
  return `memory: ${Number((amount / (size as number)).toFixed(1))} ${unit}`;
}

export type ParsedResources = { ok: true; amounts: Record<string, number> } | { ok: false; message: string };

const DURATION_UNITS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86400 };

/**
 * Seconds from `90s`, `30m`, `2h`, `1d`, `1h30m`, Slurm's `[D-]HH:MM:SS` / `MM:SS`, or a plain
 * number of seconds (as `memory` is a plain number of bytes).
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  const clock = /^(?:(\d+)-)?(\d+):(\d{1,2})(?::(\d{1,2}))?$/.exec(text);
  if (clock) {
    const [, days, a, b, c] = clock;
    // HH:MM:SS with seconds, MM:SS without (Slurm's reading); D-HH:MM with a day.
    const seconds = c !== undefined ? Number(a) * 3600 + Number(b) * 60 + Number(c) : days !== undefined ? Number(a) * 3600 + Number(b) * 60 : Number(a) * 60 + Number(b);
    const total = Number(days ?? 0) * 86400 + seconds;
    return total > 0 ? total : undefined;
  }
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('').replace(/\s/g, '') !== text.replace(/\s/g, '')) return undefined;
  let total = 0;
  for (const [, amount, unit] of parts) {
    const scale = DURATION_UNITS[unit as string];
    if (scale === undefined) return undefined;
    total += Number(amount) * scale;
  }
  return total > 0 ? total : undefined;
}

/**
 * Checks a `resources` mapping (from pipeline.yaml or the config) and converts its amounts. With
 * `time` (a stage's resources), `time` is a duration in seconds, not a pool.
 */
export function parseResources(value: unknown, options: { time?: boolean } = {}): ParsedResources {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: '`resources` must map resource names to amounts, e.g. {cpu: 2, memory: 8GB, gpu: 1}' };
  }
  const amounts: Record<string, number> = {};
  for (const [name, raw] of Object.entries(value)) {
    if (!RESOURCE_NAME.test(name)) {
      return { ok: false, message: `resource name '${name}' must start with a letter and use letters, digits, _ and -` };
    }
    if (name === 'time' && options.time) {
      const seconds = parseDuration(raw);
      if (seconds === undefined) return { ok: false, message: `time must be a duration such as 90s, 30m, 2h or 1-12:00:00, got ${JSON.stringify(raw)}` };
      amounts[name] = seconds;
      continue;
    }
    const amount = name === 'memory' ? parseSize(raw) : typeof raw === 'number' && Number.isFinite(raw) && raw >= 0 ? raw : undefined;
    if (amount === undefined) {
      return {
        ok: false,
        message:
          name === 'memory'
            ? `memory must be a size such as 512MB, 8GB or 16GiB (or a number of bytes), got ${JSON.stringify(raw)}`
            : `${name} must be a number of at least 0, got ${JSON.stringify(raw)}`,
      };
    }
    amounts[name] = amount;
  }
  return { ok: true, amounts };
}
