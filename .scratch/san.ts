import { sanitizeHtml, htmlToPlainText } from "../federation/sanitize.ts";
const cases = [
  `<p>Hello <a href="https://x.example/@a" class="u-url mention foo">@<span>a</span></a> <a href="https://x.example/tags/t" class="mention hashtag" rel="tag">#<span>t</span></a></p>`,
  `<h1 class="x">Title</h1><p>para</p>`,
  `<script>alert(1)</script><p onclick="x()">hi</p>`,
  `<a href="javascript:alert(1)">js <b>bold</b></a>`,
  `<a href="java&#x09;script:alert(1)">tab</a>`,
  `<a href="/relative">rel</a>`,
  `<span translate="yes" class="invisible">a</span><span translate="no">b</span>`,
  `<math display="block"><semantics><mrow><mi>x</mi></mrow><annotation encoding="application/x-tex">x^2</annotation></semantics></math> and <math><semantics><mi>y</mi><annotation encoding="text/plain">y</annotation></semantics></math>`,
  `<x-fedisky-heading>fake</x-fedisky-heading>`,
  `<img src=x onerror=alert(1)><svg><script>alert(1)</script>svgtext</svg>`,
  `<ol start="3" reversed><li value="5">x</li></ol><p lang="en" class="quote-inline h-entry bad">q</p>`,
  `<a href="https://ok.example" rel="me" target="_self">ok</a>`,
];
for (const c of cases) console.log(JSON.stringify(sanitizeHtml(c)));
console.log(JSON.stringify(htmlToPlainText("<p>a &amp; b</p><p>c<br>d</p><script>x</script>")));
