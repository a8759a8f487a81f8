/** Media on the local disk, served by the app itself under /system/. */
import { mkdir, rm } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import type { Config } from "../../config.ts";
import { absoluteUrl } from "../../http/urls.ts";
import type { MediaStore } from "./port.ts";

const CONTENT_TYPE_SUFFIX = ".content-type";

export function createDiskMediaStore(config: Config): MediaStore {
  const root = join(config.dataDir, "media");
  const pathOf = (key: string) => {
    const path = normalize(join(root, key));
    if (!path.startsWith(root + "/")) throw new Error(`media key escapes the media directory: ${key}`);
    return path;
  };
  return {
    kind: "disk",
    async put(key, bytes, contentType) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      await Bun.write(path, bytes);
      await Bun.write(path + CONTENT_TYPE_SUFFIX, contentType);
    },
    async get(key) {
      const file = Bun.file(pathOf(key));
      if (!(await file.exists())) return null;
      const typeFile = Bun.file(pathOf(key) + CONTENT_TYPE_SUFFIX);
      const contentType = (await typeFile.exists()) ? await typeFile.text() : "application/octet-stream";
      return { bytes: new Uint8Array(await file.arrayBuffer()), contentType };
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
      await rm(pathOf(key) + CONTENT_TYPE_SUFFIX, { force: true });
    },
    publicUrl: (key) => absoluteUrl(config, `/system/${key}`),
    async close() {},
  };
}
