"""The bilingual texts a notice is built from, keyed by code.

Notices are assembled from codes, never from free text an operator types: a code cannot carry
a customer's name or phone into a letter, an audit entry or a stored record, and every code has
its Chinese and English wording reviewed once, here. Each table maps a code to
``{"zh-CN": ..., "en": ...}``.

- ``KINDS``      kinds of personal information (custody's customer and order fields)
- ``CAUSES``     what caused the leak; the default follows the case's source
- ``HARMS``      possible harm, per kind exposed (PIPL art. 57(1); GDPR art. 33(3)(c))
- ``ADVICE``     what a person can do, per kind exposed, plus ``general`` (PIPL art. 57(2))
- ``MEASURES``   remedial measures the store took (PIPL art. 57(2); GDPR art. 33(3)(d))
- ``DELAY_REASONS`` why a GDPR notice to the authority is later than 72 hours (art. 33(1))
"""

from __future__ import annotations

from collections.abc import Mapping

from shieldwall.respond.case_model import SourceKind

Text = Mapping[str, str]

KINDS: dict[str, Text] = {
    "name": {"zh-CN": "姓名", "en": "name"},
    "phone": {"zh-CN": "手机号码", "en": "mobile phone number"},
    "email": {"zh-CN": "电子邮箱地址", "en": "e-mail address"},
    "address": {"zh-CN": "收货地址", "en": "postal (delivery) address"},
    "national_id": {"zh-CN": "居民身份证号码", "en": "national ID card number"},
    "items": {"zh-CN": "订单商品信息", "en": "items ordered"},
    "delivery_address": {"zh-CN": "订单收货地址", "en": "order delivery address"},
    "amount": {"zh-CN": "订单金额", "en": "order amount"},
    "status": {"zh-CN": "订单状态", "en": "order status"},
}

MASKED: Text = {"zh-CN": "（部分遮蔽）", "en": " (partly masked)"}

CAUSES: dict[str, Text] = {
    "insider_access": {
        "zh-CN": "内部人员超出工作需要访问并泄露了客户信息",
        "en": "a member of staff accessed customer records beyond their duties and leaked them",
    },
    "partner_leak": {
        "zh-CN": "向合作方（如物流服务商）提供的数据从合作方处泄露",
        "en": "data the store provided to a partner (such as a delivery company) leaked from"
        " that partner",
    },
    "scam_campaign": {
        "zh-CN": "诈骗分子掌握了客户信息并冒充本店实施诈骗，信息来源正在调查",
        "en": "fraudsters hold customer information and impersonate the store; where they got"
        " it is under investigation",
    },
    "external_attack": {
        "zh-CN": "外部攻击者非法侵入系统获取了客户信息",
        "en": "an outside attacker broke into the store's systems and took customer information",
    },
    "under_investigation": {
        "zh-CN": "原因正在调查，查明后将另行通知",
        "en": "the cause is under investigation; we will tell you when it is established",
    },
}

DEFAULT_CAUSE: dict[SourceKind, str] = {
    SourceKind.ALERT: "insider_access",
    SourceKind.CANARY_HIT: "partner_leak",
    SourceKind.LEAK_TRACE: "partner_leak",
    SourceKind.VICTIMS_TRACE: "under_investigation",
    SourceKind.SCAM_CAMPAIGN: "scam_campaign",
    SourceKind.MANUAL: "under_investigation",
}

