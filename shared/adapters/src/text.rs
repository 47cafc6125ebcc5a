//! Shared pieces of the parsers: numbers as harnesses print them, time units, ANSI colour codes,
//! the `NaN`/`Infinity` tokens Python and .NET write into JSON, and searches for the short
//! separators harnesses print. Everything here is linear in its input (a search costs at most
//! its separator's length per byte), so no parser built on it can take more than linear time.

use std::borrow::Cow;

use bencher_wire::bmf::JsonMetric;

/// Parse a number as harnesses print it: optional sign, digits with optional `,` thousands
/// separators, optional fraction and exponent. `NaN` and `inf`/`Infinity` parse (to non-finite
/// values) so that the caller refuses them naming the benchmark instead of skipping the line.
pub(crate) fn number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if !s.contains(',') {
        return s.parse().ok();
    }
    // Commas are separators only between digits of the integer part.
    let bytes = s.as_bytes();
    let mut cleaned = String::with_capacity(s.len());
    for (i, &b) in bytes.iter().enumerate() {
        if b == b',' {
            let before = i > 0 && bytes[i - 1].is_ascii_digit();
            let after = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !(before && after) || s[..i].contains('.') {
                return None;
            }
        } else {
            cleaned.push(char::from(b));
        }
    }
    cleaned.parse().ok()
}

/// Split `1,234.5ms` into (`1,234.5`, `ms`): the longest numeric prefix and the rest.
pub(crate) fn split_number_unit(s: &str) -> (&str, &str) {
    let starts_with = |word: &str| s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(word));
    if starts_with("nan") {
        return s.split_at(3);
    }
    if starts_with("inf") {
        let end = if s
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("infinity"))
        {
            8
        } else {
            3
        };
        return s.split_at(end);
    }
    let bytes = s.as_bytes();
    let mut end = 0;
    while end < bytes.len() && matches!(bytes[end], b'0'..=b'9' | b'.' | b',' | b'+' | b'-') {
        end += 1;
    }
    // An exponent only if digits follow it (so "1.5e" stays a number followed by "e").
    if end > 0 && matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exp = end + 1;
        if matches!(bytes.get(exp), Some(b'+' | b'-')) {
            exp += 1;
        }
        let digits = exp;
        while exp < bytes.len() && bytes[exp].is_ascii_digit() {
            exp += 1;
        }
        if exp > digits {
            end = exp;
        }
    }
    s.split_at(end)
}

/// `haystack.split_once(needle)` for a short `needle`: finds its first character with `memchr`
/// and compares the rest, skipping the two-way searcher's set-up, which costs more than the
/// search on the short lines harnesses print. Linear: each candidate costs `needle.len()`.
pub(crate) fn split_once_str<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = find_str(haystack, needle)?;
    Some((&haystack[..at], &haystack[at + needle.len()..]))
}

/// `haystack.rsplit_once(needle)` for a short `needle`, as [`split_once_str`].
pub(crate) fn rsplit_once_str<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = rfind_str(haystack, needle)?;
    Some((&haystack[..at], &haystack[at + needle.len()..]))
}

/// Byte offset of the last `needle` in `haystack` (see [`split_once_str`]).
pub(crate) fn rfind_str(haystack: &str, needle: &str) -> Option<usize> {
    let first = needle.chars().next()?;
    let mut end = haystack.len();
    while let Some(at) = haystack[..end].rfind(first) {
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        end = at;
    }
    None
}

/// Byte offset of the first `needle` in `haystack` (see [`split_once_str`]).
pub(crate) fn find_str(haystack: &str, needle: &str) -> Option<usize> {
    let first = needle.chars().next()?;
    let mut from = 0;
    while let Some(at) = haystack[from..].find(first) {
        let at = from + at;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + first.len_utf8();
    }
    None
}

/// Nanoseconds in one `unit` (ps, ns, µs/μs/us, ms, s/sec, min, h).
pub(crate) fn nanos_per(unit: &str) -> Option<f64> {
    Some(match unit {
        "ps" => 1e-3,
        "ns" => 1.0,
        "µs" | "μs" | "us" => 1e3,
        "ms" => 1e6,
        "s" | "sec" => 1e9,
        "min" => 60e9,
        "h" | "hr" => 3_600e9,
        _ => return None,
    })
}

/// `v` rounded to 15 significant digits (non-finite values unchanged).
pub(crate) fn round_significant(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 || (v.fract() == 0.0 && v.abs() < 1e15) {
        return v;
    }
    // Scale so that 15 significant digits are the integer part, round, scale back: with an
    // exact power of ten the last step is one correctly rounded operation.
    let digits = 14 - v.abs().log10().floor() as i32;
    match digits {
        0..=22 => {
            let p = 10f64.powi(digits);
            (v * p).round() / p
        }
        -22..=-1 => {
            let p = 10f64.powi(-digits);
            (v / p).round() * p
        }
        _ => format!("{v:.14e}").parse().unwrap_or(v),
    }
}

/// `value ± spread` with the lower bound clamped at zero (latency and throughput are never
/// negative); a NaN stays NaN so that validation names it.
pub(crate) fn plus_minus(value: f64, spread: f64) -> JsonMetric {
    let lower = value - spread;
    JsonMetric::with_bounds(value, if lower < 0.0 { 0.0 } else { lower }, value + spread)
}

