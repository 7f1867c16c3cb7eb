"""Each recognizer against known answers from sources other than our code."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from faker.providers.person import zh_CN as faker_zh_cn
from stdnum import luhn

from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.model import DataType, Finding
from shieldwall.discover.recognizers import (
    AddressRecognizer,
    BankCardRecognizer,
    EmailRecognizer,
    NameRecognizer,
    NationalIdRecognizer,
    PhoneRecognizer,
    TravelDocumentRecognizer,
)
from shieldwall.discover.recognizers.bank_cards import bin_table
from shieldwall.discover.recognizers.names import COMPOUND_SURNAMES, SURNAMES
from shieldwall.discover.recognizers.phones import classify, e164

GB11643_EXAMPLE = "11010519491231002X"  # the worked example in GB 11643-1999 itself


def check_char(first17: str) -> str:
    """GB 11643's check character, written from the standard (weights 2^(17-i) mod 11)."""
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def spans(findings: list[Finding], text: str) -> list[tuple[str, DataType]]:
    return [(text[f.start : f.end], f.type) for f in findings]


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


class TestNationalId:
    def test_standard_example_is_found_with_high_confidence(self) -> None:
        """GB 11643's own example number is found, exact span, all three checks named."""
        text = f"身份证号:{GB11643_EXAMPLE}。"
        found = only(list(NationalIdRecognizer().find(text)))
        assert text[found.start : found.end] == GB11643_EXAMPLE
        assert found.confidence >= 0.9
        assert "check digit" in found.reason and "GB/T 2260" in found.reason

    def test_lower_case_x_is_accepted(self) -> None:
        """A lower-case check character x is the same number."""
        assert only(list(NationalIdRecognizer().find(GB11643_EXAMPLE.lower()))).confidence >= 0.9

    def test_wrong_check_digit_is_weaker_and_says_why(self) -> None:
        """The example with its check character changed is still reported, weaker, with why."""
        found = only(list(NationalIdRecognizer().find(GB11643_EXAMPLE[:17] + "5")))
        assert found.confidence < 0.5
        assert "check digit does not match" in found.reason

    def test_unknown_area_code_lowers_confidence(self) -> None:
        """Area 000000 is in no GB/T 2260 edition; check digit worked by hand."""
        # digits 7-17 (1949123100 2) with GB 11643 weights 2 1 6 3 7 9 10 5 8 4 2:
        # 2+9+24+27+7+18+30+5+0+0+4 = 126; 126 mod 11 = 5; "10X98765432"[5] = "7"
        found = only(list(NationalIdRecognizer().find("000000194912310027")))
        assert found.confidence == pytest.approx(0.75)
        assert "no edition" in found.reason

    def test_impossible_date_and_bad_check_is_not_reported(self) -> None:
        """Eighteen digits with month 13 and a wrong check digit are some other number."""
        first17 = "11010519491331002"
        wrong = next(c for c in "0123456789X" if c != check_char(first17))
        assert list(NationalIdRecognizer().find(first17 + wrong)) == []

    def test_longer_digit_runs_are_not_ids(self) -> None:
        """A 19-digit run containing the example is not an ID number."""
        assert list(NationalIdRecognizer().find("1" + GB11643_EXAMPLE)) == []

    def test_first_generation_number_is_a_weaker_finding(self) -> None:
        """GB 11643-1999's example in its 15-digit first-generation form (GB 11643-1989: area,
        YYMMDD, sequence; the 1999 standard's upgrade rule adds 19 and the check digit):
        found, weaker than a checked 18-digit number, saying there is no check digit."""
        first = GB11643_EXAMPLE[:6] + GB11643_EXAMPLE[8:17]
        assert first == "110105491231002"
        bare = only(list(NationalIdRecognizer().find(f"旧证号 {first} 。")))
        assert 0.5 <= bare.confidence < 0.9 and "no check digit" in bare.reason
        in_context = only(list(NationalIdRecognizer().find(f"身份证号码：{first}")))
        assert bare.confidence < in_context.confidence < 0.95
        assert "first-generation" in in_context.reason

    @pytest.mark.parametrize(
        "number",
        [
            "110105491331002",  # month 13
            "000000491231002",  # area code in no GB/T 2260 edition
            "1101054912310021",  # 16 digits
        ],
    )
    def test_first_generation_shape_failing_a_check_is_not_reported(self, number: str) -> None:
        """A 15-digit run with an impossible date or unknown area, or 16 digits, is not an ID."""
        assert list(NationalIdRecognizer().find(f"身份证{number}")) == []


