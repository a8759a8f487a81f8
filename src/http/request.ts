/**
 * Reading a request the way every module needs it: the merged parameters
 * (query string plus body, like Rails' `params`) and the client address.
 */
import { nestParams, type Params } from "./params.ts";
import { badRequest } from "./errors.ts";

/** Parses any body Mastodon accepts into nested params; used as Elysia's parser. */
export async function parseBody(request: Request, contentType: string): Promise<Params | undefined> {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  if (type === "application/json" || type.endsWith("+json")) {
    const text = await request.text();
    if (text.trim() === "") return {};
    try {
      const value = JSON.parse(text);
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw badRequest("Request body must be a JSON object");
      }
      return value as Params;
    } catch (error) {
      if (error instanceof Error && error.name === "ApiError") throw error;
      throw badRequest("Malformed JSON in request body");
    }
  }
  if (type === "application/x-www-form-urlencoded") {
    return nestParams(new URLSearchParams(await request.text()).entries());
  }
  if (type === "multipart/form-data") {
    let form: Awaited<ReturnType<Request["formData"]>>;
    try {
      form = await request.formData();
    } catch {
      throw badRequest("Malformed multipart body");
    }
    return nestParams(form.entries());
  }
  return undefined;
}

/** Query string and body merged; body wins, as in Rails. */
export function requestParams(request: Request, body: unknown): Params {
  const query = nestParams(new URL(request.url).searchParams.entries());
  return body && typeof body === "object" ? { ...query, ...(body as Params) } : query;
}

/**
 * The client's address, for rate limits. Behind a reverse proxy the socket
 * address is the proxy's, so the last X-Forwarded-For hop (the one our proxy
 * appended, unlike earlier hops a client can forge) wins when present.
 */
export function clientIp(
  request: Request,
  server: { requestIP(request: Request): { address: string } | null } | null | undefined,
): string {
  const forwarded = request.headers.get("x-forwarded-for");
  const hop = forwarded?.split(",").map((part) => part.trim()).filter(Boolean).at(-1);
  return hop ?? server?.requestIP(request)?.address ?? "unknown";
}
