"""What Furano's council papers talk about: the demo meeting, its agenda items and a phrase bank.

Pure data. ``phrases`` turns the bank into sentences, ``agenda_pack`` prints packs from it and
``demo`` bundles the demo documents; keeping the words here means the PDFs and the plain-text
benchmark corpus always speak the same language. The names are real (富良野市, its districts,
ふらのワイン, ラベンダー) but every number and decision is invented.
"""

from __future__ import annotations

from furano_meet.samples.agenda import AgendaItem, BudgetLine, Meeting

CITY = "富良野市"
COUNCIL_ROOM = "富良野市役所 議会委員会室"

DEMO_MEETING = Meeting(
    title="令和8年第4回富良野市議会定例会 総務文教委員会",
    date="2026-12-10",
    start="10:00",
    location=COUNCIL_ROOM,
)

# 款・項・目 headings a Japanese city budget really uses; amounts are drawn from these by the
# generator when a pack's items carry no budget lines of their own.
BUDGET_HEADS: tuple[tuple[str, str, str], ...] = (
    ("2款 総務費", "1項 総務管理費", "6目 企画費"),
    ("2款 総務費", "1項 総務管理費", "1目 一般管理費"),
    ("3款 民生費", "2項 児童福祉費", "1目 児童福祉総務費"),
    ("4款 衛生費", "2項 清掃費", "2目 塵芥処理費"),
    ("6款 農林業費", "1項 農業費", "3目 農業振興費"),
    ("7款 商工費", "1項 商工費", "3目 観光費"),
    ("8款 土木費", "2項 道路橋りょう費", "2目 道路維持費"),
    ("9款 消防費", "1項 消防費", "1目 常備消防費"),
    ("10款 教育費", "2項 小学校費", "1目 学校管理費"),
    ("10款 教育費", "5項 社会教育費", "3目 図書館費"),
)

_SUPPLEMENTARY_BUDGET_LINES = (
    BudgetLine("2款 総務費", "1項 総務管理費", "6目 企画費", 48_312_000, 6_850_000),
    BudgetLine("3款 民生費", "2項 児童福祉費", "1目 児童福祉総務費", 215_640_000, 3_420_000),
    BudgetLine("6款 農林業費", "1項 農業費", "3目 農業振興費", 132_905_000, 12_340_000),
    BudgetLine("7款 商工費", "1項 商工費", "3目 観光費", 96_480_000, 5_200_000),
    BudgetLine("8款 土木費", "2項 道路橋りょう費", "2目 道路維持費", 387_260_000, 41_800_000),
    BudgetLine("10款 教育費", "2項 小学校費", "1目 学校管理費", 121_775_000, -1_960_000),
)
_SUPPLEMENTARY_TOTAL = sum(line.change_yen for line in _SUPPLEMENTARY_BUDGET_LINES)

DEMO_ITEMS: tuple[AgendaItem, ...] = (
    AgendaItem(
        number="議案第1号",
        title="富良野市一般会計補正予算（第3号）",
        department="総務部財政課",
        summary=(
            f"歳入歳出予算の総額に歳入歳出それぞれ{_SUPPLEMENTARY_TOTAL:,}円を追加し、"
            "冬期間の除雪経費、ふらのワイン振興事業及びICT環境整備に要する経費を措置するもの"
        ),
        budget_lines=_SUPPLEMENTARY_BUDGET_LINES,
    ),
    AgendaItem(
        number="議案第2号",
        title="ふらのワイン振興条例の一部を改正する条例",
        department="経済部農林課",
        summary=(
            "ワイン用ぶどうの新植及び改植を支援の対象に加えるとともに、"
            "ふらのワインのブランド価値の向上に向けた市の責務を明確にするため、条例の一部を改正するもの"
        ),
    ),
    AgendaItem(
        number="議案第3号",
        title="市道の認定について",
        department="建設水道部都市建設課",
        summary=(
            "北の峰地区の宅地造成に伴い整備された道路を市道として認定するため、"
            "道路法第8条第2項の規定により議会の議決を求めるもの"
        ),
    ),
    AgendaItem(
        number="議案第4号",
        title="富良野市ICT推進計画の策定について",
        department="総務部企画振興課",
        summary=(
            "行政手続のオンライン化及びGIGAスクール構想の推進に向け、"
            "FY2026から5か年のICT推進計画を定めるため、議会の議決を求めるもの"
        ),
    ),
    AgendaItem(
        number="議案第5号",
        title="富良野市立学校設置条例の一部を改正する条例",
        department="教育委員会教育総務課",
        summary="東山小学校と山部小学校の統合に伴い、学校の名称及び位置を改めるため、条例の一部を改正するもの",
    ),
    AgendaItem(
        number="同意第1号",
        title="富良野市教育委員会委員の任命につき同意を求めることについて",
        department="教育委員会教育総務課",
        summary=(
            "教育委員会委員の任期満了に伴い後任の委員を任命するため、"
            "地方教育行政の組織及び運営に関する法律第4条第2項の規定により議会の同意を求めるもの"
        ),
    ),
    AgendaItem(
        number="報告第1号",
        title="専決処分の報告について（公用車の事故に係る損害賠償の額の決定）",
        department="総務部総務課",
        summary="公用車の物損事故に係る損害賠償の額を専決処分により決定したので、地方自治法第180条第2項の規定により報告するもの",
    ),
)

