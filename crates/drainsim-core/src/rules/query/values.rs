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
    // Read byte by byte into a list of its final size: every registration derives this key, and
    // splitting, `str::parse` and a growing list cost a sweep seed about 4 % (docs/performance.md).
    let body = text.strip_prefix('v').unwrap_or(text).as_bytes();
    let mut parts: Vec<u64> = Vec::with_capacity(body.iter().filter(|b| **b == b'.').count() + 1);
    for part in body.split(|b| *b == b'.') {
        parts.push(crate::rules::versions::decimal(part)?);
    }
    while parts.last() == Some(&0) {
        parts.pop();
    }
    Some(parts)
}

/// Most bytes the compiled patterns of one expression may take together (the regex engine's own
/// count): an expression is at most 2,000 characters, so this bounds the memory one expression can
/// ask for, however many `=~` tests it holds.
pub(crate) const PATTERN_BUDGET_BYTES: usize = 1 << 20;

/// A compiled `=~` pattern: the whole-value match of a Java pattern.
pub(crate) type CompiledPattern = regex_automata::meta::Regex;

/// Java regex constructs the regex engine cannot express (or would read differently), each with
/// how to say it.
const UNSUPPORTED: [(&str, &str); 16] = [
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
    ("\\V", "\\V (non-vertical whitespace)"),
    ("\\X", "\\X (a grapheme cluster)"),
    ("\\H", "\\H"),
    ("\\b{", "\\b{...} (a Unicode boundary)"),
];

/// Java's POSIX character classes (`\p{Alnum}`, US-ASCII only), each with the regex crate's ASCII
/// class of the same set.
const POSIX_CLASSES: [(&str, &str); 13] = [
    ("Lower", "lower"),
    ("Upper", "upper"),
    ("ASCII", "ascii"),
    ("Alpha", "alpha"),
    ("Digit", "digit"),
    ("Alnum", "alnum"),
    ("Punct", "punct"),
    ("Graph", "graph"),
    ("Print", "print"),
    ("Blank", "blank"),
    ("Cntrl", "cntrl"),
    ("XDigit", "xdigit"),
    ("Space", "space"),
];

/// Compiles an `=~` pattern, written in Java's `java.util.regex.Pattern` syntax as the cluster query
/// language says, to match the whole value (as Java's `Pattern.matches` does), within `budget_bytes`
/// of compiled size; returns it and the bytes it takes. Java's syntax is translated where the regex
/// engine spells a construct differently ([`java_to_regex_syntax`]); a construct it cannot express
/// is refused by name. The pattern is parsed alone, then anchored, so no text in it (a `)`, a `#`
/// comment) can reach outside it.
pub(crate) fn compile_pattern(text: &str, budget_bytes: usize) -> Result<(CompiledPattern, usize), String> {
    use regex_syntax::hir::{Hir, Look};
    let translated = java_to_regex_syntax(text)?;
    let hir = regex_syntax::ParserBuilder::new().build().parse(&translated).map_err(|e| {
        let why = match &e {
            regex_syntax::Error::Parse(e) => e.kind().to_string(),
            regex_syntax::Error::Translate(e) => e.kind().to_string(),
            _ => "it is not valid".to_string(),
        };
        format!("not a valid regular expression: {why}")
    })?;
    let whole = Hir::concat(vec![Hir::look(Look::Start), hir, Hir::look(Look::End)]);
    let too_large = || "too large once compiled (the patterns of one expression take at most 1 MiB)".to_string();
    let regex = regex_automata::meta::Regex::builder()
        .configure(
            regex_automata::meta::Config::new()
                .nfa_size_limit(Some(budget_bytes))
                .onepass_size_limit(Some(budget_bytes))
                .dfa_size_limit(Some(budget_bytes)),
        )
        .build_from_hir(&whole)
        .map_err(|e| if e.size_limit().is_some() { too_large() } else { "not a valid regular expression".to_string() })?;
    let used = regex.memory_usage();
    if used > budget_bytes {
        return Err(too_large());
    }
    Ok((regex, used))
}

