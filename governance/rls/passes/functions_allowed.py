"""The functions a governed query (or a policy predicate) may call: an allow-list.

sqlglot parses the functions it knows into their own expression classes (``SUM(x)`` is
``exp.Sum``), whatever the spelling in the dialect; those are allowed by class, exactly (a
subclass is not implied). Functions sqlglot does not model parse as ``exp.Anonymous``; those are
allowed by lower-case name, per dialect. Everything else is refused: table functions, anything
that reads files, URLs, settings, variables, secrets or catalogs, anything that runs SQL given as
a string, sequences, user-defined functions and macros.

The deny lists at the end do not grant or deny anything: they only choose the refusal message.
"""

from sqlglot import exp


def _classes(*names: str) -> frozenset[type[exp.Expr]]:
    """The sqlglot classes called ``names``; a class missing from sqlglot fails at import."""
    return frozenset(getattr(exp, name) for name in names)


AGGREGATES = _classes(
    "AnyValue", "ApproxDistinct", "ApproxQuantile", "ApproxQuantiles", "ArgMax", "ArgMin",
    "ArrayAgg", "ArrayConcatAgg", "Avg", "BitwiseAndAgg", "BitwiseOrAgg", "BitwiseXorAgg", "Corr",
    "Count", "CountIf", "CovarPop", "CovarSamp", "First", "GroupConcat", "Grouping", "Kurtosis",
    "Last", "LogicalAnd", "LogicalOr", "Max", "Median", "Min", "Mode", "PercentileCont",
    "PercentileDisc", "Quantile", "RegrAvgx", "RegrAvgy", "RegrCount", "RegrIntercept", "RegrR2",
    "RegrSlope", "RegrSxx", "RegrSxy", "RegrSyy", "Skewness", "Stddev", "StddevPop", "StddevSamp",
    "Sum", "Variance", "VariancePop",
)  # fmt: skip

WINDOW_FUNCTIONS = _classes(
    "CumeDist", "DenseRank", "FirstValue", "Lag", "LastValue", "Lead", "NthValue", "Ntile",
    "PercentRank", "Rank", "RowNumber",
)  # fmt: skip

MATH = _classes(
    "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atan2", "Atanh", "BitwiseCount", "Cbrt",
    "Ceil", "Cos", "Cosh", "Cot", "Degrees", "Exp", "Factorial", "Floor", "IsInf", "IsNan", "Ln",
    "Log", "Pi", "Pow", "Radians", "Rand", "RangeBucket", "Round", "SafeAdd", "SafeDivide",
    "SafeMultiply", "SafeNegate", "SafeSubtract", "Sign", "Sin", "Sinh", "Sqrt", "Tan", "Tanh",
    "Trunc", "WidthBucket",
)  # fmt: skip

STRING = _classes(
    "Ascii", "BitLength", "ByteLength", "Chr", "CodePointsToString", "Concat", "ConcatWs",
    "Contains", "EndsWith", "FarmFingerprint", "Format", "FromBase64", "Hex", "Initcap",
    "JarowinklerSimilarity", "Left", "Length", "Levenshtein", "Lower", "LowerHex", "MD5",
    "MD5Digest", "Normalize", "Pad", "RegexpCount", "RegexpExtract", "RegexpExtractAll",
    "RegexpFullMatch", "RegexpILike", "RegexpInstr", "RegexpLike", "RegexpReplace", "RegexpSplit",
    "Repeat", "Replace", "Reverse", "Right", "SHA", "SHA1Digest", "SHA2", "SHA2Digest",
    "SafeConvertBytesToString", "Soundex", "Space", "Split", "SplitPart", "StartsWith",
    "StrPosition", "String", "StringToArray", "Substring", "ToBase64", "ToCodePoints", "Translate",
    "Trim", "Unhex", "Unicode", "Upper",
)  # fmt: skip

DATE_TIME = _classes(
    "AddMonths", "CurrentDate", "CurrentDatetime", "CurrentTime", "CurrentTimestamp", "Date",
    "DateAdd", "DateBin", "DateDiff", "DateFromParts", "DateFromUnixDate", "DateStrToDate",
    "DateSub", "DateToDateStr", "DateTrunc", "Datetime", "DatetimeAdd", "DatetimeDiff",
    "DatetimeSub", "DatetimeTrunc", "Day", "DayOfMonth", "DayOfWeek", "DayOfWeekIso", "DayOfYear",
    "Dayname", "Extract", "GenerateDateArray", "GenerateTimestampArray", "Hour", "JustifyDays",
    "JustifyHours", "JustifyInterval", "LastDay", "Localtime", "Localtimestamp", "MakeInterval",
    "Minute", "Month", "Monthname", "MonthsBetween", "ParseDatetime", "ParseTime", "Quarter",
    "Second", "StrToDate", "StrToTime", "StrToUnix", "Time", "TimeAdd", "TimeDiff",
    "TimeFromParts", "TimeStrToDate", "TimeStrToTime", "TimeStrToUnix", "TimeSub", "TimeToStr",
    "TimeToTimeStr", "TimeToUnix", "TimeTrunc", "Timestamp", "TimestampAdd", "TimestampDiff",
    "TimestampFromParts", "TimestampSub", "TimestampTrunc", "ToDays", "TsOrDsAdd", "TsOrDsDiff",
    "TsOrDsToDate", "TsOrDsToDateStr", "TsOrDsToDatetime", "TsOrDsToTime", "TsOrDsToTimestamp",
    "UnixDate", "UnixMicros", "UnixMillis", "UnixSeconds", "UnixToStr", "UnixToTime",
    "UnixToTimeStr", "UtcDate", "UtcTime", "UtcTimestamp", "Week", "WeekOfYear", "WeekStart",
    "Year", "YearOfWeek", "YearOfWeekIso",
)  # fmt: skip