class TestPhones:
    @pytest.mark.parametrize(
        "number", ["13800138000", "+86 138 0013 8000", "138-0013-8000", "008613800138000"]
    )
    def test_mobile_forms(self, number: str) -> None:
        """China Mobile's service number 13800138000 in the forms people write it."""
        text = f"请拨打{number}联系"
        found = only(list(PhoneRecognizer().find(text)))
        assert text[found.start : found.end] == number
        assert found.confidence == pytest.approx(0.9)

    def test_landline_with_context(self) -> None:
        """A Beijing landline (area code 010) after 电话 is reported with the context reason."""
        text = "电话：010-62345678"
        found = only(list(PhoneRecognizer().find(text)))
        assert text[found.start : found.end] == "010-62345678"
        assert "context" in found.reason

    def test_unassigned_mobile_range_is_weaker(self) -> None:
        """An 11-digit 1xx number in no allocated range (199 is, 192 ranges were not in 2010's
        plan; 14[0] is unallocated) is reported weaker."""
        found = only(list(PhoneRecognizer().find("号码14000000000")))
        assert found.confidence < 0.5

    def test_fast_path_agrees_with_libphonenumber_parse(self) -> None:
        """The recognizer builds national numbers itself instead of calling
        ``phonenumbers.parse``; over every mobile prefix 130-199 and every area code 010-0999
        (seeded random subscriber numbers, in the written forms the patterns accept) its type
        and E.164 form equal what ``parse`` + ``is_valid_number`` + ``number_type`` give."""
        rng = random.Random(20261203)
        candidates = []
        for prefix in range(130, 200):
            for _ in range(12):
                rest = f"{rng.randrange(10**8):08d}"
                candidates += [f"{prefix}{rest}", f"{prefix}-{rest[:4]}-{rest[4:]}",
                               f"{prefix} {rest[:4]} {rest[4:]}"]  # fmt: skip
        for area in [f"0{n}" for n in range(10, 100)] + [f"0{n}" for n in range(100, 1000)]:
            subscriber = str(rng.randint(2, 9)) + "".join(
                rng.choice("0123456789") for _ in range(rng.choice((6, 7)))
            )
            candidates += [f"{area}{subscriber}", f"{area}-{subscriber}", f"({area}){subscriber}",
                           f"（{area}）{subscriber}"]  # fmt: skip
        for candidate in candidates:
            try:
                parsed = phonenumbers.parse(candidate.replace("（", "(").replace("）", ")"), "CN")
            except phonenumbers.NumberParseException:
                parsed = None
            valid = parsed is not None and phonenumbers.is_valid_number(parsed)
            expected = phonenumbers.number_type(parsed) if valid and parsed else None
            assert classify(candidate) == expected, candidate
            assert e164(candidate) == (
                phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                if valid and parsed
                else None
            ), candidate

    def test_digits_inside_a_longer_number_are_not_phones(self) -> None:
        """A mobile-shaped run inside a longer digit string is not reported."""
        assert list(PhoneRecognizer().find("订单号913800138000123")) == []


