"""The API's JSON renderer: DRF's answer, written by orjson.

DRF writes JSON with the standard library's `json.dumps`: a changes page of 500 deals
(520 KB) took 13.5 ms to write, a tenth of the request. orjson (a compiled writer, widely
used) writes the same bytes in 2.6 ms. The bytes are DRF's own, as `keyaccounts/tests/
test_api_renderer.py` checks on the API's answers and on every kind of value DRF writes:

- compact, non-ASCII characters as they are (DRF's `COMPACT_JSON`, `UNICODE_JSON`), and
  U+2028 and U+2029 escaped as DRF escapes them;
- what JSON has no type for goes through DRF's own encoder (`encoders.JSONEncoder.
  default`): a decimal, a lazy translation, a set or a query set, and a date and time,
  which orjson would otherwise write its own way (DRF ends a UTC time with `Z`);
- an answer orjson cannot write (an integer beyond 64 bits) and any answer DRF would write
  otherwise (asked with an indent, or the settings changed) is written by DRF.

Differences remain only for values the API's serializers never give (every answer of the
API's tests, about 1,000, was once compared with DRF's: none differed). A small float or decimal
is the same number in another notation (`1e-7`, `0.00001`, where Python writes `1e-07`,
`1e-05`); one that is not a number or is infinite is `null`, and a few values DRF refuses
(a plain enum, a dataclass, a date or UUID as a key) are written, where DRF fails the
request; an OrderedDict reordered after it was filled, or a QueryDict, is written in its
stored order with all its values; a generator in an answer orjson cannot write is used up
before DRF writes the answer.
"""

import orjson
from rest_framework import renderers
from rest_framework.utils import encoders

OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_default = encoders.JSONEncoder().default


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        plain = (
            self.compact
            and not self.ensure_ascii
            and self.encoder_class is encoders.JSONEncoder
            and self.get_indent(accepted_media_type, renderer_context or {}) is None
        )
        if plain:
            try:
                written = orjson.dumps(data, default=_default, option=OPTIONS)
            except orjson.JSONEncodeError:
                pass  # DRF's way, with its own error if it has one
            else:
                # As DRF: the two line separators JSON allows but JavaScript did not.
                return written.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                    b"\xe2\x80\xa9", b"\\u2029"
                )
        return super().render(data, accepted_media_type, renderer_context)
