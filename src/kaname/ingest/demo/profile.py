"""The demo company's parameters: a Japanese B2B SaaS vendor selling a marketing/sales platform.

Every rate sits inside the benchmark ranges of the seed articles (shared/seeds), cited per field:

- seed 000: CPA by tactic — listing ads ¥500,000/100 leads = ¥5,000, SEO ¥300,000/80 = ¥3,750, trade
  show ¥1,000,000/150 = ¥6,667; target CPA ¥2,000,000/170 leads ≈ ¥11,800; MQL→SQL 20% (10 of 51);
  deal 34/month from 170 leads at 20%; 10 SEO articles a month; CAC ≤ LTV/3.
- seed 001: email open 20–30% and click 2–5% (of delivered); webinar attendance 10–20% of
  registrants and completion 30–50% of attendees.
- seed 002: the seven channels (owned media, webinar, events, email, social, ads, content) and their
  stage KPIs; ad costs rising (62.3% of firms call it a problem); LTV:CAC ≥ 3.
- seed 003: win rate 25%, SQL→opportunity (案件化率) 50%, MQL→SQL (商談化率) 20%.
- seed 004: MQL ≈ 30% of leads; average contract ¥5M; lead→close within ~90 days; SaaS monthly
  churn 1.1–2.5%, annual upsell 15–30%, NPS targets +40/+50 (we sit lower, +10…+30); CVR 1–3%;
  SNS CTR 1–2%.

All money is yen, tax excluded. Volumes are for `scale=1` over 24 months and scale linearly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ---------------------------------------------------------------- volumes

LEADS_PER_SCALE = 100_000
"""Leads over REFERENCE_DAYS at scale 1 (the issue: `--scale 1` ≈ 100k leads, 2M touchpoints)."""
REFERENCE_DAYS = 730
TOUCHPOINTS_PER_LEAD = 20.0
"""Target average; the nurture parameters below are tuned to land near it."""


# ---------------------------------------------------------------- calendar


@dataclass(frozen=True)
class Seasonality:
    """Japanese fiscal-year rhythm (April start): budgets are spent before the March year end and
    the September half-year end; August (お盆) and the New Year holidays are quiet."""

    month: tuple[float, ...] = (
        0.90,  # Jan: slow restart after 正月
        1.04,  # Feb
        1.28,  # Mar: fiscal year end, budgets spent
        0.95,  # Apr: new fiscal year, new staff
        0.93,  # May: Golden Week
        1.02,  # Jun
        1.00,  # Jul
        0.76,  # Aug: お盆
        1.18,  # Sep: half-year end
        1.08,  # Oct
        1.05,  # Nov
        0.90,  # Dec: year-end holidays
    )
    weekday: tuple[float, ...] = (1.00, 1.08, 1.08, 1.04, 0.92, 0.16, 0.10)
    """Monday … Sunday: B2B buyers act in office hours."""
    holiday: float = 0.12
    """A national holiday (holidays.Japan) is as quiet as a Sunday: no spike."""
    new_year: float = 0.08
    """29 December – 3 January, when most Japanese companies close."""
    year_end_slowdown: float = 0.70
    """22–28 December and 4–7 January."""
    obon: float = 0.45
    """13–16 August."""
    daily_noise: float = 0.12
    """Sigma of the day-to-day log-normal noise on each channel's lead volume."""
    traffic_weekend_lift: float = 2.2
    """Website sessions fall less than leads at weekends (browsing without converting)."""


# ---------------------------------------------------------------- channels


