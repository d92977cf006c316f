//! Reading a query's values: `registeredAt` dates in the four documented forms, agent versions,
//! task counts, and `=~` patterns (Java `java.util.regex.Pattern` syntax, as far as the `regex`
//! crate can express it).

/// Milliseconds in a day and in a second: the precisions a date can be written at.
pub(crate) const DAY_MS: i64 = 86_400_000;
pub(crate) const SECOND_MS: i64 = 1_000;

/// The forms a `registeredAt` value may take, for error messages.
pub(crate) const DATE_FORMS: &str = "2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, 2018-06-18T22:28:28 or 2018-06-18";

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `n` ASCII digits at `s[at..]` as a number.
fn digits(s: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = s.get(at..at + n)?;
    part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
}

/// A `registeredAt` value: Unix milliseconds and the precision it is written at (a date is a day,
/// a date and time a second). A time without an offset is UTC. None if it is none of the four
/// documented forms or not a real date and time.
pub(crate) fn parse_date(text: &str) -> Option<(i64, i64)> {
    let s = text.as_bytes();
    let (year, month, day) = (digits(s, 0, 4)?, digits(s, 5, 2)?, digits(s, 8, 2)?);
    if s.get(4) != Some(&b'-')
        || s.get(7) != Some(&b'-')
        || !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
    {
        return None;
    }
    let midnight_ms = crate::infra::time::days_from_civil(year, month, day) * DAY_MS;
    if s.len() == 10 {
        return Some((midnight_ms, DAY_MS));
    }
    let (hour, minute, second) = (digits(s, 11, 2)?, digits(s, 14, 2)?, digits(s, 17, 2)?);
    if s[10] != b'T' || s.get(13) != Some(&b':') || s.get(16) != Some(&b':') || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset_minutes = match &s[19..] {
        b"" | b"Z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (oh, om) = (digits(s, 20, 2)?, digits(s, 23, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let minutes = oh * 60 + om;
            if *sign == b'+' {
                minutes
            } else {
                -minutes
            }
        }
        _ => return None,
    };
    let local_ms = midnight_ms + ((hour * 60 + minute) * 60 + second) * SECOND_MS;
    Some((local_ms - offset_minutes * 60 * SECOND_MS, SECOND_MS))
}

/// An agent version's numeric parts without trailing zeros, so that comparing two of them compares
/// version-wise with missing parts as zero (`1.14` = `1.14.0` < `1.14.5` < `1.140`). A leading
/// `v` is allowed (the agent reports `v1.29.0` in some places). None if it is not dotted numbers.
pub(crate) fn version_key(text: &str) -> Option<Vec<u64>> {
    let body = text.strip_prefix('v').unwrap_or(text);
    let mut parts: Vec<u64> = body
        .split('.')
        .map(|p| if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) { p.parse().ok() } else { None })
        .collect::<Option<_>>()?;
    while parts.last() == Some(&0) {
        parts.pop();
    }
    Some(parts)
}

/// Most bytes a compiled pattern may take (the `regex` crate's size limit): a pattern is at most
/// 2,000 characters, so this bounds the memory one expression can ask for.
const PATTERN_SIZE_LIMIT_BYTES: usize = 1 << 20;

/// Java regex constructs the `regex` crate cannot express (or would read differently), each with
/// how to say it.
const UNSUPPORTED: [(&str, &str); 14] = [
    ("(?=", "lookahead (?=...)"),
    ("(?!", "negative lookahead (?!...)"),
    ("(?<=", "lookbehind (?<=...)"),
    ("(?<!", "negative lookbehind (?<!...)"),
    ("(?>", "an atomic group (?>...)"),
    ("\\k<", "a named backreference \\k<...>"),
    ("\\Q", "quoting with \\Q...\\E (escape each character instead)"),
    ("\\G", "\\G (end of the previous match)"),
    ("\\Z", "\\Z (use \\z or $)"),
    ("\\R", "\\R (use (?:\\r\\n|[\\n\\x0B\\f\\r\\x{85}\\x{2028}\\x{2029}]))"),
    ("\\h", "\\h (use [ \\t\\xA0...])"),
    ("\\v", "\\v, which Java reads as vertical whitespace and the regex crate as a vertical tab"),
    ("\\X", "\\X (a grapheme cluster)"),
    ("\\H", "\\H"),
];

