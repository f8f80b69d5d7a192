/**
 * Error codes and the typed error every layer raises for expected failures. A code is stable:
 * clients match on it, and docs/errors.md lists every one. The HTTP status lives with the code so
 * that the API edge maps errors the same way everywhere.
 */

/** Every stable error code with its HTTP status and a one-line meaning (mirrored in docs/errors.md). */
export const ERROR_CODES = {
  invalid_json: { status: 400, meaning: 'the request body is not valid JSON' },
  invalid_request: { status: 400, meaning: 'the request body or parameters do not match the schema' },
  invalid_vector: { status: 400, meaning: 'a vector has the wrong size or a non-finite value' },
  invalid_point_id: { status: 400, meaning: 'a point id is not an unsigned 64-bit integer or a UUID' },
  invalid_filter: { status: 400, meaning: 'a filter is malformed' },
  invalid_collection_name: { status: 400, meaning: 'a collection name has characters or a length that is not allowed' },
  invalid_config: { status: 400, meaning: 'a collection or server configuration value is out of range' },
  payload_too_large: { status: 413, meaning: 'the request exceeds a documented size limit' },
  collection_not_found: { status: 404, meaning: 'no collection has that name' },
  collection_exists: { status: 409, meaning: 'a collection with that name already exists' },
  point_not_found: { status: 404, meaning: 'a point named by the request does not exist' },
  route_not_found: { status: 404, meaning: 'no API endpoint has that method and path' },
  unauthorized: { status: 401, meaning: 'the request has no valid credentials' },
  forbidden: { status: 403, meaning: 'the credentials do not allow this operation' },
  too_many_requests: { status: 429, meaning: 'too many requests are in flight; retry later' },
  storage_error: { status: 500, meaning: 'the durable store failed to write (for example, the disk is full); nothing was changed' },
  shutting_down: { status: 503, meaning: 'the node is shutting down and accepts no new work' },
  cluster_unavailable: { status: 503, meaning: 'no cluster leader could be reached in time, or this node is not part of a quorum; retry' },
  shard_unavailable: { status: 503, meaning: 'a shard the request needs is not served by this node; send the request to the node that holds it' },
  not_primary: { status: 503, meaning: 'the node asked to write a shard is no longer its primary (a failover is under way); retry, the router finds the new primary' },
  not_enough_replicas: { status: 503, meaning: 'too few replicas of a shard are in sync for the write consistency asked; nothing was written' },
  write_timeout: { status: 504, meaning: 'a write was logged by the primary but not acknowledged by its consistency mode in time; it may or may not be applied' },
  peer_refused: { status: 403, meaning: 'a node presented no certificate, a certificate of another node, or is not a cluster member' },
  internal: { status: 500, meaning: 'an unexpected internal error; the server stays up and logs it' },
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** An expected failure with a stable code, a message that says what to fix, and optional details. */
export class HektorError extends Error {
  /** The stable code clients match on. */
  readonly code: ErrorCode;
  /** Structured context (field paths, limits) for logs and clients. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  /** Creates an error with a code, a message for the user and optional structured details. */
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HektorError';
    this.code = code;
    this.details = details;
  }

  /** The HTTP status that goes with this error's code. */
  get httpStatus(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** True when `e` is a HektorError (optionally with the given code). */
export function isHektorError(e: unknown, code?: ErrorCode): e is HektorError {
  return e instanceof HektorError && (code === undefined || e.code === code);
}

/** Renders any thrown value as a message string, for logs and causes. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