@dataclass(frozen=True)
class ChannelProfile:
    id: str
    lead_share: float
    """Share of all leads the channel creates."""
    mql_rate: float
    """Lead → MQL. Overall ≈ 30% of leads (seed 004: MQL 60 of 200 leads)."""
    sql_rate: float
    """MQL → SQL (商談化率). Overall ≈ 20% (seeds 000, 003)."""
    win_factor: float
    """Multiplier on the win rate (overall 25%, seed 003): referrals close better, events worse."""
    cpa: float
    """Cost per lead in yen at the start of the window (seed 000's CPA-by-tactic table)."""
    cpa_trend: float
    """Relative change of the CPA per year (paid media inflation, seed 002)."""
    lead_trend: float
    """Relative growth of the channel's lead volume per year."""
    cvr: float
    """Leads per website session from this channel (seed 004: site CVR 1–3%)."""
    new_user_share: float
    pages_per_session: float
    days_to_mql: float
    """Median days from lead creation to MQL (log-normal, sigma 0.9): days to weeks."""
    instant_mql: float
    """Share of the channel's MQLs that qualify within hours (demo / quote requests)."""
    segment_mix: tuple[float, float, float]
    """Enterprise, mid-market, SMB shares of the channel's leads."""
    sales_sourced: float
    """Share of its opportunities credited to sales rather than marketing."""
    creation_touch: str
    """Touchpoint type recorded when a lead is created."""


CHANNELS: tuple[ChannelProfile, ...] = (
    # fmt: off
    ChannelProfile("owned_media", 0.20, 0.30, 0.19, 1.00, 3_750, -0.05, 0.30, 0.006, 0.72, 1.8,
                   12.0, 0.05, (0.15, 0.35, 0.50), 0.05, "form_submit"),
    ChannelProfile("paid_ads", 0.16, 0.28, 0.18, 0.92, 5_500, 0.12, 0.00, 0.025, 0.80, 2.1,
                   6.0, 0.15, (0.12, 0.33, 0.55), 0.04, "form_submit"),
    ChannelProfile("webinar", 0.16, 0.25, 0.18, 0.95, 5_000, 0.00, 0.10, 0.060, 0.45, 2.4,
                   7.0, 0.03, (0.22, 0.38, 0.40), 0.05, "webinar_registered"),
    ChannelProfile("event", 0.14, 0.20, 0.17, 0.85, 6_667, 0.03, 0.05, 0.150, 0.50, 2.0,
                   10.0, 0.02, (0.30, 0.38, 0.32), 0.15, "event_visit"),
    ChannelProfile("content", 0.12, 0.30, 0.17, 0.95, 4_500, 0.00, 0.10, 0.025, 0.60, 2.6,
                   14.0, 0.03, (0.20, 0.38, 0.42), 0.05, "download"),
    ChannelProfile("email", 0.05, 0.32, 0.19, 1.00, 1_500, 0.00, 0.05, 0.020, 0.15, 2.5,
                   9.0, 0.08, (0.18, 0.37, 0.45), 0.05, "form_submit"),
    ChannelProfile("social", 0.06, 0.20, 0.15, 0.85, 3_500, 0.05, 0.25, 0.005, 0.75, 1.6,
                   16.0, 0.03, (0.12, 0.30, 0.58), 0.05, "form_submit"),
    ChannelProfile("referral", 0.05, 0.62, 0.27, 1.35, 10_000, 0.00, 0.08, 0.050, 0.60, 3.0,
                   2.0, 0.40, (0.28, 0.40, 0.32), 0.10, "form_submit"),
    ChannelProfile("direct", 0.04, 0.45, 0.23, 1.15, 0, 0.00, 0.10, 0.012, 0.35, 3.4,
                   2.0, 0.35, (0.15, 0.35, 0.50), 0.40, "form_submit"),
    ChannelProfile("partner", 0.02, 0.50, 0.25, 1.20, 12_000, 0.00, 0.15, 0.040, 0.55, 2.8,
                   4.0, 0.20, (0.30, 0.40, 0.30), 0.00, "form_submit"),
    # fmt: on
)
"""The seven channels of seed 002 plus referral, direct and partner (canonical/channels.py ids)."""

PAID_CTR = {"search_ads": 0.032, "display_ads": 0.006}
"""Ad click-through rates; paid_ads overall lands ≈ 1.5–2% (seed 004: CTR 1–2%)."""
PAID_LP_CVR = {"search_ads": 0.030, "display_ads": 0.012}
"""Leads per ad click on the landing page."""
SOCIAL_CTR = 0.013
"""Clicks per impression of the company's social posts (seed 004: 1–2%)."""
SOCIAL_TRACKED_CLICKS = 0.55
"""Share of social sessions that come from tracked post clicks."""