/// Compiles an `=~` pattern to match the whole value (as Java's `Pattern.matches` does). Refuses,
/// naming it, a Java construct the `regex` crate cannot express: lookaround, atomic groups,
/// possessive quantifiers, backreferences, `\Q…\E` and the escapes listed in [`UNSUPPORTED`].
pub(crate) fn compile_pattern(text: &str) -> Result<regex::Regex, String> {
    let bytes = text.as_bytes();
    let mut escaped = false;
    let mut in_class = false;
    for (n, &b) in bytes.iter().enumerate() {
        if escaped {
            escaped = false;
            if b.is_ascii_digit() && b != b'0' && !in_class {
                return Err(format!("a backreference \\{} (the regex crate has none)", b as char));
            }
            continue;
        }
        match b {
            b'\\' => {
                escaped = true;
                if let Some((_, what)) =
                    UNSUPPORTED.iter().find(|(s, _)| s.starts_with('\\') && bytes[n..].starts_with(s.as_bytes()))
                {
                    return Err(format!("{what} (the regex crate cannot express it)"));
                }
            }
            b'[' => in_class = true,
            b']' => in_class = false,
            b'(' if !in_class => {
                if let Some((_, what)) =
                    UNSUPPORTED.iter().find(|(s, _)| s.starts_with('(') && bytes[n..].starts_with(s.as_bytes()))
                {
                    return Err(format!("{what} (the regex crate cannot express it)"));
                }
            }
            b'+' if !in_class
                && n > 0
                && matches!(bytes[n - 1], b'*' | b'+' | b'?' | b'}')
                && !preceded_by_escape(bytes, n - 1) =>
            {
                return Err("a possessive quantifier such as *+ (the regex crate cannot express it)".to_string());
            }
            _ => {}
        }
    }
    regex::RegexBuilder::new(&format!(r"\A(?:{text})\z"))
        .size_limit(PATTERN_SIZE_LIMIT_BYTES)
        .dfa_size_limit(PATTERN_SIZE_LIMIT_BYTES)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(s) => {
                // The crate's message is several lines (the pattern, a caret, then "error: ...").
                let why = s.lines().find_map(|l| l.strip_prefix("error: ")).unwrap_or("it is not valid");
                format!("not a valid regular expression: {why}")
            }
            regex::Error::CompiledTooBig(_) => "too large once compiled".to_string(),
            _ => "not a valid regular expression".to_string(),
        })
}

/// Whether the byte at `at` is escaped by an odd run of backslashes before it.
fn preceded_by_escape(bytes: &[u8], at: usize) -> bool {
    bytes[..at].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_date_forms() {
        // 2018-06-18T22:28:28Z is 1529360908 s after the Unix epoch.
        assert_eq!(parse_date("2018-06-18T22:28:28+00:00"), Some((1_529_360_908_000, SECOND_MS)));
        assert_eq!(parse_date("2018-06-18T22:28:28Z"), Some((1_529_360_908_000, SECOND_MS)));
        assert_eq!(parse_date("2018-06-18T22:28:28"), Some((1_529_360_908_000, SECOND_MS)));
        assert_eq!(parse_date("2018-06-18"), Some((1_529_280_000_000, DAY_MS)));
        assert_eq!(parse_date("2018-06-19T00:28:28+02:00"), Some((1_529_360_908_000, SECOND_MS)));
        assert_eq!(parse_date("2018-06-18T20:28:28-02:00"), Some((1_529_360_908_000, SECOND_MS)));
        assert_eq!(parse_date("1970-01-01"), Some((0, DAY_MS)));
        assert_eq!(parse_date("2020-02-29"), Some((1_582_934_400_000, DAY_MS)));
        for bad in [
            "2019-02-29",
            "2018-13-01",
            "2018-06-31",
            "2018-06-18T24:00:00",
            "2018-06-18T22:28",
            "2018-06-18 22:28:28",
            "2018-06-18T22:28:28.5Z",
            "2018-06-18T22:28:28+0000",
            "18-06-18",
            "2018-6-18",
            "",
            "２０１８-06-18",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn versions_compare_part_by_part() {
        assert_eq!(version_key("1.14.0"), version_key("1.14"));
        assert!(version_key("1.14.4") < version_key("1.14.5"));
        assert!(version_key("1.9.0") < version_key("1.14.5"));
        assert!(version_key("1.14.5") < version_key("1.140"));
        assert_eq!(version_key("v1.29.0"), Some(vec![1, 29]));
        assert_eq!(version_key("1.x"), None);
        assert_eq!(version_key("1..2"), None);
        assert_eq!(version_key(""), None);
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let p = compile_pattern("t2.*").expect("valid");
        assert!(p.is_match("t2.small"));
        assert!(!p.is_match("mt2.small"));
        let p = compile_pattern("a|b").expect("valid");
        assert!(p.is_match("a") && p.is_match("b") && !p.is_match("ab"));
        assert!(compile_pattern(r"[a-z&&[def]]+").expect("class intersection").is_match("fed"));
        assert!(compile_pattern(r"a\+b").expect("escaped plus").is_match("a+b"));
        assert!(compile_pattern(r"a{2}").expect("counted").is_match("aa"));
    }

    #[test]
    fn java_constructs_the_regex_crate_lacks_are_refused_by_name() {
        for (pattern, named) in [
            ("a(?=b)", "lookahead"),
            ("a(?!b)", "negative lookahead"),
            ("(?<=a)b", "lookbehind"),
            ("(?<!a)b", "negative lookbehind"),
            ("(?>ab)", "atomic group"),
            (r"(a)\1", "backreference"),
            (r"(?<x>a)\k<x>", "named backreference"),
            ("a*+", "possessive"),
            ("a++", "possessive"),
            ("a{2}+", "possessive"),
            (r"\Qa.b\E", "quoting"),
            (r"a\Z", r"\Z"),
            (r"\v", "vertical"),
        ] {
            let err = compile_pattern(pattern).expect_err(pattern);
            assert!(err.contains(named), "{pattern}: {err}");
        }
        assert!(compile_pattern("(a").expect_err("unclosed").starts_with("not a valid regular expression: "));
        // An escaped quantifier character followed by + is not possessive.
        assert!(compile_pattern(r"\*+").is_ok());
        assert!(compile_pattern(r"[*+]").is_ok());
    }
}
