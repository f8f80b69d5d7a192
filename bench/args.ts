/**
 * Command-line flags of the bench scripts: `--name value`, `--name=value` and bare `--flag`,
 * with an environment fallback (`HEKTOR_BENCH_NAME`) so that `npm run bench:search` can be
 * tuned without `--` separators.
 */

/** Parsed flags: name → value ("true" for a bare flag). */
export type Flags = ReadonlyMap<string, string>;

/** Parses `argv` (without node and the script path). */
export function parseFlags(argv: readonly string[]): Flags {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}" (flags look like --name value)`);
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    if (eq >= 0) {
      flags.set(body.slice(0, eq), body.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags.set(body, next);
      i++;
    } else {
      flags.set(body, 'true');
    }
  }
  return flags;
}

function envName(name: string): string {
  return `HEKTOR_BENCH_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** The flag's value, else the environment's, else undefined. */
export function flagString(flags: Flags, name: string): string | undefined {
  return flags.get(name) ?? process.env[envName(name)];
}

/** A flag holding a positive integer (underscores allowed: 100_000). */
export function flagInt(flags: Flags, name: string, fallback: number): number {
  const text = flagString(flags, name);
  if (text === undefined) return fallback;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got "${text}"`);
  return value;
}

/** A flag holding a positive number. */
export function flagNumber(flags: Flags, name: string, fallback: number): number {
  const text = flagString(flags, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${text}"`);
  return value;
}

/** A comma-separated list of positive integers. */
export function flagIntList(flags: Flags, name: string, fallback: readonly number[]): number[] {
  const text = flagString(flags, name);
  if (text === undefined) return [...fallback];
  return text.split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must list positive integers, got "${text}"`);
    return value;
  });
}

/** A boolean flag: present (or "true"/"1") means on. */
export function flagBool(flags: Flags, name: string): boolean {
  const text = flagString(flags, name);
  return text === 'true' || text === '1' || text === '';
}