# ---------------------------------------------------------------- campaigns and costs


@dataclass(frozen=True)
class CampaignPlan:
    """How many campaigns each channel runs (at scale 1, proportional to scale, capped) and the
    fixed costs that are not per lead."""

    seo_articles_per_month: float = 10.0
    """Seed 000: 月間10記事."""
    seo_articles_cap: int = 40
    seo_article_cost: float = 90_000.0
    seo_ramp_days: float = 60.0
    """An article's traffic builds up over about two months."""
    seo_unattributed_weight: float = 1.0
    """Organic leads not attributed to a single article (campaign null)."""
    seo_article_weight: float = 0.025
    whitepapers_per_month: float = 2.0
    whitepapers_cap: int = 15
    whitepaper_cost: float = 250_000.0
    whitepaper_decay_days: float = 90.0
    paid_campaigns: float = 6.0
    paid_campaigns_cap: int = 60
    webinars_per_month: float = 4.0
    webinars_cap: int = 20
    webinar_registration_days: int = 21
    webinar_minutes: int = 60
    events_per_month: float = 1.2
    events_cap: int = 10
    event_days: int = 3
    event_month: tuple[float, ...] = (1.3, 1.2, 0.9, 1.0, 1.2, 1.2, 1.0, 0.3, 1.0, 1.4, 1.4, 0.6)
    """Trade-show calendar: busy in Jan–Feb, May–Jun and Oct–Nov, nothing in August."""
    newsletters_per_month: float = 2.0
    newsletters_cap: int = 8
    social_accounts: float = 2.0
    social_accounts_cap: int = 6
    social_boosts_per_month: float = 1.0
    partners: float = 3.0
    partners_cap: int = 20
    retainer_floor: float = 0.3
    """Owned media / content keep at least this share of their monthly budget as a channel-level
    cost (agency retainer, tools; campaign_id '')."""
    budget_over: float = 0.08
    """Planned budgets run this much above actual cost on average."""


# ---------------------------------------------------------------- segments and deals


@dataclass(frozen=True)
class SegmentProfile:
    id: str
    leads_per_account: float
    """Sizes the prospect pool: bigger companies bring more contacts."""
    employees: tuple[int, int]
    deal_median: float
    """Median first-year contract value in yen (seed 004: average contract ≈ ¥5M)."""
    deal_sigma: float
    cycle_days: float
    """Median days from opportunity to close: 1–6 months, longer for enterprise."""
    mql_factor: float
    sql_factor: float
    win_factor: float
    monthly_churn: float
    """Seed 004: SaaS monthly churn 1.1–2.5%."""
    opening_share: float
    """Share of the opening customer base."""
    plan: str


SEGMENTS: tuple[SegmentProfile, ...] = (
    SegmentProfile("enterprise", 5.0, (1_000, 30_000), 9_600_000, 0.45, 120.0,
                   1.08, 1.05, 0.85, 0.006, 0.20, "エンタープライズプラン"),
    SegmentProfile("mid_market", 2.5, (100, 999), 3_600_000, 0.40, 75.0,
                   1.00, 1.00, 1.00, 0.012, 0.40, "プロフェッショナルプラン"),
    SegmentProfile("smb", 1.4, (10, 99), 1_200_000, 0.35, 45.0,
                   0.95, 0.97, 1.08, 0.020, 0.40, "スタンダードプラン"),
)  # fmt: skip


# ---------------------------------------------------------------- funnel


