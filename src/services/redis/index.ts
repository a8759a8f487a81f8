import type { Config } from "../../config.ts";
import type { Redis } from "./port.ts";

export type { Redis, RedisCommand } from "./port.ts";

/**
 * The configured Redis adapter, with the configured key prefix applied.
 * Adapters are loaded lazily so a deployment only loads the client it uses.
 */
export async function openRedis(config: Config): Promise<Redis> {
  const prefix = config.redisKeyPrefix;
  switch (config.redis.kind) {
    case "native": {
      const { NativeRedis } = await import("./native.ts");
      return new NativeRedis(config.redis.url, prefix);
    }
    case "upstash": {
      const { UpstashRedis } = await import("./upstash.ts");
      return new UpstashRedis({ url: config.redis.url, token: config.redis.token, prefix });
    }
    case "memory": {
      const { MemoryRedis } = await import("./memory.ts");
      return new MemoryRedis({ prefix });
    }
  }
}
