/**
 * The instance entities (V1 Instance, Instance v2, CustomEmoji, Activity,
 * ExtendedDescription, PrivacyPolicy) as Mastodon 4.x shapes them.
 */
import type { Config } from "../../src/config.ts";
import { absoluteUrl } from "../../src/http/urls.ts";
import packageJson from "../../package.json";
import { INSTANCE_LIMITS } from "./limits.ts";
import type { EmojiRow, InstanceStats } from "./storage.ts";

/** The Mastodon API level we implement. */
const MASTODON_VERSION = "4.3.0";
/** Clients parse the leading semver to decide which features to use; the rest says who we are. */
export const VERSION = `${MASTODON_VERSION} (compatible; ${packageJson.name} ${packageJson.version})`;

/** AGPL-style source link: package.json's repository when the project declares one. */
function sourceUrl(config: Config): string {
  const repository = (packageJson as { repository?: string | { url?: string }; homepage?: string }).repository;
  const url = typeof repository === "string" ? repository : repository?.url;
  return url?.replace(/^git\+/, "").replace(/\.git$/, "") ?? (packageJson as { homepage?: string }).homepage ?? absoluteUrl(config, "/");
}

/** ws(s):// on PUBLIC_URL's origin; clients append /api/v1/streaming themselves. */
export function streamingUrl(config: Config): string {
  const scheme = config.publicUrl.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${config.publicUrl.host}`;
}

function thumbnailUrl(config: Config): string {
  return absoluteUrl(config, "/images/thumbnail.png");
}

const limits = INSTANCE_LIMITS;

function statusesConfiguration() {
  return {
    max_characters: limits.statuses.maxCharacters,
    max_media_attachments: limits.statuses.maxMediaAttachments,
    characters_reserved_per_url: limits.statuses.charactersReservedPerUrl,
  };
}

function mediaConfiguration() {
  const media = limits.mediaAttachments;
  return {
    supported_mime_types: [...media.supportedMimeTypes],
    description_limit: media.descriptionLimit,
    image_size_limit: media.imageSizeLimit,
    image_matrix_limit: media.imageMatrixLimit,
    video_size_limit: media.videoSizeLimit,
    video_frame_rate_limit: media.videoFrameRateLimit,
    video_matrix_limit: media.videoMatrixLimit,
  };
}

function pollsConfiguration() {
  return {
    max_options: limits.polls.maxOptions,
    max_characters_per_option: limits.polls.maxCharactersPerOption,
    min_expiration: limits.polls.minExpiration,
    max_expiration: limits.polls.maxExpiration,
  };
}

const LANGUAGES = ["en"];

/** `vapidKey`: the server's Web Push public key (modules/push/vapid.ts). */
export function serializeInstanceV2(config: Config, stats: InstanceStats, vapidKey = "") {
  const mode = config.registrations;
  return {
    domain: config.localDomain,
    title: config.instance.title,
    version: VERSION,
    source_url: sourceUrl(config),
    description: config.instance.description,
    usage: { users: { active_month: stats.activeMonth } },
    thumbnail: { url: thumbnailUrl(config) },
    icon: [],
    languages: LANGUAGES,
    configuration: {
      urls: {
        streaming: streamingUrl(config),
        status: null,
        about: absoluteUrl(config, "/about"),
        privacy_policy: absoluteUrl(config, "/privacy-policy"),
        terms_of_service: null,
      },
      vapid: { public_key: vapidKey },
      accounts: {
        max_featured_tags: limits.accounts.maxFeaturedTags,
        max_pinned_statuses: limits.accounts.maxPinnedStatuses,
        max_display_name_length: limits.accounts.maxDisplayNameLength,
        max_note_length: limits.accounts.maxNoteLength,
        max_profile_fields: limits.accounts.maxProfileFields,
        profile_field_name_limit: limits.accounts.profileFieldNameLimit,
        profile_field_value_limit: limits.accounts.profileFieldValueLimit,
      },
      statuses: statusesConfiguration(),
      media_attachments: mediaConfiguration(),
      polls: pollsConfiguration(),
      translation: { enabled: false },
    },
    registrations: {
      enabled: mode !== "closed",
      approval_required: mode === "approval",
      reason_required: mode === "approval",
      message: null,
      url: null,
      min_age: null,
    },
    api_versions: { mastodon: 2 },
    contact: { email: config.instance.contactEmail, account: null },
    rules: [],
  };
}

export function serializeInstanceV1(config: Config, stats: InstanceStats) {
  const mode = config.registrations;
  return {
    uri: config.localDomain,
    title: config.instance.title,
    short_description: config.instance.description,
    description: config.instance.description,
    email: config.instance.contactEmail,
    version: VERSION,
    urls: { streaming_api: streamingUrl(config) },
    stats: { user_count: stats.userCount, status_count: stats.statusCount, domain_count: stats.domainCount },
    thumbnail: thumbnailUrl(config),
    languages: LANGUAGES,
    registrations: mode !== "closed",
    approval_required: mode === "approval",
    invites_enabled: false,
    configuration: {
      accounts: {
        max_featured_tags: limits.accounts.maxFeaturedTags,
        max_pinned_statuses: limits.accounts.maxPinnedStatuses,
      },
      statuses: statusesConfiguration(),
      media_attachments: mediaConfiguration(),
      polls: pollsConfiguration(),
    },
    contact_account: null,
    rules: [],
  };
}

export function serializeCustomEmoji(row: EmojiRow) {
  return {
    shortcode: row.shortcode,
    url: row.image_url,
    static_url: row.static_url,
    visible_in_picker: row.visible_in_picker,
    ...(row.category ? { category: row.category } : {}),
  };
}
