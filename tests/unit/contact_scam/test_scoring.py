"""Script scoring: each signal in both languages, templates as negatives, judges, facts, model."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shieldwall.contact.scam.errors import ReportRejected, ScamConfigError, TextTooLong
from shieldwall.contact.scam.scoring import (
    FEATURES,
    OrderFacts,
    ScoringModel,
    ScriptScorer,
    detect_language,
)
from shieldwall.contact.scam.signals import NEGATIVE_FAMILIES, SPECS
from shieldwall.contact.scam.templates import TemplateSet
from shieldwall.contact.scam.training import load_dataset, model_json, train
from tests.unit.contact_scam.conftest import FakeJudge

ROOT = Path(__file__).resolve().parents[3]

# (family, language, text): fresh sentences, not taken from the evaluation dataset.
SIGNAL_CASES = [
    ("refund_pretext", "zh", "您的包裹在分拣中心遗失了,我们来处理退款"),
    ("refund_pretext", "en", "your package went missing so we will arrange a refund"),
    ("multiple_compensation", "zh", "按平台规定给您两倍赔付"),
    ("multiple_compensation", "en", "you qualify for double compensation on this order"),
    ("membership_cancel", "zh", "您误开通了商城会员,每个月扣费两百"),
    ("membership_cancel", "en", "you were enrolled in a premium membership that renews monthly"),
    ("account_problem", "zh", "您的账户异常已被冻结"),
    ("account_problem", "en", "your account will be suspended for suspicious activity"),
    ("channel_shift", "zh", "麻烦您加一下我的微信详细说"),
    ("channel_shift", "en", "please message me on WhatsApp instead"),
    ("screen_share", "zh", "您打开共享屏幕让我看一下"),
    ("screen_share", "en", "please share your screen with me"),
    ("guided_operation", "zh", "您按我说的一步一步点就可以"),
    ("guided_operation", "en", "I will walk you through it"),
    ("code_request", "zh", "请把手机收到的验证码报给我"),
    ("code_request", "en", "please read the code back to me"),
    ("card_request", "zh", "请提供您的银行卡号和开户行"),
    ("card_request", "en", "I need your card number and expiry"),
    ("balance_request", "zh", "您卡里余额还有多少"),
    ("balance_request", "en", "what is your current balance"),
    ("loan_draw", "zh", "您先在借呗借一笔出来证明流水"),
    ("loan_draw", "en", "take out a loan to show cash flow"),
    ("transfer_request", "zh", "请把钱转到安全账户"),
    ("transfer_request", "en", "move your money to a safe account"),
    ("credit_threat", "zh", "不处理会影响您的征信"),
    ("credit_threat", "en", "this will hurt your credit score"),
    ("secrecy", "zh", "这件事不要告诉家人,也不要挂电话"),
    ("secrecy", "en", "don't tell anyone and stay on the line"),
    ("urgency", "zh", "请立即处理,否则将无法退回"),
    ("urgency", "en", "act now, the offer expires today"),
    ("authority_claim", "zh", "我是官方客服专员"),
    ("authority_claim", "en", "this is the claims department"),
    ("order_quote", "zh", "您购买的那台冰箱,订单号88812345678"),
    ("order_quote", "en", "you ordered a blender last week, order number 5551234"),
    ("code_warning", "zh", "验证码请勿泄露给任何人"),
    ("code_warning", "en", "never share this code with anyone"),
    ("no_action_needed", "zh", "款项将原路退回,无需任何操作"),
    ("no_action_needed", "en", "no action needed, it goes to your original payment method"),
    ("in_app_instruction", "zh", "请在App内查看详情"),
    ("in_app_instruction", "en", "you can check it in the app"),
    ("store_notice", "zh", "您的订单已发货,送您一张优惠券"),
    ("store_notice", "en", "your order has shipped, here is a coupon"),
    ("prize_claim", "zh", "恭喜您的号码被抽中,可领取大奖一份"),
    ("prize_claim", "en", "congratulations, you have won a holiday, claim your prize"),
    ("callback_request", "zh", "有疑问请回电 0571 8812 3456 核实"),
    ("callback_request", "en", "your parcel is held, please call 0871 555 0199 to release it"),
    ("link", "zh", "请点击 http://refund-center.top/a 办理"),
    ("link", "en", "visit refund-center.top/claim now"),
]


@pytest.mark.parametrize(("family", "lang", "text"), SIGNAL_CASES)
def test_each_signal_fires_with_its_weight(
    scorer: ScriptScorer, family: str, lang: str, text: str
) -> None:
    """Every family is found in both languages, reported with matched text, span and weight."""
    result = scorer.score(text)
    hits = [s for s in result.signals if s.signal == family]
    assert hits, [s.signal for s in result.signals]
    for s in hits:
        assert result.normalized[s.span[0] : s.span[1]] == s.matched_text
        assert s.weight == scorer.model.weight(family)
    assert result.lang == lang


def test_every_family_has_cases_in_both_languages() -> None:
    """The parametrized cases above cover each family in zh and en."""
    covered = {(f, lang) for f, lang, _ in SIGNAL_CASES}
    families = {s.family for s in SPECS} | {"link"}
    assert {(f, lang) for f in families for lang in ("zh", "en")} <= covered


def test_logit_is_bias_plus_distinct_family_weights(scorer: ScriptScorer) -> None:
    """The score is sigmoid(bias + weights of distinct families): nothing hidden."""
    result = scorer.score("加微信 加微信 加QQ, 把验证码告诉我, 不要告诉家人")
    families = {s.signal for s in result.signals}
    expected = scorer.model.bias + sum(scorer.model.weight(f) for f in families)
    assert result.logit == pytest.approx(expected)
    assert result.label == "likely_scam"


def test_text_without_signals_is_low_risk(scorer: ScriptScorer) -> None:
    """No evidence, no alarm: a plain greeting scores low_risk whatever the training balance."""
    for text in ("你好", "Hello", "", "12345"):
        assert scorer.score(text).label == "low_risk"


def test_learned_weights_respect_their_signs(scorer: ScriptScorer) -> None:
    """Scam families never lower a score; genuine-message families never raise it."""
    for family in FEATURES:
        weight = scorer.model.weights[family]
        assert (weight <= 0) if family in NEGATIVE_FAMILIES else (weight >= 0)
        if family in NEGATIVE_FAMILIES:
            assert weight >= -3.0


def test_language_detection() -> None:
    """Chinese characters outnumbering Latin words means zh."""
    assert detect_language("您好,请加QQ") == "zh"
    assert detect_language("Hello, add me on WeChat 微信") == "en"


def test_lang_restricts_specs(scorer: ScriptScorer) -> None:
    """lang=en runs only English (and language-neutral) phrases; auto runs all."""
    text = "please read the code back to me, 把验证码告诉我"
    zh_only = {s.matched_text for s in scorer.score(text, "zh").signals}
    assert "把验证码" in zh_only and "read the code back" not in " ".join(zh_only)
    en_only = {s.matched_text for s in scorer.score(text, "en").signals}
    assert not any("验证码" in m for m in en_only)
    with pytest.raises(ReportRejected):
        scorer.score(text, "fr")


def test_obfuscated_script_still_scores(scorer: ScriptScorer) -> None:
    """Full-width letters and zero-width characters do not hide the signals."""
    plain = scorer.score("请把验证码告诉我,加ＱＱ")
    tricky = scorer.score("请把验\u200b证码告诉我,加ＱＱ")
    assert {s.signal for s in tricky.signals} == {s.signal for s in plain.signals}


def test_too_long_is_refused(scorer: ScriptScorer) -> None:
    """A text over the cap raises TextTooLong (a clear error, not a slow scan)."""
    small = ScriptScorer(scorer.model, max_chars=100)
    with pytest.raises(TextTooLong):
        small.score("退款" * 51)


# -- templates -------------------------------------------------------------------------------

FILL = {
    "order": lambda r: str(r.randint(10**11, 10**14)),
    "tracking": lambda r: "SF" + str(r.randint(10**11, 10**12)),
    "amount": lambda r: f"{r.randint(1, 5000)}.{r.randint(0, 99):02d}",
    "code": lambda r: str(r.randint(100000, 999999)),
    "count": lambda r: str(r.randint(1, 30)),
    "pickup": lambda r: f"{r.randint(1, 9)}-{r.randint(1, 9)}-{r.randint(1000, 9999)}",
    "date": lambda r: f"2026-0{r.randint(1, 9)}-1{r.randint(0, 9)}",
    "time": lambda r: f"{r.randint(1, 12)}:00",
    "name": lambda r: r.choice(["张先生", "Ms. Chen"]),
    "courier": lambda r: r.choice(["顺丰", "菜鸟驿站", "UPS"]),
    "item": lambda r: r.choice(["全场满300减50", "Spring sale, 50% off home appliances"]),
    "url": lambda r: r.choice(["https://m.shieldmart.com/s/x1", "https://shieldmart.cn/a"]),
}


def _instances(templates: TemplateSet, per: int = 5) -> list[tuple[str, str]]:
    rng = random.Random(5)
    out = []
    for t in templates.templates:
        for _ in range(per):
            text = re.sub(r"\{([a-z_]+)\}", lambda m: FILL[m.group(1)](rng), t.text)
            out.append((t.template_id, text))
    return out


def test_every_store_template_scores_low(scorer: ScriptScorer) -> None:
    """Instances of each configured genuine template match it and score low_risk."""
    assert scorer.templates is not None
    for template_id, text in _instances(scorer.templates):
        result = scorer.score(text)
        assert result.template == template_id, text
        assert result.label == "low_risk" and result.score < 0.05, (text, result.score)


def test_scam_hidden_in_a_template_slot_voids_the_match(scorer: ScriptScorer) -> None:
    """Scam phrases stuffed into a placeholder (here {item}) cancel the template match."""
    text = (
        "【盾墙商城】加QQ 12345678 领取三倍赔偿,把验证码告诉我,"
        "戳 https://m.shieldmart.com/x 立即查看,回T退订"
    )
    result = scorer.score(text)
    assert result.template is None
    assert result.label == "likely_scam"


def test_template_url_placeholder_accepts_official_domains_only(scorer: ScriptScorer) -> None:
    """{url} matches links on the templates' official domains, not a lookalike."""
    assert scorer.templates is not None
    ok = "ShieldMart: Big sale. Shop now at https://m.shieldmart.com/a. Reply STOP to opt out."
    bad = (
        "ShieldMart: Big sale. Shop now at https://shieldmart-refund.top/a. Reply STOP to opt out."
    )
    assert scorer.score(ok).template == "en.marketing"
    assert scorer.score(bad).template is None


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"format": "nope"}, "not a templates file"),
        ({"format": "shieldwall-scam-templates/1", "templates": "x"}, "must be a list"),
        (
            {"format": "shieldwall-scam-templates/1", "templates": [{"id": "a", "lang": "zh"}]},
            "needs id, lang and text",
        ),
        (
            {
                "format": "shieldwall-scam-templates/1",
                "templates": [{"id": "a", "lang": "zh", "text": "call {phone}"}],
            },
            "unknown placeholder {phone}",
        ),
        (
            {
                "format": "shieldwall-scam-templates/1",
                "templates": [{"id": "a", "lang": "zh", "text": "see {url}"}],
            },
            "no official_domains",
        ),
    ],
)
def test_bad_templates_file_is_refused(doc: object, message: str) -> None:
    """An invalid templates document raises ScamConfigError naming the problem."""
    with pytest.raises(ScamConfigError, match=re.escape(message)):
        TemplateSet.from_document(doc)