/// The input without ANSI escape sequences (colours from criterion, gungraun, ...).
pub(crate) fn strip_ansi(input: &str) -> Cow<'_, str> {
    if !input.contains('\x1b') {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.next_if_eq(&'[').is_some() {
            // CSI: parameters and intermediates, then one final byte in '@'..='~'.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    Cow::Owned(out)
}

/// JSON with the bare `NaN`, `Infinity` and `-Infinity` tokens that Python's `json` and other
/// writers emit turned into strings (`"NaN"`), so the document parses and the benchmark with the
/// non-finite value can be named (see `adapters::lenient_f64`).
pub(crate) fn json_non_finite_quoted(input: &str) -> Cow<'_, str> {
    let bytes = input.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        let token = match b {
            b'"' => {
                in_string = true;
                None
            }
            b'N' if bytes[i..].starts_with(b"NaN") => Some("\"NaN\""),
            b'I' if bytes[i..].starts_with(b"Infinity") => Some("\"Infinity\""),
            b'-' if bytes[i..].starts_with(b"-Infinity") => Some("\"-Infinity\""),
            _ => None,
        };
        match token {
            Some(quoted) => {
                let buf = out.get_or_insert_with(|| String::with_capacity(input.len() + 16));
                buf.push_str(&input[copied..i]);
                buf.push_str(quoted);
                i += quoted.len() - 2;
                copied = i;
            }
            None => i += 1,
        }
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&input[copied..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(input),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_accept_separators_and_refuse_misplaced_commas() {
        assert_eq!(number("1,234"), Some(1234.0));
        assert_eq!(number("1,234,567.25"), Some(1_234_567.25));
        assert_eq!(number("12.5"), Some(12.5));
        assert_eq!(number("-3"), Some(-3.0));
        assert_eq!(number("1.5e3"), Some(1500.0));
        assert_eq!(number(",12"), None);
        assert_eq!(number("12,"), None);
        assert_eq!(number("1.2,3"), None);
        assert_eq!(number(""), None);
        assert!(number("NaN").is_some_and(f64::is_nan));
        assert!(number("inf").is_some_and(f64::is_infinite));
    }

    #[test]
    fn split_number_unit_handles_exponents_and_units() {
        assert_eq!(split_number_unit("1,234.5ms"), ("1,234.5", "ms"));
        assert_eq!(split_number_unit("2e3ns"), ("2e3", "ns"));
        assert_eq!(split_number_unit("2ms"), ("2", "ms"));
        assert_eq!(split_number_unit("7.0µs"), ("7.0", "µs"));
        assert_eq!(split_number_unit("NaNms"), ("NaN", "ms"));
        assert_eq!(split_number_unit("ms"), ("", "ms"));
    }

    #[test]
    fn string_splits_match_the_standard_library() {
        let cases = [
            ("a: b: c", ": "),
            ("::: x", ": "),
            ("no match", ": "),
            ("", ": "),
            ("x(RunTime): 1 us.", "(RunTime): "),
            ("((RunTime): ", "(RunTime): "),
            ("µ··· ···x", "··· "),
            ("abc", ""),
        ];
        for (haystack, needle) in cases {
            if needle.is_empty() {
                assert_eq!(split_once_str(haystack, needle), None);
                continue;
            }
            assert_eq!(
                split_once_str(haystack, needle),
                haystack.split_once(needle)
            );
            assert_eq!(
                rsplit_once_str(haystack, needle),
                haystack.rsplit_once(needle)
            );
            assert_eq!(find_str(haystack, needle), haystack.find(needle));
            assert_eq!(rfind_str(haystack, needle), haystack.rfind(needle));
        }
    }

    #[test]
    fn units_convert_to_nanoseconds() {
        assert_eq!(nanos_per("ps"), Some(1e-3));
        assert_eq!(nanos_per("µs"), nanos_per("us"));
        assert_eq!(nanos_per("μs"), Some(1e3));
        assert_eq!(nanos_per("s"), Some(1e9));
        assert_eq!(nanos_per("parsec"), None);
    }

    #[test]
    fn ansi_codes_are_removed() {
        assert_eq!(strip_ansi("\x1b[1mfib\x1b[0m 20"), "fib 20");
        assert_eq!(strip_ansi("plain"), "plain");
        assert_eq!(strip_ansi("cut\x1b[3"), "cut");
    }

    #[test]
    fn non_finite_json_tokens_are_quoted_outside_strings() {
        let json = r#"{"NaN": NaN, "a": [Infinity, -Infinity], "s": "Infinity \" NaN"}"#;
        assert_eq!(
            json_non_finite_quoted(json),
            r#"{"NaN": "NaN", "a": ["Infinity", "-Infinity"], "s": "Infinity \" NaN"}"#
        );
        assert!(matches!(json_non_finite_quoted("[1]"), Cow::Borrowed(_)));
    }

    #[test]
    fn rounding_removes_conversion_noise_only() {
        assert_eq!(round_significant(2.079 * 1e6), 2_079_000.0);
        assert_eq!(round_significant(129.95 * 1e9), 129.95e9);
        assert_eq!(
            round_significant(0.123_456_789_012_345_67),
            0.123_456_789_012_346
        );
        assert!(round_significant(f64::NAN).is_nan());
    }

    #[test]
    fn plus_minus_clamps_only_real_negatives() {
        let m = plus_minus(5.0, 7.0);
        assert_eq!((m.lower_value, m.upper_value), (Some(0.0), Some(12.0)));
        assert!(
            plus_minus(5.0, f64::NAN)
                .lower_value
                .is_some_and(f64::is_nan)
        );
    }
}
