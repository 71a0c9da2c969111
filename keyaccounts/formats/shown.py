"""The one way dates and times are shown, in every language (`FORMAT_MODULE_PATH`):
what `|date` without a format, `"DATE_FORMAT"` and the admin show. Templates spell the
same formats out (`|date:"Y-m-d"`, `|date:"Y-m-d H:i"`)."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y-m"
MONTH_DAY_FORMAT = "m-d"