/// Java's pattern syntax in the regex engine's: `\w`, `\d`, `\s` and their negations as Java's ASCII
/// sets (the engine's are Unicode), `\b` and `\B` as ASCII word boundaries, `\p{Alnum}` and the other
/// POSIX classes as ASCII classes, `\e`, `\a`, `\cX` and octal `\0nn` as code points, an escaped
/// punctuation character as itself (Java's `\<` is `<`, the engine's a word start), and `:` and `~`
/// inside a class as themselves (Java's `[[:alpha:]]` is a nested class of `:`, `a`, `l`, `p`, `h`).
/// Refuses what has no translation: the [`UNSUPPORTED`] constructs, backreferences, possessive
/// quantifiers, `--` inside a class and inline flags other than `i`, `m`, `s`, `x` and `u`.
pub(crate) fn java_to_regex_syntax(text: &str) -> Result<String, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut class_depth = 0usize;
    // Whether the last thing written was a quantifier (`*`, `+`, `?` or a count's `}`), so that a `+`
    // after it is Java's possessive form.
    let mut after_quantifier = false;
    let rest_starts = |at: usize, s: &str| s.chars().enumerate().all(|(k, c)| chars.get(at + k) == Some(&c));
    let cannot = |what: &str| format!("{what} (the regex crate cannot express it)");
    let mut n = 0;
    while n < chars.len() {
        let c = chars[n];
        if c == '\\' {
            if let Some((_, what)) = UNSUPPORTED.iter().find(|(s, _)| s.starts_with('\\') && rest_starts(n, s)) {
                return Err(cannot(what));
            }
            let Some(&e) = chars.get(n + 1) else {
                return Err("not a valid regular expression: a trailing backslash".to_string());
            };
            n += 2;
            after_quantifier = false;
            let ascii = |class: &str, negated: bool| {
                let class = format!("[:{}{class}:]", if negated { "^" } else { "" });
                if class_depth > 0 {
                    class
                } else {
                    format!("[{class}]")
                }
            };
            match e {
                'w' | 'W' => out.push_str(&ascii("word", e == 'W')),
                'd' | 'D' => out.push_str(&ascii("digit", e == 'D')),
                's' | 'S' => out.push_str(&ascii("space", e == 'S')),
                'b' | 'B' if class_depth == 0 => out.push_str(if e == 'b' { r"(?-u:\b)" } else { r"(?-u:\B)" }),
                'p' | 'P' => {
                    let name: String = if chars.get(n) == Some(&'{') {
                        let close = chars[n..]
                            .iter()
                            .position(|c| *c == '}')
                            .ok_or("not a valid regular expression: an unclosed \\p{")?;
                        let name = chars[n + 1..n + close].iter().collect();
                        n += close + 1;
                        name
                    } else {
                        let Some(&one) = chars.get(n) else {
                            return Err("not a valid regular expression: \\p without a class name".to_string());
                        };
                        n += 1;
                        one.to_string()
                    };
                    let posix = name.strip_prefix("Is").filter(|n| POSIX_CLASSES.iter().any(|(j, _)| j == n)).unwrap_or(&name);
                    match POSIX_CLASSES.iter().find(|(java, _)| *java == posix) {
                        Some((_, class)) => out.push_str(&ascii(class, e == 'P')),
                        None => out.push_str(&format!("\\{e}{{{name}}}")),
                    }
                }
                'e' => out.push_str(r"\x{1B}"),
                'a' => out.push_str(r"\x{07}"),
                'c' => {
                    let Some(x) = chars.get(n).copied().filter(char::is_ascii) else {
                        return Err("not a valid regular expression: \\c needs an ASCII control letter".to_string());
                    };
                    n += 1;
                    out.push_str(&format!("\\x{{{:02X}}}", (x as u8) ^ 0x40));
                }
                '0' => {
                    // \0n, \0nn, \0mnn (m at most 3): an octal code point.
                    let digits: String = chars[n..].iter().take(3).take_while(|c| ('0'..='7').contains(c)).collect();
                    let digits = if digits.len() == 3 && digits.as_bytes()[0] > b'3' { &digits[..2] } else { &digits[..] };
                    if digits.is_empty() {
                        return Err("not a valid regular expression: \\0 needs an octal digit".to_string());
                    }
                    n += digits.len();
                    let value = u32::from_str_radix(digits, 8).expect("octal digits");
                    out.push_str(&format!("\\x{{{value:X}}}"));
                }
                '1'..='9' => return Err(format!("a backreference \\{e} (the regex crate has none)")),
                e if e.is_ascii_alphanumeric() => {
                    out.push('\\');
                    out.push(e);
                }
                // Java reads any other escaped character as itself.
                e => out.push_str(&format!("\\x{{{:X}}}", e as u32)),
            }
            continue;
        }
        if class_depth > 0 {
            after_quantifier = false;
            match c {
                '[' => class_depth += 1,
                ']' => class_depth -= 1,
                ':' | '~' => {
                    out.push_str(&format!("\\x{{{:X}}}", c as u32));
                    n += 1;
                    continue;
                }
                '-' if chars.get(n + 1) == Some(&'-') => {
                    return Err("'--' inside a class (the regex crate reads it as a class difference; escape the '-')".to_string())
                }
                _ => {}
            }
            out.push(c);
            n += 1;
            continue;
        }
        match c {
            '[' => {
                class_depth = 1;
                out.push('[');
                n += 1;
                continue;
            }
            '(' if chars.get(n + 1) == Some(&'?') => {
                if let Some((_, what)) = UNSUPPORTED.iter().find(|(s, _)| s.starts_with('(') && rest_starts(n, s)) {
                    return Err(cannot(what));
                }
                // Only the engine reads this; Java would refuse it.
                if rest_starts(n, "(?P<") {
                    return Err("a group named with (?P<name>...), which Java writes (?<name>...)".to_string());
                }
                if !rest_starts(n, "(?<") {
                    let flags: String = chars[n + 2..].iter().take_while(|c| !matches!(c, ':' | ')')).collect();
                    if let Some(bad) = flags.chars().find(|f| !matches!(f, 'i' | 'm' | 's' | 'x' | 'u' | '-')) {
                        return Err(format!("the inline flag '{bad}' (drainsim takes Java's i, m, s, x and u)"));
                    }
                }
            }
            '+' if after_quantifier => {
                return Err("a possessive quantifier such as *+ (the regex crate cannot express it)".to_string());
            }
            _ => {}
        }
        after_quantifier = matches!(c, '*' | '+' | '?' | '}');
        out.push(c);
        n += 1;
    }
    Ok(out)
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
        assert_eq!(version_key("1.+2"), None, "a sign is not a digit");
        assert_eq!(version_key("18446744073709551616"), None, "past u64");
        assert_eq!(version_key("v"), None);
        assert_eq!(version_key("007.0.0"), Some(vec![7]));
    }

    /// The key as it was first written (split, `str::parse`, collect): the byte reader must agree.
    fn version_key_reference(text: &str) -> Option<Vec<u64>> {
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn version_keys_agree_with_the_reference(text in r"v?[0-9.+x]{0,12}|[0-9]{18,22}(\.[0-9]{1,3}){0,2}") {
            proptest::prop_assert_eq!(version_key(&text), version_key_reference(&text));
        }
    }

    fn compile(pattern: &str) -> Result<CompiledPattern, String> {
        compile_pattern(pattern, PATTERN_BUDGET_BYTES).map(|(regex, _)| regex)
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let p = compile("t2.*").expect("valid");
        assert!(p.is_match("t2.small"));
        assert!(!p.is_match("mt2.small"));
        let p = compile("a|b").expect("valid");
        assert!(p.is_match("a") && p.is_match("b") && !p.is_match("ab"));
        let p = compile("a|ab").expect("valid");
        assert!(p.is_match("a") && p.is_match("ab"), "the whole value, not the leftmost-first match");
        assert!(compile(r"[a-z&&[def]]+").expect("class intersection").is_match("fed"));
        assert!(compile(r"a\+b").expect("escaped plus").is_match("a+b"));
        assert!(compile(r"a{2}").expect("counted").is_match("aa"));
    }

    #[test]
    fn a_pattern_is_anchored_as_a_whole() {
        // Pasted into \A(?:…)\z, `g2)|(t` was "starts with g2 or ends with t"; Java refuses it.
        assert!(compile("g2)|(t").expect_err("unbalanced").starts_with("not a valid regular expression: "));
        // A comment in (?x) mode runs to the end of the line: it cannot swallow the anchor.
        let p = compile("(?x) t2 .* # any t2").expect("a commented pattern");
        assert!(p.is_match("t2.small") && !p.is_match("mt2.small"));
    }

    #[test]
    fn java_syntax_is_read_as_java_reads_it() {
        for (pattern, matches, not) in [
            // \w, \d, \s are ASCII in Java (a Unicode \w{21} was "too large once compiled").
            (r"\w{21}", "abcdefghij0123456789_", "abcdefghij0123456789é"),
            (r"\w{8}-\w{4}", "0a1b2c3d-4e5f", "0a1b2c3d-4é5f"),
            (r"\d+", "42", "٤٢"),
            (r"[\w.]+", "t2.small", "t2.smäll"),
            (r"[^\W\d]+", "abc", "ab1"),
            (r"a\sb", "a\tb", "a\u{a0}b"),
            // POSIX classes, octal, \e, \cX and escaped punctuation.
            (r"\p{Alnum}2.*", "t2.small", "-2.small"),
            (r"\P{Digit}+", "abc", "a1c"),
            (r"t\062.*", "t2.small", "t3.small"),
            (r"\e?t", "\u{1b}t", "et"),
            (r"\cAx", "\u{1}x", "Ax"),
            (r"\<t2\>", "<t2>", "t2"),
            // Java's [[:alpha:]] is the nested class of ':', 'a', 'l', 'p', 'h'; ~ is a character.
            ("[[:alpha:]]+", "alpha:", "beta"),
            ("[a~]+", "a~", "b"),
            (r"(?i)T2\.SMALL", "t2.small", "t3.small"),
        ] {
            let p = compile(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
            assert!(p.is_match(matches), "{pattern} matches {matches:?}");
            assert!(!p.is_match(not), "{pattern} does not match {not:?}");
        }
        assert!(compile(r"\bt2\B.*").expect("ASCII word boundaries").is_match("t2small"));
    }

    #[test]
    fn the_patterns_of_an_expression_share_one_budget() {
        let (_, one) = compile_pattern(r"\w{20}", PATTERN_BUDGET_BYTES).expect("small");
        assert!(one > 0 && one < 64 * 1024, "{one} bytes");
        let err = compile_pattern(r"\w{20}", one / 2).expect_err("over the budget left");
        assert!(err.starts_with("too large once compiled"), "{err}");
        assert!(compile(r"\p{L}{2000}").expect_err("huge").starts_with("too large once compiled"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any text, and above all text dense in the characters the translation reads, compiles or
        /// is refused with a message: never a panic.
        #[test]
        fn any_pattern_compiles_or_is_refused(
            text in proptest::prop_oneof![r"\PC{0,40}", r"[\\\[\](){}?*+|^$.:~&a-e0-9pPwWdDsSbBcexkQZ<>-]{0,30}"]
        ) {
            if let Err(why) = compile_pattern(&text, PATTERN_BUDGET_BYTES) {
                proptest::prop_assert!(!why.is_empty());
            }
        }

        /// Java reads an escaped punctuation character as itself: a literal written with every
        /// punctuation character escaped matches exactly that literal.
        #[test]
        fn an_escaped_literal_matches_itself(literal in "[ -~]{1,20}") {
            let pattern: String = literal
                .chars()
                .flat_map(|c| if c.is_ascii_alphanumeric() { vec![c] } else { vec!['\\', c] })
                .collect();
            let p = compile(&pattern).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{pattern}: {e}")))?;
            proptest::prop_assert!(p.is_match(&literal), "{} does not match {}", pattern, literal);
            let longer = format!("{}x", literal);
            proptest::prop_assert!(!p.is_match(&longer));
        }
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
            (r"(?P<x>t)2", "(?<name>...)"),
            (r"\b{start}t", r"\b{"),
            ("(?U)a+", "inline flag 'U'"),
            ("(?R)a", "inline flag 'R'"),
            ("[a--b]", "'--'"),
        ] {
            let err = compile(pattern).expect_err(pattern);
            assert!(err.contains(named), "{pattern}: {err}");
        }
        assert!(compile("(a").expect_err("unclosed").starts_with("not a valid regular expression: "));
        assert!(compile("a\\").expect_err("trailing").starts_with("not a valid regular expression: "));
        // An escaped quantifier character followed by + is not possessive.
        assert!(compile(r"\*+").is_ok());
        assert!(compile(r"[*+]").is_ok());
        assert!(compile(r"(?<name>t)2").is_ok());
    }
}
