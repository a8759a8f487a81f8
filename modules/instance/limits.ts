/**
 * The limits this server advertises in /api/v1/instance and /api/v2/instance.
 * They are promises to clients (compose boxes count characters against them,
 * upload dialogs check sizes), so every module that enforces one reads it
 * from here and the advertised value can never drift from the enforced one.
 * Values follow Mastodon 4.3's defaults.
 */
export const INSTANCE_LIMITS = {
  accounts: {
    maxFeaturedTags: 10,
    maxPinnedStatuses: 5,
    maxDisplayNameLength: 30,
    maxNoteLength: 500,
    maxProfileFields: 4,
    profileFieldNameLimit: 255,
    profileFieldValueLimit: 255,
  },
  statuses: {
    maxCharacters: 500,
    maxMediaAttachments: 4,
    /** Every URL counts as this many characters, whatever its length. */
    charactersReservedPerUrl: 23,
  },
  mediaAttachments: {
    supportedMimeTypes: [
      "image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp", "image/avif",
      "video/webm", "video/mp4", "video/quicktime", "video/ogg",
      "audio/wave", "audio/wav", "audio/x-wav", "audio/x-pn-wave", "audio/vnd.wave", "audio/ogg", "audio/vorbis",
      "audio/mpeg", "audio/mp3", "audio/webm", "audio/flac", "audio/aac", "audio/m4a", "audio/x-m4a", "audio/mp4",
      "audio/3gpp", "video/x-ms-asf",
    ] as readonly string[],
    imageSizeLimit: 16 * 1024 * 1024,
    /** Width × height, in pixels. */
    imageMatrixLimit: 7680 * 4320,
    videoSizeLimit: 99 * 1024 * 1024,
    videoFrameRateLimit: 120,
    videoMatrixLimit: 3840 * 2160,
    descriptionLimit: 1500,
  },
  polls: {
    maxOptions: 4,
    maxCharactersPerOption: 50,
    /** Seconds. */
    minExpiration: 300,
    /** Seconds (one month). */
    maxExpiration: 2_629_746,
  },
} as const;
