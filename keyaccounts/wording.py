"""Django's own messages, said again in the project's Chinese.

Django's Chinese for a text too long or too short ("确保该变量包含不超过 200 字符 (目前字符数
250)。") speaks of a "variable" and mixes ASCII brackets into Chinese. The project's
catalogue (`LOCALE_PATHS`, keyaccounts/locale) is read before Django's, so a message
translated there is said the project's way on every form, filter and import. The
messages are listed here only so that `make messages` keeps them in the catalogue: this
module is never imported.
"""

from django.utils.translation import ngettext_lazy

TOO_LONG = ngettext_lazy(
    "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
    "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
    "limit_value",
)
TOO_SHORT = ngettext_lazy(
    "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
    "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
    "limit_value",
)
