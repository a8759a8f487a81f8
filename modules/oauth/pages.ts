/**
 * The few HTML pages of the sign-in flow: login, approval, the out-of-band
 * code and errors. Plain server-rendered forms that work without JavaScript.
 *
 * Every interpolation goes through the `html` tag, which escapes it unless it
 * is already-built Html, so user-controlled text (app names, usernames,
 * state) can never inject markup.
 */
import { describeScope } from "./scopes.ts";
import { Html, html } from "../../src/http/html-template.ts";

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.4rem; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input[type=text], input[type=email], input[type=password] { width: 100%; padding: .5rem; box-sizing: border-box; font: inherit; }
  button { margin-top: 1.25rem; margin-right: .5rem; padding: .5rem 1.25rem; font: inherit; cursor: pointer; }
  .error { color: #a00; background: #fee; padding: .5rem .75rem; border-radius: 4px; }
  code { display: block; padding: .75rem; background: #f3f3f3; font-size: 1.1rem; word-break: break-all; user-select: all; }
  .muted { color: #666; font-size: .9rem; }
`;

export function layout(title: string, body: Html): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`.value;
}

/** The authorization request, carried through the forms as hidden fields. */
export type AuthorizeParams = Record<string, string>;

function hiddenFields(fields: AuthorizeParams): Html[] {
  return Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
}

export function loginPage(options: {
  csrf: string;
  request: AuthorizeParams;
  appName: string;
  login?: string;
  error?: string;
}): string {
  return layout(
    "Sign in",
    html`<h1>Sign in</h1>
<p>Sign in to continue to <strong>${options.appName}</strong>.</p>
${options.error ? html`<p class="error" role="alert" id="login-error">${options.error}</p>` : ""}
<form method="post" action="/auth/sign_in">
<input type="hidden" name="csrf_token" value="${options.csrf}">
${hiddenFields(options.request)}
<label for="login">E-mail address or username</label>
<input type="text" id="login" name="login" value="${options.login ?? ""}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function approvalPage(options: {
  csrf: string;
  request: AuthorizeParams;
  app: { name: string; website: string | null };
  username: string;
  scopes: string[];
}): string {
  const website = options.app.website && /^https?:\/\//i.test(options.app.website)
    ? html` (<a href="${options.app.website}" rel="noopener noreferrer">${options.app.website}</a>)`
    : "";
  return layout(
    "Authorization required",
    html`<h1>Authorization required</h1>
<p><strong>${options.app.name}</strong>${website} would like permission to access your account <strong>@${options.username}</strong>.</p>
<p>It is a third-party application. If you do not trust it, you should not authorize it.</p>
<h2>Review permissions</h2>
<ul id="scopes">
${options.scopes.map((scope) => html`<li><strong>${scope}</strong>: ${describeScope(scope)}</li>`)}
</ul>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="csrf_token" value="${options.csrf}">
${hiddenFields(options.request)}
<button type="submit" name="decision" value="approve" id="authorize">Authorize</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>
<form method="post" action="/auth/sign_out">
<input type="hidden" name="csrf_token" value="${options.csrf}">
${hiddenFields(options.request)}
<p class="muted">Not @${options.username}? <button type="submit">Sign out</button></p>
</form>`,
  );
}

export function codePage(code: string, appName: string): string {
  return layout(
    "Authorization code",
    html`<h1>Authorization code</h1>
<p>Copy this authorization code and paste it into <strong>${appName}</strong>.</p>
<code id="authorization-code">${code}</code>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(title, html`<h1>${title}</h1><p class="error" role="alert">${message}</p>`);
}
