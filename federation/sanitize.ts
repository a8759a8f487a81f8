/**
 * Remote HTML → the HTML we store and serve, by Mastodon's allow-list
 * (Sanitize::Config::MASTODON_STRICT in lib/sanitize_ext/sanitize_config.rb).
 *
 * Built on sanitize-html rather than hand-written: it is the most used
 * allow-list sanitiser on npm, actively maintained with security advisories
 * handled upstream (raw-text elements, <noscript>/<iframe> fallbacks,
 * entity-obfuscated URL schemes), and parses with htmlparser2 so malformed
 * markup is rebuilt from tokens, never passed through. What is ours is only
 * the configuration, which follows Mastodon rule by rule:
 *
 * - elements p br span a del s pre blockquote code b strong u i em ul ol li
 *   ruby rt rp; any other element is unwrapped (its text kept), except the
 *   ones whose content is not text (script, style, svg, iframe, …), which go
 *   with their content;
 * - h1–h6 become <p><strong>…</strong></p>;
 * - <math> becomes its TeX annotation between $ (FEP-dc88), or its
 *   text/plain annotation, or nothing;
 * - attributes: lang everywhere; a: href rel class translate; span: class
 *   translate; p: class; ol: start reversed; li: value; translate only as
 *   "no";
 * - classes: microformats (h-, p-, u-, dt-, e-), mention, hashtag, ellipsis,
 *   invisible, quote-inline;
 * - links only to http, https, dat, dweb, ipfs, ipns, ssb, gopher, xmpp,
 *   magnet, gemini; any other link (relative, javascript:, data:, …) is
 *   replaced by its text; every link gets rel="nofollow noopener" and
 *   target="_blank" (replacing whatever rel it had, as Mastodon does).
 */
import sanitizeHtmlLibrary, { type IOptions } from "sanitize-html";

export const LINK_PROTOCOLS = [
  "http",
  "https",
  "dat",
  "dweb",
  "ipfs",
  "ipns",
  "ssb",
  "gopher",
  "xmpp",
  "magnet",
  "gemini",
] as const;

const ELEMENTS = [
  "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em",
  "ul", "ol", "li", "ruby", "rt", "rp",
];

const CLASSES = ["h-*", "p-*", "u-*", "dt-*", "e-*", "mention", "hashtag", "ellipsis", "invisible", "quote-inline"];

/**
 * Elements dropped with everything inside them: Sanitize's remove_contents
 * (iframe math noembed noframes noscript plaintext script style svg xmp)
 * plus the other elements whose content is not shown as text.
 */
const DROPPED_WITH_CONTENT = [
  "script", "style", "svg", "iframe", "noembed", "noframes", "noscript", "plaintext", "xmp",
  "textarea", "option", "template", "title", "head", "object", "applet", "frameset",
];

/**
 * Markers for output that sanitize-html cannot express (wrapping an element,
 * inserting text around one): emitted as bare allowed tags, rewritten after.
 * A marker in the input itself is unwrapped like any unknown element (see
 * transformTags), so only ours survive to the rewrite.
 */
const HEADING = "x-fedisky-heading";
const TEX_INLINE = "x-fedisky-tex-inline";
const TEX_BLOCK = "x-fedisky-tex-block";
const MARKERS = [HEADING, TEX_INLINE, TEX_BLOCK];
const UNWRAP = "x-fedisky-unwrap";

const MARKER_REWRITES: [RegExp, string][] = [
  [new RegExp(`<${HEADING}>`, "g"), "<p><strong>"],
  [new RegExp(`</${HEADING}>`, "g"), "</strong></p>"],
  [new RegExp(`</?${TEX_INLINE}>`, "g"), "$"],
  [new RegExp(`</?${TEX_BLOCK}>`, "g"), "$$$$"],
];

/**
 * The scheme of an href the way a browser reads it: entities are already
 * decoded by the parser; ASCII whitespace and control characters inside the
 * scheme are ignored by URL parsers ("java\tscript:"), so they are removed
 * before looking. No scheme means a relative link.
 */
function linkScheme(href: string): string | null {
  const compact = href.replace(/[\u0000-\u0020\u007f-\u009f]/g, "");
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(compact);
  return match ? match[1]!.toLowerCase() : null;
}

function allowedLink(href: string | undefined): boolean {
  if (!href) return false;
  const scheme = linkScheme(href);
  return scheme !== null && (LINK_PROTOCOLS as readonly string[]).includes(scheme);
}

/** `translate` survives only as "no" (Mastodon marks mentions and links untranslatable). */
function withoutTranslate(attribs: Record<string, string>): Record<string, string> {
  if (attribs.translate === undefined || attribs.translate.trim().toLowerCase() === "no") return attribs;
  const { translate: _dropped, ...rest } = attribs;
  return rest;
}

