"""SCIM filters (RFC 7644, section 3.4.2.2), the part identity providers use: equality tests
joined with ``and``, and a value filter on a multi-valued attribute
(``members[value eq "42"]``, ``emails[type eq "work"].value eq "a@b.c"``).

Parsing is pure; ``provisioning.selectors`` turns the conditions into queries.
"""

import json
import re
from dataclasses import dataclass

from .errors import ScimError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<lbracket>\[) | (?P<rbracket>\]) | (?P<lparen>\() | (?P<rparen>\))
      | (?P<word>[A-Za-z0-9_:.$-]+)
    )""",
    re.VERBOSE,
)
_OPERATORS = {"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"}
_UNSUPPORTED = "Only equality tests joined with 'and' are supported, e.g. userName eq \"alice\"."


@dataclass(frozen=True)
class Condition:
    """``attribute eq value``. ``attribute`` is lower-cased, sub-attributes joined by dots;
    a value filter ``emails[type eq "work"].value`` becomes ``emails.value`` with
    ``within`` holding the bracketed conditions."""

    attribute: str
    value: str | bool | int | float | None
    within: tuple["Condition", ...] = ()


def invalid_filter(detail: str) -> ScimError:
    return ScimError(detail, scim_type="invalidFilter")


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise invalid_filter(f"Cannot read the filter at {text[position : position + 20]!r}.")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return found


def _literal(kind: str, raw: str) -> str | bool | int | float | None:
    if kind == "string":
        value: str = json.loads(raw)
        return value
    lowered = raw.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        raise invalid_filter(f'{raw!r} is not a value: quote strings, e.g. "{raw}".') from None


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str) -> str:
        token = self.peek()
        if token is None or token[0] != kind:
            shown = token[1] if token else "the end of the filter"
            raise invalid_filter(f"Unexpected {shown!r} in the filter. {_UNSUPPORTED}")
        self.at += 1
        return token[1]

    def conditions(self, *, closing: str | None = None) -> list[Condition]:
        found = [self.comparison()]
        while True:
            token = self.peek()
            if token is None or (closing and token[0] == closing):
                return found
            word = self.take("word").lower()
            if word != "and":
                raise invalid_filter(f"{word!r} is not supported. {_UNSUPPORTED}")
            found.append(self.comparison())

    def comparison(self) -> Condition:
        token = self.peek()
        if token is not None and token[0] == "lparen":
            self.take("lparen")
            inner = self.conditions(closing="rparen")
            self.take("rparen")
            if len(inner) != 1:
                raise invalid_filter(
                    f"Parentheses around several tests are not supported. {_UNSUPPORTED}"
                )
            return inner[0]
        attribute = self.take("word").lower()
        token = self.peek()
        if token is not None and token[0] == "lbracket":
            self.take("lbracket")
            within = tuple(self.conditions(closing="rbracket"))
            self.take("rbracket")
            token = self.peek()
            if token is not None and token[0] == "word" and token[1].startswith("."):
                attribute += self.take("word").lower()
            else:
                return Condition(attribute=attribute, value=None, within=within)
            return Condition(attribute=attribute, value=self.equality(), within=within)
        return Condition(attribute=attribute, value=self.equality())

    def equality(self) -> str | bool | int | float | None:
        operator = self.take("word").lower()
        if operator not in _OPERATORS:
            raise invalid_filter(f"{operator!r} is not a filter operator. {_UNSUPPORTED}")
        if operator != "eq":
            raise invalid_filter(f"The operator {operator!r} is not supported. {_UNSUPPORTED}")
        token = self.peek()
        if token is None or token[0] not in {"string", "word"}:
            raise invalid_filter(f"A value must follow 'eq'. {_UNSUPPORTED}")
        self.at += 1
        return _literal(*token)


def parse_filter(text: str) -> list[Condition]:
    """The conditions of ``text``, all of which must hold; ``ScimError`` (400, invalidFilter)
    for anything else."""
    if not text.strip():
        raise invalid_filter("The filter is empty.")
    parser = _Parser(text)
    found = parser.conditions()
    leftover = parser.peek()
    if leftover is not None:
        raise invalid_filter(f"Unexpected {leftover[1]!r} in the filter. {_UNSUPPORTED}")
    return found
