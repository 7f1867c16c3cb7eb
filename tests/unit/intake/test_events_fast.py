"""The login kinds' msgspec fast path agrees with the pydantic models: on generated events,
valid and not, ``parse_event`` returns exactly the model pydantic validates, or raises the
error pydantic names. The reference is the pydantic path itself (``validate_event`` on
``json.loads``), which the schemas' own tests pin."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shieldwall.intake.errors import BadEvent
from shieldwall.intake.events import MODELS, Kind, parse_event, validate_event


def reference(kind: Kind, raw: bytes) -> tuple[str, Any]:
    """What the pydantic path alone gives: ("ok", fields and the set given) or ("bad", where)."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "bad", ("event", "not_json")
    if not isinstance(data, dict):
        return "bad", ("event", "not_object")
    try:
        e = validate_event(kind, data)
    except BadEvent as exc:
        return "bad", (exc.field, exc.code, exc.reason)
    return "ok", fields(kind, e)


def fields(kind: Kind, event: object) -> dict[str, Any]:
    """The model's fields as read off ``event`` (a pydantic model or msgspec's struct), typed."""
    return {
        name: (type(value), value)
        for name in MODELS[kind].model_fields
        for value in [getattr(event, name)]
    }


def under_test(kind: Kind, raw: bytes) -> tuple[str, Any]:
    try:
        e = parse_event(kind, raw)
    except BadEvent as exc:
        if exc.field == "event":
            return "bad", (exc.field, "not_json" if exc.code == "not_json" else "not_object")
        return "bad", (exc.field, exc.code, exc.reason)
    return "ok", fields(kind, e)


# Values near each bound and of the wrong types; texts with non-ASCII characters and newlines.
texts = st.one_of(
    st.text(max_size=8),
    st.text(alphabet="ab\n\r\t %:.-_é中\u2028\x00", max_size=6),
    st.sampled_from(["a" * 64, "a" * 65, "a" * 128, "a" * 129, "中" * 320, "中" * 321]),
    st.sampled_from(["x" * 200, "x" * 201, "x" * 1024, "x" * 1025, "é" * 1024, "é" * 1025]),
)
ips = st.one_of(
    st.ip_addresses().map(str),
    st.sampled_from(
        [
            *("1.2.3.4", " 1.2.3.4", "1.2.3.4\n", "01.2.3.4", "256.1.1.1", "1.2.3", "fe80::1%eth0"),
            *("::ffff:1.2.3.4", "2001:db8::1 ", "1", "::", "1.2.3.4.5", "0x1.2.3.4", "1.2.3.4%"),
        ]
    ),
    texts,
)
ids = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.:\-]{1,130}", fullmatch=True),
    st.sampled_from(["ok-1\n", "", "a b", "a" * 128, "a" * 129]),
    texts,
)
good_ids = st.from_regex(r"[A-Za-z0-9_.:\-]{1,128}", fullmatch=True)
sha1 = st.one_of(
    st.from_regex(r"[0-9a-fA-F]{39,41}", fullmatch=True),
    st.sampled_from(["a" * 40 + "\n", "A" * 40, "g" * 40]),
)
other = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.lists(st.integers()))
flags = st.one_of(st.booleans(), st.sampled_from([0, 1, "true", None, 1.0]))


def sized(low: int, high: int) -> st.SearchStrategy[str]:
    """Texts at and around the bounds, in one- and several-byte characters."""
    lengths = sorted({max(low - 1, 0), low, high, high + 1})
    return st.one_of(
        st.text(min_size=low, max_size=min(high, 12)),
        st.sampled_from([c * n for n in lengths for c in ("a", "中", "é")]),
    )


def at_bounds(kind: Kind) -> list[bytes]:
    """Each text field at its bound and one past it, the other fields valid."""
    base: dict[str, Any] = (
        {"event_id": "a", "account": "x", "ip": "1.2.3.4"}
        if kind is Kind.LOGIN_ATTEMPT
        else {"event_id": "a", "assessment_id": "x", "success": True}
    )
    bounds = (
        {"event_id": 128, "account": 320, "ip": 64, "user_agent": 1024, "device_id": 200}
        if kind is Kind.LOGIN_ATTEMPT
        else {"event_id": 128, "assessment_id": 64}
    )
    out = []
    for name, n in bounds.items():
        for length in (n, n + 1):
            value = "1" * length if name == "ip" else "a" * length
            out.append(json.dumps({**base, name: value}).encode())
            out.append(json.dumps({**base, name: "中" * length}).encode())
        if name != "event_id":
            out.append(json.dumps({**base, name: ""}).encode())
    return out


