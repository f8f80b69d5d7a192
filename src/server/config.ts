/**
 * Node configuration: defaults, then a YAML file, then `HEKTOR_*` environment variables, then
 * command-line flags (later wins). Every value is validated; a bad one stops start-up with a
 * message that names the setting and what is allowed.
 */

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HektorError, errorMessage } from '../base/errors.js';

/** The settings of one node. */
export interface NodeConfig {
  /** Directory for all durable data. */
  dataDir: string;
  /** Address the REST API binds to. */
  host: string;
  /** REST port; 0 picks a free one. */
  httpPort: number;
  /** pino log level. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Milliseconds to let in-flight requests finish on shutdown. */
  shutdownTimeoutMs: number;
}

const schema = z.object({
  data_dir: z.string().min(1),
  host: z.string().min(1),
  http_port: z.coerce.number().int().min(0).max(65535),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  shutdown_timeout_ms: z.coerce.number().int().min(0).max(600_000),
});

/** Default settings. */
export const DEFAULT_CONFIG = {
  data_dir: './data',
  host: '127.0.0.1',
  http_port: 6333,
  log_level: 'info',
  shutdown_timeout_ms: 10_000,
} as const;

const ENV_KEYS = Object.keys(DEFAULT_CONFIG).map((k) => [k, `HEKTOR_${k.toUpperCase()}`] as const);

/** Resolves the configuration from a file path, the environment and flag overrides (snake_case keys). */
export function loadConfig(options: { file?: string | undefined; env?: NodeJS.ProcessEnv; flags?: Record<string, string | number | undefined> }): NodeConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  if (options.file !== undefined) {
    let fromFile: unknown;
    try {
      fromFile = parseYaml(readFileSync(options.file, 'utf8'));
    } catch (e: unknown) {
      throw new HektorError('invalid_config', `cannot read config file ${options.file}: ${errorMessage(e)}`);
    }
    if (fromFile !== null && fromFile !== undefined) {
      if (typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new HektorError('invalid_config', `config file ${options.file} must be a YAML mapping`);
      for (const [k, v] of Object.entries(fromFile)) {
        if (!(k in DEFAULT_CONFIG)) throw new HektorError('invalid_config', `config file ${options.file}: unknown setting "${k}"; known: ${Object.keys(DEFAULT_CONFIG).join(', ')}`);
        merged[k] = v;
      }
    }
  }
  const env = options.env ?? {};
  for (const [key, envName] of ENV_KEYS) {
    const v = env[envName];
    if (v !== undefined && v !== '') merged[key] = v;
  }
  for (const [k, v] of Object.entries(options.flags ?? {})) if (v !== undefined) merged[k] = v;
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HektorError('invalid_config', `invalid setting ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const c = parsed.data;
  return { dataDir: c.data_dir, host: c.host, httpPort: c.http_port, logLevel: c.log_level, shutdownTimeoutMs: c.shutdown_timeout_ms };
}