class TestBankCards:
    @pytest.mark.parametrize(
        ("number", "scheme"),
        [
            ("6200000000000005", "UnionPay"),  # Stripe's documented UnionPay test card
            ("6205500000000000004", "UnionPay"),  # Stripe's 19-digit UnionPay test card
            ("4111 1111 1111 1111", "Visa"),  # the classic Visa test card
            ("5555-5555-5555-4444", "Mastercard"),  # Stripe's Mastercard test card
            ("378282246310005", "American Express"),  # Stripe's Amex test card
        ],
    )
    def test_published_test_cards(self, number: str, scheme: str) -> None:
        """Card processors' published test numbers are found with their scheme named."""
        text = f"卡号{number}。"
        found = only(list(BankCardRecognizer().find(text)))
        assert text[found.start : found.end] == number
        assert scheme in found.reason and "Luhn valid" in found.reason

    def test_mainland_bin_and_luhn(self) -> None:
        """An ICBC debit prefix (622202, 19-digit cards) completed to pass Luhn by hand is the
        most confident.

        6222020000000000000: of 19 digits the 2nd, 4th, ... from the left are doubled:
        2->4, 2->4, 2->4, zeros; the others 6+2 = 8; sum 12+8 = 20 -> check digit 0."""
        found = only(list(BankCardRecognizer().find("6222020000000000000")))
        assert found.confidence == pytest.approx(0.95)
        assert "ICBC" in found.reason and "debit" in found.reason

    def test_bank_prefix_with_an_unlisted_length_is_only_unionpay(self) -> None:
        """The same ICBC prefix on a 16-digit number (ICBC's 622202 cards have 19 digits)
        passing Luhn by hand (6->12->3, 2->4, 0...; 2+2+2; 3+4+6 = 13 -> 7) names no bank."""
        found = only(list(BankCardRecognizer().find("6222020000000007")))
        assert found.confidence == pytest.approx(0.85) and "UnionPay" in found.reason

    @pytest.mark.parametrize(
        ("number", "bank"),
        [
            # the expectations of bankcardinfo 2.0.6's own test.js (its author's, not ours)
            ("624000888888888888", "ICBC"),
            ("6228278888888888888", "ABC"),
            ("6222738888888888888", "BOC"),
            ("5264108888888888", "CCB"),
            ("6236688888888888888", "CCB"),
            ("6210910002001951239", "BDCBANK"),
        ],
    )
    def test_packaged_table_names_the_bank_its_authors_expect(self, number: str, bank: str) -> None:
        """Card numbers from the BIN table's source package tests: the bank is named (these
        numbers need not pass Luhn: then the finding is weaker and says the check failed)."""
        found = only(list(BankCardRecognizer().find(f"卡号{number}")))
        assert f"issuer prefix of {bank} " in found.reason
        if not luhn.is_valid(number):
            assert found.confidence == pytest.approx(0.5) and "fails" in found.reason

    def test_the_hand_transcribed_bins_are_in_the_packaged_table(self) -> None:
        """The 27 prefixes written from memory before the table was packaged (and their banks)
        all appear in bankcardinfo's table: an independent check of that transcription."""
        hand = {
            "622202": "ICBC", "622208": "ICBC", "621226": "ICBC", "621225": "ICBC",
            "622200": "ICBC", "621700": "CCB", "622700": "CCB", "436742": "CCB", "622280": "CCB",
            "622848": "ABC", "622845": "ABC", "622846": "ABC", "622849": "ABC", "621661": "BOC",
            "621663": "BOC", "456351": "BOC", "601382": "BOC", "622260": "COMM",
            "622262": "COMM", "405512": "COMM", "622588": "CMB", "621483": "CMB",
            "621286": "CMB", "410062": "CMB", "621799": "PSBC", "622188": "PSBC", "621098": "PSBC",
        }  # fmt: skip
        table = bin_table()
        assert {p: {i.bank for i in table.get(p, ())} for p in hand} == {
            p: {b} for p, b in hand.items()
        }

    def test_unionpay_failing_luhn_is_weaker(self) -> None:
        """A 62 number failing Luhn is reported weaker (some UnionPay cards lack Luhn)."""
        found = only(list(BankCardRecognizer().find("6200000000000006")))
        assert found.confidence < 0.5 and "fails" in found.reason

    def test_random_number_failing_luhn_is_not_reported(self) -> None:
        """Sixteen digits with no known prefix that fail Luhn are not a card."""
        assert list(BankCardRecognizer().find("1234567812345678")) == []

    def test_odd_grouping_is_not_a_card(self) -> None:
        """Digits grouped 3-4-4 like phone numbers are not read as a card."""
        assert list(BankCardRecognizer().find("620 0000 0000 0000 05")) == []