HARMS: dict[str, Text] = {
    "phone": {
        "zh-CN": "可能接到冒充本店客服、以退款或理赔为名的诈骗电话或短信",
        "en": "calls or text messages from fraudsters posing as the store's customer service,"
        " offering a refund or compensation",
    },
    "name": {
        "zh-CN": "诈骗分子可能直呼姓名以骗取信任",
        "en": "fraudsters may address you by name to win your trust",
    },
    "address": {
        "zh-CN": "可能收到冒充快递的信件或上门诈骗",
        "en": "letters or visits from people posing as a courier",
    },
    "delivery_address": {
        "zh-CN": "可能收到冒充快递的信件或上门诈骗",
        "en": "letters or visits from people posing as a courier",
    },
    "email": {
        "zh-CN": "可能收到仿冒本店的钓鱼邮件",
        "en": "phishing e-mails imitating the store",
    },
    "national_id": {
        "zh-CN": "身份信息可能被冒用（如冒名开户、借贷）",
        "en": "identity theft (accounts or loans opened in your name)",
    },
    "items": {
        "zh-CN": "诈骗分子可能说出您购买的商品，使诈骗更可信",
        "en": "fraudsters may quote what you bought to make a scam believable",
    },
    "amount": {
        "zh-CN": "诈骗分子可能说出订单金额，使诈骗更可信",
        "en": "fraudsters may quote what you paid to make a scam believable",
    },
    "status": {
        "zh-CN": "诈骗分子可能以订单异常为由联系您",
        "en": "fraudsters may contact you claiming a problem with your order",
    },
}

ADVICE: dict[str, Text] = {
    "general": {
        "zh-CN": "本店不会以任何理由要求您转账、提供银行卡密码或短信验证码；"
        "如遇此类要求请立即挂断，"
        "并拨打 96110 反诈专线或 110 报警",
        "en": "the store will never ask you to transfer money or to give a card PIN or a text"
        " message code; if asked, hang up and call the anti-fraud line 96110 or the police (110)",
    },
    "phone": {
        "zh-CN": "对自称本店客服、快递或平台的来电保持警惕，只通过本店官方应用或官方客服电话核实",
        "en": "be wary of callers claiming to be the store, a courier or a platform; check only"
        " through the store's official app or official customer service number",
    },
    "email": {
        "zh-CN": "不要点击邮件中的链接或附件，直接在浏览器中输入本店网址登录",
        "en": "do not click links or attachments in e-mails; type the store's address into your"
        " browser yourself",
    },
    "national_id": {
        "zh-CN": "留意以您名义办理的银行、借贷业务，可向征信中心查询个人信用报告",
        "en": "watch for bank or loan accounts opened in your name; you can request your credit"
        " report from the credit reference centre",
    },
    "address": {
        "zh-CN": "对上门自称快递理赔的人员保持警惕",
        "en": "be wary of visitors who say they settle courier claims",
    },
}

MEASURES: dict[str, Text] = {
    "principals_suspended": {
        "zh-CN": "已停用涉事人员的系统访问权限",
        "en": "the access of the people involved has been suspended",
    },
    "releases_revoked": {
        "zh-CN": "已停止向涉事合作方提供数据，并要求其删除已获得的数据",
        "en": "the store stopped providing data to the partner involved and required it to"
        " delete what it received",
    },
    "customers_warned": {
        "zh-CN": "已向可能受影响的客户发送防诈骗提醒",
        "en": "customers who may be affected have been warned about scams",
    },
    "police_report": {
        "zh-CN": "已向公安机关报案",
        "en": "the matter has been reported to the police",
    },
    "passwords_reset": {
        "zh-CN": "已重置相关账户密码并要求重新验证登录",
        "en": "passwords of the accounts concerned have been reset and sign-in re-verified",
    },
    "access_tightened": {
        "zh-CN": "已收紧客户信息访问权限，客户信息默认遮蔽显示",
        "en": "access to customer information has been tightened; it is now shown masked by"
        " default",
    },
    "compensation_offered": {
        "zh-CN": "因本事件遭受损失的客户可向本店申请赔偿（先行赔付）",
        "en": "customers who lost money through this incident can claim compensation from the"
        " store, paid in advance of any ruling on liability",
    },
}

DELAY_REASONS: dict[str, Text] = {
    "scope_unknown": {
        "zh-CN": "在确认受影响范围之前无法提供有意义的通知",
        "en": "a meaningful notice could not be given before the scope of the breach was known",
    },
    "law_enforcement_request": {
        "zh-CN": "应执法机关要求暂缓通知",
        "en": "law enforcement asked the store to delay the notice",
    },
    "discovered_late": {
        "zh-CN": "事件经第三方告知后才被发现",
        "en": "the store only learned of the breach from a third party",
    },
}


def text(table: Mapping[str, Text], code: str, language: str) -> str:
    return table[code][language]
