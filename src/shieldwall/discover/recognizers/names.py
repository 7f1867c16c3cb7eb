"""Chinese personal names in context: a surname, one or two given-name characters, and a word
that says a name is there.

A bare two- or three-character string starting with a common surname is everywhere in Chinese
text (王国, 高兴, 张开), so a name is reported only in context:

- after a field word (姓名, 收件人, 收货人, 联系人, 持卡人, 客户, 寄件人, 户主, name) and an
  optional colon: 0.85;
- before a form of address (先生, 女士, 小姐): 0.7 (the surname alone, as in 王先生, 0.6).

The given name stops before a following field word (张伟电话 is 张伟, then 电话). Surnames:
259 single-character surnames, written from memory of the Ministry of Public Security's name
statistics (《二〇一九年全国姓名报告》 lists the 100 most common) and other common ones, then
checked against an independent packaged list, Faker's ``zh_CN`` surname table with its
frequency weights (``tests/unit/discover/test_recognizers.py``): that check added 萧, 阎, 鞠, 赖
and 洪, which it weights among its 100 most frequent; the list now covers every surname Faker
weights at 0.05 % or more. Compound surnames: 20 common two-character surnames of the 百家姓
(not checked against a packaged source: Faker lists only 欧阳 of them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from shieldwall.discover.model import DataType, Finding

SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦"
    "俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房"
    "滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应"
    "臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝萧阎鞠赖洪"
)
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "司徒",
        "夏侯", "令狐", "宇文", "长孙", "独孤", "南宫", "西门", "轩辕", "端木", "呼延",
    }
)  # fmt: skip

_FIELD_WORDS = r"姓名|收件人|收货人|联系人|持卡人|寄件人|户主|客户|用户|乘客|患者|name"
_STOP_WORDS = (
    "电话", "手机", "地址", "身份", "证件", "性别", "年龄", "邮箱", "先生", "女士", "小姐",
    "联系", "收货", "收件", "卡号", "银行", "护照", "订单", "备注", "出生", "民族",
)  # fmt: skip
_HAN = r"[\u4e00-\u9fff]"
_HAN_CHAR = re.compile(_HAN)
_AFTER_FIELD = re.compile(
    rf"(?:{_FIELD_WORDS})\s*[:：]?\s*(?=(?P<name>{_HAN}{{2,4}}))", re.IGNORECASE
)
# Characters that commonly stand before a name but are also surnames (和, 于, 时...) or never are:
# a three-character candidate starting with one is read as the last two characters.
_LEAD_WORDS = frozenset("和与于向对给请问找叫是的了在把被让跟同及或时从位")
_BEFORE_TITLE = re.compile(rf"(?P<name>{_HAN}{{1,4}}?)(?:先生|女士|小姐)")


def _surname_length(candidate: str) -> int:
    """1 or 2 when ``candidate`` starts with a known surname, else 0."""
    if candidate[:2] in COMPOUND_SURNAMES:
        return 2
    return 1 if candidate[:1] in SURNAMES else 0


def _trim(text: str, start: int, surname: int) -> int:
    """The end of the name at ``start``: the surname and at most two given-name characters,
    stopping before a field word or a character that is not Han."""
    end = start + surname
    while end < min(start + surname + 2, len(text)) and _HAN_CHAR.fullmatch(text[end]):
        if end > start + surname and text.startswith(_STOP_WORDS, end):
            break
        end += 1
    return end


class NameRecognizer:
    name = "cn_person_name"
    types = frozenset({DataType.NAME})

    def find(self, text: str) -> Iterator[Finding]:
        for match in _AFTER_FIELD.finditer(text):
            candidate = match.group("name")
            surname = _surname_length(candidate)
            if not surname:
                continue
            start = match.start("name")
            end = _trim(text, start, surname)
            if end - start <= surname:
                continue
            yield Finding(start, end, DataType.NAME, 0.85, "surname after a field word")
        for match in _BEFORE_TITLE.finditer(text):
            candidate = match.group("name")
            # the title follows the name: take the longest surname-led suffix of 1-3 characters
            for width in (3, 2, 1):
                name = candidate[-width:]
                surname = _surname_length(name)
                if width == 3 and name[0] in _LEAD_WORDS:
                    continue
                if len(name) == width and surname and len(name) - surname <= 2:
                    start = match.end("name") - width
                    confidence = 0.6 if width == surname else 0.7
                    why = "surname before a form of address"
                    yield Finding(start, match.end("name"), DataType.NAME, confidence, why)
                    break