class TestTravelDocuments:
    def test_passport_with_context(self) -> None:
        text = "护照号码：E12345678"
        found = only(list(TravelDocumentRecognizer().find(text)))
        assert found.type is DataType.PASSPORT and found.confidence >= 0.85

    def test_passport_without_context_is_weaker(self) -> None:
        found = only(list(TravelDocumentRecognizer().find("编号 G12345678")))
        assert found.type is DataType.PASSPORT and found.confidence == pytest.approx(0.5)

    @pytest.mark.parametrize("number", ["C12345678", "CA1234567", "W12345678", "H12345678",
                                        "M1234567890", "L12345678"])  # fmt: skip
    def test_permit_formats(self, number: str) -> None:
        """Each permit format of the Wikipedia articles is found as a permit after 通行证."""
        text = f"通行证 {number}"
        found = only(list(TravelDocumentRecognizer().find(text)))
        assert found.type is DataType.TRAVEL_PERMIT and text[found.start : found.end] == number

    def test_embedded_in_a_longer_code_is_not_reported(self) -> None:
        assert list(TravelDocumentRecognizer().find("SKU-XE12345678Z")) == []


class TestEmail:
    def test_address_in_chinese_text(self) -> None:
        text = "邮箱zhang.wei+shop@mail.example.cn，谢谢"
        found = only(list(EmailRecognizer().find(text)))
        assert text[found.start : found.end] == "zhang.wei+shop@mail.example.cn"

    def test_no_top_level_domain_is_not_an_address(self) -> None:
        assert list(EmailRecognizer().find("user@localhost")) == []


class TestAddresses:
    def test_full_address(self) -> None:
        """Province, city, district, road, number, building and room: one span."""
        text = "地址：浙江省杭州市西湖区文三路90号东部软件园2号楼301室，请送货"
        found = only(list(AddressRecognizer().find(text)))
        assert text[found.start : found.end] == "浙江省杭州市西湖区文三路90号东部软件园2号楼301室"
        assert found.confidence == pytest.approx(0.85)

    def test_municipality(self) -> None:
        """Beijing (a municipality: province level) then a district and a road."""
        text = "北京市朝阳区建国路88号"
        found = max(AddressRecognizer().find(text), key=lambda f: f.confidence)
        assert text[found.start : found.end] == text

    def test_place_names_alone_are_weak_or_absent(self) -> None:
        """Two divisions with nothing after them are a place, not an address."""
        assert list(AddressRecognizer().find("我去过杭州市西湖区。")) == []


class TestNames:
    @pytest.mark.parametrize(
        ("text", "name"),
        [
            ("收件人：张伟电话13800138000", "张伟"),
            ("姓名 欧阳娜娜,", "欧阳娜娜"),
            ("联系人:王五", "王五"),
            ("请李小明先生到前台", "李小明"),
            ("和刘洋女士", "刘洋"),
        ],
    )
    def test_names_in_context(self, text: str, name: str) -> None:
        found = only(list(NameRecognizer().find(text)))
        assert text[found.start : found.end] == name

    def test_surname_lookalike_without_context_is_not_a_name(self) -> None:
        """高兴 starts with a surname but nothing says it is a name."""
        assert list(NameRecognizer().find("今天很高兴见到大家")) == []

    def test_field_word_without_surname(self) -> None:
        """After 客户 a word that starts with no known surname is not a name."""
        assert list(NameRecognizer().find("客户满意度")) == []


def test_analyzer_keeps_the_strongest_of_overlapping_findings() -> None:
    """An 18-digit Gansu (62...) ID number is also a 62-prefixed card candidate failing Luhn:
    the ID (valid check digit) wins and the card is dropped."""

    first17 = "62010219900101123"
    check = check_char(first17)
    text = f"证件号{first17}{check}"
    found = Analyzer().analyze(text)
    assert spans(found, text) == [(first17 + check, DataType.NATIONAL_ID)]


class TestSurnameList:
    """The surname list, written from memory, against Faker's zh_CN surname table with its
    frequency weights (per cent of the population; Faker's data, not ours)."""

    def test_every_frequent_faker_surname_is_known(self) -> None:
        """Each surname Faker weights at 0.05 % or more is a single or compound surname here."""
        weights = faker_zh_cn.Provider.last_names
        missing = [
            s for s, w in weights.items()
            if w >= 0.05 and s not in SURNAMES and s not in COMPOUND_SURNAMES
        ]  # fmt: skip
        assert missing == []

    def test_the_list_covers_almost_all_of_the_population_faker_weighs(self) -> None:
        """The single-character surnames cover at least 98 % of Faker's total weight."""
        weights = faker_zh_cn.Provider.last_names
        covered = sum(w for s, w in weights.items() if s in SURNAMES or s in COMPOUND_SURNAMES)
        assert covered / sum(weights.values()) >= 0.98