def test_templates_file_unreadable(tmp_path: Path) -> None:
    """A missing or non-YAML templates file is a clear configuration error."""
    with pytest.raises(ScamConfigError, match="cannot be read"):
        TemplateSet.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("{unclosed: [", encoding="utf-8")
    with pytest.raises(ScamConfigError, match="not valid YAML"):
        TemplateSet.load(bad)


# -- judges and facts ------------------------------------------------------------------------


def test_lookalike_judge_adds_a_signal_and_official_links_do_not_count(
    scorer: ScriptScorer,
) -> None:
    """With a judge: a lookalike link adds lookalike_link; an official link is not a link."""
    judge = FakeJudge(official={"shieldmart.com"}, lookalike={"shie1dmart.com"})
    judged = ScriptScorer(scorer.model, judge=judge)
    bad = judged.score("请登录 https://shie1dmart.com/refund 办理")
    assert {"link", "lookalike_link"} <= {s.signal for s in bad.signals}
    good = judged.score("详情见 https://www.shieldmart.com/help")
    assert "link" not in {s.signal for s in good.signals}
    assert "www.shieldmart.com" in judge.asked


def test_quoting_the_real_order_is_reported(scorer: ScriptScorer) -> None:
    """Given the customer's real order facts, quoting them is a signal with the matched text."""
    facts = OrderFacts(order_ids=("2026031512345",), items=("戴森吹风机",), amounts=("2999",))
    result = scorer.score("您好,您买的戴森吹风机,订单尾号2345,实付2999元,需要退款", facts=facts)
    quoted = {s.matched_text for s in result.signals if s.signal == "real_order_quoted"}
    assert {"戴森吹风机", "尾号2345", "2999"} <= quoted
    assert not any(
        s.signal == "real_order_quoted" for s in scorer.score("您好,需要退款", facts=facts).signals
    )


