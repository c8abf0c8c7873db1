"""The controlled channel vocabulary shared by every source, metric and page."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    id: str
    name_ja: str
    name_en: str
    paid: bool
    """True when the channel is bought media whose cost counts for ROAS."""


CHANNELS: tuple[Channel, ...] = (
    Channel("owned_media", "オウンドメディア・SEO", "Owned media / SEO", False),
    Channel("paid_ads", "Web広告", "Paid search / ads", True),
    Channel("webinar", "ウェビナー", "Webinar", False),
    Channel("event", "展示会・イベント", "Events / trade shows", False),
    Channel("email", "メール", "Email", False),
    Channel("social", "SNS", "Social", False),
    Channel("content", "ホワイトペーパー・コンテンツ", "Content / downloads", False),
    Channel("referral", "紹介", "Referral", False),
    Channel("direct", "直接流入", "Direct", False),
    Channel("partner", "パートナー", "Partner", False),
)

CHANNEL_IDS: tuple[str, ...] = tuple(c.id for c in CHANNELS)
_BY_ID = {c.id: c for c in CHANNELS}
# The vocabulary's own display names ("展示会・イベント", "Owned media / SEO") read back as ids.
_BY_NAME = {name.lower(): c.id for c in CHANNELS for name in (c.name_ja, c.name_en)}

# Words sources commonly use for a channel, mapped to the vocabulary (lower-cased).
_ALIASES: dict[str, str] = {
    "seo": "owned_media",
    "organic": "owned_media",
    "organic search": "owned_media",
    "organic_search": "owned_media",
    "blog": "owned_media",
    "owned media": "owned_media",
    "オウンドメディア": "owned_media",
    "自然検索": "owned_media",
    "paid": "paid_ads",
    "paid search": "paid_ads",
    "paid_search": "paid_ads",
    "cpc": "paid_ads",
    "ppc": "paid_ads",
    "display": "paid_ads",
    "paid social": "paid_ads",
    "ads": "paid_ads",
    "広告": "paid_ads",
    "web広告": "paid_ads",
    "リスティング広告": "paid_ads",
    "seminar": "webinar",
    "セミナー": "webinar",
    "ウェビナー": "webinar",
    "trade show": "event",
    "tradeshow": "event",
    "events": "event",
    "展示会": "event",
    "イベント": "event",
    "e-mail": "email",
    "mail": "email",
    "newsletter": "email",
    "メール": "email",
    "メルマガ": "email",
    "organic social": "social",
    "sns": "social",
    "whitepaper": "content",
    "white paper": "content",
    "ebook": "content",
    "download": "content",
    "ホワイトペーパー": "content",
    "資料ダウンロード": "content",
    "referrals": "referral",
    "紹介": "referral",
    "(direct)": "direct",
    "直接": "direct",
    "partners": "partner",
    "パートナー": "partner",
    "代理店": "partner",
}


def channel(channel_id: str) -> Channel:
    """The channel with this id; KeyError names the valid ids."""
    try:
        return _BY_ID[channel_id]
    except KeyError:
        raise KeyError(
            f"unknown channel {channel_id!r}; valid channels: {', '.join(CHANNEL_IDS)}"
        ) from None


def normalise_channel(raw: str | None) -> str | None:
    """Map a source's channel label onto the vocabulary, or None when it is unknown."""
    if raw is None:
        return None
    key = raw.strip().lower()
    if key in _BY_ID:
        return key
    return _ALIASES.get(key) or _BY_NAME.get(key)