@dataclass(frozen=True)
class Funnel:
    opportunity_rate: float = 0.50
    """SQL → opportunity (案件化率, seed 003)."""
    win_rate: float = 0.25
    """Opportunity → won (受注率, seed 003)."""
    mql_trend: float = 0.04
    """Gentle yearly improvement of lead quality."""
    sql_trend: float = 0.06
    """Yearly improvement of MQL→SQL as scoring matures (seed 003: +25% with MA scoring)."""
    win_trend: float = 0.03
    quality_spread: float = 0.6
    """Sigma of the latent lead quality that ties score, MQL, SQL and win together."""
    days_to_sql: float = 12.0
    """Median days MQL → SQL (log-normal, sigma 0.7): weeks."""
    days_to_opportunity: float = 5.0
    """Median days SQL → opportunity (seed 004: 商談設定 within 5 business days)."""
    lost_cycle_factor: float = 0.75
    """Lost deals die sooner than won deals close."""
    disqualify_open: float = 0.12
    """Leads that never qualify and are disqualified (spam, students, competitors)."""
    disqualify_invalid_event: float = 0.85
    """Booth scans judged invalid that are disqualified."""
    disqualify_rejected_mql: float = 0.40
    """MQLs sales rejects (the rest are recycled to nurture)."""
    stage_reach_lost: tuple[float, ...] = (0.30, 0.30, 0.25, 0.15)
    """Where lost deals stop: qualification, discovery, proposal, negotiation."""
    stage_weight: tuple[float, ...] = (1.5, 2.5, 3.0, 2.0)
    """Relative time spent in each stage (Dirichlet shape)."""


# ---------------------------------------------------------------- customers


@dataclass(frozen=True)
class Customers:
    opening_customers: float = 400.0
    """Customers paying when the data window opens (scale 1). Their lines start on the window's
    first day with change null: the opening balance, not new business."""
    start_lag_days: float = 10.0
    """Mean days from a won deal to the first billed day."""
    upsell_monthly: float = 0.018
    """Chance per month that a customer is offered an upsell (seed 004: annual upsell 15–30%)."""
    upsell_win: float = 0.60
    upsell_uplift: tuple[float, float] = (1.2, 1.6)
    cross_sell_monthly: float = 0.012
    cross_sell_win: float = 0.50
    cross_sell_share: tuple[float, float] = (0.15, 0.35)
    """MRR of an add-on line relative to the base line."""
    expansion_cycle_days: float = 35.0
    add_ons: tuple[str, ...] = ("分析オプション", "API連携オプション", "プレミアムサポート")


@dataclass(frozen=True)
class Nps:
    wave_months: tuple[int, ...] = (2, 5, 8, 11)
    """Quarterly relationship survey, mid fiscal quarter."""
    wave_day: int = 15
    response_rate: float = 0.35
    respondents: tuple[float, float, float] = (2.5, 1.4, 1.0)
    """Mean respondents per answering customer: enterprise, mid-market, SMB."""
    score_probs: tuple[float, ...] = (
        0.01, 0.01, 0.01, 0.02, 0.02, 0.05, 0.08, 0.20, 0.25, 0.20, 0.15,
    )  # fmt: skip
    """P(score = 0…10): 20% detractors, 35% promoters → NPS ≈ +15."""
    yearly_improvement: float = 0.04
    """Probability mass moved from detractors to promoters per year."""
    at_risk_shift: float = 0.25
    """Extra detractor mass for customers who will churn within six months."""


# ---------------------------------------------------------------- nurture and touchpoints


@dataclass(frozen=True)
class Nurture:
    email_interval_days: int = 14
    email_max_sends: int = 6
    email_first_after_days: float = 3.0
    email_delivery: float = 0.97
    email_open: float = 0.25
    """Opens / delivered (seed 001: 20–30%)."""
    email_click: float = 0.035
    """Clicks / delivered (seed 001: 2–5%)."""
    email_form: float = 0.08
    """Form submissions per email click."""
    unsubscribe: float = 0.03
    """Chance per send that the lead unsubscribes."""
    webinar_attendance: float = 0.16
    """Attendees / registrants (seed 001: 10–20%)."""
    webinar_completion: float = 0.40
    """Watched to the end / attendees (seed 001: 30–50%)."""
    survey_response: float = 0.55
    """Post-webinar survey answers / attendees (seed 004 target 60%)."""
    webinar_reregistrations: float = 0.25
    """Further webinars an existing lead registers for, on average."""
    calls_per_mql: float = 2.0
    """Extra calls after the first on each MQL."""
    call_connect: float = 0.35
    appointment: float = 0.08
    """Meetings booked per connected call on leads that do not become SQL."""
    talk_seconds: float = 240.0
    """Median talk time of a connected call."""
    event_valid: float = 0.62
    """Booth scans judged valid leads (seed 002: 有効リード率)."""
    visits_before: float = 1.5
    visits_after: float = 2.3
    visits_engaged: float = 2.5
    """Extra visits of MQLs and again of SQLs."""
    downloads_after: float = 0.35
    social_engagements: float = 0.2
    ad_clicks_before: float = 0.4
    visit_channels: tuple[tuple[str, float], ...] = (
        ("owned_media", 0.35),
        ("direct", 0.30),
        ("email", 0.20),
        ("social", 0.08),
        ("paid_ads", 0.07),
    )