# -- model -------------------------------------------------------------------------------------


def test_bad_model_documents_are_refused() -> None:
    """A model without the right format, weights or thresholds is a configuration error."""
    good = ScoringModel.load().to_document()
    with pytest.raises(ScamConfigError):
        ScoringModel.from_document({**good, "format": "x"})
    with pytest.raises(ScamConfigError, match="lacks weights"):
        ScoringModel.from_document({**good, "weights": {"urgency": 1.0}})
    with pytest.raises(ScamConfigError, match="thresholds"):
        ScoringModel.from_document({**good, "thresholds": {"suspicious": 0.9, "likely_scam": 0.5}})
    with pytest.raises(ScamConfigError, match="missing fields"):
        ScoringModel.from_document({"format": good["format"]})


def test_dataset_split_is_by_group_hash_and_never_straddles() -> None:
    """Each row's split is the hash rule on its group; no group has rows on both sides."""
    sys.path.insert(0, str(ROOT / "bench"))
    from make_scam_dataset import split_of

    rows = load_dataset()
    assert len(rows) >= 600
    by_group: dict[str, set[str]] = {}
    for row in rows:
        assert row.split == split_of(row.group)
        by_group.setdefault(row.group, set()).add(row.split)
    assert all(len(s) == 1 for s in by_group.values())
    for lang in ("zh", "en"):
        test = [r for r in rows if r.split == "test" and r.lang == lang]
        assert sum(r.label for r in test) >= 30 and sum(1 - r.label for r in test) >= 30