# Per field: (a value the schema accepts, or nearly; anything). An event draws every field from
# the first, then spoils up to two with the second, so both sides of each bound are reached.
FIELDS: dict[Kind, dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]]] = {
    Kind.LOGIN_ATTEMPT: {
        "event_id": (good_ids, st.one_of(ids, other)),
        "account": (sized(1, 320), st.one_of(texts, other)),
        "ip": (st.ip_addresses().map(str), st.one_of(ips, other, sized(2, 64))),
        "user_agent": (st.one_of(st.none(), sized(0, 1024)), st.one_of(texts, other)),
        "device_id": (st.one_of(st.none(), sized(0, 200)), st.one_of(texts, other)),
        "password_sha1": (st.one_of(st.none(), sha1), st.one_of(texts, other)),
    },
    Kind.LOGIN_OUTCOME: {
        "event_id": (good_ids, st.one_of(ids, other)),
        "assessment_id": (sized(1, 64), st.one_of(texts, other)),
        "success": (st.booleans(), flags),
        "account_known": (st.booleans(), flags),
    },
}
OPTIONAL = {"user_agent", "device_id", "password_sha1", "account_known"}


@st.composite
def bodies(draw: st.DrawFn, kind: Kind) -> bytes:
    fields = FIELDS[kind]
    names = sorted(fields)
    present = [n for n in names if n not in OPTIONAL or draw(st.booleans())]
    spoiled = set(draw(st.lists(st.sampled_from(names), max_size=2)))
    if draw(st.integers(0, 9)) == 0:  # a required field left out
        present.remove(draw(st.sampled_from([n for n in present if n not in OPTIONAL])))
    data = {n: draw(fields[n][1] if n in spoiled else fields[n][0]) for n in present}
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.sampled_from(["extra", "pw", "Account"]))] = draw(texts)
    raw = json.dumps(data, ensure_ascii=draw(st.booleans())).encode()
    mutation = draw(st.integers(0, 19))
    if mutation == 0 and raw:  # a byte changed: invalid UTF-8, broken JSON or another value
        i = draw(st.integers(0, len(raw) - 1))
        raw = raw[:i] + bytes([draw(st.integers(0, 255))]) + raw[i + 1 :]
    elif mutation == 1:
        raw = raw + draw(st.sampled_from([b" ", b"\n", b"x", b"{}"]))
    return raw


@pytest.mark.parametrize("kind", [Kind.LOGIN_ATTEMPT, Kind.LOGIN_OUTCOME])
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@example(data=None)  # the fixed cases below, through the same comparison
def test_the_fast_path_gives_what_pydantic_gives(kind: Kind, data: st.DataObject | None) -> None:
    """Accepted with the same field values (of the same types), or refused with pydantic's
    field, code and reason."""
    cases = [data.draw(bodies(kind))] if data is not None else FIXED[kind] + at_bounds(kind)
    for raw in cases:
        assert under_test(kind, raw) == reference(kind, raw), raw


FIXED: dict[Kind, list[bytes]] = {
    Kind.LOGIN_ATTEMPT: [
        b'{"event_id":"a","account":"x","ip":"1.2.3.4"}',
        b'{"event_id":"a","account":"x","ip":"1.2.3.4","ip":"bad"}',  # duplicate key: the last
        b'{"event_id":"a","account":"x","ip":"bad","ip":"1.2.3.4"}',
        b'{"event_id":"a\\n","account":"x","ip":"1.2.3.4"}',
        b'{"event_id":"a","account":"\\ud800","ip":"1.2.3.4"}',  # a lone surrogate
        b'\xef\xbb\xbf{"event_id":"a","account":"x","ip":"1.2.3.4"}',  # a byte order mark
        '{"event_id":"a","account":"x","ip":"1.2.3.4"}'.encode("utf-16"),
        b'{"event_id":"a","account":"x","ip":"1.2.3.4","user_agent":null,"device_id":"d"}',
        b'{"event_id":"a","account":"x","ip":"1.2.3.4","password_sha1":"' + b"a" * 40 + b'"}',
        b'{"event_id":"a","account":"x","ip":"::1","password_sha1":"' + b"a" * 40 + b'\\n"}',
        b"[]",
        b"null",
    ],
    Kind.LOGIN_OUTCOME: [
        b'{"event_id":"a","assessment_id":"x","success":true}',
        b'{"event_id":"a","assessment_id":"x","success":1}',
        b'{"event_id":"a","assessment_id":"x","success":true,"account_known":false}',
        b'{"event_id":"a","assessment_id":"x","success":true,"account_known":null}',
    ],
}