# ---------------------------------------------------------------- people and places


INSIDE_SALES: tuple[str, ...] = (
    "佐藤 美咲", "鈴木 健太", "高橋 愛", "田中 翔", "伊藤 さくら", "渡辺 大輔", "山本 結衣", "中村 拓也",
)  # fmt: skip
INSIDE_SALES_SKILL: tuple[float, ...] = (1.12, 1.05, 1.00, 0.95, 1.08, 0.90, 1.00, 0.92)
"""Each rep's multiplier on MQL→SQL (normalised to mean 1)."""
ACCOUNT_EXECUTIVES: tuple[str, ...] = (
    "小林 誠", "加藤 真由美", "吉田 隆", "山田 恵", "松本 亮", "井上 彩",
)  # fmt: skip
AE_BY_SEGMENT: tuple[tuple[int, ...], ...] = ((0, 1), (2, 3), (4, 5))
"""Enterprise, mid-market and SMB account executives (indexes into ACCOUNT_EXECUTIVES)."""

INDUSTRIES: tuple[tuple[str, float], ...] = (
    ("製造業", 0.22), ("IT・ソフトウェア", 0.20), ("卸売・小売", 0.10), ("人材・サービス", 0.10),
    ("不動産・建設", 0.08), ("金融・保険", 0.07), ("医療・製薬", 0.06), ("広告・メディア", 0.06),
    ("物流・運輸", 0.05), ("教育", 0.03), ("その他", 0.03),
)  # fmt: skip
PREFECTURES: tuple[tuple[str, float], ...] = (
    ("東京都", 0.45), ("大阪府", 0.12), ("神奈川県", 0.08), ("愛知県", 0.07), ("福岡県", 0.04),
    ("埼玉県", 0.03), ("千葉県", 0.03), ("兵庫県", 0.03), ("北海道", 0.03), ("京都府", 0.02),
    ("宮城県", 0.02), ("広島県", 0.02), ("静岡県", 0.02), ("新潟県", 0.01), ("岡山県", 0.01),
    ("熊本県", 0.01), ("長野県", 0.01),
)  # fmt: skip
COMPANY_PREFIXES: tuple[tuple[str, str], ...] = (
    ("日本", "nihon"), ("東洋", "toyo"), ("大和", "yamato"), ("みらい", "mirai"), ("ひかり", "hikari"),
    ("青葉", "aoba"), ("富士", "fuji"), ("さくら", "sakura"), ("北斗", "hokuto"), ("昭和", "showa"),
    ("アーク", "arc"), ("ネクスト", "next"), ("グローバル", "global"), ("サン", "sun"), ("ユニオン", "union"),
    ("中央", "chuo"), ("港", "minato"), ("新星", "shinsei"), ("光陽", "koyo"), ("東邦", "toho"),
    ("丸山", "maruyama"), ("平和", "heiwa"), ("大洋", "taiyo"), ("協和", "kyowa"), ("双葉", "futaba"),
    ("朝日", "asahi"), ("信和", "shinwa"), ("明星", "myojo"), ("オリオン", "orion"), ("ベイ", "bay"),
)  # fmt: skip
COMPANY_SUFFIXES: tuple[str, ...] = (
    "工業", "製作所", "商事", "システムズ", "テクノロジー", "ソリューションズ", "物産", "電機",
    "ホールディングス", "ロジスティクス", "化学", "建設", "不動産", "メディカル", "エンジニアリング",
    "ネットワークス", "食品", "精工", "コンサルティング", "デジタル",
)  # fmt: skip
GIVEN_NAMES: tuple[str, ...] = (
    "hiroshi", "takashi", "yuki", "kenji", "akiko", "naoko", "daisuke", "haruka", "kazuya", "mai",
    "shota", "yumi", "ryo", "emi", "satoshi", "kaori", "makoto", "aya", "tomoya", "nana",
)  # fmt: skip
FAMILY_NAMES: tuple[str, ...] = (
    "sato", "suzuki", "takahashi", "tanaka", "ito", "watanabe", "yamamoto", "nakamura", "kobayashi",
    "kato", "yoshida", "yamada", "sasaki", "yamaguchi", "matsumoto", "inoue", "kimura", "hayashi",
    "shimizu", "mori",
)  # fmt: skip

