/**
 * How an error becomes a REST answer: every failure, whether the route threw it, the body
 * parser refused the body or Fastify itself objected, is mapped to a HektorError with a stable
 * code, and answered with that code, its HTTP status and a message that says what to fix.
 */

import { HektorError, errorMessage, isHektorError } from '../base/errors.js';
import { LIMITS } from '../base/limits.js';

/** Maps any error a request met to the HektorError it is answered with. */
export function toHektorError(error: unknown): HektorError {
  if (isHektorError(error)) return error;
  const fe = error as { statusCode?: number; code?: string; message?: string };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new HektorError('payload_too_large', `request body exceeds ${LIMITS.requestBodyBytesMax} bytes; split it into smaller requests`);
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new HektorError('invalid_request', 'send the body as application/json');
  }
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new HektorError('invalid_json', 'the body is empty but the content type is application/json; send a JSON object');
  }
  // Only the body parser's errors are the client's bad JSON; any other SyntaxError is ours.
  if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error instanceof SyntaxError && fe.statusCode === 400)) {
    return new HektorError('invalid_json', `the body is not valid JSON: ${errorMessage(error)}`);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HektorError('invalid_request', errorMessage(error));
  }
  return new HektorError('internal', `internal error: ${errorMessage(error)}`, undefined, { cause: error });
}

/** The error reply of a request: its HTTP status and the JSON body every route answers with. */
export function errorReply(herr: HektorError, seconds: number): { httpStatus: number; body: Record<string, unknown> } {
  return {
    httpStatus: herr.httpStatus,
    body: {
      status: { error: herr.message, code: herr.code, ...(herr.details === undefined ? {} : { details: herr.details }) },
      time: seconds,
    },
  };
}
