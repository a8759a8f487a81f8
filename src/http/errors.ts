/**
 * Mastodon-shaped errors: every failure leaves as `{"error": "..."}` with the
 * status Mastodon uses. Services throw ApiError; the app's error hook turns
 * it (and anything unexpected) into a response.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
    this.name = "ApiError";
  }

  toJSON(): Record<string, unknown> {
    return { error: this.error, ...this.extra };
  }
}

export const notFound = (what = "Record not found") => new ApiError(404, what);
export const unauthorized = (what = "The access token is invalid") => new ApiError(401, what);
export const forbidden = (what = "This action is outside the authorized scopes") => new ApiError(403, what);
export const unprocessable = (what: string, details?: Record<string, unknown>) =>
  new ApiError(422, what.startsWith("Validation failed") ? what : `Validation failed: ${what}`, details ? { details } : {});
export const badRequest = (what: string) => new ApiError(400, what);
export const tooManyRequests = () => new ApiError(429, "Too many requests");

export function jsonError(status: number, error: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}
