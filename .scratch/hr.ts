const html = `<p class="a">x<a href="java&#x09;script:1" onclick="y">l</a><br />&lt;script&gt;</p>`;
const found: any[] = [];
await new HTMLRewriter().on("*", { element(el) { found.push([el.tagName, [...el.attributes]]); } }).transform(new Response(html)).text();
console.log(JSON.stringify(found));