/** Per call: the state of the <math> elements being flattened. */
interface MathState {
  /** Open <math> elements (nested ones count too). */
  depth: number;
  block: boolean;
  /** A TeX annotation was kept for the current <math>; a later text/plain one is then dropped. */
  keptTex: boolean;
  /** Inside the annotation being kept: its text is the only text of a <math> that survives. */
  keeping: boolean;
}

function options(math: MathState): IOptions {
  const headings = Object.fromEntries(
    ["h1", "h2", "h3", "h4", "h5", "h6"].map((tag) => [tag, () => ({ tagName: HEADING, attribs: {} })]),
  );
  const markersUnwrapped = Object.fromEntries(MARKERS.map((tag) => [tag, () => ({ tagName: UNWRAP, attribs: {} })]));
  return {
    allowedTags: [...ELEMENTS, ...MARKERS],
    allowedAttributes: {
      "*": ["lang"],
      a: ["href", "translate", "rel", "target"],
      span: ["translate"],
      ol: ["start", "reversed"],
      li: ["value"],
    },
    allowedClasses: { a: CLASSES, span: CLASSES, p: CLASSES },
    allowedSchemes: [...LINK_PROTOCOLS],
    allowedSchemesAppliedToAttributes: ["href"],
    allowProtocolRelative: false,
    parseStyleAttributes: false,
    disallowedTagsMode: "discard",
    nonTextTags: DROPPED_WITH_CONTENT,
    enforceHtmlBoundary: false,
    transformTags: {
      ...markersUnwrapped,
      ...headings,
      a: (tagName, attribs) => {
        if (!allowedLink(attribs.href)) return { tagName: UNWRAP, attribs: {} };
        return { tagName, attribs: { ...withoutTranslate(attribs), rel: "nofollow noopener", target: "_blank" } };
      },
      span: (tagName, attribs) => ({ tagName, attribs: withoutTranslate(attribs) }),
      annotation: (_tagName, attribs) => {
        if (math.keeping && math.depth > 0 && attribs.encoding === "application/x-tex") {
          return { tagName: math.block ? TEX_BLOCK : TEX_INLINE, attribs: {} };
        }
        return { tagName: UNWRAP, attribs: {} };
      },
    },
    onOpenTag: (name, attribs) => {
      if (name === "math") {
        math.depth++;
        if (math.depth === 1) {
          math.block = attribs.display === "block";
          math.keptTex = false;
        }
      } else if (name === "annotation" && math.depth > 0 && !math.keeping) {
        if (attribs.encoding === "application/x-tex") {
          math.keeping = true;
          math.keptTex = true;
        } else if (attribs.encoding === "text/plain" && !math.keptTex) {
          math.keeping = true;
        }
      }
    },
    onCloseTag: (name) => {
      if (name === "math") math.depth = Math.max(0, math.depth - 1);
      else if (name === "annotation") math.keeping = false;
    },
    // Presentation MathML reads as a jumble of symbols; only the chosen annotation is kept.
    textFilter: (text) => (math.depth > 0 && !math.keeping ? "" : text),
  };
}

/**
 * Sanitises HTML from another server for storing and serving (status
 * content, profile notes and field values). Idempotent: sanitising the
 * output again changes nothing.
 */
export function sanitizeHtml(html: string | null | undefined): string {
  if (!html) return "";
  const math: MathState = { depth: 0, block: false, keptTex: false, keeping: false };
  let result = sanitizeHtmlLibrary(html, options(math));
  for (const [pattern, replacement] of MARKER_REWRITES) result = result.replace(pattern, replacement);
  return result.trim();
}

const TEXT_ONLY: IOptions = {
  allowedTags: [],
  allowedAttributes: {},
  disallowedTagsMode: "discard",
  nonTextTags: DROPPED_WITH_CONTENT,
};

const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"' };

/**
 * The text of remote HTML (an Article's summary, a name someone sent as
 * HTML): tags dropped, line breaks and paragraphs kept as newlines, entities
 * decoded. The result is plain text: escape it before putting it in HTML.
 */
export function htmlToPlainText(html: string | null | undefined): string {
  if (!html) return "";
  // Only newlines are inserted here; the tags themselves are removed by the sanitiser.
  const withBreaks = html.replace(/<br\s*\/?>/gi, "\n").replace(/<\/p\s*>/gi, "\n\n");
  const text = sanitizeHtmlLibrary(withBreaks, TEXT_ONLY).replace(/&(?:amp|lt|gt|quot);/g, (e) => ENTITIES[e]!);
  return text.replace(/\n{3,}/g, "\n\n").trim();
}

/**
 * A plain-text field from another server (display name, content warning,
 * alt text, poll option): control characters other than newline and tab
 * removed, trimmed, cut at `maxLength` code points so a hostile peer cannot
 * store megabytes in a name.
 */
export function cleanPlainText(text: string | null | undefined, maxLength: number): string {
  if (!text) return "";
  const cleaned = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "").trim();
  const codePoints = [...cleaned];
  return codePoints.length > maxLength ? codePoints.slice(0, maxLength).join("") : cleaned;
}
