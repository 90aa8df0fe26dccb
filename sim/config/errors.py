"""The one error every bad scenario input raises."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A bad scenario file, name or override. ``str(err)`` is one line; the parts are attributes."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        key: str | None = None,
        expected: str | None = None,
        given: str | None = None,
        hint: str | None = None,
    ):
        message = " ".join(str(message).split("\n"))  # one line, always
        super().__init__(message)
        self.source = source
        self.key = key
        self.expected = expected
        self.given = given
        self.hint = hint

    def __reduce__(self):  # keep the attributes across process boundaries
        return (_rebuild_error, (self.args[0], self.source, self.key, self.expected, self.given, self.hint))


def _rebuild_error(message, source, key, expected, given, hint):
    return ScenarioError(message, source=source, key=key, expected=expected, given=given, hint=hint)
