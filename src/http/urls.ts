/** Every URL the server emits is built here, on PUBLIC_URL. */
import type { Config } from "../config.ts";

export function absoluteUrl(config: Config, path: string): string {
  return new URL(path, config.publicUrl).href;
}

export function accountUrls(config: Config, username: string) {
  const actor = absoluteUrl(config, `/users/${encodeURIComponent(username)}`);
  return {
    uri: actor,
    url: absoluteUrl(config, `/@${encodeURIComponent(username)}`),
    inbox: `${actor}/inbox`,
    outbox: `${actor}/outbox`,
    followers: `${actor}/followers`,
    following: `${actor}/following`,
    featured: `${actor}/collections/featured`,
    sharedInbox: absoluteUrl(config, "/inbox"),
  };
}