CONDITIONAL = _classes(
    "And", "Case", "Coalesce", "EqualNull", "Exists", "Greatest", "If", "Least", "Nullif", "Nvl2",
    "Or", "Xor",
)  # fmt: skip

CASTS = _classes("Cast", "Collate", "TryCast", "Typeof")

# Lists, structs, maps and JSON values held in columns (not table functions: UNNEST in FROM
# only expands a value the query already has).
STRUCTURED = _classes(
    "Array", "ArrayAll", "ArrayAny", "ArrayAppend", "ArrayCompact", "ArrayConcat",
    "ArrayContains", "ArrayContainsAll", "ArrayDistinct", "ArrayExcept", "ArrayFilter",
    "ArrayFirst", "ArrayIntersect", "ArrayLast", "ArrayMax", "ArrayMin", "ArrayOverlaps",
    "ArrayPosition", "ArrayPrepend", "ArrayRemove", "ArrayReverse", "ArraySize", "ArraySlice",
    "ArraySort", "ArraySum", "ArrayToString", "ArraysZip", "Columns", "Explode", "Flatten",
    "GenerateSeries", "JSONArray", "JSONArrayAgg", "JSONArrayContains", "JSONExists",
    "JSONExtract", "JSONExtractArray", "JSONExtractScalar", "JSONFormat", "JSONKeys",
    "JSONKeysAtDepth", "JSONObject", "JSONObjectAgg", "JSONType", "JSONValueArray", "List", "Map",
    "MapFromEntries", "MapKeys", "ParseJSON", "Reduce", "Struct", "StructExtract", "ToArray",
    "ToMap", "Transform", "Unnest", "VarMap",
)  # fmt: skip

# BigQuery's SAFE. prefix: the wrapped function is checked on its own.
WRAPPERS = _classes("SafeFunc")

ALLOWED_FUNCTION_CLASSES: frozenset[type[exp.Expr]] = (
    AGGREGATES
    | WINDOW_FUNCTIONS
    | MATH
    | STRING
    | DATE_TIME
    | CONDITIONAL
    | CASTS
    | STRUCTURED
    | WRAPPERS
)

_DUCKDB_ANONYMOUS = frozenset(
    {
        "age", "arbitrary", "bin", "bit_count", "cardinality", "century", "damerau_levenshtein",
        "date_part", "datepart", "date_sub", "decade", "element_at", "entropy", "epoch_ns",
        "epoch_us", "even", "favg", "fdiv", "fmod", "fsum", "gamma", "gcd", "geomean", "hamming",
        "hash", "histogram", "isoyear", "jaccard", "jaro_similarity", "json_array_length",
        "json_valid", "lcm", "length_grapheme", "lgamma", "list_avg", "list_cat", "list_element",
        "list_extract", "list_first", "list_has_all", "list_last", "list_position",
        "list_reverse", "list_slice", "list_sum", "list_unique", "list_zip", "mad", "map_extract",
        "map_values", "microsecond", "millennium", "millisecond", "mismatches", "nextafter",
        "nfc_normalize", "now", "octet_length", "ord", "prefix", "printf", "product",
        "regexp_escape", "regexp_split_to_array", "round_even", "signbit", "strip_accents",
        "strlen", "struct_insert", "suffix", "sumkahan", "to_hours", "to_json",
        "to_milliseconds", "to_minutes", "to_months", "to_seconds", "to_years", "try_strptime",
        "weekday", "yearweek",
    }
)  # fmt: skip

# Functions sqlglot parses as exp.Anonymous, by dialect: pure computations over their arguments.
ALLOWED_ANONYMOUS: dict[str, frozenset[str]] = {
    "duckdb": _DUCKDB_ANONYMOUS,
    "bigquery": frozenset({"array_includes", "date_bucket", "ieee_divide"}),
}

# ---- refusal messages only ----------------------------------------------------------------

# Functions that take SQL text (or a table name) as a string and run it.
RUNS_SQL_FROM_STRING = frozenset(
    {
        "query", "query_table", "query_to_xml", "query_to_json", "external_query", "dblink",
        "json_execute_serialized_sql", "json_deserialize_sql", "sql_auto_complete", "execute",
        "execute_immediate", "pg_read_file", "sql",
    }
)  # fmt: skip

# Name fragments of functions that read files, URLs or other databases.
READS_FILES_OR_URLS = (
    "read_", "_scan", "glob", "parquet", "csv", "json_read", "iceberg", "delta", "httpfs",
    "http_", "url", "s3", "postgres", "mysql", "sqlite", "ducklake", "file", "excel", "ndjson",
)  # fmt: skip


def refusal_for(name: str) -> str:
    """The refusal message for a function called ``name`` that is not allowed."""
    lowered = name.lower()
    if lowered in RUNS_SQL_FROM_STRING:
        return f"functions that run SQL from a string are not allowed: {name}"
    if any(fragment in lowered for fragment in READS_FILES_OR_URLS):
        return f"reading files or URLs is not allowed: {name}"
    return f"function not allowed: {name}"
