"""The one way dates, times and numbers are shown, in every language (`FORMAT_MODULE_PATH`):
what `|date` without a format, `"DATE_FORMAT"` and the admin show. Templates spell the
same formats out (`|date:"Y-m-d"`, `|date:"Y-m-d H:i"`)."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y-m"
MONTH_DAY_FORMAT = "m-d"

# Numbers grouped by thousands in both languages, as amounts are (`|money`): Django's
# Chinese format has no separator at all and groups by ten thousands (万), so
# `|floatformat:"g"` showed 1100000 in Chinese beside ¥1,100,000. Shown only:
# USE_THOUSAND_SEPARATOR stays off, so a number typed into a form is read as before.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