# --- Phrase bank: the slots the sentence templates in ``phrases`` are filled from. ---

TOPICS: tuple[str, ...] = (
    "ふらのワイン振興事業",
    "ラベンダー観光推進事業",
    "市道の除雪体制",
    "富良野盆地の農業基盤整備",
    "GIGAスクール構想に基づくICT環境の整備",
    "市立図書館の運営",
    "ごみ処理施設の長寿命化",
    "地域公共交通の確保",
    "ふるさと応援寄附金",
    "移住定住促進事業",
    "子育て支援センターの運営",
    "防災行政無線のデジタル化",
    "上下水道施設の耐震化",
    "北の峰地区の冬季観光",
    "農業の担い手確保対策",
    "公共施設への公衆無線LAN（Wi-Fi）の整備",
    "行政手続のオンライン化",
)
REASONS: tuple[str, ...] = (
    "物価高騰の影響が長期化している",
    "国の補正予算に対応する必要がある",
    "北海道からの補助金の交付決定があった",
    "観光入込客数が回復基調にある",
    "冬期間の降雪量が平年を大きく上回った",
    "施設の老朽化が進んでいる",
    "関係法令の一部が改正された",
    "市民アンケートにおいて多くの要望が寄せられた",
    "事業の進捗に伴い経費の精査を行った",
)
ACTIONS: tuple[str, ...] = (
    "所要の経費を追加するものであります",
    "条例の一部を改正するものであります",
    "事業の継続的な実施を図るものであります",
    "関係機関と連携して取り組むものであります",
    "事業計画の見直しを行うものであります",
    "執行残額を減額するものであります",
)
EXPENSES: tuple[str, ...] = (
    "委託料",
    "工事請負費",
    "備品購入費",
    "負担金",
    "補助金",
    "需用費",
    "役務費",
)
PARTNERS: tuple[str, ...] = (
    "ふらの農業協同組合",
    "ふらの観光協会",
    "北海道上川総合振興局",
    "富良野商工会議所",
    "富良野広域連合",
    "近隣の上富良野町、中富良野町、南富良野町及び占冠村",
    "北海道富良野高等学校",
)
GOALS: tuple[str, ...] = (
    "市民サービスの向上",
    "健全な財政運営",
    "地域経済の活性化",
    "安全で安心なまちづくり",
    "持続可能な農業の振興",
    "子どもたちの学びの充実",
)
ASPECTS: tuple[str, ...] = (
    "事業費の積算根拠",
    "今後のスケジュール",
    "市民への周知方法",
    "財源の内訳",
    "費用対効果",
    "他市町村の状況",
)
ANSWERS: tuple[str, ...] = (
    "国の交付金を最大限活用する考えである",
    "年度内に完了する見込みである",
    "広報ふらの及び市ホームページ並びにLINE公式アカウントで周知する",
    "関係団体と協議を進めている",
    "近隣町村の状況も参考に検討している",
)
PLACES: tuple[str, ...] = (
    "麓郷地区",
    "山部地区",
    "東山地区",
    "布部地区",
    "北の峰地区",
    "学田地区",
    "島ノ下地区",
    "市街地区",
)
WORKS: tuple[str, ...] = (
    "現地調査",
    "実施設計",
    "住民説明会の開催",
    "施設の改修工事",
    "備品の更新",
    "ワイン用ぶどう苗木の配布",
    "除雪機械の更新",
    "タブレット端末の更新",
)
METRICS: tuple[str, ...] = (
    "利用者数",
    "事業費",
    "観光入込客数",
    "申請件数",
    "出荷量",
    "寄附件数",
)
TRENDS: tuple[str, ...] = ("増加", "減少")
FUNDING: tuple[str, ...] = (
    "国庫支出金",
    "北海道補助金",
    "ふるさと応援寄附金",
    "地方交付税",
    "過疎対策事業債",
)
FALLBACKS: tuple[str, ...] = (
    "一般財源",
    "財政調整基金からの繰入金",
    "前年度繰越金",
)
DEADLINES: tuple[str, ...] = (
    "令和8年度末",
    "令和9年3月",
    "令和9年度上半期",
    "令和10年度",
)
# Fiscal years the prose may refer to (Gregorian; printed as 令和N年度（FY…）).
FISCAL_YEARS: tuple[int, ...] = (2024, 2025, 2026, 2027)