def test_shipped_dataset_is_the_generated_one() -> None:
    """The JSONL shipped in the package is exactly what bench/make_scam_dataset.py produces."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench/make_scam_dataset.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_shipped_model_is_fitted_on_the_train_split_only() -> None:
    """Refitting with every test label flipped reproduces the shipped model byte for byte."""
    rows = load_dataset()
    flipped = [
        r if r.split == "train" else type(r)(**{**_fields(r), "label": 1 - r.label}) for r in rows
    ]
    shipped = (ROOT / "src/shieldwall/contact/scam/data/scorer_model.json").read_text("utf-8")
    assert model_json(train(flipped)) == shipped
    assert json.loads(shipped)["training"]["split"] == "train"


def _fields(row: object) -> dict[str, object]:
    return {name: getattr(row, name) for name in row.__slots__}  # type: ignore[attr-defined]


def _top_level_alternatives(pattern: str) -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    in_class = False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def test_language_specs_need_their_script() -> None:
    """Every zh alternative needs a Chinese character, every en one an ASCII letter."""
    for spec in SPECS:
        for pattern in spec.patterns:
            for alt in _top_level_alternatives(pattern):
                bare = re.sub(r"\\.", "", alt)
                if spec.lang == "zh":
                    assert re.search(r"[\u4e00-\u9fff]", bare), (spec.family, alt)
                elif spec.lang == "en":
                    assert re.search(r"[a-z]", bare), (spec.family, alt)


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("I had a coffee with Sam today", "transfer_request"),  # "fee" inside "coffee"
        ("see you today, I am busy right now", "urgency"),
        ("hurry up, the film starts soon", "urgency"),
        ("a limited number of friends came", "urgency"),
        ("call me when you are home", "callback_request"),  # no number given
        ("the meeting is on the 3rd floor, room 4412", "callback_request"),
        ("our team won the match", "prize_claim"),  # someone else won
        ("我们在会议室讨论奖金方案", "prize_claim"),
        ("请致电客服", "callback_request"),
        ("Regards, Ann. Phone: +1 510 486 8634", "callback_request"),  # a signature line
    ],
)
def test_everyday_words_do_not_fire(scorer: ScriptScorer, text: str, family: str) -> None:
    """Everyday uses that fired on real friends' SMS (or would) are not scam signals."""
    assert family not in {s.signal for s in scorer.score(text).signals}


@pytest.mark.parametrize(
    "text",
    [
        "the offer ends today, act now",
        "valid today only",
        "final notice: pay within 24 hours",
        "limited time offer",
    ],
)
def test_deadlines_still_count_as_urgency(scorer: ScriptScorer, text: str) -> None:
    """Narrowing the English urgency phrases kept the deadlines scams use."""
    assert "urgency" in {s.signal for s in scorer.score(text).signals}


def test_hand_set_families_are_not_fitted(scorer: ScriptScorer) -> None:
    """prize_claim and callback_request carry the hand-set weights, outside the fitted columns."""
    for family in ("prize_claim", "callback_request"):
        assert family not in FEATURES
        assert family in scorer.model.fixed
        assert scorer.model.weight(family) > 0
    result = scorer.score("You have won a prize! Call 09061 701461 to claim")
    assert {"prize_claim", "callback_request"} <= {s.signal for s in result.signals}
    assert result.label == "likely_scam"


class _OfficialNumbers:
    def __init__(self, *numbers: str) -> None:
        self.numbers = set(numbers)

    def is_official(self, number: str) -> bool:
        return number in self.numbers


def test_calling_an_official_number_is_no_callback_request(scorer: ScriptScorer) -> None:
    """With a number judge, the store's own hotline is no signal; any other number still is."""
    judged = ScriptScorer(scorer.model, numbers=_OfficialNumbers("+864008208820"), region="CN")
    own = judged.score("如有疑问请致电 400-820-8820")
    assert "callback_request" not in {s.signal for s in own.signals}
    assert own.label == "low_risk"
    other = judged.score("如有疑问请致电 400-820-1234")
    assert "callback_request" in {s.signal for s in other.signals}
    assert "callback_request" in {s.signal for s in scorer.score(own.normalized).signals}
