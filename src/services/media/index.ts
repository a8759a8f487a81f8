import type { Config } from "../../config.ts";
import { createDiskMediaStore } from "./disk.ts";
import type { MediaStore } from "./port.ts";

export async function openMediaStore(config: Config): Promise<MediaStore> {
  if (config.s3) {
    const { createS3MediaStore } = await import("./s3.ts");
    return createS3MediaStore(config, config.s3);
  }
  return createDiskMediaStore(config);
}