SEO_TOPICS: tuple[str, ...] = (
    "KPIツリーの作り方", "MQLとSQLの違い", "リードナーチャリング入門", "商談化率を上げる方法",
    "BtoBマーケティングのKGI設定", "CPAとCACの違い", "LTVの計算方法", "インサイドセールスの始め方",
    "MAツール比較", "SFA導入のポイント", "ウェビナー集客のコツ", "展示会後のフォロー",
    "メール開封率の改善", "リードスコアリング設計", "ROMIの考え方", "チャーンレートの下げ方",
    "ABMの基本", "営業とマーケの連携", "ダッシュボード設計", "PDCAの回し方",
)  # fmt: skip
WEBINAR_TOPICS: tuple[str, ...] = (
    "KPI設計実践講座", "商談化率20%を超える仕組み", "MA×SFA連携の勘所", "展示会リードの育て方",
    "データドリブン営業入門", "インサイドセールス立ち上げ", "BtoBコンテンツ戦略", "LTV最大化のKPI",
)  # fmt: skip
EXPOS: tuple[str, ...] = (
    "マーケティングDX展", "営業支援EXPO", "SaaSビジネスフェア", "デジタル営業ウィーク",
    "BtoBマーケティングサミット", "業務改革EXPO",
)  # fmt: skip
EXPO_CITIES: tuple[str, ...] = ("東京", "東京", "大阪", "名古屋", "福岡")
WHITEPAPERS: tuple[str, ...] = (
    "BtoB KPI設計テンプレート", "リードナーチャリング完全ガイド", "商談化率ベンチマーク調査",
    "MA活用チェックリスト", "営業生産性レポート", "展示会ROI算出シート",
)  # fmt: skip
PAID_CAMPAIGNS: tuple[tuple[str, str], ...] = (
    ("リスティング: 指名キーワード", "search_ads"),
    ("リスティング: 一般キーワード", "search_ads"),
    ("リターゲティング広告", "display_ads"),
    ("リスティング: 競合キーワード", "search_ads"),
    ("ディスプレイ: 業界メディア", "display_ads"),
    ("リスティング: 課題キーワード", "search_ads"),
)
SOCIAL_ACCOUNTS: tuple[str, ...] = ("X 公式アカウント", "LinkedIn", "Facebook", "note", "YouTube")
PARTNERS: tuple[str, ...] = (
    "販売代理店A社", "SIパートナーB社", "コンサルパートナーC社", "販売代理店D社", "ISVパートナーE社",
)  # fmt: skip


@dataclass(frozen=True)
class CompanyProfile:
    """Everything the generator reads; swap a field to model another company."""

    channels: tuple[ChannelProfile, ...] = CHANNELS
    segments: tuple[SegmentProfile, ...] = SEGMENTS
    seasonality: Seasonality = field(default_factory=Seasonality)
    campaigns: CampaignPlan = field(default_factory=CampaignPlan)
    funnel: Funnel = field(default_factory=Funnel)
    customers: Customers = field(default_factory=Customers)
    nps: Nps = field(default_factory=Nps)
    nurture: Nurture = field(default_factory=Nurture)


DEFAULT = CompanyProfile()
