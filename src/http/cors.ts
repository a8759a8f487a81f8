/**
 * CORS as Mastodon's rack-cors configuration sends it, so browser clients
 * (Phanpy, Elk) can call the API from their own origins. No credentials:
 * the API authenticates with bearer tokens, never cookies.
 */
const CORS_PATHS = [/^\/api\//, /^\/oauth\/token$/, /^\/oauth\/revoke$/, /^\/\.well-known\//, /^\/nodeinfo\//];

export function corsApplies(pathname: string): boolean {
  return CORS_PATHS.some((pattern) => pattern.test(pathname));
}

export const corsHeaders: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers":
    "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Idempotency-Key",
};

export function preflightResponse(request: Request): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...corsHeaders,
      "access-control-allow-methods": "POST, PUT, DELETE, GET, PATCH, OPTIONS",
      "access-control-allow-headers":
        request.headers.get("access-control-request-headers") ?? "Authorization, Content-Type, Idempotency-Key",
      "access-control-max-age": "7200",
      vary: "Origin",
    },
  });
}
