import { parseJsonLd } from "../federation/translate/jsonld.ts";
const r = await parseJsonLd({ "@context": "https://www.w3.org/ns/activitystreams", id: "https://a.example/n/1", type: "Note", to: ["Public", "as:Public"], cc: "https://www.w3.org/ns/activitystreams#Public", content: "x", contentMap: {en: "y"} });
if (r.ok) { console.log((r.object as any).toIds.map((u: URL) => u.href), (r.object as any).ccIds.map((u: URL) => u.href), (r.object as any).contents); }
else console.log(r.error);
